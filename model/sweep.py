"""Run an experiment's design on local processes or a Dask cluster.

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
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as _dt
import fcntl
import functools
import json
import math
import os
import re
import signal
import socket
import sys
import time
import traceback
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.provenance import git_commit, versions
from model.experiment import Experiment, ExperimentError, flatten_keys, load_experiment, resolve_engine

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
META_COLUMNS = ["run_key", "point", "point_name", "rep", "seed", "scenario", "error"]
PARAM_PREFIX = "p."
MANIFEST_VERSION = 1
#: Seconds to wait for a Dask scheduler to answer before giving up in one line.
SCHEDULER_TIMEOUT_S = 10.0


class SweepError(Exception):
    """A problem that stops a sweep before it runs (one line)."""


def run_key(point: int, rep: int) -> str:
    return f"p{point}-r{rep}"


# ----- the task: runs on a worker ------------------------------------------

@functools.lru_cache(maxsize=8)
def _engine(name: str):
    return resolve_engine(name)


@functools.lru_cache(maxsize=16)
def _base(engine_name: str, scenario: str):
    return _engine(engine_name).load_scenario(scenario)


@functools.lru_cache(maxsize=256)
def _point_params(engine_name: str, scenario: str, values_json: str):
    values = json.loads(values_json)
    params = _base(engine_name, scenario).with_values(values) if values else _base(engine_name, scenario)
    return params, {PARAM_PREFIX + key: _scalar(v) for key, v in flatten_keys(params.to_dict()).items()}


def _scalar(v):
    if isinstance(v, np.generic):
        return v.item()
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    try:
        return json.dumps(v, default=str, sort_keys=True)
    except Exception:
        return str(v)


def run_batch(spec: dict, runs: list[tuple]) -> tuple[list[dict], pd.DataFrame | None]:
    """Run a batch of runs; never raises for a run's own failure (it is recorded)."""
    eng_name = spec["engine"]
    outcomes = spec.get("outcomes")
    weekly_cols = spec.get("weekly") or []
    every = spec.get("weekly_every", 1)
    rows: list[dict] = []
    weekly_frames = []
    for point, pname, scenario, values, rep, seed in runs:
        row: dict[str, Any] = {
            "run_key": run_key(point, rep), "point": point, "point_name": pname, "rep": rep,
            "seed": seed, "scenario": scenario,
        }
        for k, v in values.items():
            row[PARAM_PREFIX + k] = _scalar(v)
        try:
            eng = _engine(eng_name)
            params, flat = _point_params(eng_name, scenario, json.dumps({**spec["fixed"], **values}, sort_keys=True))
            row.update(flat)
            res = eng.simulate(params, seed=seed, weeks=spec.get("weeks"))
            summary = res.summary
            keep = outcomes if outcomes is not None else [k for k, v in summary.items() if _is_scalar(v)]
            missing = [o for o in keep if o not in summary]
            if missing:
                raise KeyError(f"outcome(s) {missing} not in the run's summary (it has: {', '.join(summary)})")
            for o in keep:
                row[o] = _scalar(summary[o])
            if weekly_cols:
                w = res.weekly
                miss = [c for c in weekly_cols if c not in w.columns]
                if miss:
                    raise KeyError(f"weekly column(s) {miss} not in the run's weekly table (it has: {', '.join(map(str, w.columns))})")
                wk = w["week"].to_numpy() if "week" in w.columns else np.arange(len(w))
                sel = np.arange(0, len(w), every)
                if len(w) and sel[-1] != len(w) - 1:
                    sel = np.append(sel, len(w) - 1)
                wf = pd.DataFrame({c: w[c].to_numpy()[sel] for c in weekly_cols})
                wf.insert(0, "week", wk[sel])
                wf.insert(0, "rep", rep)
                wf.insert(0, "point", point)
                wf.insert(0, "run_key", row["run_key"])
                weekly_frames.append(wf)
            row["error"] = None
        except Exception as e:  # a run that raises is recorded, and the sweep goes on
            tb = traceback.extract_tb(e.__traceback__)
            where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
            msg = str(e).strip().splitlines()
            row["error"] = f"{type(e).__name__}: {msg[0] if msg else ''}{where}"
            for o in outcomes or []:
                row.setdefault(o, None)
        rows.append(row)
    weekly = pd.concat(weekly_frames, ignore_index=True) if weekly_frames else None
    return rows, weekly


