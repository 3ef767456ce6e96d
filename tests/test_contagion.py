"""The stand-alone contagion kernel ``model.contagion.spread`` against the classic models.

- complex rule, adoption_prob 1, every weight 1: EXACTLY the Watts (2002)
  threshold model with fractional threshold phi, synchronous updating;
- simple rule: EXACTLY the SI model (attempts every step) / the independent
  cascade (attempts once), checked both by drawing the same random numbers
  in the same order as a straightforward reference and by known
  distributions on stars and paths.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

from model.contagion import exposure, in_contact_matrix, spread


# --- straightforward reference implementations -------------------------------------


def in_lists(G):
    """In-contacts of each node, in node order (predecessors in a DiGraph, neighbours in a Graph)."""
    nodes = list(G.nodes)
    pos = {v: i for i, v in enumerate(nodes)}
    if G.is_directed():
        return [[pos[u] for u in G.predecessors(v) if u != v] for v in nodes]
    return [[pos[u] for u in G.neighbors(v) if u != v] for v in nodes]


def reciprocal(G, j, i, nodes):
    """Is the tie j -> i reciprocated (i -> j exists)?"""
    return (not G.is_directed()) or G.has_edge(nodes[i], nodes[j])


def watts_reference(G, seeds, steps, phi):
    ins = in_lists(G)
    n = len(ins)
    x = np.zeros(n, bool)
    x[list(seeds)] = True
    out = [x.copy()]
    for _ in range(steps):
        new = x.copy()
        for i in range(n):
            if not x[i] and ins[i]:
                if sum(x[j] for j in ins[i]) / len(ins[i]) >= phi:
                    new[i] = True
        x = new
        out.append(x.copy())
    return np.array(out)


def cascade_reference(G, seeds, steps, beta, w, rng, once=False, mix=None, phi=None, a=1.0):
    """SI / independent cascade (and hybrid) with the kernel's draw order: one uniform per node per step."""
    nodes = list(G.nodes)
    ins = in_lists(G)
    n = len(ins)
    x = np.zeros(n, bool)
    x[list(seeds)] = True
    new = x.copy()
    out = [x.copy()]
    for _ in range(steps):
        u = rng.random(n)
        nxt = x.copy()
        for i in range(n):
            if x[i]:
                continue
            survive = 1.0
            num = 0.0
            for j in ins[i]:
                wij = 1.0 if reciprocal(G, j, i, nodes) else w
                if (new[j] if once else x[j]):
                    survive *= 1.0 - beta * wij
                if x[j]:
                    num += wij
            p = 1.0 - survive
            if mix is not None:
                pc = a if (num / max(len(ins[i]), 1)) >= phi else 0.0
                p = mix * p + (1 - mix) * pc
            if u[i] < p:
                nxt[i] = True
        new = nxt & ~x
        x = nxt
        out.append(x.copy())
    return np.array(out)


def random_graphs():
    yield nx.gnp_random_graph(150, 0.04, seed=1, directed=True)
    yield nx.gnp_random_graph(150, 0.05, seed=2)
    yield nx.watts_strogatz_graph(150, 6, 0.1, seed=3)
    yield nx.random_regular_graph(4, 120, seed=4)
    g = nx.gnp_random_graph(120, 0.03, seed=5, directed=True)
    g.add_edges_from((v, u) for u, v in list(g.edges)[::2])  # partly reciprocal
    yield g


# --- hand-checked small cases --------------------------------------------------------


def dg(n, edges):
    """A DiGraph whose node order is 0..n-1 (the kernel takes nodes in the graph's order)."""
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(edges)
    return G


def test_direction_convention():
    """DiGraph u -> v: u talks to v, so v hears from u."""
    G = nx.DiGraph([(0, 1)])
    assert spread(G, [0], 1, threshold=0.5).states[1].tolist() == [True, True]
    assert spread(G, [1], 1, threshold=0.5).states[1].tolist() == [False, True]
    A = sp.csr_array(np.array([[0, 1], [0, 0]]))  # A[u, v]: arc u -> v
    assert spread(A, [0], 1, threshold=0.5).states[1].tolist() == [True, True]


