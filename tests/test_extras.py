"""A command that needs an optional extra says so in one line before any work (model/extras.py).

In-process, with the extra's modules made to look absent; the slow wheel test
(tests/test_package.py) does the same from a real install with no extras.
"""

from __future__ import annotations

import pytest

from model import extras
from model.cli import main


@pytest.fixture
def without(monkeypatch):
    def gone(*modules):
        real = extras.installed
        monkeypatch.setattr(extras, "installed", lambda m: m not in modules and real(m))
    return gone


@pytest.mark.parametrize("argv,missing,extra", [
    (["sweep", "E2_regime_map"], "ema_workbench", "sweep"),          # asks for PRIM
    (["sweep", "E8_sensitivity"], "SALib", "sweep"),                 # a Sobol design
    (["sweep", "E1_trusts", "--scheduler", "local"], "distributed", "sweep"),
    (["calibrate", "C1_patterns"], "pyabc", "calibrate"),
    (["posterior", "ship", "some-calibration", "worlds"], "pyabc", "calibrate"),
    (["viz"], "solara", "viz"),
])
def test_a_missing_extra_is_one_line_before_any_work(argv, missing, extra, without, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    without(missing)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert missing in err and f'pip install "improvement-spread[{extra}]"' in err and "pip install -e" in err, err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_without_prim_the_sweep_of_e2_needs_no_workbench_when_it_does_not_analyse(without):
    from model.sweeps.design import extras_needed, load_experiment

    exp = load_experiment("E2_regime_map")
    assert [m for _, m, _ in extras_needed(exp.sampler, exp.analyses)] == [("ema_workbench",)]
    assert extras_needed(exp.sampler, exp.analyses, analyse=False) == []
    e1 = load_experiment("E1_trusts")
    assert extras_needed(e1.sampler, e1.analyses) == []  # E1 runs from a plain install


def test_analyse_checks_the_extra_before_drawing(without, tmp_path, capsys):
    from model.sweeps.runner import run_sweep

    out = tmp_path / "s"
    (tmp_path / "x.toml").write_text('''name = "x"
scenario = "sash-teaching"
seed = 1
reps = 1
weeks = 4
sampler = "grid"
outcomes = ["reach_final", "regime"]
[vary."leadership.commitment"]
levels = [0.5, 0.9]
[analyses]
prim = { outcome = "regime", target = ["trust-wide"] }
''')
    run_sweep(tmp_path / "x.toml", out=out, workers=1, analyse=False, log=lambda m: None)
    capsys.readouterr()
    without("ema_workbench")
    assert main(["analyse", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "analyses.prim" in err and "ema_workbench" in err, err
    assert not (out / "analysis").exists()


def test_a_sweep_progress_bar_falls_back_to_lines_without_tqdm(monkeypatch):
    import builtins
    import io

    from model.sweeps.progress import Progress

    real = builtins.__import__

    def no_tqdm(name, *a, **k):
        if name == "tqdm":
            raise ImportError("No module named 'tqdm'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    p = Progress(10, 0, "x", tty=True, stream=io.StringIO())
    assert p.bar is None and p.tty is False
    p.update(10)
