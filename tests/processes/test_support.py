"""Process 2, middle managers: target = attention x alignment x (base + involvement + recognition terms)."""

from __future__ import annotations

import numpy as np

from model.organisation import build_organisation
from model.processes.support import ManagerSupport

from conftest import small_params


def ms(**over):
    p = small_params(**over)
    org = build_organisation(p, np.random.default_rng(0))
    return ManagerSupport(p, org), org, p


def test_target_formula():
    s, org, p = ms(managers__alignment=0.8, managers__base_support=0.2, managers__involvement=0.1,
                   managers__pilot_involvement=0.5, managers__recognition_weight=0.3)
    rec = np.linspace(0, 1, org.n_units)
    t = s.target(0.7, rec)
    inv = np.where(org.unit_pilot, 0.5, 0.1)
    floor = np.where(org.unit_pilot, p.managers.partnership_support, 0.0)
    assert np.allclose(t, np.clip(np.maximum(0.7 * 0.8 * (0.2 + inv + 0.3 * rec), floor), 0, 1))
    assert np.all(t[org.unit_pilot] > s.target(0.7, np.zeros(org.n_units))[org.unit_pilot] - 1e-12)


def test_alignment_is_a_gate_zero_alignment_zero_target():
    s, org, _ = ms(managers__alignment=0.0, managers__base_support=1.0, managers__involvement=1.0,
                   managers__pilot_involvement=1.0, managers__recognition_weight=1.0)
    t = s.target(1.0, np.ones(org.n_units))
    assert np.all(t[~org.unit_pilot] == 0.0)
    # pilot teams keep the partnership's floor (the coaches working alongside them), nothing more
    assert np.allclose(t[org.unit_pilot], s.floor[org.unit_pilot])


def test_partnership_floor_reaches_pilot_units_only():
    s, org, _ = ms(managers__partnership_support=0.6)
    t = s.target(0.0, np.zeros(org.n_units))
    assert np.allclose(t[org.unit_pilot], 0.6) and np.all(t[~org.unit_pilot] == 0.0)


def test_alignment_multiplies_not_adds():
    lo, org, _ = ms(managers__alignment=0.25)
    hi, _, _ = ms(managers__alignment=0.5)
    rec = np.full(org.n_units, 0.7)
    a, b = lo.target(0.6, rec), hi.target(0.6, rec)
    ok = (b < 1) & ~org.unit_pilot  # away from the clip and from the pilots' partnership floor
    assert np.allclose(b[ok], 2 * a[ok])


def test_zero_attention_zero_target():
    s, org, _ = ms()
    t = s.target(0.0, np.ones(org.n_units))
    assert np.all(t[~org.unit_pilot] == 0.0)  # pilots keep only the partnership's floor
    assert np.allclose(t[org.unit_pilot], s.floor[org.unit_pilot])


def test_pilot_managers_count_as_involved():
    s, org, _ = ms(managers__involvement=0.0, managers__pilot_involvement=0.5)
    t = s.target(1.0, np.zeros(org.n_units))
    assert np.all(t[org.unit_pilot] > t[~org.unit_pilot].max())


def test_support_moves_toward_target_with_time_constant():
    s, org, p = ms(managers__adjust_weeks=12)
    support = np.full(org.n_units, 0.1)
    rec = np.zeros(org.n_units)
    target = s.target(0.9, rec)
    s.update(support, 0.9, rec)
    assert np.allclose(support, 0.1 + (target - 0.1) / 12)
    for _ in range(200):
        s.update(support, 0.9, rec)
    assert np.allclose(support, target, atol=1e-6)
    # exponential approach: after adjust_weeks weeks about 1 - 1/e of the gap is closed
    support = np.full(org.n_units, 0.0)
    for _ in range(12):
        s.update(support, 0.9, rec)
    closed = support / np.where(target > 0, target, 1)
    assert np.allclose(closed[target > 0], 1 - (1 - 1 / 12) ** 12)


def test_support_stays_in_unit_interval():
    s, org, _ = ms(managers__base_support=1.0, managers__involvement=1.0, managers__pilot_involvement=1.0,
                   managers__recognition_weight=1.0, managers__alignment=1.0, managers__adjust_weeks=1)
    support = np.zeros(org.n_units)
    s.update(support, 1.0, np.ones(org.n_units))
    assert np.all((support >= 0) & (support <= 1)) and support.max() == 1.0
