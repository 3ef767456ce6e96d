"""Per-run fixed costs kept small without changing what is written (issue 12, item 3).

``write_tables`` converts on one thread instead of through ``DataFrame.to_parquet``;
the files must be the very bytes the pandas writer gives, for the tables a run writes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import TrustModel, load_scenario
from model.outputs import summarise
from model.report import write_tables
from model.survey import survey_model


@pytest.fixture(scope="module")
def run_tables():
    """The four tables ``spread run`` writes, for two replicates of a small trust."""
    params = load_scenario("sash-teaching", [])
    weekly, summaries, net, survey = [], [], [], []
    for rep, seed in enumerate((3, 4)):
        m = TrustModel(params, rng=seed, weeks=60, agents=False)
        while m.week < 30:
            m.step()
        surveyed = survey_model(m)
        m.run()
        w = m.weekly_frame()
        weekly.append(w.assign(rep=rep, seed=seed))
        summaries.append({"rep": rep, "seed": seed, **summarise(w, params, m.workshops.first_week,
                                                                 m.performance.detected_week,
                                                                 len(m.leadership.change_weeks))})
        net += [{"rep": rep, "when": "start", **m.network_start}, {"rep": rep, "when": "end", **m.network_end}]
        survey.append({"rep": rep, "seed": seed, **surveyed})
    return {"weekly": pd.concat(weekly, ignore_index=True), "summary": pd.DataFrame(summaries),
            "network": pd.DataFrame(net), "survey": pd.DataFrame(survey)}


@pytest.mark.parametrize("name", ["weekly", "summary", "network", "survey"])
def test_write_tables_writes_the_bytes_of_the_pandas_writers(run_tables, name, tmp_path):
    df = run_tables[name]
    write_tables(tmp_path, name, df)
    df.to_parquet(tmp_path / "pandas.parquet", index=False)
    df.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / f"{name}.parquet").read_bytes() == (tmp_path / "pandas.parquet").read_bytes()
    assert (tmp_path / f"{name}.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{name}.parquet"), df)


def test_a_frame_with_attrs_keeps_them_in_the_file(tmp_path):
    df = pd.DataFrame({"a": [1.5, 2.0], "b": ["x", "y"]})
    df.attrs["source"] = "test"
    write_tables(tmp_path, "t", df)
    assert pd.read_parquet(tmp_path / "t.parquet").attrs == {"source": "test"}


@st.composite
def numeric_frames(draw):
    """Frames of float64 and int64 columns: NaN, infinities, -0.0, subnormals, huge and tiny values, repeats."""
    rows = draw(st.sampled_from([0, 1, 5, 99, 100, 101, 150]))
    ncols = draw(st.integers(1, 5))
    cols = {}
    for i in range(ncols):
        if draw(st.booleans()):
            pool = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=8))
            cols[f"c{i}"] = np.array(draw(st.lists(st.sampled_from(pool), min_size=rows, max_size=rows)),
                                     dtype=np.float64)
        else:
            cols[f"c{i}"] = np.array(draw(st.lists(st.integers(-2**63, 2**63 - 1), min_size=rows, max_size=rows)),
                                     dtype=np.int64)
    return pd.DataFrame(cols)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(df=numeric_frames())
def test_the_numeric_csv_is_the_text_pandas_writes(df, tmp_path):
    write_tables(tmp_path, "t", df)
    df.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "t.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_zero_and_minus_zero_stay_apart(tmp_path):
    """Distinct values by their bits: -0.0 == 0.0, but pandas writes them differently."""
    df = pd.DataFrame({"a": [0.0, -0.0, 0.0, np.nan, -0.0] * 40, "b": np.arange(200)})
    write_tables(tmp_path, "t", df)
    assert (tmp_path / "t.csv").read_text().splitlines()[:6] == ["a,b", "0.0,0", "-0.0,1", "0.0,2", ",3", "-0.0,4"]
    df.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "t.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


@pytest.mark.parametrize("df", [
    pd.DataFrame({"a,b": [1.0, 2.0] * 100, "c": [3.0, 4.0] * 100}),  # a name the csv module quotes
    pd.DataFrame({"a": [1.5, np.nan] * 100}),  # one column: an empty field is quoted
    pd.DataFrame({"a": [1.5, 2.5] * 100, "b": [True, False] * 100}),
    pd.DataFrame({"a": [1.5, 2.5] * 100, "b": ["x", "y,z"] * 100}),
])
def test_other_tables_fall_back_to_pandas_text(df, tmp_path):
    write_tables(tmp_path, "t", df)
    df.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "t.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
