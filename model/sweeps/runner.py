"""Run an experiment's design (``spread sweep``) on local processes or a Dask cluster.

One code path: the runs are cut into batches and handed to a
``concurrent.futures`` executor, which is either in-process (one worker), a
local process pool, or a Dask cluster's ``client.get_executor()``. Results
come back to this process, which alone writes them as append-only Parquet
parts (temp file, then rename), so a part is either whole or absent. The set
of finished runs is read back from the parts, so a sweep killed at any moment
and resumed ends with exactly the rows of an uninterrupted one.

Layout of a results folder::

    manifest.json        experiment as resolved, design hash, versions, git commit, sessions
    design.csv           one row per design point
    runs/part-NNNNNN.parquet    one row per run: meta, every parameter (p.<key path>), outcomes, error
    weekly/part-NNNNNN.parquet  kept weekly columns, if the experiment asks for them
    analysis/            tables (CSV) and figures (PNG, SVG) from `spread analyse`
    .spread-replaced/    an earlier sweep set aside by --overwrite, removed when this one completes
"""


from __future__ import annotations

import concurrent.futures as cf
import datetime as _dt
import json
import os
import signal
import socket
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from model.provenance import git_commit, versions
from model.sweeps.design import Experiment, ExperimentError, load_experiment, require_extras
from model.sweeps.engines import resolve_engine
from model.sweeps.executors import ExecutorHandle, SerialExecutor, check_scheduler, make_executor
from model.sweeps.progress import Progress
from model.sweeps.store import (MANIFEST_VERSION, PARAM_PREFIX, Store, check_sweep_target, drop_replaced,
                                read_runs, replaced_folder, run_key, set_aside)
from model.sweeps.task import _is_scalar, run_batch

def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")



# ----- the sweep ----------------------------------------------------------------

@dataclass
class SweepReport:
    """How a sweep session ended.

    ``total`` runs in the design; ``done_before`` finished by earlier
    sessions; ``ran`` finished in this one, ``errors`` of them raised;
    ``lost`` runs whose task never came back (they run on ``--resume``);
    ``executor`` the kind (serial, processes, dask) with ``workers`` workers;
    ``failed`` and ``first_error`` when every run of the sweep raised.
    """

    out: Path
    total: int
    done_before: int
    ran: int
    errors: int
    lost: int
    wall_s: float
    executor: str
    workers: int
    failed: bool = False  # every run of the sweep raised
    first_error: str | None = None

    @property
    def complete(self) -> bool:
        """Every run of the design is done, none lost, and not every one raised."""
        return self.lost == 0 and self.done_before + self.ran == self.total and not self.failed


class _Terminate(BaseException):
    """SIGTERM: like KeyboardInterrupt, never an Exception, or a run in this process (--workers 1) would
    record it as its own error and the sweep would go on."""


def _batches(exp: Experiment, done: set[str], size: int | None, workers: int = 1) -> Iterator[list[tuple]]:
    """Runs still to do, in point-major order, cut into tasks.

    With a fixed size every task has that many runs. Without one, tasks
    shrink as the sweep nears its end (guided self-scheduling): about a
    half of each worker's share of the runs left, at most 64, so early tasks are
    large enough for the engine to batch a point's replicates
    (model/batch.py; a task holds whole points where they fit) and the last
    ones keep the tail short.
    """
    remaining = exp.n_runs - len(done)
    cur = size or _guided(remaining, workers, exp.reps)
    batch: list[tuple] = []
    for point, rep, seed in exp.runs():
        if run_key(point, rep) in done:
            continue
        p = exp.points[point]
        batch.append((point, p["name"], p["scenario"], p["values"], rep, seed))
        if len(batch) >= cur:
            remaining -= len(batch)
            yield batch
            batch = []
            cur = size or _guided(remaining, workers, exp.reps)
    if batch:
        yield batch


