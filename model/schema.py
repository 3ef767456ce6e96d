"""How a parameter is declared: :class:`Field` (and its short name ``F``) and :class:`ParameterError`.

The lowest layer of the package, so that whoever owns a parameter can
declare it: each weekly process in ``model/processes/`` declares its
section(s) as a module-level ``PARAMS: dict[str, Field]``, and
``model.params`` gathers them, with the trust's structure and the outputs,
into one validated tree (``model.params.FIELDS``). Everything here is
re-exported by ``model.params``, so ``from model.params import Field`` keeps
working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ParameterError(ValueError):
    """A scenario value, override or file that cannot be used (one-line message)."""


@dataclass(frozen=True)
class Field:
    """One parameter's definition: its baseline default, kind, unit, meaning and allowed values.

    ``kind`` decides how a value is checked; ``lo`` and ``hi`` bound a number
    (for ``str``, ``hi`` is the longest allowed length; for ``int_list``, the
    weeks' range); ``choices`` lists the values of a ``choice`` or
    ``str_list``.
    """

    default: Any
    kind: str  # int, float, bool, str, choice, int_list, str_list, windows
    unit: str
    doc: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    basis: str = ""  # where the value comes from: the source sentence, or "assumption"

    def allowed(self) -> str:
        """What this parameter accepts, in words, for error messages and ``spread params``."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "str_list":
            return "a list of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "windows":
            return "a list of tables {start, end, level} with 0 <= start < end weeks and 0 <= level <= 1"
        if self.kind == "int_list":
            return f"a list of integers (weeks) from {self.lo:g} to {self.hi:g}"
        if self.kind == "bool":
            return "true or false"
        if self.kind == "str":
            return f"a string of at most {self.hi:g} characters" if self.hi is not None else "a string"
        rng = f"from {self.lo:g} to {self.hi:g}" if self.lo is not None else ""
        return f"{'an integer' if self.kind == 'int' else 'a number'} {rng}".strip()


#: The short name the declarations use: ``"rpiw.count": F(12, "int", "per pathway", "RPIWs per pathway", 0, 200)``.
F = Field
