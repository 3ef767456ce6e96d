"""Experiment files: parse, validate and expand into a design of runs.

An experiment file (TOML, in ``experiments/``) names a base scenario, the
parameters to vary by their scenario key paths, a sampler, replications,
weeks, the outcomes to keep and the analyses to run. ``load_experiment``
checks all of it before anything is run or written and raises
``ExperimentError`` whose ``lines`` are one line per problem, each naming the
file, the key, the value and what is allowed.

The design is a list of points (parameter values); every (point, replicate)
pair is one run whose seed is derived from the experiment's root seed and
that pair alone (``run_seed``), so the numbers do not depend on how runs are
scheduled.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from model import inputs
from model.sweeps.engines import DEFAULT_ENGINE, engine_allowed, engines, resolve_engine
from model.data import EXPERIMENT_DIR, resolve_experiment

SAMPLERS = ("grid", "lhs", "sobol", "morris", "points")
ANALYSES = ("summary", "effects", "regime_map", "sensitivity", "prim", "timeseries")
SEED_SCOPES = ("run", "replicate")
TOP_KEYS = {
    "name": "a short name (string)",
    "description": "free text",
    "scenario": "base scenario name or path",
    "seed": "root seed, integer >= 0",
    "reps": "replications per point, integer >= 1",
    "weeks": "weeks per run, integer >= 1 (omit for the scenario's default)",
    "sampler": "one of " + ", ".join(SAMPLERS),
    "samples": "number of samples (lhs) or base samples N (sobol, morris)",
    "second_order": "sobol only: also sample second-order indices (bool)",
    "morris_levels": "morris only: grid levels, even integer >= 4",
    "outcomes": "list of summary outcome names to keep (omit to keep all)",
    "weekly": "list of weekly columns to keep (default none)",
    "weekly_every": "keep every k-th week of the weekly columns (integer >= 1)",
    "seed_scope": "run (every run its own stream) or replicate (common random numbers across points)",
    "engine": "a registered engine name (default: model.sweep_engine, the trust model)",
    "set": "table of fixed values, key path = value, applied to every run",
    "vary": "table of varied parameters, key path = {levels = [...]} or {range = [lo, hi], n = k}",
    "points": "array of tables [[points]] with name, optional scenario, and values",
    "analyses": "table of analyses: " + ", ".join(ANALYSES),
}
VARY_KEYS = {"levels", "range", "n", "log"}
POINT_KEYS = {"name", "scenario", "values"}
ANALYSIS_KEYS = {
    "summary": {"outcomes"},
    "effects": {"outcomes", "params"},
    "regime_map": {"x", "y", "outcome", "spread", "local"},
    "sensitivity": {"outcomes"},
    "prim": {"outcome", "target", "threshold", "above", "min_density", "params"},
    "timeseries": {"columns", "by"},
}
SCENARIO_KEY = "scenario"


# Bounds where a typo would start hours or years of runs, or exhaust memory
# while the design is being expanded (issue 9); docs/SWEEPS.md states them.
MAX_REPS = 10_000
MAX_WEEKS = 2_000  # the trust model's own bound on run.weeks
MAX_SAMPLES = 100_000
MAX_LEVELS = 1_000  # levels of one varied parameter (a grid range's n, or a levels list)
MAX_MORRIS_LEVELS = 100
MAX_POINTS = 100_000
MAX_RUNS = 1_000_000
MAX_NAME = 100  # characters of the experiment's and the points' names
MAX_DESCRIPTION = 10_000


class ExperimentError(Exception):
    """Raised with one line per problem (``.lines``)."""

    def __init__(self, lines: list[str]):
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True)
class Varied:
    """One varied parameter of an experiment: a list of levels, or a numeric range.

    ``key`` is the scenario key path (or ``scenario``); ``levels`` the discrete
    values, or None for a range from ``lo`` to ``hi``; ``n`` the number of grid
    levels on that range (grid sampler only); ``log`` spaces a range
    geometrically (every sampler: sobol and morris sample its logarithm, see
    ``salib_problem``); ``integer`` rounds values to whole numbers.
    """

    key: str
    levels: tuple | None = None  # discrete levels
    lo: float | None = None
    hi: float | None = None
    n: int | None = None
    log: bool = False
    integer: bool = False

    def grid_levels(self) -> list:
        """The grid sampler's values: the levels, or ``n`` points evenly (or geometrically) from lo to hi."""
        if self.levels is not None:
            return list(self.levels)
        if self.log:
            vals = np.geomspace(self.lo, self.hi, self.n)
        else:
            vals = np.linspace(self.lo, self.hi, self.n)
        return [self.cast(v) for v in vals]

    def from_unit(self, u: float) -> Any:
        """Map u in [0, 1] onto this parameter."""
        if self.levels is not None:
            k = len(self.levels)
            return self.levels[min(int(u * k), k - 1)]
        if self.log:
            v = math.exp(math.log(self.lo) + u * (math.log(self.hi) - math.log(self.lo)))
        else:
            v = self.lo + u * (self.hi - self.lo)
        return self.cast(v)

    def cast(self, v: Any) -> int | float:
        """A sampled value as the parameter takes it: rounded to an int if integer, else a float."""
        if self.integer:
            return int(round(float(v)))
        return float(v)


