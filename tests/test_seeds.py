"""One seed scheme: replicate i of `spread run X --seed S` is replicate i of a one-point sweep and of compare's baseline arm."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from model.cli import main as spread
from model.seeds import replicate_seeds, run_seed


def test_replicates_are_point_zero_and_distinct():
    seeds = replicate_seeds(7, 50)
    assert seeds == [run_seed(7, 0, i) for i in range(50)]
    assert len(set(seeds)) == 50 and all(0 <= s < 2**63 for s in seeds)
    assert replicate_seeds(7, 10) == seeds[:10]  # the number of replicates changes no seed
    assert run_seed(7, 3, 2, "replicate") == run_seed(7, 0, 2) != run_seed(7, 3, 2)
    with pytest.raises(ValueError):
        run_seed(7, 0, 0, "nope")


def test_run_sweep_and_compare_share_replicates(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert spread(["run", "baseline-teaching", "--reps", "3", "--weeks", "30", "--seed", "4", "--workers", "1",
                   "--out", "run"]) == 0
    (tmp_path / "one.toml").write_text(textwrap.dedent("""
        name = "one"
        scenario = "baseline-teaching"
        seed = 4
        reps = 3
        weeks = 30
        sampler = "points"
        [[points]]
        name = "baseline"
    """))
    assert spread(["sweep", "one.toml", "--workers", "1", "--no-analyse", "--out", "sweep"]) == 0
    from model.params import load_scenario
    from model.whatif.compare import run_arms
    arms = run_arms({"base": load_scenario("baseline-teaching")}, reps=3, seed=4, weeks=30, workers=1)
    capsys.readouterr()
    run = pd.read_parquet(tmp_path / "run" / "summary.parquet").sort_values("rep").reset_index(drop=True)
    sweep = pd.read_parquet(tmp_path / "sweep" / "runs").sort_values("rep").reset_index(drop=True)
    base = arms["base"].summaries.reset_index(drop=True)
    assert list(run["seed"]) == list(sweep["seed"]) == replicate_seeds(4, 3)
    cols = ["reach_final", "adoption_trust_final", "adoption_rest_final", "lead_time_change_pilot_final",
            "sustainment", "regime"]
    pd.testing.assert_frame_equal(run[cols], sweep[cols], check_dtype=False)
    shared = [c for c in cols if c in base.columns]
    assert shared, base.columns
    pd.testing.assert_frame_equal(run[shared], base[shared], check_dtype=False)
    assert np.all(run["reach_final"].to_numpy() == sweep["reach_final"].to_numpy())