def _is_scalar(v) -> bool:
    return v is None or isinstance(v, (bool, int, float, str, np.generic))


# ----- executors ----------------------------------------------------------

class SerialExecutor(cf.Executor):
    """Runs each task in this process when it is submitted."""

    def submit(self, fn, /, *args, **kwargs):
        f: cf.Future = cf.Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001
            f.set_exception(e)
        return f


@dataclass
class ExecutorHandle:
    executor: cf.Executor
    kind: str  # serial | processes | dask
    workers: int
    closers: list = field(default_factory=list)

    def close(self, cancel: bool = False):
        try:
            self.executor.shutdown(wait=not cancel, cancel_futures=cancel)
        except TypeError:  # pragma: no cover - older executors
            self.executor.shutdown(wait=not cancel)
        except Exception:
            pass
        for c in reversed(self.closers):
            try:
                c()
            except Exception:
                pass


def make_executor(workers: int | None = None, scheduler: str | None = None) -> ExecutorHandle:
    """One interface: in-process, local processes, or a Dask cluster.

    scheduler: None (local), "local" (a Dask LocalCluster with `workers`
    processes), the address of a running Dask scheduler ("tcp://host:8786"),
    or a scheduler file (*.json, as written by `dask scheduler
    --scheduler-file`); a SLURM/PBS cluster from dask-jobqueue is reached by
    its scheduler address in the same way.
    """
    if scheduler:
        from distributed import Client, LocalCluster
        closers = []
        if scheduler == "local":
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            closers.append(cluster.close)
            client = Client(cluster)
        elif scheduler.endswith(".json") and Path(scheduler).is_file():
            client = Client(scheduler_file=scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
        else:
            client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
        closers.insert(0, client.close)
        n = sum(client.nthreads().values()) or 1
        return ExecutorHandle(client.get_executor(pure=False), "dask", n, closers)
    n = workers or os.cpu_count() or 1
    if n <= 1:
        return ExecutorHandle(SerialExecutor(), "serial", 1)
    import multiprocessing as mp
    # one thread per worker process: n processes x n BLAS/OpenMP threads on n cores thrash
    # (Dask's nanny does the same for its workers)
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["model.sweep"])
    return ExecutorHandle(cf.ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_worker_init),
                          "processes", n)


def check_scheduler(scheduler: str, timeout: float | None = None) -> None:
    """Connect to a Dask scheduler and let go; an unusable one is one SweepError line.

    Called before the results folder is touched, so that a wrong address
    leaves nothing behind (no folder, no manifest marked "running")."""
    if scheduler == "local":
        return
    timeout = SCHEDULER_TIMEOUT_S if timeout is None else timeout
    allowed = "allowed is the address of a running Dask scheduler (tcp://host:8786), a scheduler file (*.json) or 'local'"
    if scheduler.endswith(".json") and not Path(scheduler).is_file():
        raise SweepError(f"--scheduler {scheduler}: scheduler file not found; {allowed}")
    from distributed import Client
    try:
        if scheduler.endswith(".json"):
            client = Client(scheduler_file=scheduler, timeout=f"{timeout}s")
        else:
            client = Client(scheduler, timeout=f"{timeout}s")
    except Exception as e:  # OSError on time-out, ValueError for a bad address, and stranger ones from odd peers
        detail = (str(e).strip().splitlines() or [""])[0][:200]
        raise SweepError(f"--scheduler {scheduler}: no Dask scheduler answered within {timeout:g} s "
                         f"({type(e).__name__}: {detail}); {allowed}") from None
    client.close()


def _worker_init():
    # Ctrl-C is the driver's to handle (it writes finished runs and stops the pool)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# ----- the store ----------------------------------------------------------

def _atomic_write_bytes(path: Path, data: bytes):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _atomic_write_table(path: Path, table: pa.Table):
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _rows_table(rows: list[dict]) -> pa.Table:
    df = pd.DataFrame(rows)
    for c in df.columns:
        if df[c].dtype == object:
            nonnull = df[c].dropna()
            if len(nonnull) and nonnull.map(lambda x: isinstance(x, (int, float)) and not isinstance(x, bool)).all():
                df[c] = pd.to_numeric(df[c])
            elif len(nonnull) and not nonnull.map(lambda x: isinstance(x, str)).all():
                df[c] = df[c].map(lambda x: None if x is None else (x if isinstance(x, str) else json.dumps(x, default=str)))
    return pa.Table.from_pandas(df, preserve_index=False)


