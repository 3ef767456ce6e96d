"""The peer-exchange rule, on its own and on any graph.

The trust model's weekly peer exchange (``model.processes.exchange``) and the
stand-alone kernel :func:`spread` share the functions below, so what a
researcher checks here against the classic models is what the trust model
runs.

Exposure (MODEL.md, process 4): for person i,

    exposure_i = sum_j w_ij x_j / k_i

over i's live in-contacts j, with w_ij = 1 for a reciprocal tie and
w < 1 for a one-directional one, x_j = 1 if j practises, and k_i the
number of i's in-contacts, *unweighted*. Weighting only the numerator is
what makes one-directional ties weaker: weighting both would cancel w.

Rules:
- ``complex`` (Granovetter 1978; Watts 2002): i adopts with probability
  ``adoption_prob`` in a week when exposure_i >= threshold_i. With
  ``adoption_prob=1``, every weight 1 and a fractional threshold phi this is
  exactly the Watts threshold model, updated synchronously.
- ``simple`` (independent cascade / SI): each practising in-contact j gives
  i an independent chance ``transmission * w_ij``; i adopts with
  probability 1 - prod_j (1 - transmission * w_ij x_j). With
  ``attempts="every_step"`` every adopter tries every step (the SI model);
  with ``attempts="once"`` only those who adopted in the previous step try,
  once (the independent cascade model of Kempe, Kleinberg and Tardos 2003).
- ``hybrid``: probability ``mix * simple + (1 - mix) * complex``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:  # networkx is imported only where a graph is converted
    import networkx as nx

RULES = ("complex", "simple", "hybrid")


def exposure(W: sp.csr_array, x: np.ndarray, in_degree: np.ndarray) -> np.ndarray:
    """Weighted share of practising in-contacts (numerator weighted, denominator not)."""
    return (W @ x) / np.maximum(in_degree, 1)


def threshold_reached(expo: np.ndarray, threshold: np.ndarray | float,
                      in_degree: np.ndarray | None = None) -> np.ndarray:
    """The complex rule's test, written once: exposure at or above the threshold, with at least one in-contact.

    A person with no in-contacts is never exposed, whatever the threshold (as
    in Watts 2002 and NDlib: a node without neighbours does not adopt).
    """
    reached = expo >= threshold
    if in_degree is not None:
        reached &= in_degree > 0
    return reached


def complex_probability(expo: np.ndarray, threshold: np.ndarray | float, adoption_prob: float,
                        in_degree: np.ndarray | None = None) -> np.ndarray:
    """Threshold rule: ``adoption_prob`` where the threshold is reached, else 0."""
    return np.where(threshold_reached(expo, threshold, in_degree), adoption_prob, 0.0)


def complex_candidates(expo: np.ndarray, threshold: np.ndarray | float, adopted: np.ndarray,
                       in_degree: np.ndarray | None = None) -> np.ndarray:
    """Indices of people not yet adopted whose threshold is reached (the complex rule, for few candidates)."""
    cand = np.flatnonzero(threshold_reached(expo, threshold, in_degree))
    return cand[~adopted[cand]]


def simple_probability(log_W: sp.csr_array, x: np.ndarray) -> np.ndarray:
    """Independent chances: 1 - prod (1 - p_ij)^x_j, with log(1 - p_ij) in ``log_W``."""
    return -np.expm1(log_W @ x)


def log_survival(weights: np.ndarray, transmission: float) -> np.ndarray:
    """Per-arc log(1 - transmission * w); finite even when the chance is 1."""
    p = np.clip(transmission * weights, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        out = np.log1p(-p)
    return np.maximum(out, -700.0)


def rule_probability(rule: str, W: sp.csr_array, log_W: sp.csr_array | None, x: np.ndarray,
                     x_try: np.ndarray, in_degree: np.ndarray, threshold: np.ndarray | float, adoption_prob: float,
                     mix: float) -> tuple[np.ndarray, np.ndarray]:
    """Weekly adoption probability under ``rule`` and the exposure it saw.

    ``x`` are the practising contacts (for exposure), ``x_try`` the contacts
    that make an attempt under the simple rule (the same as ``x`` except in
    the once-only independent cascade).
    """
    expo = exposure(W, x, in_degree)
    if rule == "complex":
        return complex_probability(expo, threshold, adoption_prob, in_degree), expo
    p_simple = simple_probability(log_W, x_try)
    if rule == "simple":
        return p_simple, expo
    if rule == "hybrid":
        return mix * p_simple + (1 - mix) * complex_probability(expo, threshold, adoption_prob, in_degree), expo
    raise ValueError(f"rule = {rule!r}: allowed is one of {', '.join(RULES)}")


# --- the stand-alone kernel ---------------------------------------------------------


@dataclass
class ContagionResult:
    """Adoption over time: ``states[t, i]`` is True if i had adopted by step t."""

    states: np.ndarray  # (steps + 1, N) bool
    reciprocal_share: float  # share of arcs reciprocated in the graph used

    @property
    def adopted_share(self) -> np.ndarray:
        """Share of nodes adopted at each step (index 0: the seeds)."""
        return self.states.mean(axis=1)

    @property
    def adoption_step(self) -> np.ndarray:
        """Step at which each node adopted (0 for seeds), -1 if never."""
        ever = self.states.any(axis=0)
        first = self.states.argmax(axis=0)
        return np.where(ever, first, -1)


def in_contact_matrix(graph: nx.Graph | nx.DiGraph | sp.sparray | sp.spmatrix) -> tuple[sp.csr_array, np.ndarray]:
    """Binary in-contact matrix M (M[i, j] = 1 if j -> i) and per-entry reciprocity flags.

    ``graph``: a networkx Graph (each edge a reciprocal pair of arcs), a
    networkx DiGraph (edge u -> v: u talks to v, so v hears from u), or a
    scipy sparse adjacency A with A[u, v] != 0 for an arc u -> v (the
    networkx ``to_scipy_sparse_array`` convention). Nodes are taken in the
    graph's node order.
    """
    if sp.issparse(graph):
        A = sp.csr_array(graph)
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"adjacency shape {A.shape}: allowed is a square matrix")
    else:
        import networkx as nx

        if not isinstance(graph, (nx.Graph, nx.DiGraph)):
            raise TypeError(f"graph of type {type(graph).__name__}: allowed is a networkx Graph/DiGraph or a scipy sparse matrix")
        A = sp.csr_array(nx.to_scipy_sparse_array(graph, weight=None, format="csr"))
    A = (A != 0).astype(np.float64)
    A.setdiag(0)
    A.eliminate_zeros()
    M = sp.csr_array(A.T)
    M.sort_indices()
    # An entry M[i, j] is reciprocal if M[j, i] exists: M + (M * M.T) has the
    # same sparsity as M, with 2 exactly on the reciprocal entries.
    both = sp.csr_array(M + M.multiply(M.T))
    both.sort_indices()
    flags = both.data > 1
    return M, flags


_PROBABILITIES = ("adoption_prob", "transmission", "one_directional_weight", "mix")


def _check_arguments(steps: int, rule: str, attempts: str, **probabilities: float) -> None:
    """The kernel's argument checks, in the order :func:`spread` has always made them."""
    if rule not in RULES:
        raise ValueError(f"rule = {rule!r}: allowed is one of {', '.join(RULES)}")
    if attempts not in ("every_step", "once"):
        raise ValueError(f"attempts = {attempts!r}: allowed is 'every_step' or 'once'")
    if steps < 0:
        raise ValueError(f"steps = {steps}: allowed is an integer >= 0")
    for name in _PROBABILITIES:
        v = probabilities[name]
        if not 0.0 <= float(v) <= 1.0:
            raise ValueError(f"{name} = {v}: allowed is a number from 0 to 1")


