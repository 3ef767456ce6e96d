"""The parameter tree: one validated, frozen set of values per run.

Every field says its unit, its allowed range and what it means (``FIELDS``).
Each weekly process declares its own section(s) in its module
(``PARAMS`` in ``model/processes/*.py``, gathered here in schedule order); the
sections of the trust's structure (trust, run, organisation, network) and of
the outputs are declared here. Scenario files (TOML) give values for some
fields; the rest keep the defaults, which are the ``baseline`` scenario. An invalid value fails before any
work with :class:`ParameterError`, whose message is one line naming the file,
the key, the value and what is allowed.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from . import inputs, processes

# the shipped scenarios: the checkout's scenarios/ or, installed, the package data (model/data.py)
from .data import SCENARIO_DIR
from .processes.performance import SCOPES  # noqa: F401  (re-exported: it was declared here)
from .schema import F, Field, ParameterError  # re-exported: `from model.params import Field` keeps working

#: What the trust is and how long a run lasts: the structure every process works on.
TRUST_FIELDS: dict[str, Field] = {
    # -- what the trust is -------------------------------------------------
    "trust.name": F("baseline", "str", "", "short name of the scenario"),
    # a label is laid out in figure titles and reports: a long one is a mistake (issue 9)
    "trust.label": F("Baseline trust", "str", "", "human-readable name", hi=200),
    "run.weeks": F(260, "int", "weeks", "horizon (the five-year partnership is 260 weeks)", 1, 2000),
    # -- organisation ------------------------------------------------------
    "organisation.staff": F(3000, "int", "people", "headcount (one agent per person)", 40, 60000),
    "organisation.unit_size_mean": F(30, "float", "people", "mean staff per unit (wards, clinics, theatres)", 10, 60),
    "organisation.unit_size_min": F(10, "int", "people", "smallest unit", 3, 60),
    "organisation.unit_size_max": F(60, "int", "people", "largest unit", 3, 200),
    "organisation.directorates": F(6, "int", "count", "directorates the units are grouped in", 1, 20),
    "organisation.executive_team": F(8, "int", "people", "executive team including the chief executive", 2, 30),
    "organisation.pathways": F(7, "int", "count", "value streams (pilot pathways) targeted by the programme", 1, 40),
    "organisation.units_per_pathway": F(2, "int", "units", "units each pathway spans", 1, 10),
    # -- the knowledge-sharing network ------------------------------------
    "network.ties_per_person": F(5.0, "float", "arcs/person", "directed in-unit ties 'talks to me about improvement' per person", 0, 30),
    "network.cross_unit_ties": F(1.5, "float", "arcs/person", "directed ties to staff of other units per person", 0, 20),
    "network.reciprocity": F(0.5, "float", "share of arcs", "share of arcs whose reverse arc also exists", 0, 1),
    "network.same_directorate_share": F(0.7, "float", "share", "share of cross-unit ties that stay inside the directorate", 0, 1),
    "network.cross_unit_mode": F("random", "choice", "", "cross-unit ties scattered at random, or clustered in wide bridges", choices=("random", "clustered")),
    "network.bridge_width": F(3, "int", "people", "colleagues per side of a wide bridge (clustered mode)", 1, 20),
    "network.one_directional_weight": F(0.3, "float", "weight", "weight of a one-directional tie relative to a reciprocal one (1 = pure simple contagion)", 0, 1),
    "network.manager_reciprocity": F(0.5, "float", "probability", "chance a team member's tie back up to the manager exists", 0, 1),
    # -- a trust's own network from files (model/network_io.py; ODD section 2, "A trust's own network") --
    "network.mode": F("generated", "choice", "", "where the network comes from: generated, a whole network from files, or a surveyed subgroup from files with the rest generated", choices=("generated", "whole", "surveyed")),
    "network.file": F("", "str", "path", "edge list CSV (source, target[, weight, forum]) or GraphML file; relative to the scenario file", hi=1000),
    "network.nodes": F("", "str", "path", "node table CSV (id, unit, directorate[, role, pathway]) beside an edge-list CSV; relative to the scenario file", hi=1000),
}

#: What a run reports: the thresholds of its summary and regimes, and the network survey.
OUTPUT_FIELDS: dict[str, Field] = {
    # -- outputs -----------------------------------------------------------
    "outputs.reach_level": F(0.25, "float", "share", "adoption a non-pilot unit must pass to count as reached", 0, 1),
    "outputs.local_max_reach": F(0.1, "float", "share", "reach below which gains are 'local'", 0, 1),
    "outputs.trustwide_min_reach": F(0.5, "float", "share", "reach at or above which spread is 'trust-wide'", 0, 1),
    "outputs.no_gain_cut": F(0.1, "float", "share", "pilot lead-time cut below which the run shows 'no gain'", 0, 1),
    "outputs.survey_week": F(130, "int", "week", "week of the network survey set beside the evaluation's 2018 social network analysis (about week 130 of 260); none if after the horizon", 0, 2000,
                             basis="src: 'a social network analysis carried out in each of the five participating trusts in 2018'"),
    "outputs.survey_respondents": F(70, "int", "people", "senior and middle staff surveyed (the evaluation's 2018 social network analysis: 349 across five trusts, about 70 each); all if fewer", 0, 5000),
    "outputs.survey_min_names": F(2, "int", "names", "names the survey asked for at least, each direction (the evaluation's 2018 social network analysis: 2-5); fewer contacts, fewer names", 0, 50),
    "outputs.survey_max_names": F(5, "int", "names", "names the survey allowed at most, each direction (the evaluation's 2018 social network analysis: 2-5)", 1, 50),
}


def declarations(process_modules: Iterable[ModuleType] = processes.MODULES) -> list[tuple[str, Mapping[str, Field]]]:
    """Who declares which fields, in the tree's order: (owner, fields) pairs.

    The trust's structure (here), then each process module's ``PARAMS`` in
    schedule order (``model.processes.MODULES``), then the outputs (here).
    A new mechanism's module joins by being in ``process_modules``."""
    return [(__name__, TRUST_FIELDS), *((m.__name__, m.PARAMS) for m in process_modules), (__name__, OUTPUT_FIELDS)]


