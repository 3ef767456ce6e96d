"""model.intervals: the one home for 95% intervals, checked against scipy and published values."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from model.intervals import (newcombe_paired, one_sided_lower, one_sided_upper, paired_t_interval, tango_paired,
                             t_interval, welch_interval, wilson)


def test_t_interval_matches_scipy():
    x = np.array([0.3, 0.5, 0.1, 0.9, 0.4])
    m, lo, hi = t_interval(x)
    ref = stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))
    assert m == pytest.approx(x.mean()) and (lo, hi) == pytest.approx(ref)


def test_fewer_than_two_values_is_decided_once():
    for f in (lambda v: t_interval(v), lambda v: paired_t_interval(v, v)):
        assert all(math.isnan(z) for z in f([]))
        m, lo, hi = f([0.4])
        assert (m == 0.4 or m == 0.0) and math.isnan(lo) and math.isnan(hi)
    assert math.isnan(one_sided_lower([1.0])) and math.isnan(one_sided_upper([]))
    assert all(math.isnan(z) for z in wilson(0, 0))


def test_clipping_keeps_a_share_in_range():
    m, lo, hi = t_interval([0.0, 0.0, 0.0, 0.02], bounds=(0.0, 1.0))
    assert lo == 0.0 and hi > m > 0


def test_welch_matches_scipy():
    a, b = np.array([1.0, 2.0, 4.0, 3.5]), np.array([2.0, 5.0, 6.0, 4.0, 7.0])
    m, lo, hi = welch_interval(a, b)
    ref = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert m == pytest.approx(b.mean() - a.mean()) and (lo, hi) == pytest.approx((ref.low, ref.high))


def test_wilson_published_value():
    # Newcombe (1998), Table I: 81/263 -> 0.2553 to 0.3662
    p, lo, hi = wilson(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)


def test_newcombe_paired_is_honest_when_nothing_changed():
    same = [False] * 30
    d, lo, hi = newcombe_paired(same, same)
    assert d == 0 and -0.13 < lo < -0.09 and 0.09 < hi < 0.13  # about +/- 11 points with 30 pairs


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_newcombe_paired_contains_its_estimate_within_minus_one_to_one(pairs):
    base, what_if = zip(*pairs)
    d, lo, hi = newcombe_paired(list(base), list(what_if))
    assert -1.0 <= lo <= d + 1e-12 and d - 1e-12 <= hi <= 1.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40))
def test_t_interval_contains_its_mean_and_one_sided_bounds_sit_inside(x):
    m, lo, hi = t_interval(x)
    assert lo <= m + 1e-9 * (1 + abs(m)) and m <= hi + 1e-9 * (1 + abs(m))
    assert lo - 1e-6 * (1 + abs(m)) <= one_sided_lower(x) and one_sided_upper(x) <= hi + 1e-6 * (1 + abs(m))


def test_newcombe_drops_pairs_with_a_missing_outcome():
    base = [1.0, 0.0, np.nan, 0.0]
    what_if = [1.0, 1.0, 1.0, np.nan]
    assert newcombe_paired(base, what_if) == newcombe_paired([1, 0], [1, 1])


def _pairs(n11, n12, n21, n22):
    """Baseline and what-if outcomes of a paired 2x2 table (rows: what-if yes/no; columns: baseline yes/no)."""
    what_if = [1] * (n11 + n12) + [0] * (n21 + n22)
    base = [1] * n11 + [0] * n12 + [1] * n21 + [0] * n22
    return base, what_if


@pytest.mark.parametrize("split", [0, 7, 15, 23, 30])
def test_tango_paired_does_not_collapse_when_every_pair_is_concordant(split):
    """30 unchanged pairs, however they split between spreading and not: about +/- 11 points
    (z^2 / (n + z^2)). Newcombe's interval is [0, 0] at a 50/50 split (the known limitation)."""
    base = [1] * split + [0] * (30 - split)
    d, lo, hi = tango_paired(base, base)
    z2 = 1.959964 ** 2
    assert d == 0 and (lo, hi) == pytest.approx((-z2 / (30 + z2), z2 / (30 + z2)))
    if split == 15:
        assert newcombe_paired(base, base)[1:] == (0.0, 0.0)


def test_tango_paired_examples():
    """Fagerland, Lydersen and Laake (2014)'s two examples of paired binary data (Bentur et al. 2009:
    1, 1, 7, 12; Cavo et al. 2012: 59, 6, 16, 80). The reference bounds are those we recall from
    their table for Tango's interval (not re-read against the paper here); independently of them, the
    score statistic must be +-z at the bounds."""
    from model.intervals import _tango_score
    for table, ref in [((1, 1, 7, 12), (-0.517, -0.026)), ((59, 6, 16, 80), (-0.124, -0.005))]:
        base, what_if = _pairs(*table)
        d, lo, hi = tango_paired(base, what_if)
        assert d == pytest.approx((table[1] - table[2]) / sum(table))
        assert (lo, hi) == pytest.approx(ref, abs=1e-3)
        n12, n21, n = table[1], table[2], sum(table)
        assert _tango_score(lo, n12, n21, n) == pytest.approx(1.959964, abs=1e-6)
        assert _tango_score(hi, n12, n21, n) == pytest.approx(-1.959964, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_tango_paired_contains_its_estimate_within_minus_one_to_one(pairs):
    base, what_if = zip(*pairs)
    d, lo, hi = tango_paired(list(base), list(what_if))
    assert -1.0 <= lo <= d <= hi <= 1.0
    # it depends on the discordant pairs only: how the concordant ones split does not move it
    flipped = [(not b, not w) if b == w else (b, w) for b, w in pairs]
    fb, fw = zip(*flipped)
    assert tango_paired(list(fb), list(fw)) == pytest.approx((d, lo, hi), abs=1e-9)


def test_tango_drops_pairs_with_a_missing_outcome():
    base = [1.0, 0.0, np.nan, 0.0]
    what_if = [1.0, 1.0, 1.0, np.nan]
    assert tango_paired(base, what_if) == tango_paired([1, 0], [1, 1])
