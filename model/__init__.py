"""improvement-spread: how improvement practices spread, or stay local, in an NHS trust."""

from .params import ParameterError, Params, load_scenario
from .trust import TrustModel

__all__ = ["ParameterError", "Params", "TrustModel", "load_scenario"]
__version__ = "0.2.0"  # the one place the version is written: pyproject.toml reads it (dynamic)
