"""model.live_network: the network as it is this week, owned in one place."""

from __future__ import annotations

import numpy as np

from model.live_network import LiveNetwork
from model.network import build_network
from model.organisation import build_organisation

from conftest import small_params


def make(**over):
    p = small_params(**over)
    org = build_organisation(p, np.random.default_rng(0))
    net = build_network(org, p, 100, np.random.default_rng(1), np.random.default_rng(2))
    return LiveNetwork(net, p, 100), net, p


def consistent(live: LiveNetwork):
    net = live.structure
    assert np.array_equal(live.in_degree, np.bincount(net.dst, weights=live.live & ~net.forum, minlength=net.n))
    assert live.n_live == int(live.live.sum())
    assert np.array_equal(live.inv_degree, 1.0 / np.maximum(live.in_degree, 1.0))
    assert np.array_equal(live.w_out, live.W.data[net.out_order])
    assert live.cross_live == int((live.live & net.cross).sum())
    assert np.array_equal(live.W.data, live.base_weight * live.live)


def test_starts_as_built_and_never_writes_the_structure():
    live, net, _ = make()
    before = net.active_from.copy()
    assert np.array_equal(live.live, net.active_from <= 0)
    consistent(live)
    arcs = live.cross_ties_of(np.arange(0, net.n, 7), 0)
    live.go_dormant(arcs, np.full(arcs.size, 30))
    assert np.array_equal(net.active_from, before)
    consistent(live)


def test_dormant_ties_wake_at_their_week_and_pairs_wake_together():
    live, net, _ = make(network__reciprocity=0.9)
    people = np.arange(0, net.n, 5)
    arcs = live.cross_ties_of(people, 10)
    assert arcs.size and np.all(np.diff(arcs) > 0)  # each once, in arc order
    wake = 11 + np.arange(arcs.size) % 7
    live.go_dormant(arcs, wake)
    assert not live.live[arcs].any()
    rev = net.reverse[arcs]
    both = rev >= 0
    both &= np.isin(rev, arcs)
    assert np.array_equal(live.active_from[arcs[both]], live.active_from[rev[both]])
    for week in range(11, 20):
        live.refresh(week)
        consistent(live)
        assert np.array_equal(live.live[arcs], live.active_from[arcs] <= week)
    assert live.live[arcs].all() and live.dormant.size == 0


def test_forum_ties_go_live_in_their_cohort_week():
    live, net, _ = make(forums__ties_per_person_annual=2.0)
    pending = np.flatnonzero(live.active_from > 0)
    assert pending.size
    for week in range(1, 101):
        live.refresh(week)
        assert np.array_equal(live.live[pending], live.active_from[pending] <= week)
    consistent(live)


def test_set_live_is_idempotent_and_to_networkx_matches():
    live, net, _ = make()
    arcs = np.arange(0, net.n_arcs, 11)
    live.set_live(arcs, False)
    live.set_live(arcs, False)
    consistent(live)
    live.set_live(arcs, True)
    consistent(live)
    g = live.to_networkx()
    assert g.number_of_edges() == int(live.live.sum()) and g.number_of_nodes() == net.n
