"""Property: whatever a scenario, what-if or experiment file or a ``--set`` holds, the loader
returns a valid parameter set (or experiment) or raises its one error type with a message of
one line per problem -- never another exception (issue 9).

Documents are random nested tables, arrays and scalars written out as TOML by the tiny
serialiser below, mixed with near-valid ones (real keys with real or mutated values, so the
valid path is taken often) and raw text and bytes. Each test also checks that both outcomes
really happened, so a generator that drifts to all-invalid input fails loudly.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model.sweeps.design import ExperimentError, load_experiment
from model.params import FIELDS, SECTIONS, ParameterError, Params, load_scenario
from model.whatif.files import OPS, WhatIf, load_whatif

#: derandomize: the same 200 examples every run (a test of our inputs must not pass or fail by chance; the
#: counts of valid and refused documents each property asserts are then fixed too). To hunt for new
#: failures, run with a larger max_examples and derandomize off (3,000 each found the U+001E case below).
SETTINGS = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- a tiny TOML writer -----------------------------------------------------------------

def toml_str(s: str) -> str:
    """A TOML basic string: quote, backslash and the control characters escaped, everything else as it is.

    (json.dumps is not one: it writes a character outside the BMP as a surrogate pair of escapes, which
    TOML refuses, so most random texts made malformed files and few documents reached the checks.) A
    lone surrogate stays as it is: encoded with surrogatepass it makes a file that is not UTF-8, one of
    the bad inputs on purpose."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{toml_str(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def toml_doc(doc: dict) -> str:
    plain = [f"{toml_str(k)} = {toml_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    tables = [f"[{toml_str(k)}]\n" + "".join(f"{toml_str(kk)} = {toml_value(vv)}\n" for kk, vv in v.items())
              for k, v in doc.items() if isinstance(v, dict)]
    return "\n".join(plain) + "\n" + "\n".join(tables)


# --- strategies ---------------------------------------------------------------------------

scalars = (st.booleans() | st.integers(-10, 100) | st.integers() | st.floats(-10, 10)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=12)


@st.composite
def deep(draw):
    """A value nested either side of the bound (20) and of tomllib's stack (about 330 levels)."""
    n = draw(st.sampled_from([1, 2, 19, 20, 21, 100, 400, 3000]))
    return "[" * n + "1" + "]" * n if draw(st.booleans()) else "{a = " * n + "1" + "}" * n


@st.composite
def field_value(draw, key: str):
    """A value for a real key: often valid, sometimes just outside, sometimes anything."""
    f = FIELDS[key]
    choice = draw(st.integers(0, 11))
    if choice < 6:
        return f.default
    if choice < 9 and f.kind in ("int", "float"):
        lo, hi = f.lo, f.hi
        if f.kind == "int":
            return draw(st.integers(int(lo) - 1, int(hi) + 1))
        return draw(st.floats(lo - 0.1, hi + 0.1))
    if choice < 9 and f.kind == "choice":
        return draw(st.sampled_from(f.choices + ("nope",)))
    if choice < 9 and f.kind == "str":
        return draw(st.text(max_size=300))
    return draw(values)


@st.composite
def scenario_doc(draw) -> dict:
    doc: dict = {}
    for key in draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, max_size=5, unique=True)):
        sec, name = key.split(".", 1)
        doc.setdefault(sec, {})[name] = draw(field_value(key))
    if draw(st.integers(0, 15)) == 0:  # a stray section or key
        doc.setdefault(draw(st.sampled_from(SECTIONS) | st.text(max_size=8)), {})[draw(st.text(max_size=8))] = draw(values)
    if draw(st.integers(0, 15)) == 0:
        doc[draw(st.text(max_size=8))] = draw(values)
    if draw(st.integers(0, 7)) == 0:
        doc["extends"] = draw(st.sampled_from(["baseline-teaching", "in", "nope"]) | values)
    return doc


@st.composite
def toml_text(draw, docs) -> bytes:
    """Mostly a serialised document; sometimes deep nesting, raw text or raw bytes."""
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    text = toml_doc(draw(docs))
    if kind == 2:
        text += f"\n[leadership]\npressure = {draw(deep())}\n"
    return text.encode("utf-8", "surrogatepass")


@st.composite
def set_item(draw) -> str:
    key = draw(st.sampled_from(sorted(FIELDS)) if draw(st.integers(0, 5)) else st.text(max_size=20))
    kind = draw(st.integers(0, 9))
    if kind < 7 and key in FIELDS:
        value = toml_value(draw(field_value(key)))
    elif kind < 8:
        value = draw(st.text(max_size=30))
    else:
        value = draw(deep())
    return f"{key}={value}" if draw(st.integers(0, 15)) else key


def one_line(msg: str) -> None:
    assert msg and len(msg.splitlines()) == 1 and msg == msg.strip(), repr(msg)


# --- the properties -------------------------------------------------------------------------


def test_scenario_files_and_set_overrides(tmp_path):
    seen = Counter()

    @SETTINGS
    @given(text=toml_text(scenario_doc()), sets=st.lists(set_item(), max_size=2))
    def prop(text, sets):
        f = tmp_path / "in.toml"
        f.write_bytes(text)
        try:
            p = load_scenario(f, overrides=sets)
        except ParameterError as e:
            one_line(str(e))
            seen["refused"] += 1
        else:
            assert isinstance(p, Params) and p.with_values(p.flat()) == p  # every value passes its check again
            seen["valid"] += 1

    prop()
    assert seen["valid"] >= 10 and seen["refused"] >= 20, seen


