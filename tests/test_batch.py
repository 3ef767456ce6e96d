"""Batched replicates (model/batch.py): replicate r of a batch equals the run alone, bit for bit.

The reference is the single-run engine, ``TrustModel`` stepped alone, with
the survey taken at its week: what ``runner.simulate`` did before batches.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import batch as batch_mod
from model.params import load_scenario
from model.runner import result_of, simulate, simulate_batch
from model.survey import empty_survey, survey_model
from model.trust import TrustModel


def alone(params, seed, weeks=None):
    """One run on the single-run engine (the reference)."""
    m = TrustModel(params, rng=seed, weeks=weeks, agents=False)
    taken = empty_survey()
    if params.outputs.survey_week <= m.weeks:
        while m.week < params.outputs.survey_week:
            m.step()
        taken = survey_model(m)
    m.run()
    return result_of(m, taken)


def engine(params, seeds, weeks=None):
    """The batch engine itself on ``seeds`` (one TrustBatch, even of one), as simulate_batch uses it."""
    b = batch_mod.TrustBatch(params, list(seeds), weeks)
    surveys = [empty_survey()] * b.B
    if params.outputs.survey_week <= b.weeks:
        while b.week < params.outputs.survey_week:
            b.step()
        surveys = [survey_model(m) for m in b.sync()]
    b.run()
    return [result_of(m, s) for m, s in zip(b.sync(), surveys)]


def _same_dict(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, float) and math.isnan(x):
            assert isinstance(y, float) and math.isnan(y), k
        else:
            assert x == y, (k, x, y)


def assert_same_run(a, b) -> None:
    """Every output of two runs identical: weekly table bit for bit, summary, events, network, survey."""
    assert a.seed == b.seed
    pd.testing.assert_frame_equal(a.weekly, b.weekly, check_exact=True)
    _same_dict(a.summary, b.summary)
    assert a.events == b.events
    _same_dict(a.network_start, b.network_start)
    _same_dict(a.network_end, b.network_end)
    _same_dict(a.survey, b.survey)


CASES = {
    "sash-teaching": ("sash-teaching", []),
    "bhr-small": ("bhr", ["organisation.staff=1200"]),  # CEO changes at weeks 100 and 140, rollout, high turnover
    "baseline-1000": ("baseline", ["organisation.staff=1000"]),
    "simple": ("baseline", ["organisation.staff=800", "exchange.rule=\"simple\"", "exchange.transmission=0.05"]),
    "hybrid-hazard": ("baseline", ["organisation.staff=800", "exchange.rule=\"hybrid\"",
                                   "leadership.ceo_hazard_annual=1.5", "turnover.staff_annual=0.3"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_batch_equals_alone(case):
    name, over = CASES[case]
    params = load_scenario(name, over)
    seeds = [11, 12, 13, 14, 15]
    ref = [alone(params, s) for s in seeds]
    for a, b in zip(ref[:1], engine(params, seeds[:1])):  # a batch of one
        assert_same_run(a, b)
    for size in (2, 5):
        got = simulate_batch(params, seeds, size=size)
        for a, b in zip(ref, got):
            assert_same_run(a, b)


def test_cases_exercise_the_mechanisms():
    """The cases above see CEO changes, rollout cohorts, dormant ties, detection and a survey."""
    params = load_scenario(*CASES["bhr-small"])
    r = simulate(params, 3)
    kinds = {k for _, k, _ in r.events}
    assert {"ceo_change", "rpiw", "detected"} <= kinds or {"ceo_change", "rpiw", "missed"} <= kinds
    assert r.weekly["leavers"].sum() > 0
    assert not math.isnan(r.survey["week"])
    hz = simulate(load_scenario(*CASES["hybrid-hazard"]), 3)
    assert any(k == "ceo_change" for _, k, _ in hz.events)


def test_default_batch_size_bounds_people():
    assert batch_mod.batch_size(load_scenario("baseline", ["organisation.staff=1000"])) == 50
    assert batch_mod.batch_size(load_scenario("leeds")) == 1  # 20,000 staff: alone
    assert batch_mod.batch_size(load_scenario("bhr")) == 6
    assert batch_mod.batch_size(load_scenario("baseline", ["organisation.staff=1000"])) * 1000 <= batch_mod.BATCH_PEOPLE


def test_block_draws_equal_weekly_draws():
    """PCG64 random((k, n)) gives the numbers of k calls of random(n) (and standard_normal likewise)."""
    a, b = np.random.default_rng(7), np.random.default_rng(7)
    d = batch_mod._Draws([a], 13, 10)
    for t in range(1, 11):
        assert np.array_equal(d.week(t)[0], b.random(13))
    a, b = np.random.default_rng(8), np.random.default_rng(8)
    d = batch_mod._Draws([a], 5, 7, normal=True)
    for t in range(1, 8):
        assert np.array_equal(d.week(t)[0], b.standard_normal(5))


def test_small_blocks_across_the_horizon(monkeypatch):
    """Draw blocks shorter than the run (refilled on the way) change nothing."""
    monkeypatch.setattr(batch_mod, "BLOCK_NUMBERS", 3000)
    params = load_scenario("sash-teaching")
    seeds = [1, 2, 3]
    for a, b in zip([alone(params, s, 60) for s in seeds], simulate_batch(params, seeds, 60)):
        assert_same_run(a, b)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seeds=st.lists(st.integers(0, 2**32), min_size=1, max_size=4, unique=True),
       size=st.integers(1, 4), staff=st.sampled_from([150, 200, 333]))
def test_any_seeds_any_batch_size(seeds, size, staff):
    params = load_scenario("baseline", [f"organisation.staff={staff}", "organisation.pathways=2", "organisation.directorates=2", "outputs.survey_week=20"])
    ref = [alone(params, s, 40) for s in seeds]
    for k in range(0, len(seeds), size):
        for a, b in zip(ref[k: k + size], engine(params, seeds[k: k + size], 40)):
            assert_same_run(a, b)


def test_batch_order_does_not_matter():
    """A replicate's numbers do not depend on its neighbours in the batch."""
    params = load_scenario("baseline", ["organisation.staff=300", "organisation.pathways=2"])
    a = simulate_batch(params, [5, 6, 7], 80)
    b = simulate_batch(params, [7, 5], 80)
    assert_same_run(a[2], b[0])
    assert_same_run(a[0], b[1])


