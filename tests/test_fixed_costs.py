"""Per-run fixed costs kept small without changing what is written (issue 12, item 3).

``write_tables`` converts on one thread instead of through ``DataFrame.to_parquet``;
the files must be the very bytes the pandas writer gives, for the tables a run writes.
"""

from __future__ import annotations

import pandas as pd
import pytest

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
