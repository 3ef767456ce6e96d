"""network_stats' cheaper statistics: triangle counts by the forward algorithm, one pass for degrees and reciprocity.

The statistics must be the numbers networkx gives on the same graph, and
bit for bit the numbers of the sparse-matrix-square version they replace
(``_reference_stats`` below, the code as it was), since every published
network table comes from them.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from bench_reference import bench_module
from hypothesis import given, settings
from hypothesis import strategies as st

from model.network import (
    StaffNetwork,
    network_stats,
    network_stats_many,
    triangles,
    undirected_edges,
)


def staff_network(n: int, arcs: set[tuple[int, int]], rng: np.random.Generator) -> StaffNetwork:
    """A StaffNetwork over the arcs (u, v) = u talks to v, sorted by target, random units and start weeks."""
    pairs = sorted(arcs, key=lambda a: (a[1], a[0]))
    src = np.array([p[0] for p in pairs], dtype=np.int64)
    dst = np.array([p[1] for p in pairs], dtype=np.int64)
    key = dst * n + src
    pos = np.searchsorted(key, src * n + dst)
    pos_c = np.minimum(pos, max(key.size - 1, 0))
    has = (pos < key.size) & (key[pos_c] == src * n + dst) if key.size else np.zeros(0, bool)
    unit = rng.integers(0, 3, n)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=n))]).astype(np.int64)
    out_order = np.argsort(src, kind="stable")
    out_ptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).astype(np.int64)
    return StaffNetwork(n=n, indptr=indptr, src=src.astype(np.int32), dst=dst.astype(np.int32), reciprocal=has,
                        reverse=np.where(has, pos_c, -1), cross=unit[src] != unit[dst],
                        active_from=rng.integers(0, 3, src.size).astype(np.int32), out_order=out_order,
                        out_ptr=out_ptr)


#: the code as it was before issue 12 (benchmarks/bench_fixed_costs.py's ``old_network_stats``), for bit-for-bit comparison
_reference_stats = bench_module("bench_fixed_costs").old_network_stats


@st.composite
def digraphs(draw):
    n = draw(st.integers(1, 30))
    p = draw(st.sampled_from([0.0, 0.05, 0.15, 0.4, 0.9]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    mask = rng.random((n, n)) < p
    np.fill_diagonal(mask, False)
    arcs = {(int(u), int(v)) for u, v in zip(*np.nonzero(mask))}
    return n, arcs, rng


@settings(max_examples=150, deadline=None)
@given(digraphs())
def test_triangles_match_networkx(g):
    n, arcs, _ = g
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(arcs)
    lo = np.array([min(e) for e in G.edges], dtype=np.int64)
    hi = np.array([max(e) for e in G.edges], dtype=np.int64)
    t = nx.triangles(G)
    assert np.array_equal(triangles(lo, hi, n), np.array([t[i] for i in range(n)]))



@settings(max_examples=150, deadline=None)
@given(digraphs(), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_triangles_of_several_subgraphs_at_once_match_networkx_for_each(g, k, seed):
    """One count over the union, each subgraph's triangles: those whose three edges it has."""
    n, arcs, _ = g
    U = nx.Graph()
    U.add_nodes_from(range(n))
    U.add_edges_from(arcs)
    edges = list(U.edges)
    lo = np.array([min(e) for e in edges], dtype=np.int64)
    hi = np.array([max(e) for e in edges], dtype=np.int64)
    members = np.random.default_rng(seed).random((k, len(edges))) < 0.7
    got = triangles(lo, hi, n, members)
    assert got.shape == (k, n)
    for j in range(k):
        G = nx.Graph()
        G.add_nodes_from(range(n))
        G.add_edges_from(e for e, keep in zip(edges, members[j]) if keep)
        t = nx.triangles(G)
        assert np.array_equal(got[j], np.array([t[i] for i in range(n)]))