def test_batch_holds_the_declared_state():
    """Each of the model's state arrays (trust.STATE) is the batch's with a replicate axis; a replicate's model
    holds a view of its row."""
    from model.trust import STATE
    params = load_scenario("baseline", ["organisation.staff=300", "organisation.pathways=2"])
    batch = batch_mod.TrustBatch(params, [1, 2], 3)
    for name in STATE:
        arr = getattr(batch, name)
        for b, m in enumerate(batch.models):
            assert np.shares_memory(getattr(m, name), arr) and np.array_equal(getattr(m, name), arr[b])


def test_a_broken_batch_is_caught():
    """The equality test has teeth: a batch that shares one replicate's exchange draws differs."""
    params = load_scenario("baseline", ["organisation.staff=300", "organisation.pathways=2"])

    class Shared(batch_mod.TrustBatch):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            g = self.draw_exchange.gens
            self.draw_exchange.gens = [g[0]] * len(g)

    orig = batch_mod.TrustBatch
    import model.runner as runner
    runner.TrustBatch = Shared
    try:
        got = simulate_batch(params, [1, 2], 120)
    finally:
        runner.TrustBatch = orig
    ref = alone(params, 2, 120)
    with pytest.raises(AssertionError):
        assert_same_run(ref, got[1])


def test_sweep_rows_same_with_and_without_batches():
    """A sweep task's rows and weekly rows: the batched engine equals one run at a time."""
    from model.sweeps import task

    spec = {"engine": "model", "outcomes": None, "weekly": ["adoption_trust", "capability_mean"],
            "weekly_every": 7, "fixed": {"organisation.staff": 300, "organisation.pathways": 2}, "weeks": 70}
    runs = [(pt, f"p{pt}", "baseline", {"leadership.commitment": c}, rep, 1000 * pt + rep)
            for pt, c in enumerate([0.5, 0.9]) for rep in range(3)]
    rows, weekly = task.run_batch(spec, runs)
    alone_rows = [task._row(spec, "model", run, None) for run in runs]
    assert [r["error"] for r in rows] == [None] * len(runs)
    pd.testing.assert_frame_equal(pd.DataFrame(rows), pd.DataFrame([r for r, _ in alone_rows]), check_exact=True)
    pd.testing.assert_frame_equal(weekly, pd.concat([w for _, w in alone_rows], ignore_index=True), check_exact=True)


