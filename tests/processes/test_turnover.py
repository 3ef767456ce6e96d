"""Process 6, turnover: leaving at the annual rate, replacement resets state, cross-unit ties re-form."""

from __future__ import annotations

import numpy as np
import pytest

from model.live_network import LiveNetwork
from model.network import build_network
from model.organisation import CHIEF_EXECUTIVE, build_organisation
from model.processes.turnover import Turnover, weekly_rate

from conftest import small_model, small_params


def setup(**over):
    p = small_params(**over)
    org = build_organisation(p, np.random.default_rng(0))
    net = build_network(org, p, 260, np.random.default_rng(1))
    return Turnover(p, org), org, LiveNetwork(net, p, 260), p


@pytest.mark.parametrize("annual", [0.0, 0.1, 0.12, 0.5, 0.99])
def test_weekly_rate_compounds_to_annual(annual):
    assert 1 - (1 - weekly_rate(annual)) ** 52 == pytest.approx(annual)


def test_rates_by_role():
    t, org, _, _ = setup(turnover__staff_annual=0.1, turnover__manager_annual=0.3)
    assert t.rate[org.role == CHIEF_EXECUTIVE].tolist() == [0.0]
    assert np.allclose(t.rate[org.is_manager], weekly_rate(0.3))
    other = ~org.is_manager & (org.role != CHIEF_EXECUTIVE)
    assert np.allclose(t.rate[other], weekly_rate(0.1))


def test_leavers_per_year_match_the_annual_rate():
    m = small_model(turnover__staff_annual=0.15, turnover__manager_annual=0.15, weeks=52).run()
    leavers = m.history["leavers"][1:].sum()
    n = m.n - 1  # the chief executive does not leave this way
    # a post can turn over twice in a year; expected leavers = n x 52 x weekly rate
    lam = n * 52 * weekly_rate(0.15)
    assert abs(leavers - lam) < 4 * np.sqrt(lam)


def test_replacement_resets_state_and_cross_ties_go_dormant(rng):
    t, org, live, p = setup(turnover__newcomer_capability=0.05, turnover__reform_weeks=10)
    net = live.structure
    n = org.n_staff
    t.rate[:] = 0.0
    leaver = int(np.flatnonzero(org.role == 0)[5])  # a frontline person
    t.rate[leaver] = 1.0
    cap = np.full(n, 0.7)
    prac = np.ones(n, bool)
    tenure = np.full(n, 100)
    support = np.full(org.n_units, 0.6)
    before = live.active_from.copy()
    week = 50
    leavers = t.update(week, live, cap, prac, tenure, support, rng, np.random.default_rng(2))
    dormant = live.dormant
    assert leavers.tolist() == [leaver]
    assert cap[leaver] == 0.05 and not prac[leaver] and tenure[leaver] == 0
    others = np.arange(n) != leaver
    assert np.all(cap[others] == 0.7) and prac[others].all() and np.all(tenure[others] == 101)
    assert np.all(support == 0.6)  # a frontline leaver does not touch support
    incident = (net.src == leaver) | (net.dst == leaver)
    cross = incident & net.cross
    assert cross.any()
    assert set(dormant.tolist()) == set(np.flatnonzero(cross).tolist())
    assert np.all(live.active_from[cross] > week)  # dormant, re-form later
    assert not live.live[cross].any() and live.live[~cross & (before <= week)].all()
    assert np.array_equal(live.active_from[~cross], before[~cross])  # in-unit ties kept
    assert np.array_equal(net.active_from, before)  # the structure's schedule is never written
    # a mutual pair re-forms together
    mutual = cross & net.reciprocal
    assert np.array_equal(live.active_from[mutual], live.active_from[net.reverse[mutual]])


