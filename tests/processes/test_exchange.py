"""Process 4, peer exchange in the trust: the kernel's rule, gated by capability and manager support."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from model.contagion import spread

from conftest import small_model


def setup(rule="complex", seed=1, share=0.3, **over):
    m = small_model(seed=seed, exchange__rule=rule, **over)
    rng = np.random.default_rng(seed)
    practising = rng.random(m.n) < share
    return m, practising


def step(m, practising, capability, support, attention, seed):
    prac = practising.copy()
    cap = capability.copy()
    expo = m.exchange.update(m.live, cap, prac, support, m.org.unit_of, np.random.default_rng(seed))
    return prac, cap, expo


@pytest.mark.parametrize("rule,share", [("complex", 0.3), ("complex", 0.05), ("simple", 0.1), ("hybrid", 0.2)])
def test_trust_exchange_is_the_kernel_rule_when_the_gate_is_open(rule, share):
    """Capability 1, support 1, attention 1: one week of the trust's exchange equals one step of ``spread`` on its network."""
    m, x = setup(rule, share=share, exchange__adoption_rate=0.6, exchange__transmission=0.15,
                 exchange__hybrid_mix=0.4, network__one_directional_weight=0.3)
    e = m.params.exchange
    for seed in range(5):
        prac, _, expo = step(m, x, np.ones(m.n), np.ones(m.org.n_units), 1.0, seed)
        ref = spread(m.net.to_networkx(0), x, 1, rule=rule, threshold=m.exchange.threshold,
                     adoption_prob=e.adoption_rate, transmission=e.transmission,
                     one_directional_weight=m.params.network.one_directional_weight, mix=e.hybrid_mix,
                     rng=np.random.default_rng(seed))
        assert np.array_equal(prac, ref.states[1]), seed
        assert prac.sum() > x.sum()


def test_exposure_returned_is_weighted_share_of_in_contacts():
    m, x = setup(network__one_directional_weight=0.25)
    _, _, expo = step(m, x, np.ones(m.n), np.ones(m.org.n_units), 1.0, 0)
    w = np.where(m.net.reciprocal, 1.0, 0.25)
    num = np.bincount(m.net.dst, weights=w * x[m.net.src], minlength=m.n)
    k = np.bincount(m.net.dst, minlength=m.n)
    assert np.allclose(expo, num / np.maximum(k, 1))


@pytest.mark.parametrize("cap,sup,att", [(0.5, 0.8, 1.0), (1.0, 0.5, 0.0), (0.7, 0.7, 0.5), (0.9, 1.0, 0.0)])
def test_gate_multiplies_adoption_probability(cap, sup, att):
    """Among people above threshold, adoption frequency = rate x capability x support, whatever the attention:
    leadership reaches staff only through their manager's support (the golden thread counted once, issue 11)."""
    m, x = setup(share=0.5, exchange__threshold=0.05, exchange__threshold_sd=0.0, exchange__adoption_rate=0.8)
    above = ~x & (step(m, x, np.ones(m.n), np.ones(m.org.n_units), 1.0, 0)[2] >= m.exchange.threshold)
    p = 0.8 * cap * sup
    hits = trials = 0
    for seed in range(40):
        prac, _, _ = step(m, x, np.full(m.n, cap), np.full(m.org.n_units, sup), att, seed)
        hits += int((prac & above).sum())
        trials += int(above.sum())
        assert not np.any(prac & ~x & ~above)  # nobody below threshold adopts
    assert stats.binomtest(hits, trials, p).pvalue > 1e-4


def test_attention_does_not_enter_the_gate_twice():
    """Same state and seed, attention 0 vs 1: the exchange step gives the same adoptions."""
    m, x = setup(share=0.5, exchange__threshold=0.05, exchange__threshold_sd=0.0, exchange__adoption_rate=0.8)
    a, _, _ = step(m, x, np.full(m.n, 0.8), np.full(m.org.n_units, 0.7), 0.0, 5)
    b, _, _ = step(m, x, np.full(m.n, 0.8), np.full(m.org.n_units, 0.7), 1.0, 5)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("rule", ["complex", "simple", "hybrid"])