def test_sweep_batch_failure_is_recorded_per_run():
    """A point the model refuses is recorded on each of its runs; the other point's runs go on."""
    from model.sweeps import task

    spec = {"engine": "model", "outcomes": ["regime"], "weekly": [], "fixed": {"organisation.staff": 300,
            "organisation.pathways": 2}, "weeks": 20}
    runs = [(0, "bad", "baseline", {"leadership.commitment": 7.0}, r, r) for r in range(2)]
    runs += [(1, "ok", "baseline", {"leadership.commitment": 0.5}, r, r) for r in range(2)]
    rows, _ = task.run_batch(spec, runs)
    assert all("commitment" in r["error"] for r in rows[:2])
    assert [r["error"] for r in rows[2:]] == [None, None]


def test_what_if_arms_batched_equal_runs_alone():
    """run_arms (batches of each arm's replicates) gives each replicate's summary as the run alone."""
    from model.seeds import replicate_seeds
    from model.whatif.compare import run_arms

    base = load_scenario("baseline", ["organisation.staff=300", "organisation.pathways=2"])
    arms = {"base": base, "more": base.with_values({"leadership.commitment": 0.95}), "same": base}
    got = run_arms(arms, reps=3, seed=4, weeks=60, workers=1)
    seeds = replicate_seeds(4, 3)
    for key in ("base", "more"):
        for i, s in enumerate(seeds):
            ref = alone(arms[key], s, 60).summary
            row = got[key].summaries.iloc[i]
            assert row["seed"] == s
            for k, v in ref.items():
                if isinstance(v, float) and math.isnan(v):
                    assert math.isnan(row[k])
                else:
                    assert row[k] == v, (key, i, k)
    assert got["same"].reused
    diff = got["same"].summaries["adoption_trust_final"] - got["base"].summaries["adoption_trust_final"]
    assert (diff == 0).all()  # common random numbers: a what-if that changes nothing differs by exactly zero


def test_run_replicates_equals_runs_alone():
    from model.runner import replicate_seeds, run_replicates

    params = load_scenario("baseline", ["organisation.staff=300", "organisation.pathways=2"])
    got = run_replicates(params, 4, seed=9, weeks=50, workers=1)
    for s, r in zip(replicate_seeds(9, 4), got):
        assert_same_run(alone(params, s, 50), r)


