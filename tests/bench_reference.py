"""The benchmarks' copies of code as it was before issue 12, loaded as modules: one reference each,
shared by the benchmark that times against it and the tests that compare with it bit for bit."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def bench_module(name: str):
    """``benchmarks/NAME.py`` as a module (its reference copies, e.g. ``old_spread``, ``old_network_stats``)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
