"""A trust's own knowledge-sharing network, in and out (issue 14; docs/ODD.md section 2, "A trust's own network").

In: a scenario's ``[network]`` section may name files (``network.file``, an
edge list CSV or a GraphML file; ``network.nodes``, the node table CSV that
goes with an edge list) and a ``network.mode``:

* ``"generated"`` (the default): no files; the organisation and the network
  are built by model/organisation.py and model/network.py, as always;
* ``"whole"``: the files hold every member of staff; the organisation (units,
  directorates, roles, pilot pathways) comes from the node table and the
  network's arcs are the file's ties, exactly;
* ``"surveyed"``: the files hold the respondents of a network survey (like the
  evaluation's senior and middle staff); the trust is generated around them
  as today, each respondent takes a post in their own directorate and unit,
  keeps their generated ties to that unit's staff, and the ties among
  respondents are exactly the surveyed ones.

A tie ``source -> target`` means "source talks to target about improvement"
(the model's arc direction); an edge list may add ``weight`` (or
``strength``, checked and kept, not used by the exchange rule) and
``forum`` (true for a tie a peer-learning forum made). Reciprocity is read from the data: an arc is
reciprocal iff its reverse is in the data too. Self-loops and duplicate
ties are dropped and counted (one warning line); anything else that cannot
be used is a :class:`NetworkFileError`, one line naming the file, the row
or element, the value and what is allowed. Files are read as data only: CSV
with pandas, GraphML with igraph's C reader after refusing a DTD and any
encoding but UTF-8 (so no entity can expand), each at most
:data:`MAX_NETWORK_BYTES`.

Out: :func:`network_graph` gives the model's live network as a networkx
DiGraph with unit, directorate, role, pathway, pilot, practising and
capability on the nodes and reciprocity and weight on the edges;
:func:`write_graph` writes it as GraphML or as two CSV files (edges, and
``<stem>.nodes.csv``) that read back as a whole network.
"""

from __future__ import annotations

import html
import io
import math
import os
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import inputs
from .network import StaffNetwork, _forum_pairs, assemble, build_network
from .organisation import (
    CHIEF_EXECUTIVE,
    DIRECTORATE_MANAGER,
    EXECUTIVE,
    FRONTLINE,
    ROLE_NAMES,
    UNIT_MANAGER,
    Organisation,
    build_organisation,
    pilot_pathways,
)
from .params import FIELDS, ParameterError, Params

if TYPE_CHECKING:  # networkx (export) and igraph (GraphML import) are imported where used
    import networkx as nx

#: Largest network file read: a 20,000-person trust's GraphML is about 30 MB.
MAX_NETWORK_BYTES = 300_000_000
#: Network modes (``network.mode``).
MODES = ("generated", "whole", "surveyed")
#: Most people a network file may hold: organisation.staff's own bound (a trust is at most this many staff).
MAX_PEOPLE = int(FIELDS["organisation.staff"].hi)
ROLE_CODE = {name: code for code, name in enumerate(ROLE_NAMES)}
_ALLOWED_ROLES = ", ".join(repr(r) for r in ROLE_NAMES) + " (or empty for frontline)"
#: Column names accepted for a tie's weight, first found wins.
WEIGHT_COLUMNS = ("weight", "strength", "tie_strength")


class NetworkFileError(ParameterError):
    """A network file that cannot be used: one line naming the file, the row or element, the value and what is allowed."""


@dataclass(frozen=True)
class NetworkData:
    """A network as read from files, checked: nodes in the file's order, ties as indices into them."""

    source: str  # the file(s), as named in messages: "ties.csv (nodes nodes.csv)" or "net.graphml"
    ids: np.ndarray  # (M,) node ids as strings, in the node table's order
    unit: np.ndarray  # (M,) unit label ("" for an executive without one)
    directorate: np.ndarray  # (M,) directorate label ("" for executives)
    role: np.ndarray  # (M,) int8 role code (model/organisation.py)
    pathway: np.ndarray | None  # (M,) pathway label ("" none), None if the data has no pathway column
    src: np.ndarray  # (T,) tie source, index into ids
    dst: np.ndarray  # (T,) tie target
    weight: np.ndarray  # (T,) the data's weight or tie strength (1 where none is given)
    forum: np.ndarray  # (T,) bool: the data marks the tie as made by a peer-learning forum (column ``forum``)
    self_loops: int  # dropped
    duplicates: int  # dropped (the first of each is kept)

    @property
    def n(self) -> int:
        """Number of nodes."""
        return int(self.ids.size)

    @property
    def warning(self) -> str | None:
        """The one warning line about dropped ties, or None when none were dropped."""
        if not (self.self_loops or self.duplicates):
            return None
        return (f"{self.source}: dropped {self.self_loops} self-loop(s) and {self.duplicates} duplicate tie(s); "
                f"{self.src.size} ties kept")


@dataclass(frozen=True)
class Imported:
    """What an imported network adds to a model: the data, and where each data node sits in the trust."""

    mode: str
    data: NetworkData
    person: np.ndarray  # (M,) person id in the model of each data node

    @property
    def respondents(self) -> np.ndarray:
        """Person ids of the data's nodes, sorted (every person in a whole network)."""
        return np.sort(self.person)


@dataclass(frozen=True)
class Structure:
    """A trust's organisation and network structure, and the imported data if there is any."""

    org: Organisation
    net: StaffNetwork
    imported: Imported | None = None


