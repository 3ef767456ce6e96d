"""The optional extras and what needs them: a command checks before any work and refuses in one line.

A plain ``pip install improvement-spread`` runs the model, ``spread run``,
``trusts``, ``compare`` and ``network``. The rest needs an extra (README,
"Install as a package"): a sweep's Sobol or Morris design and its PRIM
analysis, a Dask cluster, the calibration and the browser visualiser.
Each command works out what its own input needs (an experiment that asks
for PRIM needs EMA Workbench; one that does not, does not) and checks it
here before it makes a folder or starts a run, so a missing package is one
line naming the pip command, never a traceback after the work.
"""

from __future__ import annotations

import importlib.util

#: extra -> the modules it brings that the package imports (pyproject.toml's optional-dependencies)
EXTRAS: dict[str, tuple[str, ...]] = {
    "sweep": ("distributed", "SALib", "ema_workbench"),  # and tqdm, which Mesa requires anyway
    "calibrate": ("pyabc",),
    "viz": ("solara", "ipyvue", "ipyvuetify"),
}


class MissingExtra(Exception):
    """An optional package a command needs is not installed: one line for the user."""


def installed(module: str) -> bool:
    """Whether ``module`` can be imported here (found, not imported: importing can be slow or have effects)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def install_hint(extra: str) -> str:
    """The pip command for a wheel user and for a checkout."""
    return (f"pip install \"improvement-spread[{extra}]\" (in a checkout: make setup, "
            f"or pip install -e '.[{extra}]')")


def require(extra: str, modules: tuple[str, ...] | list[str], what: str) -> None:
    """Raise MissingExtra when any of ``modules`` (from ``extra``) is missing; ``what`` says who needs them."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}")
    gone = [m for m in modules if not installed(m)]
    if gone:
        raise MissingExtra(f"{what} needs {', '.join(gone)}, from the {extra} extra, which is not installed; "
                           f"allowed is an install with it: {install_hint(extra)}")
