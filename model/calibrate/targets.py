"""What a calibration target measures in one run, and the distance of a particle's statistics.

A statistic is one of:

* ``outcome = NAME``: a summary outcome of the run (``model.outputs.summarise``);
  ``outcome = "regime"`` with ``regimes = [...]`` gives 1 when the run's regime
  is one of them (so the mean over replicates is the share of such runs);
  ``divide_by = NAME`` divides by another outcome of the same run
  (e.g. the pilot lead-time change at the end over its best);
* ``series = COLUMN`` with ``statistic`` = final, mean, max, min or at (then
  ``week = W``): a statistic of a weekly column (``model.trust.WEEKLY``);
* ``network = NAME`` with ``when`` = start or end: the staff network's
  measures (``model.network.network_stats``);
* ``survey = NAME``: the emulated staff survey (``model.survey``), e.g. its
  reciprocity.

A target's value is the mean over the particle's replicates, or the difference
of two scenarios' means (``versus``; the replicates share their seeds, so it
is a paired difference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from model.params import defaults
from model.survey import STATS as SURVEY_STATS

# pandas, the summary (model.outputs) and the weekly columns (model.trust, which loads Mesa) are
# imported where a target needs them, so a calibration file that fails before its targets
# (missing, malformed, a wrong top-level key) gets its one error line without loading them

KINDS = ("outcome", "series", "network", "survey")
SERIES_STATS = ("final", "mean", "max", "min", "at")
#: ``model.network.network_stats``'s measures (tests/test_calibrate.py checks them against a run).
NETWORK_STATS = ("staff", "arcs", "density", "reciprocity_arcs", "reciprocity_pairs", "one_directional_share",
                 "clustering_mean", "transitivity", "mean_in_degree", "mean_out_degree", "max_in_degree",
                 "max_out_degree", "components", "largest_component_share", "cross_unit_ties_per_person")


class StatisticError(ValueError):
    """A target key whose value is not a statistic the runs give (``key``, ``value``, ``allowed``)."""

    def __init__(self, key: str, value: Any, allowed: str):
        super().__init__(f"{key} = {value!r}: {allowed}")
        self.key, self.value, self.allowed = key, value, allowed


@lru_cache(maxsize=1)
def summary_outcomes() -> tuple[str, ...]:
    """Every summary outcome name, read from ``summarise`` itself on a one-week stand-in run (no simulation)."""
    import pandas as pd

    from model.outputs import summarise
    from model.trust import WEEKLY

    weekly = pd.DataFrame({"week": [0], **{c: [0.0] for c in WEEKLY}})
    row = summarise(weekly, defaults(), np.zeros(1, int), -np.ones(1, int), 0)
    return tuple(row)


@dataclass(frozen=True)
class Statistic:
    """One number a run gives: see the module docstring for the kinds."""

    kind: str
    name: str
    statistic: str = "final"
    week: int = -1
    when: str = "start"
    regimes: tuple[str, ...] = ()
    divide_by: str = ""

    @property
    def key(self) -> str:
        """A short readable identity, e.g. ``adoption_rest_final``, ``series:reach:at:156``."""
        if self.kind == "outcome":
            if self.regimes:
                return f"regime in {'/'.join(self.regimes)}"
            return self.name + (f"/{self.divide_by}" if self.divide_by else "")
        if self.kind == "series":
            return f"series:{self.name}:{self.statistic}" + (f":{self.week}" if self.statistic == "at" else "")
        if self.kind == "network":
            return f"network:{self.name}:{self.when}"
        return f"survey:{self.name}"

    def value(self, result) -> float:
        """This statistic of one run (a ``model.runner.RunResult``); NaN where the run has none."""
        if self.kind == "outcome":
            if self.regimes:
                return float(result.summary["regime"] in self.regimes)
            v = _float(result.summary[self.name])
            if self.divide_by:
                d = _float(result.summary[self.divide_by])
                return v / d if d else math.nan
            return v
        if self.kind == "series":
            col = result.weekly[self.name].to_numpy(float)
            if self.statistic == "at":
                weeks = result.weekly["week"].to_numpy()
                hit = np.flatnonzero(weeks == self.week)
                return float(col[hit[0]]) if hit.size else math.nan
            return float({"final": col[-1], "mean": col.mean(), "max": col.max(), "min": col.min()}[self.statistic])
        if self.kind == "network":
            return _float((result.network_start if self.when == "start" else result.network_end)[self.name])
        return _float(result.survey.get(self.name, math.nan))


def _float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def parse_statistic(body: dict) -> Statistic:
    """The statistic a target table names; StatisticError naming the key otherwise."""
    kinds = [k for k in KINDS if k in body]
    if len(kinds) != 1:
        raise StatisticError(kinds[1] if len(kinds) > 1 else "outcome", body.get(kinds[1]) if len(kinds) > 1 else None,
                             "allowed is exactly one of outcome, series, network or survey")
    kind = kinds[0]
    name = body[kind]
    for k, only in (("statistic", "series"), ("week", "series"), ("when", "network"), ("regimes", "outcome"),
                    ("divide_by", "outcome")):
        if k in body and kind != only:
            raise StatisticError(k, body[k], f"allowed only with {only} = ...")
    if kind == "outcome":
        from model.outputs import REGIMES

        names = summary_outcomes()
        if name not in names:
            raise StatisticError("outcome", name, f"not an output; allowed is one of {', '.join(names)}")
        regimes = body.get("regimes")
        if name == "regime":
            if not (isinstance(regimes, list) and regimes and all(r in REGIMES for r in regimes)):
                raise StatisticError("regimes", regimes, f"allowed with outcome = \"regime\" is a list of "
                                     f"{', '.join(REGIMES)} (the statistic is the share of runs in them)")
            return Statistic("outcome", name, regimes=tuple(regimes))
        if regimes is not None:
            raise StatisticError("regimes", regimes, "allowed only with outcome = \"regime\"")
        div = body.get("divide_by", "")
        if div and (div not in names or div == "regime"):
            raise StatisticError("divide_by", div, f"allowed is a numeric outcome ({', '.join(n for n in names if n != 'regime')})")
        return Statistic("outcome", name, divide_by=div)
    if kind == "series":
        from model.trust import WEEKLY

        if name not in WEEKLY:
            raise StatisticError("series", name, f"not an output; allowed is a weekly column ({', '.join(WEEKLY)})")
        st = body.get("statistic", "final")
        if st not in SERIES_STATS:
            raise StatisticError("statistic", st, f"allowed is one of {', '.join(SERIES_STATS)}")
        week = body.get("week", -1)
        if st == "at" and (isinstance(week, bool) or not isinstance(week, int) or week < 0):
            raise StatisticError("week", body.get("week"), "allowed with statistic = \"at\" is a week, an integer >= 0")
        if st != "at" and "week" in body:
            raise StatisticError("week", week, "allowed only with statistic = \"at\"")
        return Statistic("series", name, st, int(week))
    if kind == "network":
        if name not in NETWORK_STATS:
            raise StatisticError("network", name, f"not an output; allowed is one of {', '.join(NETWORK_STATS)}")
        when = body.get("when", "start")
        if when not in ("start", "end"):
            raise StatisticError("when", when, "allowed is start or end")
        return Statistic("network", name, when=when)
    names = [s for s in SURVEY_STATS if s != "week"]
    if name not in names:
        raise StatisticError("survey", name, f"not an output; allowed is one of {', '.join(names)}")
    return Statistic("survey", name)


def target_values(targets, means: dict[tuple[str, str], float]) -> dict[str, float]:
    """Each target's value from the per-scenario means ``(alias, statistic key) -> mean``."""
    out = {}
    for t in targets:
        v = means[(t.scenario, t.statistic.key)]
        if t.versus:
            v = v - means[(t.versus, t.statistic.key)]
        out[t.name] = float(v)
    return out


def distance(targets, values: dict[str, float]) -> float:
    """Root of the weighted mean squared gap over the fitted targets (0 when every one is met)."""
    fitted = [t for t in targets if t.fit and t.weight > 0]  # weight 0 x an unmet (infinite) gap would be NaN
    wsum = sum(t.weight for t in fitted) or 1.0
    total = sum(t.weight * t.gap(values[t.name]) ** 2 for t in fitted)
    return float(math.sqrt(total / wsum))
