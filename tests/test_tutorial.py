"""The tutorial runs top to bottom (issue 15): docs/tutorial/*.py, jupytext percent format, executed as a notebook
and as a plain script (issue 27).

Each file is turned into a notebook by jupytext and executed by nbclient in
a fresh kernel of this interpreter, as a reader's Jupyter would, so a stale
cell fails CI. The executed notebook is written under the test's temporary
folder, never next to the source: rendered output is not committed. Run as
`python tutorial.py --out DIR`, it must show what the notebook shows: its
tables printed and its figures saved in DIR.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext", reason="the test extra installs jupytext")
nbclient = pytest.importorskip("nbclient", reason="the test extra installs nbclient")
import nbformat  # noqa: E402  (comes with jupytext)

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = sorted((ROOT / "docs" / "tutorial").glob("*.py"))
#: "a few minutes on 2 cores"; the tutorial takes about half a minute on an idle one
BUDGET_S = 300


def test_there_is_a_tutorial():
    assert TUTORIALS, "docs/tutorial/ holds no .py tutorial"


def test_no_rendered_notebook_is_committed():
    assert not list((ROOT / "docs" / "tutorial").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", TUTORIALS, ids=[p.name for p in TUTORIALS])
def test_the_tutorial_runs_top_to_bottom(path, tmp_path, monkeypatch):
    nb = jupytext.read(path)
    assert nb.cells and sum(c.cell_type == "code" for c in nb.cells) >= 6
    out = tmp_path / "out"
    monkeypatch.setenv("SPREAD_TUTORIAL_OUT", str(out))  # its files go here, not into a fresh temp folder
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = nbclient.NotebookClient(nb, timeout=BUDGET_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    # the kernel must be this interpreter (the project's environment), whatever kernelspecs are installed
    client.kernel_manager_class = _this_python_kernel()
    t0 = time.monotonic()
    client.execute()
    took = time.monotonic() - t0
    nbformat.write(nb, tmp_path / (path.stem + ".ipynb"))
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "identical at every step: True" in printed  # the kernel matches the classic model
    assert any(o.output_type == "display_data" and "image/png" in o.get("data", {})
               for c in nb.cells for o in c.get("outputs", []))  # figures were drawn
    assert (out / "sweep" / "analysis" / "regime_map.png").is_file()
    assert took < BUDGET_S, f"{path.name} took {took:.0f} s"
    print(f"{path.name}: {took:.1f} s")


#: What the script prints: a line of each table the notebook shows as a cell's result (spacing aside).
TABLE_LINES = (
    "week  adoption_pilot  adoption_rest  reach  lead_time_change_pilot  attention",  # 1. one trust, weekly
    "cross_unit_ties_per_person",  # 2. the network's statistics
    "runs trust-wide",  # 3. two trusts over replicates
    "network.cross_unit_ties  leadership.commitment  n  share_spread  share_local",  # 4. the regime map
    "what_if                          label  baseline_mean  what_if_mean  difference  ci_low  ci_high",  # 5. what-if
    "interval  difference  ci95_low  ci95_high",  # 5. paired against unpaired
)
FIGURES = ("1_one_run.png", "2_network.png", "3_two_trusts.png", "6_contagion.png")


@pytest.mark.slow
@pytest.mark.parametrize("path", TUTORIALS, ids=[p.name for p in TUTORIALS])
def test_the_tutorial_run_as_a_script_prints_its_tables_and_saves_its_figures(path, tmp_path):
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k not in ("SPREAD_TUTORIAL_OUT", "MPLBACKEND")}
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, str(path), "--out", str(out)], cwd=tmp_path, env=env, text=True,
                          capture_output=True, timeout=BUDGET_S)
    took = time.monotonic() - t0
    assert done.returncode == 0, done.stderr[-3000:]
    printed = done.stdout
    lines = [" ".join(line.split()) for line in printed.splitlines()]  # column widths vary with the numbers
    for expected in TABLE_LINES:
        assert any(" ".join(expected.split()) in line for line in lines), f"not printed: {expected!r}"
    assert "identical at every step: True" in printed
    assert len(printed.splitlines()) > 50  # it printed 7 lines when its tables were bare expressions
    for name in FIGURES:
        assert (out / name).stat().st_size > 10_000, name
        assert f"figure: {out / name}" in printed
    assert (out / "sweep" / "analysis" / "report.html").is_file()
    print(f"{path.name} as a script: {took:.1f} s")


def _this_python_kernel():
    from jupyter_client.manager import KernelManager

    class ThisPython(KernelManager):
        # a kernel started with sys.executable, not whatever `python3` kernelspec the machine has
        def format_kernel_cmd(self, extra_arguments=None):
            return [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file]

    return ThisPython
