"""What-if comparisons for policy teams: ``spread compare``.

A *what-if* is a named set of changes to any scenario, kept in a TOML file
in ``scenarios/what-if/`` (or anywhere, given by path)::

    title = "Integrated improvement strategy"
    description = "One sentence a policy reader understands."
    source = "Recommendation 1: ..."

    [leadership]
    integration = { at_least = 0.9 }   # why, in the source's words

A value is either set outright (``key = value``) or changed relative to the
scenario with a one-entry table: ``{ at_least = x }`` (raise to x, never
lower: a trust already there is left alone), ``{ at_most = x }``,
``{ add = x }`` (clipped to the key's allowed range) or ``{ scale = x }``.

``spread compare`` runs the scenario (the *baseline arm*) and each what-if
with common random numbers: replicate i of every arm uses the same seed, and
every mechanism draws from its own named stream a fixed number of numbers a
week (model/trust.py), so a what-if that changes nothing gives exactly zero
difference, and a small change gives a paired difference whose interval is
much narrower than comparing independent runs. Outcomes are compared
replicate by replicate (paired differences, 95% intervals).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from . import inputs
from .intervals import newcombe_paired, paired_t_interval
from .params import FIELDS, SCENARIO_DIR, ParameterError, Params, _describe, flatten_sections, load_scenario, read_toml

WHATIF_DIR = SCENARIO_DIR / "what-if"

#: The source's five recommendations, then the two levers the issue names.
RECOMMENDED = ("integrated-strategy", "peer-learning-first", "new-leader-support", "managers-involved",
               "measurement-capability", "stable-leadership", "aligned-priorities")

#: The five trusts, as in ``spread trusts``.
TRUSTS = ("sash", "leeds", "uhcw", "bhr", "sath")

OPS = ("set", "add", "scale", "at_least", "at_most")
META = ("title", "description", "source", "include")
#: Longest title, description and source, in characters: they are laid out in
#: the report and its figures, where a huge string fails (issue 9).
META_MAX = {"title": 200, "description": 2_000, "source": 2_000}

#: Outcomes compared, in report order: (column, label, scale, unit, better when).
#: ``trustwide`` is 1 when a replicate's regime is 'trust-wide', else 0, so its
#: mean is the chance of trust-wide spread.
OUTCOMES = (
    ("trustwide", "chance of trust-wide spread", 100, "%", "higher"),
    ("reach_final", "reach beyond the pilots", 100, "%", "higher"),
    ("adoption_trust_final", "trust-wide adoption", 100, "%", "higher"),
    ("lead_time_change_pilot_final", "pilot lead-time change", 100, "%", "lower"),
    ("lead_time_change_rest_final", "non-pilot lead-time change", 100, "%", "lower"),
    ("sustainment", "sustainment (end / peak adoption)", 1, "", "higher"),
)
OUTCOME_LABEL = {c: lab for c, lab, *_ in OUTCOMES}
#: Outcomes that are shares in [0, 1]: their intervals are clipped to what is possible.
SHARES = ("trustwide", "reach_final", "adoption_trust_final", "sustainment")

#: Weekly series kept for the trajectory figures.
TRAJECTORIES = ("reach", "adoption_trust", "adoption_rest", "lead_time_change_pilot", "lead_time_change_rest")


# ---------------------------------------------------------------------------
# what-if files
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class WhatIf:
    name: str
    title: str
    description: str
    source: str
    changes: dict[str, tuple[str, Any]]  # key -> (op, operand)
    path: str

    def apply(self, params: Params) -> Params:
        """The scenario with this what-if's changes (validated)."""
        return params.with_values(self.values_for(params), where=self.path)

    def values_for(self, params: Params) -> dict[str, Any]:
        out = {}
        for key, (op, x) in self.changes.items():
            old = params.get(key)
            f = FIELDS[key]
            if op == "set":
                new = x
            elif op == "at_least":
                new = max(old, x)
            elif op == "at_most":
                new = min(old, x)
            elif op == "add":
                new = min(max(old + x, f.lo), f.hi)
            else:  # scale
                new = min(max(old * x, f.lo), f.hi)
            if f.kind == "int" and op != "set":
                new = int(round(new))
            out[key] = new
        return out

    def effective(self, params: Params) -> dict[str, tuple[Any, Any]]:
        """Keys this what-if really changes in ``params``: key -> (old, new)."""
        new = self.apply(params)
        return {k: (params.get(k), new.get(k)) for k in self.changes if params.get(k) != new.get(k)}

    def describe_changes(self) -> str:
        words = {"set": "=", "add": "+=", "scale": "x=", "at_least": ">=", "at_most": "<="}
        return "; ".join(f"{k} {words[op]} {_describe(x)}" for k, (op, x) in self.changes.items())