def build_fields(owned: Iterable[tuple[str, Mapping[str, Field]]]) -> dict[str, Field]:
    """One ``"section.key" -> Field`` table from (owner, fields) pairs, in their order.

    Each key is ``section.key``; every section has exactly one owner, so a
    key is found in one guess: the module that declares its section. A key
    or section declared twice, or a declaration that is not a ``Field``, is
    a ValueError (a programming mistake, found when the package is imported)."""
    fields: dict[str, Field] = {}
    owner_of: dict[str, str] = {}
    for owner, table in owned:
        for key, field in table.items():
            sec, _, name = key.partition(".")
            if not (sec and name and isinstance(field, Field)):
                raise ValueError(f"{owner}: PARAMS[{key!r}]: allowed is \"section.key\": Field(...)")
            if owner_of.setdefault(sec, owner) != owner:
                raise ValueError(f"{owner}: {key}: section {sec!r} is declared by {owner_of[sec]}; a section has one owner")
            if key in fields:
                raise ValueError(f"{owner}: {key}: declared twice")
            fields[key] = field
    return fields


#: Every parameter: "section.key" -> Field, gathered from their owners (``declarations``).
#: Defaults are the baseline scenario. The order is observable (``spread params``,
#: ``Params.to_dict``, sweep manifests' ``param.*`` columns): keep it.
FIELDS: dict[str, Field] = build_fields(declarations())

