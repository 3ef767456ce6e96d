"""Where a result came from: package versions and the git commit, one home for every manifest."""

from __future__ import annotations

import importlib.metadata as md
import platform
import subprocess
from pathlib import Path

#: Packages whose versions decide the numbers or the files (missing optional ones are left out).
PACKAGES = ("improvement-spread", "mesa", "numpy", "scipy", "networkx", "pandas", "matplotlib", "pyarrow",
            "dask", "distributed", "SALib", "ema_workbench")


def versions() -> dict[str, str]:
    """Python, the platform and the installed version of each package in PACKAGES."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in PACKAGES:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def git_commit() -> dict[str, str | bool | None]:
    """``{"commit": sha, "dirty": bool}`` of the checkout the code runs from.

    Both are None when the package does not run from a git checkout of its own
    (an installed wheel), so a surrounding repository is never reported.
    """
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return {"commit": None, "dirty": None}
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip() != ""
        return {"commit": head or None, "dirty": dirty if head else None}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def git_label() -> str | None:
    """The commit as one string, ``sha`` or ``sha-dirty`` (None outside a checkout)."""
    g = git_commit()
    return None if g["commit"] is None else g["commit"] + ("-dirty" if g["dirty"] else "")