def bundled_whatifs() -> list[str]:
    return sorted(p.stem for p in WHATIF_DIR.glob("*.toml"))


def resolve_whatif(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.suffix == ".toml" or "/" in str(name_or_path) or (p.exists() and p.is_file()):
        return p
    return WHATIF_DIR / f"{name_or_path}.toml"


def load_whatif(name_or_path: str | Path, _seen: tuple = ()) -> WhatIf:
    """Read and validate one what-if file; every problem is one-line :class:`ParameterError`.

    ``include = ["a", "b"]`` takes the changes of other what-ifs first (later
    ones and this file's own changes win where keys repeat)."""
    path = resolve_whatif(name_or_path)
    where = str(path)
    doc = read_toml(path, "what-if", WHATIF_DIR, bundled_whatifs)
    meta = {}
    changes: dict[str, tuple[str, Any]] = {}
    include = doc.get("include", [])
    if not isinstance(include, list) or not all(isinstance(x, str) for x in include):
        raise ParameterError(f"{where}: include = {_describe(include)}: allowed is a list of what-if names or paths")
    for inc in include:
        ipath = path.parent / (inc if inc.endswith(".toml") else f"{inc}.toml")
        try:
            looped = inputs.resolved(ipath) in _seen + (inputs.resolved(path),)
        except inputs.InputProblem as exc:
            raise ParameterError(f"{where}: include = {_describe(inc)}: {exc.problem}; allowed is {exc.allowed}") from None
        if looped:
            raise ParameterError(f"{where}: include = {inc!r}: allowed is a what-if that does not include itself")
        if len(_seen) >= inputs.MAX_CHAIN:
            raise ParameterError(f"{where}: include = {inc!r}: allowed is a chain of at most {inputs.MAX_CHAIN} "
                                 "what-ifs including one another")
        changes.update(load_whatif(ipath if ipath.is_file() else inc, _seen + (inputs.resolved(path),)).changes)
    for k in META[:3]:
        v = doc.get(k, "")
        if not isinstance(v, str) or len(v) > META_MAX[k]:
            raise ParameterError(f"{where}: {k} = {_describe(v)}: allowed is a string of at most {META_MAX[k]:,} characters")
        meta[k] = " ".join(v.split())
    if not meta["description"]:
        raise ParameterError(f"{where}: description: missing; allowed is a one-sentence string saying what the what-if changes")
    for full, value in flatten_sections(where, doc, top_level=tuple(META)).items():
        changes[full] = _parse_change(where, full, value)
    if not changes:
        raise ParameterError(f"{where}: no changes; allowed is at least one [section] key = value")
    wi = WhatIf(name=path.stem, title=meta["title"] or path.stem, description=meta["description"],
                source=meta["source"], changes=changes, path=where)
    # a final check: the changes apply to the defaults (catches bad 'set' values)
    from .params import defaults
    wi.apply(defaults())
    return wi


def _parse_change(where: str, key: str, value: Any) -> tuple[str, Any]:
    f = FIELDS[key]
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in OPS:
            raise ParameterError(f"{where}: {key} = {_describe(value)}: allowed is a value or a one-entry table with one of {', '.join(OPS)}")
        op, x = next(iter(value.items()))
        if op == "set":
            return ("set", _check_value(where, key, x))
        if f.kind not in ("int", "float"):
            raise ParameterError(f"{where}: {key} = {_describe(value)}: allowed is a plain value ({op} needs a numeric key; {f.allowed()})")
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise ParameterError(f"{where}: {key} = {_describe(value)}: allowed is {op} = a number")
        if op in ("at_least", "at_most"):
            _check_value(where, key, x)
        if op == "scale" and x < 0:
            raise ParameterError(f"{where}: {key} = {_describe(value)}: allowed is scale = a number >= 0")
        return (op, float(x) if f.kind == "float" else x)
    return ("set", _check_value(where, key, value))


def _check_value(where: str, key: str, value: Any) -> Any:
    from .params import _check
    return _check(where, key, value)


# ---------------------------------------------------------------------------
# running arms with common random numbers
# ---------------------------------------------------------------------------
@dataclass
class Arm:
    """Replicates of one parameter set: a summary row and weekly series per replicate."""
    label: str
    params: Params
    summaries: pd.DataFrame = None
    weekly: dict[str, np.ndarray] = field(default_factory=dict)  # col -> (reps, weeks+1)
    reused: bool = False  # identical parameters to the baseline arm: its results, by construction


def _job(args):
    from .runner import simulate
    key, rep, params, seed, weeks = args
    r = simulate(params, seed, weeks)
    s = dict(r.summary)
    s["trustwide"] = float(s["regime"] == "trust-wide")
    return key, rep, s, {c: r.weekly[c].to_numpy(dtype=np.float32) for c in TRAJECTORIES}


def run_arms(arms: Mapping[Any, Params], reps: int, seed: int = 0, weeks: int | None = None,
             workers: int | None = None, progress=None) -> dict[Any, Arm]:
    """Run every arm's replicates in one process pool. Replicate i of every arm
    gets the same seed (``runner.replicate_seeds``): common random numbers.
    Arms whose parameters equal an earlier arm's reuse its results."""
    from .pool import process_pool, worker_count
    from .seeds import replicate_seeds
    seeds = replicate_seeds(seed, reps)
    out: dict[Any, Arm] = {}
    unique: list[Any] = []
    alias: dict[Any, Any] = {}
    for key, p in arms.items():
        twin = next((u for u in unique if arms[u] == p), None)
        if twin is None:
            unique.append(key)
        else:
            alias[key] = twin
    jobs = [(key, i, arms[key], s, weeks) for key in unique for i, s in enumerate(seeds)]
    workers = worker_count(workers, len(jobs))
    results: dict[Any, list] = {k: [None] * reps for k in unique}
    done = 0
    if workers <= 1:
        it = map(_job, jobs)
        pool = None
    else:
        pool = process_pool(workers)
        it = pool.map(_job, jobs, chunksize=max(1, min(8, len(jobs) // (8 * workers))))
    try:
        for key, rep, s, w in it:
            results[key][rep] = (s, w)
            done += 1
            if progress:
                progress(done, len(jobs))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    for key in unique:
        rows = [dict(rep=i, seed=seeds[i], **results[key][i][0]) for i in range(reps)]
        weekly = {c: np.stack([results[key][i][1][c] for i in range(reps)]) for c in TRAJECTORIES}
        out[key] = Arm(label=str(key), params=arms[key], summaries=pd.DataFrame(rows), weekly=weekly)
    for key, twin in alias.items():
        a = out[twin]
        out[key] = Arm(label=str(key), params=arms[key], summaries=a.summaries, weekly=a.weekly, reused=True)
    return {k: out[k] for k in arms}


# ---------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------
def compare_arms(base: Arm, arm: Arm) -> list[dict]:
    """One row per outcome: baseline, what-if, paired difference and 95% interval (in report units)."""
    rows = []
    for col, label, scale, unit, better in OUTCOMES:
        a = base.summaries[col].to_numpy(float)
        b = arm.summaries[col].to_numpy(float)
        if col == "trustwide":
            m, lo, hi = newcombe_paired(a, b)
            method = "Newcombe paired score"
        else:
            m, lo, hi = paired_t_interval(a, b)
            method = "paired t"
        if col in SHARES:  # a mean of shares stays in [0, 1]: so does the what-if arm's mean
            base_mean = float(np.nanmean(a))
            lo, hi = max(lo, -base_mean), min(hi, 1.0 - base_mean)
        rows.append({
            "outcome": col, "label": label, "unit": unit, "better": better,
            "baseline_mean": float(np.nanmean(a)) * scale, "what_if_mean": float(np.nanmean(b)) * scale,
            "difference": m * scale, "ci_low": lo * scale, "ci_high": hi * scale,
            "changed_reps": int((a != b).sum()), "reps": int(a.size), "interval": method,
        })
    return rows


# ---------------------------------------------------------------------------
# plain English
# ---------------------------------------------------------------------------
def signed(x: float, nd: int = 1) -> str:
    """+1.2 / -0.4 / 0 (never '-0.0')."""
    return "0" if round(x, nd) == 0 else f"{x:+.{nd}f}"


def pct(x: float) -> str:
    """A percentage for prose: whole numbers, one decimal below 1% (but 0%, not 0.0%)."""
    if x == 0 or round(x, 1) == 0:
        return "0%"
    return f"{x:.1f}%" if abs(x) < 1 else f"{x:.0f}%"


def _num(x: float, unit: str) -> str:
    return pct(x) if unit == "%" else f"{x:.2f}"


def _clear(row: dict) -> str:
    """'up', 'down' or 'unclear' from the interval."""
    if row["ci_low"] > 0:
        return "up"
    if row["ci_high"] < 0:
        return "down"
    return "unclear"


def sentence(trust_label: str, wi: WhatIf, rows: list[dict], effective: Mapping[str, Any]) -> str:
    """One plain-English sentence (two at most) about a what-if in a trust."""
    by = {r["outcome"]: r for r in rows}
    title = wi.title[0].lower() + wi.title[1:] if wi.title else wi.name
    n = by["trustwide"]["reps"]
    if not effective:
        return (f"In {trust_label}, {title} changes nothing: the trust already meets every level it sets, "
                f"so results are identical to the baseline ({n} paired runs).")
    if all(r["changed_reps"] == 0 for r in rows):
        return (f"In {trust_label}, {title} makes no difference in any of {n} paired runs: what it changes "
                f"does not act in this trust (chance of trust-wide spread stays {_num(by['trustwide']['baseline_mean'], '%')}, "
                f"reach beyond the pilots {pct(by['reach_final']['baseline_mean'])}).")
    tw, rc, lt = by["trustwide"], by["reach_final"], by["lead_time_change_rest_final"]
    parts = [f"In {trust_label}, with {title}, the chance that gains spread trust-wide "]
    ci = f"(95% interval {signed(tw['ci_low'], 0)} to {signed(tw['ci_high'], 0)} points)"
    b0, b1 = _num(tw['baseline_mean'], '%'), _num(tw['what_if_mean'], '%')
    if tw["changed_reps"] == 0:
        parts.append(f"stays at {b0} in all {n} paired runs {ci}")
    else:
        how = {"up": "rises", "down": "falls", "unclear": "goes"}[_clear(tw)]
        extra = ", not a clear change" if _clear(tw) == "unclear" else ""
        parts.append(f"{how} from {b0} to {b1} {ci}{extra}")
    direction = _clear(rc)
    if rc["changed_reps"] == 0:
        parts.append(f"; reach beyond the pilots stays at {pct(rc['baseline_mean'])} in every run")
    elif direction == "unclear":
        parts.append(f"; reach beyond the pilots shows no clear change ({signed(rc['difference'])} points, "
                     f"95% interval {signed(rc['ci_low'])} to {signed(rc['ci_high'])})")
    else:
        parts.append(f"; reach beyond the pilots {'rises' if direction == 'up' else 'falls'} from "
                     f"{pct(rc['baseline_mean'])} to {pct(rc['what_if_mean'])} ({signed(rc['difference'])} points, "
                     f"95% interval {signed(rc['ci_low'])} to {signed(rc['ci_high'])})")
    d = _clear(lt) if abs(lt["difference"]) >= 0.05 else "unclear"
    if d == "down":
        parts.append(f", and lead time outside the pilots falls a further {abs(lt['difference']):.1f} points")
    elif d == "up":
        parts.append(f", but lead time outside the pilots rises by {lt['difference']:.1f} points")
    parts.append(".")
    return "".join(parts)


# ---------------------------------------------------------------------------
# the comparison
# ---------------------------------------------------------------------------
@dataclass
class Comparison:
    scenario: str
    label: str
    params: Params
    baseline: Arm
    whatifs: list[WhatIf]
    arms: dict[str, Arm]
    effective: dict[str, dict]
    rows: pd.DataFrame  # long: what_if x outcome
    sentences: dict[str, str]


def build_comparison(scenario: str, params: Params, whatifs: list[WhatIf], arms: Mapping[str, Arm]) -> Comparison:
    base = arms["__baseline__"]
    rows, sentences, eff = [], {}, {}
    for wi in whatifs:
        arm = arms[wi.name]
        e = wi.effective(params)
        eff[wi.name] = e
        r = compare_arms(base, arm)
        for row in r:
            rows.append({"scenario": scenario, "trust": params.trust.label, "what_if": wi.name,
                         "title": wi.title, **row})
        sentences[wi.name] = sentence(params.trust.label, wi, r, e)
    return Comparison(scenario=scenario, label=params.trust.label, params=params, baseline=base,
                      whatifs=list(whatifs), arms={w.name: arms[w.name] for w in whatifs}, effective=eff,
                      rows=pd.DataFrame(rows), sentences=sentences)


def compare(scenarios: Iterable[str], whatifs: Iterable[str | WhatIf], reps: int = 30, seed: int = 0,
            weeks: int | None = None, workers: int | None = None, overrides=(), progress=None) -> list[Comparison]:
    """Run every scenario's baseline and what-if arms (all validated first) and compare them."""
    wis = [w if isinstance(w, WhatIf) else load_whatif(w) for w in whatifs]
    names = [w.name for w in wis]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ParameterError(f"--what-if: {dup}: given twice; allowed is each what-if once")
    scen = list(dict.fromkeys(scenarios))
    all_params = {s: load_scenario(s, overrides=overrides) for s in scen}
    arms: dict[tuple[str, str], Params] = {}
    for s, p in all_params.items():
        arms[(s, "__baseline__")] = p
        for w in wis:
            arms[(s, w.name)] = w.apply(p)
    # CRN per scenario: the same seeds in every arm of one scenario (and, harmlessly, across scenarios)
    results = run_arms(arms, reps, seed=seed, weeks=weeks, workers=workers, progress=progress)
    out = []
    for s, p in all_params.items():
        a = {k[1]: v for k, v in results.items() if k[0] == s}
        out.append(build_comparison(s, p, wis, a))
    return out


# ---------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------
def add_parser(sub) -> None:
    from .cli import _positive, _reps, _seed, _weeks
    from .params import bundled_scenarios
    c = sub.add_parser(
        "compare", help="what-if comparison with common random numbers (policy report)",
        description="Run a scenario and one or more what-ifs with common random numbers and report the "
                    "paired differences with 95% intervals, as a self-contained HTML report, CSV tables "
                    "and a run manifest. With --matrix: several scenarios x what-ifs, with a heatmap.")
    c.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                   help=f"scenario name or .toml path ({', '.join(bundled_scenarios())}); "
                        "with --matrix default the five trusts")
    c.add_argument("--what-if", dest="whatifs", nargs="+", action="extend", default=[], metavar="NAME_OR_PATH",
                   help=f"what-if name or .toml path (repeatable); bundled: {', '.join(bundled_whatifs())}; "
                        "with --matrix default the seven recommendations")
    c.add_argument("--matrix", action="store_true", help="scenarios x what-ifs table and heatmap")
    c.add_argument("--teaching", action="store_true", help="use teaching sizes (NAME-teaching) of named trusts")
    c.add_argument("--reps", type=_reps, default=30, help="paired replicates per arm (default 30)")
    c.add_argument("--seed", type=_seed, default=0, help="root seed (default 0)")
    c.add_argument("--weeks", type=_weeks, default=None, help="horizon (default: the scenario's run.weeks)")
    c.add_argument("--workers", type=_positive, default=None, help="processes (default: one per core)")
    c.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario parameter in every arm (repeatable)")
    c.add_argument("--out", type=Path, default=None, help="output folder (default results/compare-<scenario> or results/matrix)")
    c.add_argument("--overwrite", action="store_true",
                   help="replace --out if it holds an earlier `spread compare` output (only files it wrote)")
    c.add_argument("--quiet", action="store_true", help="no progress line")
    c.set_defaults(func=main)


def _scenario_names(args) -> list[str]:
    from .params import SCENARIO_DIR as SD
    names = list(args.scenarios)
    if args.matrix and not names:
        names = list(TRUSTS)
    if not names:
        raise ParameterError("compare: SCENARIO: missing; allowed is a scenario name or .toml path "
                             "(or --matrix for the five trusts)")
    if not args.matrix and len(names) > 1:
        raise ParameterError(f"compare: {' '.join(names)}: allowed is one SCENARIO, or several with --matrix")
    if args.teaching:
        names = [n if n.endswith("-teaching") or not (SD / f"{n}-teaching.toml").exists() else f"{n}-teaching"
                 for n in names]
    return names


def main(args) -> int:
    from .results_folder import atomic_dir, check_target, safe_name
    from .whatif_report import print_summary, write_report

    if args.reps < 2:
        raise ParameterError(f"--reps = {args.reps}: allowed is an integer >= 2 (a paired interval needs two runs)")
    names = _scenario_names(args)
    whatifs = list(args.whatifs)
    if not whatifs:
        if not args.matrix:
            raise ParameterError(f"compare: --what-if: missing; allowed is one or more of {', '.join(bundled_whatifs())} or .toml paths")
        whatifs = list(RECOMMENDED)
    wis = [load_whatif(w) for w in whatifs]  # validate everything before any work
    for n in names:
        p = load_scenario(n, overrides=args.overrides)
        for w in wis:
            w.apply(p)
    out = args.out or Path("results") / ("matrix" if args.matrix else safe_name(f"compare-{Path(names[0]).stem}"))
    check_target(out, "compare", args.overwrite)  # before any work
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done, total):
        now = time.perf_counter()
        if args.quiet or (now - last[0] < 1.0 and done < total):
            return
        last[0] = now
        print(f"\r  runs {done}/{total} ({now - t0:.0f} s)", end="" if done < total else "\n",
              file=sys.stderr, flush=True)

    comps = compare(names, wis, reps=args.reps, seed=args.seed, weeks=args.weeks, workers=args.workers,
                    overrides=args.overrides, progress=progress)
    elapsed = time.perf_counter() - t0
    with atomic_dir(out, "compare", args.overwrite) as tmp:
        write_report(tmp, comps, args=args, elapsed=elapsed, matrix=args.matrix)
    print_summary(comps, matrix=args.matrix, elapsed=elapsed, reps=args.reps)
    print(f"report written to {out}/report.html (tables: {out}/*.csv, manifest: {out}/run.json)")
    return 0