#: weighted matrices a PreparedNetwork keeps, per (one_directional_weight, transmission)
_KEEP = 8


class PreparedNetwork:
    """A graph converted once for the kernel: its in-contact matrix, degrees and reciprocity, reused by every call.

    ``PreparedNetwork(G).spread(seeds, steps, ...)`` takes the arguments of
    :func:`spread` less the graph and gives the same result bit for bit; a
    researcher looping over seeds or parameters on one graph pays the
    conversion from networkx once instead of on every call. The weighted
    matrices (``W``, and ``log W`` for the simple rule) are kept for the
    last few ``(one_directional_weight, transmission)`` pairs used.

    The graph is read when the object is made: a networkx graph changed
    afterwards is not seen (make a new one). That is why :func:`spread`
    does not cache prepared networks for the graphs it is given: a graph
    can change between calls without any sign.
    """

    def __init__(self, graph: nx.Graph | nx.DiGraph | sp.sparray | sp.spmatrix):
        M, recip = in_contact_matrix(graph)
        self.matrix = M  # binary in-contact matrix, rows = listeners
        self.reciprocal = recip  # per stored entry of ``matrix``: the reverse arc exists
        self.n = int(M.shape[0])
        self.in_degree = np.diff(M.indptr)
        #: share of arcs reciprocated (ContagionResult.reciprocal_share)
        self.reciprocal_share = float(recip.mean()) if recip.size else 0.0
        self._denominator = np.maximum(self.in_degree, 1).astype(np.float64)  # exposure's, exactly
        self._W: dict[float, sp.csr_array] = {}
        self._log_W: dict[tuple[float, float], sp.csr_array] = {}

    def weights(self, one_directional_weight: float) -> sp.csr_array:
        """The weighted in-contact matrix: 1 on a reciprocal arc, ``one_directional_weight`` on a one-way one."""
        key = float(one_directional_weight)
        W = self._W.get(key)
        if W is None:
            M = self.matrix
            data = np.where(self.reciprocal, 1.0, one_directional_weight)
            W = sp.csr_array((data, M.indices, M.indptr), shape=M.shape)
            self._W = _kept(self._W, key, W)
        return W

    def log_survival(self, one_directional_weight: float, transmission: float) -> sp.csr_array:
        """Per-arc log(1 - transmission * w) as a matrix, for the simple rule (:func:`log_survival`)."""
        key = (float(one_directional_weight), float(transmission))
        L = self._log_W.get(key)
        if L is None:
            M = self.matrix
            weights = np.where(self.reciprocal, 1.0, one_directional_weight)
            L = sp.csr_array((log_survival(weights, transmission), M.indices, M.indptr), shape=M.shape)
            self._log_W = _kept(self._log_W, key, L)
        return L

    def spread(self, seeds: Iterable[int] | np.ndarray, steps: int, rule: str = "complex", *,
               threshold: float | np.ndarray = 0.25, adoption_prob: float = 1.0,
               transmission: float = 0.1, one_directional_weight: float = 1.0, mix: float = 0.5,
               attempts: str = "every_step", rng: np.random.Generator | int | None = None) -> ContagionResult:
        """:func:`spread` on this network (same arguments less the graph, same result bit for bit)."""
        _check_arguments(steps, rule, attempts, adoption_prob=adoption_prob, transmission=transmission,
                         one_directional_weight=one_directional_weight, mix=mix)
        return self._run(seeds, steps, rule, threshold, adoption_prob, transmission, one_directional_weight, mix,
                         attempts, rng)

    def _run(self, seeds, steps, rule, threshold, adoption_prob, transmission, one_directional_weight, mix,
             attempts, rng_arg) -> ContagionResult:
        rng = np.random.default_rng(rng_arg)
        n = self.n
        seeds = np.asarray(list(seeds) if not isinstance(seeds, np.ndarray) else seeds)
        if seeds.dtype == bool:
            seeds = np.flatnonzero(seeds)
        if seeds.size and (seeds.min() < 0 or seeds.max() >= n):
            raise ValueError(f"seeds: allowed are node positions 0..{n - 1}")
        threshold = np.broadcast_to(np.asarray(threshold, dtype=float), (n,))
        W = self.weights(one_directional_weight)
        log_W = self.log_survival(one_directional_weight, transmission) if rule != "complex" else None
        k = self.in_degree
        states = np.zeros((steps + 1, n), dtype=bool)
        x = states[0]
        x[seeds.astype(np.int64)] = True
        xf = x.astype(np.float64)
        new = x.copy()
        deterministic = rule == "complex" and adoption_prob >= 1.0
        # the complex rule's test with the no-contact guard folded in: a person with no
        # in-contacts gets an infinite threshold, which no (finite) exposure reaches
        if rule == "complex":
            reach_at = np.where(k > 0, threshold, np.inf)
            expo = np.empty(n)
            reached = np.empty(n, dtype=bool)
        for t in range(1, steps + 1):
            if rule == "complex":
                np.divide(W @ xf, self._denominator, out=expo)  # exposure(W, xf, k), to the bit
                np.greater_equal(expo, reach_at, out=reached)
                adopt = reached & ~x
                if not deterministic:
                    # rng.random(n) < where(reached, adoption_prob, 0): a draw is never below 0
                    adopt &= rng.random(n) < adoption_prob
            else:
                x_try = new.astype(np.float64) if attempts == "once" else xf
                p, _ = rule_probability(rule, W, log_W, xf, x_try, k, threshold, adoption_prob, mix)
                adopt = ~x & (rng.random(n) < p)
            xt = states[t]
            np.logical_or(x, adopt, out=xt)
            if not adopt.any():
                # Nobody adopted, so the state stays; is it a fixed point (nobody can ever adopt)?
                if rule == "complex":  # the same state passes the same test next step
                    settled = deterministic or adoption_prob <= 0 or not (reached & ~x).any()
                else:  # nobody left with a chance next step (under "once", nobody left to try)
                    if attempts == "once" and new.any():
                        p, _ = rule_probability(rule, W, log_W, xf, np.zeros(n), k, threshold, adoption_prob, mix)
                    settled = not (p[~x] > 0).any()
                if settled:
                    # every later state is this one; a generator the caller holds is moved on
                    # as if every step had drawn
                    states[t + 1:] = xt
                    if not deterministic and isinstance(rng_arg, (np.random.Generator, np.random.BitGenerator)):
                        _skip_draws(rng, (steps - t) * n)
                    break
            else:
                xf[adopt] = 1.0
            x = xt
            new = adopt
        return ContagionResult(states=states, reciprocal_share=self.reciprocal_share)


