"""Executors: one interface for in-process runs, a local process pool and a Dask cluster.

Each is a ``concurrent.futures`` executor the sweep submits batches to; a
SLURM/PBS cluster started with dask-jobqueue is reached by its scheduler
address like any other Dask scheduler.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from model.pool import process_pool
from model.sweeps.store import SweepError

SCHEDULER_TIMEOUT_S = 10.0


class SerialExecutor(cf.Executor):
    """Runs each task in this process when it is submitted."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        """Run ``fn`` now; the returned future holds its result or exception."""
        f: cf.Future = cf.Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001
            f.set_exception(e)
        return f


@dataclass
class ExecutorHandle:
    """An executor, what kind it is, its number of workers, and what to close after it."""

    executor: cf.Executor
    kind: str  # serial | processes | dask
    workers: int
    closers: list = field(default_factory=list)

    def close(self, cancel: bool = False) -> None:
        """Shut the executor down (cancelling what is queued if ``cancel``) and close what it opened."""
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
    # one BLAS thread per worker, Ctrl-C left to the driver: model/pool.py
    return ExecutorHandle(process_pool(n, preload=("model.sweeps.task",), forkserver=True), "processes", n)


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