SECTIONS = tuple(dict.fromkeys(k.split(".")[0] for k in FIELDS))
#: Fields that name a file, resolved relative to the scenario file that sets them.
PATH_KEYS = ("network.file", "network.nodes")


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _name(key: Any) -> str:
    """A key as written in an error line: as is when plain, quoted when it holds line breaks or is long."""
    return key if isinstance(key, str) and key.isprintable() and len(key) <= 60 else _describe(key)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_week(v: Any) -> bool:
    """A whole number of weeks (an int, or a float with no fraction)."""
    return _is_number(v) and float(v).is_integer()


#: Control characters (tab and the C1 set included) and lone surrogates: no name, label or path holds them.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _check(where: str, key: str, value: Any) -> Any:
    """Validate one value against its field; return it normalised."""
    field = FIELDS[key]

    def bad(extra: str = "") -> ParameterError:
        return ParameterError(f"{where}: {key} = {_describe(value)}: allowed is {field.allowed()}{extra}")

    kind = field.kind
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad()
        if kind == "int":
            if isinstance(value, float):
                if not value.is_integer():
                    raise bad()
                value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise bad()
        if not (field.lo <= value <= field.hi):
            raise bad()
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad()
        return value
    if kind == "str":
        if not isinstance(value, str) or (field.hi is not None and len(value) > field.hi):
            raise bad()
        if _CONTROL.search(value):  # a label goes into figure titles, HTML and GraphML, which cannot show them
            raise bad(" without control characters")
        return value
    if kind == "choice":
        if value not in field.choices:
            raise bad()
        return value
    if kind == "str_list":
        if not isinstance(value, list) or any(v not in field.choices for v in value):
            raise bad()
        return list(value)
    if kind == "int_list":
        if not isinstance(value, list) or not all(_is_week(v) for v in value):
            raise bad()
        if not all(field.lo <= v <= field.hi for v in value):
            raise bad()
        return sorted(int(v) for v in value)
    if kind == "windows":
        if not isinstance(value, list):
            raise bad()
        out = []
        for w in value:
            if not isinstance(w, dict) or set(w) != {"start", "end", "level"}:
                raise bad()
            s, e, lv = w["start"], w["end"], w["level"]
            if not (_is_week(s) and _is_week(e) and _is_number(lv)):
                raise bad()
            if not (0 <= s < e and 0 <= lv <= 1):
                raise bad()
            out.append({"start": int(s), "end": int(e), "level": float(lv)})
        return out
    raise AssertionError(kind)  # pragma: no cover