# -- reading -----------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds, so a message shows 'b', not np.str_('b')."""
    return value.item() if isinstance(value, np.generic) else value


def _fail(where: Any, what: str, value: Any, allowed: str) -> NetworkFileError:
    v = repr(_plain(value))
    v = v if len(v) <= 60 else v[:57] + "...'"
    return NetworkFileError(f"{where}: {what} = {v}: allowed is {allowed}")


def _read_bytes(path: Path, key: str, kind: str) -> bytes:
    """The file's bytes, checked: a regular file, at most MAX_NETWORK_BYTES, not empty."""
    try:
        path = inputs.resolved(path)
    except inputs.InputProblem as exc:
        raise NetworkFileError(f"{path}: {key}: {exc.problem}; allowed is {kind}") from None
    why = inputs.not_a_file(path)
    if why is None and not path.exists():
        why = "file not found"
    if why is not None:
        raise NetworkFileError(f"{path}: {key}: {why}; allowed is an existing {kind.removeprefix('a ').removeprefix('an ')}")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_NETWORK_BYTES + 1)
    except OSError as exc:
        raise NetworkFileError(f"{path}: {key}: cannot be read ({exc.strerror or type(exc).__name__}); "
                               f"allowed is a readable {kind}") from None
    if len(data) > MAX_NETWORK_BYTES:
        raise NetworkFileError(f"{path}: {key}: larger than {MAX_NETWORK_BYTES:,} bytes; allowed is {kind} "
                               f"of at most {MAX_NETWORK_BYTES:,} bytes")
    if not data.strip():
        raise NetworkFileError(f"{path}: {key}: the file is empty; allowed is {kind} with a header row and data")
    nul = data.find(b"\x00")
    if nul >= 0:  # UTF-16 or UTF-32 without a byte-order mark is valid "UTF-8" byte for byte, NULs and all
        raise NetworkFileError(f"{path}: {key}: a NUL byte at offset {nul} (UTF-16 or binary data?); "
                               f"allowed is {kind} in UTF-8")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NetworkFileError(f"{path}: {key}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                               f"allowed is {kind} in UTF-8") from None
    return data


def _file_kind(path: Path, key: str) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".graphml", ".xml"):
        return "graphml"
    raise _fail(path, key, path.name, "a .csv edge list (with network.nodes, a node table .csv) or a .graphml file")


def _read_csv(path: Path, key: str, kind: str, required: tuple[str, ...], max_rows: int | None = None) -> pd.DataFrame:
    data = _read_bytes(path, key, kind)
    try:
        # utf-8-sig: a spreadsheet's "CSV UTF-8" export starts with a byte-order mark
        df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig",
                         nrows=None if max_rows is None else max_rows + 1)  # one more says "too many"
    except pd.errors.EmptyDataError:
        raise NetworkFileError(f"{path}: {key}: the file is empty; allowed is {kind} with a header row and data") from None
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NetworkFileError(f"{path}: {key}: not a readable CSV ({first}); allowed is {kind}") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise _fail(path, "header", ",".join(df.columns), f"{kind} with the columns {', '.join(required)}")
    if df.empty:
        raise NetworkFileError(f"{path}: {key}: no data rows; allowed is {kind} with at least one row")
    if max_rows is not None and len(df) > max_rows:
        raise _too_many(path, key, f"more than {max_rows:,} rows")
    return df.apply(lambda col: col.str.strip())


def _too_many(path: Path, key: str, what: str) -> NetworkFileError:
    return NetworkFileError(f"{path}: {key}: {what} (people); allowed is at most {MAX_PEOPLE:,} people, "
                            "the bound of organisation.staff")


def _line(i: int) -> str:
    """A CSV data row by its line in the file (the header is line 1)."""
    return f"line {i + 2}"


