"""Writing a run's results: tables, manifest, figure. The folder they go into
is model/results_folder.py's: a temporary one, moved into place at the end."""

from __future__ import annotations

import json
import math
import os
import re
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
    text = _numeric_csv(df)
    if text is None:
        df.to_csv(folder / f"{name}.csv", index=False)
    else:
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            f.write(text)


#: below this many rows pandas' own CSV writer is the quicker (a run's summary, network and survey rows)
_NUMERIC_CSV_ROWS = 100
#: characters that make the csv module quote a field (then pandas' own writer is used)
_QUOTED = re.compile(r'[,"\r\n]')


def _numeric_csv(df: pd.DataFrame) -> str | None:
    """The text ``df.to_csv(index=False)`` writes, for a table of int64 and float64 columns; None for any other.

    pandas formats a float column with numpy's ``astype(str)`` (NaN as the
    empty string) and an integer as ``str``; numbers need no quoting. Here
    each distinct float (by its bits, so -0.0 stays itself) is formatted
    once, and the rows are joined whole: the same text, a fraction of the
    time for the weekly table (many repeated values, no quoting to decide).
    """
    cols = df.columns
    if len(df) < _NUMERIC_CSV_ROWS:
        return None  # a few rows: pandas' writer is quicker than setting this up
    if (len(cols) < 2 or not all(isinstance(c, str) and c and not _QUOTED.search(c) for c in cols)
            or not all(t in (np.dtype(np.float64), np.dtype(np.int64)) for t in df.dtypes)):
        return None  # a lone column quotes an empty field; names or values that may need quoting
    floats = np.array([t == np.float64 for t in df.dtypes])
    text = np.empty((len(df), len(cols)), dtype=object)
    if floats.any():  # all float columns as one block: each distinct value (by its bits) formatted once
        v = np.ascontiguousarray(df.iloc[:, np.flatnonzero(floats)].to_numpy())
        bits, back = np.unique(v.view(np.int64), return_inverse=True)
        block = bits.view(np.float64).astype(str).astype(object)[back.reshape(-1)].reshape(v.shape)
        block[np.isnan(v)] = ""
        text[:, floats] = block
    if not floats.all():
        text[:, ~floats] = df.iloc[:, np.flatnonzero(~floats)].to_numpy().astype(str)
    nl = os.linesep
    return ",".join(cols) + nl + "".join([",".join(row) + nl for row in text.tolist()])


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
