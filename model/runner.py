"""Running replications: a run is a pure function of validated parameters and a seed."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .outputs import summarise
from .params import Params
from .trust import TrustModel


@dataclass
class RunResult:
    seed: int
    weekly: pd.DataFrame
    summary: dict
    network_start: dict
    network_end: dict
    events: list = field(default_factory=list)
    network_survey: dict | None = None  # senior and middle staff, nominations capped, at outputs.survey_week


def simulate(params: Params, seed: int, weeks: int | None = None) -> RunResult:
    """Build and run one trust to the horizon; no Mesa agents are made (not needed for outputs)."""
    m = TrustModel(params, rng=seed, weeks=weeks, agents=False).run()
    weekly = m.weekly_frame()
    summary = summarise(weekly, params, m.workshops.first_week, m.performance.detected_week,
                        len(m.leadership.change_weeks))
    return RunResult(seed=seed, weekly=weekly, summary=summary, network_start=m.network_start,
                     network_end=m.network_end or m.network_stats(), events=m.events,
                     network_survey=m.network_survey)


def replicate_seeds(seed: int, reps: int) -> list[int]:
    """Distinct, reproducible seeds for replicates 0..reps-1 of a root seed.

    Replicate i gets the same seed whatever the number of replicates or
    processes, and the same seed in every arm of a comparison (common random
    numbers)."""
    children = np.random.SeedSequence(seed).spawn(reps)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def pool_context():
    """The multiprocessing context for worker pools of replicate runs.

    fork works from any script, even one without an ``if __name__ ==
    "__main__"`` guard, and starts workers at once. Forking a process that
    runs Python threads of its own (a Dask client, a web server, a test
    runner's helpers) can deadlock, so then forkserver, whose server imports
    the model once. The C-level threads every process here has (OpenBLAS's
    pool from numpy, Arrow's jemalloc background thread) register fork
    handlers and are safe to fork; Python 3.12 still warns about them
    (DeprecationWarning), which the test configuration silences by name.
    Results do not depend on the start method.
    """
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["model.runner"])
    return ctx


def _one(args) -> RunResult:
    params, seed, weeks = args
    return simulate(params, seed, weeks)


def run_replicates(params: Params, reps: int, seed: int = 0, weeks: int | None = None,
                   workers: int | None = None) -> list[RunResult]:
    """Run ``reps`` replicates; in parallel processes when reps > 1. Results in replicate order."""
    seeds = replicate_seeds(seed, reps)
    jobs = [(params, s, weeks) for s in seeds]
    workers = workers if workers is not None else min(reps, os.cpu_count() or 1)
    if workers <= 1 or reps <= 1:
        return [_one(j) for j in jobs]
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as ex:
        return list(ex.map(_one, jobs, chunksize=max(1, reps // (4 * workers))))