def test_no_capability_or_no_support_no_adoption(rule):
    m, x = setup(rule, share=0.5)
    for cap, sup in ((0.0, 1.0), (1.0, 0.0)):
        prac, _, _ = step(m, x, np.full(m.n, cap), np.full(m.org.n_units, sup), 1.0, 3)
        assert np.array_equal(prac, x)


def test_support_is_per_unit():
    m, x = setup(share=0.5, exchange__threshold=0.05, exchange__threshold_sd=0.0, exchange__adoption_rate=1.0)
    support = np.zeros(m.org.n_units)
    open_unit = 3
    support[open_unit] = 1.0
    prac, _, _ = step(m, x, np.ones(m.n), support, 1.0, 0)
    new = prac & ~x
    assert new.any() and np.all(m.org.unit_of[new] == open_unit)


def test_practitioners_never_unadopt_in_exchange():
    m, x = setup(share=0.4)
    prac, _, _ = step(m, x, np.full(m.n, 0.3), np.full(m.org.n_units, 0.3), 0.5, 1)
    assert np.all(prac[x])


def test_capability_learning_and_forgetting():
    m, x = setup(share=0.0, exchange__learning_rate=0.2, exchange__practice_learning=0.1, exchange__forgetting=0.01)
    n, U = m.n, m.org.n_units
    # nobody capable, nobody practising: capability only fades
    cap0 = np.full(n, 0.3)
    _, cap, _ = step(m, np.zeros(n, bool), cap0, np.ones(U), 1.0, 0)
    assert np.allclose(cap, 0.3 - 0.01 * 0.3)
    # practising: grows by practice_learning x (1 - c), no forgetting
    _, cap, _ = step(m, np.ones(n, bool), cap0, np.ones(U), 1.0, 0)
    assert np.allclose(cap, 0.3 + 0.1 * 0.7)
    # capable contacts teach, in proportion to support; uncapable ones do not
    capable = np.where(np.arange(n) % 2 == 0, 0.9, 0.3)
    _, c_sup, _ = step(m, np.zeros(n, bool), capable, np.ones(U), 1.0, 0)
    _, c_none, _ = step(m, np.zeros(n, bool), capable, np.zeros(U), 1.0, 0)
    w = np.where(m.net.reciprocal, 1.0, m.params.network.one_directional_weight)
    peer = np.bincount(m.net.dst, weights=w * np.where(capable >= 0.5, capable, 0)[m.net.src], minlength=n) \
        / np.maximum(np.bincount(m.net.dst, minlength=n), 1)
    assert np.allclose(c_sup, capable + 0.2 * peer * (1 - capable) - 0.01 * capable)
    assert np.allclose(c_none, capable - 0.01 * capable)
    assert np.all((c_sup >= 0) & (c_sup <= 1))


def test_exchange_draws_a_fixed_number_of_randoms():
    """One uniform per person per week whatever happens: the stream stays aligned (common random numbers)."""
    m, x = setup(share=0.3)
    for cap in (0.0, 1.0):
        rng = np.random.default_rng(0)
        m.exchange.update(m.live, np.full(m.n, cap), x.copy(), np.ones(m.org.n_units), m.org.unit_of, rng)
        ref = np.random.default_rng(0)
        ref.random(m.n)
        assert rng.random() == ref.random()


def test_forum_ties_add_exposure_but_not_to_its_denominator():
    """The structural network does not depend on the forums (they have their own stream); forum arcs add to
    the numerator of exposure only, so more forums never lower anyone's exposure for the same practitioners."""
    a = small_model(seed=2, forums__ties_per_person_annual=0.0)
    b = small_model(seed=2, forums__ties_per_person_annual=3.0)
    for m in (a, b):
        m.live.set_live(np.arange(m.net.n_arcs), True)  # every arc live, forum ties included
    assert b.net.forum.any() and not a.net.forum.any()
    keep = ~b.net.forum
    assert np.array_equal(a.net.src, b.net.src[keep]) and np.array_equal(a.net.dst, b.net.dst[keep])
    assert np.array_equal(a.live.in_degree, b.live.in_degree)  # the denominator: structural in-contacts only
    x = (np.random.default_rng(0).random(a.n) < 0.3).astype(float)
    ea, eb = (a.live.W @ x) * a.live.inv_degree, (b.live.W @ x) * b.live.inv_degree
    assert np.all(eb >= ea - 1e-12) and np.any(eb > ea)
