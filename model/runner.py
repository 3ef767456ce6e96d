"""Running replications: a run is a pure function of validated parameters and a seed."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .outputs import summarise
from .params import Params
from .pool import process_pool, worker_count
from .survey import empty_survey, survey_model
from .seeds import replicate_seeds  # noqa: F401  (re-exported: runner.replicate_seeds)
from .batch import TrustBatch, batch_key, batch_size
from .trust import TrustModel


@dataclass
class RunResult:
    """What one run gives: its seed, weekly series, summary outcomes, network at start and end, events, survey.

    ``weekly`` has one row a week (``trust.WEEKLY`` columns); ``summary`` is
    ``outputs.summarise``'s outcome name -> value; ``network_start`` and
    ``network_end`` are ``network_stats`` of the live network; ``events`` the
    (week, kind, text) event log.
    """

    seed: int
    weekly: pd.DataFrame
    summary: dict
    network_start: dict
    network_end: dict
    events: list = field(default_factory=list)
    #: the evaluation's survey emulated at ``outputs.survey_week`` (model/survey.py); NaN if after the horizon
    survey: dict = field(default_factory=dict)


def simulate(params: Params, seed: int, weeks: int | None = None, extras: bool = True) -> RunResult:
    """Build and run one trust to the horizon; no Mesa agents are made (not needed for outputs).

    One run goes through ``TrustModel`` itself (a batch's per-week bookkeeping
    would only add to it); several replicates go through ``simulate_batch``,
    which gives each the same numbers (tests/test_batch.py).
    """
    m = TrustModel(params, rng=seed, weeks=weeks, agents=False)
    week = params.outputs.survey_week
    taken = empty_survey()
    if extras and week <= m.weeks:  # run to the survey week, survey (its own stream), run on: the schedule is unchanged
        while m.week < week:
            m.step()
        taken = survey_model(m)
    m.run()
    res = result_of(m, taken, extras)
    m.release()  # freed now, not at the next full garbage collection (TrustModel.release)
    return res


def simulate_batch(params: Params | list[Params], seeds: list[int], weeks: int | None = None,
                   size: int | None = None, extras: bool = True) -> list[RunResult]:
    """``simulate(params, seed, weeks)`` for every seed, run ``size`` at a time in one array pass (model/batch.py).

    ``params`` is one parameter set, or one per seed (a sweep's design
    points): those that share a ``batch.batch_key`` run in batches
    together, the rest apart. ``size`` defaults to ``batch.batch_size``
    (memory bounded); results in seed order, each the same, bit for bit, as
    the run alone. ``extras=False`` skips what only ``spread run`` reports
    (network statistics, survey: left empty), for sweeps and what-ifs, which
    read the weekly table and summary.
    """
    plist = [params] * len(seeds) if isinstance(params, Params) else list(params)
    if len(plist) != len(seeds):
        raise ValueError(f"{len(plist)} parameter sets for {len(seeds)} seeds: allowed is one, or one per seed")
    groups: dict[str, list[int]] = {}  # runs that can share batches, in seed order
    if all(p is plist[0] for p in plist):
        groups[""] = list(range(len(plist)))
    else:
        keys: dict[int, str] = {}  # one key per distinct parameter set
        for i, p in enumerate(plist):
            k = keys[id(p)] = keys.get(id(p)) or batch_key(p)
            groups.setdefault(k, []).append(i)
    out: list[RunResult | None] = [None] * len(seeds)
    for idx in groups.values():
        first = plist[idx[0]]
        per = size or batch_size(first)
        per = -(-len(idx) // -(-len(idx) // per))  # near-equal batches (60 runs: 30 + 30, not 50 + 10)
        week = first.outputs.survey_week
        for j in range(0, len(idx), per):
            part = idx[j: j + per]
            if len(part) == 1:  # a batch of one: the run alone
                out[part[0]] = simulate(plist[part[0]], seeds[part[0]], weeks, extras)
                continue
            batch = TrustBatch([plist[i] for i in part], [seeds[i] for i in part], weeks)
            surveys = [empty_survey()] * batch.B
            if extras and week <= batch.weeks:  # run to the survey week, survey (its own stream), run on
                while batch.week < week:
                    batch.step()
                surveys = [survey_model(m) for m in batch.sync()]
            batch.run()
            for i, m, s in zip(part, batch.sync(), surveys):
                out[i] = result_of(m, s, extras)
            batch.release()
    return out


def chunks(seeds: list[int], workers: int, size: int) -> list[list[int]]:
    """Seeds cut into near-equal batches of at most ``size``, at least one per worker while there are enough seeds."""
    parts = max(-(-len(seeds) // max(1, size)), min(max(1, workers), len(seeds)))
    per = max(1, -(-len(seeds) // parts))
    return [list(seeds[i: i + per]) for i in range(0, len(seeds), per)]


def result_of(m: TrustModel, survey: dict, extras: bool = True) -> RunResult:
    """The RunResult of a model run to its horizon, with the survey taken on the way (network statistics if ``extras``)."""
    params = m.params
    weekly = m.weekly_frame()
    summary = summarise(weekly, params, m.workshops.first_week, m.performance.detected_week,
                        len(m.leadership.change_weeks))
    if not extras:
        return RunResult(seed=m.seed, weekly=weekly, summary=summary, network_start={}, network_end={},
                         events=m.events, survey=survey)
    return RunResult(seed=m.seed, weekly=weekly, summary=summary, network_start=m.network_start,
                     network_end=m.network_end or m.network_stats(), events=m.events, survey=survey)


def _batch(args) -> list[RunResult]:
    params, seeds, weeks = args
    return simulate_batch(params, seeds, weeks)


def run_replicates(params: Params, reps: int, seed: int = 0, weeks: int | None = None,
                   workers: int | None = None) -> list[RunResult]:
    """Run ``reps`` replicates as batches (``simulate_batch``); in parallel processes when reps > 1.

    Results in replicate order, each the same as the run alone.
    """
    seeds = replicate_seeds(seed, reps)
    workers = worker_count(workers, reps)
    jobs = [(params, c, weeks) for c in chunks(seeds, workers, batch_size(params))]
    if workers <= 1:
        return [r for j in jobs for r in _batch(j)]
    with process_pool(workers) as ex:
        return [r for rs in ex.map(_batch, jobs) for r in rs]
