"""``spread calibrate`` killed at any moment, two at once, a full disk: nothing lost, and resumable.

A calibration is SIGKILLed at a spread of moments (while pyabc creates its
database, in the first second after, and in the middle of the final write,
by SIGKILL and by SIGTERM); ``--resume`` must then end with exactly the
posterior of an uninterrupted run. The runs are forked from the test process
(the imports are done once), one tiny trust, four particles, ten weeks.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pyabc", reason="install the calibrate extra (pyabc)")

from model.cli import main  # noqa: E402
from model.results_folder import lock_folder  # noqa: E402
from conftest import tiny_calibration  # noqa: E402

KILL = tiny_calibration("kill", population=4, weeks=10, draws=2, staff=150)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The config and the posterior of an uninterrupted calibration."""
    d = tmp_path_factory.mktemp("calkill")
    cfg = d / "kill.toml"
    cfg.write_text(KILL)
    assert main(["calibrate", str(cfg), "--out", str(d / "ref"), "--workers", "1"]) == 0
    return cfg, pd.read_parquet(d / "ref" / "posterior.parquet")


def _fork(argv: list[str]) -> int:
    """``spread ARGV`` in a forked copy of this process (imports already done), output discarded."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 70
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            code = main(argv)
        finally:
            os._exit(code)
    return pid


def _wait(pid: int, timeout: float = 120) -> int:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"spread {pid} did not end within {timeout} s")


def _kill_when(pid: int, out: Path, names: tuple[str, ...], delay: float, sig=signal.SIGKILL) -> bool:
    """Send ``sig`` ``delay`` seconds after one of ``names`` appears in ``out``; False if the run ended first."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < 120:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return False
        try:
            present = set(os.listdir(out))
        except FileNotFoundError:
            present = set()
        if present.intersection(names):
            time.sleep(delay)
            os.kill(pid, sig)
            _wait(pid)
            return True
        time.sleep(0.002)
    pytest.fail("the moment never came")


def _calibrate(cfg: Path, out: Path, *flags: str) -> list[str]:
    return ["calibrate", str(cfg), "--out", str(out), "--workers", "1", *flags]


DB = ("history.db", ".history.db.new")


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.3, 1.0])
def test_killed_in_its_first_second_it_resumes_to_the_uninterrupted_posterior(delay, reference, tmp_path):
    """SIGKILL while pyabc sets up its database or samples the first generation: --resume then ends with
    the same posterior, bit for bit (it used to raise "Specified id 1 does not exist in database")."""
    cfg, ref = reference
    out = tmp_path / "out"
    killed = _kill_when(_fork(_calibrate(cfg, out)), out, DB, delay)
    assert killed or delay > 0, "the calibration ended before its first second was over"
    assert _wait(_fork(_calibrate(cfg, out, "--resume"))) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "posterior.parquet"), ref)


def test_killed_during_the_final_write_it_resumes_to_the_uninterrupted_posterior(reference, tmp_path):
    """SIGKILL and SIGTERM while the outputs are written (after the fit and the predictive checks): each
    --resume recognises the half-written folder as its own and ends with the same posterior."""
    cfg, ref = reference
    out = tmp_path / "out"
    moments = [((".posterior.parquet.tmp", "posterior.parquet"), signal.SIGKILL),
               ((".posterior_summary.csv.tmp", "posterior_summary.csv"), signal.SIGKILL),
               (("posterior.parquet",), signal.SIGTERM),  # what Ctrl-C or a batch system's stop does
               ((".report.md.tmp", "report.md"), signal.SIGKILL)]
    kills = 0
    for i, (names, sig) in enumerate(moments):
        for name in ("posterior.parquet", "posterior_summary.csv", "report.md"):  # an earlier moment's files
            if out.exists() and name in names:
                (out / name).unlink(missing_ok=True)
        kills += _kill_when(_fork(_calibrate(cfg, out, *(["--resume"] if i else []))), out, names, 0.0, sig)
    assert kills >= 3, "the final write ended before it could be interrupted"
    assert _wait(_fork(_calibrate(cfg, out, "--resume"))) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "posterior.parquet"), ref)
    assert not [n for n in os.listdir(out) if n.endswith(".tmp") or n.startswith(".history.db.new")]
    assert json.loads((out / "run.json").read_text())["status"] == "finished"


