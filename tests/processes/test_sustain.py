"""Process 5, sustain or abandon: the drop-out rate rises as reinforcement, support and recognition go."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from model.processes.sustain import Sustain

from conftest import small_params


def sus(**over):
    return Sustain(small_params(**over))


def test_rate_bounds():
    s = sus(sustain__abandon_max=0.05, sustain__abandon_min=0.01, sustain__reinforcement_weight=0.4,
            sustain__support_weight=0.4, sustain__recognition_weight=0.2)
    z, o = np.zeros(1), np.ones(1)
    assert s.rate(z, z, z)[0] == pytest.approx(0.05)
    assert s.rate(o, o, o)[0] == pytest.approx(0.01)


@pytest.mark.parametrize("which", [0, 1, 2])
def test_rate_monotone_decreasing_in_each_input(which):
    s = sus()
    g = np.linspace(0, 1, 101)
    args = [np.full(101, 0.3), np.full(101, 0.5), np.full(101, 0.2)]
    args[which] = g
    r = s.rate(*args)
    assert np.all(np.diff(r) < 0)
    assert np.all((r >= s.lo) & (r <= s.hi))


def test_rate_is_the_stated_linear_form():
    s = sus(sustain__abandon_max=0.04, sustain__abandon_min=0.002)
    e, sp_, rc = np.array([0.5]), np.array([0.25]), np.array([1.0])
    strength = 0.4 * 0.5 + 0.4 * 0.25 + 0.2 * 1.0
    assert s.rate(e, sp_, rc)[0] == pytest.approx(0.04 - (0.04 - 0.002) * strength)


def test_step_drops_practitioners_at_the_rate():
    s = sus(sustain__abandon_max=0.3, sustain__abandon_min=0.3)
    n, U = 20000, 10
    unit_of = np.repeat(np.arange(U), n // U)
    prac = np.ones(n, bool)
    prac[::2] = False
    s.update(prac, np.zeros(n), np.zeros(U), np.zeros(U), unit_of, np.random.default_rng(0))
    dropped = 10000 - prac.sum()
    assert stats.binomtest(int(dropped), 10000, 0.3).pvalue > 1e-4
    assert not prac[::2].any()  # non-practitioners stay non-practitioners


def test_support_and_recognition_per_unit_protect():
    s = sus(sustain__abandon_max=0.5, sustain__abandon_min=0.0, sustain__reinforcement_weight=0.0,
            sustain__support_weight=0.5, sustain__recognition_weight=0.5)
    n, U = 1000, 2
    unit_of = np.repeat([0, 1], 500)
    prac = np.ones(n, bool)
    s.update(prac, np.zeros(n), np.array([1.0, 0.0]), np.array([1.0, 0.0]), unit_of, np.random.default_rng(1))
    assert prac[:500].all()  # full support and recognition: rate 0
    assert 150 < prac[500:].sum() < 350  # rate 0.5