def _roles(values: np.ndarray, where) -> np.ndarray:
    """Role names to codes; ``where(i)`` names the row or element of entry i in an error."""
    norm = pd.Series(values, dtype=object).str.lower().str.replace("_", " ", regex=False).str.replace("-", " ", regex=False)
    norm = norm.where(norm != "", ROLE_NAMES[FRONTLINE])
    codes = norm.map(ROLE_CODE)
    bad = np.flatnonzero(codes.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        raise _fail(where(i), "role", values[i], _ALLOWED_ROLES)
    return codes.to_numpy().astype(np.int8)


def _check_nodes(ids: np.ndarray, unit: np.ndarray, directorate: np.ndarray, role_text: np.ndarray,
                 pathway: np.ndarray | None, where) -> tuple[np.ndarray, np.ndarray]:
    """Check a node table's columns; returns (role codes, directorate labels with executives' blanked)."""
    empty_id = np.flatnonzero(ids == "")
    if empty_id.size:
        raise _fail(where(int(empty_id[0])), "id", "", "a non-empty node id")
    dup = pd.Index(ids).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise _fail(where(i), "id", ids[i], "each node id once")
    role = _roles(role_text, where)
    execs = (role == EXECUTIVE) | (role == CHIEF_EXECUTIVE)
    no_unit = np.flatnonzero((unit == "") & ~execs)
    if no_unit.size:
        i = int(no_unit[0])
        raise _fail(where(i), f"unit of node {_plain(ids[i])!r}", "", "a unit name (every node but executives has a unit)")
    no_dir = np.flatnonzero((directorate == "") & ~execs)
    if no_dir.size:
        i = int(no_dir[0])
        raise _fail(where(i), f"directorate of node {_plain(ids[i])!r}", "",
                    "a directorate name (every node but executives is in one)")
    directorate = np.where(execs, "", directorate)
    # a unit sits in one directorate, and in one pathway at most
    staff = np.flatnonzero(~execs)

    def one_per_unit(values: np.ndarray, what: str, allowed: str) -> None:
        firsts = pd.Series(values[staff]).groupby(unit[staff], sort=False).transform("first").to_numpy()
        clash = np.flatnonzero(firsts != values[staff])
        if clash.size:
            i = int(staff[clash[0]])
            raise _fail(where(i), f"{what} of node {_plain(ids[i])!r} in unit {_plain(unit[i])!r}", values[i],
                        allowed.format(_plain(firsts[clash[0]])))

    one_per_unit(directorate, "directorate",
                 "the directorate the unit's other members are in ({!r}): a unit sits in one directorate")
    if pathway is not None:
        one_per_unit(pathway, "pathway", "the pathway of the unit's other members ({!r}): a pathway is a set of units")
    return role, directorate


def _clean_ties(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, forum: np.ndarray):
    """Drop self-loops and duplicate ties (keeping the first of each); count both."""
    loops = src == dst
    n_loops = int(loops.sum())
    src, dst, weight, forum = src[~loops], dst[~loops], weight[~loops], forum[~loops]
    key = src.astype(np.int64) * n + dst
    _, first = np.unique(key, return_index=True)
    first.sort()
    dupes = int(src.size - first.size)
    return src[first], dst[first], weight[first], forum[first], n_loops, dupes


_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no", "")


def _forum_flags(values: list, where) -> np.ndarray:
    """A ``forum`` column (true/false, 1/0, yes/no, empty for false) as bools; ``where(i)`` names entry i."""
    text = pd.Series(values, dtype=object).astype(str).str.strip().str.lower()
    text = text.replace({"nan": "", "none": "", "1.0": "1", "0.0": "0"})
    ok = text.isin(_TRUE + _FALSE).to_numpy()
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise _fail(where(i), "forum", values[i], "true or false (empty for false)")
    return text.isin(_TRUE).to_numpy()


def _pathway_labels(df: pd.DataFrame) -> np.ndarray | None:
    if "pathway" not in df.columns:
        return None
    p = df["pathway"].to_numpy(dtype=object).astype(str)
    return np.where(np.isin(p, ("", "-1", "none", "None")), "", p)


def read_csv_network(edges: Path, nodes: Path) -> NetworkData:
    """An edge list (source, target[, weight]) and a node table (id, unit, directorate[, role, pathway])."""
    kind_n = "a node table CSV (columns id, unit, directorate; optional role, pathway)"
    nd = _read_csv(nodes, "network.nodes", kind_n, ("id", "unit", "directorate"), max_rows=MAX_PEOPLE)
    ids = nd["id"].to_numpy(dtype=object).astype(str)
    unit = nd["unit"].to_numpy(dtype=object).astype(str)
    directorate = nd["directorate"].to_numpy(dtype=object).astype(str)
    role_text = nd["role"].to_numpy(dtype=object).astype(str) if "role" in nd.columns else np.full(ids.size, "", dtype=object)
    pathway = _pathway_labels(nd)
    role, directorate = _check_nodes(ids, unit, directorate, role_text, pathway, lambda i: f"{nodes}: {_line(i)}")

    kind_e = "an edge list CSV (columns source, target; optional weight)"
    ed = _read_csv(edges, "network.file", kind_e, ("source", "target"))
    index = pd.Index(ids)
    src = index.get_indexer(ed["source"].to_numpy(dtype=object).astype(str))
    dst = index.get_indexer(ed["target"].to_numpy(dtype=object).astype(str))
    for col, arr in (("source", src), ("target", dst)):
        bad = np.flatnonzero(arr < 0)
        if bad.size:
            i = int(bad[0])
            raise _fail(f"{edges}: {_line(i)}", col, ed[col].iloc[i], f"a node id listed in {nodes}")
    wcol = next((c for c in WEIGHT_COLUMNS if c in ed.columns), None)
    if wcol is None:
        weight = np.ones(src.size)
    else:
        text = ed[wcol]
        num = pd.to_numeric(text.where(text != "", "1"), errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(num) | (num < 0))
        if bad.size:
            i = int(bad[0])
            raise _fail(f"{edges}: {_line(i)}", wcol, text.iloc[i], "a number >= 0 (or empty for 1)")
        weight = num
    forum = _forum_flags(ed["forum"].tolist(), lambda i: f"{edges}: {_line(i)}") if "forum" in ed.columns \
        else np.zeros(src.size, bool)
    src, dst, weight, forum, loops, dupes = _clean_ties(ids.size, src.astype(np.int64), dst.astype(np.int64), weight, forum)
    return NetworkData(source=f"{edges} (nodes {nodes})", ids=ids, unit=unit, directorate=directorate, role=role, pathway=pathway,
                       src=src, dst=dst, weight=weight, forum=forum, self_loops=loops, duplicates=dupes)


_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


_NODE_TAG = re.compile(rb"<node[\s/>]")
_KEY_TAG = re.compile(rb"<key\b[^>]*>(?:\s*<default>([^<]*)</default>)?")


def _attr(tag: bytes, name: bytes) -> bytes | None:
    m = re.search(rb"\b" + re.escape(name) + rb"""\s*=\s*["']([^"']*)["']""", tag)
    return m.group(1) if m else None


def _check_weight_text(path: Path, data: bytes) -> None:
    """Refuse a weight written as NaN: igraph reads it as NaN, the same as a weight left out (which means 1).

    The CSV reader refuses "nan"; here the text of every weight ``<data>``
    (and a weight key's ``<default>``) is read from the bytes themselves."""
    for key in _KEY_TAG.finditer(data):
        name = (_attr(key.group(0), b"attr.name") or b"").decode("utf-8", "replace")
        kid = _attr(key.group(0), b"id")
        if name not in WEIGHT_COLUMNS or kid is None:
            continue
        if key.group(1) is not None and _is_nan_text(key.group(1)):
            raise _fail(f'{path}: <key id="{kid.decode("utf-8", "replace")}"> <default>', name,
                        key.group(1).decode("utf-8", "replace").strip(), "a number >= 0")
        pattern = rb"""<data\s[^>]*\bkey\s*=\s*["']""" + re.escape(kid) + rb"""["'][^>]*>([^<]*)</data>"""
        for m in re.finditer(pattern, data):
            if _is_nan_text(m.group(1)):
                edge = data.rfind(b"<edge", 0, m.start())
                tag = data[edge:data.find(b">", edge) + 1] if edge >= 0 else b""
                src, dst = (html.unescape((_attr(tag, a) or b"?").decode("utf-8", "replace")) for a in (b"source", b"target"))
                raise _fail(f'{path}: <edge source="{src}" target="{dst}">', name,
                            m.group(1).decode("utf-8", "replace").strip(), "a number >= 0")


def _is_nan_text(text: bytes) -> bool:
    try:
        return math.isnan(float(text.strip() or b"0"))
    except ValueError:
        return False  # not a number at all: the reader refuses it with the edge named


def _parse_graphml(path: Path, data: bytes):
    """GraphML to an igraph Graph (its C reader), after refusing a DTD and any encoding but UTF-8.

    The bytes are UTF-8 (checked) and the document may declare no other
    encoding, so the declarations searched for here cannot hide in another
    one: without a DTD there is no entity to expand (billion laughs) and no
    external one to fetch. igraph reads a private copy of the checked bytes."""
    import tempfile

    import igraph as ig

    kind = "a GraphML file (directed, UTF-8, no DTD)"
    declared = _XML_DECL.match(data[:500])
    if declared and declared.group(1).decode("ascii", "replace").lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise _fail(f"{path}: XML declaration", "encoding", declared.group(1).decode("ascii", "replace"), f"{kind}: UTF-8")
    for marker in (b"<!DOCTYPE", b"<!ENTITY"):
        at = data.find(marker)
        if at >= 0:
            raise _fail(f"{path}: offset {at}", "XML", marker.decode(), f"{kind}: a DTD or entity declaration is refused")
    if b"<graphml" not in data[:5000]:
        raise _fail(path, "root element", data.lstrip()[:20].decode("utf-8", "replace"), f"{kind}: a <graphml> document")
    for k, _ in enumerate(_NODE_TAG.finditer(data)):  # counted before igraph builds a graph of them all
        if k >= MAX_PEOPLE:
            raise _too_many(path, "network.file", f"more than {MAX_PEOPLE:,} <node> elements")
    _check_weight_text(path, data)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "network.graphml"
        copy.write_bytes(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # igraph warns about attributes it skips (e.g. yFiles graphics)
                g = ig.Graph.Read_GraphML(str(copy))
        except (ig.InternalError, OSError, ValueError) as exc:  # igraph's C reader: InternalError for a bad document
            text = " ".join(str(exc).split()) or type(exc).__name__
            text = re.sub(r"Error at \S+:\d+: ", "", text.replace(str(copy), "")).split(" -- ")[0][:160]
            raise NetworkFileError(f"{path}: not usable GraphML ({text}); allowed is {kind}") from None
    if g.vcount() == 0:
        raise _fail(path, "<node> elements", 0, f"{kind} with at least one node")
    if not g.is_directed():
        raise _fail(path, '<graph edgedefault="…">', "undirected", f'{kind}: edgedefault="directed" (ties have a direction)')
    return g


def _label(v: Any) -> str:
    """An attribute value as a label: igraph reads GraphML integers as floats, so 3.0 is "3"."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def read_graphml_network(path: Path) -> NetworkData:
    """A GraphML file whose nodes carry unit, directorate[, role, pathway] and whose edges may carry a weight."""
    data_bytes = _read_bytes(path, "network.file", "a GraphML file")
    g = _parse_graphml(path, data_bytes)
    names = g.vs.attributes()
    n = g.vcount()
    # igraph hands back an id's "&amp;" as "&#38;" (XML attribute text not unescaped): unescape it
    ids = np.array([html.unescape(_label(v)) for v in g.vs["id"]], dtype=object) if "id" in names \
        else np.arange(n).astype(str).astype(object)

    def col(name: str) -> np.ndarray:
        return np.array([_label(v) for v in g.vs[name]], dtype=object) if name in names else np.full(n, "", dtype=object)

    unit, directorate, role_text = col("unit"), col("directorate"), col("role")
    pathway = None
    if "pathway" in names:
        p = col("pathway")
        pathway = np.where(np.isin(p, ("", "-1", "none", "None")), "", p)
    # igraph adds a node that an edge names without a <node> element: find such a node by its id
    declared = {html.unescape(m.decode("utf-8"))
                for m in re.findall(rb'<node\s[^>]*?\bid\s*=\s*["\']([^"\']*)["\']', data_bytes)}
    if len(declared) < n:
        ghost = next(k for k in ids.tolist() if k not in declared)
        raise _fail(f"{path}: an <edge>", "node", ghost, "a node declared by a <node> element")
    role, directorate = _check_nodes(ids, unit, directorate, role_text, pathway,
                                     lambda i: f'{path}: <node id="{ids[i]}">')
    ends = np.array(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    src, dst = ends[:, 0].copy(), ends[:, 1].copy()
    wcol = next((c for c in WEIGHT_COLUMNS if c in g.es.attributes()), None)
    weight = np.ones(src.size)
    if wcol is not None:
        raw = pd.Series(g.es[wcol], dtype=object)
        num = pd.to_numeric(raw.where(raw.notna() & (raw.astype(str).str.strip() != ""), 1.0), errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(num) | (num < 0))
        if bad.size:
            i = int(bad[0])
            raise _fail(f'{path}: <edge source="{ids[src[i]]}" target="{ids[dst[i]]}">', wcol, raw.iloc[i], "a number >= 0")
        weight = num
    forum = np.zeros(src.size, bool)
    if "forum" in g.es.attributes():
        forum = _forum_flags(g.es["forum"], lambda i: f'{path}: <edge source="{ids[src[i]]}" target="{ids[dst[i]]}">')
    src, dst, weight, forum, loops, dupes = _clean_ties(ids.size, src, dst, weight, forum)
    return NetworkData(source=str(path), ids=ids, unit=unit, directorate=directorate, role=role, pathway=pathway,
                       src=src, dst=dst, weight=weight, forum=forum, self_loops=loops, duplicates=dupes)


def _stamp(path: Path) -> tuple:
    try:
        st = os.stat(path)
        return (str(path), st.st_mtime_ns, st.st_size)
    except (OSError, ValueError):
        return (str(path), None, None)


@lru_cache(maxsize=4)
def _read_cached(edges: tuple, nodes: tuple | None) -> NetworkData:
    e = Path(edges[0])
    if _file_kind(e, "network.file") == "graphml":
        return read_graphml_network(e)
    if nodes is None:
        raise _fail(e, "network.nodes", "", "a node table CSV (id, unit, directorate[, role, pathway]) beside an edge-list CSV")
    return read_csv_network(e, Path(nodes[0]))


def read_network(edges: str | Path, nodes: str | Path | None = None) -> NetworkData:
    """Read and check a network: a GraphML file, or an edge-list CSV with its node table CSV.

    Reads are cached by path, modification time and size, so replicates of
    one scenario read the files once per process."""
    nodes = Path(nodes) if nodes not in (None, "") else None
    return _read_cached(_stamp(Path(edges)), _stamp(nodes) if nodes is not None else None)


def read_for(params: Params) -> NetworkData | None:
    """The network data a scenario names (``network.file``, ``network.nodes``), or None when it is generated."""
    net = params.network
    if net.mode == "generated":
        return None
    return read_network(net.file, net.nodes or None)


# -- building a trust from the data ------------------------------------------------------------------
def _rank(labels: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Each label's rank: numeric order when every label is an integer, else order of first appearance."""
    uniq = list(dict.fromkeys(labels.tolist()))
    try:
        nums = [int(x) for x in uniq]
        uniq = [u for _, u in sorted(zip(nums, uniq))]
    except ValueError:
        pass
    where = {u: i for i, u in enumerate(uniq)}
    return np.array([where[x] for x in labels.tolist()], dtype=np.int64), uniq


def _first_appearance(labels: np.ndarray) -> np.ndarray:
    """Each label's rank by first appearance."""
    codes, _ = pd.factorize(pd.Series(labels, dtype=object), sort=False)
    return codes.astype(np.int64)


def whole_organisation(data: NetworkData, params: Params) -> tuple[Organisation, np.ndarray]:
    """The organisation of a whole-network import, and the person id of each data node.

    Staff are renumbered so that units and directorates are contiguous
    blocks (directorates and units in order of first appearance, people in
    file order within a unit); executives (role executive or chief
    executive) make the board unit, last, the chief executive first (the
    first executive becomes chief if none is named). A unit's manager is its
    first member with role unit manager (else its first member); a
    directorate's manager is its first member with role directorate manager
    (else its first unit's manager). Pilot pathways come from the node
    table's pathway column, or else are chosen as for a generated trust
    (``organisation.pathways`` x ``organisation.units_per_pathway``).
    """
    m = data.n
    role = data.role.copy()
    execs = (role == EXECUTIVE) | (role == CHIEF_EXECUTIVE)
    if not execs.any():
        raise _fail(data.source, "role (every node)", "no executive",
                    "at least one node with role 'executive' or 'chief executive' (the executive team) in a whole network")
    if (~execs).sum() == 0:
        raise _fail(data.source, "role (every node)", "only executives", "at least one node in a clinical unit")
    staff = np.flatnonzero(~execs)
    d_rank = _first_appearance(data.directorate[staff])
    u_rank = _first_appearance(data.unit[staff])
    order = staff[np.lexsort((np.arange(staff.size), u_rank, d_rank))]
    board = np.flatnonzero(execs)
    chiefs = board[role[board] == CHIEF_EXECUTIVE]
    chief_node = int(chiefs[0]) if chiefs.size else int(board[0])
    role[board] = EXECUTIVE
    role[chief_node] = CHIEF_EXECUTIVE
    board = np.concatenate([[chief_node], board[board != chief_node]])
    order = np.concatenate([order, board])
    person = np.empty(m, dtype=np.int64)
    person[order] = np.arange(m)

    # units and directorates, renumbered in the new order
    clin = order[: staff.size]
    unit_codes = _first_appearance(data.unit[clin])
    n_clin = int(unit_codes.max()) + 1
    unit_of = np.append(unit_codes, np.full(board.size, n_clin)).astype(np.int64)
    n_units = n_clin + 1
    unit_size = np.bincount(unit_of, minlength=n_units).astype(np.int64)
    unit_start = np.concatenate([[0], np.cumsum(unit_size)[:-1]]).astype(np.int64)
    dir_codes = _first_appearance(data.directorate[clin])
    unit_directorate = np.full(n_units, -1, dtype=np.int64)
    unit_directorate[unit_codes] = dir_codes
    d = int(dir_codes.max()) + 1
    directorate_units = tuple(np.flatnonzero(unit_directorate == k) for k in range(d))
    new_role = role[order].astype(np.int8)

    def first_with(code: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """The first person with role ``code`` in each id range [start, end), -1 where none."""
        hit = np.flatnonzero(new_role == code)
        if hit.size == 0:
            return np.full(starts.size, -1, dtype=np.int64)
        cand = hit[np.minimum(np.searchsorted(hit, starts), hit.size - 1)]
        return np.where((cand >= starts) & (cand < ends), cand, -1)

    ends = unit_start + unit_size
    um = first_with(UNIT_MANAGER, unit_start[:-1], ends[:-1])
    unit_manager = np.append(np.where(um >= 0, um, unit_start[:-1]), unit_start[-1]).astype(np.int64)
    d_lo = np.array([unit_start[u[0]] for u in directorate_units])
    d_hi = np.array([ends[u[-1]] for u in directorate_units])
    dm = first_with(DIRECTORATE_MANAGER, d_lo, d_hi)
    first_unit_mgr = unit_manager[[u[0] for u in directorate_units]]
    directorate_manager = np.where(dm >= 0, dm, first_unit_mgr).astype(np.int64)

    if data.pathway is not None and (data.pathway[clin] != "").any():
        pw = data.pathway[clin]
        unit_label = np.full(n_clin, "", dtype=object)
        unit_label[unit_codes] = pw
        has = unit_label != ""
        ranks, labels = _rank(unit_label[has])
        unit_pathway = np.full(n_units, -1, dtype=np.int64)
        unit_pathway[np.flatnonzero(has)] = ranks
        pathway_units = tuple(np.flatnonzero(unit_pathway == p) for p in range(len(labels)))
    else:
        o = params.organisation
        try:
            unit_pathway, pathway_units = pilot_pathways(directorate_units, n_units, o.pathways, o.units_per_pathway)
        except ValueError:
            raise NetworkFileError(f"{data.source}: organisation.pathways = {o.pathways}: allowed is at most the pathways "
                                   f"of {o.units_per_pathway} adjacent units that fit in the imported directorates "
                                   f"(or a pathway column in the node table)") from None
    org = Organisation(
        n_staff=m, n_units=n_units, n_directorates=d, unit_of=unit_of, role=new_role,
        unit_start=unit_start, unit_size=unit_size, unit_directorate=unit_directorate,
        unit_pathway=unit_pathway, unit_manager=unit_manager, directorate_manager=directorate_manager,
        directorate_units=directorate_units, pathway_units=pathway_units, board_unit=n_units - 1,
        chief_executive=int(unit_start[-1]),
    )
    return org, person


def _with_forums(org: Organisation, params: Params, weeks: int, src: np.ndarray, dst: np.ndarray,
                 forum: np.ndarray, forum_rng: np.random.Generator) -> StaffNetwork:
    """The data's arcs (live from week 0; ``forum`` as the data marks them) plus the forum cohorts' ties,
    drawn as for a generated trust, assembled."""
    fa, fb, fw = _forum_pairs(org, params, weeks, forum_rng)
    return assemble(org.n_staff, org.unit_of, np.concatenate([src, fa, fb]), np.concatenate([dst, fb, fa]),
                    np.concatenate([np.zeros(src.size, np.int32), fw, fw]),
                    np.concatenate([forum, np.ones(2 * fa.size, bool)]))


def _place_respondents(data: NetworkData, org: Organisation) -> np.ndarray:
    """Each respondent's post in a generated organisation (docs/ODD.md section 2); an error if the trust has too few."""
    src_name = data.source
    person = np.full(data.n, -1, dtype=np.int64)
    execs = np.flatnonzero((data.role == EXECUTIVE) | (data.role == CHIEF_EXECUTIVE))
    board_lo, board_n = int(org.unit_start[org.board_unit]), int(org.unit_size[org.board_unit])
    if execs.size > board_n:
        raise _fail(src_name, "executives", int(execs.size),
                    f"at most organisation.executive_team ({board_n}) respondents with an executive role")
    execs = execs[np.argsort(data.role[execs] != CHIEF_EXECUTIVE, kind="stable")]  # a chief executive takes the chief's post
    person[execs] = board_lo + np.arange(execs.size)
    staff = np.flatnonzero(person < 0)
    d_rank = _first_appearance(data.directorate[staff])
    if d_rank.size and d_rank.max() + 1 > org.n_directorates:
        raise _fail(src_name, "directorates", int(d_rank.max()) + 1,
                    f"at most organisation.directorates ({org.n_directorates}) in a surveyed network; raise it to match")
    dm_post = org.directorate_manager
    taken_dm = np.zeros(org.n_directorates, bool)
    # the first directorate manager named in each directorate takes its post
    for j in np.flatnonzero(data.role[staff] == DIRECTORATE_MANAGER):
        k = int(d_rank[j])
        if not taken_dm[k]:
            taken_dm[k] = True
            person[staff[j]] = dm_post[k]
    rest = np.flatnonzero(person[staff] < 0)
    frame = pd.DataFrame({"i": staff[rest], "d": d_rank[rest], "u": data.unit[staff[rest]],
                          "um": data.role[staff[rest]] == UNIT_MANAGER})
    frame["ur"] = frame.groupby("d", sort=False)["u"].transform(lambda s: _first_appearance(s.to_numpy()))
    dm_posts = set(dm_post.tolist())
    for (k, r), grp in frame.groupby(["d", "ur"], sort=False):
        units = org.directorate_units[int(k)]
        if r >= units.size:
            raise _fail(f"{src_name}: unit {_plain(grp['u'].iloc[0])!r}", "units in its directorate", int(r) + 1,
                        f"at most the {units.size} units the generated directorate has (organisation.staff / unit_size_mean)")
        u = int(units[int(r)])
        posts = np.arange(org.unit_start[u], org.unit_start[u] + org.unit_size[u])
        posts = posts[~np.isin(posts, list(dm_posts))]
        idx = grp["i"].to_numpy()
        um = grp["um"].to_numpy()
        mgr = org.unit_manager[u]
        if um.any():  # the first unit manager named takes the manager's post, first
            first = int(np.flatnonzero(um)[0])
            idx = np.concatenate([[idx[first]], np.delete(idx, first)])
            posts = np.concatenate([[mgr], posts[posts != mgr]])
        else:
            posts = posts[posts != mgr]
        if idx.size > posts.size:
            raise _fail(f"{src_name}: unit {_plain(grp['u'].iloc[0])!r}", "respondents", int(idx.size),
                        f"at most the {posts.size} posts of the generated unit (raise organisation.unit_size_mean)")
        # posts spread evenly round the unit's ring, so each respondent keeps ring neighbours who
        # did not respond (their generated ties to the unit's staff); a unit manager keeps the first
        lead = 1 if um.any() else 0
        rest_posts = posts[lead:]
        spread = rest_posts[np.floor(np.arange(idx.size - lead) * (rest_posts.size / max(idx.size - lead, 1))).astype(np.int64)]
        person[idx] = np.concatenate([posts[:lead], spread])
    return person


def build_structure(params: Params, weeks: int, org_rng: np.random.Generator, net_rng: np.random.Generator,
                    forum_rng: np.random.Generator) -> Structure:
    """The trust's organisation and network: generated, or from the scenario's network files (``network.mode``)."""
    mode = params.network.mode
    if mode == "generated":
        org = build_organisation(params, org_rng)
        return Structure(org, build_network(org, params, weeks, net_rng, forum_rng))
    data = read_for(params)
    if mode == "whole":
        org, person = whole_organisation(data, params)
        net = _with_forums(org, params, weeks, person[data.src], person[data.dst], data.forum, forum_rng)
        return Structure(org, net, Imported(mode, data, person))
    # surveyed: the trust generated as today, the respondents placed in it, their ties replaced by the survey's
    org = build_organisation(params, org_rng)
    gen = build_network(org, params, weeks, net_rng, forum_rng)
    person = _place_respondents(data, org)
    is_resp = np.zeros(org.n_staff, bool)
    is_resp[person] = True
    keep = ~(is_resp[gen.src] & is_resp[gen.dst] & ~gen.forum)
    src = np.concatenate([gen.src[keep], person[data.src]])
    dst = np.concatenate([gen.dst[keep], person[data.dst]])
    start = np.concatenate([gen.active_from[keep], np.zeros(data.src.size, np.int32)])
    forum = np.concatenate([gen.forum[keep], data.forum])
    net = assemble(org.n_staff, org.unit_of, src, dst, start, forum)
    return Structure(org, net, Imported(mode, data, person))


# -- statistics of the data and of the model's network -------------------------------------------
def data_network(data: NetworkData) -> StaffNetwork:
    """The data's own network as a StaffNetwork (units by label; executives one unit), for ``network_stats``."""
    unit = np.where((data.role == EXECUTIVE) | (data.role == CHIEF_EXECUTIVE), "\0board", data.unit)
    return assemble(data.n, _first_appearance(unit), data.src, data.dst)


def respondents_network(net: StaffNetwork, live: np.ndarray, people: np.ndarray, unit_of: np.ndarray) -> StaffNetwork:
    """The live arcs among ``people`` (sorted person ids), relabelled 0..k-1, as a StaffNetwork."""
    inside = np.zeros(net.n, bool)
    inside[people] = True
    pick = live & inside[net.src] & inside[net.dst]
    new = np.full(net.n, -1, dtype=np.int64)
    new[people] = np.arange(people.size)
    return assemble(people.size, unit_of[people], new[net.src[pick]], new[net.dst[pick]])


def import_comparison(model) -> pd.DataFrame:
    """The data's social network statistics beside the model's network at week 0 (one row per measure).

    Columns: ``data`` (the files as given, self-loops and duplicates
    dropped), ``model`` (the model's week-0 network over the same people: the
    whole trust for a whole network, the respondents for a survey) and, for a
    survey, ``model_trust`` (the whole generated trust)."""
    from .network import network_stats

    imp = model.imported
    if imp is None:
        raise ValueError("the model's network was generated, not imported: there is no data to compare")
    data = network_stats(data_network(imp.data), 0)
    live0 = model.live.live_at_start
    cols = {"data": data}
    if imp.mode == "whole":
        cols["model"] = network_stats(model.net, 0, live0)
    else:
        sub = respondents_network(model.net, live0, imp.respondents, model.org.unit_of)
        cols["model"] = network_stats(sub, 0)
        cols["model_trust"] = network_stats(model.net, 0, live0)
    df = pd.DataFrame(cols)
    df.index.name = "measure"
    return df.drop(index=["week"]).reset_index()


# -- export ------------------------------------------------------------------------------------------
def network_graph(model) -> nx.DiGraph:
    """The model's live network now as a networkx DiGraph with node and edge attributes.

    Nodes are person ids 0..N-1 with ``unit``, ``directorate`` (-1 for the
    executive team), ``role`` (a name), ``pathway`` (-1 none), ``pilot``,
    ``practising`` and ``capability`` and, for an imported network, ``label``
    (the data's node id, "" for generated staff); edges carry ``reciprocal``
    (the reverse arc is live too), ``weight`` (the model's tie weight: 1
    reciprocal, ``network.one_directional_weight`` otherwise, by the
    structure) and ``forum`` (made by a peer-learning forum)."""
    import networkx as nx

    org, live = model.org, model.live
    net = live.structure
    on = live.live
    rev_live = np.zeros_like(on)
    has = net.reverse >= 0
    rev_live[has] = on[net.reverse[has]]
    g = nx.DiGraph()
    n = org.n_staff
    unit = org.unit_of
    attrs = {
        "unit": unit.tolist(),
        "directorate": org.unit_directorate[unit].tolist(),
        "role": [ROLE_NAMES[r] for r in org.role.tolist()],
        "pathway": org.unit_pathway[unit].tolist(),
        "pilot": org.staff_pilot.tolist(),
        "practising": np.asarray(model.practising, dtype=bool).tolist(),
        "capability": np.asarray(model.capability, dtype=np.float64).tolist(),
    }
    imp = getattr(model, "imported", None)
    if imp is not None:
        label = np.full(n, "", dtype=object)
        label[imp.person] = imp.data.ids
        attrs["label"] = label.tolist()
    names = list(attrs)
    cols = [attrs[k] for k in names]
    g.add_nodes_from((i, dict(zip(names, vals))) for i, vals in enumerate(zip(*cols)))
    arcs = np.flatnonzero(on)
    g.add_edges_from(
        (s, d, {"reciprocal": r, "weight": w, "forum": f})
        for s, d, r, w, f in zip(net.src[arcs].tolist(), net.dst[arcs].tolist(), rev_live[arcs].tolist(),
                                 live.base_weight[arcs].tolist(), net.forum[arcs].tolist()))
    return g


def nodes_path(out: Path) -> Path:
    """The node table written beside an edge-list CSV: ``net.csv`` -> ``net.nodes.csv``."""
    return out.with_name(out.stem + ".nodes.csv")


def export_targets(out: Path) -> list[Path]:
    """The files ``write_graph`` writes for ``out``; a suffix other than .graphml or .csv is an error."""
    suffix = out.suffix.lower()
    if suffix == ".graphml":
        return [out]
    if suffix == ".csv":
        return [out, nodes_path(out)]
    raise _fail("--out", "file", str(out), "a FILE.graphml or FILE.csv (with FILE.nodes.csv beside it)")


def _exclusive_write(path: Path, write) -> None:
    """Write to a temporary file beside ``path``, then link it into place (never over an existing file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.link(tmp, path)  # fails if path exists: nothing is overwritten
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # a read-only folder refuses even this: the write's own error is the one to report
            pass


#: Characters XML 1.0 cannot hold (even as &#N;), and \r, which a reader turns into \n.
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")


def _check_xml_text(g: nx.DiGraph, out: Path) -> None:
    """Refuse a GraphML export that GraphML cannot hold: a label (an imported id) with a control character
    would be written as a file no reader, `spread` included, can read back."""
    for i, attrs in g.nodes(data=True):
        for name, v in attrs.items():
            if isinstance(v, str) and _NOT_XML.search(v):
                raise _fail(f"--out {out}: node {i}", name, v, "text without control characters for GraphML "
                            "(XML 1.0 cannot hold them); write --out FILE.csv instead, which keeps them")


def write_graph(g: nx.DiGraph, out: Path) -> list[Path]:
    """Write a graph from :func:`network_graph` as GraphML, or as an edge-list CSV and a node table CSV."""
    import networkx as nx

    targets = export_targets(out)
    if out.suffix.lower() == ".graphml":
        _check_xml_text(g, out)
        _exclusive_write(out, lambda p: nx.write_graphml(g, p))
        return targets
    nodes = pd.DataFrame([{"id": i, **a} for i, a in g.nodes(data=True)])
    edges = pd.DataFrame([{"source": s, "target": d, **a} for s, d, a in g.edges(data=True)],
                         columns=["source", "target", "weight", "reciprocal", "forum"])
    _exclusive_write(targets[1], lambda p: nodes.to_csv(p, index=False))
    try:
        _exclusive_write(out, lambda p: edges.to_csv(p, index=False))
    except BaseException:
        targets[1].unlink(missing_ok=True)  # the node table was written by this call
        raise
    return targets
