"""A small sweep of the real trust model through the `spread` command."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # sweep_helpers, sweep_fake_engine (in tests/)

pytest.importorskip("model.runner")

from model.cli import main as spread  # noqa: E402
from model.sweeps.runner import run_sweep  # noqa: E402
from model.sweeps.store import read_runs, read_weekly  # noqa: E402
from sweep_helpers import comparable  # noqa: E402

EXP = """
name = "tiny"
scenario = "baseline-teaching"
seed = 3
reps = 2
weeks = 40
outcomes = ["regime", "reach_final", "adoption_trust_final", "lead_time_change_pilot_final", "sustainment"]
weekly = ["adoption_trust", "reach"]
weekly_every = 10
[set]
"organisation.staff" = 300
[vary."leadership.commitment"]
levels = [0.4, 0.9]
[vary."network.cross_unit_ties"]
levels = [1.0, 3.0]
[analyses]
regime_map = {{ x = "network.cross_unit_ties", y = "leadership.commitment" }}
effects = {{ outcomes = ["reach_final"] }}
{extra}
"""


def test_spread_sweep_of_the_real_model(tmp_path, capsys):
    p = tmp_path / "tiny.toml"
    p.write_text(textwrap.dedent(EXP.format(extra="")))
    rc = spread(["sweep", str(p), "--out", str(tmp_path / "a"), "--workers", "2"])
    assert rc == 0, capsys.readouterr().err
    df = read_runs(tmp_path / "a")
    assert len(df) == 8 and df["error"].isna().all()
    assert set(df["regime"]) <= {"no gain", "local", "partial", "trust-wide"}
    assert (df["p.organisation.staff"] == 300).all() and "p.exchange.rule" in df.columns
    assert (tmp_path / "a" / "analysis" / "regime_map.png").exists()
    # serial in this process gives the same numbers
    run_sweep(p, out=tmp_path / "b", workers=1, analyse=False, progress=False, log=lambda m: None)
    pd.testing.assert_frame_equal(comparable(read_runs(tmp_path / "b")), comparable(df))
    pd.testing.assert_frame_equal(read_weekly(tmp_path / "b"), read_weekly(tmp_path / "a"))


def test_the_models_own_validation_reaches_the_experiment_file(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text(textwrap.dedent(EXP.format(extra="")).replace("levels = [0.4, 0.9]", "levels = [0.4, 1.9]"))
    rc = spread(["sweep", str(p), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and not (tmp_path / "o").exists()
    assert "leadership.commitment" in err and "1.9" in err and "allowed" in err


def test_real_model_batched_on_dask_workers_equals_runs_alone(tmp_path):
    """Issue 12: Dask workers run the real model's runs in batches (a task of four runs holds two
    design points that differ in commitment and cross-unit ties, which each replicate reads while
    it is built, so all four go through one TrustBatch) and give the numbers of runs one at a
    time in this process (batch = 1: every task a single run)."""
    pytest.importorskip("distributed")
    import model.batch as batch_mod

    p = tmp_path / "tiny.toml"
    p.write_text(textwrap.dedent(EXP.format(extra="")))
    made = []
    orig = batch_mod.TrustBatch.__init__

    def spy(self, params, seeds, weeks=None):
        made.append(len(seeds))
        orig(self, params, seeds, weeks)

    batch_mod.TrustBatch.__init__ = spy
    try:
        run_sweep(p, out=tmp_path / "serial", workers=1, batch=4, analyse=False, progress=False, log=lambda m: None)
    finally:
        batch_mod.TrustBatch.__init__ = orig
    assert made and max(made) == 4  # in-process, the same tasks batch both points' replicates together
    run_sweep(p, out=tmp_path / "alone", workers=1, batch=1, analyse=False, progress=False, log=lambda m: None)
    run_sweep(p, out=tmp_path / "dask", workers=2, scheduler="local", batch=4, analyse=False, progress=False,
              log=lambda m: None)
    ref = comparable(read_runs(tmp_path / "alone"))
    for d in ("serial", "dask"):
        pd.testing.assert_frame_equal(comparable(read_runs(tmp_path / d)), ref)
        pd.testing.assert_frame_equal(read_weekly(tmp_path / d), read_weekly(tmp_path / "alone"))
