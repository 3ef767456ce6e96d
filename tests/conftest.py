"""Shared helpers for the test suite."""

from __future__ import annotations

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
from model.intervals import one_sided_lower, one_sided_upper  # noqa: E402,F401
from model.intervals import t_interval as mean_ci  # noqa: E402,F401


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
