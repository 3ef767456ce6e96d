"""Shared helpers for the test suite."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
#: processes for replicate runs (the CI machines have 2 cores)
WORKERS = min(2, os.cpu_count() or 1)


# The pattern tests' statistics come from the package's one home for intervals.
from model import intervals  # noqa: E402
from model.intervals import t_interval as mean_ci  # noqa: E402,F401

# --- margins: how far each statistical test sits from its bar ------------------------------------
#
# A dependency bump (or any change of random streams) redraws a statistical test's numbers from their
# sampling distribution. A bound that sits z standard errors past its bar flips with a chance of about
# Phi(-z) on such a redraw, so every bound the pattern tests compare with a bar records (bound, bar,
# standard error) and the run ends with a table of the smallest margins (pytest_terminal_summary).
# The house rule: z >= 3 (a flip chance under 0.2%) at the locked set, stated in each test's docstring.

MARGINS_ROOT = ROOT / "test-artifacts" / "margins"
#: this session's folder: the controller's pid (xdist workers are its children), so two sessions never mix
MARGINS = MARGINS_ROOT / str(os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid())


def _record(kind: str, value: float, bar: float, spread: float, side: str) -> None:
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" (")[0]
    past = (value - bar) if side in (">", ">=") else (bar - value)
    z = past / spread if spread > 0 else (np.inf if past > 0 else (-np.inf if past < 0 else 0.0))
    MARGINS.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"test": test, "kind": kind, "value": value, "bar": bar, "se": spread, "side": side,
                       "z": z if np.isfinite(z) else str(z)})
    with open(MARGINS / f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.jsonl", "a") as f:
        f.write(line + "\n")


class _Compared(float):
    """A number that records its margin (``_cmp``) whenever it is compared with a bar."""

    def _cmp(self, bar, side, op):
        raise NotImplementedError

    def __gt__(self, bar):
        return self._cmp(bar, ">", float.__gt__)

    def __ge__(self, bar):
        return self._cmp(bar, ">=", float.__ge__)

    def __lt__(self, bar):
        return self._cmp(bar, "<", float.__lt__)

    def __le__(self, bar):
        return self._cmp(bar, "<=", float.__le__)

    __hash__ = float.__hash__


class Bound(_Compared):
    """A one-sided bound that knows its standard error and records its margin when compared with a bar."""

    def __new__(cls, value: float, se: float, kind: str):
        obj = super().__new__(cls, value)
        obj.se, obj.kind = se, kind
        return obj

    def _cmp(self, bar, side, op):
        _record(self.kind, float(self), float(bar), self.se, side)
        return op(float(self), bar)


def _se(x) -> float:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")


def one_sided_lower(x, level: float = 0.95) -> Bound:
    """model.intervals.one_sided_lower, recording its margin when compared with a bar."""
    return Bound(intervals.one_sided_lower(x, level), _se(x), "lower bound")


def one_sided_upper(x, level: float = 0.95) -> Bound:
    """model.intervals.one_sided_upper, recording its margin when compared with a bar."""
    return Bound(intervals.one_sided_upper(x, level), _se(x), "upper bound")


class Share(_Compared):
    """A share of n runs that records its margin when compared with a bar.

    Its spread is the binomial standard error at the share's own 95% Wilson bound on the side of the bar
    (a share of 20/20 is not taken as certain: at n = 20 its lower Wilson bound is 0.84)."""

    def __new__(cls, hits, n: int | None = None):
        h = np.asarray(hits, bool)
        n = h.size if n is None else n
        obj = super().__new__(cls, float(h.mean()))
        obj.n = n
        return obj

    def _cmp(self, bar, side, op):
        p, n, zq = float(self), self.n, 1.645
        centre = (p + zq * zq / (2 * n)) / (1 + zq * zq / n)
        half = zq * np.sqrt(p * (1 - p) / n + zq * zq / (4 * n * n)) / (1 + zq * zq / n)
        q = centre - half if side in (">", ">=") else centre + half  # the bound on the bar's side
        _record(f"share of {n}", p, float(bar), float(np.sqrt(max(q * (1 - q), 1e-12) / n)), side)
        return op(p, bar)


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without xdist) starts afresh
        import shutil

        shutil.rmtree(MARGINS, ignore_errors=True)


def pytest_terminal_summary(terminalreporter):
    rows = []
    for f in sorted(MARGINS.glob("*.jsonl")) if MARGINS.exists() else []:
        rows += [json.loads(line) for line in f.read_text().splitlines() if line]
    if not rows:
        return
    for r in rows:
        r["z"] = float(r["z"])
    # the broken variants must fail (their margins are below 0 by design), and so must an xfail's
    expected = [r for r in rows if "broken_variants" in r["test"] or r["z"] < 0]
    rows = sorted((r for r in rows if r not in expected), key=lambda r: r["z"])
    tr = terminalreporter
    tr.section(f"margins: the {min(12, len(rows))} smallest of {len(rows)} statistical comparisons that must hold "
               "(z = standard errors past the bar)")
    for r in rows[:12]:
        tr.write_line(f"z {r['z']:7.2f}  {r['kind']:<12} {r['value']:+.4f} {r['side']} {r['bar']:+.4f}  {r['test']}")
    tr.write_line(f"not shown: {len(expected)} comparisons meant to fail (the broken variants, an xfail)")
    tr.write_line(f"all rows: {MARGINS}/")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def small_params(name: str = "baseline-teaching", **overrides):
    """A validated teaching-size scenario with ``section__key=value`` style overrides."""
    from model.params import load_scenario

    return load_scenario(name, overrides={k.replace("__", "."): v for k, v in overrides.items()})


def small_model(name: str = "baseline-teaching", seed: int = 1, weeks: int | None = None, agents: bool = False,
                **overrides):
    from model.trust import TrustModel

    return TrustModel(small_params(name, **overrides), rng=seed, weeks=weeks, agents=agents)


def tiny_calibration(name: str = "tiny", *, population: int = 6, weeks: int = 52, draws: int = 3,
                     staff: int = 300, patterns: bool = True) -> str:
    """A calibration file that fits in seconds: a small SASH-teaching trust, one free parameter (the adoption
    threshold), one fitted target and one checked one (shared by the calibration, safety and hostile tests)."""
    cap = '\npattern = "capability"' if patterns else ""
    p1 = '\npattern = "P1"' if patterns else ""
    return f'''name = "{name}"
seed = 5
replicates = 1
population = {population}
generations = 2
weeks = {weeks}
draws = {draws}

[scenarios]
small = {{ scenario = "sash-teaching", set = {{ "organisation.staff" = {staff} }} }}

[parameters."exchange.threshold"]
prior = "uniform"
low = 0.1
high = 0.45

[[targets]]
scenario = "small"
outcome = "capability_mean_final"
observed = 0.6
scale = 0.05{cap}

[[targets]]
scenario = "small"
outcome = "lead_time_change_pilot_best"
at_most = -0.1
fit = false{p1}
'''


def build_env() -> dict:
    """The environment for a build or a fresh venv's commands: without this run's PYTHONPATH or VIRTUAL_ENV."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture(scope="session")
