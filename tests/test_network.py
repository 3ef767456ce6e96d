"""The directed knowledge-sharing network: arc counts, reciprocity, cross-unit modes, SNA statistics."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from model.network import (
    NEVER, _in_unit_pairs, _orient, build_network, mutual_probability, network_stats,
)
from model.organisation import FRONTLINE, build_organisation
from model.params import load_scenario

BIG_UNITS = {"organisation.unit_size_min": 24, "organisation.unit_size_max": 40, "organisation.unit_size_mean": 32}


def make(overrides=None, name="baseline", seed=0, weeks=260):
    p = load_scenario(name, overrides=overrides or {})
    org = build_organisation(p, np.random.default_rng(seed))
    net = build_network(org, p, weeks, np.random.default_rng(seed + 1), np.random.default_rng(seed + 2))
    return org, net, p


def frontline_arcs(org, net):
    fl = org.role == FRONTLINE
    return fl[net.src] & fl[net.dst]


# --- structure -----------------------------------------------------------------


@pytest.mark.parametrize("over", [{}, {"network.cross_unit_mode": "clustered"},
                                  {"forums.ties_per_person_annual": 2.0}, {"network.reciprocity": 1.0}])
def test_no_self_loops_no_duplicates_consistent_csr(over):
    org, net, _ = make({**over, "organisation.staff": 800})
    assert np.all(net.src != net.dst)
    key = net.dst.astype(np.int64) * net.n + net.src
    assert np.unique(key).size == key.size
    # CSR over targets
    assert np.all(np.diff(net.dst) >= 0)
    assert np.array_equal(net.indptr, np.concatenate([[0], np.cumsum(np.bincount(net.dst, minlength=net.n))]))
    # reverse arcs really are reverse arcs; reciprocal flag matches
    has = net.reverse >= 0
    assert np.array_equal(has, net.reciprocal)
    assert np.array_equal(net.src[net.reverse[has]], net.dst[has])
    assert np.array_equal(net.dst[net.reverse[has]], net.src[has])
    # cross flag
    assert np.array_equal(net.cross, org.unit_of[net.src] != org.unit_of[net.dst])
    # out-order lists arcs by source
    assert np.all(np.diff(net.src[net.out_order]) >= 0)


def test_mutual_probability_gives_arc_reciprocity():
    for r in (0.0, 0.3, 0.5, 0.9, 1.0):
        q = mutual_probability(r)
        # arcs per pair = 1 + q, reciprocated arcs per pair = 2q
        assert 2 * q / (1 + q) == pytest.approx(r)


def test_orient_arc_count_and_share(rng):
    a = np.arange(0, 200000, 2)
    b = a + 1
    for r in (0.0, 0.25, 0.6, 1.0):
        q = mutual_probability(r)
        src, dst = _orient(a, b, q, rng)
        n_pairs = a.size
        # arcs = pairs x (1 + q): binomial, 5 sd tolerance
        assert abs(src.size - n_pairs * (1 + q)) <= 5 * np.sqrt(n_pairs * q * (1 - q)) + 1
        key = set(zip(src.tolist(), dst.tolist()))
        rec = np.mean([(d, s) in key for s, d in zip(src.tolist(), dst.tolist())])
        assert rec == pytest.approx(r, abs=0.01)


def test_in_unit_pairs_per_person(rng):
    p = load_scenario("baseline", overrides=BIG_UNITS)
    org = build_organisation(p, np.random.default_rng(0))
    for per in (1.0, 2.5, 4.0, 7.3):
        a, b = _in_unit_pairs(org, per, rng)
        assert np.all(org.unit_of[a] == org.unit_of[b])
        assert a.size / org.n_staff == pytest.approx(per, rel=0.02)
        pairs = set(zip(np.minimum(a, b).tolist(), np.maximum(a, b).tolist()))
        assert len(pairs) == a.size  # no pair twice


@pytest.mark.parametrize("mode", ["random", "clustered"])
def test_in_unit_arc_counts_follow_the_parameters(mode):
    """Adding t in-unit ties per person adds t x N arcs."""
    base = {**BIG_UNITS, "network.cross_unit_mode": mode}
    _, n3, _ = make({**base, "network.ties_per_person": 3.0})
    org, n6, _ = make({**base, "network.ties_per_person": 6.0})
    # within 5%: ring arcs at a manager's post merge with the manager's own down/up arcs
    assert (n6.n_arcs - n3.n_arcs) / org.n_staff == pytest.approx(3.0, rel=0.05)
    assert (n6.cross.sum() - n3.cross.sum()) == pytest.approx(0, abs=0.03 * n3.cross.sum())  # other draws, same expectation
    # frontline in-unit arcs per frontline person close to ties_per_person
    fl = frontline_arcs(org, n6)
    assert (fl & ~n6.cross).sum() / (org.role == FRONTLINE).sum() == pytest.approx(6.0, rel=0.05)


def _cross_gain(mode, name="baseline"):
    over = {"network.cross_unit_mode": mode}
    org, c1, _ = make({**over, "network.cross_unit_ties": 1.0}, name=name)
    _, c3, _ = make({**over, "network.cross_unit_ties": 3.0}, name=name)
    clin = org.unit_start[org.board_unit]
    return (c3.cross.sum() - c1.cross.sum()) / clin


@pytest.mark.parametrize("mode", ["random", "clustered"])
def test_cross_unit_arc_counts_rise_with_the_parameter(mode):
    """Adding c cross-unit ties per person adds about c x clinical staff arcs (loosely; the next test is tight)."""
    assert _cross_gain(mode) == pytest.approx(2.0, rel=0.10)


@pytest.mark.parametrize("mode", ["random", "clustered"])
def test_cross_unit_arc_counts_match_the_parameter(mode):
    assert _cross_gain(mode) == pytest.approx(2.0, rel=0.03)
    assert _cross_gain(mode, "baseline-teaching") == pytest.approx(2.0, rel=0.03)


@pytest.mark.parametrize("r", [0.0, 0.2, 0.5, 0.8, 1.0])
def test_reciprocity_gives_share_of_peer_arcs_reciprocated(r):
    org, net, _ = make({"network.reciprocity": r, "organisation.staff": 6000})
    fl = frontline_arcs(org, net)
    share = net.reciprocal[fl].mean()
    # 6,000 staff: ~25,000 peer arcs; sd of the share < 0.005
    assert share == pytest.approx(r, abs=0.02)


def test_network_wide_reciprocity_rises_with_parameter_and_is_reported():
    low = network_stats(make({"network.reciprocity": 0.2})[1], 0)
    high = network_stats(make({"network.reciprocity": 0.8})[1], 0)
    assert high["reciprocity_arcs"] > low["reciprocity_arcs"] + 0.4
    assert high["reciprocity_pairs"] > low["reciprocity_pairs"]
    for s in (low, high):
        assert s["one_directional_share"] == pytest.approx(1 - s["reciprocity_arcs"])
        # dyad definition: mutual pairs / connected pairs = (R/2) / (R/2 + (1-R)) with R the arc share
        R = s["reciprocity_arcs"]
        assert s["reciprocity_pairs"] == pytest.approx((R / 2) / (R / 2 + 1 - R))


def test_equal_arc_count_at_different_reciprocity():
    arcs = [make({"network.reciprocity": r})[1].n_arcs for r in (0.0, 0.3, 0.7, 1.0)]
    assert max(arcs) / min(arcs) < 1.02


def test_clustered_and_random_cross_unit_modes_at_equal_arcs():
    org, rnd, _ = make({"network.cross_unit_mode": "random"})
    _, clu, _ = make({"network.cross_unit_mode": "clustered"})
    assert clu.n_arcs / rnd.n_arcs == pytest.approx(1.0, abs=0.02)
    assert clu.cross.sum() / rnd.cross.sum() == pytest.approx(1.0, abs=0.04)
    # wide bridges: cross-unit arcs concentrate on far fewer unit pairs
    def unit_pairs(net):
        u = org.unit_of
        c = net.cross
        return np.unique(u[net.src[c]] * org.n_units + u[net.dst[c]]).size
    assert unit_pairs(clu) < 0.5 * unit_pairs(rnd)
    # and raise clustering
    assert network_stats(clu, 0)["clustering_mean"] > network_stats(rnd, 0)["clustering_mean"] + 0.02


def test_same_directorate_share():
    for share in (0.0, 1.0):
        org, net, _ = make({"network.same_directorate_share": share})
        fl = frontline_arcs(org, net) & net.cross
        d = org.unit_directorate
        same = (d[org.unit_of[net.src[fl]]] == d[org.unit_of[net.dst[fl]]]).mean()
        if share == 1.0:
            assert same == 1.0
        else:
            assert same < 0.35  # 6 directorates: ~1/6 by chance


def test_manager_ties():
    org, net, _ = make({"network.manager_reciprocity": 1.0})
    arcs = set(zip(net.src.tolist(), net.dst.tolist()))
    for u in range(org.n_units - 1):
        m = org.unit_manager[u]
        team = np.arange(org.unit_start[u], org.unit_start[u] + org.unit_size[u])
        for person in team[team != m][:5]:
            assert (m, person) in arcs and (person, m) in arcs  # down, and up with probability 1


def test_forum_ties_are_dormant_until_their_week():
    org, net, p = make({"forums.ties_per_person_annual": 2.0, "forums.start_week": 10})
    forum = net.active_from > 0
    assert forum.any()
    assert np.all(net.active_from[forum] >= 10) and np.all(net.active_from[forum] < 260)
    assert np.all(net.cross[forum])
    assert np.all(net.reciprocal[forum])
    s0, s_end = network_stats(net, 0), network_stats(net, 260)
    assert s_end["arcs"] - s0["arcs"] == forum.sum()
    clin = org.unit_start[org.board_unit]
    # about 2 new ties per person per year over 250 weeks: a tie (two arcs) counts for both its members
    pairs = forum.sum() / 2
    assert 2 * pairs / clin / (250 / 52) == pytest.approx(2.0, rel=0.1)
    assert NEVER > 260


# --- SNA statistics agree with networkx ---------------------------------------------


@pytest.mark.parametrize("over,week", [({}, 0), ({"network.cross_unit_mode": "clustered", "network.reciprocity": 0.3}, 0),
                                       ({"forums.ties_per_person_annual": 3.0}, 100)])
def test_network_stats_agree_with_networkx(over, week):
    org, net, _ = make({**over, "organisation.staff": 240, "organisation.directorates": 3,
                        "organisation.pathways": 2})
    s = network_stats(net, week)
    G = net.to_networkx(week)
    n = G.number_of_nodes()
    assert s["staff"] == n and s["arcs"] == G.number_of_edges()
    assert s["density"] == pytest.approx(nx.density(G))
    # networkx's overall_reciprocity is the arc definition
    assert s["reciprocity_arcs"] == pytest.approx(nx.overall_reciprocity(G))
    mutual = sum(1 for u, v in G.edges if u < v and G.has_edge(v, u))
    connected = G.to_undirected().number_of_edges()
    assert s["reciprocity_pairs"] == pytest.approx(mutual / connected)
    U = nx.Graph(G.to_undirected())
    assert s["clustering_mean"] == pytest.approx(nx.average_clustering(U))
    assert s["transitivity"] == pytest.approx(nx.transitivity(U))
    comps = list(nx.weakly_connected_components(G))
    assert s["components"] == len(comps)
    assert s["largest_component_share"] == pytest.approx(max(map(len, comps)) / n)
    assert s["mean_in_degree"] == pytest.approx(np.mean([d for _, d in G.in_degree()]))
    assert s["mean_out_degree"] == pytest.approx(np.mean([d for _, d in G.out_degree()]))
    assert s["max_in_degree"] == max(d for _, d in G.in_degree())
    cross = sum(1 for u, v in G.edges if org.unit_of[u] != org.unit_of[v])
    assert s["cross_unit_ties_per_person"] == pytest.approx(cross / n)


def test_network_stats_on_a_fragmented_network():
    """Components are counted weakly: with no cross-unit ties a unit is still joined by its managers."""
    org, net, _ = make({"organisation.staff": 240, "organisation.directorates": 3, "organisation.pathways": 2,
                        "network.cross_unit_ties": 0.0})
    s = network_stats(net, 0)
    G = net.to_networkx(0)
    assert s["components"] == nx.number_weakly_connected_components(G)
    assert s["cross_unit_ties_per_person"] == pytest.approx(
        sum(1 for u, v in G.edges if org.unit_of[u] != org.unit_of[v]) / G.number_of_nodes())


def test_same_seed_same_network():
    _, a, _ = make(seed=5)
    _, b, _ = make(seed=5)
    _, c, _ = make(seed=6)
    assert np.array_equal(a.src, b.src) and np.array_equal(a.dst, b.dst)
    assert a.n_arcs != c.n_arcs or not np.array_equal(a.src, c.src)


# --- the engine's sparse sums and incidence look-ups ------------------------------


def test_ranges_concatenates_aranges():
    from model.network import _ranges

    starts = np.array([3, 0, 7, 7, 10])
    ends = np.array([5, 0, 9, 7, 13])
    assert _ranges(starts, ends).tolist() == [3, 4, 7, 8, 10, 11, 12]
    assert _ranges(np.array([], dtype=np.int64), np.array([], dtype=np.int64)).size == 0
    assert _ranges(np.array([4, 4]), np.array([4, 4])).size == 0


@pytest.mark.parametrize("share", [0.0, 0.01, 0.1, 0.5, 1.0])
def test_in_sum_scatter_and_matvec_agree_exactly(share):
    """The sender-side sum equals W @ v bit for bit (same products, same order), on a
    network with some ties switched off, with weights from W or from its sender-ordered copy."""
    org, net, p = make({"organisation.staff": 900})
    rng = np.random.default_rng(3)
    live = rng.random(net.n_arcs) < 0.8
    data = np.where(net.reciprocal, 1.0, 0.3) * live
    W = net.matrix(data)
    w_out = data[net.out_order]
    who = np.flatnonzero(rng.random(net.n) < share)
    values = np.zeros(net.n)
    values[who] = rng.random(who.size)
    ones = np.zeros(net.n)
    ones[who] = 1.0
    ref = W @ values
    for got in (net.in_sum(W, values, who), net.in_sum(W, values, who, w_out)):
        assert np.array_equal(got, ref)
    assert np.array_equal(net.in_sum(W, None if net.scatter_pays(who.size) else ones, who, w_out), W @ ones)
    assert np.array_equal(net.in_sum(W, values), ref)
    # the scatter at any share, by scipy's compiled kernels (weights in sender order) and by numpy
    assert net._out_ptr32 is not None, "the compiled route is not taken: the check below would compare numpy with itself"
    for vals, want in ((values, ref), (None, W @ ones)):
        compiled = net.in_sum(W, vals, who, w_out, scatter=True)
        plain = net.in_sum(W, vals, who, scatter=True)  # no sender-ordered weights: the numpy route
        assert np.array_equal(compiled, want) and np.array_equal(plain, want)


def test_cross_incident_arcs_are_each_persons_cross_unit_arcs():
    org, net, _ = make({"organisation.staff": 700})
    people = np.array([0, 5, 17, 300, 699])
    got = np.sort(net.cross_incident_arcs(people))
    touch = np.isin(net.src, people) | np.isin(net.dst, people)
    want = np.flatnonzero(touch & net.cross)
    both = np.isin(net.src, people) & np.isin(net.dst, people) & net.cross  # listed from both ends
    assert np.array_equal(np.unique(got), want)
    assert got.size == want.size + int(both.sum())
    assert net.cross_incident_arcs(np.array([], dtype=np.int64)).size == 0
    assert np.array_equal(net.dst[net.out_order], net.out_dst)
    assert np.array_equal(net.out_order[net.out_pos], np.arange(net.n_arcs))


def test_in_sum_without_scipys_kernels_takes_the_numpy_route(monkeypatch):
    """A scipy without its private CSR kernels: the network is built without them and every
    sum is still the mat-vec's, bit for bit."""
    import model.network as network_mod

    monkeypatch.setattr(network_mod, "_sparsetools", None)
    org, net, p = make({"organisation.staff": 600})
    assert net._out_ptr32 is None
    rng = np.random.default_rng(5)
    data = np.where(net.reciprocal, 1.0, 0.3) * (rng.random(net.n_arcs) < 0.9)
    W = net.matrix(data)
    who = np.flatnonzero(rng.random(net.n) < 0.1)
    values = np.zeros(net.n)
    values[who] = rng.random(who.size)
    assert np.array_equal(net.in_sum(W, values, who, data[net.out_order], scatter=True), W @ values)
