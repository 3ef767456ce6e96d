"""Hostile input to every command: one line on stderr, exit 2, no traceback, nothing written (issue 24).

Each row of ``CASES`` is ``(id, setup, argv, needle)``: ``setup(folder)``
writes what the case needs into the test's folder, which is the current
folder during the call; the call must return 2, print exactly one line on
stderr that contains ``needle`` and no traceback, and leave the folder as
``setup`` left it. The calls run in this process (``model.cli.main``);
only a real signal or a real ``/dev/full`` goes through a subprocess.
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from model.cli import main
from conftest import tiny_calibration  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

#: Fast run options: one short replicate in this process.
R = ["--reps", "2", "--weeks", "3", "--workers", "1"]

#: A calibration file small enough to validate in milliseconds (tests/test_calibrate.py's TINY).
TINY_CAL = tiny_calibration(patterns=False)

#: A sweep of two short runs of a 200-person trust.
SWEEP = '''name = "sw"
scenario = "sash-teaching"
seed = 1
reps = 1
weeks = 3
sampler = "grid"
[set]
"organisation.staff" = 200
[vary."leadership.commitment"]
levels = [0.4, 0.7]
'''

#: A scenario whose whole network is the files beside it.
WHOLE = 'extends = "baseline"\n[organisation]\npathways = 1\n[network]\nmode = "whole"\nfile = "{file}"\n{nodes}'

NODES = "id,unit,directorate,role,pathway\n{first},u1,d1,,p1\nc,u1,d1,chief executive,\n"


def write(path: str, content: str | bytes) -> Callable[[Path], None]:
    """A setup that writes one file (bytes as they are)."""
    def setup(d: Path) -> None:
        p = d / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content) if isinstance(content, bytes) else p.write_text(content)
    return setup


def both(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(d: Path) -> None:
        for s in setups:
            s(d)
    return setup


def mkdir(path: str) -> Callable[[Path], None]:
    return lambda d: (d / path).mkdir(parents=True)


def symlink(path: str, to: str) -> Callable[[Path], None]:
    return lambda d: (d / path).symlink_to(to if to.startswith("/") else d / to)


# --- a finished calibration folder, as `spread run --posterior` reads it -------------------------------

def posterior(weights=(0.5, 0.5), values=(0.2, 0.3), column="exchange.threshold", parameters=None,
              scenarios=None, parquet: bytes | None = None) -> Callable[[Path], None]:
    """A setup writing ``cal/``: a calibrate run.json (status finished) and posterior.parquet."""
    def setup(d: Path) -> None:
        f = d / "cal"
        f.mkdir()
        manifest = {"tool": "improvement-spread", "command": "calibrate", "status": "finished",
                    "files": ["posterior.parquet"],
                    "scenarios": scenarios if scenarios is not None else {"small": {"scenario": "sash-teaching"}},
                    "parameters": parameters if parameters is not None else
                    [{"name": "exchange.threshold", "key": "exchange.threshold", "scenarios": []}]}
        (f / "run.json").write_text(json.dumps(manifest))
        if parquet is not None:
            (f / "posterior.parquet").write_bytes(parquet)
        else:
            pd.DataFrame({column: list(values), "weight": list(weights)}).to_parquet(f / "posterior.parquet")
    return setup


POST = ["run", "sash-teaching", "--posterior", "cal", "--draws", "2", "--out", "o"] + R


# --- a finished sweep, made once per module and copied into each case that needs one -------------------

_SWEEP_DONE: dict[str, Path] = {}


def sweep_copy(damage: Callable[[Path], None]) -> Callable[[Path], None]:
    """A setup copying a finished two-run sweep into ``s/`` and damaging it."""
    def setup(d: Path) -> None:
        shutil.copytree(_SWEEP_DONE["folder"], d / "s", symlinks=True)
        (d / "e.toml").write_text(SWEEP)
        damage(d / "s")
    return setup


@pytest.fixture(scope="module", autouse=True)
def finished_sweep(tmp_path_factory):
    base = tmp_path_factory.mktemp("sweep")
    (base / "e.toml").write_text(SWEEP)
    assert main(["sweep", str(base / "e.toml"), "--out", str(base / "s"), "--workers", "1", "--no-analyse"]) == 0
    _SWEEP_DONE["folder"] = base / "s"
    yield
    _SWEEP_DONE.clear()


def _part(s: Path) -> Path:
    return sorted((s / "runs").glob("part-*.parquet"))[0]


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[:300])


def _manifest(edit: Callable[[dict], object] = lambda m: None, replace: object = None) -> Callable[[Path], None]:
    """A damage: the sweep's manifest edited in place by ``edit``, or replaced by ``replace``."""
    def damage(s: Path) -> None:
        m = json.loads((s / "manifest.json").read_text())
        edit(m)
        (s / "manifest.json").write_text(json.dumps(m if replace is None else replace))
    return damage


