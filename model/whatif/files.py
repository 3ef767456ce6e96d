"""What-if files: named sets of changes to any scenario, read and applied (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass
import math
from pathlib import Path
from typing import Any

from model import inputs
from model.params import FIELDS, SCENARIO_DIR, ParameterError, Params, _describe, flatten_sections, read_toml

WHATIF_DIR = SCENARIO_DIR / "what-if"

#: The source's five recommendations, then the two levers the issue names.
RECOMMENDED = ("integrated-strategy", "peer-learning-first", "new-leader-support", "managers-involved",
               "measurement-capability", "stable-leadership", "aligned-priorities")

OPS = ("set", "add", "scale", "at_least", "at_most")
META = ("title", "description", "source", "include")
#: Longest title, description and source, in characters: they are laid out in
#: the report and its figures, where a huge string fails (issue 9).
META_MAX = {"title": 200, "description": 2_000, "source": 2_000}


@dataclass(frozen=True)
class WhatIf:
    """A named set of changes to any scenario: key path -> (operation, operand), with its title and source.

    The operations are ``set``, ``add``, ``scale``, ``at_least`` and
    ``at_most``; ``path`` is the file it was read from.
    """

    name: str
    title: str
    description: str
    source: str
    changes: dict[str, tuple[str, Any]]  # key -> (op, operand)
    path: str

    def apply(self, params: Params) -> Params:
        """The scenario with this what-if's changes (validated)."""
        return params.with_values(self.values_for(params), where=self.path)

    def values_for(self, params: Params) -> dict[str, Any]:
        """The new value of each changed key in ``params`` (add and scale kept in the key's range, ints rounded)."""
        out = {}
        for key, (op, x) in self.changes.items():
            old = params.get(key)
            f = FIELDS[key]
            if op == "set":
                new = x
            elif op == "at_least":
                new = max(old, x)
            elif op == "at_most":
                new = min(old, x)
            elif op == "add":
                new = min(max(old + x, f.lo), f.hi)
            else:  # scale
                new = min(max(old * x, f.lo), f.hi)
            if f.kind == "int" and op != "set":
                new = int(round(new))
            out[key] = new
        return out

    def effective(self, params: Params) -> dict[str, tuple[Any, Any]]:
        """Keys this what-if really changes in ``params``: key -> (old, new)."""
        new = self.apply(params)
        return {k: (params.get(k), new.get(k)) for k in self.changes if params.get(k) != new.get(k)}

    def describe_changes(self) -> str:
        """The changes in one line, e.g. ``managers.alignment >= 0.85; managers.base_support += 0.1``."""
        words = {"set": "=", "add": "+=", "scale": "x=", "at_least": ">=", "at_most": "<="}
        return "; ".join(f"{k} {words[op]} {_describe(x)}" for k, (op, x) in self.changes.items())


def bundled_whatifs() -> list[str]:
    """Names of the what-ifs in scenarios/what-if/, sorted."""
    return sorted(p.stem for p in WHATIF_DIR.glob("*.toml"))


def resolve_whatif(name_or_path: str | Path) -> Path:
    """A what-if path, or the bundled what-if of that name."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or "/" in str(name_or_path) or (p.exists() and p.is_file()):
        return p
    return WHATIF_DIR / f"{name_or_path}.toml"


def load_whatif(name_or_path: str | Path, _seen: tuple = ()) -> WhatIf:
    """Read and validate one what-if file; every problem is one-line :class:`ParameterError`.

    ``include = ["a", "b"]`` takes the changes of other what-ifs first (later
    ones and this file's own changes win where keys repeat)."""
    path = resolve_whatif(name_or_path)
    where = str(path)
    doc = read_toml(path, "what-if", WHATIF_DIR, bundled_whatifs)
    meta = {}
    changes: dict[str, tuple[str, Any]] = {}
    include = doc.get("include", [])
    if not isinstance(include, list) or not all(isinstance(x, str) for x in include):
        raise ParameterError(f"{where}: include = {_describe(include)}: allowed is a list of what-if names or paths")
    for inc in include:
        ipath = path.parent / (inc if inc.endswith(".toml") else f"{inc}.toml")
        try:
            looped = inputs.resolved(ipath) in _seen + (inputs.resolved(path),)
        except inputs.InputProblem as exc:
            raise ParameterError(f"{where}: include = {_describe(inc)}: {exc.problem}; allowed is {exc.allowed}") from None
        if looped:
            raise ParameterError(f"{where}: include = {inc!r}: allowed is a what-if that does not include itself")
        if len(_seen) >= inputs.MAX_CHAIN:
            raise ParameterError(f"{where}: include = {inc!r}: allowed is a chain of at most {inputs.MAX_CHAIN} "
                                 "what-ifs including one another")
        changes.update(load_whatif(ipath if ipath.is_file() else inc, _seen + (inputs.resolved(path),)).changes)
    for k in META[:3]:
        v = doc.get(k, "")
        if not isinstance(v, str) or len(v) > META_MAX[k]:
            raise ParameterError(f"{where}: {k} = {_describe(v)}: allowed is a string of at most {META_MAX[k]:,} characters")
        if not " ".join(v.split()).isprintable():  # line breaks and tabs become spaces; other controls cannot be shown
            raise ParameterError(f"{where}: {k} = {_describe(v)}: allowed is text without control characters")
        meta[k] = " ".join(v.split())
    if not meta["description"]:
        raise ParameterError(f"{where}: description: missing; allowed is a one-sentence string saying what the what-if changes")
    for full, value in flatten_sections(where, doc, top_level=tuple(META)).items():
        changes[full] = _parse_change(where, full, value)
    if not changes:
        raise ParameterError(f"{where}: no changes; allowed is at least one [section] key = value")
    wi = WhatIf(name=path.stem, title=meta["title"] or path.stem, description=meta["description"],
                source=meta["source"], changes=changes, path=where)
    # a final check: the changes apply to the defaults (catches bad 'set' values)
    from model.params import defaults
    wi.apply(defaults())
    return wi


def _parse_change(where: str, key: str, value: Any) -> tuple[str, Any]:
    f = FIELDS[key]
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in OPS:
            raise ParameterError(f"{where}: {key} = {_describe(value)}: allowed is a value or a one-entry table with one of {', '.join(OPS)}")
        op, x = next(iter(value.items()))
        if op == "set":
            return ("set", _check_value(where, key, x))
        if f.kind not in ("int", "float"):
            raise ParameterError(f"{where}: {key} = {_describe(value)}: allowed is a plain value ({op} needs a numeric key; {f.allowed()})")
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise ParameterError(f"{where}: {key} = {_describe(value)}: allowed is {op} = a number")
        if op in ("at_least", "at_most"):
            _check_value(where, key, x)
        if op == "scale" and x < 0:
            raise ParameterError(f"{where}: {key} = {_describe(value)}: allowed is scale = a number >= 0")
        return (op, float(x) if f.kind == "float" else x)
    return ("set", _check_value(where, key, value))


def _check_value(where: str, key: str, value: Any) -> Any:
    from model.params import _check
    return _check(where, key, value)


