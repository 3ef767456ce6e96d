"""The trust model as a whole: determinism, common random numbers, Mesa agents, outputs in range."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from model.outputs import REGIMES, regime, summarise
from model.runner import replicate_seeds, run_replicates, simulate
from model.trust import STATE, STREAMS, WEEKLY, TrustModel

from conftest import WORKERS, small_model, small_params

SHARES = ("adoption_pilot", "adoption_rest", "adoption_trust", "capability_mean", "capable_share", "reach",
          "attention", "commitment", "pressure", "manager_support", "manager_support_pilot",
          "manager_support_rest", "recognition_pilot", "detected_share")


def same_dict(a: dict, b: dict) -> None:
    """Equal dicts, NaN equal to NaN."""
    pd.testing.assert_series_equal(pd.Series(a, dtype=object), pd.Series(b, dtype=object))


def test_is_a_mesa_model():
    m = small_model(weeks=3)
    assert isinstance(m, mesa.Model)
    assert len(STREAMS) == len(set(STREAMS))


def test_same_seed_same_numbers():
    a = small_model("bhr-teaching", seed=11).run().weekly_frame()
    b = small_model("bhr-teaching", seed=11).run().weekly_frame()
    pd.testing.assert_frame_equal(a, b)


def test_different_seeds_differ():
    a = small_model(seed=1).run().weekly_frame()
    b = small_model(seed=2).run().weekly_frame()
    assert not a.equals(b)
    assert not np.allclose(a["lead_time_change_pilot"], b["lead_time_change_pilot"])


def test_seed_forms():
    p = small_params()
    a = TrustModel(p, rng=5, weeks=10, agents=False).run().weekly_frame()
    b = TrustModel(p, rng=np.random.SeedSequence(5), weeks=10, agents=False).run().weekly_frame()
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError):
        TrustModel(p, rng=-1, weeks=2)
    with pytest.raises(ValueError):
        TrustModel(p, rng=1, weeks=0)


def test_run_is_a_pure_function_of_params_and_seed():
    r1 = simulate(small_params(), 42, weeks=60)
    r2 = simulate(small_params(), 42, weeks=60)
    pd.testing.assert_frame_equal(r1.weekly, r2.weekly)
    same_dict(r1.summary, r2.summary)
    same_dict(r1.network_start, r2.network_start)
    assert r1.events == r2.events


def test_runner_one_vs_two_processes_identical():
    p = small_params("uhcw-teaching")
    one = run_replicates(p, 4, seed=9, weeks=80, workers=1)
    two = run_replicates(p, 4, seed=9, weeks=80, workers=max(2, WORKERS))
    assert [r.seed for r in one] == [r.seed for r in two] == replicate_seeds(9, 4)
    for a, b in zip(one, two):
        pd.testing.assert_frame_equal(a.weekly, b.weekly)
        same_dict(a.summary, b.summary)
        same_dict(a.network_end, b.network_end)


def test_pool_forks_only_without_other_python_threads():
    """A worker pool forks a lone main thread (no __main__ guard needed) and uses
    forkserver while another Python thread runs (forking it could deadlock),
    with the same results either way."""
    import threading

    from model.pool import pool_context

    if threading.active_count() == 1:
        assert pool_context().get_start_method() == "fork"
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, daemon=True)
    t.start()
    try:
        assert pool_context().get_start_method() == "forkserver"
        p = small_params("baseline")
        threaded = run_replicates(p, 2, seed=4, weeks=30, workers=2)
    finally:
        stop.set()
        t.join()
    alone = run_replicates(p, 2, seed=4, weeks=30, workers=1)
    for a, b in zip(threaded, alone):
        pd.testing.assert_frame_equal(a.weekly, b.weekly)


def test_replicate_seeds_stable_and_distinct():
    s = replicate_seeds(0, 50)
    assert len(set(s)) == 50
    assert replicate_seeds(0, 10) == s[:10]  # replicate i's seed does not depend on the number of replicates
    assert replicate_seeds(1, 10) != s[:10]


def test_mesa_agents_view_the_arrays():
    m = small_model(weeks=60, agents=True, exchange__initial_practising=0.2)
    for _ in range(30):
        m.step()
    agents = m.agents
    assert len(agents) == m.n
    idx = np.array([a.idx for a in agents])
    assert np.array_equal(np.sort(idx), np.arange(m.n))
    practising = agents.select(lambda a: a.practising)
    assert len(practising) == int(m.practising.sum()) > 0
    assert agents.agg("capability", np.mean) == pytest.approx(m.capability.mean())
    assert agents.agg("practising", sum) == int(m.practising.sum())
    by_unit = agents.groupby("unit").count()
    assert by_unit == {u: int(s) for u, s in enumerate(m.org.unit_size)}
    by_role = agents.groupby("role").count()
    assert by_role["chief executive"] == 1
    # a view, not a copy: the fast path changes what the agents see
    a = next(iter(agents))
    m.capability[a.idx] = 0.123
    m.practising[a.idx] = True
    assert a.capability == 0.123 and a.practising and a.state == "practising"
    assert a.unit == m.org.unit_of[a.idx] and a.pilot == bool(m.org.staff_pilot[a.idx])
    assert a.tenure == m.tenure[a.idx]
    m.practising[a.idx] = False
    assert a.state == "not practising"  # capability 0.123 is below the capable level


def test_agents_do_not_change_results():
    a = small_model(seed=4, agents=True).run().weekly_frame()
    b = small_model(seed=4, agents=False).run().weekly_frame()
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("override", [{"trust.label": "another name"}, {"leadership.ceo_changes": [2000]},
                                      {"forums.start_week": 1500}, {"leadership.ceo_hazard_annual": 0.0},
                                      {"rpiw.focus_final": 0.9, "rpiw.focus_ramp_weeks": 0}])
def test_override_that_changes_nothing_gives_identical_output(override):
    base = small_params()
    a = simulate(base, 7).weekly
    b = simulate(base.with_values(override), 7).weekly
    pd.testing.assert_frame_equal(a, b)


def test_common_random_numbers_across_a_real_change():
    """A leadership change leaves the organisation, network and turnover draws untouched."""
    base = small_params()
    a = TrustModel(base, rng=3, agents=False)
    b = TrustModel(base.with_values({"leadership.commitment": 0.2, "managers.alignment": 0.3}), rng=3, agents=False)
    assert np.array_equal(a.org.unit_size, b.org.unit_size)
    assert np.array_equal(a.net.src, b.net.src) and np.array_equal(a.net.dst, b.net.dst)
    assert np.array_equal(a.exchange.threshold, b.exchange.threshold)
    assert np.array_equal(a.capability, b.capability)
    a.run()
    b.run()
    # turnover draws one uniform per person per week whatever happens: same leavers every week
    assert np.array_equal(a.history["leavers"], b.history["leavers"])
    # and the noise stream: same shocks (lead times differ only through the changed mechanisms)
    assert a.weekly_frame()["leavers"].equals(b.weekly_frame()["leavers"])


@pytest.mark.parametrize("name", ["baseline-teaching", "sash-teaching", "bhr-teaching", "uhcw-teaching"])
def test_outputs_in_range_no_nan(name):
    m = small_model(name, seed=5, leadership__ceo_hazard_annual=0.5).run()
    df = m.weekly_frame()
    assert list(df.columns) == ["week", *WEEKLY]
    assert len(df) == m.weeks + 1
    assert not df.isna().any().any()
    for k in SHARES:
        assert df[k].between(0, 1).all(), k
    maxw = m.params.performance.max_waste_share
    for k in ("lead_time_change_pilot", "lead_time_change_rest"):
        assert df[k].between(-maxw - 1e-12, 0).all(), k
    assert (df["leavers"] >= 0).all() and (df["live_arcs"] > 0).all()
    # weekly series agree with the state arrays at the end
    assert df["adoption_trust"].iloc[-1] == pytest.approx(m.practising.mean())
    assert df["capability_mean"].iloc[-1] == pytest.approx(m.capability.mean())
    assert df["live_arcs"].iloc[-1] == (m.live.active_from <= m.week).sum()
    units = m.unit_frame()
    assert units["adoption"].between(0, 1).all() and len(units) == m.org.n_units - 1


def test_network_stats_at_start_and_end():
    m = small_model("sash-teaching", seed=2)
    start = m.network_start
    assert m.network_end is None
    m.run()
    end = m.network_end
    for s in (start, end):
        for k in ("density", "reciprocity_arcs", "reciprocity_pairs", "one_directional_share", "clustering_mean"):
            assert 0 <= s[k] <= 1
    assert end["week"] == m.weeks and start["week"] == 0
    assert end["arcs"] > start["arcs"]  # forums add ties in SASH


def test_state_the_processes_change_is_declared():
    """Every array the weekly processes change in place on the model is in trust.STATE (the batch stacks those
    with a replicate axis, so one left out would be one replicate's alone)."""
    m = small_model(weeks=60, rollout__unit_share_annual=0.5, rollout__start_week=1)
    before = {k: (v, v.copy()) for k, v in vars(m).items() if isinstance(v, np.ndarray)}
    m.run()
    changed = {k for k, (v, old) in before.items() if getattr(m, k) is v and not np.array_equal(v, old)}
    assert changed == set(STATE)


def test_step_past_the_horizon_stops():
    m = small_model(weeks=5)
    for _ in range(8):
        m.step()
    assert m.week == 5 and not m.running


def test_events_recorded():
    m = small_model(weeks=60, leadership__ceo_changes=[30]).run()
    kinds = {k for _, k, _ in m.events}
    assert {"rpiw", "ceo_change"} <= kinds
    assert all(0 < w <= 60 for w, _, _ in m.events)


def test_summary_and_regime():
    r = simulate(small_params(), 1)
    s = r.summary
    assert s["regime"] in REGIMES
    assert s["adoption_trust_peak"] >= s["adoption_trust_final"]
    assert s["lead_time_change_pilot_best"] <= s["lead_time_change_pilot_final"]
    assert 0 <= s["sustainment"] <= 1
    assert 0 <= s["detected_52w_share"] <= s["detected_104w_share"] <= 1
    p = small_params()
    o = p.outputs
    assert regime(-0.05, 0.9, p) == "no gain"
    assert regime(-0.3, o.local_max_reach - 0.01, p) == "local"
    assert regime(-0.3, o.local_max_reach, p) == "partial"
    assert regime(-0.3, o.trustwide_min_reach, p) == "trust-wide"


def test_summary_detection_windows():
    weekly = pd.DataFrame({"week": np.arange(261), **{k: np.zeros(261) for k in WEEKLY}})
    p = small_params()
    first = np.array([13, 21, 200])
    s = summarise(weekly, p, first, np.array([60, 150, -1]), 0)
    # pathway 1 detected 47 weeks after its first RPIW; pathway 2 after 129; pathway 3 is not due at 104 w
    assert s["detected_52w_share"] == pytest.approx(1 / 3)  # pathway 3 (week 200 + 52 > 260) not due
    assert s["detected_104w_share"] == pytest.approx(1 / 2)
