"""`spread analyse` on a small fixed result set with known answers, and Sobol/Morris on the stand-in model."""

from __future__ import annotations

import json
import re
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # sweep_helpers, sweep_fake_engine (in tests/)

from model.sweeps.analysis import _t, analyse
from model.intervals import wilson
from model.sweeps.runner import run_sweep
from model.cli import main

XS = [0.0, 0.25, 0.5, 0.75, 1.0]
YS = [0.0, 0.5, 1.0]
REPS = 10


def fixed_results(out: Path) -> Path:
    """A results folder as `spread sweep` writes it, with values known in advance.

    reach = x * y + (rep - 4.5) / 100; regime trust-wide exactly when x > 0.5 and y > 0.25;
    point (x=0, y=0) replicate 3 raised.
    """
    (out / "runs").mkdir(parents=True)
    points, rows = [], []
    for i, (x, y) in enumerate((x, y) for x in XS for y in YS):
        points.append({"name": f"p{i}", "scenario": "base", "values": {"a.x": x, "a.y": y}})
        for r in range(REPS):
            err = "RuntimeError: boom" if (i == 0 and r == 3) else None
            rows.append({"run_key": f"p{i}-r{r}", "point": i, "point_name": f"p{i}", "rep": r, "seed": 1000 * i + r,
                         "scenario": "base", "p.a.x": x, "p.a.y": y, "p.a.z": 7,
                         "regime": None if err else ("trust-wide" if (x > 0.5 and y > 0.25) else "local"),
                         "reach_final": None if err else x * y + (r - 4.5) / 100, "error": err})
    df = pd.DataFrame(rows)
    df.iloc[:70].to_parquet(out / "runs" / "part-000000.parquet", index=False)
    df.iloc[70:].to_parquet(out / "runs" / "part-000001.parquet", index=False)
    manifest = {
        "format": 1, "name": "fixed", "description": "a fixed result set", "n_points": len(points), "reps": REPS,
        "n_runs": len(rows), "status": "complete",
        "experiment": {"name": "fixed", "scenario": "base", "seed": 3, "reps": REPS, "weeks": 10, "sampler": "grid",
                       "outcomes": ["regime", "reach_final"], "weekly": [], "varied_keys": ["a.x", "a.y"],
                       "varied": [{"key": "a.x", "levels": XS}, {"key": "a.y", "levels": YS}], "points": points},
        "analyses": {"regime_map": {"x": "a.x", "y": "a.y"}, "effects": {}, "prim": {"outcome": "regime", "target": ["trust-wide"]}},
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def test_intervals():
    m, sd, lo, hi = _t(np.array([1.0, 2.0, 3.0, 4.0]), "x")
    assert m == 2.5 and math.isclose(sd, 1.2909944, rel_tol=1e-6)
    assert math.isclose(hi - m, 3.182446 * sd / 2, rel_tol=1e-5)  # t(0.975, 3)
    p, lo, hi = wilson(5, 10)
    assert p == 0.5 and math.isclose(lo, 0.2366, abs_tol=1e-4) and math.isclose(hi, 0.7634, abs_tol=1e-4)
    assert wilson(0, 10)[1] == 0.0
    # a share's interval stays in [0, 1]; an unbounded outcome's does not move
    m, sd, lo, hi = _t(np.array([0.0, 0.0, 0.0, 0.02]), "reach_final")
    assert lo == 0.0 and hi > m > 0
    assert _t(np.array([0.0, 0.0, 0.0, 0.02]), "weeks_to_local_reach")[2] < 0


def test_analysis_of_a_fixed_result_set(tmp_path):
    src = fixed_results(tmp_path / "res")
    written = analyse(src, log=lambda m: None)
    a = src / "analysis"
    names = {p.name for p in written}
    for f in ("summary.csv", "regimes.csv", "errors.csv", "regime_map.csv", "regime_map.png", "regime_map.svg",
              "effects.csv", "effects_a.x.png", "effects_a.x.svg", "prim.txt", "prim.png", "prim_box.csv", "report.md"):
        assert f in names and (a / f).stat().st_size > 0, f

    s = pd.read_csv(a / "summary.csv")
    row = s[(s["p.a.x"] == 1.0) & (s["p.a.y"] == 0.5) & (s["outcome"] == "reach_final")].iloc[0]
    assert row["n"] == REPS and math.isclose(row["mean"], 0.5, abs_tol=1e-9)
    assert row["ci95_lo"] < 0.5 < row["ci95_hi"]
    first = s[(s["point"] == 0) & (s["outcome"] == "reach_final")].iloc[0]
    assert first["n"] == REPS - 1  # the run that raised is left out

    errors = pd.read_csv(a / "errors.csv")
    assert errors["run_key"].tolist() == ["p0-r3"]

    reg = pd.read_csv(a / "regimes.csv")
    tw = reg[(reg["p.a.x"] == 0.75) & (reg["p.a.y"] == 1.0) & (reg["label"] == "trust-wide")].iloc[0]
    assert tw["share"] == 1.0 and tw["k"] == REPS and tw["ci95_lo"] < 1.0

    rm = pd.read_csv(a / "regime_map.csv")
    assert len(rm) == len(XS) * len(YS)
    for _, r in rm.iterrows():
        expect = 1.0 if (r["a.x"] > 0.5 and r["a.y"] > 0.25) else 0.0
        assert r["share_spread"] == expect and r["share_local"] == 1 - expect

    text = (a / "prim.txt").read_text()
    assert text.startswith("trust-wide spread when ")
    box = pd.read_csv(a / "prim_box.csv").set_index("param")
    assert 0.5 < box.loc["a.x", "lower"] <= 0.75 and 0.0 < box.loc["a.y", "lower"] <= 0.5  # between sampled levels
    assert math.isnan(box.loc["a.x", "upper"]) and math.isnan(box.loc["a.y", "upper"])
    assert "a.x >= " in text and "a.y >= " in text
    assert "100% of the runs with trust-wide spread (coverage)" in text
    assert "100% of the runs inside it show trust-wide spread (density)" in text
    report = (a / "report.md").read_text()
    assert "1 of 150 runs raised" in report and "PRIM: trust-wide spread when" in report


def test_analyse_cli_on_a_folder_that_is_not_a_sweep(tmp_path, capsys):
    assert main(["analyse", str(tmp_path)]) == 2
    assert "no manifest.json" in capsys.readouterr().err


SOBOL = """
name = "{sampler}"
scenario = "alpha"
engine = "sweep_fake_engine"
seed = 5
reps = 1
weeks = 5
sampler = "{sampler}"
samples = {n}
outcomes = ["regime", "reach_final"]
[vary]
"leadership.commitment" = {{ range = [0.0, 1.0] }}
"network.reciprocity" = {{ range = [0.0, 1.0] }}
"network.connectedness" = {{ range = [0.0, 1.0] }}
[analyses]
sensitivity = {{ outcomes = ["reach_final"] }}
effects = {{ outcomes = ["reach_final"] }}
"""


@pytest.mark.parametrize("sampler,n,col", [("sobol", 64, "ST"), ("morris", 20, "mu_star")])
def test_sensitivity_indices_rank_the_levers(tmp_path, sampler, n, col):
    p = tmp_path / f"{sampler}.toml"
    p.write_text(textwrap.dedent(SOBOL.format(sampler=sampler, n=n)))
    run_sweep(p, out=tmp_path / "o", workers=1, progress=False, log=lambda m: None)
    a = tmp_path / "o" / "analysis"
    t = pd.read_csv(a / "sensitivity.csv")
    assert (a / "sensitivity_reach_final.png").exists() and (a / "sensitivity_reach_final.svg").exists()
    # the stand-in model weighs commitment 0.5, reciprocity 0.3, connectedness 0.2
    order = t.sort_values(col, ascending=False)["param"].tolist()
    assert order[0] == "leadership.commitment"
    assert order[-1] == "network.connectedness"


@pytest.mark.parametrize("sampler,n", [("sobol", 64), ("morris", 20)])
def test_sensitivity_with_a_log_scaled_factor(tmp_path, sampler, n):
    """A log-scaled range (a headcount, issue 11) is analysed on the scale it was sampled on: the
    levers keep their ranking and the size, which the stand-in model ignores, comes last (its index
    is the run noise alone)."""
    text = SOBOL.format(sampler=sampler, n=n).replace(
        '"network.connectedness" = { range = [0.0, 1.0] }',
        '"network.connectedness" = { range = [0.0, 1.0] }\n"trust.size" = { range = [10, 100000], log = true }')
    p = tmp_path / f"{sampler}.toml"
    p.write_text(textwrap.dedent(text))
    run_sweep(p, out=tmp_path / "o", workers=1, progress=False, log=lambda m: None)
    t = pd.read_csv(tmp_path / "o" / "analysis" / "sensitivity.csv").set_index("param")
    col = "ST" if sampler == "sobol" else "mu_star"
    assert t[col].idxmax() == "leadership.commitment"
    assert t[col].idxmin() == "trust.size"
    assert abs(t.loc["trust.size", col]) < 0.5 * t.loc["leadership.commitment", col]


# ----- the report leads with its answer (issue 27) -----------------------------------------------

def _img_count(html: str) -> int:
    return html.count('<img src="data:image/png;base64,')


def test_report_opens_with_the_headline_table(tmp_path):
    src = fixed_results(tmp_path / "res")
    analyse(src, log=lambda m: None)
    a = src / "analysis"
    md = (a / "report.md").read_text().splitlines()
    assert md[0] == "# fixed" and md[2].startswith("Each design point: the mean of each outcome")
    assert md[4] == "| a.x | a.y | runs | reach_final | local | partial | trust-wide |".replace("a.x", "x").replace("a.y", "y")
    rows = [line for line in md if line.startswith("| 1 | 0.5 |")]
    assert rows == ["| 1 | 0.5 | 10 | 0.50 [0.48, 0.52] | 0 | 0 | 10 |"]
    first = [line for line in md if line.startswith("| 0 | 0 |")]
    assert first == ["| 0 | 0 | 9 | 0.00 [0.00, 0.03] | 9 | 0 | 0 |"]  # the run that raised is left out
    text = "\n".join(md)
    assert text.index("| x | y |") < text.index("1 of 150 runs raised") < text.index("## Figures")
    for f in ("points.png", "regime_map.png", "prim.png", "effects_a.x.png"):
        assert f"]({f})" in text and (a / f).is_file()
    html = (a / "report.html").read_text()
    assert _img_count(html) == len(list(a.glob("*.png")))
    assert "<td class='num'>0.50 [0.48, 0.52]</td>" in html
    assert "href='summary.csv'" in html and "src=\"http" not in html


E1_LIKE = """
name = "E1_like"
description = "The five-trusts design at teaching size."
scenario = "sash-teaching"
seed = 20260101
reps = 2
weeks = 52
sampler = "points"
outcomes = ["regime", "reach_final", "adoption_trust_final", "lead_time_change_pilot_final", "sustainment"]
weekly = ["adoption_trust", "reach"]
weekly_every = 4
[[points]]
name = "SASH"
scenario = "sash-teaching"
[[points]]
name = "BHR"
scenario = "bhr-teaching"
[analyses]
summary = { outcomes = ["reach_final", "lead_time_change_pilot_final", "adoption_trust_final", "sustainment"] }
timeseries = { columns = ["adoption_trust", "reach"], by = "scenario" }
"""

E2_LIKE = """
name = "E2_like"
description = "The regime map's design, small."
scenario = "sash-teaching"
seed = 20260102
reps = 2
weeks = 52
sampler = "grid"
outcomes = ["regime", "reach_final", "adoption_rest_final"]
[vary."network.cross_unit_ties"]
levels = [0.5, 4.0]
[vary."leadership.commitment"]
levels = [0.4, 1.0]
[analyses]
regime_map = { x = "network.cross_unit_ties", y = "leadership.commitment", spread = ["trust-wide"], local = ["local", "no gain"] }
effects = { outcomes = ["reach_final"] }
"""


@pytest.mark.parametrize("text, first_columns, rows, figures", [
    (E1_LIKE, "| point | scenario | runs | reach_final |", ["| SASH | sash-teaching | 2 |", "| BHR | bhr-teaching | 2 |"],
     ["points.png", "timeseries.png"]),
    (E2_LIKE, "| cross_unit_ties | commitment | runs | reach_final |", ["| 0.5 | 0.4 | 2 |", "| 4 | 1 | 2 |"],
     ["points.png", "regime_map.png", "effects_network.cross_unit_ties.png"]),
], ids=["E1", "E2"])
def test_spread_analyse_writes_a_report_with_its_answer_first(tmp_path, capsys, text, first_columns, rows, figures):
    p = tmp_path / "exp.toml"
    p.write_text(textwrap.dedent(text))
    out = tmp_path / "o"
    run_sweep(p, out=out, workers=1, progress=False, analyse=False, log=lambda m: None)
    assert main(["analyse", str(out)]) == 0
    a = out / "analysis"
    md = (a / "report.md").read_text()
    lines = md.splitlines()
    assert lines[4].startswith(first_columns) and lines[4].endswith("| local | partial | trust-wide |")
    for r in rows:
        [row] = [line for line in lines if line.startswith(r)]
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert re.fullmatch(r"\d\.\d\d \[\d\.\d\d, \d\.\d\d\]", cells[cells.index("2") + 1])  # mean [95% interval]
        assert sum(int(c) for c in cells[-3:]) == 2  # every run counted in a regime
    for f in figures:
        assert f"]({f})" in md
    html = (a / "report.html").read_text()
    assert html.index("<h2>Results</h2>") < html.index("<table>") < html.index("<h2>Figures</h2>")
    assert "<th>trust-<wbr>wide</th>" not in html and "<th>trust-wide</th>" in html
    assert _img_count(html) == len(list(a.glob("*.png"))) >= len(figures)
    assert "report.html" in json.loads((a / "analysis.json").read_text())["files"]
