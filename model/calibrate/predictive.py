"""Posterior predictive checks: run every scenario for draws from the posterior, check each pattern.

A pattern is the set of targets that carry its name (``pattern = "P2"``); a
draw meets it when every one of them is met by the draw's mean over its
replicates. Targets with ``fit = false`` are held out of the fit and checked
here only, so the share of draws that meets a held-out pattern is a test of
the calibrated model on something it was not fitted to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.calibrate.config import Calibration
from model.calibrate.fit import evaluate

#: Design points of predictive runs start here, above every particle's point (48-bit hashes): new seeds.
PREDICTIVE_POINT = 2**48


def draw_particles(particles: pd.DataFrame, names: list[str], k: int, seed: int) -> pd.DataFrame:
    """``k`` particles drawn with replacement by weight (seeded; the same seed, the same draws)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(PREDICTIVE_POINT,)))
    w = particles["weight"].to_numpy(float)
    idx = rng.choice(len(particles), size=k, replace=True, p=w / w.sum())
    return particles.iloc[idx][names].reset_index(drop=True)


def predictive_checks(cal: Calibration, particles: pd.DataFrame, executor,
                      workers: int | None = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the draws; return (one row per draw: its values, each target's value and met; one row per pattern).

    The pattern table has the pattern, whether it was fitted ("fitted",
    "held out" or "partly"), its targets, and the share of draws meeting it.
    """
    names = [p.name for p in cal.priors]
    draws = draw_particles(particles, names, cal.draws, cal.seed)
    rows = []
    for i, theta in enumerate(draws.to_dict("records")):
        values = evaluate(cal, theta, executor, targets=cal.targets, reps=cal.predictive_replicates,
                          point=PREDICTIVE_POINT + i, workers=workers)
        row = {"draw": i, **theta}
        for t in cal.targets:
            row[t.name] = values[t.name]
            row[f"met:{t.name}"] = bool(t.meets(values[t.name]))
        rows.append(row)
    per_draw = pd.DataFrame(rows)
    patterns = []
    groups: dict[str, list] = {}
    for t in cal.targets:
        groups.setdefault(t.pattern or t.name, []).append(t)
    for pat, ts in groups.items():
        fitted = {t.fit for t in ts}
        met = np.ones(len(per_draw), bool)
        for t in ts:
            met &= per_draw[f"met:{t.name}"].to_numpy(bool) if len(per_draw) else np.zeros(0, bool)
        patterns.append({"pattern": pat, "fit": "fitted" if fitted == {True} else ("held out" if fitted == {False} else "partly"),
                         "targets": "; ".join(f"{t.name} {t.describe()}" for t in ts),
                         "draws": len(per_draw), "share_met": float(met.mean()) if len(per_draw) else np.nan})
    return per_draw, pd.DataFrame(patterns)