def test_reform_delay_has_the_stated_mean(rng):
    t, org, live, _ = setup(turnover__reform_weeks=20, network__reciprocity=0.0, network__cross_unit_ties=4.0)
    t.rate[:] = 0.0
    t.rate[np.flatnonzero(org.role == 0)[::3]] = 1.0
    t.update(10, live, np.zeros(org.n_staff), np.zeros(org.n_staff, bool),
             np.zeros(org.n_staff, int), np.zeros(org.n_units), rng, np.random.default_rng(0))
    dormant = live.dormant
    delay = live.active_from[dormant] - 10
    one_way = ~live.structure.reciprocal[dormant]
    assert np.all(delay >= 1)
    d = delay[one_way]  # geometric with mean 20 (mutual pairs take the later of two draws)
    assert d.size > 200
    assert abs(d.mean() - 20) < 4 * np.sqrt(20 * 19 / d.size)


def test_manager_leaving_partly_resets_support(rng):
    t, org, live, _ = setup(managers__turnover_reset=0.5)
    t.rate[:] = 0.0
    mgr = org.unit_manager[2]
    t.rate[mgr] = 1.0
    support = np.full(org.n_units, 0.8)
    n = org.n_staff
    t.update(5, live, np.zeros(n), np.zeros(n, bool), np.zeros(n, int), support, rng, np.random.default_rng(0))
    assert support[2] == pytest.approx(0.4)
    assert np.all(np.delete(support, 2) == 0.8)


@pytest.mark.parametrize("name", ["baseline-teaching", "sash-teaching"])  # sash has peer-learning forums
def test_in_model_dormant_ties_are_off_then_reform(name):
    """Live-arc bookkeeping in the model matches active_from every week; cross ties dip and recover."""
    m = small_model(name, turnover__staff_annual=0.5, turnover__reform_weeks=8, weeks=80)
    start_cross = m.history["cross_unit_ties_per_person"][0]
    dips = []
    for _ in range(80):
        m.step()
        ln = m.live
        live = ln.active_from <= m.week
        assert np.array_equal(ln.live, live)
        # the exposure denominator counts live arcs except forum ties (ODD 7.4)
        assert np.array_equal(ln.in_degree, np.bincount(m.net.dst, weights=live & ~m.net.forum, minlength=m.n))
        assert ln.n_live == live.sum()
        w = np.where(m.net.reciprocal, 1.0, m.params.network.one_directional_weight) * live
        assert np.allclose(ln.W.data, w)
        assert np.array_equal(ln.w_out, ln.W.data[m.net.out_order])  # the sender-ordered copy follows
        assert np.array_equal(ln.dormant_week, ln.active_from[ln.dormant])  # wake weeks stay as set
        assert np.all(ln.dormant_week > m.week)
        off = np.flatnonzero(~live)  # every switched-off arc is pending: dormant, or a forum tie not yet formed
        assert np.isin(off, np.concatenate([ln.dormant, ln.forum_arcs])).all()
        dips.append(m.history["cross_unit_ties_per_person"][m.week])
    assert min(dips) < start_cross  # some ties dormant
    # steady state: share live ~ 1 / (1 + weekly leaving x ~2 ends x reform weeks) - well above zero
    assert dips[-1] > 0.7 * start_cross
    # in-unit ties never go dormant
    assert np.all(m.live.active_from[~m.net.cross] == 0)


def test_higher_turnover_erodes_capability_and_practice():
    lo = small_model(seed=3, turnover__staff_annual=0.02).run()
    hi = small_model(seed=3, turnover__staff_annual=0.4).run()
    assert hi.history["leavers"].sum() > 5 * lo.history["leavers"].sum()
    assert hi.history["capability_mean"][-1] < lo.history["capability_mean"][-1]


def test_a_batch_form_offsets_units_and_counts_leavers_per_replicate():
    """Turnover.over: the second replicate's units follow the first's; ``record`` counts each one's leavers."""
    t, org, _, _ = setup()
    joined = Turnover.over([t, t])
    n, U = org.n_staff, org.n_units
    assert np.array_equal(joined.unit_of[n:], org.unit_of + U) and joined.rate.size == 2 * n
    joined.leavers = np.array([1, 5, n + 2])
    history = {"leavers": np.full((2, 3), np.nan)}
    joined.record(None, 1, history)
    assert history["leavers"][:, 1].tolist() == [2, 1]
