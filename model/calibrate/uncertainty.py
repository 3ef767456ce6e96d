"""Using a posterior: outcomes and what-if effects over parameter draws as well as replicates.

``spread run X --posterior DIR --draws K`` runs the scenario once per draw
(each with ``--reps`` replicates) and ``spread compare ... --posterior DIR``
runs every what-if comparison once per draw. Every draw uses the same
replicate seeds (common random numbers across draws as across arms), so the
spread between draws is the parameters' uncertainty, not new noise; the
tables split the two: the standard deviation of the draws' means (parameter
uncertainty) beside the mean standard deviation within a draw (replicates).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from model.calibrate.posterior import Posterior
from model.params import parse_override


def user_overrides(items: Iterable[str]) -> dict[str, Any]:
    """``--set k=v`` items as a dict (they win over a posterior draw's values: the user asked for them)."""
    return dict(parse_override(i) for i in items)


def outcome_spread(summaries: pd.DataFrame, outcomes: Iterable[str], by: str = "draw") -> pd.DataFrame:
    """Per outcome: mean, 5%, median and 95% over every run (draws x replicates), and the two sources of spread."""
    rows = []
    for col in outcomes:
        x = summaries[col].astype(float)
        g = summaries.assign(_x=x).groupby(by)["_x"]
        rows.append({"outcome": col, "mean": float(x.mean()), "q05": float(x.quantile(0.05)),
                     "median": float(x.median()), "q95": float(x.quantile(0.95)),
                     "sd_between_draws": float(g.mean().std(ddof=1)) if g.ngroups > 1 else np.nan,
                     "sd_within_draw": float(g.std(ddof=1).mean()), "draws": int(g.ngroups), "runs": int(len(x))})
    return pd.DataFrame(rows)


def compare_over_posterior(names: list[str], whatifs: list, post: Posterior, draws: int, reps: int, seed: int,
                           weeks: int | None, workers: int | None, overrides: Iterable[str],
                           progress: Callable[[int, int], None] | None = None) -> tuple[list, pd.DataFrame, pd.DataFrame]:
    """Every comparison once per posterior draw.

    Returns (the comparisons of the first draw, for the usual report; one row
    per draw, scenario, what-if and outcome; and per scenario, what-if and
    outcome the draws' paired differences: mean, 5% and 95% over draws, and
    the share of draws whose 95% interval lies above 0 or below 0)."""
    from model.whatif.compare import compare

    user = user_overrides(overrides)
    first, rows = None, []
    for s in names:
        for k, draw in enumerate(post.draws(s, draws, seed)):
            comps = compare([s], whatifs, reps=reps, seed=seed, weeks=weeks, workers=workers,
                            overrides={**draw, **user}, progress=progress)
            if k == 0:
                first = (first or []) + comps
            for c in comps:
                rows.append(c.rows.assign(draw=k, **{f"param:{key}": v for key, v in draw.items()}))
    per_draw = pd.concat(rows, ignore_index=True)
    g = per_draw.groupby(["scenario", "what_if", "title", "outcome", "label", "unit"], sort=False)
    agg = g.agg(difference_mean=("difference", "mean"), difference_q05=("difference", lambda d: d.quantile(0.05)),
                difference_q95=("difference", lambda d: d.quantile(0.95)),
                share_draws_clearly_up=("ci_low", lambda lo: float((lo > 0).mean())),
                share_draws_clearly_down=("ci_high", lambda hi: float((hi < 0).mean())),
                draws=("draw", "nunique")).reset_index()
    return first, per_draw, agg
