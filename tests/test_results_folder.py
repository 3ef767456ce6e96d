"""Output folders: no command deletes, moves or overwrites anything it did not create.

Every writing command (`spread run`, `trusts`, `compare`, `sweep`, `analyse`)
is pointed at folders holding a user's files, at files, at the current
folder, at names smuggled in through scenario data, and at earlier outputs of
its own; the user's bytes must survive whatever the exit code.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # sweep_fake_engine, sweep_helpers

from model.cli import main as spread
from model.results_folder import (PARTIAL_MARKER, TOOL, OutputError, atomic_dir, check_target,
                                  clean_stale_partials, safe_name)
from sweep_helpers import env, small_experiment

USER_BYTES = os.urandom(64) + b"the user's own notes\n"

RUN = ["run", "baseline-teaching", "--reps", "1", "--weeks", "4", "--workers", "1"]
COMPARE = ["compare", "baseline-teaching", "--what-if", "stable-leadership", "--reps", "2", "--weeks", "4",
           "--workers", "1", "--quiet"]


def _sweep_args(tmp: Path) -> list[str]:
    (tmp / "exp").mkdir(exist_ok=True)
    return ["sweep", str(small_experiment(tmp / "exp", reps=1, n=2)), "--workers", "1", "--no-analyse"]


def call(argv, capsys) -> tuple[int, str]:
    rc = spread([str(a) for a in argv])
    return rc, capsys.readouterr().err


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under folder (hidden ones included) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def siblings(folder: Path) -> set[str]:
    return {p.name for p in folder.parent.iterdir()}


# ----- the module ---------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("sash", "sash"), ("../victim", "victim"), ("/etc/passwd", "etc-passwd"), ("", "results"),
    ("..", "results"), (".hidden", "hidden"), ("Leeds Teaching Hospitals", "Leeds-Teaching-Hospitals"),
    ("a/../../b", "a-..-..-b"), ("x" * 500, "x" * 80),
])
def test_safe_name_is_a_name_never_a_path(name, expected):
    got = safe_name(name)
    assert got == expected
    assert "/" not in got and not got.startswith(".") and got not in ("", ".", "..")


def test_check_target_allows_new_and_empty_folders(tmp_path):
    check_target(tmp_path / "new", "run")
    (tmp_path / "empty").mkdir()
    check_target(tmp_path / "empty", "run")


def test_check_target_refuses_what_it_did_not_write(tmp_path):
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "notes.txt").write_text("x")
    (tmp_path / "file").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    for target, needle in (("user", "did not write"), ("file", "is a file"), ("link", "symbolic link")):
        for overwrite in (False, True):
            with pytest.raises(OutputError, match=needle) as info:
                check_target(tmp_path / target, "run", overwrite)
            assert info.value.code == 2 and "\n" not in str(info.value)


def test_an_earlier_output_is_replaced_only_on_request_and_only_its_own_files(tmp_path):
    out = tmp_path / "o"
    with atomic_dir(out, "run") as tmp:
        (tmp / "a.csv").write_text("1")
        (tmp / "run.json").write_text("{}")
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["tool"] == TOOL and manifest["command"] == "run" and manifest["files"] == ["a.csv"]
    with pytest.raises(OutputError, match="add --overwrite"):
        check_target(out, "run")
    with pytest.raises(OutputError, match="spread run"):
        check_target(out, "compare", overwrite=True)  # another command's output is not ours to replace
    with atomic_dir(out, "run", overwrite=True) as tmp:
        (tmp / "b.csv").write_text("2")
        (tmp / "run.json").write_text("{}")
    assert sorted(p.name for p in out.iterdir()) == ["b.csv", "run.json"]
    (out / "notes.txt").write_bytes(USER_BYTES)
    with pytest.raises(OutputError, match="notes.txt"):
        with atomic_dir(out, "run", overwrite=True) as tmp:
            pass
    assert (out / "notes.txt").read_bytes() == USER_BYTES and (out / "b.csv").exists()


def test_a_failed_write_leaves_nothing(tmp_path):
    out = tmp_path / "o"
    with pytest.raises(RuntimeError):
        with atomic_dir(out, "run") as tmp:
            (tmp / "a.csv").write_text("1")
            raise RuntimeError("boom")
    assert sorted(os.listdir(tmp_path)) == []


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    out = tmp_path / "o"
    with pytest.raises(OutputError, match="no space left on device") as info:
        with atomic_dir(out, "run") as tmp:
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp / "weekly.parquet"))
    assert info.value.code == 1
    assert sorted(os.listdir(tmp_path)) == []


def test_only_recognised_partials_of_dead_writers_are_cleaned(tmp_path):
    out = tmp_path / "o"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()

    def partial(suffix, marker):
        d = tmp_path / f".o.spread-partial-{suffix}"
        d.mkdir()
        (d / "weekly.csv").write_text("x")
        if marker is not None:
            (d / PARTIAL_MARKER).write_text(json.dumps(marker))
        return d

    import socket
    mine_dead = partial("dead", {"tool": TOOL, "pid": dead.pid, "host": socket.gethostname()})
    mine_alive = partial("alive", {"tool": TOOL, "pid": os.getpid(), "host": socket.gethostname()})
    other_host = partial("host", {"tool": TOOL, "pid": dead.pid, "host": "elsewhere"})
    unmarked = partial("user", None)
    assert clean_stale_partials(out) == [mine_dead]
    assert not mine_dead.exists() and mine_alive.exists() and other_host.exists() and unmarked.exists()


def test_a_writer_killed_mid_write_is_cleaned_by_the_next_run(tmp_path):
    out = tmp_path / "o"
    code = textwrap.dedent(f"""
        import os, signal
        from model.results_folder import atomic_dir
        with atomic_dir({str(out)!r}, "run") as tmp:
            (tmp / "weekly.csv").write_text("half")
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    r = subprocess.run([sys.executable, "-c", code], env=env())
    assert r.returncode == -signal.SIGKILL
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".o.spread-partial-")]
    assert len(left) == 1 and not out.exists()
    with atomic_dir(out, "run") as tmp:
        (tmp / "run.json").write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


