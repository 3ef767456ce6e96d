"""The run summary's intervals stay inside what each quantity can be."""

import numpy as np
import pandas as pd

from model.outputs import outcome_range
from model.intervals import t_interval
from model.report import KEY_OUTCOMES, summary_table


def test_mean_ci_is_a_t_interval_without_bounds():
    m, lo, hi = t_interval([1.0, 2.0, 3.0])
    assert m == 2.0
    assert np.isclose(hi - m, 4.302653 * 1.0 / np.sqrt(3), rtol=1e-6)  # t(0.975, 2) x sd / sqrt(n)
    assert np.isclose(m - lo, hi - m)


def test_mean_ci_is_clipped_to_bounds():
    m, lo, hi = t_interval([0.0, 0.0, 0.0, 0.02], bounds=(0.0, 1.0))
    assert m == 0.005 and lo == 0.0 and hi > m
    m, lo, hi = t_interval([1.0, 1.0, 0.9], bounds=(0.0, 1.0))
    assert hi == 1.0 and lo < m


def test_summary_intervals_stay_in_range():
    rows = 6
    df = pd.DataFrame({col: [0.0] * (rows - 1) + [0.03] for col, *_ in KEY_OUTCOMES})
    df["lead_time_change_pilot_final"] = [-0.41, -0.42, -0.40, -0.43, 0.0, -0.41]
    df["sustainment"] = [1.0, 1.0, 1.0, 1.0, 1.0, 0.7]
    df["regime"] = "local"
    table = summary_table(df).iloc[0]
    for col, label, scale, unit in KEY_OUTCOMES:
        low, high = outcome_range(col)
        text = table[label]
        lo, hi = (float(v) for v in text[text.index("[") + 1:text.index("]")].split(","))
        assert low * scale <= lo <= hi <= high * scale, (label, text)


def test_outcome_ranges():
    assert outcome_range("reach_final") == (0.0, 1.0)
    assert outcome_range("adoption_rest") == (0.0, 1.0)
    assert outcome_range("sustainment_rest") == (0.0, 1.0)
    assert outcome_range("lead_time_change_pilot_best") == (-1.0, 0.0)
    assert outcome_range("weeks_to_trustwide_reach") is None
    assert outcome_range("ceo_changes") is None
