"""The prepared kernel (``PreparedNetwork`` / ``prepare``): the matrices built once, early stop at a fixed point.

Bit for bit the result of the kernel as it was before issue 12
(``_reference_spread`` below: matrices rebuilt on every call, every step
run), for every rule and argument, on random small graphs; and a generator
passed in is left in the same state, so a loop of calls sharing one
generator gives the same numbers too.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from bench_reference import bench_module
from hypothesis import given, settings
from hypothesis import strategies as st

from model.contagion import (
    PreparedNetwork,
    prepare,
    spread,
)

#: the code as it was before issue 12 (benchmarks/bench_kernel.py's ``old_spread``), for bit-for-bit comparison
_reference_spread = bench_module("bench_kernel").old_spread


@st.composite
def cases(draw):
    n = draw(st.integers(1, 25))
    p = draw(st.sampled_from([0.0, 0.05, 0.1, 0.2, 0.5]))
    directed = draw(st.booleans())
    gseed = draw(st.integers(0, 2**31 - 1))
    G = nx.gnp_random_graph(n, p, seed=gseed, directed=directed)
    rule = draw(st.sampled_from(["complex", "simple", "hybrid"]))
    k = draw(st.integers(0, n))
    seeds = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
    per_node = draw(st.booleans())
    if per_node:
        threshold = np.array(draw(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0, 1.5]), min_size=n, max_size=n)))
    else:
        threshold = draw(st.sampled_from([0.0, 0.18, 0.25, 0.5, 1.0]))
    kwargs = dict(
        threshold=threshold,
        adoption_prob=draw(st.sampled_from([1.0, 0.0, 0.3, 0.9])),
        transmission=draw(st.sampled_from([0.0, 0.1, 0.5, 1.0])),
        one_directional_weight=draw(st.sampled_from([1.0, 0.3, 0.0])),
        mix=draw(st.sampled_from([0.0, 0.5, 1.0])),
        attempts=draw(st.sampled_from(["every_step", "once"])),
    )
    steps = draw(st.integers(0, 30))
    return G, seeds, steps, rule, kwargs, draw(st.integers(0, 2**31 - 1))


@settings(max_examples=300, deadline=None)
@given(cases())
def test_prepared_and_plain_spread_are_the_old_kernel_bit_for_bit(case):
    G, seeds, steps, rule, kwargs, seed = case
    want, share = _reference_spread(G, seeds, steps, rule, rng=seed, **kwargs)
    net = prepare(G)
    for got in (spread(G, seeds, steps, rule, rng=seed, **kwargs),
                net.spread(seeds, steps, rule, rng=seed, **kwargs),
                net.spread(seeds, steps, rule, rng=seed, **kwargs),  # the kept matrices, a second time
                spread(net, seeds, steps, rule, rng=seed, **kwargs)):
        assert got.states.shape == (steps + 1, G.number_of_nodes())
        assert np.array_equal(got.states, want)
        assert got.reciprocal_share == share


@settings(max_examples=100, deadline=None)
@given(cases(), st.sampled_from(["PCG64", "MT19937", "Philox", "SFC64"]))
def test_a_shared_generator_ends_where_the_old_kernel_left_it(case, bit_generator):
    """Stopping early still moves a caller's generator on by every draw the skipped steps would have made."""
    G, seeds, steps, rule, kwargs, seed = case
    old = np.random.Generator(getattr(np.random, bit_generator)(seed))
    new = np.random.Generator(getattr(np.random, bit_generator)(seed))
    net = PreparedNetwork(G)
    for _ in range(2):  # two calls in a row on one generator
        want, _ = _reference_spread(G, seeds, steps, rule, rng=old, **kwargs)
        assert np.array_equal(net.spread(seeds, steps, rule, rng=new, **kwargs).states, want)
    assert old.random() == new.random()


def test_the_deterministic_rule_stops_at_its_fixed_point():
    """A cascade that ends at step 3 of 10,000 is not run for 10,000 steps, and the states keep their shape."""
    G = nx.path_graph(4)
    net = prepare(G)
    calls = []
    W = net.weights(1.0)

    class Counting(sp.csr_array):
        def __matmul__(self, other):
            calls.append(1)
            return super().__matmul__(other)

    net._W[1.0] = Counting(W)
    res = net.spread([0], 10_000, threshold=0.5)
    assert res.states.shape == (10_001, 4)
    assert res.adoption_step.tolist() == [0, 1, 2, 3]
    assert res.states[3:].all()
    assert len(calls) == 4  # steps 1-3 adopt, step 4 finds no change: stop
    # a random rule that still has chances left is run on
    calls.clear()
    res = net.spread([0], 200, adoption_prob=0.5, threshold=0.5, rng=1)
    assert res.states[-1].all() and len(calls) > 4


def test_a_step_without_adoption_is_not_a_fixed_point_while_chances_remain():
    """adoption_prob < 1: a week in which the draw fails for everyone is followed by more weeks."""
    G = nx.star_graph(1)  # 0 - 1
    res = prepare(G).spread([0], 400, threshold=0.5, adoption_prob=0.02, rng=3)
    first = res.adoption_step[1]
    assert first > 1  # some steps passed with no adoption
    assert np.array_equal(res.states, _reference_spread(G, [0], 400, threshold=0.5, adoption_prob=0.02, rng=3)[0])


@pytest.mark.parametrize("rule", ["complex", "simple", "hybrid"])
def test_a_node_without_in_contacts_never_adopts_even_at_threshold_zero(rule):
    G = nx.DiGraph()
    G.add_nodes_from(range(4))
    G.add_edge(0, 1)  # 1 hears from 0; 2 and 3 hear from no one; 0 hears from no one
    for seeds in ([], [0]):
        res = prepare(G).spread(seeds, 20, rule, threshold=0.0, transmission=1.0, adoption_prob=1.0, rng=0)
        assert not res.states[:, 2:].any()  # no in-contacts: never, whatever the threshold
        assert res.states[-1, 0] == (seeds == [0])  # only as a seed
    if rule == "complex":  # threshold 0 and one in-contact: exposure 0 reaches it (Watts's rule, phi = 0)
        assert res.states[1, 1]
    empty = nx.empty_graph(5)
    assert not prepare(empty).spread([], 10, rule, threshold=0.0, rng=0).states.any()


def test_prepare_returns_a_prepared_network_as_it_is_and_reads_the_graph_once():
    G = nx.path_graph(3)
    net = prepare(G)
    assert prepare(net) is net
    G.add_edge(0, 2)  # changed afterwards: the prepared network keeps the graph it was given
    assert net.matrix.nnz == 4
    assert prepare(G).matrix.nnz == 6


def test_prepared_network_keeps_a_bounded_number_of_weighted_matrices():
    net = prepare(nx.path_graph(5))
    for i in range(20):
        net.spread([0], 3, "simple", transmission=i / 20, one_directional_weight=i / 20, rng=i)
    assert len(net._W) <= 8 and len(net._log_W) <= 8


def test_prepared_spread_checks_its_arguments_like_spread():
    net = prepare(nx.path_graph(3))
    for bad in ({"rule": "nope"}, {"attempts": "twice"}, {"adoption_prob": 1.5}, {"mix": -0.1}):
        with pytest.raises(ValueError) as plain:
            spread(nx.path_graph(3), [0], 3, **bad)
        with pytest.raises(ValueError) as prepared:
            net.spread([0], 3, **bad)
        assert str(plain.value) == str(prepared.value)
    with pytest.raises(ValueError, match="seeds"):
        net.spread([7], 3)
