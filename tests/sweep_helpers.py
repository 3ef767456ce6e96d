"""Shared bits for the sweep tests: experiment files, subprocess environment."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
PY = sys.executable


def env() -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(ROOT)] + ([e["PYTHONPATH"]] if e.get("PYTHONPATH") else []))
    e["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"
    return e


SMALL = """
name = "small"
scenario = "alpha"
engine = "sweep_fake_engine"
seed = 11
reps = {reps}
weeks = 12
outcomes = ["regime", "reach_final", "adoption_trust_final", "weeks_to_reach"]
weekly = ["adoption_trust"]
weekly_every = 4
[set]
"test.sleep" = {sleep}
[vary."leadership.commitment"]
range = [0.1, 0.9]
n = {n}
[vary."network.reciprocity"]
levels = [0.2, 0.5, 0.8]
"""


def small_experiment(tmp: Path, reps: int = 3, n: int = 4, sleep: float = 0.0, extra: str = "",
                     name: str = "small.toml") -> Path:
    p = tmp / name
    p.write_text(textwrap.dedent(SMALL.format(reps=reps, n=n, sleep=sleep)) + textwrap.dedent(extra))
    return p


def comparable(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in a canonical order with columns sorted, for exact comparison."""
    df = df.sort_values(["point", "rep"]).reset_index(drop=True)
    return df[sorted(df.columns)]