def test_mixed_routes_are_exercised(monkeypatch):
    """In the cases above some weeks have trusts that scatter beside trusts that take the mat-vec of their
    own rows, with the dense trusts both at the ends of the batch and between scattering ones."""
    seen = []
    orig = batch_mod.BatchLiveNetwork.in_sum

    def spy(self, values, nonzero=None, W=None):
        n = self.n // self.blocks
        scatter = np.bincount(nonzero // n, minlength=self.blocks) * 5 < n
        seen.append(tuple(scatter.tolist()))
        return orig(self, values, nonzero, W)

    monkeypatch.setattr(batch_mod.BatchLiveNetwork, "in_sum", spy)
    simulate_batch(load_scenario(*CASES["baseline-1000"]), [11, 12, 13, 14, 15], size=5)
    mixed = [s for s in seen if any(s) and not all(s)]
    assert mixed and any(all(s) for s in seen) and any(not any(s) for s in seen)
    assert any(not s[0] or not s[-1] for s in mixed)  # a dense trust at an end of the union
    assert any(not s[i] and s[i - 1] and s[i + 1] for s in mixed for i in range(1, len(s) - 1)) or \
        any(s[i] and not s[i - 1] and not s[i + 1] for s in mixed for i in range(1, len(s) - 1))  # runs inside


def test_run_replicates_on_two_processes_equals_one():
    """Batches spread over worker processes give each replicate the numbers of one process."""
    from model.runner import run_replicates

    params = load_scenario("baseline", ["organisation.staff=300", "organisation.pathways=2"])
    one = run_replicates(params, 5, seed=3, weeks=40, workers=1)
    two = run_replicates(params, 5, seed=3, weeks=40, workers=2)
    for a, b in zip(one, two):
        assert_same_run(a, b)


class _Huddles:
    """A toy new mechanism (docs/ODD.md, "Adding a mechanism"): practitioners recruit a unit colleague."""

    outputs = ("huddle_recruits",)

    def __init__(self, model):
        self.unit_of, self.n_units = model.org.unit_of, model.org.n_units
        self.rng = np.random.default_rng(model.seed + 7)
        self.recruits = 0

    def step(self, model, week):
        u = self.rng.random(model.practising.size)
        unit_practises = np.bincount(self.unit_of, weights=model.practising, minlength=self.n_units) > 0
        newly = np.flatnonzero(unit_practises[self.unit_of] & ~model.practising & (u < 0.002 * model.attention))
        model.practising[newly] = True
        self.recruits = newly.size
        return [(week, "huddle", f"{newly.size} joined")] if newly.size else []

    def record(self, model, week, history):
        history["huddle_recruits"][week] = self.recruits


def test_a_new_mechanism_runs_in_a_batch_without_a_batched_form(monkeypatch):
    """A process the batch does not know runs as each replicate's own step on its views: the same numbers."""
    orig = TrustModel.__init__

    def init(self, *a, **k):
        orig(self, *a, **k)
        h = _Huddles(self)
        sched = list(self.schedule)
        sched.insert(sched.index(self.exchange) + 1, h)
        self.schedule = tuple(sched)
        self._recorders.append(h)
        self.history["huddle_recruits"] = np.full(self.weeks + 1, np.nan)
        self.history["huddle_recruits"][0] = 0

    monkeypatch.setattr(TrustModel, "__init__", init)
    params = load_scenario(*CASES["sash-teaching"])
    seeds = [21, 22, 23]
    ref = [alone(params, s) for s in seeds]
    got = simulate_batch(params, seeds, size=3)
    assert sum(r.weekly["huddle_recruits"].sum() for r in ref) > 0  # the mechanism acted
    assert any(e[1] == "huddle" for r in ref for e in r.events)
    for a, b in zip(ref, got):
        assert_same_run(a, b)


def test_finished_runs_are_freed_without_the_cyclic_collector():
    """A run's arrays go when its outputs are taken, not at the next full garbage collection.

    A model sits in reference cycles (Mesa's Model, the schedule's bound
    methods); before ``TrustModel.release`` a sweep worker's memory grew by
    about 95 MB a 50-replicate batch of 1,000 staff until a full collection
    came, so a 1,000-run sweep's process tree reached 1.7 GB. With the cyclic
    collector off, what the runs allocated must be back within a few MB.
    """
    import gc
    import tracemalloc

    params = load_scenario("baseline")
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        results = simulate_batch(params, [1, 2, 3], weeks=30, extras=False) + [simulate(params, 4, weeks=30)]
        kept = sum(r.weekly.memory_usage(deep=True).sum() for r in results)
        del results
        now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        gc.enable()
    assert peak - before > 10 * 2**20, "the runs allocated too little for this check to mean anything"
    assert now - before < 2 * 2**20, (f"{(now - before) / 2**20:.1f} MB still held after the runs "
                                      f"(outputs were {kept / 2**20:.2f} MB)")


#: One changed value for each parameter a batch's replicates may differ in (batch.PER_REPLICATE); the base is
#: MIXED_BASE.
MIXED_BASE = ("baseline", ["organisation.staff=600", "organisation.pathways=3", "leadership.ceo_changes=[60]"])
MIXED_CHANGES = {
    "network.ties_per_person": 7.0, "network.cross_unit_ties": 3.0, "network.reciprocity": 0.8,
    "network.same_directorate_share": 0.3, "network.cross_unit_mode": "clustered", "network.bridge_width": 5,
    "network.manager_reciprocity": 0.9, "exchange.threshold": 0.15, "exchange.threshold_sd": 0.02,
    "turnover.staff_annual": 0.3, "turnover.manager_annual": 0.4,
    "leadership.commitment": 0.95, "leadership.ceo_changes": [30, 120], "leadership.integration": 0.9,
    "leadership.pressure": [{"start": 20, "end": 80, "level": 0.8}], "leadership.ceo_hazard_annual": 1.0,
    "leadership.successor_commitment": 0.9, "leadership.successor_commitment_sd": 0.3,
    "leadership.transition_weeks": 10, "leadership.not_sighted_factor": 0.8,
    "forums.ties_per_person_annual": 2.0, "forums.cohort_size": 4, "forums.start_week": 40,
    "rpiw.trainees": 3, "rpiw.waste_cut": 0.4, "rpiw.focus": 0.4, "rpiw.focus_final": 0.95, "rpiw.focus_ramp_weeks": 50,
    "managers.alignment": 0.3, "managers.base_support": 0.5, "managers.involvement": 0.5,
    "managers.pilot_involvement": 0.2, "managers.recognition_weight": 0.6, "managers.adjust_weeks": 4.0,
    "managers.initial_support": 0.6, "managers.partnership_support": 0.8,
}


def test_every_per_replicate_parameter_is_covered():
    """MIXED_CHANGES names every parameter of batch.PER_REPLICATE, and nothing else."""
    assert batch_mod.PER_REPLICATE <= set(MIXED_CHANGES)
    assert all(k in batch_mod.PER_REPLICATE for k in MIXED_CHANGES)


def test_points_that_differ_per_replicate_share_a_batch_and_equal_runs_alone():
    """Design points differing in any parameter each replicate reads while built run in one batch,
    and every replicate is its run alone, bit for bit (weekly table, summary, events, network, survey)."""
    base = load_scenario(*MIXED_BASE)
    plist = [base] + [base.with_values({k: v}) for k, v in MIXED_CHANGES.items()]
    assert len({batch_mod.batch_key(p) for p in plist}) == 1
    seeds = list(range(21, 21 + len(plist)))
    b = batch_mod.TrustBatch(plist, seeds)
    assert b.B == len(plist)
    b.release()
    got = simulate_batch(plist, seeds, size=len(plist))
    for p, s, r in zip(plist, seeds, got):
        assert_same_run(alone(p, s), r)


def test_a_shared_parameter_keeps_points_apart():
    """A parameter the batch's processes share (here the adoption rate) gives another batch key; a batch of
    both is refused with the key named; simulate_batch runs them in separate batches, results in seed order."""
    base = load_scenario("sash-teaching")
    other = base.with_values({"exchange.adoption_rate": 0.5})
    assert batch_mod.batch_key(base) != batch_mod.batch_key(other)
    with pytest.raises(ValueError, match="exchange.adoption_rate"):
        batch_mod.TrustBatch([base, other], [1, 2])
    plist, seeds = [base, other, base, other], [1, 2, 3, 4]
    for p, s, r in zip(plist, seeds, simulate_batch(plist, seeds, weeks=60)):
        assert_same_run(alone(p, s, 60), r)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keys=st.lists(st.sampled_from(sorted(MIXED_CHANGES)), min_size=1, max_size=4),
       seed=st.integers(0, 2**32))
def test_any_mix_of_per_replicate_changes(keys, seed):
    """Any points made of per-replicate changes, batched together, equal their runs alone."""
    base = load_scenario("baseline", ["organisation.staff=200", "organisation.pathways=2",
                                      "organisation.directorates=2", "outputs.survey_week=20"])
    plist = [base.with_values({k: MIXED_CHANGES[k]}) for k in keys] + [base]
    seeds = [seed + i for i in range(len(plist))]
    for p, s, r in zip(plist, seeds, simulate_batch(plist, seeds, 40)):
        assert_same_run(alone(p, s, 40), r)