# --- network files ----------------------------------------------------------------------------------

def _graphml(nodes: str, edges: str, keys: str = "") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
            '<key id="d0" for="node" attr.name="unit" attr.type="string"/>\n'
            '<key id="d1" for="node" attr.name="directorate" attr.type="string"/>\n'
            '<key id="d3" for="node" attr.name="role" attr.type="string"/>\n'
            '<key id="d4" for="node" attr.name="pathway" attr.type="string"/>\n' + keys +
            f'<graph edgedefault="directed">\n{nodes}{edges}</graph></graphml>\n')


TWO_NODES = ('<node id="a"><data key="d0">u1</data><data key="d1">d1</data><data key="d4">p1</data></node>\n'
             '<node id="c"><data key="d3">chief executive</data></node>\n')
WEIGHT_KEY = '<key id="d2" for="edge" attr.name="weight" attr.type="double"/>\n'


def _big_nodes(n: int) -> str:
    rows = "".join(f"p{i},u{i // 20},d{i // 2000},,\n" for i in range(1, n))
    return "id,unit,directorate,role,pathway\np0,,,chief executive,\n" + rows


def _big_graphml(n: int) -> str:
    return _graphml("".join(f'<node id="p{i}"/>\n' for i in range(n)), "")


def _utf16_with_dtd() -> bytes:
    doc = ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE graphml [<!ENTITY x "xxxxxxxx">]>\n'
           + _graphml(TWO_NODES.replace(">u1<", ">&x;<"), "").split("\n", 1)[1])
    return doc.encode("utf-16-le")  # no byte-order mark


def _whole(file: str, nodes: str | None = None) -> str:
    return WHOLE.format(file=file, nodes=f'nodes = "{nodes}"\n' if nodes else "")