def test_exposure_weights_only_the_numerator():
    # 0 <-> 3 reciprocal; 1 -> 3 and 2 -> 3 one-directional
    G = dg(4, [(0, 3), (3, 0), (1, 3), (2, 3)])
    M, flags = in_contact_matrix(G)
    w = 0.5
    W = sp.csr_array((np.where(flags, 1.0, w), M.indices, M.indptr), shape=M.shape)
    k = np.diff(M.indptr)
    x = np.array([1.0, 1.0, 0.0, 0.0])
    e = exposure(W, x, k)
    assert e[3] == pytest.approx((1 + 0.5) / 3)  # not (1 + 0.5) / (1 + 0.5 + 0.5)
    assert e[0] == 0.0
    # via the kernel: adopts at threshold 0.5, not at 0.51
    assert spread(G, [0, 1], 1, threshold=0.5, one_directional_weight=w).states[1, 3]
    assert not spread(G, [0, 1], 1, threshold=0.51, one_directional_weight=w).states[1, 3]


def test_w_matters_in_a_network_of_one_directional_ties():
    """If both numerator and denominator were weighted, w would cancel here."""
    G = dg(4, [(0, 3), (1, 3), (2, 3)])  # all one-directional
    for w in (1.0, 0.8):
        res = spread(G, [0, 1], 3, threshold=0.6, one_directional_weight=w)
        # exposure = 2w/3: 0.667 adopts at phi 0.6; 0.533 does not
        assert res.states[-1, 3] == (2 * w / 3 >= 0.6)
    # on a larger one-directional random graph, w changes the outcome of the threshold rule
    D = nx.gnp_random_graph(300, 0.02, seed=9, directed=True)
    D.remove_edges_from([(v, u) for u, v in list(D.edges) if D.has_edge(v, u) and u < v])
    assert nx.overall_reciprocity(D) == 0
    a = spread(D, range(30), 30, threshold=0.3, one_directional_weight=1.0).states[-1].sum()
    b = spread(D, range(30), 30, threshold=0.3, one_directional_weight=0.5).states[-1].sum()
    assert a > b


def test_threshold_chain_and_complex_needs_two_contacts():
    # a path: each node has one in-contact, so phi <= 1 passes one step at a time
    P = nx.path_graph(6, create_using=nx.DiGraph)
    res = spread(P, [0], 10, threshold=1.0)
    assert res.adoption_step.tolist() == [0, 1, 2, 3, 4, 5]
    # a node with 4 in-contacts and phi = 0.5 needs two practising contacts
    S = dg(5, [(j, 4) for j in range(4)])
    assert not spread(S, [0], 2, threshold=0.5).states[-1, 4]
    assert spread(S, [0, 1], 1, threshold=0.5).states[-1, 4]


def test_simple_rule_probability_hand_case():
    # node 2 hears from 0 (reciprocal) and 1 (one-directional, w = 0.5); beta = 0.4
    beta, w, m = 0.4, 0.5, 4000
    expected = 1 - (1 - beta) * (1 - beta * w)  # 0.52
    one = dg(3, [(0, 2), (2, 0), (1, 2)])
    G = nx.disjoint_union_all([one] * m)  # m independent copies in one run
    seeds = np.concatenate([np.arange(m) * 3, np.arange(m) * 3 + 1])
    res = spread(G, seeds, 1, rule="simple", transmission=beta, one_directional_weight=w, rng=3)
    hits = int(res.states[1, 2::3].sum())
    assert stats.binomtest(hits, m, expected).pvalue > 1e-4


def test_inputs_graph_digraph_sparse_agree():
    G = nx.gnp_random_graph(60, 0.1, seed=3)
    D = G.to_directed()
    A = nx.to_scipy_sparse_array(G, format="csr")
    r = [spread(g, [0, 1, 2], 10, rule="simple", transmission=0.2, rng=4).states for g in (G, D, A)]
    assert np.array_equal(r[0], r[1]) and np.array_equal(r[0], r[2])
    res = spread(G, np.zeros(60, bool) | (np.arange(60) < 3), 10, rule="simple", transmission=0.2, rng=4)
    assert np.array_equal(res.states, r[0])  # boolean seed mask
    assert spread(G, [0], 1).reciprocal_share == 1.0


