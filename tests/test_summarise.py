"""summarise reads each weekly column once as an array: the same values as pandas' row and column reductions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import small_params
from model.outputs import summarise
from model.trust import WEEKLY

PEAKS = ("adoption_pilot", "adoption_rest", "adoption_trust", "reach", "capability_mean", "manager_support",
         "attention")
BESTS = ("lead_time_change_pilot", "lead_time_change_rest")


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.integers(0, 2**31 - 1), st.floats(0.0, 0.5))
def test_finals_peaks_and_bests_are_pandas_own(weeks, seed, nan_share):
    rng = np.random.default_rng(seed)
    values = {k: rng.random(weeks + 1) for k in WEEKLY}
    for k in PEAKS + BESTS:  # gaps, and now and then a column of nothing but gaps
        values[k][rng.random(weeks + 1) < nan_share] = np.nan
    if nan_share > 0.45:
        values["attention"][:] = np.nan
    weekly = pd.DataFrame({"week": np.arange(weeks + 1), **values})
    s = summarise(weekly, small_params(), np.array([0, 5]), np.array([3, -1]), 1)
    last = weekly.iloc[-1]
    for k in PEAKS:
        np.testing.assert_equal(s[f"{k}_final"], float(last[k]))
        np.testing.assert_equal(s[f"{k}_peak"], float(weekly[k].max()))
    for k in BESTS:
        np.testing.assert_equal(s[f"{k}_final"], float(last[k]))
        np.testing.assert_equal(s[f"{k}_best"], float(weekly[k].min()))
