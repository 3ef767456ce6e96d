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
* Ctrl-C belongs to the driver, which stops the pool and keeps what finished.

The C-level threads every process here has (OpenBLAS's pool, Arrow's jemalloc
thread) register fork handlers and are safe to fork; Python 3.12 still warns
about them (DeprecationWarning), which the test configuration silences by
name. Results never depend on the start method.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
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


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle


def process_pool(workers: int, preload: tuple[str, ...] = ("model.runner",),
                 forkserver: bool = False) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes started the package's one way (``forkserver``: see pool_context)."""
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")
    return ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(preload, forkserver),
                               initializer=_worker_init)