def built_dists(tmp_path_factory):
    """The package as a user gets it, built once a session: (sdist, wheel built from that sdist).

    The sdist is built from a copy of the checkout's sources (so the build
    leaves nothing in the checkout), the wheel from the sdist, each in
    pip's isolated build environment, as ``pip install`` of the sdist does.
    Shared by tests/test_package.py and tests/test_layout.py."""
    import shutil
    import subprocess

    tmp = tmp_path_factory.mktemp("dists")
    src, dist = tmp / "src", tmp / "dist"
    for folder in ("model", "scenarios", "experiments"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for f in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / f, src / f)

    def run(*cmd):
        r = subprocess.run([PYTHON, "-m", *cmd], capture_output=True, text=True, timeout=600, cwd=tmp, env=build_env())
        assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"

    run("build", "--sdist", "--outdir", str(dist), str(src))
    (sdist,) = dist.glob("*.tar.gz")
    run("pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(sdist))
    (wheel,) = dist.glob("*.whl")
    return sdist, wheel


@pytest.fixture(scope="session")
def offline_assets():
    """Fill the visualiser's asset cache (npm registry, at set-up time) and point Solara at it (the browser tests)."""
    pytest.importorskip("solara")
    from model.viz import assets as viz_assets

    cache = viz_assets.configure_environment()
    if viz_assets.missing(cache):
        viz_assets.fill(cache)
    assert not viz_assets.missing(cache)
    return cache


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Debian Chromium for the whole session, shared by every browser test.

    Playwright's sync API runs its own event loop; a second ``sync_playwright()``
    while one is open fails, so browser tests must share this one."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="install the viz extra (playwright)")
    from viz_harness import chromium_path, launch_chromium

    if chromium_path() is None:
        if os.environ.get("SPREAD_SKIP_BROWSER"):  # an explicit opt-out, never the default
            pytest.skip("SPREAD_SKIP_BROWSER is set and there is no chromium")
        pytest.fail("chromium is missing: `make test` installs it (.ci/system-deps), or apt-get install -y chromium")
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()
