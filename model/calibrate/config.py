"""Calibration files (TOML, no code): parse and validate before any work.

A calibration file names the scenarios to run, the parameters to fit with
their priors, the targets (statistics of the runs with an observed value or
interval and a distance), and the ABC-SMC budget. Every problem is one
:class:`CalibrationError` line naming the file, the key, the value and what
is allowed (docs/calibration.md lists every key)::

    name = "recovery"
    seed = 1
    replicates = 2           # runs per particle and scenario
    population = 40          # particles per generation
    generations = 4          # or min_epsilon = 0.05 (stop at that tolerance), or both
    weeks = 104              # optional: every scenario's horizon

    [scenarios]
    sash = "sash-teaching"                                      # alias = scenario name or path
    sash_ceo = { scenario = "sash-teaching", set = { "leadership.ceo_changes" = [60] } }

    [parameters."exchange.threshold"]
    prior = "uniform"        # uniform, log-uniform, beta, normal
    low = 0.1
    high = 0.45

    [[targets]]
    scenario = "sash"
    outcome = "adoption_rest_final"   # or series / network / survey (see model/calibrate/targets.py)
    observed = 0.42                   # or interval = [lo, hi], at_least = x, at_most = x
    scale = 0.1
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model import inputs
from model.data import EXPERIMENT_DIR
from model.params import FIELDS, ParameterError, Params, load_scenario, resolve_path
from model.calibrate.targets import Statistic, StatisticError, parse_statistic

PRIORS = ("uniform", "log-uniform", "beta", "normal")
TOP_KEYS = {
    "name": "a short name (string)",
    "description": "free text",
    "seed": "root seed, an integer >= 0",
    "replicates": "runs per particle and scenario, an integer from 1 to 1000",
    "population": "particles per generation, an integer from 2 to 100000",
    "generations": "the most generations to run, an integer from 1 to 100",
    "min_epsilon": "stop once the tolerance is at or below this, a number >= 0",
    "weeks": "weeks per run for every scenario, an integer >= 1 (omit for each scenario's run.weeks)",
    "draws": "posterior draws for the predictive checks, an integer from 0 to 10000",
    "predictive_replicates": "runs per draw and scenario in the predictive checks, an integer from 1 to 1000",
    "scenarios": "a table alias = scenario name or path, or alias = {scenario = ..., set = {key = value}}",
    "parameters": "a table of parameters to fit: [parameters.\"section.key\"] prior = ..., low = ..., high = ...",
    "targets": "an array of tables [[targets]]: scenario, a statistic, an observed value or interval",
}
PARAM_KEYS = {"key", "prior", "low", "high", "a", "b", "mean", "sd", "scenarios"}
TARGET_KEYS = {"name", "scenario", "versus", "observed", "interval", "at_least", "at_most", "scale", "weight",
               "tolerance", "pattern", "fit", "outcome", "series", "network", "survey", "statistic", "week", "when",
               "regimes", "divide_by"}
SCENARIO_KEYS = {"scenario", "set"}
#: Bounds that keep every distance finite: a target's weight, its observed values and its scale. A gap is
#: at most (2 x 1e9) / 1e-9 scales, so weight x gap squared stays far below the float range (an infinite
#: distance for every particle would accept them all at an infinite tolerance).
MAX_WEIGHT = 1e6
MAX_VALUE = 1e9
MIN_SCALE = 1e-9
#: What --quick keeps of a calibration: enough to show the machinery end to end in under 2 minutes.
QUICK = {"population": 4, "generations": 2, "replicates": 1, "draws": 3, "predictive_replicates": 1}


class CalibrationError(ParameterError):
    """A calibration file that cannot be used: one line naming file, key, value and what is allowed."""


@dataclass(frozen=True)
class Prior:
    """One free parameter: its name in the fit, the scenario key it sets, its prior and bounds.

    ``scenarios`` lists the scenario aliases it applies to (empty: every
    scenario). ``low`` and ``high`` bound the prior (a beta is scaled onto
    [low, high], a normal truncated to it) and lie inside the key's range in
    ``model.params.FIELDS``.
    """

    name: str
    key: str
    prior: str
    low: float
    high: float
    a: float = 1.0
    b: float = 1.0
    mean: float = 0.0
    sd: float = 1.0
    scenarios: tuple[str, ...] = ()

    @property
    def integer(self) -> bool:
        """Whether the scenario key takes whole numbers (the draw is rounded)."""
        return FIELDS[self.key].kind == "int"

    def value(self, x: float) -> float | int:
        """The scenario value of a draw ``x`` (rounded for an integer key)."""
        return int(round(x)) if self.integer else float(x)

    def applies_to(self, alias: str) -> bool:
        """Whether this parameter is set in scenario ``alias``."""
        return not self.scenarios or alias in self.scenarios


@dataclass(frozen=True)
class Target:
    """A statistic of one scenario (or a difference of two) with what is observed and how far is too far.

    ``observed`` is a point value; otherwise ``low``/``high`` bound an interval
    (either may be infinite). The distance is 0 inside the interval (or at the
    point) and grows linearly with the gap, divided by ``scale``. ``fit``
    False holds the target out of the distance: it is only checked in the
    posterior predictive checks, under ``pattern``.
    """

    name: str
    scenario: str
    statistic: Statistic
    versus: str | None = None
    observed: float | None = None
    low: float = -math.inf
    high: float = math.inf
    scale: float = 1.0
    weight: float = 1.0
    tolerance: float = 0.0
    pattern: str = ""
    fit: bool = True

    def gap(self, value: float) -> float:
        """How far ``value`` lies from what is observed, in units of ``scale`` (0 when it matches)."""
        if not math.isfinite(value):
            return math.inf
        if self.observed is not None:
            return abs(value - self.observed) / self.scale
        return max(self.low - value, value - self.high, 0.0) / self.scale

    def meets(self, value: float) -> bool:
        """Whether ``value`` meets the target: inside the interval, or within ``tolerance`` of the point."""
        if not math.isfinite(value):
            return False
        if self.observed is not None:
            return abs(value - self.observed) <= self.tolerance
        return self.low <= value <= self.high

    def describe(self) -> str:
        """What is observed, in words: '= 0.4', 'in [0.3, 0.5]', '>= 0', '<= -0.2'."""
        if self.observed is not None:
            return f"= {self.observed:g}"
        if math.isinf(self.low):
            return f"<= {self.high:g}"
        if math.isinf(self.high):
            return f">= {self.low:g}"
        return f"in [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class Arm:
    """A scenario of the calibration: its alias, source and fixed overrides, validated."""

    alias: str
    source: str
    overrides: dict = field(default_factory=dict)

    def params(self) -> Params:
        """The arm's validated parameters (before the free parameters are applied)."""
        return load_scenario(self.source, overrides=self.overrides)


