"""Arms run with common random numbers, and their paired comparison with 95% intervals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from model.intervals import paired_t_interval, tango_paired
from model.params import ParameterError, Params, load_scenario
from model.whatif.files import WhatIf, load_whatif
from model.whatif.wording import sentence, sized_label

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


@dataclass
class Arm:
    """Replicates of one parameter set: a summary row and weekly series per replicate."""
    label: str
    params: Params
    summaries: pd.DataFrame = None
    weekly: dict[str, np.ndarray] = field(default_factory=dict)  # col -> (reps, weeks+1)
    reused: bool = False  # identical parameters to the baseline arm: its results, by construction


def _job(args):
    from model.runner import simulate_batch
    key, reps, params, seeds, weeks = args
    out = []
    for rep, r in zip(reps, simulate_batch(params, seeds, weeks, extras=False)):
        s = dict(r.summary)
        s["trustwide"] = float(s["regime"] == "trust-wide")
        out.append((key, rep, s, {c: r.weekly[c].to_numpy(dtype=np.float32) for c in TRAJECTORIES}))
    return out


def run_arms(arms: Mapping[Any, Params], reps: int, seed: int = 0, weeks: int | None = None,
             workers: int | None = None, progress: Callable[[int, int], None] | None = None) -> dict[Any, Arm]:
    """Run every arm's replicates in one process pool. Replicate i of every arm
    gets the same seed (``runner.replicate_seeds``): common random numbers.
    Arms whose parameters equal an earlier arm's reuse its results."""
    from model.pool import process_pool, worker_count
    from model.seeds import replicate_seeds
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
    from model.batch import batch_size
    from model.runner import chunks
    n_jobs = len(unique) * reps
    workers = worker_count(workers, n_jobs)
    # each arm's replicates in batches (one array pass each), at least two batches per worker
    per = max(1, -(-n_jobs // (2 * workers))) if workers > 1 else n_jobs
    jobs = []
    for key in unique:
        for c in chunks(list(range(reps)), 1, min(batch_size(arms[key]), per)):
            jobs.append((key, c, arms[key], [seeds[i] for i in c], weeks))
    results: dict[Any, list] = {k: [None] * reps for k in unique}
    done = 0
    if workers <= 1:
        it = map(_job, jobs)
        pool = None
    else:
        pool = process_pool(workers)
        it = pool.map(_job, jobs)
    try:
        for batch in it:
            for key, rep, s, w in batch:
                results[key][rep] = (s, w)
                done += 1
            if progress:
                progress(done, n_jobs)
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


def compare_arms(base: Arm, arm: Arm) -> list[dict]:
    """One row per outcome: baseline, what-if, paired difference and 95% interval (in report units).

    ``ci_clipped`` is true where the interval was cut at the most (or least)
    the outcome can move from its baseline: a share cannot pass 100% or 0%.
    """
    rows = []
    for col, label, scale, unit, better in OUTCOMES:
        a = base.summaries[col].to_numpy(float)
        b = arm.summaries[col].to_numpy(float)
        if col == "trustwide":
            m, lo, hi = tango_paired(a, b)
            method = "Tango paired score"
        else:
            m, lo, hi = paired_t_interval(a, b)
            method = "paired t"
        clipped = False
        if col in SHARES:  # a mean of shares stays in [0, 1]: so does the what-if arm's mean
            base_mean = float(np.nanmean(a))
            clipped = bool(lo < -base_mean - 1e-12 or hi > 1.0 - base_mean + 1e-12)
            lo, hi = max(lo, -base_mean), min(hi, 1.0 - base_mean)
        rows.append({
            "outcome": col, "label": label, "unit": unit, "better": better,
            "baseline_mean": float(np.nanmean(a)) * scale, "what_if_mean": float(np.nanmean(b)) * scale,
            "difference": m * scale, "ci_low": lo * scale, "ci_high": hi * scale,
            "changed_reps": int((a != b).sum()), "reps": int(a.size), "interval": method,
            "ci_clipped": clipped,
        })
    return rows


@dataclass
class Comparison:
    """One scenario's baseline against its what-ifs, with common random numbers.

    ``label`` is the trust's name, ``title`` the same with its size ("(600-staff
    teaching version)" or "(8,000 staff)"), for every heading and sentence.
    ``arms`` maps a what-if's name to its replicates; ``effective`` to the
    keys it really changes (key -> (old, new)); ``rows`` holds one row per
    what-if and outcome (``compare_arms``); ``sentences`` one plain-English
    sentence per what-if.
    """

    scenario: str
    label: str
    params: Params
    baseline: Arm
    whatifs: list[WhatIf]
    arms: dict[str, Arm]
    effective: dict[str, dict]
    rows: pd.DataFrame  # long: what_if x outcome
    sentences: dict[str, str]
    title: str = ""


def build_comparison(scenario: str, params: Params, whatifs: list[WhatIf], arms: Mapping[str, Arm]) -> Comparison:
    """Compare each what-if's arm with the baseline arm (``arms["__baseline__"]``) of one scenario."""
    base = arms["__baseline__"]
    title = sized_label(params)
    rows, sentences, eff = [], {}, {}
    for wi in whatifs:
        arm = arms[wi.name]
        e = wi.effective(params)
        eff[wi.name] = e
        r = compare_arms(base, arm)
        for row in r:
            rows.append({"scenario": scenario, "trust": params.trust.label, "what_if": wi.name,
                         "title": wi.title, **row})
        sentences[wi.name] = sentence(title, wi, r, e)
    return Comparison(scenario=scenario, label=params.trust.label, params=params, baseline=base,
                      whatifs=list(whatifs), arms={w.name: arms[w.name] for w in whatifs}, effective=eff,
                      rows=pd.DataFrame(rows), sentences=sentences, title=title)


def compare(scenarios: Iterable[str], whatifs: Iterable[str | WhatIf], reps: int = 30, seed: int = 0,
            weeks: int | None = None, workers: int | None = None,
            overrides: Iterable[str] | Mapping[str, Any] = (),
            progress: Callable[[int, int], None] | None = None) -> list[Comparison]:
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


