"""The directed knowledge-sharing network: who talks to whom about improvement.

An arc ``j -> i`` means "j talks to i about improvement": i hears from j, so
j is one of i's in-contacts. Arcs are stored once, sorted by target, as the
CSR structure of the in-contact matrix (row i lists i's in-contacts). The
structure never changes during a run; turnover and peer-learning forums only
switch arcs on and off through ``active_from`` (an arc is live in week t when
``active_from <= t``), so each week's work is a few array operations on the
arc data, never a rebuild.

Construction (MODEL.md "The knowledge-sharing network"; ODD section 2.3):
- inside units, a ring lattice (dense, clustered), enough pairs per person
  for the requested number of in-unit arcs given the reciprocity;
- across units, either scattered random ties or "wide bridges" (several
  colleagues of one unit tied to several of a neighbouring unit);
- managers: down to every team member, up with a probability, across to the
  peer managers and directorate manager, up to the executive team;
- peer-learning forums: cohorts of staff from different units forming
  reciprocal ties at scheduled weeks.
A pair is made mutual with probability q = r / (2 - r), which makes the
expected share of arcs reciprocated equal to r at any number of arcs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

try:  # scipy's compiled CSR kernels, the ones its own sparse indexing and products call
    from scipy.sparse import _sparsetools
except ImportError:  # pragma: no cover - a scipy without them: the numpy route below gives the same sums
    _sparsetools = None

from .organisation import EXECUTIVE, CHIEF_EXECUTIVE, Organisation

if TYPE_CHECKING:  # networkx is imported only by to_networkx
    import networkx as nx
    from .params import Params  # for annotations: model.params imports the processes, which import this

NEVER = np.iinfo(np.int32).max


@dataclass
class StaffNetwork:
    """The network's structure, fixed for a run: every arc that can exist, sorted by target (CSR)."""

    n: int
    indptr: np.ndarray  # (N+1,) CSR row pointer over targets
    src: np.ndarray  # (A,) source of each arc (CSR column index)
    dst: np.ndarray  # (A,) target of each arc
    reciprocal: np.ndarray  # (A,) bool: the reverse arc exists in the structure
    reverse: np.ndarray  # (A,) arc id of the reverse arc, -1 if none
    cross: np.ndarray  # (A,) bool: source and target in different units
    active_from: np.ndarray  # (A,) int32 week the arc becomes live
    out_order: np.ndarray  # (A,) arc ids sorted by source
    out_ptr: np.ndarray  # (N+1,) pointer into out_order per source
    out_dst: np.ndarray = None  # (A,) dst[out_order]: targets in source order (derived)
    forum: np.ndarray = None  # (A,) bool: the arc was made by a peer-learning forum (derived: none)

    def __post_init__(self):
        if self.out_dst is None:
            self.out_dst = self.dst[self.out_order]
        if self.forum is None:
            self.forum = np.zeros(self.src.size, dtype=bool)
        self.out_pos = np.empty_like(self.out_order)  # arc id -> its place in out_order
        self.out_pos[self.out_order] = np.arange(self.out_order.size)
        # cross-unit arcs incident to each person (in, then out), for turnover
        cross = np.flatnonzero(self.cross)
        ends = np.concatenate([self.dst[cross], self.src[cross]])
        order = np.argsort(ends, kind="stable")
        self._cross_inc = np.concatenate([cross, cross])[order]
        self._cross_ptr = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=self.n))])
        # the sender-ordered arcs as int32 CSR indices for scipy's kernels (in_sum), where they fit
        fits = _sparsetools is not None and self.src.size < np.iinfo(np.int32).max and self.out_dst.dtype == np.int32
        self._out_ptr32 = self.out_ptr.astype(np.int32) if fits else None

    @property
    def n_arcs(self) -> int:
        """Number of arcs in the structure (live or not)."""
        return int(self.src.size)

    def matrix(self, data: np.ndarray) -> sp.csr_array:
        """The in-contact matrix with the given per-arc values (row = target)."""
        return sp.csr_array((data, self.src, self.indptr), shape=(self.n, self.n))

    def active(self, week: int) -> np.ndarray:
        """Arcs live in ``week`` by the schedule as built (forum cohorts); a run's live arcs,
        with turnover's dormant ties, are its LiveNetwork's (model/live_network.py)."""
        return self.active_from <= week

    def norm_degree(self, active: np.ndarray) -> np.ndarray:
        """Live in-contacts that enter the exposure denominator: all but forum arcs (ODD 7.4, section 9)."""
        return self.in_degree(active & ~self.forum)

    def in_degree(self, active: np.ndarray) -> np.ndarray:
        """Number of ``active`` in-contacts of each person."""
        cs = np.concatenate([[0], np.cumsum(active, dtype=np.int64)])
        return cs[self.indptr[1:]] - cs[self.indptr[:-1]]

    def cross_incident_arcs(self, people: np.ndarray) -> np.ndarray:
        """Cross-unit arc ids into or out of any of ``people`` (an arc between two of them twice)."""
        ptr = self._cross_ptr
        return self._cross_inc[_ranges(ptr[people], ptr[people + 1])]

    def scatter_pays(self, k: int) -> bool:
        """Whether summing over the out-arcs of ``k`` senders beats a full mat-vec (under a fifth of staff)."""
        return k * 5 < self.n

    def in_sum(self, W: sp.csr_array, values: np.ndarray | None, nonzero: np.ndarray | None = None,
               out_data: np.ndarray | None = None, scatter: bool | None = None) -> np.ndarray:
        """``W @ v`` where ``v`` is ``values`` on ``nonzero`` and zero elsewhere.

        ``nonzero`` (optional) lists the people whose value counts; without
        it ``v = values``. While they are few (``scatter_pays``), only their
        out-arcs are visited (a scatter-add over their arcs), so the cost
        follows the adopters, and ``values`` may be None for all ones;
        otherwise a CSR mat-vec of ``values``, which must then be zero off
        ``nonzero``. Both give the same sums bit for bit: a row lists its
        in-contacts by ascending source, as the senders are visited, and the
        mat-vec's extra terms are zeros (tests/test_network.py).
        ``out_data`` (optional) is ``W.data`` laid out in ``out_order``, kept
        by the caller so the scatter reads each sender's weights in one run.
        ``scatter`` (optional) forces the choice (a batch of trusts decides per trust, model/batch.py).
        """
        if scatter is None:
            scatter = nonzero is not None and self.scatter_pays(nonzero.size)
        if not scatter:
            return W @ values
        if out_data is not None and self._out_ptr32 is not None:
            return self._sum_rows(out_data, values, nonzero)
        starts, ends = self.out_ptr[nonzero], self.out_ptr[nonzero + 1]
        pos = _ranges(starts, ends)
        if pos.size == 0:
            return np.zeros(self.n)
        w = W.data[self.out_order[pos]] if out_data is None else out_data[pos]
        if values is not None:
            w *= np.repeat(values[nonzero], ends - starts)  # values[src] of each visited arc
        return np.bincount(self.out_dst[pos], weights=w, minlength=self.n)

    def _sum_rows(self, out_data: np.ndarray, values: np.ndarray | None, senders: np.ndarray) -> np.ndarray:
        """The scatter of :meth:`in_sum` by scipy's compiled kernels: the senders' rows of the
        sender-ordered matrix are gathered (``csr_row_index``), then summed weighted by their
        values (``csc_matvec``, the gathered rows read as columns). Each target adds its terms
        in the same order as the numpy route (senders ascending, then arc order) from 0, with
        the same products, so the sums are the same bit for bit (tests/test_network.py)."""
        rows = senders.astype(np.int32)
        ptr = self._out_ptr32
        counts = ptr[rows + 1] - ptr[rows]
        sub_ptr = np.zeros(rows.size + 1, dtype=np.int32)
        np.cumsum(counts, out=sub_ptr[1:])
        nnz = int(sub_ptr[-1])
        cols = np.empty(nnz, dtype=np.int32)
        data = np.empty(nnz, dtype=np.float64)
        _sparsetools.csr_row_index(rows.size, rows, ptr, self.out_dst, out_data, cols, data)
        x = np.ones(rows.size) if values is None else np.ascontiguousarray(values[senders], dtype=np.float64)
        y = np.zeros(self.n)
        _sparsetools.csc_matvec(self.n, rows.size, sub_ptr, cols, data, x, y)
        return y

    def to_networkx(self, week: int = 0) -> nx.DiGraph:
        """The live network in ``week`` as a networkx DiGraph (for analysis, not the hot path)."""
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(range(self.n))
        live = self.active(week)
        g.add_edges_from(zip(self.src[live].tolist(), self.dst[live].tolist()))
        return g


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, e)`` for each pair, without a Python loop."""
    lens = ends - starts
    if lens.size == 0:
        return np.zeros(0, dtype=np.int64)
    cs = np.cumsum(lens)
    total = int(cs[-1])
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offs = np.repeat(starts - (cs - lens), lens)  # start of each range less its place in the output
    offs += np.arange(total, dtype=np.int64)
    return offs


def mutual_probability(reciprocity: float) -> float:
    """Per-pair chance of a mutual tie that gives arc reciprocity ``reciprocity``."""
    return reciprocity / (2.0 - reciprocity)


def _orient(a: np.ndarray, b: np.ndarray, q: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Turn undirected pairs into arcs: mutual with probability q, else one random direction."""
    u = rng.random(a.size)
    flip = rng.random(a.size) < 0.5
    mutual = u < q
    s1 = np.where(flip, b, a)
    d1 = np.where(flip, a, b)
    src = np.concatenate([s1, d1[mutual]])
    dst = np.concatenate([d1, s1[mutual]])
    return src, dst


