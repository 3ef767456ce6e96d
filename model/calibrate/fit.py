"""ABC-SMC over a calibration's targets, by pyabc, one generation at a time.

pyabc (maintained; SMC with adaptive tolerances and a database of every
generation) proposes particles; each particle's runs go to one executor of
``model.sweeps.executors`` (in-process, local processes, or a Dask cluster),
so a particle's (scenario, replicate) runs are spread over the workers while
pyabc itself samples in this process with its single-core sampler. Each
scenario's replicates run as one batch of the array engine (``run_arm``),
split into just enough batches to keep the workers busy.

What is reproducible. pyabc draws its particles from numpy's global
generator. Each generation ``t`` is run on its own: the global generator is
seeded from ``run_seed(root, t, 0)`` and the ABC-SMC object is rebuilt from
the database, exactly as ``--resume`` does. A particle's runs are seeded from
the root seed and the particle's own values (``particle_point``), so they do
not depend on the order or the process they run in. Together: the same
calibration file and root seed give the same posterior, bit for bit,
whatever ``--workers`` or ``--scheduler``, and an interrupted calibration
resumed with ``--resume`` gives the same posterior as one never interrupted
(a generation cut off midway is redone from its start). pyabc's database
is created under a temporary name and renamed, so it is either absent or
whole: a calibration killed while pyabc sets it up starts afresh. Not reproducible
across pyabc, numpy or scipy versions (pyabc's perturbation kernels and
numpy's streams may change), and pyabc's own multicore samplers, whose
accepted particles depend on which process finishes first, are not used.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from model.calibrate.config import Calibration, Prior
from model.calibrate.targets import distance, target_values
from model.params import ParameterError, load_scenario
from model.runner import chunks, simulate, simulate_batch
from model.seeds import run_seed
from model.sweeps.progress import Progress

DB_NAME = "history.db"
NEW_DB = ".history.db.new"  # model/calibrate/posterior.py allows and clears it
ABC_ID = 1


def particle_point(theta: dict) -> int:
    """A design-point number made from a particle's values: its runs' seeds are ``run_seed(root, point, rep)``."""
    text = json.dumps({k: float(v) for k, v in sorted(theta.items())}, sort_keys=True)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=6).digest(), "big")


def generation_seed(root: int, t: int) -> int:
    """The seed of numpy's global generator while pyabc samples generation ``t`` (32 bits, as numpy wants)."""
    return run_seed(root, t, 0) % 2**32


@lru_cache(maxsize=64)
def _arm_params(source: str, overrides_json: str):
    return load_scenario(source, overrides=json.loads(overrides_json))


def run_arm(task: tuple) -> list[list[float]]:
    """One particle's runs of one scenario, in one batch: the statistics each run gives, in ``stats`` order.

    ``task`` is (source, fixed overrides JSON, free values JSON, seeds, weeks,
    statistics); ``seeds`` is a tuple, one run each, run together in one
    array pass (``runner.simulate_batch``: each the same numbers, bit for
    bit, as the run alone), so a particle's replicates cost less than as
    many runs apart. A particle whose values break a cross-field rule of the
    scenario (say abandon_min above abandon_max) gives NaN: it is rejected.
    """
    source, fixed_json, values_json, seeds, weeks, stats = task
    seeds = list(seeds)
    try:
        params = _arm_params(source, fixed_json).with_values(json.loads(values_json), where="calibration particle")
    except ParameterError:
        return [[math.nan] * len(stats) for _ in seeds]
    # the network statistics and the survey cost a tenth of a run: only when a target reads them
    extras = any(s.kind in ("network", "survey") for s in stats)
    results = [simulate(params, seeds[0], weeks, extras=extras)] if len(seeds) == 1 else \
        simulate_batch(params, seeds, weeks, extras=extras)
    return [[s.value(res) for s in stats] for res in results]


