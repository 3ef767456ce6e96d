"""Sweep engines: what runs one (point, replicate) of a sweep.

An engine is an object with ``load_scenario(name_or_path, overrides=None)``,
``ParameterError`` and ``simulate(params, seed, weeks)``, and optionally
``simulate_batch(params, seeds, weeks)`` (a list of results, one per seed,
each as ``simulate`` would give), which the sweep uses for the replicates of
one design point; an engine that also has ``batch_key(params)`` (a string)
gets runs of different points whose keys are equal in one call, with
``params`` a list (one per seed). An experiment file
names an engine, never a module: only the built-in trust model and the
engines that installed packages register under the entry-point group
``improvement_spread.engines`` can be used, and an unknown name is refused
before anything is imported (issue 9)::

    # a package's pyproject.toml
    [project.entry-points."improvement_spread.engines"]
    mine = "mypkg.engine"
"""

from __future__ import annotations

import importlib.metadata
from types import SimpleNamespace
from typing import Any

from model.params import ParameterError, load_scenario

# The engine's functions import the runner when first called, not here: reading and checking an
# experiment file (model.sweeps.design) then needs no Mesa, pandas or scipy, so a bad file is one
# quick error line.


def simulate(*args, **kwargs):
    """``model.runner.simulate``: one run."""
    from model.runner import simulate as run

    return run(*args, **kwargs)


def batch_key(params):
    """``model.batch.batch_key``: which design points may share a batch."""
    from model.batch import batch_key as key

    return key(params)


def _sweep_batch(params, seeds, weeks=None):
    """Runs in one array pass (one parameter set, or one per seed sharing a batch key); a sweep keeps the
    weekly table and summary only."""
    from model.runner import simulate_batch

    return simulate_batch(params, seeds, weeks, extras=False)


#: The trust model itself, the engine of every canonical experiment.
TRUST_MODEL = SimpleNamespace(load_scenario=load_scenario, ParameterError=ParameterError, simulate=simulate,
                              simulate_batch=_sweep_batch, batch_key=batch_key)
#: Built-in engines by name. The long name stays because it is the default
#: recorded in existing results' design hashes.
BUILTIN_ENGINES = {"model": TRUST_MODEL, "model.sweep_engine": TRUST_MODEL}
DEFAULT_ENGINE = "model.sweep_engine"
#: Entry-point group under which an installed package registers its own engine.
ENGINE_GROUP = "improvement_spread.engines"


def _registered() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENGINE_GROUP)}


def engines() -> list[str]:
    """Every engine name an experiment may use; nothing is imported."""
    return sorted(set(BUILTIN_ENGINES) | set(_registered()))


def engine_allowed() -> str:
    """The allowed engine names, for error messages."""
    return ", ".join(engines()) + f"; others register under the entry-point group {ENGINE_GROUP}"


def resolve_engine(name: str | None) -> Any:
    """The registered engine of that name: an object with load_scenario, ParameterError, simulate.

    An unregistered name raises LookupError before anything is imported; a
    package cannot shadow a built-in name.
    """
    name = name or DEFAULT_ENGINE
    if name in BUILTIN_ENGINES:
        return BUILTIN_ENGINES[name]
    found = _registered().get(name)
    if found is None:
        raise LookupError(f"engine {name!r} is not registered (allowed: {engine_allowed()})")
    eng = found.load()  # the installed package's own registration, never a name from the file
    for attr in ("load_scenario", "ParameterError", "simulate"):
        if not hasattr(eng, attr):
            raise ImportError(f"engine {name!r} has no {attr}")
    return eng
