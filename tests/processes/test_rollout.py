"""Process 3b, executive-led rollout: training cohorts beyond the pilots (model/rollout.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from model.organisation import build_organisation
from model.processes.rollout import Rollout

from conftest import small_model, small_params


def make(**over):
    p = small_params(**over)
    org = build_organisation(p, np.random.default_rng(0))
    return Rollout(p, org), org, p


def state(org, p):
    return np.zeros(org.n_staff), np.zeros(org.n_staff, dtype=bool)


def test_fixed_draws_whatever_the_parameters():
    """Two uniforms per non-pilot unit every week, whether or not anything is trained (common random numbers)."""
    outs = []
    for share, sup in ((0.0, 0.0), (0.9, 1.0), (0.3, 0.2)):
        r, org, p = make(rollout__unit_share_annual=share, rollout__start_week=0)
        rng = np.random.default_rng(4)
        cap, prac = state(org, p)
        for week in range(5):
            r.update(week, np.full(org.n_units, sup), cap, prac, rng)
        outs.append(rng.random())
    assert outs[0] == outs[1] == outs[2]


def test_nothing_before_start_without_share_or_without_support():
    for over, sup in (({"rollout__start_week": 50}, 1.0), ({"rollout__unit_share_annual": 0.0}, 1.0),
                      ({}, 0.0), ({"rollout__cohort_size": 0}, 1.0)):
        kw = {"rollout__unit_share_annual": 0.9, "rollout__start_week": 0, **over}
        r, org, p = make(**kw)
        cap, prac = state(org, p)
        for week in range(10):
            assert r.update(week, np.full(org.n_units, sup), cap, prac, np.random.default_rng(week)).size == 0
        assert not prac.any()


def test_cohorts_are_adjacent_colleagues_of_non_pilot_units():
    r, org, p = make(rollout__unit_share_annual=0.9, rollout__start_week=0, rollout__cohort_size=4)
    cap, prac = state(org, p)
    units = r.update(1, np.ones(org.n_units), cap, prac, np.random.default_rng(1))
    assert units.size > 0 and not org.unit_pilot[units].any()
    assert np.array_equal(np.sort(np.unique(org.unit_of[prac])), np.sort(units))
    for u in units:
        who = np.flatnonzero(prac & (org.unit_of == u)) - org.unit_start[u]
        assert who.size == min(4, org.unit_size[u])
        # adjacent on the unit's ring: the gaps between members, going round, are 1 except one
        gaps = np.diff(np.concatenate([who, [who[0] + org.unit_size[u]]]))
        assert np.count_nonzero(gaps != 1) <= 1
    assert np.all(cap[prac] >= p.rpiw.trained_capability)


@pytest.mark.parametrize("sup", [0.3, 1.0])
def test_chance_is_weekly_share_times_support(sup):
    r, org, p = make(rollout__unit_share_annual=0.4, rollout__start_week=0)
    weekly = 1 - (1 - 0.4) ** (1 / 52)
    hits = 0
    rng = np.random.default_rng(7)
    for week in range(200):
        cap, prac = state(org, p)
        hits += r.update(week, np.full(org.n_units, sup), cap, prac, rng).size
    trials = 200 * r.units.size
    assert stats.binomtest(hits, trials, weekly * sup).pvalue > 1e-4


def test_cohorts_grow_in_proportion_to_the_trust():
    """The same share of units a year at any headcount: cohorts per week scale with the number of units
    (8,000 staff get about eight times the cohorts of 1,000; each count consistent with the per-unit chance)."""
    weekly = 1 - (1 - 0.3) ** (1 / 52)
    counts, units = {}, {}
    for staff in (1000, 8000):
        r, org, p = make(organisation__staff=staff, rollout__unit_share_annual=0.3, rollout__start_week=0)
        rng = np.random.default_rng(2)
        n = 0
        for week in range(200):
            cap, prac = state(org, p)
            n += r.update(week, np.ones(org.n_units), cap, prac, rng).size
        counts[staff], units[staff] = n, r.units.size
        assert stats.binomtest(n, 200 * r.units.size, weekly).pvalue > 1e-4
    assert units[8000] > 6 * units[1000] and counts[8000] > 5 * counts[1000]


def test_other_streams_unchanged_and_same_seed_same_numbers():
    """The rollout draws from its own stream: before it starts, a run with it is the run without it."""
    a = small_model(seed=3, weeks=60, rollout__unit_share_annual=0.0, rollout__start_week=40).run()
    b = small_model(seed=3, weeks=60, rollout__unit_share_annual=0.5, rollout__start_week=40).run()
    c = small_model(seed=3, weeks=60, rollout__unit_share_annual=0.5, rollout__start_week=40).run()
    for k in a.history:
        assert np.array_equal(a.history[k][:40], b.history[k][:40], equal_nan=True), k
        assert np.array_equal(b.history[k], c.history[k], equal_nan=True), k
    assert b.rollout.cohorts > 0 and a.rollout.cohorts == 0
    assert b.history["adoption_rest"][-1] > a.history["adoption_rest"][-1]


def test_a_batch_counts_each_replicates_cohorts():
    """Rollout.over counts each replicate's cohorts, as the run alone counts its own."""
    from model.batch import TrustBatch
    from model.trust import TrustModel

    p = small_params(rollout__unit_share_annual=0.8, rollout__start_week=1)
    batched = TrustBatch(p, [1, 2], 60).run().sync()
    alone = [TrustModel(p, rng=s, weeks=60, agents=False).run() for s in (1, 2)]
    assert [m.rollout.cohorts for m in batched] == [m.rollout.cohorts for m in alone]
    assert alone[0].rollout.cohorts != alone[1].rollout.cohorts
