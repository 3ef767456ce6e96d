"""Every bad input is one line and exit 2, and no input file imports or runs code (issue 9).

Each case runs the real command line (``model.cli.main``) in this process and
checks: exit code 2, exactly one line on stderr, no traceback, nothing on
stdout and nothing written (the output folder absent).
"""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # sweep_fake_engine (registered by tests/*.dist-info)

from model import inputs
from model.cli import main
from model.sweeps.design import MAX_LEVELS, MAX_POINTS, MAX_REPS, MAX_RUNS, MAX_SAMPLES, MAX_WEEKS
from model.sweeps.engines import engines

DEEP = 3000  # far past tomllib's recursion limit (about 330 levels)


def spread(args, tmp_path: Path, capsys, monkeypatch, code: int = 2) -> str:
    """Run ``spread ARGS --out OUT`` in tmp_path; assert the house's rules for a refusal; return the line."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    before = {p.name for p in tmp_path.iterdir()}
    try:
        rc = main([str(a) for a in args] + ["--out", str(out)])
    except SystemExit as exc:  # argparse's exit
        rc = exc.code
    cap = capsys.readouterr()
    assert rc == code, cap.err
    assert "Traceback" not in cap.err
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1, cap.err
    assert cap.out == ""
    assert not out.exists(), "nothing may be written for a bad input"
    assert {p.name for p in tmp_path.iterdir()} == before, "nothing may be written for a bad input"
    return lines[0]


EXPERIMENT = """
name = "small"
scenario = "alpha"
engine = "sweep_fake_engine"
reps = 2
weeks = 4
[vary."leadership.commitment"]
range = [0.1, 0.9]
n = 2
"""


def experiment(tmp_path: Path, text: str = EXPERIMENT) -> Path:
    p = tmp_path / "exp.toml"
    p.write_text(textwrap.dedent(text))
    return p


def edited(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = textwrap.dedent(EXPERIMENT)
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    p = tmp_path / "exp.toml"
    p.write_text(text)
    return p


def whatif(tmp_path: Path, body: str, name: str = "w.toml") -> Path:
    p = tmp_path / name
    p.write_text('description = "A change."\n' + body)
    return p


# --- no input file imports or runs code -------------------------------------------------


def test_engine_is_looked_up_not_imported(tmp_path, capsys, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "evil_engine.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    exp = edited(tmp_path, ('engine = "sweep_fake_engine"', 'engine = "evil_engine"'))
    line = spread(["sweep", exp], tmp_path, capsys, monkeypatch)
    assert not marker.exists() and "evil_engine" not in sys.modules, "the named module was imported"
    assert line.startswith(f"{exp}: engine = 'evil_engine': not a registered engine")
    assert "model.sweep_engine" in line and "improvement_spread.engines" in line


@pytest.mark.parametrize("name", [".sweep_engine", "this", "os", "model.sweep_engine:simulate", "", "model.cli"])
def test_unregistered_engine_names(tmp_path, capsys, monkeypatch, name):
    before = set(sys.modules)
    exp = edited(tmp_path, ('engine = "sweep_fake_engine"', f"engine = {json.dumps(name)}"))
    line = spread(["sweep", exp], tmp_path, capsys, monkeypatch)
    assert f"engine = {name!r}: not a registered engine" in line and "allowed:" in line
    assert "this" not in set(sys.modules) - before


def test_engine_registry_holds_builtins_and_entry_points():
    from model.sweeps.engines import TRUST_MODEL, resolve_engine
    known = engines()
    assert {"model", "model.sweep_engine", "sweep_fake_engine"} <= set(known)  # tests/spread_test_engines-0.dist-info
    assert resolve_engine("model") is resolve_engine("model.sweep_engine") is TRUST_MODEL
    assert resolve_engine("sweep_fake_engine").__name__ == "sweep_fake_engine"


def test_bundled_experiments_name_registered_engines():
    from model.sweeps.design import ExperimentError, load_experiment
    swept = 0
    for path in sorted(Path(__file__).resolve().parent.parent.glob("experiments/*.toml")):
        if "targets" in inputs.load_toml_file(path):  # a calibration (C1_patterns): `spread calibrate`'s, not a sweep
            with pytest.raises(ExperimentError, match="spread calibrate"):
                load_experiment(path, check_params=False)
            continue
        assert load_experiment(path, check_params=False).engine in engines()
        swept += 1
    assert swept >= 10


# --- files that are not usable files ------------------------------------------------------

def _deep_scenario(p: Path) -> Path:
    p.write_text("[leadership]\ncommitment = " + "[" * DEEP + "]" * DEEP + "\n")
    return p


@pytest.mark.parametrize("kind", ["scenario", "what-if", "experiment"])
@pytest.mark.parametrize("problem", ["deep", "dotted-deep", "binary", "folder", "symlink-loop", "huge"])
def test_unusable_input_files(tmp_path, capsys, monkeypatch, kind, problem):
    f = tmp_path / "in.toml"
    if problem == "deep":
        f.write_text("x = " + "[" * DEEP + "]" * DEEP + "\n")
    elif problem == "dotted-deep":  # tomllib builds it without recursing; the checks after it would
        f.write_text("a" + ".a" * DEEP + " = 1\n")
    elif problem == "binary":
        f.write_bytes(b"\x7fELF\x02\x01\x01\x00\xff\xfe" + bytes(range(256)))
    elif problem == "folder":
        f.mkdir()
    elif problem == "symlink-loop":
        (tmp_path / "other.toml").symlink_to(f)
        f.symlink_to(tmp_path / "other.toml")
    else:
        f.write_text("[trust]\nlabel = \"" + "x" * (inputs.MAX_FILE_BYTES + 10) + "\"\n")
    args = {"scenario": ["run", f, "--reps", "1", "--weeks", "2"],
            "what-if": ["compare", "baseline-teaching", "--what-if", f, "--reps", "2", "--weeks", "2"],
            "experiment": ["sweep", f]}[kind]
    line = spread(args, tmp_path, capsys, monkeypatch)
    assert str(f) in line and "allowed" in line
    want = {"deep": "nested more than 20 deep", "dotted-deep": "nested more than 20 deep",
            "binary": "not UTF-8", "folder": "a folder", "symlink-loop": "symbolic link",
            "huge": "larger than 1,000,000 bytes"}[problem]
    assert want in line, line


def test_deep_set_value(tmp_path, capsys, monkeypatch):
    line = spread(["run", "baseline-teaching", "--set", "leadership.pressure=" + "[" * DEEP + "]" * DEEP],
                  tmp_path, capsys, monkeypatch)
    assert line.startswith("spread: error: --set: 'leadership.pressure'") and "nested more than 20 deep" in line


def test_empty_scenario_is_refused(tmp_path, capsys, monkeypatch):
    f = tmp_path / "empty.toml"
    f.write_text("# a scenario still to be written\n[leadership]\n")
    line = spread(["run", f, "--reps", "1"], tmp_path, capsys, monkeypatch)
    assert f"{f}: the file holds no settings" in line and "allowed" in line


# --- the extends chain --------------------------------------------------------------------


def test_extends_cycle_shows_the_value_written(tmp_path, capsys, monkeypatch):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('extends = "b"\n')
    b.write_text('extends = "a"\n')
    line = spread(["run", a, "--reps", "1"], tmp_path, capsys, monkeypatch)
    # b.toml is the file that closes the loop, and what it says is "a"
    assert f"{b} (extended by {a}): extends = 'a'" in line and f"{a} -> {b} -> {a}" in line


def test_error_in_an_extended_file_names_the_chain(tmp_path, capsys, monkeypatch):
    (tmp_path / "grand.toml").write_text("[leadership]\ncommitment = 7\n")
    (tmp_path / "parent.toml").write_text('extends = "grand"\n')
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent"\n')
    line = spread(["run", child, "--reps", "1"], tmp_path, capsys, monkeypatch)
    assert f"{tmp_path / 'grand.toml'} (extended by {child} -> {tmp_path / 'parent.toml'}): leadership.commitment = 7" in line


# --- sizes: bounded, with the bound in the message ----------------------------------------


@pytest.mark.parametrize("args,bound", [
    (["run", "baseline-teaching", "--weeks", "2001"], "from 1 to 2,000"),
    (["trusts", "--teaching", "--weeks", "999999999999"], "from 1 to 2,000"),
    (["compare", "baseline-teaching", "--what-if", "stable-leadership", "--weeks", "5000"], "from 1 to 2,000"),
    (["run", "baseline-teaching", "--reps", "1000000000"], "from 1 to 10,000"),
    (["compare", "baseline-teaching", "--what-if", "stable-leadership", "--reps", "10001"], "from 1 to 10,000"),
])
def test_command_line_bounds(tmp_path, capsys, monkeypatch, args, bound):
    line = spread(args, tmp_path, capsys, monkeypatch)
    assert line.startswith(f"spread {args[0]}: error: argument --") and bound in line


@pytest.mark.parametrize("edits,key,bound", [
    ([("weeks = 4", "weeks = 1000000")], "weeks", f"{MAX_WEEKS:,}"),
    ([("reps = 2", "reps = 1000000000000")], "reps", f"{MAX_REPS:,}"),
    ([("n = 2", "n = 1000000000000")], 'vary."leadership.commitment".n', f"{MAX_LEVELS:,}"),
    ([("n = 2", "n = 1000\n[vary.\"network.reciprocity\"]\nrange = [0.1, 0.9]\nn = 1000")], "vary",
     f"{MAX_POINTS:,}"),
    ([("n = 2", "n = 1000"), ("reps = 2", "reps = 10000")], "reps", f"{MAX_RUNS:,}"),
    ([("n = 2", "n = 2\n[vary.\"network.reciprocity\"]\nlevels = [" + ", ".join(["0.5"] * 2000) + "]")],
     'vary."network.reciprocity".levels', f"{MAX_LEVELS:,}"),
    ([("n = 2\n", '[vary."network.reciprocity"]\nrange = [0.1, 0.9]\n'),
      ("reps = 2", 'reps = 2\nsampler = "lhs"\nsamples = 1000000000000')], "samples", f"{MAX_SAMPLES:,}"),
    ([("n = 2\n", '[vary."network.reciprocity"]\nrange = [0.1, 0.9]\n'),
      ("reps = 2", 'reps = 2\nsampler = "sobol"\nsamples = 65536')], "samples", f"{MAX_POINTS:,}"),
    ([('name = "small"', 'name = "' + "x" * 50_000 + '"')], "name", "100 characters"),
])
def test_experiment_bounds(tmp_path, capsys, monkeypatch, edits, key, bound):
    p = edited(tmp_path, *edits)
    t0 = time.monotonic()
    line = spread(["sweep", p], tmp_path, capsys, monkeypatch)
    assert time.monotonic() - t0 < 5, "a bound must be checked before the design is made"
    assert line.startswith(f"{p}: {key} = ") and bound in line, line
    assert len(line) < 1000


def test_long_label_in_a_scenario(tmp_path, capsys, monkeypatch):
    f = tmp_path / "s.toml"
    f.write_text('[trust]\nlabel = "' + "x" * 100_000 + '"\n')
    line = spread(["run", f, "--reps", "1", "--weeks", "2"], tmp_path, capsys, monkeypatch)
    assert f"{f}: trust.label = 'xxx" in line and "at most 200 characters" in line and len(line) < 300


def test_long_title_in_a_what_if(tmp_path, capsys, monkeypatch):
    w = whatif(tmp_path, 'title = "' + "t" * 10_000 + '"\n[leadership]\ncommitment = 0.9\n')
    line = spread(["compare", "baseline-teaching", "--what-if", w, "--reps", "2"], tmp_path, capsys, monkeypatch)
    assert f"{w}: title = " in line and "at most 200 characters" in line and len(line) < 300


# --- the scheduler, and a sweep in which every run raised --------------------------------


def test_unreachable_scheduler_is_one_line_within_the_time_out(tmp_path, capsys, monkeypatch):
    import model.sweeps.executors
    monkeypatch.setattr(model.sweeps.executors, "SCHEDULER_TIMEOUT_S", 1.0)  # the real one is 10 s
    exp = experiment(tmp_path)
    t0 = time.monotonic()
    line = spread(["sweep", exp, "--scheduler", "tcp://127.0.0.1:9"], tmp_path, capsys, monkeypatch)
    assert time.monotonic() - t0 < 8
    assert line.startswith("--scheduler tcp://127.0.0.1:9: no Dask scheduler answered within 1 s")
    assert "allowed is" in line


def test_missing_scheduler_file(tmp_path, capsys, monkeypatch):
    line = spread(["sweep", experiment(tmp_path), "--scheduler", "nope.json"], tmp_path, capsys, monkeypatch)
    assert "--scheduler nope.json: scheduler file not found" in line


def test_every_run_raised_exits_1_and_says_so(tmp_path, capsys, monkeypatch):
    exp = experiment(tmp_path, EXPERIMENT + '[set]\n"test.explode" = true\n')
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    rc = main(["sweep", str(exp), "--out", str(out), "--workers", "1"])
    err = capsys.readouterr().err
    assert rc == 1
    said = [ln for ln in err.splitlines() if "every one of the 4 runs raised" in ln]
    assert len(said) == 1 and "boom at commitment" in said[0], err
    assert json.loads((out / "manifest.json").read_text())["status"] == "failed"
    assert not (out / "analysis").exists()


# --- what names the input that caused an error ----------------------------------------------


def test_duplicate_set_key_names_both(tmp_path, capsys, monkeypatch):
    line = spread(["run", "baseline-teaching", "--set", "leadership.commitment=0.2", "--set",
                   "leadership.commitment=0.9"], tmp_path, capsys, monkeypatch)
    assert "--set: leadership.commitment: given twice ('leadership.commitment=0.2' and 'leadership.commitment=0.9')" in line


def test_cross_field_error_from_set_names_the_set(tmp_path, capsys, monkeypatch):
    line = spread(["run", "baseline-teaching", "--set", "sustain.abandon_min=0.5"], tmp_path, capsys, monkeypatch)
    assert line.startswith("spread: error: --set applied to ") and "sustain.abandon_min = 0.5" in line


def test_cross_field_error_from_a_what_if_names_the_what_if(tmp_path, capsys, monkeypatch):
    w = whatif(tmp_path, "[sustain]\nabandon_max = 0.001\n")
    line = spread(["compare", "baseline-teaching", "--what-if", w, "--reps", "2"], tmp_path, capsys, monkeypatch)
    assert f"{w} applied to " in line and "sustain.abandon_min" in line


# --- the command line itself ------------------------------------------------------------------


@pytest.mark.parametrize("args", [["run", "baseline-teaching", "--reps", "0"], ["run"], ["sweep"],
                                  ["run", "baseline-teaching", "--bogus"], ["compare", "--reps", "x"]])
def test_argparse_errors_are_one_line(tmp_path, capsys, monkeypatch, args):
    line = spread(args, tmp_path, capsys, monkeypatch)
    assert line.startswith("spread") and ": error: " in line and "usage" not in line


def test_params_unknown_section(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["params", "nosuch"]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and len(cap.err.strip().splitlines()) == 1
    assert "'nosuch': unknown section" in cap.err and "leadership" in cap.err


def test_params_section_and_key(capsys):
    assert main(["params", "run"]) == 0
    assert capsys.readouterr().out.startswith("run.weeks = 260")
    assert main(["params", "leadership.commitment"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


class _Stop(Exception):
    pass


@pytest.mark.parametrize("host,warned", [("0.0.0.0", True), ("::", True), ("192.168.1.20", True),
                                         ("myhost.example", True), ("127.0.0.1", False), ("::1", False),
                                         ("localhost", False)])
def test_viz_warns_when_not_loopback(capsys, monkeypatch, host, warned):
    pytest.importorskip("solara")
    from model.viz import assets as viz_assets

    def stop():
        raise _Stop

    monkeypatch.setattr(viz_assets, "configure_environment", stop)  # nothing is served
    with pytest.raises(_Stop):
        main(["viz", "--host", host])
    err = capsys.readouterr().err.strip().splitlines()
    if warned:
        assert len(err) == 1 and "reachable from the network" in err[0] and "no password" in err[0]
    else:
        assert err == []


def test_scheduler_time_out_is_short():
    import model.sweeps.executors
    assert model.sweeps.executors.SCHEDULER_TIMEOUT_S <= 10


def test_a_closed_pipe_is_not_a_traceback():
    """`spread params | head -1`: the reader has gone; no traceback on stderr, exit 141 (SIGPIPE's)."""
    import subprocess
    import sys as _sys
    code = ("import os, sys; r, w = os.pipe(); os.close(r); os.dup2(w, 1); "
            "from model.cli import main; sys.exit(main(['params']))")
    r = subprocess.run([_sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 141 and "Traceback" not in r.stderr, (r.returncode, r.stderr)
