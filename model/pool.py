"""The worker pool: one home for every process pool the package starts.

Replicates (``runner.run_replicates``), what-if arms (``whatif.run_arms``) and
local sweeps (``sweeps``) all run in pools made here, so they share one rule
for how worker processes start and behave:

* fork when only the main thread runs: it works from any script, even one
  without an ``if __name__ == "__main__"`` guard, and starts at once
  (replicates and what-if arms);
* a fork server always for a sweep's local pool (``forkserver=True``): a
  sweep restarts its pool when a worker dies, which a forked pool can hang
  on. A fork server re-imports the main script, so a script that calls
  ``run_sweep`` with more than one worker needs the ``__main__`` guard;
* forkserver (with the model preloaded) when other Python threads run (a Dask
  client, a web server, a test runner's helpers), because forking those can
  deadlock; spawn where neither exists;
* one BLAS/OpenMP thread per worker (n processes x n threads on n cores thrash);
* Ctrl-C belongs to the driver, which stops the pool and keeps what finished;
* a worker dies with its driver: killed outright (SIGKILL, the OOM killer),
  the driver cannot stop its pool, and a fork server's workers (children of
  the fork server, each holding the task queue's both ends) would wait for
  work for ever, keeping the fork server, the resource tracker and the
  caller's stdout and stderr open, so a script waiting on the command hung.
  Each worker watches the driver (a pidfd on Linux, else a poll each second)
  and exits when it is gone; the fork server and resource tracker then end.

The C-level threads every process here has (OpenBLAS's pool, Arrow's jemalloc
thread) register fork handlers and are safe to fork; Python 3.12 still warns
about them (DeprecationWarning), which the test configuration silences by
name. Results never depend on the start method.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

#: Environment variables that cap a worker's BLAS/OpenMP threads.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def pool_context(preload: tuple[str, ...] = ("model.runner",),
                 forkserver: bool = False) -> multiprocessing.context.BaseContext:
    """The multiprocessing context for a pool started now (see the module docstring).

    ``forkserver`` asks for a fork server even from a single thread: a sweep
    restarts its pool when a worker dies, and a pool forked from a driver
    whose earlier pool broke can hang, where a fork server's cannot.
    """
    methods = multiprocessing.get_all_start_methods()
    if not forkserver and threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(list(preload))
    return ctx


def worker_count(requested: int | None, jobs: int | None = None) -> int:
    """Processes to use: ``requested``, else one per core; never more than there are jobs."""
    n = requested if requested is not None else (os.cpu_count() or 1)
    return max(1, min(n, jobs) if jobs is not None else n)


def _worker_init(driver: int | None = None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    if driver is not None:
        die_with(driver)


def die_with(driver: int) -> None:
    """End this process when process ``driver`` ends (a daemon thread waits on it)."""
    try:
        fd = os.pidfd_open(driver)  # Linux 5.3+: readable once the driver has exited, even unreaped
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):
        fd = None

    def watch() -> None:
        if fd is not None:
            select.select([fd], [], [])
        else:  # no pidfd: poll; a fork server's worker is not the driver's child, so ask for the pid itself
            while True:
                time.sleep(1.0)
                try:
                    os.kill(driver, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    pass
        os._exit(1)  # the driver is gone: no one will read a result, and its pipes must close

    threading.Thread(target=watch, name=f"die-with-{driver}", daemon=True).start()


def process_pool(workers: int, preload: tuple[str, ...] = ("model.runner",),
                 forkserver: bool = False) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes started the package's one way (``forkserver``: see pool_context)."""
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")
    return ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(preload, forkserver),
                               initializer=_worker_init, initargs=(os.getpid(),))
