"""The locked environment (requirements.lock) agrees with pyproject.toml, and the tests run on it.

``make setup`` installs exactly the lock; pyproject.toml keeps loose ranges for
people who install the library. A range changed in pyproject.toml without
``make lock`` (or a lock edited by hand) fails here, before it can make a fresh
clone's environment differ from the one the suite and the README's figures
were measured on.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"


def locked() -> dict[str, list[tuple[Version, Marker | None]]]:
    """Each locked package's pins (a universal lock can pin one name twice, under exclusive markers)."""
    pins: dict[str, list[tuple[Version, Marker | None]]] = {}
    for line in LOCK.read_text().splitlines():
        if not line or line[0] in "# ":
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"requirements.lock: {line!r} is not an exact pin"
        pins.setdefault(canonicalize_name(req.name), []).append((Version(spec.version), req.marker))
    return pins


def declared() -> list[Requirement]:
    """Every requirement pyproject.toml declares: the core, every extra, the build system."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(project["project"]["dependencies"])
    for extra in project["project"]["optional-dependencies"].values():
        reqs += extra
    return [Requirement(r) for r in reqs + project["build-system"]["requires"]]


def applies(marker: Marker | None) -> bool:
    return marker is None or marker.evaluate()


def test_every_declared_requirement_is_locked_inside_its_range():
    pins = locked()
    for req in declared():
        name = canonicalize_name(req.name)
        assert name in pins, f"pyproject.toml names {req.name}, which requirements.lock lacks: run make lock"
        here = [v for v, m in pins[name] if applies(m)]
        assert here, f"requirements.lock pins {req.name} for no marker that holds here"
        for version in here:
            assert req.specifier.contains(version, prereleases=True), (
                f"requirements.lock pins {req.name}=={version}, outside pyproject.toml's {req.specifier}: run make lock")


def test_every_locked_package_is_needed_by_something_declared():
    """No stale pins: each locked name is reached from pyproject.toml (uv writes the 'via' chain)."""
    text = LOCK.read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 4)[-1])
    for block in blocks:
        if not block.strip() or block.startswith("#"):
            continue
        assert "# via" in block, f"requirements.lock: {block.splitlines()[0]!r} says nothing needs it"


def test_the_suite_runs_on_the_locked_versions():
    """What is installed here is what the lock pins (make setup installs it; a hand-made venv fails here)."""
    wrong = []
    for name, pins in locked().items():
        here = [v for v, m in pins if applies(m)]
        if not here:
            continue
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} not installed (lock: {here[0]})")
            continue
        if installed not in here:
            wrong.append(f"{name} {installed} (lock: {here[0]})")
    assert not wrong, "the environment is not the locked one (run make setup): " + "; ".join(wrong)


@pytest.mark.parametrize("target", ["setup", "lock"])
def test_the_makefile_installs_from_the_lock(target):
    text = (ROOT / "Makefile").read_text()
    assert "LOCK := requirements.lock" in text
    rule = text.split(f"\n{target}:" if target == "lock" else "\n$(STAMP):", 1)[1].split("\n\n", 1)[0]
    if target == "setup":
        assert "-r $(LOCK)" in rule and "--no-deps" in rule, rule
        assert "pip install --quiet -e" not in rule  # nothing resolved outside the lock
    else:
        assert "uv pip compile pyproject.toml --all-extras" in rule, rule
