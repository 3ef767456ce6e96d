"""The worker pool (model/pool.py): workers die with their driver, whatever killed it."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

DRIVER = """
import os, sys, time
from model.pool import process_pool

def napping(_):
    time.sleep(600)
    return os.getpid()

if __name__ == "__main__":
    pool = process_pool(2, forkserver={forkserver})
    futures = [pool.submit(napping, i) for i in range(2)]
    time.sleep(0.5)
    print(" ".join(str(p) for p in pool._processes), flush=True)
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("forkserver", [True, False])
def test_sigkill_of_the_driver_ends_its_workers_and_frees_its_stdout(forkserver, tmp_path):
    """SIGKILL of a sweep's or a calibration's driver used to leave the fork server, the workers and the
    resource tracker running for ever, holding the caller's stdout open, so a script waiting on the
    command hung. Now every process it started ends within seconds and the pipe closes."""
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(forkserver=forkserver))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    try:
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert len(workers) == 2
        descendants = subprocess.run(["ps", "-o", "pid=", "-s", str(proc.pid)], capture_output=True,
                                     text=True).stdout.split()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        t0 = time.monotonic()
        readable, _, _ = select.select([proc.stdout], [], [], 20)
        assert readable and proc.stdout.read() == b"", "the caller's stdout is still held open"  # EOF
        left = [int(p) for p in descendants if int(p) != proc.pid and _alive(int(p))]
        while left and time.monotonic() - t0 < 20:
            time.sleep(0.1)
            left = [p for p in left if _alive(p)]
        assert not left, f"still running after the driver was killed: {left}"
        assert time.monotonic() - t0 < 20
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
