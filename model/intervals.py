"""95% intervals, in one place: every table, report and test uses these.

* :func:`t_interval`: the mean of replicates and its Student t interval,
  optionally clipped to the values the quantity can take (a share's interval
  never reaches below 0);
* :func:`paired_t_interval`: the mean of paired differences (common random
  numbers), and :func:`welch_interval` for two independent samples;
* :func:`wilson`: a proportion (k of n) and its Wilson score interval;
* :func:`tango_paired`: the difference of two paired proportions (Tango
  1998's score interval), and :func:`newcombe_paired` (Newcombe 1998,
  method 10), which it replaced in the what-if reports.

One rule for too little data, decided here once: with no values every field
is NaN; with one value (or one pair) the estimate is that value and the
bounds are NaN, because a single replicate says nothing about spread. Tables
print NaN bounds as "n/a".
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

Z95 = 1.959964  # the normal quantile of 0.975


class Interval(NamedTuple):
    """An estimate with its lower and upper bound (unpacks as ``m, lo, hi``)."""

    estimate: float
    low: float
    high: float


def _finite(x) -> np.ndarray:
    x = np.asarray(x, dtype=float).ravel()
    return x[np.isfinite(x)]


def _clip(iv: Interval, bounds: tuple[float, float] | None) -> Interval:
    if bounds is None or math.isnan(iv.low):
        return iv
    return Interval(iv.estimate, max(iv.low, bounds[0]), min(iv.high, bounds[1]))


def t_interval(x: ArrayLike, level: float = 0.95, bounds: tuple[float, float] | None = None) -> Interval:
    """Mean of ``x`` (NaN and infinite values dropped) and its t interval, clipped to ``bounds``.

    A t interval on a share near 0 or 1 reaches past the possible range;
    clipping it says no more than the data and the definition do.
    """
    x = _finite(x)
    if x.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    m = float(x.mean())
    if x.size < 2:
        return Interval(m, math.nan, math.nan)
    h = float(stats.t.ppf(0.5 + level / 2, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return _clip(Interval(m, m - h, m + h), bounds)


def sd(x: ArrayLike) -> float:
    """Sample standard deviation of the finite values (NaN for fewer than two)."""
    x = _finite(x)
    return float(x.std(ddof=1)) if x.size >= 2 else math.nan


def paired_t_interval(base: ArrayLike, what_if: ArrayLike, level: float = 0.95) -> Interval:
    """Mean paired difference (what-if minus baseline) and its t interval; pairs with a NaN are dropped."""
    d = np.asarray(what_if, float) - np.asarray(base, float)
    return t_interval(d, level)


def welch_interval(base: ArrayLike, what_if: ArrayLike, level: float = 0.95) -> Interval:
    """Difference in means of two independent samples (what-if minus baseline), Welch t interval."""
    a, b = _finite(base), _finite(what_if)
    if a.size == 0 or b.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    m = float(b.mean() - a.mean())
    if a.size < 2 or b.size < 2:
        return Interval(m, math.nan, math.nan)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0:
        return Interval(m, m, m)
    dof = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    h = float(stats.t.ppf(0.5 + level / 2, dof)) * se
    return Interval(m, m - h, m + h)


def wilson(k: int, n: int, z: float = Z95) -> Interval:
    """Proportion k/n and its Wilson score interval (NaN for n = 0)."""
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def newcombe_paired(base: ArrayLike, what_if: ArrayLike) -> Interval:
    """Difference of two paired proportions (what-if minus baseline), Newcombe's (1998) hybrid score interval.

    Unlike a t interval it is not [0, 0] when no replicate changed and none
    spread: with 30 such pairs it is about +/- 11 points, the honest statement.
    Known limitation: when every pair is concordant but the concordant pairs
    are split between both outcomes, the estimated correlation is 1 and the
    interval shrinks towards [0, 0] (exactly so at a 50/50 split):
    :func:`tango_paired` does not, and the what-if reports use it.
    """
    xf, yf = np.asarray(what_if, float), np.asarray(base, float)
    keep = ~(np.isnan(xf) | np.isnan(yf))  # a pair with a missing outcome says nothing (NaN is not True)
    x, y = xf[keep] != 0, yf[keep] != 0
    n = x.size
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    a = int((x & y).sum()); b = int((x & ~y).sum()); c = int((~x & y).sum()); d = int((~x & ~y).sum())
    p1, p2 = (a + b) / n, (a + c) / n
    _, l1, u1 = wilson(a + b, n)
    _, l2, u2 = wilson(a + c, n)
    den = (a + b) * (c + d) * (a + c) * (b + d)
    phi = (a * d - b * c) / math.sqrt(den) if den > 0 else 0.0
    diff = p1 - p2
    delta = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    eps = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return Interval(diff, max(-1.0, diff - delta), min(1.0, diff + eps))


def _discordant(base: ArrayLike, what_if: ArrayLike) -> tuple[int, int, int]:
    """Pairs with both outcomes known: (what-if only, baseline only, all) counts."""
    xf, yf = np.asarray(what_if, float), np.asarray(base, float)
    keep = ~(np.isnan(xf) | np.isnan(yf))  # a pair with a missing outcome says nothing (NaN is not True)
    x, y = xf[keep] != 0, yf[keep] != 0
    return int((x & ~y).sum()), int((~x & y).sum()), int(x.size)


def _tango_score(delta: float, b: int, c: int, n: int) -> float:
    """Tango's (1998) score statistic for a paired difference delta (b, c the discordant counts)."""
    A = 2.0 * n
    B = -b - c + (2.0 * n - b + c) * delta
    C = -c * delta * (1.0 - delta)
    q21 = (math.sqrt(max(0.0, B * B - 4.0 * A * C)) - B) / (2.0 * A)  # restricted ML estimate of P(baseline only)
    var = n * (2.0 * q21 + delta * (1.0 - delta))
    num = b - c - n * delta
    if num == 0:
        return 0.0
    return num / math.sqrt(var) if var > 0 else math.copysign(math.inf, num)