CASES = [
    # --- --posterior DIR: a damaged or hand-edited calibration folder -----------------------------------
    ("posterior NaN weight", posterior(weights=(math.nan, 0.5)), POST, "weight = nan"),
    ("posterior negative weight", posterior(weights=(-1.0, 0.5)), POST, "weight = -1"),
    ("posterior infinite weight", posterior(weights=(math.inf, 0.5)), POST, "weight = inf"),
    ("posterior all-zero weights", posterior(weights=(0.0, 0.0)), POST, "the weights sum to 0"),
    ("posterior weights overflow", posterior(weights=(1e308, 1e308)), POST, "the weights sum to inf"),
    ("posterior no particles", posterior(weights=(), values=()), POST, "holds 0 particles"),
    ("posterior missing column", posterior(column="other"), POST, "has no column 'exchange.threshold'"),
    ("posterior text column", posterior(values=("a", "b")), POST, "exchange.threshold = 'a'"),
    ("posterior NaN value", posterior(values=(math.nan, 0.3)), POST, "exchange.threshold = nan"),
    ("posterior value out of range", posterior(values=(5.0, 7.0)), POST,
     "posterior.parquet: exchange.threshold = 5 (row 0, sets exchange.threshold); allowed is a number from 0 to 1"),
    ("posterior garbage parquet", posterior(parquet=b"garbage bytes"), POST, "cannot be read as Parquet"),
    ("posterior empty parquet", posterior(parquet=b""), POST, "cannot be read as Parquet"),
    ("posterior unknown key", posterior(parameters=[{"name": "exchange.threshold", "key": "exchange.nonsense",
                                                    "scenarios": []}]), POST, "unknown parameter"),
    ("posterior key not numeric", posterior(parameters=[{"name": "exchange.threshold", "key": "trust.label",
                                                        "scenarios": []}]), POST, "(a str)"),
    ("posterior parameters not a list", posterior(parameters="hello"), POST, "parameters = 'hello'"),
    ("posterior parameter not a table", posterior(parameters=[3]), POST, "parameters[0] = '3'"),
    ("posterior scenarios not a table", posterior(scenarios=[1]), POST, "scenarios = '[1]'"),
    ("posterior not a calibration", write("cal/run.json", "{}"), POST, "not a `spread calibrate` folder"),
    ("posterior a file", write("cal", "x"), POST, "not a `spread calibrate` folder"),
    ("compare posterior NaN weight", posterior(weights=(math.nan, 0.5)),
     ["compare", "sash-teaching", "--what-if", "peer-learning-first", "--posterior", "cal", "--out", "o"] + R,
     "weight = nan"),

    # --- calibrate: files that passed validation, then crashed in pyabc with a folder left ----------------
    ("calibrate two weights 1e308", write("c.toml", TINY_CAL.replace("scale = 0.05\n", "scale = 0.05\nweight = 1e308\n")),
     ["calibrate", "c.toml", "--out", "o"], "weight = 1e+308: allowed is a number from 0 to 1e+06"),
    ("calibrate weight inf", write("c.toml", TINY_CAL.replace("scale = 0.05\n", "scale = 0.05\nweight = inf\n")),
     ["calibrate", "c.toml", "--out", "o"], "weight = inf"),
    ("calibrate every fitted weight 0", write("c.toml", TINY_CAL.replace("scale = 0.05\n", "scale = 0.05\nweight = 0\n")),
     ["calibrate", "c.toml", "--out", "o"], "every fitted target has weight = 0"),
    ("calibrate survey after the horizon, weight 0",
     write("c.toml", TINY_CAL + '[[targets]]\nscenario = "small"\nsurvey = "reciprocity_pairs"\nobserved = 0.3\nweight = 0\n'),
     ["calibrate", "c.toml", "--out", "o"], "the survey is taken in week 130, but scenario small runs 52 weeks"),
    ("calibrate series read after the horizon",
     write("c.toml", TINY_CAL + '[[targets]]\nscenario = "small"\nseries = "reach"\nstatistic = "at"\nweek = 60\n'
                                'observed = 0.2\n'),
     ["calibrate", "c.toml", "--out", "o"], "week = 60, but scenario small runs 52 weeks"),
    ("calibrate scale 1e-320", write("c.toml", TINY_CAL.replace("scale = 0.05", "scale = 1e-320")),
     ["calibrate", "c.toml", "--out", "o"], "scale = 1e-320"),
    ("calibrate observed 1e308", write("c.toml", TINY_CAL.replace("observed = 0.6", "observed = 1e308")),
     ["calibrate", "c.toml", "--out", "o"], "observed = 1e+308"),
    ("calibrate at_most -1e300", write("c.toml", TINY_CAL.replace("at_most = -0.1", "at_most = -1e300")),
     ["calibrate", "c.toml", "--out", "o"], "at_most = -1e+300"),
    ("calibrate unusable network file",
     both(write("net/edges.csv", "source,target\na,zz\n"), write("net/nodes.csv", NODES.format(first="a")),
          write("net/bad.toml", _whole("edges.csv", "nodes.csv")),
          write("c.toml", TINY_CAL.replace('{ scenario = "sash-teaching", set = { "organisation.staff" = 300 } }',
                                           '{ scenario = "net/bad.toml" }'))),
     ["calibrate", "c.toml", "--out", "o"], "target = 'zz': allowed is a node id listed in"),
    ("calibrate empty file", write("c.toml", ""), ["calibrate", "c.toml"], "scenarios: missing"),
    ("calibrate binary file", write("c.toml", b"\x00\x01\xff"), ["calibrate", "c.toml"], "c.toml"),
    ("calibrate a folder", mkdir("c.toml"), ["calibrate", "c.toml"], "a folder, not a file"),
    ("calibrate seed negative", write("c.toml", TINY_CAL.replace("seed = 5", "seed = -5")), ["calibrate", "c.toml"],
     "seed = -5"),
    ("calibrate population huge", write("c.toml", TINY_CAL.replace("population = 6", "population = 10000000")),
     ["calibrate", "c.toml"], "population = 10000000"),
    ("calibrate interval NaN", write("c.toml", TINY_CAL.replace("observed = 0.6", "interval = [nan, 1]")),
     ["calibrate", "c.toml"], "interval = [nan, 1]"),
    ("calibrate resume nothing", write("c.toml", TINY_CAL), ["calibrate", "c.toml", "--out", "o", "--resume"],
     "nothing to resume"),
    ("calibrate out is a file", both(write("c.toml", TINY_CAL), write("o", "x")), ["calibrate", "c.toml", "--out", "o"],
     "is a file"),
    ("calibrate workers 0", write("c.toml", TINY_CAL), ["calibrate", "c.toml", "--workers", "0"], "--workers"),

    # --- sweep and analyse -----------------------------------------------------------------------------
    ("sweep unusable network file",
     both(write("edges.csv", "source,target\na,zz\n"), write("nodes.csv", NODES.format(first="a")),
          write("bad.toml", _whole("edges.csv", "nodes.csv")),
          write("e.toml", SWEEP.replace('scenario = "sash-teaching"', 'scenario = "bad.toml"')
                .replace('[set]\n"organisation.staff" = 200\n', ""))),
     ["sweep", "e.toml", "--out", "o", "--workers", "1"], "allowed is a node id listed in"),
    ("sweep --resume, garbage part", sweep_copy(lambda s: _part(s).write_bytes(b"garbage")),
     ["sweep", "e.toml", "--out", "s", "--resume", "--workers", "1", "--no-analyse"], "not a readable Parquet part"),
    ("sweep --resume, truncated part", sweep_copy(lambda s: _truncate(_part(s))),
     ["sweep", "e.toml", "--out", "s", "--resume", "--workers", "1", "--no-analyse"], "not a readable Parquet part"),
    ("analyse truncated part", sweep_copy(lambda s: _truncate(_part(s))), ["analyse", "s"], "not a readable Parquet part"),
    ("analyse manifest not JSON", sweep_copy(lambda s: (s / "manifest.json").write_text('{"tool": ')),
     ["analyse", "s"], "not readable JSON"),
    ("analyse manifest a list", sweep_copy(_manifest(replace=[1, 2])), ["analyse", "s"], "holds a list"),
    ("analyse manifest experiment a string", sweep_copy(_manifest(lambda m: m.update(experiment="x"))),
     ["analyse", "s"], 'experiment = "x"'),
    ("analyse manifest without sampler", sweep_copy(_manifest(lambda m: m["experiment"].pop("sampler"))),
     ["analyse", "s"], "experiment.sampler = null"),
    ("analyse manifest analyses a list", sweep_copy(_manifest(lambda m: m.update(analyses=[1]))),
     ["analyse", "s"], "analyses = [1]"),
    ("analyse manifest binary", write("o/manifest.json", b"\xff\x00\x01"), ["analyse", "o"], "not readable JSON"),
    ("analyse manifest a folder", mkdir("o/manifest.json"), ["analyse", "o"], "no manifest.json"),
    ("analyse empty folder", mkdir("o"), ["analyse", "o"], "no manifest.json"),
    ("analyse a file", write("o", "x"), ["analyse", "o"], "no manifest.json"),
    ("sweep empty file", write("e.toml", ""), ["sweep", "e.toml"], "scenario"),
    ("sweep binary file", write("e.toml", b"\xff\xfe\x00"), ["sweep", "e.toml"], "not UTF-8"),
    ("sweep a folder", mkdir("e.toml"), ["sweep", "e.toml"], "a folder"),
    ("sweep reps huge", write("e.toml", SWEEP.replace("reps = 1", "reps = 100000000")), ["sweep", "e.toml"], "reps"),
    ("sweep levels NaN", write("e.toml", SWEEP.replace("levels = [0.4, 0.7]", "levels = [nan]")), ["sweep", "e.toml"],
     "nan"),
    ("sweep name with a control character", write("e.toml", SWEEP.replace('name = "sw"', 'name = "s\\u0001w"')),
     ["sweep", "e.toml", "--workers", "1"], "control characters"),
    ("sweep --flush-every NaN", write("e.toml", SWEEP), ["sweep", "e.toml", "--flush-every", "nan"], "--flush-every"),
    ("sweep --flush-every negative", write("e.toml", SWEEP), ["sweep", "e.toml", "--flush-every", "-5"], "--flush-every"),
    ("sweep --batch -1", write("e.toml", SWEEP), ["sweep", "e.toml", "--batch", "-1"], "--batch"),
    ("sweep --resume and --overwrite", write("e.toml", SWEEP), ["sweep", "e.toml", "--resume", "--overwrite", "--out", "o"],
     "--resume and --overwrite"),
    ("sweep out is a file", both(write("e.toml", SWEEP), write("o", "x")), ["sweep", "e.toml", "--out", "o"], "is a file"),

    # --- bytes that are not UTF-8, labels with control characters, bounds -------------------------------
    ("run --out not UTF-8", None, ["run", "sash-teaching", "--out", "bad\udcffname"] + R, "byte 0xff"),
    ("run --set label not UTF-8", None, ["run", "sash-teaching", "--set", "trust.label=ab\udcff"] + R, "byte 0xff"),
    ("run scenario path not UTF-8", None, ["run", "x\udcfe.toml"] + R, "byte 0xfe"),
    ("sweep --out not UTF-8", write("e.toml", SWEEP), ["sweep", "e.toml", "--out", "\udcff"], "byte 0xff"),
    ("network --out not UTF-8", None, ["network", "sash-teaching", "--out", "\udcff.csv"], "byte 0xff"),
    ("params section not UTF-8", None, ["params", "x\udcff"], "byte 0xff"),
    ("run label with a control character", None, ["run", "sash-teaching", "--set", "trust.label=a\x01b"] + R,
     "without control characters"),
    ("run label with NUL", None, ["run", "sash-teaching", "--set", "trust.label=a\x00b"] + R,
     "without control characters"),
    ("run label with a control character in the file",
     write("s.toml", 'extends = "baseline"\n[trust]\nlabel = "a\\u0007b"\n'), ["run", "s.toml"] + R,
     "without control characters"),
    ("run label too long", None, ["run", "sash-teaching", "--set", "trust.label=" + "x" * 500] + R, "200 characters"),
    ("run --seed 10**40", None, ["run", "sash-teaching", "--seed", "1" + "0" * 40] + R, "2**63 - 1"),
    ("run --seed negative", None, ["run", "sash-teaching", "--seed", "-1"] + R, "--seed"),
    ("run --reps 0", None, ["run", "sash-teaching", "--reps", "0"], "--reps"),
    ("run --reps 10**20", None, ["run", "sash-teaching", "--reps", "99999999999999999999"], "--reps"),
    ("run --weeks text", None, ["run", "sash-teaching", "--weeks", "ten"], "--weeks"),
    ("run --workers 0", None, ["run", "sash-teaching", "--workers", "0"], "--workers"),
    ("run staff 1e9", None, ["run", "sash-teaching", "--set", "organisation.staff=1e9"] + R, "organisation.staff"),
    ("run staff negative", None, ["run", "sash-teaching", "--set", "organisation.staff=-5"] + R, "organisation.staff"),
    ("run commitment NaN", None, ["run", "sash-teaching", "--set", "leadership.commitment=nan"] + R, "= nan"),
    ("run --set without =", None, ["run", "sash-teaching", "--set", "trust.label"] + R, "KEY=VALUE"),
    ("run --set unknown key", None, ["run", "sash-teaching", "--set", "a.b=1"] + R, "unknown key"),
    ("run --set list unclosed", None, ["run", "sash-teaching", "--set", "leadership.ceo_changes=[1,"] + R, "ceo_changes"),
    ("run unknown option", None, ["run", "sash-teaching", "--frobnicate"], "--frobnicate"),

    # --- scenario files ---------------------------------------------------------------------------------
    ("run empty scenario", write("e.toml", ""), ["run", "e.toml"] + R, "holds no settings"),
    ("run binary scenario", write("b.toml", b"\x00\xff\xfe"), ["run", "b.toml"] + R, "not UTF-8"),
    ("run scenario a folder", mkdir("x.toml"), ["run", "x.toml"] + R, "a folder"),
    ("run scenario duplicate key", write("d.toml", 'extends = "baseline"\n[run]\nweeks = 3\nweeks = 4\n'),
     ["run", "d.toml"] + R, "malformed TOML"),
    ("run scenario extends itself", write("s.toml", 'extends = "s.toml"\n'), ["run", "s.toml"] + R, "extend itself"),
    ("run scenario nested 100 deep", write("n.toml", "a = " + "[" * 100 + "]" * 100 + "\n"), ["run", "n.toml"] + R,
     "nested more than 20"),
    ("run scenario symlink loop", symlink("l.toml", "l.toml"), ["run", "l.toml"] + R, "l.toml"),
    ("run no such scenario", None, ["run", "nosuch"] + R, "no such scenario"),
    ("run --out a file", write("f", "x"), ["run", "sash-teaching", "--out", "f"] + R, "is a file"),
    ("run --out under a file", write("f", "x"), ["run", "sash-teaching", "--out", "f/sub"] + R, "f/sub"),
    ("run --out a symlink loop", symlink("l", "l"), ["run", "sash-teaching", "--out", "l"] + R, "symbolic link"),
    ("run --out .", None, ["run", "sash-teaching", "--out", "."] + R, "current folder"),

    # --- network files: imported, and exported -----------------------------------------------------------
    ("network GraphML weight NaN",
     both(write("n.graphml", _graphml(TWO_NODES, '<edge source="a" target="c"><data key="d2">NaN</data></edge>\n',
                                      WEIGHT_KEY)), write("n.toml", _whole("n.graphml"))),
     ["network", "n.toml", "--out", "x.csv"], '<edge source="a" target="c">: weight = \'NaN\''),
    ("network GraphML default weight NaN",
     both(write("n.graphml", _graphml(TWO_NODES, '<edge source="a" target="c"/>\n',
                                      WEIGHT_KEY.replace("/>", "><default>nan</default></key>"))),
          write("n.toml", _whole("n.graphml"))),
     ["network", "n.toml", "--out", "x.csv"], "<default>: weight = 'nan'"),
    ("network CSV weight nan",
     both(write("e.csv", "source,target,weight\na,c,nan\n"), write("nodes.csv", NODES.format(first="a")),
          write("n.toml", _whole("e.csv", "nodes.csv"))),
     ["network", "n.toml", "--out", "x.csv"], "weight = 'nan'"),
    ("network UTF-16 GraphML without BOM, with a DTD",
     both(write("n.graphml", _utf16_with_dtd()), write("n.toml", _whole("n.graphml"))),
     ["network", "n.toml", "--out", "x.csv"], "a NUL byte at offset 1"),
    ("network 60,001 people in a node table",
     both(write("e.csv", "source,target\np0,p1\n"), write("nodes.csv", _big_nodes(60_001)),
          write("n.toml", _whole("e.csv", "nodes.csv"))),
     ["network", "n.toml", "--out", "x.csv"], "more than 60,000 rows"),
    ("network 60,001 people in GraphML", both(write("n.graphml", _big_graphml(60_001)), write("n.toml", _whole("n.graphml"))),
     ["network", "n.toml", "--out", "x.csv"], "more than 60,000 <node> elements"),
    ("network GraphML export of a control character",
     both(write("e.csv", 'source,target\n"a\x01b",c\n'), write("nodes.csv", NODES.format(first='"a\x01b"')),
          write("n.toml", _whole("e.csv", "nodes.csv"))),
     ["network", "n.toml", "--out", "x.graphml"], "label = 'a\\x01b': allowed is text without control characters"),
    ("run network file empty", both(write("g.graphml", ""), write("n.toml", _whole("g.graphml"))), ["run", "n.toml"] + R,
     "the file is empty"),
    ("run network file a folder", both(mkdir("g.graphml"), write("n.toml", _whole("g.graphml"))), ["run", "n.toml"] + R,
     "a folder"),
    ("run network file /dev/zero", both(symlink("g.graphml", "/dev/zero"), write("n.toml", _whole("g.graphml"))),
     ["run", "n.toml"] + R, "not a regular file"),
    ("run network GraphML unclosed", both(write("g.graphml", "<graphml><node id='a'"), write("n.toml", _whole("g.graphml"))),
     ["run", "n.toml"] + R, "not usable GraphML"),
    ("run network nodes missing", write("n.toml", _whole("nope.csv", "nope2.csv")), ["run", "n.toml"] + R,
     "file not found; allowed is an existing node table"),
    ("network --out a folder", mkdir("x.graphml"), ["network", "sash-teaching", "--out", "x.graphml"], "exists"),
    ("network --out exists", write("x.graphml", "x"), ["network", "sash-teaching", "--out", "x.graphml"], "exists"),
    ("network --out dangling symlink", symlink("x.graphml", "nowhere"), ["network", "sash-teaching", "--out", "x.graphml"],
     "exists"),
    ("network --out no folder", None, ["network", "sash-teaching", "--out", "no/x.graphml"], "no folder"),
    ("network --out .txt", None, ["network", "sash-teaching", "--out", "x.txt"], "FILE.graphml or FILE.csv"),
    ("network --out nodes table exists", write("x.nodes.csv", "x"), ["network", "sash-teaching", "--out", "x.csv"],
     "x.nodes.csv"),
    ("network --week -1", None, ["network", "sash-teaching", "--out", "x.csv", "--week", "-1"], "--week"),
    ("network --week past the horizon", None, ["network", "sash-teaching", "--out", "x.csv", "--week", "2000"], "--week"),

    # --- the other commands -------------------------------------------------------------------------------
    ("trusts --reps 0", None, ["trusts", "--reps", "0"], "--reps"),
    ("trusts --out a file", write("f", "x"), ["trusts", "--out", "f"] + R, "is a file"),
    ("trusts stray argument", None, ["trusts", "extra"], "unrecognized arguments"),
    ("params unknown", None, ["params", "nosuch"], "unknown section"),
    ("params empty", None, ["params", ""], "unknown section"),
    ("params unicode", None, ["params", "lead\u00e9rship"], "unknown section"),
    ("scenarios unknown kind", None, ["scenarios", "nonsense"], "invalid choice"),
    ("compare no what-if", None, ["compare", "sash-teaching"] + R, "--what-if: missing"),
    ("compare unknown what-if", None, ["compare", "sash-teaching", "--what-if", "nope"] + R, "no such what-if"),
    ("compare what-if binary", write("w.toml", b"\x89PNG\r\n\x1a\n\x00"), ["compare", "sash-teaching", "--what-if", "w.toml"] + R,
     "not UTF-8"),
    ("compare what-if a folder", mkdir("w.toml"), ["compare", "sash-teaching", "--what-if", "w.toml"] + R, "a folder"),
    ("compare what-if title too long",
     write("w.toml", 'title = "' + "x" * 300 + '"\ndescription = "d"\n[leadership]\ncommitment = 0.5\n'),
     ["compare", "sash-teaching", "--what-if", "w.toml"] + R, "200 characters"),
    ("compare what-if title with a control character",
     write("w.toml", 'title = "a\\u0001b"\ndescription = "d"\n[leadership]\ncommitment = 0.5\n'),
     ["compare", "sash-teaching", "--what-if", "w.toml"] + R, "without control characters"),
    ("compare what-if given twice", None, ["compare", "sash-teaching", "--what-if", "peer-learning-first",
                                           "peer-learning-first"] + R, "given twice"),
    ("compare --reps 1", None, ["compare", "sash-teaching", "--what-if", "peer-learning-first", "--reps", "1"], "--reps"),
    ("viz --port 99999", None, ["viz", "--port", "99999"], "from 1 to 65535"),
    ("viz --port -1", None, ["viz", "--port", "-1"], "from 1 to 65535"),
    ("viz --port text", None, ["viz", "--port", "http"], "from 1 to 65535"),
    ("no command", None, [], "required: command"),
    ("unknown command", None, ["frobnicate"], "invalid choice"),
]