class Store:
    """Append-only Parquet parts plus a manifest, written by one process."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.runs_dir = self.out / "runs"
        self.weekly_dir = self.out / "weekly"
        self.manifest_path = self.out / "manifest.json"
        self._lock_fd = None
        self.buffer: list[dict] = []
        self.weekly_buffer: list[pd.DataFrame] = []
        self.next_part = 0
        self.rows_written = 0

    # opening -----------------------------------------------------------
    def existing_manifest(self) -> dict | None:
        if self.manifest_path.is_file():
            return json.loads(self.manifest_path.read_text())
        return None

    def open(self) -> set[str]:
        """Lock the folder, clear debris of a killed writer, return finished run keys."""
        self.out.mkdir(parents=True, exist_ok=True)
        self.runs_dir.mkdir(exist_ok=True)
        self.weekly_dir.mkdir(exist_ok=True)
        self._lock_fd = os.open(self.out / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SweepError(f"{self.out}: another sweep is writing to this folder")
        # debris of a killed writer: only temporary files of names this store writes
        for d, pattern in ((self.runs_dir, "part-*.parquet.tmp"), (self.weekly_dir, "part-*.parquet.tmp"),
                           (self.out, "manifest.json.tmp"), (self.out, "design.csv.tmp")):
            for tmp in d.glob(pattern):
                if _STORE_ENTRY.fullmatch(tmp.relative_to(self.out).as_posix()):
                    tmp.unlink()
        done: set[str] = set()
        parts = sorted(self.runs_dir.glob("part-*.parquet"))
        for part in parts:
            keys = pq.read_table(part, columns=["run_key"]).column("run_key").to_pylist()
            dup = done.intersection(keys)
            if dup:  # cannot happen with one writer; refuse rather than double count
                raise SweepError(f"{part}: runs already in another part: {sorted(dup)[:3]}")
            done.update(keys)
        run_parts = {p.name for p in parts}
        for wpart in self.weekly_dir.glob("part-*.parquet"):
            if wpart.name not in run_parts:  # weekly written, runs part not: the runs will be redone
                wpart.unlink()
        if parts:
            self.next_part = max(int(p.stem.split("-")[1]) for p in parts) + 1
        return done

    def close(self):
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # writing -----------------------------------------------------------
    def add(self, rows: list[dict], weekly: pd.DataFrame | None):
        self.buffer.extend(rows)
        if weekly is not None and len(weekly):
            self.weekly_buffer.append(weekly)

    def flush(self) -> int:
        if not self.buffer:
            return 0
        name = f"part-{self.next_part:06d}.parquet"
        if self.weekly_buffer:  # weekly first: a runs part never exists without its weekly part
            wt = pa.Table.from_pandas(pd.concat(self.weekly_buffer, ignore_index=True), preserve_index=False)
            _atomic_write_table(self.weekly_dir / name, wt)
        _atomic_write_table(self.runs_dir / name, _rows_table(self.buffer))
        n = len(self.buffer)
        self.rows_written += n
        self.next_part += 1
        self.buffer = []
        self.weekly_buffer = []
        return n

    def write_manifest(self, manifest: dict):
        _atomic_write_bytes(self.manifest_path, (json.dumps(manifest, indent=2, default=str) + "\n").encode())


#: Every entry a sweep's results folder can hold (relative POSIX paths; folders end in /).
_STORE_ENTRY = re.compile(r"(manifest\.json|design\.csv)(\.tmp)?|\.lock|runs/|weekly/|analysis/"
                          r"|(runs|weekly)/part-\d{6}\.parquet(\.tmp)?|\.analysis\.spread-partial-[^/]+/?")


def _is_sweep_manifest(m: dict | None) -> bool:
    return isinstance(m, dict) and "design_hash" in m and m.get("format") == MANIFEST_VERSION


def _strangers(out: Path) -> list[str]:
    """Entries of ``out`` that a sweep (and its analysis) did not write."""
    from .analysis import ANALYSIS_MANIFEST
    from .results_folder import _entries, read_manifest
    analysis = read_manifest(out / "analysis", ANALYSIS_MANIFEST)
    ours = {f"analysis/{f}" for f in (analysis["files"] if analysis else [])} | {f"analysis/{ANALYSIS_MANIFEST}"}
    found = []
    for e in _entries(out):
        if _STORE_ENTRY.fullmatch(e) or e in ours or e.startswith(".analysis.spread-partial-"):
            continue
        if e.startswith("analysis/") and e.endswith("/") and any(o.startswith(e) for o in ours):
            continue
        found.append(e)
    return found


def check_sweep_target(out: Path, design_hash: str, resume: bool, overwrite: bool) -> dict | None:
    """Refuse (SweepError) unless ``out`` may take this sweep; return the manifest to resume, if any.

    A new or empty folder starts a sweep. A folder holding a sweep's results
    (recognised by its manifest) is continued with ``resume`` (same design
    only) or cleared and started again with ``overwrite`` (only if every entry
    in it is the sweep's own). Anything else is refused; nothing is written.
    """
    from .results_folder import _entries, _is_cwd_or_above
    if resume and overwrite:
        raise SweepError("--resume and --overwrite: allowed is one of them (continue, or start again)")
    if out.is_symlink():
        raise SweepError(f"{out}: is a symbolic link; allowed is a new folder or a sweep's results folder")
    if not out.exists():
        if resume:
            raise SweepError(f"{out}: nothing to resume (no such folder); run without --resume to start")
        return None
    if not out.is_dir():
        raise SweepError(f"{out}: is a file, not a folder; nothing was changed (choose a new --out)")
    if _is_cwd_or_above(out):
        raise SweepError(f"{out}: is the current folder or one above it; allowed is a new folder")
    entries = _entries(out)
    if not entries:
        if resume:
            raise SweepError(f"{out}: nothing to resume (empty folder); run without --resume to start")
        return None
    try:
        old = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        old = None
    if not _is_sweep_manifest(old):
        raise SweepError(f"{out}: holds files that `spread sweep` did not write (e.g. {entries[0].rstrip('/')}); "
                         "nothing was changed (choose a new --out)")
    done = old.get("runs_done", "some")
    if overwrite:
        strangers = _strangers(out)
        if strangers:
            raise SweepError(f"{out}: holds {strangers[0]}, which `spread sweep` did not write; --overwrite "
                             "replaces only a folder of the sweep's own files, so nothing was changed")
        return None
    if old.get("design_hash") != design_hash:
        raise SweepError(f"{out}: holds results of a different experiment or design "
                         f"(design hash {old.get('design_hash')} there, {design_hash} here); "
                         "choose another --out, or add --overwrite to replace them")
    if not resume:
        raise SweepError(f"{out}: holds this sweep's results ({done} of {old.get('n_runs')} runs done); "
                         "add --resume to continue it, or --overwrite to start again")
    return old


def clear_sweep(out: Path) -> None:
    """Remove a sweep's own files from ``out`` (after check_sweep_target allowed --overwrite)."""
    from .results_folder import _entries
    if _strangers(out):  # checked before; the folder may have changed since
        raise SweepError(f"{out}: gained files that `spread sweep` did not write; nothing more was removed")
    for e in reversed(_entries(out)):  # files before the folders holding them
        p = out / e.rstrip("/")
        if e.endswith("/"):
            p.rmdir()
        else:
            p.unlink()


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        if df[c].dtype == object:
            nonnull = df[c].dropna()
            if len(nonnull) and nonnull.map(lambda x: isinstance(x, (int, float)) and not isinstance(x, bool)).all():
                df[c] = pd.to_numeric(df[c])
    return df


def read_runs(out: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """All finished runs of a results folder, sorted by (point, rep)."""
    parts = sorted((Path(out) / "runs").glob("part-*.parquet"))
    frames = []
    for part in parts:
        names = pq.read_schema(part).names
        cols = None if columns is None else [c for c in columns if c in names]
        frames.append(pq.read_table(part, columns=cols).to_pandas())
    if not frames:
        return pd.DataFrame(columns=columns or META_COLUMNS)
    df = pd.concat(frames, ignore_index=True)
    if columns is not None:
        for c in columns:
            if c not in df.columns:
                df[c] = None
        df = df[columns]
    df = _normalise(df)
    if "point" in df.columns and "rep" in df.columns:
        df = df.sort_values(["point", "rep"], kind="stable").reset_index(drop=True)
    return df


def read_weekly(out: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    parts = sorted((Path(out) / "weekly").glob("part-*.parquet"))
    frames = [pq.read_table(p, columns=columns).to_pandas() for p in parts]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True).sort_values(["point", "rep", "week"], kind="stable").reset_index(drop=True)


# ----- progress -------------------------------------------------------------

class Progress:
    """A bar on a terminal; plain periodic lines otherwise."""

    def __init__(self, total: int, initial: int, label: str, tty: bool | None = None,
                 every: float = 10.0, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total, self.done, self.label = total, initial, label
        self.start_done = initial
        self.errors = 0
        self.t0 = time.monotonic()
        self.last = self.t0
        self.every = every
        self.bar = None
        if self.tty:
            from tqdm import tqdm
            self.bar = tqdm(total=total, initial=initial, unit="run", desc=label, file=self.stream,
                            dynamic_ncols=True, smoothing=0.1)

    def update(self, n: int, errors: int = 0):
        self.done += n
        self.errors += errors
        if self.bar is not None:
            self.bar.update(n)
            if self.errors:
                self.bar.set_postfix(raised=self.errors, refresh=False)
            return
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.line()

    def line(self, final: bool = False):
        el = time.monotonic() - self.t0
        new = self.done - self.start_done
        rate = new / el if el > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        pct = 100.0 * self.done / self.total if self.total else 100.0
        msg = f"[{self.label}] {self.done}/{self.total} runs ({pct:.0f}%), {rate:.1f} runs/s"
        msg += f", {_hms(el)} elapsed" if final else f", about {_hms(left)} left"
        if self.errors:
            msg += f", {self.errors} raised"
        print(msg, file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
        else:
            self.line(final=True)


def _hms(s: float) -> str:
    if not math.isfinite(s):
        return "?"
    s = int(round(s))
    h, r = divmod(s, 3600)
    m, sec = divmod(r, 60)
    return f"{h}h{m:02d}m{sec:02d}s" if h else (f"{m}m{sec:02d}s" if m else f"{sec}s")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# ----- the sweep ----------------------------------------------------------------

@dataclass
class SweepReport:
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
        return self.lost == 0 and self.done_before + self.ran == self.total and not self.failed


class _Terminate(Exception):
    pass


def _batches(exp: Experiment, done: set[str], size: int | None, workers: int = 1) -> Iterator[list[tuple]]:
    """Runs still to do, in point-major order, cut into tasks.

    With a fixed size every task has that many runs. Without one, tasks
    shrink as the sweep nears its end (guided self-scheduling): about a
    sixteenth of the runs left per worker, at most 64, so early tasks keep
    the per-task overhead small and the last ones keep the tail short.
    """
    remaining = exp.n_runs - len(done)
    cur = size or _guided(remaining, workers)
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
            cur = size or _guided(remaining, workers)
    if batch:
        yield batch


def _guided(remaining: int, workers: int) -> int:
    return max(1, min(64, remaining // max(1, workers * 16)))


def auto_batch(n_runs: int, workers: int) -> int:
    """Size of the first task when none is given (later ones shrink)."""
    return _guided(n_runs, workers)


def probe(exp: Experiment, engine=None) -> list[str]:
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
              flush_seconds: float = 2.0, max_attempts: int = 3, log=None, check: bool = True,
              overwrite: bool = False) -> SweepReport:
    """Run (or, with ``resume``, continue) a sweep. Raises ExperimentError / SweepError before writing anything.

    ``out`` must be new, empty, or this sweep's results folder (``resume``);
    ``overwrite`` clears a sweep's own results there and starts again.
    """
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    if check:
        errs = probe(exp)
        if errs:
            raise ExperimentError(errs)
    from .results_folder import safe_name
    out = Path(out) if out else Path("results") / safe_name(exp.name, "sweep")
    dh = exp.design_hash()
    old = check_sweep_target(out, dh, resume, overwrite)
    if scheduler:
        check_scheduler(scheduler)  # before the store writes anything
    if overwrite and out.exists():
        clear_sweep(out)
    store = Store(out)
    done = store.open()
    try:
        return _run(exp, store, old, done, dh, workers, scheduler, batch, progress, analyse,
                    flush_rows, flush_seconds, max_attempts, log)
    finally:
        store.close()


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
    bsize = batch or auto_batch(remaining, handle.workers)  # first task; later ones shrink
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
                    pending[handle.executor.submit(run_batch, spec, b)] = (b, attempt + 1)
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
        from model.analysis import analyse as _analyse
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
    import threading
    return threading.current_thread() is threading.main_thread()


def add_parser(subparsers) -> None:
    """Hook for model/cli.py's PLUGINS: adds `spread sweep` and `spread analyse`."""
    from model.sweep_cli import register
    register(subparsers)