def _in_unit_pairs(org: Organisation, pairs_per_person: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = org.n_staff
    people = np.arange(n)
    unit = org.unit_of
    size = org.unit_size[unit]
    pos = people - org.unit_start[unit]
    whole = int(np.floor(pairs_per_person))
    frac = pairs_per_person - whole
    a_all, b_all = [], []
    for d in range(1, whole + 2):
        if d == whole + 1:
            if frac <= 0:
                break
            keep = rng.random(n) < frac
        else:
            keep = np.ones(n, dtype=bool)
        # distance d exists only if the ring is big enough; at exactly half
        # the ring each pair would appear twice, so keep one of them.
        keep &= (2 * d < size) | ((2 * d == size) & (pos < d))
        a = people[keep]
        b = org.unit_start[unit[keep]] + (pos[keep] + d) % size[keep]
        a_all.append(a)
        b_all.append(b)
    if not a_all:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(a_all), np.concatenate(b_all)


def _cross_unit_pairs(org: Organisation, params: Params, n_pairs: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    net = params.network
    clin_units = org.clinical_units
    clin_staff = int(org.unit_start[org.board_unit])
    if n_pairs <= 0 or clin_units.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    unit_dir = org.unit_directorate
    if net.cross_unit_mode == "random":
        a = rng.integers(0, clin_staff, n_pairs)
        ua = org.unit_of[a]
        same_dir = rng.random(n_pairs) < net.same_directorate_share
        # draw a person in the same directorate (a contiguous id range) or anywhere
        d_units = [org.directorate_units[k] for k in range(org.n_directorates)]
        d_lo = np.array([org.unit_start[u[0]] for u in d_units])
        d_hi = np.array([org.unit_start[u[-1]] + org.unit_size[u[-1]] for u in d_units])
        lo = np.where(same_dir, d_lo[unit_dir[ua]], 0)
        hi = np.where(same_dir, d_hi[unit_dir[ua]], clin_staff)
        b = (lo + np.floor(rng.random(n_pairs) * (hi - lo))).astype(np.int64)
        # redraw partners that landed in the person's own unit (a few rounds
        # leave only people whose directorate is a single unit)
        for _ in range(20):
            again = np.flatnonzero(org.unit_of[b] == ua)
            if again.size == 0:
                break
            b[again] = (lo[again] + np.floor(rng.random(again.size) * (hi[again] - lo[again]))).astype(np.int64)
        ok = org.unit_of[b] != ua
        return a[ok], b[ok]
    # wide bridges: w colleagues of unit A each tied to the same w colleagues of unit B
    w = net.bridge_width
    n_bridges = max(1, int(round(n_pairs / (w * w))))
    ua = rng.choice(clin_units, size=n_bridges, p=org.unit_size[clin_units] / org.unit_size[clin_units].sum())
    same_dir = rng.random(n_bridges) < net.same_directorate_share
    # a neighbouring unit: the next one round the directorate
    nxt = np.empty(org.n_units, dtype=np.int64)
    for units in org.directorate_units:
        nxt[units] = np.roll(units, -1)
    anywhere = rng.choice(clin_units, size=n_bridges)
    ub = np.where(same_dir, nxt[ua], anywhere)
    ub = np.where(ub == ua, (ua + 1) % clin_units.size, ub)
    # w distinct colleagues per side: neighbours on the unit's ring from a random start
    ma = _ring_members(org, ua, w, rng)
    mb = _ring_members(org, ub, w, rng)
    a = np.repeat(ma, w, axis=1).ravel()
    b = np.tile(mb, (1, w)).ravel()
    return a, b


def _ring_members(org: Organisation, units: np.ndarray, w: int, rng: np.random.Generator) -> np.ndarray:
    """(len(units), w) distinct members of each unit: adjacent on its ring from a random start."""
    size = org.unit_size[units][:, None]
    start = np.floor(rng.random(units.size) * org.unit_size[units]).astype(np.int64)[:, None]
    return org.unit_start[units][:, None] + (start + np.arange(w)) % size


def _manager_arcs(org: Organisation, params: Params, q: float, rng: np.random.Generator):
    """Arcs of the management structure: (src, dst) for arcs and (a, b) for mutual pairs."""
    n = org.n_staff
    unit = org.unit_of
    mgr = org.unit_manager[unit]  # each person's unit manager
    team = np.flatnonzero((mgr != np.arange(n)) & (unit != org.board_unit))
    down_src, down_dst = mgr[team], team
    up = team[rng.random(team.size) < params.network.manager_reciprocity]
    src = [down_src, up]
    dst = [down_dst, mgr[up]]
    pa, pb = [], []
    execs = np.flatnonzero((org.role == EXECUTIVE) | (org.role == CHIEF_EXECUTIVE))
    for k, units in enumerate(org.directorate_units):
        dm = org.directorate_manager[k]
        ums = org.unit_manager[units]
        ums = ums[ums != dm]
        pa.append(np.full(ums.size, dm))
        pb.append(ums)
        if ums.size > 2:  # peer managers round the directorate
            pa.append(ums)
            pb.append(np.roll(ums, -1))
        pa.append(np.full(2, dm))
        pb.append(rng.choice(execs, size=2, replace=execs.size < 2))
    dms = org.directorate_manager
    if dms.size > 1:
        pa.append(dms)
        pb.append(np.roll(dms, -1))
    # ties among managers (and up to the executives) follow the trust's reciprocity like
    # everyone's: mutual with probability q, else one direction (issue 11, item 8: the
    # evaluation's survey of senior and middle staff found the lowest-rated trusts' exchanges
    # one-directional). Drawn after every other structural tie, so those are unchanged.
    ms, md = _orient(np.concatenate(pa), np.concatenate(pb), q, rng)
    src.append(ms)
    dst.append(md)
    # the executive team talks among itself
    ea, eb = np.triu_indices(execs.size, 1)
    return np.concatenate(src), np.concatenate(dst), execs[ea], execs[eb]


def _forum_pairs(org: Organisation, params: Params, weeks: int, rng: np.random.Generator):
    f = params.forums
    clin_staff = int(org.unit_start[org.board_unit])
    span = weeks - f.start_week
    if f.ties_per_person_annual <= 0 or span <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
    m = f.cohort_size
    cohorts = int(round(f.ties_per_person_annual * clin_staff * span / 52.0 / (m * (m - 1))))
    if cohorts <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
    members = rng.integers(0, clin_staff, size=(cohorts, m))
    when = f.start_week + rng.integers(0, span, size=cohorts)
    ia, ib = np.triu_indices(m, 1)
    a = members[:, ia].ravel()
    b = members[:, ib].ravel()
    wk = np.repeat(when, ia.size).astype(np.int32)
    ok = org.unit_of[a] != org.unit_of[b]
    return a[ok], b[ok], wk[ok]


def build_network(org: Organisation, params: Params, weeks: int, rng: np.random.Generator,
                  forum_rng: np.random.Generator | None = None) -> StaffNetwork:
    """Build the staff network for one trust (see module docstring)."""
    net = params.network
    n = org.n_staff
    q = mutual_probability(net.reciprocity)
    pairs_in = net.ties_per_person / (1.0 + q)
    a, b = _in_unit_pairs(org, pairs_in, rng)
    s_in, d_in = _orient(a, b, q, rng)
    clin_staff = int(org.unit_start[org.board_unit])
    n_cross_pairs = int(round(clin_staff * net.cross_unit_ties / (1.0 + q)))
    a, b = _cross_unit_pairs(org, params, n_cross_pairs, rng)
    s_x, d_x = _orient(a, b, q, rng)
    s_m, d_m, ma, mb = _manager_arcs(org, params, q, rng)
    fa, fb, fw = _forum_pairs(org, params, weeks, forum_rng if forum_rng is not None else rng)

    src = np.concatenate([s_in, s_x, s_m, ma, mb, fa, fb]).astype(np.int64)
    dst = np.concatenate([d_in, d_x, d_m, mb, ma, fb, fa]).astype(np.int64)
    start = np.concatenate([np.zeros(src.size - 2 * fa.size, np.int32), fw, fw])
    forum = np.concatenate([np.zeros(src.size - 2 * fa.size, bool), np.ones(2 * fa.size, bool)])
    return assemble(n, org.unit_of, src, dst, start, forum)


def assemble(n: int, unit_of: np.ndarray, src: np.ndarray, dst: np.ndarray, start: np.ndarray | None = None,
             forum: np.ndarray | None = None) -> StaffNetwork:
    """A StaffNetwork from arcs, for a generated trust (``build_network``) and an imported one (model/network_io.py): self-loops dropped,
    duplicates dropped keeping the earliest week (a structural arc before a forum arc), sorted by target,
    reciprocity read from the arcs present."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    start = np.zeros(src.size, np.int32) if start is None else np.asarray(start, dtype=np.int32)
    forum = np.zeros(src.size, bool) if forum is None else np.asarray(forum, dtype=bool)
    keep = src != dst
    src, dst, start, forum = src[keep], dst[keep], start[keep], forum[keep]
    key = dst * n + src
    order = np.lexsort((forum, start, key))
    key, src, dst, start, forum = key[order], src[order], dst[order], start[order], forum[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, src, dst, start, forum = key[first], src[first], dst[first], start[first], forum[first]
    rkey = src * n + dst
    pos = np.searchsorted(key, rkey)
    pos_c = np.minimum(pos, max(key.size - 1, 0))
    has_rev = (pos < key.size) & (key[pos_c] == rkey) if key.size else np.zeros(0, bool)
    reverse = np.where(has_rev, pos_c, -1)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=n))]).astype(np.int64)
    out_order = np.argsort(src, kind="stable")
    out_ptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).astype(np.int64)
    return StaffNetwork(
        n=n, indptr=indptr, src=src.astype(np.int32), dst=dst.astype(np.int32),
        reciprocal=has_rev, reverse=reverse, cross=unit_of[src] != unit_of[dst],
        active_from=start.astype(np.int32), out_order=out_order, out_ptr=out_ptr, forum=forum,
    )


def undirected_edges(net: StaffNetwork, live: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each connected pair of the live network once, as ``(lo, hi)`` with lo < hi, and the live arcs' reverse flags.

    A pair joined by two live arcs is listed once (by its arc from the lower
    id); a one-directional pair by its one arc. The third array says, per
    arc of the structure, whether its reverse arc is live too.
    """
    rev, has, _ = _pair_structure(net)
    rev_live = live[rev] & has
    first = _pair_arcs(net, live, rev_live)
    s, d = net.src[first], net.dst[first]
    return np.minimum(s, d), np.maximum(s, d), rev_live


def _pair_arcs(net: StaffNetwork, live: np.ndarray, rev_live: np.ndarray) -> np.ndarray:
    """The arc ids that list each connected pair of the live network once: its arc from the lower
    id when both of its arcs are live, else its one live arc (``rev_live``: per arc, its reverse is live)."""
    return np.flatnonzero(live & (~rev_live | _pair_structure(net)[2]))


def _pair_structure(net: StaffNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per arc: its reverse arc's id (itself if none), whether it has one, and whether it runs from the lower id.

    Fixed with the structure, so worked out once per network and kept on it.
    """
    kept = net.__dict__.get("_pair_structure")
    if kept is None or kept[0].size != net.n_arcs:
        has = net.reverse >= 0
        kept = (np.where(has, net.reverse, np.arange(net.n_arcs)), has, net.src < net.dst)
        net.__dict__["_pair_structure"] = kept
    return kept


def triangles(lo: np.ndarray, hi: np.ndarray, n: int, members: np.ndarray | None = None) -> np.ndarray:
    """Number of triangles through each of ``n`` nodes of the simple undirected graph with edges ``(lo, hi)``.

    Each edge is listed once, with lo < hi. The "forward" algorithm
    (Schank and Wagner 2005; Latapy 2008): number the nodes by degree (ties
    by id) and point every edge from its lower to its higher number, so
    each triangle is found exactly once, from its lowest node, as a pair of
    that node's out-edges whose ends are joined. The pairs are whole-array
    ranges over the oriented CSR rows and the joins one sparse lookup. It
    visits sum_v out_v (out_v - 1) / 2 pairs, far fewer than the wedges of
    a sparse matrix square when degrees are uneven (a manager's large
    team). Integer counts: the same numbers as ``diag(U^3) / 2``.

    With ``members`` (k x m booleans: edge e is in graph j), the counts of
    each of those k subgraphs, as a k x n array, from one pass over the
    union: a triangle of the union is one of graph j's when its three edges
    all are (the week-0 and horizon networks of a run share most edges).
    """
    counts = _forward(lo, hi, n, members)
    return counts[0] if members is None else counts


def _forward(lo: np.ndarray, hi: np.ndarray, n: int, members: np.ndarray | None = None) -> np.ndarray:
    """:func:`triangles`, as a k x n array (one row without ``members``)."""
    m = lo.size
    one = members is None
    members = np.ones((1, m), dtype=bool) if one else np.atleast_2d(np.asarray(members, dtype=bool))
    k = members.shape[0]
    if k > 7:
        raise ValueError(f"triangles: {k} graphs at once; allowed is at most 7")
    deg = np.bincount(lo, minlength=n) + np.bincount(hi, minlength=n)
    rank = np.empty(n, dtype=np.int64)
    # by degree, ties by id (a stable sort: radix on 16-bit degrees)
    rank[np.argsort(deg.astype(np.int16 if n < 2**15 else np.int64), kind="stable")] = np.arange(n)
    # every edge once, from its lower to its higher rank, as row * n + end with its graphs' bits below:
    # one sort orders the edges and carries the bits; 32-bit where it fits (the bulk of the memory traffic)
    kt = np.int32 if (n * n) << k < 2**31 else np.int64
    it = np.int32 if max(n, m) < 2**31 - 1 else np.int64
    rl, rh = rank[lo].astype(kt), rank[hi].astype(kt)
    code = (np.minimum(rl, rh) * kt(n) + np.maximum(rl, rh)) << kt(k)
    if one:
        code |= kt(1)
    else:
        for j in range(k):
            code |= members[j].astype(kt) << kt(j)
    code.sort()
    bits = (code & kt((1 << k) - 1)).astype(np.int8)
    keys = code >> kt(k)
    row = (keys // kt(n)).astype(it, copy=False)
    ends = (keys - row * kt(n)).astype(it, copy=False)
    ptr = np.zeros(n + 1, dtype=it)
    np.cumsum(np.bincount(row, minlength=n), out=ptr[1:])
    nxt = np.arange(1, m + 1, dtype=it)
    later = ptr[row + 1] - nxt  # later out-edges of the same row
    start = np.cumsum(later, dtype=np.int64) - later  # where each edge's pairs begin
    total = int(start[-1] + later[-1]) if m else 0
    pt = it if total < 2**31 - 1 else np.int64
    # each out-edge (a -> x) paired with every later one (a -> y) of its row: x < y, so the
    # edge between them, if any, is x -> y (repeats run in order; only y needs a gather)
    second = np.arange(total, dtype=pt) + np.repeat((nxt - start).astype(pt), later)
    x, y = np.repeat(ends, later), ends[second]
    D = sp.csr_array((bits, ends, ptr), shape=(n, n))
    # the graphs that have the triangle (a, x, y): those of its closing edge x -> y (one sparse
    # lookup, 0 if none) that have its two other edges too
    tri = D[x, y] if total else np.zeros(0, dtype=np.int8)
    if not one:
        tri &= np.repeat(bits, later)
        tri &= bits[second]
    hit = np.flatnonzero(tri)
    a, x, y = np.repeat(row, later)[hit], x[hit], y[hit]  # each triangle's three nodes
    if one:
        return np.bincount(np.concatenate([a, x, y]), minlength=n)[rank][None, :]
    # triangles per node and set of graphs (the bits), in one count; graph j's: the sets with bit j
    ct = np.int32 if n << k < 2**31 else np.int64
    sets_of = tri[hit].astype(ct)
    per_set = sum(np.bincount(v.astype(ct, copy=False) << ct(k) | sets_of, minlength=n << k) for v in (a, x, y))
    per_set = per_set.reshape(n, 1 << k)
    sets = np.arange(1 << k)
    return np.stack([per_set[:, ((sets >> j) & 1) == 1].sum(axis=1) for j in range(k)])[:, rank]


def network_stats(net: StaffNetwork, week: int, live: np.ndarray | None = None) -> dict[str, float]:
    """Social network analysis of the live network, set beside the evaluation's own.

    ``reciprocity_arcs`` is the share of arcs whose reverse arc also exists
    (the arc definition); ``reciprocity_pairs`` is the share of connected
    pairs that are mutual (the dyad definition). ``one_directional_share`` is
    the share of arcs that are not reciprocated. Clustering is on the
    undirected graph of connected pairs (networkx's ``average_clustering``
    and ``transitivity`` of ``G.to_undirected()``), from exact triangle
    counts (:func:`triangles`).
    """
    live = net.active(week) if live is None else np.asarray(live, dtype=bool)
    return network_stats_many(net, [(week, live)])[0]


def network_stats_many(net: StaffNetwork, snapshots: list[tuple[int, np.ndarray]]) -> list[dict[str, float]]:
    """:func:`network_stats` of several live-arc sets of one network (``(week, live)`` each), the same numbers.

    The triangles of all of them come from one count over their union
    (:func:`triangles` with ``members``): a run's week-0 and horizon
    networks differ by the forum and re-formed ties only, so two snapshots
    cost little more than one.
    """
    n = net.n
    lives = [np.asarray(live, dtype=bool) for _, live in snapshots]
    rev, has, _ = _pair_structure(net)
    rev_lives = [live[rev] & has for live in lives]  # per arc: whether its reverse arc is live too
    one = len(lives) == 1
    if one:
        union, union_rev = lives[0], rev_lives[0]
    else:
        union = np.logical_or.reduce(lives)
        union_rev = union[rev] & has
    # each connected pair of any snapshot once (as undirected_edges lists them), and which snapshots have it
    r = _pair_arcs(net, union, union_rev)
    s, d = net.src[r], net.dst[r]
    lo, hi = np.minimum(s, d), np.maximum(s, d)
    members = None if one else np.array([(live | rev_live)[r] for live, rev_live in zip(lives, rev_lives)])
    tris = _forward(lo, hi, n, members)
    out = []
    for j, ((week, _), live, rev_live) in enumerate(zip(snapshots, lives, rev_lives)):
        arcs = int(live.sum())
        mutual = live & rev_live
        rec_arcs = int(mutual.sum())
        mutual_pairs = rec_arcs / 2
        one_way = arcs - rec_arcs
        connected_pairs = mutual_pairs + one_way
        ptr = np.concatenate([[0], np.cumsum(live, dtype=np.int64)])[net.indptr]  # live arcs per target: CSR rows
        indeg = np.diff(ptr)
        senders = net.src[live]
        outdeg = np.bincount(senders, minlength=n)
        # undirected degree (distinct neighbours): in + out, a mutual pair counted once
        k = (indeg + outdeg - np.bincount(net.src[mutual], minlength=n)).astype(np.float64)
        tri = tris[j].astype(np.float64)
        denom = k * (k - 1) / 2
        local = np.divide(tri, denom, out=np.zeros(n), where=denom > 0)
        triples = denom.sum()
        # weak components of the live arcs (the in-contact CSR of the live arcs)
        it = np.int32 if arcs < 2**31 - 1 else np.int64
        G = sp.csr_array((np.ones(arcs, dtype=np.int8), senders.astype(it, copy=False), ptr.astype(it)), shape=(n, n))
        n_comp, labels = csgraph.connected_components(G, directed=True, connection="weak")
        largest = np.bincount(labels).max() / n if n else 0.0
        cross = int((live & net.cross).sum())
        out.append({
            "week": week,
            "staff": n,
            "arcs": arcs,
            "density": arcs / (n * (n - 1)) if n > 1 else 0.0,
            "reciprocity_arcs": rec_arcs / arcs if arcs else 0.0,
            "reciprocity_pairs": mutual_pairs / connected_pairs if connected_pairs else 0.0,
            "one_directional_share": one_way / arcs if arcs else 0.0,
            "clustering_mean": float(local.mean()),
            "transitivity": float(tri.sum() / triples) if triples else 0.0,
            "mean_in_degree": float(indeg.mean()),
            "mean_out_degree": float(outdeg.mean()),
            "max_in_degree": int(indeg.max()) if n else 0,
            "max_out_degree": int(outdeg.max()) if n else 0,
            "components": int(n_comp),
            "largest_component_share": float(largest),
            "cross_unit_ties_per_person": cross / n if n else 0.0,
        })
    return out
