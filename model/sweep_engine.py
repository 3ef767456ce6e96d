"""The default engine for sweeps: the trust model itself.

A sweep engine is any module exposing ``load_scenario(name_or_path,
overrides=None)``, ``ParameterError`` and ``simulate(params, seed, weeks)``;
an experiment file may name another one with ``engine = "module"`` (the
tests use a tiny stand-in).
"""

from model.params import ParameterError, load_scenario  # noqa: F401
from model.runner import simulate  # noqa: F401
