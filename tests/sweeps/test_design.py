"""Experiment files: every kind of bad file gives one line per problem, exit 2, nothing written;
the canonical experiments E1-E9 validate against the real scenarios."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # sweep_helpers, sweep_fake_engine (in tests/)

from model.sweeps.design import ExperimentError, load_experiment
from model.cli import main

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
name = "ok"
scenario = "alpha"
engine = "sweep_fake_engine"
seed = 1
reps = 2
weeks = 5
sampler = "grid"
outcomes = ["regime", "reach_final"]
[set]
"trust.size" = 50
[vary."leadership.commitment"]
range = [0.1, 0.9]
n = 3
[vary."network.reciprocity"]
levels = [0.2, 0.8]
"""

# (name, text replacing GOOD or a (old, new) edit of it, what the error line must name)
BAD = [
    ("toml syntax", ("seed = 1", "seed = = 1"), "not valid TOML"),
    ("unknown top key", ("seed = 1", "seed = 1\nrepz = 3"), "repz"),
    ("missing scenario", ('scenario = "alpha"', ""), "scenario"),
    ("unknown scenario", ('scenario = "alpha"', 'scenario = "gamma"'), "gamma"),
    ("bad sampler", ('sampler = "grid"', 'sampler = "random"'), "sampler"),
    ("reps zero", ("reps = 2", "reps = 0"), "reps"),
    ("reps not int", ("reps = 2", 'reps = "two"'), "reps"),
    ("seed negative", ("seed = 1", "seed = -1"), "seed"),
    ("weeks zero", ("weeks = 5", "weeks = 0"), "weeks"),
    ("outcomes not list", ('outcomes = ["regime", "reach_final"]', 'outcomes = "regime"'), "outcomes"),
    ("range reversed", ("range = [0.1, 0.9]", "range = [0.9, 0.1]"), "leadership.commitment"),
    ("range not pair", ("range = [0.1, 0.9]", "range = [0.1]"), "leadership.commitment"),
    ("grid range without n", ("n = 3\n", ""), "leadership.commitment"),
    ("n below 2", ("n = 3", "n = 1"), "leadership.commitment"),
    ("levels and range", ("n = 3", "n = 3\nlevels = [0.1]"), "leadership.commitment"),
    ("unknown vary option", ("n = 3", "n = 3\nstep = 0.1"), "step"),
    ("empty levels", ("levels = [0.2, 0.8]", "levels = []"), "network.reciprocity"),
    ("repeated levels", ("levels = [0.2, 0.8]", "levels = [0.2, 0.2]"), "network.reciprocity"),
    ("unknown key path", ('[vary."network.reciprocity"]', '[vary."network.reciprocityy"]'), "network.reciprocityy"),
    ("value out of range", ("levels = [0.2, 0.8]", "levels = [0.2, 1.8]"), "1.8"),
    ("value of wrong type", ("levels = [0.2, 0.8]", 'levels = [0.2, "high"]'), "high"),
    ("bad fixed value", ('"trust.size" = 50', '"trust.size" = 5'), "trust.size"),
    ("unknown fixed key", ('"trust.size" = 50', '"trust.sizes" = 50'), "trust.sizes"),
    ("varied and fixed", ('"trust.size" = 50', '"trust.size" = 50\n"network.reciprocity" = 0.5'), "network.reciprocity"),
    ("integer param, float range", ('[vary."network.reciprocity"]\nlevels = [0.2, 0.8]',
                                    '[vary."leadership.ceo_changes"]\nrange = [0.5, 3.5]\nn = 3'), "leadership.ceo_changes"),
    ("lhs without samples", ('sampler = "grid"', 'sampler = "lhs"'), "samples"),
    ("grid with samples", ('sampler = "grid"', 'sampler = "grid"\nsamples = 8'), "samples"),
    ("sobol not power of two", ('sampler = "grid"', 'sampler = "sobol"\nsamples = 10'), "power of 2"),
    ("sobol with levels", ('sampler = "grid"', 'sampler = "sobol"\nsamples = 8'), "network.reciprocity"),
    ("morris odd levels", ('sampler = "grid"', 'sampler = "morris"\nsamples = 4\nmorris_levels = 5'), "morris_levels"),
    ("points with vary", ('sampler = "grid"', 'sampler = "points"\n[[points]]\nname = "a"'), "vary"),
    ("unknown analysis", ("", "[analyses]\nanova = true"), "anova"),
    ("regime map without y", ("", '[analyses]\nregime_map = { x = "leadership.commitment" }'), "analyses.regime_map.y"),
    ("regime map on unswept param", ("", '[analyses]\nregime_map = { x = "leadership.commitment", y = "turnover.annual_rate" }'), "turnover.annual_rate"),
    ("regime map outcome not kept", ("", '[analyses]\nregime_map = { x = "leadership.commitment", y = "network.reciprocity", outcome = "sustainment" }'), "sustainment"),
    ("sensitivity on a grid", ("", "[analyses]\nsensitivity = true"), "sensitivity"),
    ("prim target and threshold", ("", '[analyses]\nprim = { outcome = "reach_final", target = ["x"], threshold = 0.5 }'), "prim"),
    ("prim unknown option", ("", '[analyses]\nprim = { outcome = "regime", target = ["trust-wide"], alpha = 0.1 }'), "alpha"),
    ("timeseries column not kept", ("", '[analyses]\ntimeseries = { columns = ["reach"] }'), "reach"),
    ("engine missing", ('engine = "sweep_fake_engine"', 'engine = "no_such_engine_module"'), "no_such_engine_module"),
]