class Section:
    """Read-only attribute view of one section of the tree."""

    __slots__ = ("_name", "_values")

    def __init__(self, name: str, values: Mapping[str, Any]):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_values", values)

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[f"{self._name}.{key}"]
        except KeyError:
            raise AttributeError(f"no parameter {self._name}.{key}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("parameters are frozen: use Params.with_values")


class Params:
    """A frozen, validated parameter tree. ``params.leadership.commitment``."""

    def __init__(self, values: Mapping[str, Any], source: str = "<defaults>", where: str | None = None):
        self._values = dict(values)
        self.source = source
        # a cross-field error caused by an override names the override (--set, a what-if), not only the file
        self._check_consistency(f"{where} applied to {source}" if where else source)

    # access -----------------------------------------------------------------
    def __getattr__(self, name: str) -> Section:
        if name in SECTIONS:
            return Section(name, self._values)
        raise AttributeError(name)

    def get(self, key: str) -> Any:
        """The value at a ``"section.key"`` path (a copy); ParameterError for an unknown key."""
        if key not in FIELDS:
            raise ParameterError(f"{self.source}: {_name(key)}: unknown key; allowed keys are {_known_hint(key)}")
        return copy.deepcopy(self._values[key])

    def flat(self) -> dict[str, Any]:
        """All values as a flat {"section.key": value} dict (a copy)."""
        return copy.deepcopy(self._values)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """All values as a nested {section: {key: value}} dict (a copy)."""
        out: dict[str, dict[str, Any]] = {}
        for key, value in self._values.items():
            sec, name = key.split(".", 1)
            out.setdefault(sec, {})[name] = copy.deepcopy(value)
        return out

    def with_values(self, values: Mapping[str, Any], where: str = "override") -> "Params":
        """A new validated tree with some values replaced."""
        new = dict(self._values)
        for key, value in values.items():
            if key not in FIELDS:
                raise ParameterError(f"{where}: {_name(key)} = {_describe(value)}: unknown key; allowed keys are {_known_hint(key)}")
            new[key] = _check(where, key, value)
        return Params(new, source=self.source, where=where)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Params) and self._values == other._values

    def __repr__(self) -> str:
        return f"Params({self.trust.name!r} from {self.source})"

    # cross-field rules ------------------------------------------------------
    def _check_consistency(self, src: str) -> None:
        v = self._values
        if v["organisation.unit_size_min"] > v["organisation.unit_size_max"]:
            raise ParameterError(f"{src}: organisation.unit_size_min = {v['organisation.unit_size_min']}: allowed is at most organisation.unit_size_max ({v['organisation.unit_size_max']})")
        if not v["organisation.unit_size_min"] <= v["organisation.unit_size_mean"] <= v["organisation.unit_size_max"]:
            raise ParameterError(f"{src}: organisation.unit_size_mean = {v['organisation.unit_size_mean']}: allowed is between unit_size_min and unit_size_max")
        frontline = v["organisation.staff"] - v["organisation.executive_team"]
        units = max(1, round(frontline / v["organisation.unit_size_mean"]))
        if units < v["organisation.directorates"]:
            raise ParameterError(f"{src}: organisation.directorates = {v['organisation.directorates']}: allowed is at most the number of units ({units} for {v['organisation.staff']} staff)")
        need = v["organisation.pathways"] * v["organisation.units_per_pathway"]
        if need > units:
            raise ParameterError(f"{src}: organisation.pathways = {v['organisation.pathways']}: allowed is pathways x units_per_pathway <= units ({units})")
        # Pathways take whole blocks of adjacent units inside one directorate
        # (model/organisation.py): count the blocks the directorates can hold.
        d = min(v["organisation.directorates"], units)
        per_dir = [int(x) for x in np.diff(np.linspace(0, units, d + 1).round())]
        upp = v["organisation.units_per_pathway"]
        if upp > max(per_dir):
            raise ParameterError(f"{src}: organisation.units_per_pathway = {upp}: allowed is at most the units in a directorate ({max(per_dir)})")
        blocks = sum(n // upp for n in per_dir)
        if v["organisation.pathways"] > blocks:
            raise ParameterError(f"{src}: organisation.pathways = {v['organisation.pathways']}: allowed is at most {blocks} "
                                 f"(pathways of {upp} adjacent units that fit in {d} directorates of {units} units)")
        if v["network.mode"] != "generated" and not v["network.file"]:
            raise ParameterError(f"{src}: network.file = '': allowed is an edge list .csv or a .graphml file when network.mode = {v['network.mode']!r}")
        if v["network.mode"] == "generated" and (v["network.file"] or v["network.nodes"]):
            key = "network.file" if v["network.file"] else "network.nodes"
            raise ParameterError(f"{src}: {key} = {_describe(v[key])}: allowed is '' when network.mode = 'generated' "
                                 "(set network.mode = 'whole' or 'surveyed' to import it)")
        if v["sustain.abandon_min"] > v["sustain.abandon_max"]:
            raise ParameterError(f"{src}: sustain.abandon_min = {v['sustain.abandon_min']}: allowed is at most sustain.abandon_max ({v['sustain.abandon_max']})")
        if len(v["measurement.pathway_scopes"]) > v["organisation.pathways"]:
            raise ParameterError(f"{src}: measurement.pathway_scopes = {_describe(v['measurement.pathway_scopes'])}: allowed is at most organisation.pathways ({v['organisation.pathways']}) entries")
        if v["outputs.survey_min_names"] > v["outputs.survey_max_names"]:
            raise ParameterError(f"{src}: outputs.survey_min_names = {v['outputs.survey_min_names']}: allowed is at most outputs.survey_max_names ({v['outputs.survey_max_names']})")
        total_w = v["sustain.reinforcement_weight"] + v["sustain.support_weight"] + v["sustain.recognition_weight"]
        if total_w > 1 + 1e-9:
            raise ParameterError(f"{src}: sustain.recognition_weight = {v['sustain.recognition_weight']}: allowed is reinforcement_weight + support_weight + recognition_weight <= 1 (now {total_w:g})")


def _known_hint(key: str) -> str:
    sec = key.split(".")[0]
    same = [k for k in FIELDS if k.startswith(sec + ".")]
    if same:
        return ", ".join(same)
    return "sections " + ", ".join(SECTIONS)


def defaults() -> Params:
    """The baseline scenario: every parameter at its default."""
    return Params({k: copy.deepcopy(f.default) for k, f in FIELDS.items()})


def parse_value(text: str) -> Any:
    """Parse the right-hand side of ``--set key=value`` as a TOML value (bare words are strings).

    Raises ParameterError (without naming the key; parse_override does) for a
    value nested deeper than ``inputs.MAX_NESTING``."""
    try:
        doc = inputs.parse_toml(f"v = {text}")
    except inputs.InputProblem as exc:
        if exc.problem.startswith("malformed"):
            return text
        raise ParameterError(f"--set: {_describe(text)}: {exc.problem}; allowed is {exc.allowed}") from None
    return doc["v"] if set(doc) == {"v"} else text


def parse_override(item: str) -> tuple[str, Any]:
    """``"section.key=value"`` -> (key, parsed value); a malformed item is one ParameterError line."""
    if "=" not in item:
        raise ParameterError(f"--set: {_describe(item)}: allowed is KEY=VALUE, e.g. leadership.commitment=0.9")
    key, text = item.split("=", 1)
    try:
        return key.strip(), parse_value(text.strip())
    except ParameterError:
        raise ParameterError(f"--set: {_describe(key.strip())} = {_describe(text.strip())}: tables or arrays nested "
                             f"more than {inputs.MAX_NESTING} deep; allowed is at most {inputs.MAX_NESTING} levels") from None


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario path, or the bundled scenario of that name."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists() or "/" in str(name_or_path):
        return p
    return SCENARIO_DIR / f"{name_or_path}.toml"


def bundled_scenarios() -> list[str]:
    """Names of the scenarios in scenarios/, sorted."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def read_toml(path: Path, kind: str = "scenario", folder: Path = SCENARIO_DIR,
              names: Callable[[], list[str]] = bundled_scenarios) -> dict[str, Any]:
    """Parse a scenario (or what-if) file; every failure is one ParameterError line."""
    if not path.is_file():
        why = inputs.not_a_file(path)
        if why is not None:
            raise ParameterError(f"{path}: {why}; allowed is a {kind} .toml file or a bundled name ({', '.join(names())})")
        if path.parent == folder:
            raise ParameterError(f"{path.stem}: no such {kind}; allowed are a .toml path or one of {', '.join(names())}")
        raise ParameterError(f"{path}: file not found; allowed is an existing {kind} .toml file or a bundled name ({', '.join(names())})")
    try:
        return inputs.load_toml_file(path)
    except inputs.InputProblem as exc:
        raise ParameterError(f"{path}: {exc.problem}; allowed is {exc.allowed}") from None


def flatten_sections(where: str, doc: Mapping[str, Any], top_level: tuple[str, ...] = ("extends", "description")) -> dict[str, Any]:
    """A parsed TOML document's ``[section] key = value`` as {"section.key": raw value}.

    ``top_level`` names the plain keys the file kind allows beside the
    sections; anything else unknown is one ParameterError line."""
    out: dict[str, Any] = {}
    for sec, body in doc.items():
        if sec in top_level:
            continue
        if sec not in SECTIONS:
            raise ParameterError(f"{where}: {_name(sec)} = {_describe(body)}: unknown section; allowed are {', '.join(top_level + SECTIONS)}")
        if not isinstance(body, dict):
            raise ParameterError(f"{where}: {sec} = {_describe(body)}: allowed is a table [{sec}]")
        for key, value in body.items():
            full = f"{sec}.{key}"
            if full not in FIELDS:
                raise ParameterError(f"{where}: {_name(full)} = {_describe(value)}: unknown key; allowed keys are {_known_hint(full)}")
            out[full] = value
    return out


def _resolved(path: Path, where: str) -> Path:
    try:
        return inputs.resolved(path)
    except inputs.InputProblem as exc:
        raise ParameterError(f"{where}: {exc.problem}; allowed is {exc.allowed}") from None


def _load_chain(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Values of ``path`` over those of the scenarios it extends.

    ``chain`` is the files that led here; an error in an extended file names
    that chain, since the user gave the first file, not this one."""
    where = f"{path} (extended by {' -> '.join(map(str, chain))})" if chain else str(path)
    doc = read_toml(path)
    flat = flatten_sections(where, doc)
    if not flat and "extends" not in doc:
        # an empty (or all-comment) file would silently run the defaults
        raise ParameterError(f"{where}: the file holds no settings; allowed is at least one [section] key = value "
                             f"or extends = \"scenario\" (`spread params` lists the keys)")
    values: dict[str, Any] = {}
    parent = doc.get("extends")
    if parent is not None:
        if not isinstance(parent, str):
            raise ParameterError(f"{where}: extends = {_describe(parent)}: allowed is a scenario name or path")
        local = [path.parent / parent, path.parent / f"{parent}.toml"]
        ppath = next((c for c in local if c.is_file()), resolve_path(parent))
        if not ppath.is_file():
            why = inputs.not_a_file(ppath)
            raise ParameterError(f"{where}: extends = {_describe(parent)}: "
                                 + (f"{ppath} is {why}; " if why else "")
                                 + f"allowed is a scenario .toml beside this file or a "
                                 f"bundled scenario ({', '.join(bundled_scenarios())})")
        here = chain + (path,)
        seen = {_resolved(p, where) for p in here}
        if _resolved(ppath, where) in seen:
            loop = " -> ".join(map(str, here + (ppath,)))
            raise ParameterError(f"{where}: extends = {_describe(parent)}: allowed is a scenario that does not "
                                 f"extend itself (here {loop})")
        if len(here) >= inputs.MAX_CHAIN:
            raise ParameterError(f"{where}: extends = {_describe(parent)}: allowed is a chain of at most "
                                 f"{inputs.MAX_CHAIN} files extending one another")
        values.update(_load_chain(ppath, here))
    for key, value in flat.items():
        values[key] = _check(where, key, value)
        if key in PATH_KEYS and values[key] and not Path(values[key]).is_absolute():
            # a network file is named relative to the scenario file that names it
            values[key] = str(path.parent / values[key])
    return values


def load_scenario(name_or_path: str | Path = "baseline", overrides: Iterable[str] | Mapping[str, Any] = ()) -> Params:
    """Load, validate and return a scenario, with optional ``key=value`` overrides."""
    path = resolve_path(name_or_path)
    values = {k: copy.deepcopy(f.default) for k, f in FIELDS.items()}
    values.update(_load_chain(path))
    params = Params(values, source=str(path))
    if isinstance(overrides, Mapping):
        pairs = dict(overrides)
    else:
        pairs, given = {}, {}
        for item in overrides:
            key, value = parse_override(item)
            if key in pairs:
                # the last would silently win and the first never be checked
                raise ParameterError(f"--set: {_name(key)}: given twice ({_describe(given[key])} and {_describe(item)}); "
                                     "allowed is each key once")
            pairs[key], given[key] = value, item
    if pairs:
        params = params.with_values(pairs, where="--set")
    return params
