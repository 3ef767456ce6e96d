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


def spread(graph: nx.Graph | nx.DiGraph | sp.sparray | sp.spmatrix, seeds: Iterable[int] | np.ndarray, steps: int,
           rule: str = "complex", *,
           threshold: float | np.ndarray = 0.25, adoption_prob: float = 1.0,
           transmission: float = 0.1, one_directional_weight: float = 1.0, mix: float = 0.5,
           attempts: str = "every_step", rng: np.random.Generator | int | None = None) -> ContagionResult:
    """Run only the peer-exchange dynamics on ``graph`` from ``seeds`` for ``steps`` steps.

    Adoption is progressive (no abandonment) and synchronous: every node
    sees the state of the previous step. Returns the adoption state at every
    step. Examples::

        # Watts (2002) threshold model, phi = 0.18
        res = spread(G, seeds=[0], steps=50, rule="complex", threshold=0.18)
        # SI model with per-contact chance 0.1
        res = spread(G, seeds=[0], steps=50, rule="simple", transmission=0.1, rng=1)
    """
    if rule not in RULES:
        raise ValueError(f"rule = {rule!r}: allowed is one of {', '.join(RULES)}")
    if attempts not in ("every_step", "once"):
        raise ValueError(f"attempts = {attempts!r}: allowed is 'every_step' or 'once'")
    if steps < 0:
        raise ValueError(f"steps = {steps}: allowed is an integer >= 0")
    for name, v in (("adoption_prob", adoption_prob), ("transmission", transmission),
                    ("one_directional_weight", one_directional_weight), ("mix", mix)):
        if not 0.0 <= float(v) <= 1.0:
            raise ValueError(f"{name} = {v}: allowed is a number from 0 to 1")
    rng = np.random.default_rng(rng)
    M, recip = in_contact_matrix(graph)
    n = M.shape[0]
    weights = np.where(recip, 1.0, one_directional_weight)
    W = sp.csr_array((weights, M.indices, M.indptr), shape=(n, n))
    log_W = sp.csr_array((log_survival(weights, transmission), M.indices, M.indptr), shape=(n, n))
    k = np.diff(M.indptr)
    seeds = np.asarray(list(seeds) if not isinstance(seeds, np.ndarray) else seeds)
    if seeds.dtype == bool:
        seeds = np.flatnonzero(seeds)
    if seeds.size and (seeds.min() < 0 or seeds.max() >= n):
        raise ValueError(f"seeds: allowed are node positions 0..{n - 1}")
    threshold = np.broadcast_to(np.asarray(threshold, dtype=float), (n,))
    x = np.zeros(n, dtype=bool)
    x[seeds.astype(np.int64)] = True
    new = x.copy()
    states = np.zeros((steps + 1, n), dtype=bool)
    states[0] = x
    deterministic = rule == "complex" and adoption_prob >= 1.0
    for t in range(1, steps + 1):
        xf = x.astype(np.float64)
        x_try = new.astype(np.float64) if attempts == "once" else xf
        p, _ = rule_probability(rule, W, log_W, xf, x_try, k, threshold, adoption_prob, mix)
        if deterministic:
            adopt = ~x & (p >= 1.0)
        else:
            adopt = ~x & (rng.random(n) < p)
        new = adopt
        x = x | adopt
        states[t] = x
    share = float(recip.mean()) if recip.size else 0.0
    return ContagionResult(states=states, reciprocal_share=share)