def tango_paired(base: ArrayLike, what_if: ArrayLike, z: float = Z95) -> Interval:
    """Difference of two paired proportions (what-if minus baseline), Tango's (1998) score interval.

    The bounds are where the score statistic, with the nuisance parameter at
    its restricted maximum likelihood estimate (Tango's closed form), equals
    -z and z; Fagerland, Lydersen and Laake (2014) recommend it for paired
    binary data. It depends on the discordant pairs and the number of pairs
    only, so when no replicate changed it is +/- z^2 / (n + z^2) however the
    concordant pairs split (about +/- 11 points with 30 pairs), where
    Newcombe's interval collapses to [0, 0] at a 50/50 split. Pairs with a
    missing outcome are dropped.
    """
    b, c, n = _discordant(base, what_if)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    from scipy.optimize import brentq

    est = (b - c) / n
    tol = 1e-12
    f = lambda d, target: _tango_score(d, b, c, n) - target  # noqa: E731  (decreasing in d)
    lo = -1.0 if est <= -1.0 else brentq(f, -1.0 + tol, est, args=(z,), xtol=1e-12) if est > -1.0 + tol else -1.0
    hi = 1.0 if est >= 1.0 else brentq(f, est, 1.0 - tol, args=(-z,), xtol=1e-12) if est < 1.0 - tol else 1.0
    return Interval(est, max(-1.0, min(lo, est)), min(1.0, max(hi, est)))


def one_sided_lower(x: ArrayLike, level: float = 0.95) -> float:
    """One-sided lower confidence bound for the mean of ``x`` (NaN for fewer than two values)."""
    x = _finite(x)
    if x.size < 2:
        return math.nan
    return float(x.mean() - stats.t.ppf(level, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))


def one_sided_upper(x: ArrayLike, level: float = 0.95) -> float:
    """One-sided upper confidence bound for the mean of ``x`` (NaN for fewer than two values)."""
    x = _finite(x)
    if x.size < 2:
        return math.nan
    return float(x.mean() + stats.t.ppf(level, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