def _kept(cache: dict, key, value) -> dict:
    """``cache`` with ``key: value`` added, the oldest entries dropped beyond ``_KEEP``."""
    cache[key] = value
    while len(cache) > _KEEP:
        cache.pop(next(iter(cache)))
    return cache


def _skip_draws(rng: np.random.Generator, count: int, chunk: int = 1 << 20) -> None:
    """Move ``rng`` on by ``count`` uniform doubles, as ``rng.random`` would, in bounded memory."""
    while count > 0:
        rng.random(min(count, chunk))
        count -= chunk


def prepare(graph: nx.Graph | nx.DiGraph | sp.sparray | sp.spmatrix | PreparedNetwork) -> PreparedNetwork:
    """The graph's :class:`PreparedNetwork` (a prepared one is returned as it is)."""
    return graph if isinstance(graph, PreparedNetwork) else PreparedNetwork(graph)


def spread(graph: nx.Graph | nx.DiGraph | sp.sparray | sp.spmatrix | PreparedNetwork,
           seeds: Iterable[int] | np.ndarray, steps: int,
           rule: str = "complex", *,
           threshold: float | np.ndarray = 0.25, adoption_prob: float = 1.0,
           transmission: float = 0.1, one_directional_weight: float = 1.0, mix: float = 0.5,
           attempts: str = "every_step", rng: np.random.Generator | int | None = None) -> ContagionResult:
    """Run only the peer-exchange dynamics on ``graph`` from ``seeds`` for ``steps`` steps.

    Adoption is progressive (no abandonment) and synchronous: every node
    sees the state of the previous step. Returns the adoption state at every
    step. ``graph`` may be a :class:`PreparedNetwork` (``prepare(G)``), which
    keeps the matrices between calls; otherwise the graph is converted on
    every call. Once nothing can change any more (a fixed point: for the
    deterministic complex rule, a step with no adoption; for a random rule,
    a step with no adoption after which nobody left has any chance) the
    remaining steps are filled with the final state instead of being run;
    the result, and the state of a generator passed as ``rng``, are the
    same as if every step had run. Examples::

        # Watts (2002) threshold model, phi = 0.18
        res = spread(G, seeds=[0], steps=50, rule="complex", threshold=0.18)
        # SI model with per-contact chance 0.1
        res = spread(G, seeds=[0], steps=50, rule="simple", transmission=0.1, rng=1)
        # many seeds on one graph: convert it once
        net = prepare(G)
        runs = [net.spread([s], steps=50, threshold=0.18) for s in range(10)]
    """
    _check_arguments(steps, rule, attempts, adoption_prob=adoption_prob, transmission=transmission,
                     one_directional_weight=one_directional_weight, mix=mix)
    return prepare(graph)._run(seeds, steps, rule, threshold, adoption_prob, transmission, one_directional_weight,
                               mix, attempts, rng)
