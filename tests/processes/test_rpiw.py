"""Process 3, RPIWs: schedule, trainees, waste removed with focus, the cap."""

from __future__ import annotations

import numpy as np
import pytest

from model.organisation import build_organisation
from model.processes.performance import Performance
from model.processes.rpiw import Workshops

from conftest import small_params


def ws(weeks=260, **over):
    p = small_params(**over)
    org = build_organisation(p, np.random.default_rng(0))
    return Workshops(p, org, weeks), org, p


def test_schedule():
    w, org, p = ws(rpiw__start_week=13, rpiw__stagger_weeks=8, rpiw__interval_weeks=13, rpiw__count=4,
                   organisation__pathways=3)
    assert w.first_week.tolist() == [13, 21, 29]
    expected = {}
    for k, f in enumerate([13, 21, 29]):
        for j in range(4):
            expected.setdefault(f + 13 * j, []).append(k)
    assert w.schedule == expected
    assert sum(len(v) for v in w.schedule.values()) == 12


def test_schedule_is_cut_at_the_horizon_and_count_zero_means_none():
    w, _, _ = ws(weeks=50, rpiw__count=12)
    assert max(w.schedule) <= 50
    w0, _, _ = ws(rpiw__count=0)
    assert w0.schedule == {}


def test_trainees_capability_and_practice(rng):
    w, org, p = ws(rpiw__trainees=6, rpiw__trained_capability=0.8)
    n = org.n_staff
    cap = np.full(n, 0.1)
    prac = np.zeros(n, bool)
    gain = np.zeros(org.n_units)
    first = int(w.first_week[0])
    held = w.update(first, cap, prac, gain, rng)
    assert 0 in held
    staff = w.staff[0]
    assert prac.sum() == 6 and prac[staff].sum() == 6
    assert np.all(cap[prac] == 0.8) and np.all(cap[~prac] == 0.1)
    # people not yet practising are trained first
    for _ in range(3):
        before = prac.sum()
        w.update(first, cap, prac, gain, rng)
        assert prac.sum() == before + 6
    # capability never lowered by training
    cap[staff] = 0.95
    w.update(first, cap, prac, gain, rng)
    assert np.all(cap[staff] == 0.95)
    # no week without an RPIW changes anything
    quiet = next(k for k in range(1, 300) if k not in w.schedule)
    c2, p2, g2 = cap.copy(), prac.copy(), gain.copy()
    assert w.update(quiet, cap, prac, gain, rng) == []
    assert np.array_equal(c2, cap) and np.array_equal(p2, prac) and np.array_equal(g2, gain)


def test_trainees_capped_by_pathway_staff(rng):
    w, org, _ = ws(rpiw__trainees=100)
    n = org.n_staff
    prac = np.zeros(n, bool)
    w.update(int(w.first_week[0]), np.zeros(n), prac, np.zeros(org.n_units), rng)
    assert prac.sum() == w.staff[0].size <= 100


def test_waste_cut_scaled_by_focus_on_remaining_waste(rng):
    w, org, p = ws(rpiw__waste_cut=0.25, rpiw__focus=0.4, rpiw__focus_final=0.4)
    gain = np.zeros(org.n_units)
    n = org.n_staff
    first = int(w.first_week[0])
    units = org.pathway_units[0]
    w.update(first, np.zeros(n), np.zeros(n, bool), gain, rng)
    assert np.allclose(gain[units], 0.1)
    w.update(first, np.zeros(n), np.zeros(n, bool), gain, rng)
    assert np.allclose(gain[units], 0.1 + 0.1 * 0.9)
    others = np.setdiff1d(np.arange(org.n_units), units)
    assert np.all(gain[others] == 0)


def test_focus_ramp():
    w, _, _ = ws(rpiw__start_week=13, rpiw__focus=0.3, rpiw__focus_final=0.9, rpiw__focus_ramp_weeks=52)
    assert w.focus(0) == pytest.approx(0.3) and w.focus(13) == pytest.approx(0.3)
    assert w.focus(13 + 26) == pytest.approx(0.6)
    assert w.focus(13 + 52) == pytest.approx(0.9) and w.focus(500) == pytest.approx(0.9)
    w2, _, _ = ws(rpiw__focus=0.3, rpiw__focus_final=0.9, rpiw__focus_ramp_weeks=0)
    assert w2.focus(200) == 0.3


def test_broad_target_yields_less(rng):
    gains = []
    for focus in (0.2, 0.9):
        w, org, _ = ws(rpiw__focus=focus, rpiw__focus_final=focus)
        gain = np.zeros(org.n_units)
        for week in sorted(w.schedule)[:6]:
            w.update(week, np.zeros(org.n_staff), np.zeros(org.n_staff, bool), gain, rng)
        gains.append(gain[org.unit_pilot].mean())
    assert gains[0] < 0.5 * gains[1]


def test_waste_is_capped(rng):
    """Compounding RPIWs cannot cut lead time below 1 - max_waste_share."""
    w, org, p = ws(rpiw__waste_cut=1.0, rpiw__count=200, rpiw__interval_weeks=1, performance__max_waste_share=0.45)
    perf = Performance(p, org, w.first_week, 260)
    gain = np.zeros(org.n_units)
    for week in sorted(w.schedule):
        w.update(week, np.zeros(org.n_staff), np.zeros(org.n_staff, bool), gain, rng)
    assert np.all(gain <= 1.0)
    lt = perf.true_lead_time(gain, np.ones(org.n_units))
    assert lt.min() >= 1 - 0.45 - 1e-12
    assert lt[org.unit_pilot].max() == pytest.approx(1 - 0.45)