# ----- every writing command, through the real command line ------------------------

def _args(command: str, tmp: Path) -> list[str]:
    return _sweep_args(tmp) if command == "sweep" else {"run": RUN, "compare": COMPARE, "trusts": TRUSTS}[command]


TRUSTS = ["trusts", "--teaching", "--reps", "1", "--weeks", "4", "--workers", "1"]
FLAGS = {"run": [[], ["--overwrite"]], "compare": [[], ["--overwrite"]], "trusts": [[], ["--overwrite"]],
         "sweep": [[], ["--overwrite"], ["--resume"]]}


@pytest.mark.parametrize("command", ["run", "trusts", "compare", "sweep"])
def test_a_users_folder_survives_byte_for_byte_whatever_the_flags(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_bytes(USER_BYTES)
    (user / "data").mkdir()
    (user / "data" / "keep.tmp").write_bytes(USER_BYTES)  # names a store might think are debris
    (user / "run.json").write_text('{"mine": true}')     # a manifest-like file that is not ours
    args = _args(command, tmp_path)
    before, around = snapshot(user), siblings(user)
    for flags in FLAGS[command]:
        rc, err = call([*args, "--out", user, *flags], capsys)
        assert rc == 2, (flags, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert snapshot(user) == before
        assert siblings(user) == around  # nothing hidden left beside it either


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_a_file_as_out_is_left_alone(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "target"
    target.write_bytes(USER_BYTES)
    args = _args(command, tmp_path)
    rc, err = call([*args, "--out", target], capsys)
    assert rc == 2 and "is a file" in err and len(err.strip().splitlines()) == 1
    assert target.read_bytes() == USER_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["target", "exp"] if command == "sweep" else ["target"])


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_out_dot_is_refused_in_one_line(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_bytes(USER_BYTES)
    args = _args(command, tmp_path)
    before = snapshot(tmp_path)
    rc, err = call([*args, "--out", "."], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert snapshot(tmp_path) == before and sorted(os.listdir(tmp_path)) == sorted(
        ["notes.txt", "exp"] if command == "sweep" else ["notes.txt"])


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_an_earlier_output_needs_the_flag_and_keeps_a_users_file(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    args = _args(command, tmp_path)
    assert call([*args, "--out", out], capsys)[0] == 0
    rc, err = call([*args, "--out", out], capsys)
    assert rc == 2 and ("--overwrite" in err) and len(err.strip().splitlines()) == 1, err
    assert call([*args, "--out", out, "--overwrite"], capsys)[0] == 0
    (out / "notes.txt").write_bytes(USER_BYTES)
    before = snapshot(out)
    rc, err = call([*args, "--out", out, "--overwrite"], capsys)
    assert rc == 2 and "notes.txt" in err, err
    assert snapshot(out) == before


@pytest.mark.parametrize("name", ["../victim", "/ABS", "", "..", "."])
def test_a_trust_name_is_never_a_path(name, tmp_path, capsys, monkeypatch):
    work = tmp_path / "work"
    (work / "results").mkdir(parents=True)
    (work / "results" / "notes.txt").write_bytes(USER_BYTES)
    (tmp_path / "victim").mkdir()
    (tmp_path / "victim" / "notes.txt").write_bytes(USER_BYTES)
    monkeypatch.chdir(work)
    target = name.replace("/ABS", str(tmp_path / "victim"))
    rc, err = call([*RUN, "--set", f"trust.name={json.dumps(target)}"], capsys)
    assert rc == 0, err
    assert (tmp_path / "victim" / "notes.txt").read_bytes() == USER_BYTES
    assert (work / "results" / "notes.txt").read_bytes() == USER_BYTES
    made = [p for p in (work / "results").iterdir() if p.name != "notes.txt"]
    assert len(made) == 1 and made[0].is_dir() and (made[0] / "run.json").exists()
    assert sorted(os.listdir(tmp_path)) == ["victim", "work"]


def test_an_experiment_named_dotdot_writes_under_results(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exp = small_experiment(tmp_path, reps=1, n=2)
    exp.write_text(exp.read_text().replace('name = "small"', 'name = ".."'))
    rc, err = call(["sweep", exp, "--workers", "1", "--no-analyse"], capsys)
    if rc == 0:  # the name may also be refused outright; either way nothing lands in the working folder
        assert sorted(os.listdir(tmp_path)) == ["results", "small.toml"]
        assert (tmp_path / "results" / "sweep" / "manifest.json").exists()
    else:
        assert rc == 2 and sorted(os.listdir(tmp_path)) == ["small.toml"]


def test_out_under_proc_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, err = call([*RUN, "--out", "/proc/spread-test/o"], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_full_disk_during_spread_run_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    import model.report as report

    def full(folder, name, df):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / f"{name}.parquet"))

    monkeypatch.setattr(report, "write_tables", full)
    monkeypatch.chdir(tmp_path)
    rc, err = call([*RUN, "--out", tmp_path / "o"], capsys)
    assert rc == 1 and "no space left on device" in err and len(err.strip().splitlines()) == 1, err
    assert os.listdir(tmp_path) == []


def test_analyse_out_onto_a_users_folder_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = _sweep_args(tmp_path)
    assert call([*args, "--out", tmp_path / "s"], capsys)[0] == 0
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_bytes(USER_BYTES)
    for flags in ([], ["--overwrite"]):
        rc, err = call(["analyse", tmp_path / "s", "--out", user, *flags], capsys)
        assert rc == 2 and len(err.strip().splitlines()) == 1, err
        assert snapshot(user) == {"notes.txt": USER_BYTES}
    # the sweep's own analysis folder is refreshed each time
    assert call(["analyse", tmp_path / "s"], capsys)[0] == 0
    assert call(["analyse", tmp_path / "s"], capsys)[0] == 0
    assert json.loads((tmp_path / "s" / "analysis" / "analysis.json").read_text())["command"] == "analyse"
    # and an analysed, resumed sweep folder can still be overwritten: every entry is the sweep's own
    assert call([*args, "--out", tmp_path / "s", "--resume"], capsys)[0] == 0
    assert call([*args, "--out", tmp_path / "s", "--overwrite"], capsys)[0] == 0


def test_a_full_disk_during_a_sweep_is_one_line_and_keeps_whole_parts(tmp_path, capsys, monkeypatch):
    import model.sweeps.store as sweep

    def full(path, table):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(sweep, "_atomic_write_table", full)
    monkeypatch.chdir(tmp_path)
    rc, err = call([*_sweep_args(tmp_path), "--out", tmp_path / "s"], capsys)
    assert rc == 1 and "no space left on device" in err and "--resume" in err, err
    assert len(err.strip().splitlines()[-1:]) == 1 and "Traceback" not in err
    assert not list((tmp_path / "s" / "runs").glob("*.parquet*"))


def test_a_manifest_naming_paths_outside_its_folder_deletes_nothing_there(tmp_path):
    """--overwrite removes only files found inside the folder, whatever its manifest lists."""
    victim = tmp_path / "victim.txt"
    victim.write_bytes(USER_BYTES)
    out = tmp_path / "o"
    with atomic_dir(out, "run") as tmp:
        (tmp / "a.csv").write_text("1")
        (tmp / "run.json").write_text("{}")
    m = json.loads((out / "run.json").read_text())
    m["files"] += ["../victim.txt", str(victim)]
    (out / "run.json").write_text(json.dumps(m))
    with atomic_dir(out, "run", overwrite=True) as tmp:
        (tmp / "run.json").write_text("{}")
    assert victim.read_bytes() == USER_BYTES
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]


def test_a_foreign_folder_is_refused_from_its_top_level_without_walking_its_tree(tmp_path, monkeypatch):
    """--out at a large folder of the user's (a home folder) is refused at once: the check reads the
    top level and the manifest, and walks the tree only for a folder of the command's own."""
    from model.calibrate.posterior import check_calibration_target
    from model.sweeps.store import SweepError, check_sweep_target

    user = tmp_path / "home"
    (user / "b-notes").mkdir(parents=True)
    (user / "b-notes" / "deep.txt").write_bytes(USER_BYTES)
    (user / "a.txt").write_bytes(USER_BYTES)
    walked = []
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda p=".": (walked.append(p) if "b-notes" in str(p) else None)
                        or real_scandir(p))
    with pytest.raises(OutputError, match=r"did not write \(e\.g\. a\.txt\)"):
        check_target(user, "run")
    with pytest.raises(SweepError, match=r"did not write \(e\.g\. a\.txt\)"):
        check_sweep_target(user, "hash", resume=False, overwrite=True)
    with pytest.raises(OutputError, match="did not write"):
        check_calibration_target(user, "digest", resume=True)
    assert walked == [], "a refusal walked the user's tree"
    # a folder of the command's own is still walked, so a stranger inside it is found
    (user / "run.json").write_text(json.dumps({"tool": TOOL, "command": "run", "files": ["a.txt"]}))
    with pytest.raises(OutputError, match="deep.txt"):
        check_target(user, "run", overwrite=True)
    assert walked
    assert (user / "a.txt").read_bytes() == USER_BYTES and (user / "b-notes" / "deep.txt").read_bytes() == USER_BYTES


def test_a_folder_that_cannot_be_listed_is_one_error_line(tmp_path, monkeypatch):
    """A folder the user may not list (run here as root, so simulated): each writing command's check
    says so in its own one-line error, no traceback."""
    from model.calibrate.posterior import check_calibration_target
    from model.sweeps.store import SweepError, check_sweep_target

    (tmp_path / "locked").mkdir()

    def refuse(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "scandir", refuse)
    for check, error in ((lambda p: check_target(p, "run"), OutputError),
                         (lambda p: check_sweep_target(p, "hash", resume=False, overwrite=False), SweepError),
                         (lambda p: check_calibration_target(p, "digest", resume=False), OutputError)):
        with pytest.raises(error, match="cannot be read \\(Permission denied\\)"):
            check(tmp_path / "locked")


# ----- issue 24: entries that are not files, the swap, FIFOs -------------------------------------------

def _link_over(path: Path, target: Path) -> None:
    path.unlink()
    os.symlink(target, path)


HOSTILE = {  # an entry of the user's put inside an earlier output: each must be refused by --overwrite
    "link to a folder": lambda out, tmp: os.symlink(tmp, out / "mydata"),
    "link to a file": lambda out, tmp: os.symlink(tmp / "user.txt", out / "mine.txt"),
    "link named like an output": lambda out, tmp: _link_over(out / json.loads((out / "run.json").read_text())["files"][0],
                                                             tmp / "user.txt"),
    "empty folder": lambda out, tmp: (out / "empty").mkdir(),
    "FIFO": lambda out, tmp: os.mkfifo(out / "pipe"),
}


@pytest.mark.parametrize("command", ["run", "compare"])
@pytest.mark.parametrize("case", list(HOSTILE))
def test_overwrite_refuses_every_entry_it_did_not_write_before_any_work(command, case, tmp_path, capsys, monkeypatch):
    """A link (to a folder, a file, or named like an output), an empty folder or a FIFO inside an earlier
    output: one line, exit 2, before any work, and every earlier file is still there."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "user.txt").write_bytes(USER_BYTES)
    out = tmp_path / "o"
    args = _args(command, tmp_path)
    assert call([*args, "--out", out], capsys)[0] == 0
    HOSTILE[case](out, tmp_path)
    before = sorted(os.listdir(out))
    import model.runner
    monkeypatch.setattr(model.runner, "run_replicates", lambda *a, **k: pytest.fail("work began"))
    import model.whatif.compare
    monkeypatch.setattr(model.whatif.compare, "compare", lambda *a, **k: pytest.fail("work began"))
    rc, err = call([*args, "--out", out, "--overwrite"], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "did not write" in err, err
    assert sorted(os.listdir(out)) == before and (tmp_path / "user.txt").read_bytes() == USER_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o", "user.txt"]


def _earlier(out: Path) -> None:
    with atomic_dir(out, "run") as tmp:
        (tmp / "a.csv").write_text("old")
        (tmp / "run.json").write_text("{}")


def test_a_failed_swap_leaves_the_earlier_output_intact(tmp_path, monkeypatch):
    """The new results are written beside the old; if putting them in place fails, the old stay."""
    out = tmp_path / "o"
    _earlier(out)
    real = os.rename

    def rename(src, dst):
        if ".spread-partial-" in str(src):
            raise OSError(errno.EIO, "Input/output error", str(src))
        return real(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OutputError, match="cannot write"):
        with atomic_dir(out, "run", overwrite=True) as tmp:
            (tmp / "b.csv").write_text("new")
            (tmp / "run.json").write_text("{}")
    assert (out / "a.csv").read_text() == "old" and sorted(os.listdir(tmp_path)) == ["o"]


def test_a_writer_killed_between_the_two_renames_is_undone_by_the_next(tmp_path):
    """The earlier output moved aside (with its marker) and the writer gone: the next writer puts it back."""
    out = tmp_path / "o"
    _earlier(out)
    aside = tmp_path / ".o.spread-old-999999999-0"
    os.rename(out, aside)
    (aside / ".spread-replaced").write_text(json.dumps({"tool": TOOL, "pid": 999_999_999, "host": os.uname().nodename,
                                                         "out": str(out), "manifest": "run.json"}))
    unmarked = tmp_path / ".o.spread-old-1-1"  # no marker: not recognisably ours, left alone
    unmarked.mkdir()
    (unmarked / "notes.txt").write_bytes(USER_BYTES)
    assert clean_stale_partials(out) == [aside]
    assert (out / "a.csv").read_text() == "old" and not aside.exists()
    assert (unmarked / "notes.txt").read_bytes() == USER_BYTES


def test_sweep_overwrite_keeps_a_users_folder_named_like_an_analysis_partial(tmp_path, capsys, monkeypatch):
    """Only an analysis' temporary folder with its marker is the sweep's; a name alone is not."""
    monkeypatch.chdir(tmp_path)
    args = _sweep_args(tmp_path)
    out = tmp_path / "s"
    assert call([*args, "--out", out], capsys)[0] == 0
    mine = out / ".analysis.spread-partial-notes"
    mine.mkdir()
    (mine / "notes.txt").write_bytes(USER_BYTES)
    rc, err = call([*args, "--out", out, "--overwrite"], capsys)
    assert rc == 2 and "notes.txt" in err and len(err.strip().splitlines()) == 1, err
    assert (mine / "notes.txt").read_bytes() == USER_BYTES and (out / "manifest.json").is_file()
    (mine / "notes.txt").unlink()
    (mine / PARTIAL_MARKER).write_text(json.dumps({"tool": TOOL, "pid": 999_999_999, "host": os.uname().nodename}))
    assert call([*args, "--out", out, "--overwrite"], capsys)[0] == 0  # an analysis cut off midway: ours


@pytest.fixture
def deadline():
    """Fail a test that blocks (reading a FIFO waits for a writer forever) instead of hanging the suite."""
    def expired(signum, frame):
        raise TimeoutError("blocked: the command waited on a FIFO")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("command, manifest, flags", [
    ("run", "run.json", ["--overwrite"]), ("compare", "run.json", ["--overwrite"]),
    ("sweep", "manifest.json", ["--resume"]), ("sweep", "manifest.json", ["--overwrite"])])
def test_a_manifest_that_is_a_fifo_is_one_line_not_a_hang(command, manifest, flags, tmp_path, capsys, monkeypatch,
                                                          deadline):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    args = _args(command, tmp_path)
    assert call([*args, "--out", out], capsys)[0] == 0
    (out / manifest).unlink()
    os.mkfifo(out / manifest)
    before = sorted(os.listdir(out))
    rc, err = call([*args, "--out", out, *flags], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "FIFO" in err, err
    assert sorted(os.listdir(out)) == before


def test_a_sweep_whose_disk_fills_midway_resumes_to_the_uninterrupted_rows(tmp_path, capsys, monkeypatch):
    """The disk fills after the first part (a patched writer): one line, exit 1; after space is freed,
    --resume ends with exactly the rows of an uninterrupted sweep."""
    import pandas as pd

    import model.sweeps.store as store
    from model.sweeps.store import read_runs
    from sweep_helpers import comparable

    monkeypatch.chdir(tmp_path)
    (tmp_path / "exp").mkdir()
    exp = small_experiment(tmp_path / "exp", reps=3, n=4)
    args = ["sweep", exp, "--workers", "1", "--no-analyse", "--batch", "2", "--flush-every", "0"]
    assert call([*args, "--out", tmp_path / "ref"], capsys)[0] == 0
    real, written = store._atomic_write_table, []

    def fills(path, table):
        if len(written) >= 2:  # a weekly part and its runs part, or two runs parts
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        real(path, table)

    with monkeypatch.context() as m:
        m.setattr(store, "_atomic_write_table", fills)
        rc, err = call([*args, "--out", tmp_path / "s"], capsys)
    lines = [line for line in err.strip().splitlines() if "no space" in line]
    assert rc == 1 and len(lines) == 1 and "--resume" in lines[0] and "Traceback" not in err, err
    assert 0 < len(read_runs(tmp_path / "s")) < len(read_runs(tmp_path / "ref"))
    assert call([*args, "--out", tmp_path / "s", "--resume"], capsys)[0] == 0
    drop = [c for c in read_runs(tmp_path / "ref").columns if c in ("wall_s", "worker", "host", "pid")]
    pd.testing.assert_frame_equal(comparable(read_runs(tmp_path / "s")).drop(columns=drop),
                                  comparable(read_runs(tmp_path / "ref")).drop(columns=drop))


# ----- issue 24: sweep --overwrite sets the earlier sweep aside until the new one completes --------------------

def _own_files(out: Path) -> dict[str, bytes]:
    """A sweep folder's files and bytes, without its lock (a fresh sweep makes one) or a set-aside."""
    return {k: v for k, v in snapshot(out).items() if k != ".lock" and not k.startswith(".spread-replaced/")}


def _set_aside(out: Path) -> dict[str, bytes]:
    """What --overwrite set aside in out/.spread-replaced, without its marker."""
    return {k: v for k, v in snapshot(out / ".spread-replaced").items() if k != ".spread-replaced"}


def _exp(tmp: Path, name: str, reps: int, n: int = 2, sleep: float = 0.0) -> Path:
    (tmp / "exp").mkdir(exist_ok=True)
    return small_experiment(tmp / "exp", reps=reps, n=n, sleep=sleep, name=name)


def _fill_disk_after(monkeypatch, writes: int) -> None:
    """The store's part writer fails with a full disk after ``writes`` whole parts."""
    import model.sweeps.store as store
    real, written = store._atomic_write_table, []

    def fills(path, table):
        if len(written) >= writes:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        real(path, table)

    monkeypatch.setattr(store, "_atomic_write_table", fills)


def test_a_sweep_overwrite_that_fails_midway_keeps_the_earlier_results_and_resume_removes_them(
        tmp_path, capsys, monkeypatch):
    """The new sweep fails after a few parts: the earlier results, analysis and all, are in
    .spread-replaced byte for byte, and the message says so; --resume completes the new sweep and
    only then removes them."""
    from model.sweeps.store import read_runs
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    assert call(["sweep", _exp(tmp_path, "old.toml", reps=1), "--workers", "1", "--out", out], capsys)[0] == 0
    earlier = _own_files(out)
    assert "analysis/report.md" in earlier
    new = ["sweep", _exp(tmp_path, "new.toml", reps=3, n=4), "--workers", "1", "--no-analyse", "--batch", "2",
           "--flush-every", "0", "--out", out]
    with monkeypatch.context() as m:
        _fill_disk_after(m, 2)
        rc, err = call([*new, "--overwrite"], capsys)
    assert rc == 1 and "no space left" in err and "Traceback" not in err, err
    assert ".spread-replaced" in err and "move them back by hand" in err, err
    assert _set_aside(out) == earlier  # recoverable, every byte
    assert 0 < len(read_runs(out)) < 36
    rc, err = call([*new, "--resume"], capsys)
    assert rc == 0, err
    assert not (out / ".spread-replaced").exists() and len(read_runs(out)) == 36
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_an_interrupted_sweep_overwrite_and_a_second_one_keep_the_first_earlier_results(tmp_path, capsys, monkeypatch):
    """SIGTERM during `sweep --overwrite`: exit 130, the message names the set-aside folder, the earlier
    results are in it. A second --overwrite, itself failing midway, drops the unfinished sweep but keeps
    those earlier results; they go only when a sweep completes."""
    from model.sweeps.store import read_runs
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    assert call(["sweep", _exp(tmp_path, "old.toml", reps=1), "--workers", "1", "--no-analyse", "--out", out],
                capsys)[0] == 0
    earlier = _own_files(out)
    slow = _exp(tmp_path, "slow.toml", reps=8, n=4, sleep=0.03)  # 96 runs, about 3 s in one process
    proc = subprocess.Popen([sys.executable, "-m", "model", "sweep", str(slow), "--out", str(out), "--overwrite",
                             "--workers", "1", "--batch", "2", "--flush-every", "0.05", "--no-analyse"],
                            env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    import time
    t0 = time.monotonic()
    while len(list((out / "runs").glob("part-*.parquet"))) < 2 and time.monotonic() - t0 < 60 and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "sweep finished before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and str(out / ".spread-replaced") in err and "--resume" in err, err
    assert _set_aside(out) == earlier and 0 < len(read_runs(out)) < 96
    assert read_runs(out)["error"].isna().all()  # the signal stopped the sweep; it is no run's error
    # a second --overwrite, of yet another design, that fails midway
    third = ["sweep", _exp(tmp_path, "third.toml", reps=2, n=4), "--workers", "1", "--no-analyse", "--batch", "2",
             "--flush-every", "0", "--out", out]
    with monkeypatch.context() as m:
        _fill_disk_after(m, 2)  # a weekly part and its runs part
        assert call([*third, "--overwrite"], capsys)[0] == 1
    assert _set_aside(out) == earlier
    assert json.loads((out / "manifest.json").read_text())["n_runs"] == 24  # the unfinished slow sweep is gone
    assert 0 < len(read_runs(out)) < 24
    assert call([*third, "--resume"], capsys)[0] == 0
    assert not (out / ".spread-replaced").exists() and len(read_runs(out)) == 24


def test_a_completed_sweep_overwrite_leaves_no_trace_of_the_earlier_one(tmp_path, capsys, monkeypatch):
    """The earlier sweep stays set aside while the new one runs and is analysed; once that is done the
    folder holds exactly what a fresh sweep into a new folder holds."""
    import model.sweeps.analysis as analysis
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o"
    assert call(["sweep", _exp(tmp_path, "old.toml", reps=1), "--workers", "1", "--no-analyse", "--out", out],
                capsys)[0] == 0
    earlier = _own_files(out)
    new = ["sweep", _exp(tmp_path, "new.toml", reps=2), "--workers", "1"]
    real, seen = analysis.analyse, []

    def analyse(folder, *a, **kw):
        seen.append(_set_aside(Path(folder)))  # while the new sweep is analysed
        return real(folder, *a, **kw)

    monkeypatch.setattr(analysis, "analyse", analyse)
    assert call([*new, "--out", out, "--overwrite"], capsys)[0] == 0
    assert seen == [earlier]
    assert call([*new, "--out", tmp_path / "fresh"], capsys)[0] == 0
    assert sorted(os.listdir(out)) == sorted(os.listdir(tmp_path / "fresh"))
    assert sorted(_own_files(out)) == sorted(_own_files(tmp_path / "fresh"))
    assert _own_files(out)["runs/part-000000.parquet"] != earlier["runs/part-000000.parquet"]


def test_only_a_marked_spread_replaced_folder_is_the_sweeps(tmp_path, capsys, monkeypatch):
    """A .spread-replaced folder without the tool's marker is the user's: --overwrite is refused in one
    line, exit 2, and a completing --resume leaves it alone. With the marker (an --overwrite cut off)
    and only a sweep's files in it, it is the sweep's: the next --overwrite replaces it."""
    monkeypatch.chdir(tmp_path)
    args = _sweep_args(tmp_path)
    out = tmp_path / "o"
    assert call([*args, "--out", out], capsys)[0] == 0
    mine = out / ".spread-replaced"
    mine.mkdir()
    for fill in (lambda: None, lambda: (mine / "notes.txt").write_bytes(USER_BYTES),
                 lambda: (mine / "manifest.json").write_bytes((out / "manifest.json").read_bytes())):
        fill()
        before = snapshot(out)
        rc, err = call([*args, "--out", out, "--overwrite"], capsys)
        assert rc == 2 and len(err.strip().splitlines()) == 1 and ".spread-replaced" in err, err
        assert snapshot(out) == before
    assert call([*args, "--out", out, "--resume"], capsys)[0] == 0
    assert (mine / "notes.txt").read_bytes() == USER_BYTES
    (mine / ".spread-replaced").write_text(json.dumps({"tool": TOOL, "pid": 999_999_999, "host": "elsewhere"}))
    # marked (on any host: a shared disk), but a user's file inside: still refused
    rc, err = call([*args, "--out", out, "--overwrite"], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "notes.txt" in err, err
    assert (mine / "notes.txt").read_bytes() == USER_BYTES
    (mine / "notes.txt").unlink()
    assert call([*args, "--out", out, "--overwrite"], capsys)[0] == 0
    assert not mine.exists()


@pytest.mark.parametrize("moved", [[], ["manifest.json"], ["manifest.json", "design.csv", "runs"]])
def test_an_overwrite_killed_while_setting_aside_is_taken_up_by_the_next(moved, tmp_path, capsys, monkeypatch):
    """Killed after writing the marker and moving some entries (the manifest first): nothing is lost.
    Marker alone: the earlier sweep is still whole and resumable, and --resume tidies the marker away.
    Manifest moved: --resume says to use --overwrite (one line, exit 2); --overwrite finishes the move,
    runs the new sweep and, once it completes, removes the earlier one."""
    monkeypatch.chdir(tmp_path)
    args = _sweep_args(tmp_path)
    out = tmp_path / "o"
    assert call([*args, "--out", out], capsys)[0] == 0
    earlier = _own_files(out)
    aside = out / ".spread-replaced"
    aside.mkdir()
    (aside / ".spread-replaced").write_text(json.dumps({"tool": TOOL, "pid": 999_999_999, "host": "elsewhere"}))
    for name in moved:
        os.rename(out / name, aside / name)
    if not moved:
        assert call([*args, "--out", out, "--resume"], capsys)[0] == 0
        assert not aside.exists() and _own_files(out) == {**earlier, "manifest.json": _own_files(out)["manifest.json"]}
        return
    assert _set_aside(out) == {k: v for k, v in earlier.items() if k.split("/")[0] in moved}
    for flags in ([], ["--resume"]):
        before = snapshot(out)
        rc, err = call([*args, "--out", out, *flags], capsys)
        assert rc == 2 and len(err.strip().splitlines()) == 1 and "--overwrite" in err and "by hand" in err, err
        assert snapshot(out) == before
    seen = []
    import model.sweeps.runner as runner
    real = runner._run
    monkeypatch.setattr(runner, "_run", lambda *a: seen.append(_set_aside(out)) or real(*a))
    assert call([*args, "--out", out, "--overwrite"], capsys)[0] == 0
    assert seen == [earlier]  # the move finished before the new sweep began
    assert not aside.exists() and sorted(_own_files(out)) == sorted(earlier)