@st.composite
def whatif_doc(draw) -> dict:
    if draw(st.integers(0, 2)) == 0:  # a plausible what-if: a description and real keys set inside their ranges
        doc: dict = {"description": "A change."}
        floats = sorted(k for k, f in FIELDS.items() if f.kind == "float")
        for key in draw(st.lists(st.sampled_from(floats), min_size=1, max_size=3, unique=True)):
            f = FIELDS[key]
            sec, name = key.split(".", 1)
            doc.setdefault(sec, {})[name] = draw(st.floats(f.lo, f.hi))
        return doc
    doc = draw(scenario_doc())
    doc.pop("extends", None)
    for sec, body in doc.items():
        if isinstance(body, dict):
            for k in list(body):
                if draw(st.integers(0, 3)) == 0:
                    body[k] = {draw(st.sampled_from(OPS + ("plus",))): draw(scalars)}
    if draw(st.integers(0, 9)):
        doc["description"] = draw(st.sampled_from(["A change."]) | st.text(max_size=40))
    if draw(st.integers(0, 5)) == 0:
        doc[draw(st.sampled_from(["title", "source", "include"]))] = draw(values)
    return doc


def test_what_if_files(tmp_path):
    seen = Counter()

    @SETTINGS
    @given(text=toml_text(whatif_doc()))
    def prop(text):
        f = tmp_path / "w.toml"
        f.write_bytes(text)
        try:
            w = load_whatif(f)
        except ParameterError as e:
            one_line(str(e))
            seen["refused"] += 1
        else:
            assert isinstance(w, WhatIf) and w.changes
            seen["valid"] += 1

    prop()
    assert seen["valid"] >= 10 and seen["refused"] >= 20, seen


BASE_EXPERIMENT = {
    "name": "prop", "scenario": "baseline-teaching", "seed": 1, "reps": 2, "weeks": 10, "sampler": "grid",
    "vary": {"leadership.commitment": {"range": [0.2, 0.9], "n": 3}, "network.reciprocity": {"levels": [0.3, 0.6]}},
}
TOP_VALUES = {
    "sampler": st.sampled_from(["grid", "lhs", "sobol", "morris", "points", "random"]),
    "samples": st.sampled_from([1, 2, 4, 8, 3]) | st.integers(),
    "reps": st.integers(-1, 5) | st.integers(),
    "weeks": st.integers(-1, 30) | st.integers(),
    "engine": st.sampled_from(["model", "model.sweep_engine", ".x", "os"]),
    "seed_scope": st.sampled_from(["run", "replicate", "x"]),
    "morris_levels": st.sampled_from([4, 6, 5]) | st.integers(),
    "analyses": st.sampled_from([{"summary": True}, {"regime_map": {"x": "leadership.commitment",
                                                                   "y": "network.reciprocity"}}, {"prim": {}}]),
}


@st.composite
def experiment_doc(draw) -> dict:
    doc = json.loads(json.dumps(BASE_EXPERIMENT))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.integers(0, 5))
        if op == 0 and doc:
            doc.pop(draw(st.sampled_from(sorted(doc))))
        elif op == 1:
            key = draw(st.sampled_from(sorted(TOP_VALUES)))
            doc[key] = draw(TOP_VALUES[key])
        elif op == 2:
            key = draw(st.sampled_from(sorted(FIELDS)))
            doc.setdefault("vary", {})[key] = draw(
                st.fixed_dictionaries({"levels": st.lists(field_value(key), min_size=1, max_size=3)})
                | st.fixed_dictionaries({"range": st.lists(scalars, min_size=2, max_size=2), "n": st.integers(-1, 4)})
                | values)
        elif op == 3:
            key = draw(st.sampled_from(sorted(FIELDS)))
            doc.setdefault("set", {})[key] = draw(field_value(key))
        elif op == 4:
            doc[draw(st.sampled_from(["name", "scenario", "description", "outcomes", "weekly", "points"])
                     | st.text(max_size=6))] = draw(values)
        else:
            doc["points"] = [{"name": f"q{i}", "values": {k: draw(field_value(k))}}
                             for i, k in enumerate(draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=3)))]
            doc["sampler"] = "points"
            doc.pop("vary", None)
    return doc


def test_experiment_files(tmp_path):
    seen = Counter()

    @SETTINGS
    @given(text=toml_text(experiment_doc()))
    def prop(text):
        f = tmp_path / "e.toml"
        f.write_bytes(text)
        try:
            e = load_experiment(f)
        except ExperimentError as err:
            assert err.lines
            for line in err.lines:
                one_line(line)
                assert line.startswith(str(f)), line
            seen["refused"] += 1
        else:
            assert e.n_runs >= 1 and e.points
            seen["valid"] += 1

    prop()
    assert seen["valid"] >= 10 and seen["refused"] >= 20, seen


@pytest.mark.parametrize("text", ["x = [" * 2000, "a" + ".a" * 3000 + " = 1", "\x00\x01", "[a]\n[a]\n",
                                  '[leadership]\n"commit\\nment" = 1\n', '"lead\\nership" = 1\n',
                                  # found by test_experiment_files: a key holding a record separator (U+001E), which
                                  # str.splitlines breaks on, came back raw in an error line's allowed list
                                  'name = "prop"\nscenario = "baseline-teaching"\nseed = 1\nreps = 2\nweeks = 10\n'
                                  'sampler = "points"\npoints = [{name = "q0", values = {"exchange.adoption_rate" = '
                                  '{"\\u001e" = false}}}]\n[analyses]\nregime_map = {x = "leadership.commitment", '
                                  'y = "network.reciprocity"}\n'])
def test_known_nasty_texts(tmp_path, text):
    f = tmp_path / "in.toml"
    f.write_text(text)
    for load, err in ((load_scenario, ParameterError), (load_whatif, ParameterError), (load_experiment, ExperimentError)):
        with pytest.raises(err) as info:
            load(f)
        for line in getattr(info.value, "lines", [str(info.value)]):
            one_line(line)