def test_progressive_and_shapes():
    G = nx.gnp_random_graph(80, 0.08, seed=1)
    res = spread(G, [0], 15, rule="simple", transmission=0.3, rng=0)
    assert res.states.shape == (16, 80)
    assert np.all(res.states[1:] >= res.states[:-1])  # nobody abandons
    assert np.all(np.diff(res.adopted_share) >= 0)
    assert res.adoption_step[0] == 0
    assert spread(G, [0], 0).states.shape == (1, 80)


@pytest.mark.parametrize("kwargs", [{"rule": "viral"}, {"attempts": "twice"}, {"steps": -1}, {"transmission": 1.5},
                                    {"one_directional_weight": -0.1}, {"seeds": [500]}])
def test_bad_arguments(kwargs):
    G = nx.path_graph(5)
    args = {"seeds": [0], "steps": 3, **kwargs}
    with pytest.raises(ValueError):
        spread(G, **args)


# --- EXACT: the Watts threshold model ------------------------------------------------------


@pytest.mark.parametrize("phi", [0.1, 0.18, 0.25, 1 / 3, 0.5])
def test_complex_rule_is_exactly_the_watts_threshold_model(phi):
    for k, G in enumerate(random_graphs()):
        rng = np.random.default_rng(k)
        n = G.number_of_nodes()
        seed_node = int(rng.integers(n))
        # a seed cluster (a node and its neighbourhood) and a scattered seed set
        nbrs = list(nx.all_neighbors(G, seed_node)) if G.is_directed() else list(G.neighbors(seed_node))
        for seeds in ([seed_node, *nbrs], rng.choice(n, size=n // 10, replace=False).tolist()):
            ours = spread(G, seeds, 25, rule="complex", threshold=phi, adoption_prob=1.0).states
            ref = watts_reference(G, seeds, 25, phi)
            assert np.array_equal(ours, ref), (k, phi)


def test_watts_with_heterogeneous_thresholds():
    G = nx.gnp_random_graph(150, 0.05, seed=2)
    th = np.random.default_rng(0).uniform(0.05, 0.4, 150)
    ours = spread(G, range(10), 30, threshold=th).states
    ins = in_lists(G)
    x = np.zeros(150, bool)
    x[:10] = True
    for t in range(30):
        x = x | np.array([bool(ins[i]) and sum(x[j] for j in ins[i]) / len(ins[i]) >= th[i] for i in range(150)])
        assert np.array_equal(ours[t + 1], x)


# --- EXACT: SI and the independent cascade (same random numbers) ------------------------------


@pytest.mark.parametrize("beta,w", [(0.05, 1.0), (0.2, 1.0), (0.3, 0.4), (1.0, 1.0)])
def test_simple_rule_is_exactly_si(beta, w):
    for k, G in enumerate(random_graphs()):
        ours = spread(G, [0, 1], 20, rule="simple", transmission=beta, one_directional_weight=w,
                      rng=np.random.default_rng(k)).states
        ref = cascade_reference(G, [0, 1], 20, beta, w, np.random.default_rng(k))
        assert np.array_equal(ours, ref), (k, beta, w)


@pytest.mark.parametrize("beta,w", [(0.2, 1.0), (0.5, 0.5), (0.9, 1.0)])
def test_simple_rule_once_is_exactly_the_independent_cascade(beta, w):
    for k, G in enumerate(random_graphs()):
        ours = spread(G, [0, 1, 2], 20, rule="simple", transmission=beta, one_directional_weight=w,
                      attempts="once", rng=np.random.default_rng(k)).states
        ref = cascade_reference(G, [0, 1, 2], 20, beta, w, np.random.default_rng(k), once=True)
        assert np.array_equal(ours, ref), (k, beta, w)


def test_hybrid_is_the_stated_mix():
    for k, G in enumerate(random_graphs()):
        ours = spread(G, range(8), 15, rule="hybrid", transmission=0.1, threshold=0.2, adoption_prob=0.7,
                      mix=0.3, one_directional_weight=0.5, rng=np.random.default_rng(k)).states
        ref = cascade_reference(G, range(8), 15, 0.1, 0.5, np.random.default_rng(k), mix=0.3, phi=0.2, a=0.7)
        assert np.array_equal(ours, ref), k
    G = nx.gnp_random_graph(100, 0.06, seed=0)
    simple = spread(G, range(5), 10, rule="simple", transmission=0.2, rng=1).states
    assert np.array_equal(spread(G, range(5), 10, rule="hybrid", mix=1.0, transmission=0.2, rng=1).states, simple)
    watts = spread(G, range(5), 10, rule="complex", threshold=0.2).states
    assert np.array_equal(spread(G, range(5), 10, rule="hybrid", mix=0.0, threshold=0.2, rng=1).states, watts)


# --- EXACT distributions on stars and paths -----------------------------------------------------


def test_si_on_a_star_is_binomial_each_step():
    """Centre seed, 4000 leaves: leaves adopted by step t ~ Binomial(4000, 1 - (1 - beta)^t)."""
    leaves, beta = 4000, 0.15
    G = nx.star_graph(leaves)
    res = spread(G, [0], 5, rule="simple", transmission=beta, rng=11)
    for t in range(1, 6):
        k = int(res.states[t, 1:].sum())
        assert stats.binomtest(k, leaves, 1 - (1 - beta) ** t).pvalue > 1e-4, t


def test_independent_cascade_on_paths_reaches_distance_k_with_beta_to_the_k():
    """3000 disjoint directed paths of 5 nodes, heads seeded: P(node at distance k adopts) = beta^k."""
    m, L, beta = 3000, 5, 0.6
    G = nx.disjoint_union_all([nx.path_graph(L, create_using=nx.DiGraph)] * m)
    heads = np.arange(m) * L
    res = spread(G, heads, L + 2, rule="simple", transmission=beta, attempts="once", rng=5)
    final = res.states[-1].reshape(m, L)
    for k in range(1, L):
        assert stats.binomtest(int(final[:, k].sum()), m, beta ** k).pvalue > 1e-4, k
    # and nothing moves once the cascade is spent
    assert np.array_equal(res.states[L], res.states[-1])


def test_si_waiting_time_is_geometric():
    """Disjoint arcs s -> t, s seeded: t's adoption step ~ Geometric(beta * w)."""
    m, beta, w = 5000, 0.5, 0.4
    G = nx.DiGraph([(2 * i, 2 * i + 1) for i in range(m)])
    res = spread(G, np.arange(m) * 2, 60, rule="simple", transmission=beta, one_directional_weight=w, rng=8)
    steps = res.adoption_step[1::2]
    p = beta * w
    assert np.all(steps >= 1)
    observed = np.bincount(np.minimum(steps, 8), minlength=9)[1:]
    expected = np.array([p * (1 - p) ** (k - 1) for k in range(1, 8)] + [(1 - p) ** 7]) * m
    assert stats.chisquare(observed, expected).pvalue > 1e-4


def test_complex_rule_with_adoption_prob_is_geometric_above_threshold():
    m, a = 4000, 0.3
    G = nx.DiGraph([(2 * i, 2 * i + 1) for i in range(m)])
    res = spread(G, np.arange(m) * 2, 40, rule="complex", threshold=0.5, adoption_prob=a, rng=2)
    steps = res.adoption_step[1::2]
    assert stats.binomtest(int((steps == 1).sum()), m, a).pvalue > 1e-4
    assert abs(steps[steps > 0].mean() - 1 / a) < 5 * np.sqrt((1 - a) / a**2 / m)


def test_same_rng_same_result_and_different_rng_differ():
    G = nx.gnp_random_graph(200, 0.03, seed=0)
    a = spread(G, [0], 20, rule="simple", transmission=0.2, rng=1).states
    b = spread(G, [0], 20, rule="simple", transmission=0.2, rng=1).states
    c = spread(G, [0], 20, rule="simple", transmission=0.2, rng=2).states
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_a_node_without_in_contacts_never_adopts():
    """Watts (2002) and NDlib: a node with no neighbours is never exposed, even at threshold 0."""
    import networkx as nx
    from model.contagion import spread as run_kernel

    G = nx.empty_graph(50, create_using=nx.DiGraph)
    res = run_kernel(G, seeds=[0], steps=5, rule="complex", threshold=0.0)
    assert res.states[-1].sum() == 1
    res = run_kernel(G, seeds=[0], steps=5, rule="hybrid", threshold=0.0, transmission=1.0, rng=1)
    assert res.states[-1].sum() == 1
