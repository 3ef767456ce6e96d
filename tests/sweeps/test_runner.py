"""The sweep runner: determinism across executors, Dask, kill-and-resume, failures.

These run the machinery on a tiny stand-in model (tests/sweep_fake_engine.py)
so they stay fast; tests/sweeps/test_sweep_model.py runs a small sweep of the real
trust model.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # sweep_helpers, sweep_fake_engine (in tests/)

from model.sweeps.design import load_experiment, run_seed
from model.sweeps.progress import Progress
from model.sweeps.runner import run_sweep
from model.sweeps.store import read_runs, read_weekly
from sweep_helpers import PY, comparable, env, small_experiment

pytest.importorskip("distributed")


def quiet(msg):
    pass


def sweep(exp, out, **kw):
    kw.setdefault("analyse", False)
    kw.setdefault("progress", False)
    return run_sweep(exp, out=out, log=quiet, **kw)


def cli(*args, timeout=120, **kw):
    return subprocess.run([PY, "-m", "model", *map(str, args)], env=env(), capture_output=True,
                          text=True, timeout=timeout, **kw)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted serial sweep of the small experiment."""
    tmp = tmp_path_factory.mktemp("ref")
    exp = small_experiment(tmp)
    rep = sweep(exp, tmp / "out", workers=1)
    assert rep.complete and rep.errors == 0
    return exp, read_runs(tmp / "out"), read_weekly(tmp / "out")


def test_seeds_depend_only_on_root_point_and_replicate():
    a = run_seed(5, 3, 2)
    assert a == run_seed(5, 3, 2)
    seeds = {run_seed(5, p, r) for p in range(20) for r in range(20)}
    assert len(seeds) == 400
    assert run_seed(6, 3, 2) != a
    # common random numbers: the replicate decides
    assert run_seed(5, 1, 2, "replicate") == run_seed(5, 9, 2, "replicate")


def test_rows_carry_every_parameter_seed_and_key(reference):
    exp, df, weekly = reference
    e = load_experiment(exp)
    assert len(df) == e.n_runs == 36
    assert df["run_key"].is_unique
    for col in ("p.leadership.commitment", "p.network.reciprocity", "p.trust.size", "p.test.sleep",
                "p.schedule.windows", "seed", "point", "rep", "scenario", "error"):
        assert col in df.columns, col
    assert all(df["seed"] == [e.run_seed(p, r) for p, r in zip(df["point"], df["rep"])])
    assert set(weekly["run_key"]) == set(df["run_key"])
    assert sorted(weekly["week"].unique()) == [0, 4, 8, 11]


def test_same_numbers_serial_process_pool_and_dask(reference, tmp_path):
    exp, ref, ref_w = reference
    sweep(exp, tmp_path / "pool", workers=2, batch=5)
    sweep(exp, tmp_path / "dask", workers=2, scheduler="local", batch=3)
    for d in ("pool", "dask"):
        pd.testing.assert_frame_equal(comparable(read_runs(tmp_path / d)), comparable(ref))
        pd.testing.assert_frame_equal(read_weekly(tmp_path / d), ref_w)
    # runs were written as several parts, each whole
    assert len(list((tmp_path / "pool" / "runs").glob("part-*.parquet"))) >= 1


def test_resume_into_same_folder_runs_nothing_new(reference, tmp_path):
    exp, ref, _ = reference
    sweep(exp, tmp_path / "o", workers=1)
    rep = sweep(exp, tmp_path / "o", workers=1, resume=True)
    assert rep.ran == 0 and rep.done_before == len(ref)
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert m["status"] == "complete" and len(m["sessions"]) == 2
    assert m["sessions"][0]["versions"]["python"]
    assert "commit" in m["sessions"][0]["git"]


def test_different_experiment_in_same_folder_refused(reference, tmp_path):
    exp, _, _ = reference
    sweep(exp, tmp_path / "o", workers=1)
    other = small_experiment(tmp_path, reps=4, name="other.toml")
    r = cli("sweep", other, "--out", tmp_path / "o", "--no-analyse")
    assert r.returncode == 2
    assert "different experiment" in r.stderr
    r = cli("sweep", other, "--out", tmp_path / "fresh", "--resume")
    assert r.returncode == 2 and "nothing to resume" in r.stderr
    assert not (tmp_path / "fresh").exists()


def _parts(out: Path) -> int:
    return len(list((out / "runs").glob("part-*.parquet")))


def _kill_tree(proc: subprocess.Popen):
    """SIGKILL the sweep process itself, then tidy up the worker processes it started."""
    import psutil
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        kids = []
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    for k in kids:
        try:
            k.kill()
        except psutil.NoSuchProcess:
            pass