@dataclass(frozen=True)
class Calibration:
    """A validated calibration file."""

    path: str
    name: str
    description: str
    seed: int
    replicates: int
    population: int
    generations: int
    min_epsilon: float
    weeks: int | None
    draws: int
    predictive_replicates: int
    arms: tuple[Arm, ...]
    priors: tuple[Prior, ...]
    targets: tuple[Target, ...]
    quick: bool = False

    @property
    def fitted(self) -> tuple[Target, ...]:
        """The targets in the distance."""
        return tuple(t for t in self.targets if t.fit)

    def arm(self, alias: str) -> Arm:
        """The scenario of that alias."""
        return next(a for a in self.arms if a.alias == alias)

    def values(self, theta: dict, alias: str) -> dict:
        """Scenario overrides of arm ``alias`` for the particle ``theta`` (fit name -> draw)."""
        return {p.key: p.value(theta[p.name]) for p in self.priors if p.applies_to(alias)}

    def digest(self) -> str:
        """A hash of everything that decides the numbers (a folder holds one calibration).

        The stopping rules (``generations``, ``min_epsilon``) are left out: a
        generation's particles do not depend on them, so a finished
        calibration can be continued with a larger budget (``--resume``)."""
        doc = {k: getattr(self, k) for k in ("seed", "replicates", "population", "weeks", "quick")}
        doc["arms"] = [(a.alias, a.source, a.overrides) for a in self.arms]
        doc["priors"] = [p.__dict__ for p in self.priors]
        doc["targets"] = [{**t.__dict__, "statistic": t.statistic.key} for t in self.targets]
        text = json.dumps(doc, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def resolve_calibration(name_or_path: str | Path) -> Path:
    """A calibration file path, or the shipped experiment of that name (experiments/NAME.toml)."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists() or "/" in str(name_or_path):
        return p
    return EXPERIMENT_DIR / f"{name_or_path}.toml"


def _fmt(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _integer(where: str, key: str, v: Any, lo: int, hi: int, allowed: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise CalibrationError(f"{where}: {key} = {_fmt(v)}: allowed is {allowed}")
    return v


def load_calibration(name_or_path: str | Path, quick: bool = False) -> Calibration:
    """Read and validate a calibration file; the first problem is one CalibrationError line."""
    path = resolve_calibration(name_or_path)
    where = str(path)
    if not path.is_file():
        why = inputs.not_a_file(path)
        raise CalibrationError(f"{where}: {why or 'file not found'}; allowed is a calibration .toml file "
                               f"(e.g. experiments/C1_patterns.toml)")
    try:
        doc = inputs.load_toml_file(path)
    except inputs.InputProblem as exc:
        raise CalibrationError(f"{where}: {exc.problem}; allowed is {exc.allowed}") from None
    for k, v in doc.items():
        if k not in TOP_KEYS:
            raise CalibrationError(f"{where}: {k} = {_fmt(v)}: unknown key; allowed keys are {', '.join(TOP_KEYS)}")
    for k in ("scenarios", "parameters", "targets"):
        if k not in doc:
            raise CalibrationError(f"{where}: {k}: missing; allowed is {TOP_KEYS[k]}")
    name = doc.get("name", path.stem)
    if not isinstance(name, str):
        raise CalibrationError(f"{where}: name = {_fmt(name)}: allowed is {TOP_KEYS['name']}")
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise CalibrationError(f"{where}: description = {_fmt(description)}: allowed is free text (a string)")
    seed = _integer(where, "seed", doc.get("seed", 0), 0, 2**63 - 1, TOP_KEYS["seed"])
    reps = _integer(where, "replicates", doc.get("replicates", 2), 1, 1000, TOP_KEYS["replicates"])
    pop = _integer(where, "population", doc.get("population", 100), 2, 100_000, TOP_KEYS["population"])
    gens = _integer(where, "generations", doc.get("generations", 5), 1, 100, TOP_KEYS["generations"])
    draws = _integer(where, "draws", doc.get("draws", 50), 0, 10_000, TOP_KEYS["draws"])
    preps = _integer(where, "predictive_replicates", doc.get("predictive_replicates", reps), 1, 1000,
                     TOP_KEYS["predictive_replicates"])
    weeks = doc.get("weeks")
    if weeks is not None:
        weeks = _integer(where, "weeks", weeks, 1, int(FIELDS["run.weeks"].hi), f"an integer from 1 to {FIELDS['run.weeks'].hi:g}")
    eps = doc.get("min_epsilon", 0.0)
    if not _number(eps) or eps < 0:
        raise CalibrationError(f"{where}: min_epsilon = {_fmt(eps)}: allowed is {TOP_KEYS['min_epsilon']}")
    arms = _arms(where, doc["scenarios"])
    priors = _priors(where, doc["parameters"], arms)
    targets = _targets(where, doc["targets"], arms)
    _check_horizons(where, targets, arms, priors, weeks)
    if quick:
        pop, gens, reps = min(pop, QUICK["population"]), min(gens, QUICK["generations"]), QUICK["replicates"]
        draws, preps = min(draws, QUICK["draws"]), QUICK["predictive_replicates"]
    return Calibration(where, name, description, seed, reps, pop, gens, float(eps), weeks, draws, preps,
                       arms, priors, targets, quick)


def _arms(where: str, doc: Any) -> tuple[Arm, ...]:
    if not isinstance(doc, dict) or not doc:
        raise CalibrationError(f"{where}: scenarios = {_fmt(doc)}: allowed is {TOP_KEYS['scenarios']}")
    arms = []
    for alias, body in doc.items():
        key = f"scenarios.{alias}"
        if isinstance(body, str):
            body = {"scenario": body}
        if not isinstance(body, dict) or "scenario" not in body or set(body) - SCENARIO_KEYS:
            raise CalibrationError(f"{where}: {key} = {_fmt(body)}: allowed is a scenario name or path, or "
                                   "{scenario = ..., set = {\"section.key\" = value}}")
        source, overrides = body["scenario"], body.get("set", {})
        if not isinstance(source, str) or not isinstance(overrides, dict):
            raise CalibrationError(f"{where}: {key} = {_fmt(body)}: allowed is scenario = a name or path, "
                                   "set = a table of \"section.key\" = value")
        src = resolve_path(source)
        if not src.is_absolute() and not src.exists() and (Path(where).parent / source).is_file():
            source = str(Path(where).parent / source)  # a scenario beside the calibration file
        arm = Arm(alias, source, dict(overrides))
        from model.network_io import read_for  # pandas and the network's readers: only once a file is at hand
        try:
            read_for(arm.params())  # a network file the scenario names is read (and cached) before any folder
        except ParameterError as exc:
            raise CalibrationError(f"{where}: {key}: {exc}") from None
        arms.append(arm)
    return tuple(arms)


def _priors(where: str, doc: Any, arms: tuple[Arm, ...]) -> tuple[Prior, ...]:
    if not isinstance(doc, dict) or not doc:
        raise CalibrationError(f"{where}: parameters = {_fmt(doc)}: allowed is {TOP_KEYS['parameters']}")
    aliases = [a.alias for a in arms]
    out = []
    for name, body in doc.items():
        k = f"parameters.{name}"
        if not isinstance(body, dict):
            raise CalibrationError(f"{where}: {k} = {_fmt(body)}: allowed is a table with prior, low, high "
                                   f"({', '.join(sorted(PARAM_KEYS))})")
        extra = set(body) - PARAM_KEYS
        if extra:
            bad = sorted(extra)[0]
            raise CalibrationError(f"{where}: {k}.{bad} = {_fmt(body[bad])}: unknown key; allowed keys are "
                                   f"{', '.join(sorted(PARAM_KEYS))}")
        key = body.get("key", name)
        if key not in FIELDS:
            raise CalibrationError(f"{where}: {k} = {_fmt(key)}: unknown parameter; allowed is a scenario key "
                                   "path (`spread params` lists them), or key = \"section.key\" under another name")
        f = FIELDS[key]
        if f.kind not in ("int", "float"):
            raise CalibrationError(f"{where}: {k}: {key} is a {f.kind}; allowed is a numeric parameter")
        prior = body.get("prior", "uniform")
        if prior not in PRIORS:
            raise CalibrationError(f"{where}: {k}.prior = {_fmt(prior)}: allowed is one of {', '.join(PRIORS)}")
        low, high = body.get("low", f.lo), body.get("high", f.hi)
        for bk, bv in (("low", low), ("high", high)):
            if not _number(bv) or not f.lo <= bv <= f.hi:
                raise CalibrationError(f"{where}: {k}.{bk} = {_fmt(bv)}: allowed is a number within {key}'s range "
                                       f"(from {f.lo:g} to {f.hi:g})")
        if not low < high:
            raise CalibrationError(f"{where}: {k}.low = {_fmt(low)}: allowed is a number below high ({high:g})")
        if prior == "log-uniform" and low <= 0:
            raise CalibrationError(f"{where}: {k}.low = {_fmt(low)}: allowed for a log-uniform prior is a number > 0")
        shape = {}
        if prior == "beta":
            for sk in ("a", "b"):
                v = body.get(sk, 1.0)
                if not _number(v) or v <= 0:
                    raise CalibrationError(f"{where}: {k}.{sk} = {_fmt(v)}: allowed is a number > 0 (beta shape)")
                shape[sk] = float(v)
        if prior == "normal":
            for sk in ("mean", "sd"):
                if sk not in body:
                    raise CalibrationError(f"{where}: {k}.{sk}: missing; allowed is a number (normal prior, "
                                           f"truncated to [low, high])")
                v = body[sk]
                if not _number(v) or (sk == "sd" and v <= 0):
                    raise CalibrationError(f"{where}: {k}.{sk} = {_fmt(v)}: allowed is a number{' > 0' if sk == 'sd' else ''}")
                shape[sk] = float(v)
        for sk in ("a", "b", "mean", "sd"):
            if sk in body and sk not in shape:
                raise CalibrationError(f"{where}: {k}.{sk} = {_fmt(body[sk])}: allowed only with "
                                       f"prior = {'beta' if sk in 'ab' else 'normal'}")
        scen = body.get("scenarios", [])
        if not isinstance(scen, list) or any(s not in aliases for s in scen):
            raise CalibrationError(f"{where}: {k}.scenarios = {_fmt(scen)}: allowed is a list of scenario aliases "
                                   f"({', '.join(aliases)}); omit for every scenario")
        p = Prior(str(name), key, prior, float(low), float(high), scenarios=tuple(scen), **shape)
        for arm in arms:  # the bounds must give valid trees (cross-field rules) in every arm they apply to
            if not p.applies_to(arm.alias):
                continue
            for bound in (p.low, p.high):
                try:
                    arm.params().with_values({key: p.value(bound)}, where=f"{where}: {k}")
                except ParameterError as exc:
                    raise CalibrationError(f"{where}: {k}: in scenario {arm.alias}: {exc}") from None
        out.append(p)
    taken: dict[tuple[str, str], str] = {}
    for p in out:
        for arm in arms:
            if p.applies_to(arm.alias):
                other = taken.setdefault((arm.alias, p.key), p.name)
                if other != p.name:
                    raise CalibrationError(f"{where}: parameters.{p.name}: {p.key} is already fitted as {other} in "
                                           f"scenario {arm.alias}; allowed is each key once per scenario")
    return tuple(out)


def _targets(where: str, doc: Any, arms: tuple[Arm, ...]) -> tuple[Target, ...]:
    if not isinstance(doc, list) or not doc or not all(isinstance(t, dict) for t in doc):
        raise CalibrationError(f"{where}: targets = {_fmt(doc)}: allowed is {TOP_KEYS['targets']}")
    aliases = [a.alias for a in arms]
    out, names = [], set()
    for i, body in enumerate(doc):
        k = f"targets[{i}]"
        extra = set(body) - TARGET_KEYS
        if extra:
            bad = sorted(extra)[0]
            raise CalibrationError(f"{where}: {k}.{bad} = {_fmt(body[bad])}: unknown key; allowed keys are "
                                   f"{', '.join(sorted(TARGET_KEYS))}")
        for sk in ("scenario", "versus"):
            if sk in body and body[sk] not in aliases:
                raise CalibrationError(f"{where}: {k}.{sk} = {_fmt(body[sk])}: allowed is a scenario alias "
                                       f"({', '.join(aliases)})")
        if "scenario" not in body:
            raise CalibrationError(f"{where}: {k}.scenario: missing; allowed is a scenario alias ({', '.join(aliases)})")
        try:
            stat = parse_statistic(body)
        except StatisticError as exc:
            raise CalibrationError(f"{where}: {k}.{exc.key} = {_fmt(exc.value)}: {exc.allowed}") from None
        given = [sk for sk in ("observed", "interval", "at_least", "at_most") if sk in body]
        if not given or ("observed" in given and len(given) > 1) or ("interval" in given and len(given) > 1):
            raise CalibrationError(f"{where}: {k}: {', '.join(given) or 'no observation'}: allowed is one of "
                                   "observed = x, interval = [lo, hi], or at_least and/or at_most")
        observed, low, high = None, -math.inf, math.inf
        if "observed" in body:
            observed = body["observed"]
            if not _number(observed) or abs(observed) > MAX_VALUE:
                raise CalibrationError(f"{where}: {k}.observed = {_fmt(observed)}: allowed is a number from "
                                       f"{-MAX_VALUE:g} to {MAX_VALUE:g}")
            observed = float(observed)
        if "interval" in body:
            iv = body["interval"]
            if not (isinstance(iv, list) and len(iv) == 2 and all(_number(x) and abs(x) <= MAX_VALUE for x in iv)
                    and iv[0] <= iv[1]):
                raise CalibrationError(f"{where}: {k}.interval = {_fmt(iv)}: allowed is [lo, hi] with lo <= hi, "
                                       f"each from {-MAX_VALUE:g} to {MAX_VALUE:g}")
            low, high = float(iv[0]), float(iv[1])
        for sk in ("at_least", "at_most"):
            if sk in body:
                if not _number(body[sk]) or abs(body[sk]) > MAX_VALUE:
                    raise CalibrationError(f"{where}: {k}.{sk} = {_fmt(body[sk])}: allowed is a number from "
                                           f"{-MAX_VALUE:g} to {MAX_VALUE:g}")
                if sk == "at_least":
                    low = float(body[sk])
                else:
                    high = float(body[sk])
        if low > high:
            raise CalibrationError(f"{where}: {k}.at_least = {low:g}: allowed is at most at_most ({high:g})")
        default_scale = abs(observed) if observed else (high - low if math.isfinite(high - low) and high > low else 1.0)
        scale = body.get("scale", default_scale or 1.0)
        if not _number(scale) or not MIN_SCALE <= scale <= MAX_VALUE:
            raise CalibrationError(f"{where}: {k}.scale = {_fmt(scale)}: allowed is a number from {MIN_SCALE:g} "
                                   f"to {MAX_VALUE:g}")
        weight = body.get("weight", 1.0)
        if not _number(weight) or not 0 <= weight <= MAX_WEIGHT:
            raise CalibrationError(f"{where}: {k}.weight = {_fmt(weight)}: allowed is a number from 0 to {MAX_WEIGHT:g}")
        tol = body.get("tolerance", scale if observed is not None else 0.0)
        if not _number(tol) or tol < 0:
            raise CalibrationError(f"{where}: {k}.tolerance = {_fmt(tol)}: allowed is a number >= 0")
        fit = body.get("fit", True)
        if not isinstance(fit, bool):
            raise CalibrationError(f"{where}: {k}.fit = {_fmt(fit)}: allowed is true or false")
        pattern = body.get("pattern", "")
        if not isinstance(pattern, str):
            raise CalibrationError(f"{where}: {k}.pattern = {_fmt(pattern)}: allowed is a string (e.g. \"P2\")")
        versus = body.get("versus")
        name = body.get("name") or (f"{body['scenario']}-{versus}:{stat.key}" if versus else f"{body['scenario']}:{stat.key}")
        if not isinstance(name, str) or name in names:
            raise CalibrationError(f"{where}: {k}.name = {_fmt(name)}: allowed is a name no other target has")
        names.add(name)
        out.append(Target(name, body["scenario"], stat, versus, observed, low, high, float(scale), float(weight),
                          float(tol), pattern, fit))
    if not any(t.fit for t in out):
        raise CalibrationError(f"{where}: targets: every target has fit = false; allowed is at least one in the fit")
    if not any(t.fit and t.weight > 0 for t in out):
        raise CalibrationError(f"{where}: targets: every fitted target has weight = 0; allowed is at least one "
                               "with weight > 0 (the distance would be 0 for every particle)")
    return tuple(out)


def _check_horizons(where: str, targets: tuple[Target, ...], arms: tuple[Arm, ...], priors: tuple[Prior, ...],
                    weeks: int | None) -> None:
    """A target whose statistic its scenario's horizon never reaches is refused: it would be NaN in every run
    (the survey after the last week, a series read at a week past it), and a NaN distance stops pyabc."""
    for i, t in enumerate(targets):
        st = t.statistic
        if st.kind != "survey" and not (st.kind == "series" and st.statistic == "at"):
            continue
        for alias in (t.scenario, t.versus):
            if alias is None:
                continue
            arm = next(a for a in arms if a.alias == alias)
            moved = {p.key for p in priors if p.applies_to(alias)} & {"run.weeks", "outputs.survey_week"}
            if moved:
                continue  # a fitted horizon or survey week: some particles reach it
            params = arm.params()
            horizon = weeks or params.run.weeks
            need = params.outputs.survey_week if st.kind == "survey" else st.week
            if need > horizon:
                what = f"survey = {st.name!r}: the survey is taken in week {need}" if st.kind == "survey" \
                    else f"series = {st.name!r}, week = {need}"
                raise CalibrationError(f"{where}: targets[{i}].{what}, but scenario {alias} runs {horizon} weeks; "
                                       f"allowed is a week within the horizon (set weeks >= {need}"
                                       + (" or outputs.survey_week)" if st.kind == "survey" else ")"))
