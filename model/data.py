"""Where the shipped scenarios, what-ifs and experiments are: one copy, found from a wheel, an sdist or a checkout.

People edit the repository's top-level ``scenarios/`` (with ``what-if/``) and
``experiments/``; there is no second copy inside ``model/``. When a wheel is
built (``pip install .``, ``pip wheel``, ``python -m build``, or from an
sdist, which carries the two folders too), ``setup.py`` maps them into the
package as ``model/_data/scenarios`` and ``model/_data/experiments``: they
are ordinary package data, listed in the wheel's RECORD and removed by
``pip uninstall``. The copy exists only inside the built wheel, never in the
checkout.

So two places are looked in, in this order:

1. ``model/_data/`` beside the installed package, found with
   ``importlib.resources`` (a wheel or sdist install);
2. the folders beside ``model/`` (a checkout, run in place or installed
   editable with ``pip install -e .``, as ``make setup`` does: an editable
   install maps ``model`` to the checkout's folder, which has no ``_data``).

A package imported from a zip file is not supported (the loaders read files
by path, with the symlink and size guards of model/inputs.py).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The folder, inside the installed package, that setup.py maps the data folders to.
PACKAGED = "_data"


def _package_dir() -> Path:
    # resources.files gives the installed location whatever the import machinery
    # (an editable finder included); str() turns the Traversable into a path
    return Path(str(resources.files("model")))


def data_root() -> Path:
    """The folder that holds ``scenarios/`` and ``experiments/``: the installed package's data, else the checkout."""
    packaged = _package_dir() / PACKAGED
    if (packaged / "scenarios").is_dir():
        return packaged
    return _package_dir().parent


def origin() -> str:
    """Where the data comes from, in words: ``"package data (PATH)"`` or ``"checkout (PATH)"``."""
    root = data_root()
    kind = "package data" if root.name == PACKAGED else "checkout"
    return f"{kind} ({root})"


#: The shipped scenarios (``*.toml``), with the what-ifs in its ``what-if/``.
SCENARIO_DIR = data_root() / "scenarios"
#: The shipped what-ifs.
WHATIF_DIR = SCENARIO_DIR / "what-if"
#: The shipped posteriors (issue 25): one folder each, ``particles.csv`` and ``posterior.json``
#: (model/calibrate/shipped.py).
POSTERIOR_DIR = SCENARIO_DIR / "posteriors"
#: The canonical experiments E1-E9.
EXPERIMENT_DIR = data_root() / "experiments"


def bundled_experiments() -> list[str]:
    """Names (file stems) of the shipped experiment files, sorted."""
    return sorted(p.stem for p in EXPERIMENT_DIR.glob("*.toml"))


def resolve_experiment(name_or_path: str | Path) -> Path:
    """An experiment path as given, or the shipped experiment of that name (``E2_regime_map``).

    A path (with a ``.toml`` suffix or a slash) or an existing file is taken
    as it is, so a user's own file always wins over a shipped name.
    """
    p = Path(name_or_path)
    if p.suffix == ".toml" or "/" in str(name_or_path) or p.exists():
        return p
    shipped = EXPERIMENT_DIR / f"{name_or_path}.toml"
    return shipped if shipped.is_file() else p
