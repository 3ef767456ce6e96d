"""improvement-spread: how improvement practices spread, or stay local, in an NHS trust."""

from .params import ParameterError, Params, load_scenario


def __getattr__(name: str):
    # TrustModel on first use (PEP 562): it imports Mesa, pandas and scipy (about 1.2 s), which
    # `spread --version`, `spread params` and a bad input's one error line never need
    if name == "TrustModel":
        from .trust import TrustModel

        globals()["TrustModel"] = TrustModel
        return TrustModel
    raise AttributeError(f"module 'model' has no attribute {name!r}")


def __dir__() -> list[str]:
    # tab completion and dir() list TrustModel before its first use too
    return sorted({*globals(), "TrustModel"})


__all__ = ["ParameterError", "Params", "TrustModel", "load_scenario"]
__version__ = "0.2.0"  # the one place the version is written: pyproject.toml reads it (dynamic)