def arm_statistics(cal: Calibration, targets) -> dict[str, list]:
    """The statistics each scenario must give for ``targets``: alias -> [Statistic, ...] (no repeats)."""
    need: dict[str, list] = {a.alias: [] for a in cal.arms}
    for t in targets:
        for alias in (t.scenario, t.versus):
            if alias and t.statistic not in need[alias]:
                need[alias].append(t.statistic)
    return need


def evaluate(cal: Calibration, theta: dict, executor, targets=None, reps: int | None = None,
             point: int | None = None, workers: int | None = 1) -> dict[str, float]:
    """Every target's value for particle ``theta``: the mean over replicates (paired across scenarios).

    Each scenario's replicates run as one batch (``run_arm``), split into as
    many batches as keep ``workers`` busy: about ``workers`` tasks in all,
    never more than one a replicate (``workers=None``: each replicate a task
    of its own). The values do not depend on the split.
    """
    targets = cal.targets if targets is None else targets
    reps = cal.replicates if reps is None else reps
    point = particle_point(theta) if point is None else point
    need = arm_statistics(cal, targets)
    arms = [arm for arm in cal.arms if need[arm.alias]]
    per_arm = reps if workers is None else max(1, min(reps, -(-max(workers, 1) // max(len(arms), 1))))
    tasks, keys = [], []
    for arm in arms:
        values = json.dumps(cal.values(theta, arm.alias), sort_keys=True)
        fixed = json.dumps(arm.overrides, sort_keys=True)
        seeds = [run_seed(cal.seed, point, rep) for rep in range(reps)]
        for part in chunks(seeds, per_arm, reps):  # near-equal parts, one a worker (model.runner)
            tasks.append((arm.source, fixed, values, tuple(part), cal.weeks, tuple(need[arm.alias])))
            keys.append(arm.alias)
    results = list(executor.map(run_arm, tasks)) if len(tasks) > 1 else [run_arm(tasks[0])]
    sums: dict[tuple[str, str], list[float]] = {}
    for alias, rows in zip(keys, results):
        for row in rows:
            for stat, v in zip(need[alias], row):
                sums.setdefault((alias, stat.key), []).append(v)
    means = {k: (float(np.mean(v)) if all(math.isfinite(x) for x in v) else math.nan) for k, v in sums.items()}
    return target_values(targets, means)


def prior_distribution(priors: tuple[Prior, ...]):
    """The pyabc prior: a product of independent scipy distributions on the parameters' bounds."""
    import pyabc

    rvs = {}
    for p in priors:
        width = p.high - p.low
        if p.prior == "uniform":
            rvs[p.name] = pyabc.RV("uniform", p.low, width)
        elif p.prior == "log-uniform":
            rvs[p.name] = pyabc.RV("loguniform", p.low, p.high)
        elif p.prior == "beta":
            rvs[p.name] = pyabc.RV("beta", p.a, p.b, loc=p.low, scale=width)
        else:
            rvs[p.name] = pyabc.RV("truncnorm", (p.low - p.mean) / p.sd, (p.high - p.mean) / p.sd,
                                   loc=p.mean, scale=p.sd)
    return pyabc.Distribution(**rvs)


class ParticleModel:
    """pyabc's model: a particle's values in, every target's value out (runs on ``executor``)."""

    def __init__(self, cal: Calibration, executor, on_particle: Callable[[], None] | None = None,
                 workers: int | None = 1):
        self.cal, self.executor, self.on_particle, self.workers = cal, executor, on_particle, workers

    def __call__(self, par) -> dict:
        """Run the particle's scenarios and replicates; return fitted target name -> value.

        Only the fitted targets: the distance reads nothing else, so the scenarios that only held-out
        targets read (C1's P4 and P5 arms, C2's survey) are not run for every particle. A fitted
        target's value does not change (its runs' seeds depend on the particle and replicate only)."""
        out = evaluate(self.cal, dict(par), self.executor, targets=self.cal.fitted, workers=self.workers)
        if self.on_particle:
            self.on_particle()
        return out


@dataclass
class FitReport:
    """What a fit did: generations finished, their table, the simulations and the seconds it took."""

    generations: pd.DataFrame
    simulations: int
    elapsed_s: float
    stopped: str


def _abc(cal: Calibration, model: ParticleModel):
    import pyabc

    targets = cal.targets

    def dist(x, x0):
        return distance(targets, x)

    for name in ("ABC", "pyabc", "Sampler", "Epsilon", "Distance", "Acceptor", "Population", "History"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    sampler = pyabc.SingleCoreSampler()
    sampler.show_progress = False
    return pyabc.ABCSMC(model, prior_distribution(cal.priors), dist, population_size=cal.population,
                        sampler=sampler, eps=pyabc.MedianEpsilon("from_sample"))


def observed(cal: Calibration) -> dict[str, float]:
    """What is observed, as pyabc records it: the point, or an interval's midpoint (or finite end)."""
    out = {}
    for t in cal.targets:
        if t.observed is not None:
            out[t.name] = t.observed
        elif math.isfinite(t.low) and math.isfinite(t.high):
            out[t.name] = (t.low + t.high) / 2
        else:
            out[t.name] = t.low if math.isfinite(t.low) else t.high
    return out


def db_url(out: Path) -> str:
    """The SQLAlchemy address of the calibration's pyabc database in ``out``."""
    return f"sqlite:///{Path(out).resolve() / DB_NAME}"


def generations_table(out: Path) -> pd.DataFrame:
    """Each finished generation: t, tolerance (epsilon), simulations, particles, acceptance rate, end time."""
    import pyabc

    if not (Path(out) / DB_NAME).exists():
        return pd.DataFrame(columns=["t", "epsilon", "simulations", "particles", "acceptance_rate"])
    h = pyabc.History(db_url(out), _id=ABC_ID)
    pops = h.get_all_populations()
    pops = pops[pops["t"] >= 0].rename(columns={"samples": "simulations"})
    pops["acceptance_rate"] = pops["particles"] / pops["simulations"]
    return pops[["t", "epsilon", "simulations", "particles", "acceptance_rate", "population_end_time"]].reset_index(drop=True)


def posterior(out: Path) -> pd.DataFrame:
    """The last generation's particles: one row each, the parameters, ``weight`` (sums to 1) and ``distance``."""
    import pyabc

    h = pyabc.History(db_url(out), _id=ABC_ID)
    pop = h.get_population(t=h.max_t)
    rows = [{**dict(p.parameter), "weight": float(p.weight), "distance": float(p.distance)} for p in pop.particles]
    df = pd.DataFrame(rows)
    df["weight"] = df["weight"] / df["weight"].sum()
    return df


def fit(cal: Calibration, out: Path, executor, log: Callable[[str], None] = print,
        workers: int | None = 1) -> FitReport:
    """Run (or continue) the calibration's generations in ``out``; one generation at a time, each seeded.

    Continues from the last finished generation in ``out``'s database, if
    any. Stops after ``cal.generations`` generations or once the tolerance is
    at or below ``cal.min_epsilon``. ``workers`` is how many workers
    ``executor`` has: a particle's replicates are batched into about that
    many tasks (``evaluate``; None: each replicate a task of its own); the
    posterior does not depend on it.
    """
    out = Path(out)
    url = db_url(out)
    t0 = time.monotonic()
    counter = {"n": 0}
    per_particle = cal.replicates * sum(1 for stats in arm_statistics(cal, cal.fitted).values() if stats)
    bar: list = [None]

    def tick():
        counter["n"] += 1
        b = bar[0]
        if b is not None:
            if b.done + per_particle > b.total:  # more particles than estimated: move the goal, never past 100%
                b.total = int((b.done + per_particle) * 1.25)
                if b.bar is not None:
                    b.bar.total = b.total
            b.update(per_particle)

    model = ParticleModel(cal, executor, tick, workers)
    stopped = "generations"
    durations: list[float] = []
    while True:
        done = generations_table(out)
        t = len(done)
        if t and float(done["epsilon"].iloc[-1]) <= cal.min_epsilon:
            stopped = "min_epsilon"
            break
        if t >= cal.generations:
            break
        if not (out / DB_NAME).exists():
            with disk_errors(out):
                _create_db(cal, model, out)
        abc = _abc(cal, model)
        with disk_errors(out):
            abc.load(url, ABC_ID)  # the first generation too: one path, whether resumed or not
        np.random.seed(generation_seed(cal.seed, t))
        # an estimate of the generation's particles: the last acceptance rate (and, first, pyabc's prior
        # sample that sets the first tolerance)
        rate = float(done["acceptance_rate"].iloc[-1]) if t else 0.5
        expected = int(math.ceil(cal.population / max(rate * 0.8, 0.02))) + (cal.population if t == 0 else 0)
        bar[0] = Progress(expected * per_particle, 0, f"calibrate {cal.name}: generation {t + 1}/{cal.generations}")
        g0 = time.monotonic()
        try:
            with disk_errors(out):
                abc.run(max_nr_populations=1, minimum_epsilon=cal.min_epsilon)
        finally:
            bar[0].close()
            bar[0] = None
        durations.append(time.monotonic() - g0)
        row = generations_table(out).iloc[-1]
        left = (cal.generations - t - 1) * float(np.mean(durations[-2:])) * 1.15  # later generations accept fewer
        log(f"[calibrate {cal.name}] generation {t + 1}/{cal.generations}: tolerance {row['epsilon']:.4g}, "
            f"acceptance {row['acceptance_rate']:.0%} ({int(row['simulations'])} particles), "
            f"{durations[-1]:.0f} s; about {_hms(left)} left")
    return FitReport(generations_table(out), counter["n"], time.monotonic() - t0, stopped)


def _create_db(cal: Calibration, model: ParticleModel, out: Path) -> None:
    """Create pyabc's database whole or not at all: set up under a temporary name, then renamed.

    pyabc writes a new database in several steps (tables, version, the run's
    row); killed or out of space between them, it leaves one it cannot load
    ("Specified id 1 does not exist", "Database has version 0"). No
    generation has finished while it does not exist, so nothing is lost by
    starting it again."""
    tmp = Path(out) / NEW_DB
    for p in (tmp, tmp.with_name(tmp.name + "-journal")):
        p.unlink(missing_ok=True)
    try:
        _abc(cal, model).new(f"sqlite:///{tmp.resolve()}", observed(cal),
                             meta_info={"calibration": cal.name, "digest": cal.digest()})
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, Path(out) / DB_NAME)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class disk_errors:
    """Turn SQLite's "database or disk is full" and "disk I/O error" (raised by SQLAlchemy, inside pyabc)
    into OSError (ENOSPC, EIO), which the command line reports in one line; SQLite rolls the failed
    write back, so the database keeps every finished generation and ``--resume`` goes on."""

    def __init__(self, out: Path):
        self.out = Path(out)

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None:
            return False
        try:
            from sqlalchemy.exc import DBAPIError
        except ImportError:  # pragma: no cover - pyabc brings SQLAlchemy
            return False
        if isinstance(exc, DBAPIError):
            text = str(getattr(exc, "orig", exc)).lower()
            if "disk is full" in text:
                raise OSError(errno.ENOSPC, "No space left on device", str(self.out / DB_NAME)) from exc
            if "disk i/o error" in text:
                raise OSError(errno.EIO, "Input/output error", str(self.out / DB_NAME)) from exc
        return False


def _hms(s: float) -> str:
    s = int(round(max(s, 0)))
    m, sec = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else (f"{m}m{sec:02d}s" if m else f"{sec}s")