@dataclass
class Experiment:
    """A validated experiment file: the base scenario, what is fixed and varied, the design and the analyses.

    ``fixed`` maps key paths to values applied to every run; ``points`` is the
    expanded design, each ``{"name", "scenario", "values"}``; ``reps`` the
    replicates per point; ``seed_scope`` ``run`` (every run its own stream) or
    ``replicate`` (the same stream for a replicate at every point); ``text``
    the file as read.
    """

    path: str
    name: str
    description: str
    scenario: str
    seed: int
    reps: int
    weeks: int | None
    sampler: str
    samples: int | None
    second_order: bool
    morris_levels: int
    outcomes: list[str] | None
    weekly: list[str]
    weekly_every: int
    seed_scope: str
    engine: str
    fixed: dict[str, Any]
    varied: list[Varied]
    points: list[dict]  # each: {"name", "scenario", "values"}
    analyses: dict[str, dict]
    text: str = ""

    # ----- the design -------------------------------------------------
    @property
    def n_points(self) -> int:
        """Number of design points."""
        return len(self.points)

    @property
    def n_runs(self) -> int:
        """Number of runs: design points times replicates."""
        return self.n_points * self.reps

    @property
    def varied_keys(self) -> list[str]:
        """Key paths the design varies.

        The varied parameters; with sampler points, every key a point sets, and
        ``scenario`` first if a point changes the base scenario.
        """
        if self.sampler == "points":
            keys: list[str] = []
            if any(p["scenario"] != self.scenario for p in self.points):
                keys.append(SCENARIO_KEY)
            for p in self.points:
                for k in p["values"]:
                    if k not in keys:
                        keys.append(k)
            return keys
        return [v.key for v in self.varied]

    def run_seed(self, point: int, rep: int) -> int:
        """Seed of one run, from the root seed, the point, the replicate and the seed scope alone."""
        return run_seed(self.seed, point, rep, self.seed_scope)

    def runs(self) -> Iterator[tuple[int, int, int]]:
        """Yield (point, rep, seed) in point-major order."""
        for i in range(self.n_points):
            for r in range(self.reps):
                yield i, r, self.run_seed(i, r)

    def resolved(self) -> dict:
        """The experiment as run: everything that decides the numbers."""
        return {
            "name": self.name,
            "scenario": self.scenario,
            "seed": self.seed,
            "reps": self.reps,
            "weeks": self.weeks,
            "sampler": self.sampler,
            "samples": self.samples,
            "second_order": self.second_order,
            "morris_levels": self.morris_levels,
            "outcomes": self.outcomes,
            "weekly": self.weekly,
            "weekly_every": self.weekly_every,
            "seed_scope": self.seed_scope,
            "engine": self.engine,
            "fixed": self.fixed,
            "varied": [
                {"key": v.key, "levels": list(v.levels) if v.levels is not None else None,
                 "range": None if v.levels is not None else [v.lo, v.hi],
                 "n": v.n, "log": v.log, "integer": v.integer}
                for v in self.varied
            ],
            "varied_keys": self.varied_keys,
            "points": self.points,
        }

    def design_hash(self) -> str:
        """First 16 hex digits of the SHA-256 of ``resolved()``, everything that decides the numbers."""
        blob = json.dumps(self.resolved(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


from model.seeds import run_seed  # noqa: E402  (one seed scheme for every command: model/seeds.py)


# ----- parsing and validation -----------------------------------------

def _fmt(v, limit: int = 200) -> str:
    """A value for an error line, cut short: a 50 MB string must not become a 50 MB line."""
    if isinstance(v, str):
        text = repr(v)
    else:
        try:
            text = json.dumps(v, default=str)
        except Exception:  # pragma: no cover - json handles every TOML value; RecursionError is guarded earlier
            text = repr(v)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _one_line(text: str) -> str:
    """``text`` with every character that is not printable written as its escape (``\\x1e``), so that an
    error line stays one line whatever names the file holds (the allowed list can repeat them)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class _Checker:
    def __init__(self, path: str):
        self.path = path
        self.errors: list[str] = []

    def err(self, key: str, value, problem: str, allowed: str):
        val = "(missing)" if value is _MISSING else _fmt(value)
        if not key.isprintable() or len(key) > 200:  # a key from the file may hold line breaks
            key = _fmt(key)
        self.errors.append(_one_line(f"{self.path}: {key} = {val}: {problem} (allowed: {allowed})"))


_MISSING = object()


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def load_experiment(path: str | Path, engine: Any = None, check_params: bool = True) -> Experiment:
    """Read and validate an experiment file (or a shipped one by name); raise ExperimentError on any problem."""
    path = resolve_experiment(path)  # 'E2_regime_map' works from a wheel, where experiments/ is not at hand
    p = Path(path)
    c = _Checker(str(path))
    if not p.is_file():
        why = inputs.not_a_file(p) or "file not found"
        raise ExperimentError([f"{path}: {why} (allowed: a TOML experiment file, e.g. experiments/E1_trusts.toml)"])
    try:
        text = inputs.read_text(p)
        raw = inputs.parse_toml(text)
    except inputs.InputProblem as e:
        problem = e.problem.replace("malformed TOML", "not valid TOML", 1)
        raise ExperimentError([f"{path}: {problem} (allowed: {e.allowed})"]) from None
    if isinstance(raw.get("parameters"), dict) and "targets" in raw and "vary" not in raw:
        shipped = p.parent.resolve() == EXPERIMENT_DIR.resolve()  # a shipped one by its name, not a site-packages path
        where = p.stem if shipped else path
        raise ExperimentError([f"{where}: a calibration file, not a sweep ([parameters] with priors and [[targets]]) "
                               f"(allowed: an experiment with [vary] or [[points]]; run this one with "
                               f"`spread calibrate {where}`)"])
    return experiment_from_dict(raw, str(path), text=text, engine=engine, check_params=check_params, checker=c)


def experiment_from_dict(raw: dict, path: str = "<dict>", text: str = "", engine: Any = None,
                         check_params: bool = True, checker: _Checker | None = None) -> Experiment:
    """Validate an experiment's parsed TOML and expand its design; raise ExperimentError on any problem."""
    c = checker or _Checker(path)
    for k in raw:
        if k not in TOP_KEYS:
            c.err(k, raw[k], "unknown key", ", ".join(TOP_KEYS))

    def get(key, default=_MISSING):
        return raw.get(key, default)

    name = get("name", Path(path).stem)
    if not isinstance(name, str) or not name or any(ch in name for ch in "/\\ ") or not name.isprintable():
        c.err("name", name, "not a usable name", "a non-empty string without spaces, slashes or control characters")
    elif len(name) > MAX_NAME:
        c.err("name", name, f"longer than {MAX_NAME} characters", f"a name of at most {MAX_NAME} characters")
    description = get("description", "")
    if not isinstance(description, str):
        c.err("description", description, "not a string", "text")
    elif len(description) > MAX_DESCRIPTION:
        c.err("description", description, f"longer than {MAX_DESCRIPTION:,} characters",
              f"text of at most {MAX_DESCRIPTION:,} characters")
    scenario = get("scenario")
    if scenario is _MISSING or not isinstance(scenario, str) or not scenario:
        c.err("scenario", scenario, "base scenario missing or not a string", "a scenario name or path")
        scenario = None
    seed = get("seed", 0)
    if not _is_int(seed) or seed < 0:
        c.err("seed", seed, "not a non-negative integer", "integer >= 0")
        seed = 0
    reps = get("reps", 1)
    if not _is_int(reps) or not 1 <= reps <= MAX_REPS:
        c.err("reps", reps, "not an integer from 1 to " + f"{MAX_REPS:,}", f"integer from 1 to {MAX_REPS:,}")
        reps = 1
    weeks = get("weeks", None)
    if weeks is not None and (not _is_int(weeks) or not 1 <= weeks <= MAX_WEEKS):
        c.err("weeks", weeks, f"not an integer from 1 to {MAX_WEEKS:,}",
              f"integer from 1 to {MAX_WEEKS:,}, or omit for the scenario default")
        weeks = None
    sampler = get("sampler", "grid")
    if sampler not in SAMPLERS:
        c.err("sampler", sampler, "unknown sampler", ", ".join(SAMPLERS))
        sampler = None
    samples = get("samples", None)
    if samples is not None and (not _is_int(samples) or not 1 <= samples <= MAX_SAMPLES):
        c.err("samples", samples, f"not an integer from 1 to {MAX_SAMPLES:,}", f"integer from 1 to {MAX_SAMPLES:,}")
        samples = None
    if sampler in ("lhs", "sobol", "morris") and samples is None and "samples" not in raw:
        c.err("samples", _MISSING, f"sampler {sampler} needs a sample count", "integer >= 1")
    if sampler in ("grid", "points") and "samples" in raw:
        c.err("samples", raw["samples"], f"sampler {sampler} takes no sample count", "omit it, or use lhs, sobol or morris")
    if sampler == "sobol" and samples is not None and samples & (samples - 1):
        c.err("samples", samples, "Sobol base samples must be a power of 2", "1, 2, 4, 8, 16, ...")
    second_order = get("second_order", False)
    if not isinstance(second_order, bool):
        c.err("second_order", second_order, "not a boolean", "true or false")
        second_order = False
    morris_levels = get("morris_levels", 4)
    if not _is_int(morris_levels) or not 4 <= morris_levels <= MAX_MORRIS_LEVELS or morris_levels % 2:
        c.err("morris_levels", morris_levels, f"not an even integer from 4 to {MAX_MORRIS_LEVELS}",
              f"4, 6, 8, ..., {MAX_MORRIS_LEVELS}")
        morris_levels = 4
    outcomes = get("outcomes", None)
    if outcomes is not None and (not isinstance(outcomes, list) or not outcomes
                                 or not all(isinstance(o, str) and o for o in outcomes)):
        c.err("outcomes", outcomes, "not a list of outcome names", "a non-empty list of strings, or omit for all")
        outcomes = None
    weekly = get("weekly", [])
    if not isinstance(weekly, list) or not all(isinstance(o, str) and o for o in weekly):
        c.err("weekly", weekly, "not a list of column names", "a list of strings")
        weekly = []
    weekly_every = get("weekly_every", 1)
    if not _is_int(weekly_every) or not 1 <= weekly_every <= MAX_WEEKS:
        c.err("weekly_every", weekly_every, f"not an integer from 1 to {MAX_WEEKS:,}", f"integer from 1 to {MAX_WEEKS:,}")
        weekly_every = 1
    seed_scope = get("seed_scope", "run")
    if seed_scope not in SEED_SCOPES:
        c.err("seed_scope", seed_scope, "unknown seed scope", ", ".join(SEED_SCOPES))
        seed_scope = "run"
    engine_name = get("engine", DEFAULT_ENGINE)
    if not isinstance(engine_name, str) or engine_name not in engines():
        # looked up, never imported: a file must not be able to run a module of its choosing
        c.err("engine", engine_name, "not a registered engine; nothing was imported", engine_allowed())
        engine_name = DEFAULT_ENGINE
    fixed = get("set", {})
    if not isinstance(fixed, dict):
        c.err("set", fixed, "not a table", "a table of key path = value")
        fixed = {}
    fixed = flatten_keys(fixed)

    # varied parameters
    varied: list[Varied] = []
    vary = get("vary", {})
    if not isinstance(vary, dict):
        c.err("vary", vary, "not a table", TOP_KEYS["vary"])
        vary = {}
    vary = _flatten_vary(vary)
    for key, spec in vary.items():
        v = _parse_varied(c, key, spec, sampler)
        if v is not None:
            varied.append(v)
        if key in fixed:
            c.err(f"vary.{_q(key)}", spec, "also fixed in [set]", "vary a key or fix it, not both")
    points_raw = get("points", None)
    points: list[dict] = []
    if sampler == "points":
        if vary:
            c.err("vary", vary, "sampler points takes its values from [[points]]", "omit [vary], or use another sampler")
        if not isinstance(points_raw, list) or not points_raw:
            c.err("points", points_raw, "sampler points needs at least one [[points]] table", "[[points]] with name and values")
            points_raw = []
        names = set()
        for i, pt in enumerate(points_raw):
            where = f"points[{i}]"
            if not isinstance(pt, dict):
                c.err(where, pt, "not a table", "[[points]] tables")
                continue
            for k in pt:
                if k not in POINT_KEYS:
                    c.err(f"{where}.{k}", pt[k], "unknown key", ", ".join(sorted(POINT_KEYS)))
            pname = pt.get("name", f"point{i}")
            if not isinstance(pname, str) or not pname or len(pname) > MAX_NAME:
                c.err(f"{where}.name", pname, "not a name", f"a non-empty string of at most {MAX_NAME} characters")
                pname = f"point{i}"
            if pname in names:
                c.err(f"{where}.name", pname, "duplicate point name", "unique names")
            names.add(pname)
            pscen = pt.get("scenario", scenario)
            if not isinstance(pscen, str) or not pscen:
                c.err(f"{where}.scenario", pscen, "not a scenario", "a scenario name or path")
                pscen = scenario
            vals = pt.get("values", {})
            if not isinstance(vals, dict):
                c.err(f"{where}.values", vals, "not a table", "a table of key path = value")
                vals = {}
            points.append({"name": pname, "scenario": pscen, "values": flatten_keys(vals)})
    else:
        if points_raw is not None:
            c.err("points", "[[points]]", f"sampler {sampler} does not take [[points]]", "use sampler = \"points\"")
        if sampler is not None and not varied and not c.errors:
            if sampler != "grid":
                c.err("vary", _MISSING, f"sampler {sampler} needs at least one varied parameter", TOP_KEYS["vary"])
        if sampler in ("sobol", "morris") and len(varied) < 2:
            c.err("vary", [v.key for v in varied], f"{sampler} needs two or more varied parameters", "two or more key paths")

    # analyses
    analyses_raw = get("analyses", {})
    analyses: dict[str, dict] = {}
    if not isinstance(analyses_raw, dict):
        c.err("analyses", analyses_raw, "not a table", ", ".join(ANALYSES))
        analyses_raw = {}
    for aname, opts in analyses_raw.items():
        if aname not in ANALYSES:
            c.err(f"analyses.{aname}", opts, "unknown analysis", ", ".join(ANALYSES))
            continue
        if opts is True:
            opts = {}
        if opts is False:
            continue
        if not isinstance(opts, dict):
            c.err(f"analyses.{aname}", opts, "not a table or boolean", "true, false, or a table of options")
            continue
        for k in opts:
            if k not in ANALYSIS_KEYS[aname]:
                c.err(f"analyses.{aname}.{k}", opts[k], "unknown option", ", ".join(sorted(ANALYSIS_KEYS[aname])) or "none")
        analyses[aname] = dict(opts)

    exp = Experiment(
        path=path, name=name if isinstance(name, str) else "experiment", description=description or "",
        scenario=scenario or "", seed=seed, reps=reps, weeks=weeks, sampler=sampler or "grid",
        samples=samples, second_order=second_order, morris_levels=morris_levels,
        outcomes=outcomes, weekly=weekly, weekly_every=weekly_every, seed_scope=seed_scope,
        engine=engine_name, fixed=fixed, varied=varied, points=points, analyses=analyses,
        text=text,
    )
    if c.errors:
        raise ExperimentError(c.errors)
    _check_size(c, exp)
    if c.errors:
        raise ExperimentError(c.errors)

    # the scenario side: key paths, value types and ranges, via the model's own checks
    if check_params:
        try:
            eng = engine or resolve_engine(engine_name)
        except (ImportError, AttributeError, LookupError) as e:
            raise ExperimentError([f"{path}: engine = {_fmt(engine_name)}: cannot be imported: {e} (allowed: a module with load_scenario, ParameterError, simulate)"])
        _check_against_scenario(c, exp, eng)
        if c.errors:
            raise ExperimentError(c.errors)
    if exp.sampler in ("sobol", "morris"):
        require_extra(path, "sweep", ("SALib",), f"sampler = {exp.sampler!r}")
    if exp.sampler != "points":
        exp.points = _sample(exp)
    _check_analyses(c, exp)
    if c.errors:
        raise ExperimentError(c.errors)
    if check_params:
        eng = engine or resolve_engine(engine_name)
        _check_points(c, exp, eng)
        if c.errors:
            raise ExperimentError(c.errors)
    return exp


def design_size(exp: Experiment) -> int:
    """Number of design points the sampler will make, computed without making them."""
    d = len(exp.varied)
    if exp.sampler == "points":
        return len(exp.points)
    if exp.sampler == "grid":
        return math.prod(len(v.levels) if v.levels is not None else v.n for v in exp.varied)
    if exp.sampler == "lhs":
        return exp.samples or 0
    if exp.sampler == "sobol":
        return (exp.samples or 0) * (2 * d + 2 if exp.second_order else d + 2)
    return (exp.samples or 0) * (d + 1)  # morris: trajectories of D+1 points


def _check_size(c: _Checker, exp: Experiment) -> None:
    """Refuse a design too large to expand or to run before a byte of it is made."""
    n = design_size(exp)
    if n > MAX_POINTS:
        key = "samples" if exp.sampler in ("lhs", "sobol", "morris") else ("points" if exp.sampler == "points" else "vary")
        c.err(key, exp.samples if key == "samples" else f"{n:,} design points",
              f"the {exp.sampler} design has {n:,} points, more than {MAX_POINTS:,}", f"at most {MAX_POINTS:,} design points")
    elif n * exp.reps > MAX_RUNS:
        c.err("reps", exp.reps, f"{n:,} points x {exp.reps:,} reps = {n * exp.reps:,} runs, more than {MAX_RUNS:,}",
              f"at most {MAX_RUNS:,} runs in one experiment")


def _q(key: str) -> str:
    return f'"{key}"' if "." in key else key


def flatten_keys(d: dict, prefix: str = "") -> dict:
    """{"a": {"b": 1}} and {"a.b": 1} both become {"a.b": 1}."""
    out = {}
    for k, v in d.items():
        full = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten_keys(v, full + "."))
        else:
            out[full] = v
    return out


def _flatten_vary(d: dict, prefix: str = "") -> dict:
    """Varied specs are tables holding levels/range; nested tables are key paths."""
    out = {}
    for k, v in d.items():
        full = f"{prefix}{k}"
        if isinstance(v, dict) and not (set(v) & VARY_KEYS):
            out.update(_flatten_vary(v, full + "."))
        else:
            out[full] = v
    return out


def _parse_varied(c: _Checker, key: str, spec, sampler) -> Varied | None:
    where = f"vary.{_q(key)}"
    if isinstance(spec, list):
        spec = {"levels": spec}
    if not isinstance(spec, dict):
        c.err(where, spec, "not a table or list", "{levels = [...]} or {range = [lo, hi], n = k}")
        return None
    for k in spec:
        if k not in VARY_KEYS:
            c.err(f"{where}.{k}", spec[k], "unknown option", ", ".join(sorted(VARY_KEYS)))
    has_levels, has_range = "levels" in spec, "range" in spec
    if has_levels == has_range:
        c.err(where, spec, "give exactly one of levels or range", "levels = [...] or range = [lo, hi]")
        return None
    log = spec.get("log", False)
    if not isinstance(log, bool):
        c.err(f"{where}.log", log, "not a boolean", "true or false")
        log = False
    if has_levels:
        levels = spec["levels"]
        if not isinstance(levels, list) or not levels:
            c.err(f"{where}.levels", levels, "not a non-empty list", "a list of values")
            return None
        if len(levels) > MAX_LEVELS:
            c.err(f"{where}.levels", f"{len(levels):,} levels", f"more than {MAX_LEVELS:,} levels", f"at most {MAX_LEVELS:,} levels")
            return None
        if len({json.dumps(v, sort_keys=True, default=str) for v in levels}) != len(levels):
            c.err(f"{where}.levels", levels, "repeated level", "distinct values")
        if "n" in spec:
            c.err(f"{where}.n", spec["n"], "n goes with range, not levels", "omit n")
        if sampler in ("sobol", "morris"):
            c.err(where, spec, f"{sampler} needs a numeric range", "range = [lo, hi]")
            return None
        if key == SCENARIO_KEY and sampler != "grid":
            c.err(where, spec, "scenario can only be varied by grid or points", "sampler grid or points")
        return Varied(key=key, levels=tuple(levels), log=log)
    rng = spec["range"]
    if not (isinstance(rng, list) and len(rng) == 2 and all(_is_num(x) and math.isfinite(x) for x in rng)):
        c.err(f"{where}.range", rng, "not a pair of finite numbers", "[lo, hi]")
        return None
    lo, hi = rng
    if not lo < hi:
        c.err(f"{where}.range", rng, "lower bound not below upper bound", "[lo, hi] with lo < hi")
        return None
    if log and lo <= 0:
        c.err(f"{where}.range", rng, "log scale needs positive bounds", "[lo, hi] with 0 < lo < hi")
        return None
    n = spec.get("n")
    if sampler == "grid":
        if n is None:
            c.err(f"{where}.n", _MISSING, "a grid range needs a number of levels", "integer >= 2")
            return None
        if not _is_int(n) or not 2 <= n <= MAX_LEVELS:
            c.err(f"{where}.n", n, f"not an integer from 2 to {MAX_LEVELS:,}", f"integer from 2 to {MAX_LEVELS:,}")
            return None
    elif n is not None:
        c.err(f"{where}.n", n, f"sampler {sampler} sets the number of points with samples", "omit n")
    integer = _is_int(lo) and _is_int(hi)
    return Varied(key=key, lo=lo, hi=hi, n=n, log=log, integer=integer)


def _check_against_scenario(c: _Checker, exp: Experiment, eng) -> None:
    """Key paths exist and values pass the model's own validation."""
    scenarios = {exp.scenario}
    for v in exp.varied:
        if v.key == SCENARIO_KEY and v.levels:
            scenarios |= {str(s) for s in v.levels}
    for p in exp.points:
        scenarios.add(p["scenario"])
    bases = {}
    for s in sorted(scenarios):
        try:
            bases[s] = eng.load_scenario(s)
        except eng.ParameterError as e:
            c.err("scenario", s, f"scenario does not load: {_oneline(e)}", "a scenario name in scenarios/ or a path")
        except (FileNotFoundError, OSError, KeyError, ValueError) as e:
            c.err("scenario", s, f"scenario does not load: {_oneline(e)}", "a scenario name in scenarios/ or a path")
    if not bases:
        return
    base = bases.get(exp.scenario) or next(iter(bases.values()))
    # fixed values
    try:
        fixed_base = base.with_values(exp.fixed) if exp.fixed else base
    except eng.ParameterError as e:
        c.err("set", exp.fixed, _oneline(e), "key paths and values the scenario accepts")
        return
    # varied: every level, or both ends of a range; integer-ness follows the scenario's value
    new = []
    for v in exp.varied:
        if v.key == SCENARIO_KEY:
            new.append(v)
            continue
        where = f"vary.{_q(v.key)}"
        try:
            current = fixed_base.get(v.key)
        except Exception as e:  # unknown key path
            c.err(where, v.levels if v.levels is not None else [v.lo, v.hi], f"unknown key path: {_oneline(e)}", "a key path of the scenario")
            new.append(v)
            continue
        if v.levels is None:
            integer = _is_int(current) and v.integer
            if _is_int(current) and not v.integer:
                c.err(f"{where}.range", [v.lo, v.hi], "the scenario value is an integer", "integer bounds")
            v = Varied(key=v.key, lo=v.lo, hi=v.hi, n=v.n, log=v.log, integer=integer)
            values = [v.cast(v.lo), v.cast(v.hi)]
        else:
            values = list(v.levels)
        for val in values:
            try:
                fixed_base.with_values({v.key: val})
            except eng.ParameterError as e:
                c.err(where, val, _oneline(e), "values the scenario accepts for this key")
        new.append(v)
    exp.varied = new


def _check_points(c: _Checker, exp: Experiment, eng, cap: int = 20000) -> None:
    """Every design point (up to cap) must pass the model's validation."""
    bases = {}
    networks: dict = {}
    seen_err = 0
    for i, p in enumerate(exp.points[:cap]):
        s = p["scenario"]
        if s not in bases:
            try:
                bases[s] = eng.load_scenario(s)
            except Exception as e:
                c.err(f"points[{i}].scenario", s, f"scenario does not load: {_oneline(e)}", "a scenario name or path")
                return
        where = f"points[{i}]" + (f" ({p['name']})" if p.get("name") else "")
        try:
            params = bases[s].with_values({**exp.fixed, **p["values"]})
        except eng.ParameterError as e:
            c.err(where, p["values"], _oneline(e), "values the scenario accepts")
            seen_err += 1
            if seen_err >= 5:
                c.errors.append(f"{exp.path}: further point errors not shown")
                return
            continue
        problem = _network_problem(params, networks)
        if problem:
            c.err(where, p["scenario"], problem, "a scenario whose network files the model can read")
            return


def _network_problem(params, seen: dict) -> str | None:
    """The first line of the error reading the network files ``params`` name, or None (read once per file set).

    Every run would raise it, so it belongs with the file's checks, before
    the results folder is made; another engine's parameters are not read."""
    from model.params import Params

    net = getattr(params, "network", None) if isinstance(params, Params) else None
    if net is None or net.mode == "generated":
        return None
    key = (net.mode, net.file, net.nodes)
    if key not in seen:
        from model.network_io import read_for
        from model.params import ParameterError
        try:
            read_for(params)
            seen[key] = None
        except ParameterError as e:
            seen[key] = _oneline(e)
    return seen[key]


def _oneline(e: BaseException) -> str:
    s = str(e).strip().splitlines()
    return s[0] if s else type(e).__name__


def _sample(exp: Experiment) -> list[dict]:
    """Expand varied parameters into design points."""
    vs = exp.varied
    pts: list[dict] = []
    if exp.sampler == "grid":
        if not vs:
            return [{"name": "base", "scenario": exp.scenario, "values": {}}]
        for combo in itertools.product(*[v.grid_levels() for v in vs]):
            values = {}
            scen = exp.scenario
            for v, val in zip(vs, combo):
                if v.key == SCENARIO_KEY:
                    scen = str(val)
                else:
                    values[v.key] = val
            pts.append({"name": "", "scenario": scen, "values": values})
    elif exp.sampler == "lhs":
        from scipy.stats import qmc
        u = qmc.LatinHypercube(d=len(vs), seed=np.random.default_rng(exp.seed)).random(exp.samples)
        for row in u:
            pts.append({"name": "", "scenario": exp.scenario,
                        "values": {v.key: v.from_unit(x) for v, x in zip(vs, row)}})
    elif exp.sampler in ("sobol", "morris"):
        X = _salib_sample(exp)
        for row in X:
            pts.append({"name": "", "scenario": exp.scenario,
                        "values": {v.key: v.cast(_from_log(v, x) if v.log else x) for v, x in zip(vs, row)}})
    for i, p in enumerate(pts):
        p["name"] = f"p{i}"
    return pts


def _from_log(v: Varied, x: float) -> float:
    """A value sampled on the log scale, back on its own, kept inside [lo, hi] despite rounding."""
    return min(max(math.exp(x), v.lo), v.hi)


def salib_problem(exp: Experiment) -> dict:
    """The SALib problem of a sobol or morris experiment: its varied key paths and their [lo, hi] bounds.

    A range with ``log = true`` is sampled on its logarithm, bounds
    [ln lo, ln hi], so the design spreads evenly over orders of magnitude (a
    headcount from 1,000 to 20,000) and the indices are those of ln x.
    """
    return {
        "num_vars": len(exp.varied),
        "names": [v.key for v in exp.varied],
        "bounds": [[math.log(v.lo), math.log(v.hi)] if v.log else [v.lo, v.hi] for v in exp.varied],
    }


def extras_needed(sampler: str, analyses: dict, analyse: bool = True, scheduler: str | None = None
                  ) -> list[tuple[str, tuple[str, ...], str]]:
    """(extra, modules, what needs them) for a sweep: its design, its analyses (when they run), its scheduler."""
    need = []
    if sampler in ("sobol", "morris"):
        need.append(("sweep", ("SALib",), f"sampler = {sampler!r}"))
    if analyse and "prim" in analyses:
        need.append(("sweep", ("ema_workbench",), "analyses.prim (scenario discovery)"))
    if scheduler:
        need.append(("sweep", ("distributed",), f"--scheduler {scheduler}"))
    return need


def require_extra(where: str, extra: str, modules: tuple[str, ...], what: str) -> None:
    """model.extras.require as an ExperimentError of one line that starts with ``where``."""
    from model.extras import MissingExtra, require
    try:
        require(extra, modules, f"{where}: {what}")
    except MissingExtra as e:
        raise ExperimentError([str(e)]) from None


def require_extras(exp: "Experiment", analyse: bool = True, scheduler: str | None = None) -> None:
    """Raise ExperimentError (one line) when a package the sweep will need is missing: before any work."""
    for extra, modules, what in extras_needed(exp.sampler, exp.analyses, analyse, scheduler):
        require_extra(str(exp.path), extra, modules, what)


def _salib_sample(exp: Experiment) -> np.ndarray:
    problem = salib_problem(exp)
    if exp.sampler == "sobol":
        from SALib.sample import sobol
        return sobol.sample(problem, exp.samples, calc_second_order=exp.second_order, seed=exp.seed)
    from SALib.sample import morris
    return morris.sample(problem, exp.samples, num_levels=exp.morris_levels, seed=exp.seed)


def _check_analyses(c: _Checker, exp: Experiment) -> None:
    keys = exp.varied_keys
    outs = exp.outcomes

    def need_param(where, k):
        if k not in keys:
            c.err(where, k, "not a varied parameter of this experiment", ", ".join(keys) or "none varied")

    def need_outcome(where, o):
        if outs is not None and o not in outs:
            c.err(where, o, "not among the kept outcomes", ", ".join(outs))

    for aname, opts in exp.analyses.items():
        base = f"analyses.{aname}"
        for o in opts.get("outcomes", []) or []:
            need_outcome(f"{base}.outcomes", o)
        for k in opts.get("params", []) or []:
            need_param(f"{base}.params", k)
        if aname == "regime_map":
            for ax in ("x", "y"):
                if ax not in opts:
                    c.err(f"{base}.{ax}", _MISSING, "the regime map needs two swept parameters", ", ".join(keys))
                else:
                    need_param(f"{base}.{ax}", opts[ax])
            if opts.get("x") is not None and opts.get("x") == opts.get("y"):
                c.err(f"{base}.y", opts["y"], "x and y are the same parameter", "two different swept parameters")
            need_outcome(f"{base}.outcome", opts.get("outcome", "regime"))
            for lab, dflt in (("spread", ["trust-wide"]), ("local", ["local", "no gain"])):
                val = opts.get(lab, dflt)
                if not isinstance(val, list) or not val or not all(isinstance(s, str) for s in val):
                    c.err(f"{base}.{lab}", val, "not a list of regime labels", f"e.g. {json.dumps(dflt)}")
        if aname == "sensitivity" and exp.sampler not in ("sobol", "morris"):
            c.err(base, opts, f"sensitivity indices need sampler sobol or morris, not {exp.sampler}", "sampler = \"sobol\" or \"morris\"")
        if aname == "prim":
            if "outcome" not in opts:
                c.err(f"{base}.outcome", _MISSING, "PRIM needs an outcome", "an outcome name")
            else:
                need_outcome(f"{base}.outcome", opts["outcome"])
            if ("target" in opts) == ("threshold" in opts):
                c.err(base, opts, "give exactly one of target (labels) or threshold (number)", 'target = ["trust-wide"] or threshold = 0.5')
            if "threshold" in opts and not _is_num(opts["threshold"]):
                c.err(f"{base}.threshold", opts["threshold"], "not a number", "a number")
            if "min_density" in opts and not (_is_num(opts["min_density"]) and 0 < opts["min_density"] <= 1):
                c.err(f"{base}.min_density", opts["min_density"], "not in (0, 1]", "a share, e.g. 0.8")
            num = [k for k in keys if k != SCENARIO_KEY]
            if len(num) < 1:
                c.err(base, opts, "PRIM needs varied parameters", "vary at least one parameter")
        if aname == "timeseries":
            for col in opts.get("columns", []) or []:
                if col not in exp.weekly:
                    c.err(f"{base}.columns", col, "not among the kept weekly columns", ", ".join(exp.weekly) or "none kept: set weekly = [...]")
            by = opts.get("by")
            if by is not None:
                need_param(f"{base}.by", by)
