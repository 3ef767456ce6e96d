"""Per-run summary and regime label (pure functions: a run in, a row out)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .params import Params

REGIMES = ("no gain", "local", "partial", "trust-wide")


def regime(lead_time_change_pilot: float, reach: float, params: Params) -> str:
    """'no gain', 'local', 'partial' or 'trust-wide', with the thresholds in ``params.outputs``."""
    o = params.outputs
    if lead_time_change_pilot > -o.no_gain_cut:
        return "no gain"
    if reach < o.local_max_reach:
        return "local"
    if reach < o.trustwide_min_reach:
        return "partial"
    return "trust-wide"


#: Outcomes (summary columns and weekly series) that are shares, in [0, 1].
_SHARE_PREFIXES = ("adoption_", "reach", "capability_mean", "capable_share", "manager_support", "recognition",
                   "sustainment", "detected_", "pathway1_detected", "trustwide")


def outcome_range(name: str) -> tuple[float, float] | None:
    """The values an outcome can take, for clipping intervals; None if unbounded or unknown.

    Shares lie in [0, 1]; lead times only fall, so their change lies in [-1, 0].
    """
    if name.startswith("lead_time_change"):
        return (-1.0, 0.0)
    if name.startswith(_SHARE_PREFIXES):
        return (0.0, 1.0)
    return None


def first_week(series: np.ndarray, level: float) -> float:
    """First week at which ``series`` reaches ``level`` (NaN if it never does)."""
    hit = np.flatnonzero(series >= level)
    return float(hit[0]) if hit.size else np.nan


def _skipna(reduce, values: np.ndarray) -> float:
    """``reduce`` over the non-NaN values, NaN if none (pandas' ``Series.max``/``min``, exactly)."""
    kept = values[~np.isnan(values)]
    return float(reduce(kept)) if kept.size else np.nan


def summarise(weekly: pd.DataFrame, params: Params, first_rpiw: np.ndarray, detected_week: np.ndarray,
              ceo_changes: int) -> dict:
    """One summary row: final and peak values, time to reach, sustainment, detection, regime."""
    # the columns as float arrays, once (what weekly.iloc[-1] and each column's max/min read)
    col = {k: weekly[k].to_numpy(dtype=np.float64) for k in (
        "adoption_pilot", "adoption_rest", "adoption_trust", "reach", "capability_mean", "manager_support",
        "attention", "lead_time_change_pilot", "lead_time_change_rest")}
    out: dict = {}
    for k in ("adoption_pilot", "adoption_rest", "adoption_trust", "reach", "capability_mean",
              "manager_support", "attention"):
        out[f"{k}_final"] = float(col[k][-1])
        out[f"{k}_peak"] = _skipna(np.max, col[k])
    for k in ("lead_time_change_pilot", "lead_time_change_rest"):
        out[f"{k}_final"] = float(col[k][-1])
        out[f"{k}_best"] = _skipna(np.min, col[k])
    peak = out["adoption_trust_peak"]
    out["sustainment"] = float(col["adoption_trust"][-1] / peak) if peak > 0 else 0.0
    out["sustainment_rest"] = float(col["adoption_rest"][-1] / out["adoption_rest_peak"]) if out["adoption_rest_peak"] > 0 else 0.0
    out["weeks_to_local_reach"] = first_week(col["reach"], params.outputs.local_max_reach)
    out["weeks_to_trustwide_reach"] = first_week(col["reach"], params.outputs.trustwide_min_reach)
    weeks = int(weekly["week"].iloc[-1])
    for window in (52, 104):
        due = first_rpiw + window <= weeks
        hit = (detected_week >= 0) & (detected_week <= first_rpiw + window)
        out[f"detected_{window}w_share"] = float(hit[due].mean()) if due.any() else np.nan
    out["pathway1_detected_104w"] = float(bool(detected_week[0] >= 0 and detected_week[0] <= first_rpiw[0] + 104)) if len(first_rpiw) else np.nan
    out["ceo_changes"] = int(ceo_changes)
    out["regime"] = regime(out["lead_time_change_pilot_final"], out["reach_final"], params)
    return out