def _tree(d: Path) -> set[str]:
    return {p.relative_to(d).as_posix() for p in d.rglob("*")}


def call(argv: list[str], capsys) -> tuple[int, list[str], str]:
    """``spread ARGV`` in this process: (exit status, stderr's non-empty lines, all of stderr)."""
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own errors exit from parse_args
        code = e.code
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.strip()], err


def assert_one_line(code, lines, err, needle, code_wanted=2):
    assert code == code_wanted, err
    assert "Traceback" not in err, err
    assert len(lines) == 1, err
    assert needle in lines[0], lines[0]


@pytest.mark.parametrize("name,setup,argv,needle", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_one_line_exit_2_and_nothing_written(name, setup, argv, needle, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    if setup:
        setup(tmp_path)
    before = _tree(tmp_path)
    code, lines, err = call(argv, capsys)
    assert_one_line(code, lines, err, needle)
    assert _tree(tmp_path) == before, "the command wrote something"


@pytest.mark.parametrize("app,needle", [("/etc/passwd", "not a .py file"), ("/tmp", "a folder"), ("nope.py", "no such file")])
def test_viz_refuses_an_app_that_is_not_a_py_file(app, needle, capsys):
    pytest.importorskip("solara")
    assert_one_line(*call(["viz", app], capsys), needle)


def test_viz_refuses_a_port_in_use(capsys, monkeypatch):
    pytest.importorskip("solara")
    import socket

    from model.viz import assets as viz_assets

    monkeypatch.setattr(viz_assets, "missing", lambda cache: False)  # no asset fetch in a test
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert_one_line(*call(["viz", "--port", str(port)], capsys), "cannot listen there")


# --- a read-only or full disk (as root, chmod does not refuse: the writers are made to fail) ---------------

def test_network_out_on_a_read_only_folder(tmp_path, monkeypatch, capsys):
    import model.cli.network

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(model.cli.network.os, "access", lambda path, mode: False)
    assert_one_line(*call(["network", "sash-teaching", "--out", "x.graphml"], capsys), "cannot be written")
    assert _tree(tmp_path) == set()


@pytest.mark.parametrize("out", ["x.graphml", "x.csv"])
@pytest.mark.parametrize("err,code,needle", [(errno.ENOSPC, 1, "no space left on device"),
                                             (errno.EROFS, 2, "Read-only file system")])
def test_network_out_on_a_full_or_read_only_disk_leaves_nothing(out, err, code, needle, tmp_path, monkeypatch, capsys):
    import networkx as nx

    def fail(*args, **kwargs):
        target = next(a for a in args if isinstance(a, (str, Path)))  # the temporary file: part-written, then refused
        Path(target).write_text("part")
        raise OSError(err, os.strerror(err))

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(nx, "write_graphml", fail)
    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    assert_one_line(*call(["network", "sash-teaching", "--out", out], capsys), needle, code_wanted=code)
    assert _tree(tmp_path) == set()


def test_calibrate_out_on_a_read_only_disk_leaves_no_folder(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pyabc")
    import model.calibrate.posterior

    def fail(path, doc):  # the manifest's writer (whole or not at all) on a disk that refuses writes
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.toml").write_text(TINY_CAL)
    monkeypatch.setattr(model.calibrate.posterior, "write_json", fail)
    assert_one_line(*call(["calibrate", "c.toml", "--out", "o", "--workers", "1"], capsys), "Read-only file system")
    assert _tree(tmp_path) == {"c.toml"}


def test_a_csv_export_keeps_a_control_character_and_reads_back(tmp_path, monkeypatch, capsys):
    """What GraphML cannot hold, the CSV pair can: export it, import it, export it again."""
    monkeypatch.chdir(tmp_path)
    for setup in (write("e.csv", 'source,target\n"a\x01b",c\n'), write("nodes.csv", NODES.format(first='"a\x01b"')),
                  write("n.toml", _whole("e.csv", "nodes.csv"))):
        setup(tmp_path)
    assert main(["network", "n.toml", "--out", "x.csv"]) == 0
    assert "a\x01b" in pd.read_csv(tmp_path / "x.nodes.csv")["label"].tolist()


# --- a real process: a full stdout, and SIGTERM to the visualiser ------------------------------------------

def _spread(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "model", *args], cwd=ROOT, text=True, stderr=subprocess.PIPE, **kwargs)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["params"], ["--version"]])
def test_a_full_stdout_is_one_line(args):
    with open("/dev/full", "w") as full:
        p = _spread(*args, stdout=full)
        _, err = p.communicate(timeout=60)
    assert p.returncode == 1, err
    assert err.strip().splitlines() == ["spread: error: cannot write the output to standard output "
                                        "(No space left on device)"]


def test_sigterm_stops_the_visualiser_cleanly():
    pytest.importorskip("solara")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = _spread("viz", "--port", str(port), stdout=subprocess.PIPE)
    try:
        line = p.stdout.readline()  # "visualiser: http://..." once the assets are there and Solara starts
        assert line.startswith("visualiser:"), line + p.stderr.read()
        time.sleep(1.0)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert "Traceback" not in err and "Abort" not in err, err