def test_a_second_calibration_on_the_same_folder_is_refused(reference, tmp_path, capsys):
    """Two --resume at once on one folder stored generation 0 twice; now the second is refused, as a
    second sweep on one folder is (the same lock)."""
    cfg, ref = reference
    out = tmp_path / "out"
    killed = _kill_when(_fork(_calibrate(cfg, out)), out, ("history.db",), 0.2)
    assert killed
    fd = lock_folder(out)  # another calibration holds the folder
    try:
        before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
        assert main(_calibrate(cfg, out, "--resume")) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "another `spread calibrate`" in err[0], err
        assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    finally:
        os.close(fd)
    assert main(_calibrate(cfg, out, "--resume")) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "posterior.parquet"), ref)


def _errors(capsys) -> list[str]:
    """stderr but the progress lines (``[calibrate ...]``); a traceback would be many lines."""
    return [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith("[calibrate")]


@pytest.fixture
def small_disk(monkeypatch):
    """A disk that fills up: SQLite may grow its database to ``pages[0]`` pages (SQLITE_FULL, "database
    or disk is full", as on a full disk), set on every new connection until the limit is lifted."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    pages = [None]

    def limit(dbapi_connection, record):
        if pages[0] is not None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages[0]}")

    event.listen(Engine, "connect", limit)
    yield pages
    event.remove(Engine, "connect", limit)


@pytest.mark.parametrize("pages", [1, 9])
def test_a_full_disk_is_one_line_and_resumable(pages, reference, small_disk, tmp_path, capsys):
    """Full while pyabc creates its database (1 page) or in a later generation (9 pages): one line, no
    traceback; after space is freed, --resume ends with the uninterrupted posterior (it used to say
    "Database has version 0")."""
    cfg, ref = reference
    out = tmp_path / "out"
    small_disk[0] = pages
    code = main(_calibrate(cfg, out))
    err = _errors(capsys)
    assert code == 1 and len(err) == 1 and "no space left on device" in err[0] and "--resume" in err[0], err
    small_disk[0] = None
    assert main(_calibrate(cfg, out, "--resume")) == 0, capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_parquet(out / "posterior.parquet"), ref)


def test_a_full_disk_during_the_final_write_is_one_line_and_resumable(reference, tmp_path, capsys, monkeypatch):
    cfg, ref = reference
    out = tmp_path / "out"

    def full(self, path, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    with monkeypatch.context() as m:
        m.setattr(pd.DataFrame, "to_csv", full)
        code = main(_calibrate(cfg, out))
    err = _errors(capsys)
    assert code == 1 and len(err) == 1 and "no space left on device" in err[0], err
    assert main(_calibrate(cfg, out, "--resume")) == 0, capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_parquet(out / "posterior.parquet"), ref)


def test_a_manifest_that_is_a_fifo_is_one_line(reference, tmp_path, capsys):
    """calibrate --out and run --posterior on a folder whose run.json is a FIFO: one line, not a hang."""
    cfg, _ = reference
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "run.json")
    assert main(_calibrate(cfg, out, "--resume")) == 2
    assert "FIFO" in capsys.readouterr().err
    assert main(["run", "sash-teaching", "--posterior", str(out), "--reps", "1", "--weeks", "4",
                 "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "FIFO" in err[0], err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("argv", [["run", "sash-teaching", "--draws", "1000000000"],
                                  ["compare", "sash-teaching", "--draws", "0"],
                                  ["calibrate", "x.toml", "--workers", "100000"]])
def test_counts_are_bounded(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and "allowed is an integer from 1 to" in err[0], err