def test_sigkill_and_resume_gives_exactly_the_uninterrupted_rows(tmp_path):
    exp = small_experiment(tmp_path, reps=8, n=4, sleep=0.03)  # 96 runs, about 1.5 s on 2 workers
    sweep(exp, tmp_path / "ref", workers=1, batch=7)
    ref = read_runs(tmp_path / "ref")
    out = tmp_path / "killed"
    for more_parts in (1, 3):
        kill_after_parts = (_parts(out) if out.exists() else 0) + more_parts
        again = ["--resume"] if out.exists() else []
        proc = subprocess.Popen([PY, "-m", "model", "sweep", str(exp), "--out", str(out), *again,
                                 "--workers", "2", "--batch", "2", "--flush-every", "0.05", "--no-analyse"], env=env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        t0 = time.monotonic()
        while _parts(out) < kill_after_parts and time.monotonic() - t0 < 60 and proc.poll() is None:
            time.sleep(0.01)
        assert proc.poll() is None, "sweep finished before it could be killed"
        _kill_tree(proc)
        partial = read_runs(out)
        assert 0 < len(partial) < len(ref)
        assert partial["run_key"].is_unique
    r = cli("sweep", exp, "--out", out, "--workers", "2", "--resume", "--no-analyse")
    assert r.returncode == 0, r.stderr
    got = read_runs(out)
    assert got["run_key"].is_unique
    pd.testing.assert_frame_equal(comparable(got), comparable(ref))
    pd.testing.assert_frame_equal(read_weekly(out), read_weekly(tmp_path / "ref"))
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path):
    exp = small_experiment(tmp_path, extra='\n[analyses]\nsummary = true\n')
    text = exp.read_text().replace('"test.sleep" = 0.0', '"test.sleep" = 0.0\n"test.explode_above" = 0.6')
    exp.write_text(text)
    r = cli("sweep", exp, "--out", tmp_path / "o", "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert "raised" in r.stderr
    df = read_runs(tmp_path / "o")
    bad = df[df["p.leadership.commitment"] > 0.6]
    good = df[df["p.leadership.commitment"] <= 0.6]
    assert len(bad) and bad["error"].str.contains("RuntimeError: boom").all()
    assert bad["reach_final"].isna().all()
    assert good["error"].isna().all() and good["reach_final"].notna().all()
    errors = pd.read_csv(tmp_path / "o" / "analysis" / "errors.csv")
    assert len(errors) == len(bad)


def _start_cluster(tmp: Path, n_workers: int):
    sched_file = tmp / "scheduler.json"
    procs = [subprocess.Popen([PY, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sched_file)], env=env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    t0 = time.monotonic()
    while not sched_file.exists() and time.monotonic() - t0 < 30:
        time.sleep(0.1)
    assert sched_file.exists(), "dask scheduler did not start"
    for _ in range(n_workers):
        procs.append(subprocess.Popen([PY, "-m", "distributed.cli.dask_worker", "--scheduler-file", str(sched_file),
                                       "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1"],
                                      env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True))
    addr = json.loads(sched_file.read_text())["address"]
    from distributed import Client
    with Client(addr, timeout="30s") as c:
        c.wait_for_workers(n_workers, timeout=60)
    return addr, procs


def _stop(procs):
    for p in reversed(procs):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def test_real_dask_scheduler_and_workers_and_a_worker_killed_mid_sweep(reference, tmp_path):
    exp, ref, _ = reference
    addr, procs = _start_cluster(tmp_path, 2)
    try:
        assert addr.startswith("tcp://127.0.0.1:")
        r = cli("sweep", exp, "--out", tmp_path / "d", "--scheduler", addr, "--no-analyse")
        assert r.returncode == 0, r.stderr
        assert "dask executor with 2 worker(s)" in r.stderr
        pd.testing.assert_frame_equal(comparable(read_runs(tmp_path / "d")), comparable(ref))

        # now a slower sweep, and one worker (nanny and all) killed while it runs
        slow = small_experiment(tmp_path, reps=8, n=4, sleep=0.03, name="slow.toml")
        sweep(slow, tmp_path / "slow_ref", workers=1)
        proc = subprocess.Popen([PY, "-m", "model", "sweep", str(slow), "--out", str(tmp_path / "k"),
                                 "--scheduler", addr, "--batch", "2", "--flush-every", "0.05", "--no-analyse"], env=env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t0 = time.monotonic()
        while _parts(tmp_path / "k") < 1 and time.monotonic() - t0 < 60:
            time.sleep(0.01)
        os.killpg(procs[1].pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        pd.testing.assert_frame_equal(comparable(read_runs(tmp_path / "k")),
                                      comparable(read_runs(tmp_path / "slow_ref")))
    finally:
        _stop(procs)


def test_a_local_worker_process_killed_mid_sweep(tmp_path):
    import psutil
    exp = small_experiment(tmp_path, reps=8, n=4, sleep=0.03)
    sweep(exp, tmp_path / "ref", workers=1)
    proc = subprocess.Popen([PY, "-m", "model", "sweep", str(exp), "--out", str(tmp_path / "k"),
                             "--workers", "2", "--batch", "2", "--flush-every", "0.05", "--no-analyse"], env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while _parts(tmp_path / "k") < 1 and time.monotonic() - t0 < 60:
        time.sleep(0.01)
    # the pool's workers are the leaves under the sweep process (forkserver children)
    leaves = [c for c in psutil.Process(proc.pid).children(recursive=True)
              if not c.children() and "resource_tracker" not in " ".join(c.cmdline())]
    assert leaves
    leaves[0].kill()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "pool restarted" in err
    pd.testing.assert_frame_equal(comparable(read_runs(tmp_path / "k")), comparable(read_runs(tmp_path / "ref")))


def test_progress_plain_lines_when_not_a_terminal(capsys):
    import io
    buf = io.StringIO()
    p = Progress(10, 2, "x", tty=False, every=0.0, stream=buf)
    p.update(3)
    p.update(5, errors=1)
    p.close()
    lines = buf.getvalue().splitlines()
    assert lines[0].startswith("[x] 5/10 runs (50%)") and "left" in lines[0]
    assert lines[-1].startswith("[x] 10/10 runs (100%)") and "1 raised" in lines[-1]


def test_progress_bar_on_a_terminal():
    import io

    class TTY(io.StringIO):
        def isatty(self):
            return True

    buf = TTY()
    p = Progress(10, 0, "x", stream=buf)
    p.update(10)
    p.close()
    assert "10/10" in buf.getvalue() and "run/s" in buf.getvalue()