def _guided(remaining: int, workers: int, reps: int = 1) -> int:
    size = max(1, min(64, remaining // max(1, workers * 2)))
    # whole points where they fit, so that a task's batches are a point's replicates;
    # else a point in near-equal parts (not 17 + 3), so no batch is left small
    if reps <= size:
        return size // reps * reps
    parts = -(-reps // size)
    return -(-reps // parts)


def auto_batch(n_runs: int, workers: int, reps: int = 1) -> int:
    """Size of the first task when none is given (later ones shrink)."""
    return _guided(n_runs, workers, reps)


def probe(exp: Experiment, engine: Any = None) -> list[str]:
    """Run the base scenario for a couple of weeks to check outcome and weekly names."""
    if exp.outcomes is None and not exp.weekly:
        return []
    eng = engine or resolve_engine(exp.engine)
    try:
        p0 = exp.points[0] if exp.points else {"scenario": exp.scenario, "values": {}}
        params = eng.load_scenario(p0["scenario"]).with_values({**exp.fixed, **p0["values"]})
        res = eng.simulate(params, seed=exp.run_seed(0, 0), weeks=2)
    except Exception as e:
        return [f"{exp.path}: the model did not run at the first design point: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''} (allowed: a design the model accepts)"]
    errs = []
    summary = res.summary
    for o in exp.outcomes or []:
        if o not in summary:
            errs.append(f"{exp.path}: outcomes = {json.dumps(o)}: not an outcome of the model (allowed: {', '.join(k for k, v in summary.items() if _is_scalar(v))})")
    cols = list(res.weekly.columns)
    for w in exp.weekly:
        if w not in cols:
            errs.append(f"{exp.path}: weekly = {json.dumps(w)}: not a weekly column of the model (allowed: {', '.join(map(str, cols))})")
    return errs


def run_sweep(experiment: str | Path | Experiment, out: str | Path | None = None, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, batch: int | None = None,
              progress: bool | None = None, analyse: bool = True, flush_rows: int = 1000,
              flush_seconds: float = 2.0, max_attempts: int = 3, log: Callable[[str], None] | None = None,
              check: bool = True, overwrite: bool = False) -> SweepReport:
    """Run (or, with ``resume``, continue) a sweep. Raises ExperimentError / SweepError before writing anything.

    ``out`` must be new, empty, or this sweep's results folder (``resume``);
    ``overwrite`` sets a sweep's own results there aside (``.spread-replaced/``) and starts again. Results
    set aside are removed only when a sweep in ``out`` completes (every run done, the analysis written),
    this one or a later ``resume`` of it; until then they can be moved back by hand.
    """
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    if check:
        errs = probe(exp)
        if errs:
            raise ExperimentError(errs)
    require_extras(exp, analyse, scheduler)  # a missing extra is one line before the folder is made
    from model.results_folder import safe_name
    out = Path(out) if out else Path("results") / safe_name(exp.name, "sweep")
    dh = exp.design_hash()
    old = check_sweep_target(out, dh, resume, overwrite)
    if scheduler:
        check_scheduler(scheduler)  # before the store writes anything
    store = Store(out)
    try:
        store.lock()  # before anything moves: another sweep writing here is refused, not disturbed
        if overwrite:
            set_aside(out)
        done = store.open()
        try:
            report = _run(exp, store, old, done, dh, workers, scheduler, batch, progress, analyse,
                          flush_rows, flush_seconds, max_attempts, log)
        except BaseException:
            _note_replaced(out, log)
            raise
        if report.complete:
            drop_replaced(out, log)  # the earlier results are superseded only now
        else:
            _note_replaced(out, log)
        return report
    finally:
        store.close()


def _note_replaced(out: Path, log: Callable[[str], None]) -> None:
    aside = replaced_folder(out)
    if aside is not None:
        log(f"the earlier results that --overwrite set aside are kept in {aside} until this sweep completes "
            "(run the same command with --resume to go on); to recover them instead, move them back by hand")


def _run(exp, store, old, done, dh, workers, scheduler, batch, progress, analyse,
         flush_rows, flush_seconds, max_attempts, log) -> SweepReport:
    out = store.out
    total = exp.n_runs
    t0 = time.monotonic()
    session = {"started": _now(), "host": socket.gethostname(), "pid": os.getpid(),
               "workers": workers, "scheduler": scheduler, "git": git_commit(), "versions": versions(),
               "done_before": len(done)}
    manifest = old or {
        "format": MANIFEST_VERSION, "tool": "improvement-spread", "command": "sweep", "name": exp.name, "description": exp.description,
        "experiment_file": str(exp.path), "experiment_text": exp.text,
        "experiment": exp.resolved(), "design_hash": dh, "n_points": exp.n_points, "reps": exp.reps,
        "n_runs": total, "created": _now(), "sessions": [],
    }
    manifest["analyses"] = exp.analyses  # not part of the design: may change between sessions
    manifest["status"] = "running"
    manifest["sessions"].append(session)
    store.write_manifest(manifest)
    if not (out / "design.csv").exists():
        design = pd.DataFrame([{"point": i, "point_name": p["name"], "scenario": p["scenario"],
                                **{PARAM_PREFIX + k: v for k, v in p["values"].items()}}
                               for i, p in enumerate(exp.points)])
        tmp = out / "design.csv.tmp"
        design.to_csv(tmp, index=False)
        os.replace(tmp, out / "design.csv")

    if done:
        log(f"resuming {out}: {len(done)} of {total} runs already done")
        before = [x.get("git", {}).get("commit") for x in manifest["sessions"][:-1]]
        now = session["git"].get("commit")
        if now and any(b and b != now for b in before):
            log(f"note: earlier sessions ran code at commit {before[-1]}, this one at {now}; "
                "rows from different code versions will sit side by side (see manifest.json sessions)")
    spec = {"engine": exp.engine, "fixed": exp.fixed, "weeks": exp.weeks, "outcomes": exp.outcomes,
            "weekly": exp.weekly, "weekly_every": exp.weekly_every}
    remaining = total - len(done)
    handle = make_executor(workers, scheduler) if remaining else ExecutorHandle(SerialExecutor(), "serial", 1)
    bsize = batch or auto_batch(remaining, handle.workers, exp.reps)  # first task; later ones shrink
    log(f"sweep {exp.name}: {remaining} runs to do ({exp.n_points} points x {exp.reps} reps), "
        f"{handle.kind} executor with {handle.workers} worker(s), "
        f"{bsize if batch else f'up to {bsize}'} runs per task -> {out}")
    bar = Progress(total, len(done), exp.name, tty=progress)
    errors = lost = ran = 0
    window = max(2, handle.workers * 3)
    pending: dict[cf.Future, tuple[list, int]] = {}
    source = _batches(exp, done, batch, handle.workers)
    last_flush = time.monotonic()
    prev_term = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        raise _Terminate()

    if threading_main():
        signal.signal(signal.SIGTERM, on_term)
    interrupted = False
    try:
        def top_up():
            while len(pending) < window:
                try:
                    b = next(source)
                except StopIteration:
                    return
                try:
                    pending[handle.executor.submit(run_batch, spec, b)] = (b, 1)
                except BrokenProcessPool:
                    # a worker died since the last wait: keep the batch for the restarted pool
                    refused.append((b, 1))
                    return

        refused: list[tuple[list, int]] = []
        top_up()
        while pending or refused:
            finished, _ = cf.wait(list(pending), timeout=1.0, return_when=cf.FIRST_COMPLETED)
            resubmit: list[tuple[list, int]] = refused[:]
            refused.clear()
            for f in finished:
                b, attempt = pending.pop(f)
                try:
                    rows, weekly = f.result()
                except BrokenProcessPool:
                    resubmit.append((b, attempt))
                    continue
                except Exception as e:  # worker lost beyond the scheduler's retries, etc.
                    lost += len(b)
                    log(f"task of {len(b)} runs lost ({type(e).__name__}: {str(e)[:200]}); "
                        f"they will run on --resume")
                    continue
                store.add(rows, weekly)
                n_err = sum(1 for r in rows if r.get("error"))
                errors += n_err
                ran += len(rows)
                bar.update(len(rows), n_err)
            if resubmit:
                # a local worker process died: restart the pool and resubmit what was in flight
                old_pending = resubmit + list(pending.values())
                pending.clear()
                handle.close(cancel=True)
                handle = make_executor(workers, scheduler)
                for b, attempt in old_pending:
                    if attempt >= max_attempts:
                        lost += len(b)
                        log(f"task of {len(b)} runs lost after {attempt} attempts (worker died)")
                        continue
                    try:
                        pending[handle.executor.submit(run_batch, spec, b)] = (b, attempt + 1)
                    except BrokenProcessPool:  # the fresh pool broke at once: try again next round
                        refused.append((b, attempt + 1))
                log("a worker process died; pool restarted and its tasks resubmitted")
            now = time.monotonic()
            if len(store.buffer) >= flush_rows or (store.buffer and now - last_flush >= flush_seconds):
                store.flush()
                last_flush = now
            top_up()
    except (KeyboardInterrupt, _Terminate):
        interrupted = True
        log("interrupted: writing finished runs; run the same command with --resume to go on")
    finally:
        store.flush()
        bar.close()
        handle.close(cancel=interrupted)
        if threading_main():
            signal.signal(signal.SIGTERM, prev_term)
    wall = time.monotonic() - t0
    n_done = len(done) + ran
    session.update({"finished": _now(), "ran": ran, "errors": errors, "lost": lost, "wall_s": round(wall, 3),
                    "executor": handle.kind, "n_workers": handle.workers, "batch": bsize})
    first_error = _all_raised(out, len(done), ran, errors) if n_done == total and total else None
    failed = first_error is not None
    manifest["status"] = ("failed" if failed else "complete") if n_done == total else (
        "interrupted" if interrupted else "incomplete")
    manifest["runs_done"] = n_done
    manifest["updated"] = _now()
    store.write_manifest(manifest)
    report = SweepReport(out, total, len(done), ran, errors, lost, wall, handle.kind, handle.workers, failed, first_error)
    rate = ran / wall if wall > 0 else 0
    log(f"sweep {exp.name}: {n_done}/{total} runs in {out} ({ran} this time in {wall:.1f} s, {rate:.1f} runs/s"
        + (f"; {errors} raised, see the error column" if errors else "")
        + (f"; {lost} lost, run again with --resume" if lost else "") + ")")
    if interrupted:
        raise KeyboardInterrupt
    if analyse and n_done == total and not failed:
        from model.sweeps.analysis import analyse as _analyse
        _analyse(out, log=log)
    return report


def _all_raised(out: Path, done_before: int, ran: int, errors: int) -> str | None:
    """The first error message if every run in the folder raised, else None."""
    if errors < ran:
        return None
    if done_before:  # earlier sessions' rows: read their error column (cheap: one column)
        err = read_runs(out, ["error"])["error"]
        if err.isna().any():
            return None
        return str(err.iloc[0])
    first = read_runs(out, ["error"])["error"].dropna()
    return str(first.iloc[0]) if len(first) else "(no message)"


def threading_main() -> bool:
    """Whether this is the main thread, the only one that may install the SIGTERM handler."""
    import threading
    return threading.current_thread() is threading.main_thread()

