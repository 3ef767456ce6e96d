"""The package carries its data (issue 15): scenarios, what-ifs and experiments found from a wheel, an sdist or the checkout.

The slow test builds an sdist from a copy of the checkout, a wheel from that
sdist, installs the wheel into a fresh virtual environment and runs ``spread``
from an empty folder, as a new user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

import model
from model.cli import main
from model.data import EXPERIMENT_DIR, SCENARIO_DIR, WHATIF_DIR, bundled_experiments, origin, resolve_experiment
from model.params import bundled_scenarios
from model.provenance import git_label
from model.whatif.files import bundled_whatifs

from conftest import build_env

ROOT = Path(__file__).resolve().parent.parent


def test_a_checkout_reads_its_own_folders():
    # one copy: the checkout's folders themselves, not a copy under model/
    assert SCENARIO_DIR == ROOT / "scenarios"
    assert WHATIF_DIR == ROOT / "scenarios" / "what-if"
    assert EXPERIMENT_DIR == ROOT / "experiments"
    assert origin().startswith("checkout")
    assert not (ROOT / "model" / "_data").exists()


def test_spread_scenarios_lists_what_is_shipped(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in bundled_scenarios() + bundled_whatifs() + bundled_experiments():
        assert f"  {name} " in out, name
    assert "Surrey and Sussex (SASH), 3,500 staff" in out  # labels, not just names
    assert "Stable leadership" in out
    assert "from checkout" in out
    assert len(bundled_scenarios()) >= 12 and len(bundled_whatifs()) >= 8 and len(bundled_experiments()) >= 9


def test_spread_scenarios_one_kind(capsys):
    assert main(["scenarios", "what-ifs"]) == 0
    out = capsys.readouterr().out
    assert "What-ifs" in out and "Scenarios" not in out and "Experiments" not in out


def test_spread_scenarios_bad_kind_is_one_line():
    r = subprocess.run([sys.executable, "-m", "model", "scenarios", "nosuch"], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "nosuch" in r.stderr and r.stdout == ""


def test_version_prints_version_and_commit(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"spread {model.__version__}")
    label = git_label()
    if label is not None:
        assert f"(git {label})" in line


def test_the_version_is_written_once():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "model.__version__"}
    assert model.__version__ == "0.2.0"
    cff = (ROOT / "CITATION.cff").read_text()
    assert f'version: "{model.__version__}"' in cff
    assert f"## [{model.__version__}]" in (ROOT / "CHANGELOG.md").read_text()


def test_a_shipped_experiment_by_name_and_a_users_file_first(tmp_path, monkeypatch):
    from model.sweeps.design import load_experiment

    assert resolve_experiment("E2_regime_map") == EXPERIMENT_DIR / "E2_regime_map.toml"
    assert load_experiment("E2_regime_map").name == "E2_regime_map"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "E2_regime_map").write_text("not an experiment")  # a user's own file of that name wins
    assert resolve_experiment("E2_regime_map") == Path("E2_regime_map")
    assert resolve_experiment("nosuch") == Path("nosuch")  # and a missing one is reported as given


TINY = """\
name = "tiny"
description = "Two levels of commitment in the SASH teaching trust, two replicates, half a year."
scenario = "sash-teaching"
seed = 1
reps = 2
weeks = 26
sampler = "grid"
outcomes = ["reach_final", "adoption_trust_final"]