@settings(max_examples=100, deadline=None)
@given(digraphs(), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_several_live_arc_sets_at_once_give_each_its_own_numbers_bit_for_bit(g, k, seed):
    """network_stats_many (a run's week 0 and horizon together) is network_stats of each, to the bit."""
    n, arcs, rng = g
    net = staff_network(n, arcs, rng)
    r = np.random.default_rng(seed)
    lives = [r.random(net.n_arcs) < r.choice([0.0, 0.3, 0.8, 1.0]) for _ in range(k)]
    many = network_stats_many(net, [(w, live) for w, live in enumerate(lives)])
    assert many == [_reference_stats(net, w, live) for w, live in enumerate(lives)]
    assert many == [network_stats(net, w, live) for w, live in enumerate(lives)]


@settings(max_examples=150, deadline=None)
@given(digraphs(), st.integers(0, 3))
def test_network_stats_match_networkx_and_the_old_code_bit_for_bit(g, week):
    n, arcs, rng = g
    net = staff_network(n, arcs, rng)
    live = net.active(week)
    s = network_stats(net, week, live)
    assert s == _reference_stats(net, week, live)  # every statistic bit for bit
    assert all(type(v) is type(w) for v, w in zip(s.values(), _reference_stats(net, week, live).values()))
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip(net.src[live].tolist(), net.dst[live].tolist()))
    U = nx.Graph(G.to_undirected())
    assert s["clustering_mean"] == pytest.approx(nx.average_clustering(U))
    assert s["transitivity"] == pytest.approx(nx.transitivity(U))
    if G.number_of_edges():
        assert s["reciprocity_arcs"] == pytest.approx(nx.overall_reciprocity(G))
        mutual = sum(1 for u, v in G.edges if u < v and G.has_edge(v, u))
        assert s["reciprocity_pairs"] == pytest.approx(mutual / U.number_of_edges())
    assert s["components"] == nx.number_weakly_connected_components(G)
    assert s["max_in_degree"] == max(d for _, d in G.in_degree())
    assert s["max_out_degree"] == max(d for _, d in G.out_degree())


def test_undirected_edges_lists_each_connected_pair_once():
    rng = np.random.default_rng(3)
    net = staff_network(5, {(0, 1), (1, 0), (2, 1), (3, 4), (4, 3), (0, 4)}, rng)
    live = np.ones(net.n_arcs, dtype=bool)
    lo, hi, rev = undirected_edges(net, live)
    assert sorted(zip(lo.tolist(), hi.tolist())) == [(0, 1), (0, 4), (1, 2), (3, 4)]
    assert rev.sum() == 4  # the two mutual pairs' four arcs
    live[np.flatnonzero((net.src == 1) & (net.dst == 0))] = False  # 1 -> 0 dormant: the pair is one-way
    lo, hi, rev = undirected_edges(net, live)
    assert sorted(zip(lo.tolist(), hi.tolist())) == [(0, 1), (0, 4), (1, 2), (3, 4)]
    assert (live & rev).sum() == 2


@pytest.mark.parametrize("name,over,weeks", [("baseline-teaching", [], 260), ("sash-teaching", [], 200),
                                              ("baseline-teaching", ["forums.ties_per_person_annual=3.0"], 150)])
def test_a_run_s_start_and_end_statistics_are_the_old_code_s_bit_for_bit(name, over, weeks):
    """On real runs, with turnover's dormant ties and forum cohorts, start and end, the numbers do not move."""
    from model import TrustModel, load_scenario

    m = TrustModel(load_scenario(name, over), rng=4, weeks=weeks, agents=False)
    assert m.network_start == _reference_stats(m.net, 0, m.live.live_at_start)
    m.run()
    assert m.network_end == _reference_stats(m.net, m.week, m.live.live)
    assert not np.array_equal(m.live.live, m.live.live_at_start)  # the end network did change
    both = TrustModel(load_scenario(name, over), rng=4, weeks=weeks, agents=False)
    both.run()  # both asked at the horizon: one triangle count over the two networks, the same numbers
    assert (both.network_start, both.network_end) == (m.network_start, m.network_end)


@settings(max_examples=40, deadline=None)
@given(digraphs())
def test_one_network_asked_again_with_other_live_arcs_gives_each_its_own_numbers(g):
    """What network_stats keeps on a network (its arcs' reverses) does not leak one week's live arcs into another's."""
    n, arcs, rng = g
    net = staff_network(n, arcs, rng)
    for week in (3, 0, 2, 1, 3):
        live = net.active(week)
        assert network_stats(net, week, live) == _reference_stats(net, week, live)
    live = rng.random(net.n_arcs) < 0.5  # any subset, not only a schedule's
    assert network_stats(net, 9, live) == _reference_stats(net, 9, live)


def test_at_most_seven_subgraphs_at_once():
    """Each edge carries its subgraphs as bits of one byte."""
    lo, hi = np.array([0, 0, 1]), np.array([1, 2, 2])
    assert triangles(lo, hi, 3, np.ones((7, 3), dtype=bool)).tolist() == [[1, 1, 1]] * 7
    with pytest.raises(ValueError, match="at most 7"):
        triangles(lo, hi, 3, np.ones((8, 3), dtype=bool))
