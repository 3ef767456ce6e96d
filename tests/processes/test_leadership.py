"""Process 1, leadership: attention = commitment x (1 - pressure x (1 - integration)) x sighted."""

from __future__ import annotations

import numpy as np
import pytest

from model.processes.leadership import Leadership

from conftest import small_params


def lead(weeks=260, seed=0, **over):
    return Leadership(small_params(**over), weeks, np.random.default_rng(seed))


def test_attention_formula_without_events():
    L = lead(leadership__commitment=0.8, leadership__integration=0.25,
             leadership__pressure=[{"start": 50, "end": 100, "level": 0.6}])
    att = L.attention
    assert att.shape == (261,)
    assert np.allclose(att[:50], 0.8)
    assert np.allclose(att[50:100], 0.8 * (1 - 0.6 * (1 - 0.25)))
    assert np.allclose(att[100:], 0.8)
    assert L.update(75) == pytest.approx(0.8 * (1 - 0.6 * 0.75))
    assert L.update(10_000) == att[-1]  # beyond the horizon: the last value


@pytest.mark.parametrize("integration,expected", [(0.0, 0.9 * 0.2), (1.0, 0.9), (0.5, 0.9 * 0.6)])
def test_integration_shields_from_pressure(integration, expected):
    L = lead(leadership__commitment=0.9, leadership__integration=integration,
             leadership__pressure=[{"start": 0, "end": 261, "level": 0.8}])
    assert np.allclose(L.attention, expected)


def test_overlapping_pressure_windows_take_the_maximum():
    L = lead(leadership__integration=0.0, leadership__commitment=1.0,
             leadership__pressure=[{"start": 10, "end": 30, "level": 0.3}, {"start": 20, "end": 40, "level": 0.5}])
    assert L.pressure[15] == 0.3 and L.pressure[25] == 0.5 and L.pressure[35] == 0.5 and L.pressure[40] == 0


def test_scheduled_ceo_change_draws_new_commitment_and_opens_a_transition():
    L = lead(leadership__commitment=0.9, leadership__ceo_changes=[100], leadership__transition_weeks=26,
             leadership__not_sighted_factor=0.3, leadership__successor_commitment=0.4,
             leadership__successor_commitment_sd=0.0, leadership__pressure=[])
    assert L.change_weeks.tolist() == [100]
    assert np.allclose(L.commitment[:100], 0.9) and np.allclose(L.commitment[100:], 0.4)
    assert np.allclose(L.sighted[100:126], 0.3) and np.allclose(L.sighted[126:], 1.0) and np.allclose(L.sighted[:100], 1)
    assert np.allclose(L.attention[100:126], 0.4 * 0.3)
    assert np.allclose(L.attention[126:], 0.4)


def test_successor_commitment_is_drawn_around_its_mean():
    draws = [lead(seed=s, leadership__ceo_changes=[10], leadership__successor_commitment=0.5,
                  leadership__successor_commitment_sd=0.15).commitment[20] for s in range(300)]
    assert np.mean(draws) == pytest.approx(0.5, abs=0.03)
    assert 0.1 < np.std(draws) < 0.2
    assert min(draws) >= 0 and max(draws) <= 1


def test_changes_beyond_the_horizon_or_at_week_0_are_ignored():
    L = lead(weeks=100, leadership__ceo_changes=[0, 150])
    assert L.change_weeks.size == 0


def test_ceo_hazard_gives_poisson_number_of_changes():
    """Hazard 0.23/year (median tenure ~3 years) over 5 years: about 1.15 random changes."""
    n = np.array([lead(seed=s, leadership__ceo_hazard_annual=0.23).change_weeks.size for s in range(400)])
    assert n.mean() == pytest.approx(0.23 * 5, rel=0.15)
    assert lead(seed=1, leadership__ceo_hazard_annual=0.0).change_weeks.size == 0


def test_hazard_draws_are_common_random_numbers():
    """Changing commitment does not move the random change weeks (fixed number of draws)."""
    a = lead(seed=3, leadership__ceo_hazard_annual=0.5, leadership__commitment=0.9)
    b = lead(seed=3, leadership__ceo_hazard_annual=0.5, leadership__commitment=0.2)
    assert a.change_weeks.size > 0
    assert np.array_equal(a.change_weeks, b.change_weeks)
    assert np.array_equal(a.commitment[a.change_weeks[0]:], b.commitment[b.change_weeks[0]:])


def test_attention_in_unit_interval():
    for s in range(20):
        L = lead(seed=s, leadership__ceo_hazard_annual=1.5, leadership__pressure=[{"start": 0, "end": 200, "level": 1.0}])
        assert np.all((L.attention >= 0) & (L.attention <= 1))


def test_signal_reaches_staff_only_through_managers():
    """Attention enters support's target only (the adoption gate is capability x support): with zero support
    nobody adopts. The pilots' partnership floor is off here so that no unit has support."""
    from conftest import small_model

    m = small_model(leadership__commitment=1.0, managers__initial_support=0.0, managers__alignment=0.0,
                    managers__partnership_support=0.0,
                    exchange__initial_capability=0.9, rpiw__count=0, exchange__initial_practising=0.3, weeks=30)
    start = m.practising.copy()
    m.run()
    assert not np.any(m.practising & ~start)  # nobody new adopted
