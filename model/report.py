"""Writing a run's results: tables, manifest, figure. The folder they go into
is model/results_folder.py's: a temporary one, moved into place at the end."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .intervals import t_interval
from .outputs import REGIMES, outcome_range
from .provenance import git_label, versions

# column, label, scale, unit; intervals are clipped to ``outputs.outcome_range``
KEY_OUTCOMES = (
    ("lead_time_change_pilot_final", "pilot lead-time change", 100, "%"),
    ("lead_time_change_rest_final", "non-pilot lead-time change", 100, "%"),
    ("adoption_rest_final", "adoption outside pilots", 100, "%"),
    ("reach_final", "trust-wide reach", 100, "%"),
    ("sustainment", "sustainment (end / peak)", 1, ""),
    ("detected_104w_share", "pathways detected by 104 w", 100, "%"),
)


def summary_table(summaries: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Key outcomes with 95% intervals and regime counts, one row per group."""
    groups = summaries.groupby(by, sort=False) if by else [("all", summaries)]
    rows = []
    for name, df in groups:
        row = {by or "group": name, "runs": len(df)}
        for col, label, scale, unit in KEY_OUTCOMES:
            low, high = outcome_range(col)
            m, lo, hi = t_interval(df[col] * scale, bounds=(low * scale, high * scale))
            row[label] = _fmt_interval(m, lo, hi, 1 if scale != 1 else 2, unit)
        counts = df["regime"].value_counts()
        row["regimes"] = ", ".join(f"{r}: {int(counts.get(r, 0))}" for r in REGIMES)
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt_interval(m: float, lo: float, hi: float, nd: int, unit: str) -> str:
    if math.isnan(m):
        return "n/a"
    bounds = "n/a" if math.isnan(lo) else f"{lo:.{nd}f}, {hi:.{nd}f}"
    return f"{m:.{nd}f}{unit} [{bounds}]"


def write_tables(folder: Path, name: str, df: pd.DataFrame) -> None:
    """Write ``df`` as NAME.parquet (exact) and NAME.csv (for spreadsheets) into ``folder``.

    The Parquet file is the bytes ``df.to_parquet(path, index=False)`` writes
    (pyarrow, snappy, pandas metadata), converted on this thread: pyarrow's
    column-conversion thread pool costs more than the small tables of a run.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if df.attrs:  # pandas stores attrs in the file's metadata: its own writer, to keep them
        df.to_parquet(folder / f"{name}.parquet", index=False)
    else:
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False, nthreads=1), folder / f"{name}.parquet")
    df.to_csv(folder / f"{name}.csv", index=False)


def write_manifest(folder: Path, **fields: Any) -> None:
    """Write run.json: versions, git commit and ``fields`` (the results folder adds its file list)."""
    manifest = {"versions": versions(), "git_commit": git_label(), **fields}
    (folder / "run.json").write_text(json.dumps(manifest, indent=2, default=_jsonable))


def _jsonable(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