POINTS = """
name = "pts"
scenario = "alpha"
engine = "sweep_fake_engine"
reps = 2
sampler = "points"
[[points]]
name = "a"
values = { "leadership.commitment" = 0.2 }
[[points]]
name = "b"
scenario = "beta"
"""

BAD_POINTS = [
    ("no points", (POINTS.split("[[points]]")[0], None), "points"),
    ("duplicate names", ('name = "b"', 'name = "a"'), "duplicate"),
    ("bad point value", ('"leadership.commitment" = 0.2', '"leadership.commitment" = 2.0'), "points[0]"),
    ("bad point scenario", ('scenario = "beta"', 'scenario = "delta"'), "delta"),
    ("unknown point key", ('name = "a"', 'name = "a"\nweight = 2'), "weight"),
]


def _write(tmp: Path, base: str, edit) -> Path:
    text = textwrap.dedent(base)
    old, new = edit
    if new is None:
        text = old
    elif old == "":
        text = text + "\n" + new + "\n"
    else:
        assert old in text, old
        text = text.replace(old, new, 1)
    p = tmp / "exp.toml"
    p.write_text(text)
    return p


def _check_bad(tmp_path, capsys, path: Path, must: str):
    out = tmp_path / "out"
    rc = main(["sweep", str(path), "--out", str(out), "--workers", "1"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert not out.exists(), "nothing may be written for a bad experiment file"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines, "no error printed"
    for ln in lines:
        assert ln.startswith(str(path)) or "further point errors" in ln, ln
    assert any(must in ln for ln in lines), f"{must!r} not named in: {lines}"
    assert any("allowed" in ln for ln in lines), lines


@pytest.mark.parametrize("name,edit,must", BAD, ids=[b[0] for b in BAD])
def test_bad_experiment_file(tmp_path, capsys, name, edit, must):
    _check_bad(tmp_path, capsys, _write(tmp_path, GOOD, edit), must)


@pytest.mark.parametrize("name,edit,must", BAD_POINTS, ids=[b[0] for b in BAD_POINTS])
def test_bad_points_file(tmp_path, capsys, name, edit, must):
    _check_bad(tmp_path, capsys, _write(tmp_path, POINTS, edit), must)


def test_missing_file(tmp_path, capsys):
    rc = main(["sweep", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "out")])
    assert rc == 2 and "file not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_outcome_or_weekly_column_the_model_does_not_have(tmp_path, capsys):
    p = _write(tmp_path, GOOD, ('outcomes = ["regime", "reach_final"]', 'outcomes = ["regime", "spread_index"]\nweekly = ["adoptoin"]'))
    out = tmp_path / "out"
    rc = main(["sweep", str(p), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    assert "spread_index" in err and "adoptoin" in err and "allowed: regime" in err


def test_several_problems_reported_at_once(tmp_path):
    p = _write(tmp_path, GOOD, ("reps = 2\nweeks = 5", "reps = 0\nweeks = 0"))
    with pytest.raises(ExperimentError) as e:
        load_experiment(p)
    assert len(e.value.lines) >= 2


def test_good_file_expands_to_the_design(tmp_path):
    e = load_experiment(_write(tmp_path, GOOD, ("", "")))
    assert e.n_points == 6 and e.n_runs == 12
    assert [p["values"]["leadership.commitment"] for p in e.points] == [0.1, 0.1, 0.5, 0.5, 0.9, 0.9]
    assert e.run_seed(1, 1) != e.run_seed(1, 0)


@pytest.mark.parametrize("sampler,extra,n", [("lhs", "samples = 9", 9), ("sobol", "samples = 8", 8 * (2 + 2)),
                                             ("morris", "samples = 5", 5 * 3)])
def test_samplers(tmp_path, sampler, extra, n):
    text = GOOD.replace('sampler = "grid"', f'sampler = "{sampler}"\n{extra}').replace("n = 3\n", "").replace(
        "levels = [0.2, 0.8]", "range = [0.2, 0.8]")
    p = tmp_path / "exp.toml"
    p.write_text(textwrap.dedent(text))
    e = load_experiment(p)
    assert e.n_points == n
    vals = [pt["values"]["network.reciprocity"] for pt in e.points]
    assert min(vals) >= 0.2 and max(vals) <= 0.8
    # the design is a pure function of the file
    assert load_experiment(p).points == e.points


def test_integer_parameters_stay_integers(tmp_path):
    text = GOOD.replace('[vary."network.reciprocity"]\nlevels = [0.2, 0.8]',
                        '[vary."leadership.ceo_changes"]\nrange = [0, 3]\nn = 4')
    p = tmp_path / "exp.toml"
    p.write_text(textwrap.dedent(text))
    e = load_experiment(p)
    assert sorted({pt["values"]["leadership.ceo_changes"] for pt in e.points}) == [0, 1, 2, 3]
    assert all(isinstance(pt["values"]["leadership.ceo_changes"], int) for pt in e.points)


@pytest.mark.parametrize("path", sorted((ROOT / "experiments").glob("E*.toml")), ids=lambda p: p.stem)
def test_canonical_experiments_validate(path):
    pytest.importorskip("model.runner")
    e = load_experiment(path)
    assert e.n_runs >= 50
    assert e.engine == "model.sweep_engine"


LOG_SIZE = GOOD.replace("[set]\n\"trust.size\" = 50\n", "").replace(
    '[vary."network.reciprocity"]\nlevels = [0.2, 0.8]',
    '[vary."network.reciprocity"]\nrange = [0.2, 0.8]\n[vary."trust.size"]\nrange = [10, 100000]\nlog = true').replace(
    "n = 3\n", "")


@pytest.mark.parametrize("sampler,extra", [("sobol", "samples = 64"), ("morris", "samples = 40")])
def test_log_range_is_sampled_on_a_log_scale_by_sobol_and_morris(tmp_path, sampler, extra):
    """A headcount from 10 to 100,000 with log = true spreads over the orders of magnitude (issue 11:
    it used to be sampled linearly by sobol and morris, so nearly every point was above 10,000)."""
    p = tmp_path / "exp.toml"
    p.write_text(textwrap.dedent(LOG_SIZE.replace('sampler = "grid"', f'sampler = "{sampler}"\n{extra}')))
    e = load_experiment(p)
    sizes = np.array([pt["values"]["trust.size"] for pt in e.points])
    assert all(isinstance(pt["values"]["trust.size"], int) for pt in e.points)
    assert sizes.min() >= 10 and sizes.max() <= 100000
    # on the log scale each decade holds about a quarter of the points; linear sampling puts ~90% in the top one
    decades = np.histogram(np.log10(sizes), bins=[1, 2, 3, 4, 5])[0] / len(sizes)
    assert decades.min() > 0.1, decades
    if sampler == "morris":  # morris steps on a grid of 4 levels: geometric, not arithmetic
        assert set(sizes) <= {int(round(v)) for v in np.geomspace(10, 100000, 4)}
    from model.sweeps.design import salib_problem
    assert salib_problem(e)["bounds"][-1] == pytest.approx([np.log(10), np.log(100000)])


def test_real_size_experiments_reach_20000_staff():
    """Issue 11, criterion 7: the sensitivity analysis and the growth maps cover real headcounts."""
    pytest.importorskip("model.runner")
    e8 = load_experiment(ROOT / "experiments" / "E8_sensitivity_real.toml")
    staff = np.array([p["values"]["organisation.staff"] for p in e8.points])
    assert staff.min() < 1500 and staff.max() > 18000
    assert 3000 < np.median(staff) < 6500  # log scale: the median near the geometric mean, 4,472
    assert {"rollout.unit_share_annual", "rollout.cohort_size"} <= set(e8.varied_keys)
    for name in ("E2_regime_map_growth", "E2_regime_map_commitment"):
        e = load_experiment(ROOT / "experiments" / f"{name}.toml")
        assert e.fixed["organisation.staff"] == 20000 and "rollout.unit_share_annual" in e.varied_keys