[vary."leadership.commitment"]
levels = [0.5, 0.9]
"""


def _run(cmd: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=build_env())
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.mark.slow
def test_an_installed_wheel_runs_from_an_empty_folder(tmp_path, built_dists):
    """sdist from a copy -> wheel from the sdist -> fresh venv -> spread run / sweep / scenarios in an empty folder.

    The sdist and wheel come from ``built_dists`` (tests/conftest.py). The
    fresh environment is made without pip of its own, and this run's pip
    installs the wheel into it (``pip --python``). The wheel is installed with
    ``--no-deps``, and the fresh environment sees
    the dependencies already installed for this test run through a ``.pth``
    line naming their site-packages (a plain path: the editable install's own
    finder there is not loaded, so ``model`` can only come from the wheel,
    which the test checks). That keeps the test offline and quick;
    ``SPREAD_WHEEL_FULL_INSTALL=1`` installs the wheel with its dependencies
    from the package index instead (a minute with a local wheel cache).
    """
    sdist, wheel = built_dists
    venv, work = tmp_path / "venv", tmp_path / "work"
    assert sdist.name.startswith(f"improvement_spread-{model.__version__}")
    assert wheel.name.startswith(f"improvement_spread-{model.__version__}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [p for p in (ROOT / "scenarios").rglob("*.toml")] + list((ROOT / "experiments").glob("*.toml"))
    shipped += [p for p in (ROOT / "scenarios" / "posteriors").glob("*/*") if p.name in ("particles.csv", "posterior.json")]
    for p in shipped:
        assert f"model/_data/{p.relative_to(ROOT).as_posix()}" in names, p
    assert not any(n.startswith(("scenarios/", "experiments/")) for n in names)  # one place, inside the package

    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    vpy = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(vpy), "install", "-q"]
    if os.environ.get("SPREAD_WHEEL_FULL_INSTALL"):
        _run([*pip, str(wheel)], cwd=tmp_path, timeout=1200)
    else:
        purelib = Path(_run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            cwd=tmp_path).stdout.strip())
        (purelib / "_spread_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        _run([*pip, "--no-deps", str(wheel)], cwd=tmp_path)

    work.mkdir()
    spread = str(venv / "bin" / "spread")
    where = _run([str(vpy), "-c", "import model, model.data as d; print(model.__file__); print(d.origin())"],
                 cwd=work).stdout.splitlines()
    assert where[0].startswith(str(venv)), where  # the wheel's code, not the checkout's
    assert where[1].startswith("package data"), where

    assert _run([spread, "--version"], cwd=work).stdout.strip() == f"spread {model.__version__}"  # no commit outside a checkout
    listing = _run([spread, "scenarios"], cwd=work).stdout
    for name in ("sash", "bhr-teaching", "stable-leadership", "E2_regime_map"):
        assert f"  {name} " in listing

    _run([spread, "run", "sash", "--reps", "2", "--weeks", "26", "--workers", "2"], cwd=work)
    assert (work / "results" / "sash" / "summary.csv").is_file()
    (work / "tiny.toml").write_text(TINY)
    _run([spread, "sweep", "tiny.toml", "--workers", "2"], cwd=work)
    assert any((work / "results" / "tiny" / "runs").iterdir())
    # a shipped what-if by name, against a shipped teaching trust
    _run([spread, "compare", "sash-teaching", "--what-if", "stable-leadership", "--reps", "2", "--weeks", "26",
          "--workers", "2"], cwd=work)
    assert sorted(p.name for p in work.iterdir()) == ["results", "tiny.toml"]  # nothing else written here

    # The same wheel with no extras: every optional package is made unimportable (a finder in a .pth line,
    # as if pip had installed the core dependencies only). The core commands run; those that need an extra
    # refuse up front in one line naming the pip command, with nothing written; none ends in a traceback.
    (purelib_of(vpy, tmp_path) / "_spread_no_extras.pth").write_text(NO_EXTRAS)
    bare = tmp_path / "bare"
    bare.mkdir()
    probe = _run([str(vpy), "-c", f"from model.extras import installed; print([installed(m) for m in {BLOCKED!r}])"],
                 cwd=bare).stdout
    assert "True" not in probe, probe  # the extras really are gone
    _run([spread, "run", "sash-teaching", "--reps", "2", "--weeks", "13", "--workers", "2"], cwd=bare)
    _run([spread, "compare", "sash-teaching", "--what-if", "stable-leadership", "--reps", "2", "--weeks", "13",
          "--workers", "2"], cwd=bare)
    (bare / "tiny.toml").write_text(TINY)
    _run([spread, "sweep", "tiny.toml", "--workers", "2"], cwd=bare)  # a grid with default analyses needs no extra
    for cmd, extra in ((["sweep", "E2_regime_map"], "sweep"), (["sweep", "E8_sensitivity"], "sweep"),
                       (["calibrate", "C1_patterns"], "calibrate"), (["viz"], "viz"),
                       (["sweep", "tiny.toml", "--scheduler", "local", "--out", "other"], "sweep")):
        r = subprocess.run([spread, *cmd], capture_output=True, text=True, timeout=120, cwd=bare, env=build_env())
        assert r.returncode == 2, (cmd, r.stderr[-2000:])
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, (cmd, r.stderr)
        assert f'pip install "improvement-spread[{extra}]"' in r.stderr, (cmd, r.stderr)
    assert sorted(p.name for p in bare.iterdir()) == ["results", "tiny.toml"]
    assert sorted(p.name for p in (bare / "results").iterdir()) == ["compare-sash-teaching", "sash-teaching", "tiny"]


#: the optional packages (the sweep, calibrate, viz and test extras' imports) a no-extras install lacks
#: (tqdm stays: Mesa itself requires it)
BLOCKED = ("dask", "distributed", "SALib", "ema_workbench", "pyabc", "solara", "ipyvue", "ipyvuetify",
           "playwright", "IPython", "ipykernel", "jupytext", "nbclient", "hypothesis")
NO_EXTRAS = ("import sys; exec(" + repr(
    "class _NoExtras:\n"
    f"    blocked = {set(BLOCKED)!r}\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] in self.blocked:\n"
    "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
    "        return None\n"
    "sys.meta_path.insert(0, _NoExtras())\n") + ")\n")


def purelib_of(vpy: Path, cwd: Path) -> Path:
    return Path(_run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=cwd).stdout.strip())


def test_the_command_line_starts_without_the_engine_for_quick_answers():
    """`spread --version`, `spread params`, `spread scenarios`, a bad scenario's one error line and a missing
    calibration file's load
    neither Mesa, pandas, matplotlib nor scipy.stats (the engine's 3 s of imports): they answer in well under a second."""
    code = (
        "import sys, contextlib, io\n"
        "from model.cli import main\n"
        "for argv in (['params', 'exchange'], ['scenarios'], ['run', 'nosuch'], ['trusts', '--set', 'no.such=1'],\n"
        "             ['compare', 'sash', '--what-if', 'nosuch'], ['--version'], ['network', 'nosuch', '--out', 'x.csv'],\n"
        "             ['calibrate', 'no/such/calibration.toml']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "        try:\n"
        "            main(argv)\n"
        "        except SystemExit:\n"
        "            pass\n"
        "print(sorted(m for m in ('mesa', 'pandas', 'matplotlib', 'scipy.stats', 'model.trust') if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "[]", r.stdout
