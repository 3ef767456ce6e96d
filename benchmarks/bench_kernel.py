"""Stand-alone kernel benchmark (issue 12, item 4): the prepared kernel against a plain cached sparse loop.

    python benchmarks/bench_kernel.py [--nodes 10000] [--degree 4] [--steps 100] [--calls 20]

An Erdos-Renyi graph (networkx ``fast_gnp_random_graph``, mean degree
``--degree``), the complex rule (threshold 0.25), called repeatedly on one
graph with a different set of seed nodes each call, timed three ways in the
same run:

* **prepared**: ``model.contagion.prepare(G)`` once, then ``net.spread(...)``;
* **plain**: the loop a researcher would write by hand, written here: the CSR
  matrix and the degrees built once, then per step ``x = A @ s``, the
  threshold test, one uniform draw per node, ``s |= adopt``; every step run;
* **old**: the kernel as it was before issue 12 (matrices rebuilt from the
  networkx graph on every call, every step run), copied below.

Two cases: ``adoption_prob = 0.1`` (a random rule: every step draws, and the
spread is still going at the last step, so the prepared kernel runs every
step like the plain loop and the ratio is like for like)
and ``adoption_prob = 1`` (Watts's deterministic rule: the prepared kernel
stops at the cascade's fixed point and fills the remaining steps; the plain
loop runs all steps). The bar is prepared / plain <= 1.5 in both. The
script also checks that the prepared kernel's states equal the old
kernel's, ``spread(G, ...)``'s, and (random case, same draws in the same
order) the plain loop's, and exits 1 if not. Medians over the calls; the
machines are shared and noisy, so read the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import networkx as nx
import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from model.contagion import in_contact_matrix, log_survival, prepare, rule_probability, spread  # noqa: E402

THRESHOLD = 0.25
#: the random case's chance: slow enough that the spread is still going at step 100 (no early stop)
RANDOM_PROB = 0.1


def old_spread(graph, seeds, steps, rule="complex", *, threshold=0.25, adoption_prob=1.0, transmission=0.1,
               one_directional_weight=1.0, mix=0.5, attempts="every_step", rng=None):
    """The kernel before issue 12 (model/contagion.py at 205f4d3): (states, reciprocal share).

    Every step run, matrices rebuilt; tests/test_contagion_prepared.py checks the prepared kernel against it.
    """
    rng = np.random.default_rng(rng)
    M, recip = in_contact_matrix(graph)
    n = M.shape[0]
    weights = np.where(recip, 1.0, one_directional_weight)
    W = sp.csr_array((weights, M.indices, M.indptr), shape=(n, n))
    log_W = sp.csr_array((log_survival(weights, transmission), M.indices, M.indptr), shape=(n, n))
    k = np.diff(M.indptr)
    threshold = np.broadcast_to(np.asarray(threshold, dtype=float), (n,))
    seeds = np.asarray(list(seeds) if not isinstance(seeds, np.ndarray) else seeds)
    if seeds.dtype == bool:
        seeds = np.flatnonzero(seeds)
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
        adopt = ~x & (p >= 1.0) if deterministic else ~x & (rng.random(n) < p)
        new = adopt
        x = x | adopt
        states[t] = x
    return states, (float(recip.mean()) if recip.size else 0.0)


class Plain:
    """A plain cached sparse implementation of the complex rule: CSR built once, then mat-vec, threshold, draw."""

    def __init__(self, G: nx.Graph):
        A = sp.csr_array(nx.to_scipy_sparse_array(G, weight=None, format="csr"), dtype=np.float64)
        self.A = sp.csr_array(A.T)  # row i: i's in-contacts
        k = np.diff(self.A.indptr)
        self.k = np.maximum(k, 1).astype(np.float64)
        self.has = k > 0
        self.n = A.shape[0]

    def spread(self, seeds, steps, threshold, adoption_prob, rng):
        """States (steps + 1, n): every step runs, with one draw per node."""
        rng = np.random.default_rng(rng)
        n = self.n
        states = np.zeros((steps + 1, n), dtype=bool)
        s = np.zeros(n)
        s[seeds] = 1.0
        states[0] = s > 0
        for t in range(1, steps + 1):
            x = self.A @ s
            adopt = (x / self.k >= threshold) & self.has & (rng.random(n) < adoption_prob) & ~states[t - 1]
            s[adopt] = 1.0
            np.logical_or(states[t - 1], adopt, out=states[t])
        return states


def interleaved(fns: dict, args_list: list, only_first: dict) -> dict:
    """Median seconds per call and the results of each ``fns[name](*args)``, the methods taking turns call by call.

    Taking turns spreads the machine's load drifts over all methods alike.
    ``only_first[name]`` limits a slow method to the first calls.
    """
    times = {k: [] for k in fns}
    out = {k: [] for k in fns}
    for i, args in enumerate(args_list):
        for name, fn in fns.items():
            if i >= only_first.get(name, len(args_list)):
                continue
            t0 = time.perf_counter()
            out[name].append(fn(*args))
            times[name].append(time.perf_counter() - t0)
    return {k: (statistics.median(times[k]), out[k]) for k in fns}


def main(argv=None) -> int:
    """Print per-call times and ratios for both cases; exit 1 if any result differs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=10_000)
    ap.add_argument("--degree", type=float, default=4.0)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--old-calls", type=int, default=5)
    a = ap.parse_args(argv)
    G = nx.fast_gnp_random_graph(a.nodes, a.degree / (a.nodes - 1), seed=1)
    seed_sets = [np.random.default_rng(c).choice(a.nodes, size=10, replace=False) for c in range(a.calls)]
    print(f"Erdos-Renyi graph: {a.nodes} nodes, {G.number_of_edges()} edges (mean degree "
          f"{2 * G.number_of_edges() / a.nodes:.2f}), {a.steps} steps, complex rule, threshold {THRESHOLD}, "
          f"{a.calls} calls on one graph (10 seed nodes each)")

    t0 = time.perf_counter()
    net = prepare(G)
    t_prep = time.perf_counter() - t0
    t0 = time.perf_counter()
    plain = Plain(G)
    t_plain_build = time.perf_counter() - t0
    print(f"one-off: prepare(G) {t_prep * 1e3:.1f} ms; the plain loop's CSR {t_plain_build * 1e3:.1f} ms")

    ok = True
    ratios = {}
    for prob in (RANDOM_PROB, 1.0):
        label = f"random (adoption_prob {RANDOM_PROB})" if prob < 1 else "deterministic (adoption_prob 1, Watts)"
        calls = [(s, c) for c, s in enumerate(seed_sets)]
        timed = interleaved({
            "plain": lambda s, c: plain.spread(s, a.steps, THRESHOLD, prob, c),
            "prepared": lambda s, c: net.spread(s, a.steps, threshold=THRESHOLD, adoption_prob=prob, rng=c).states,
            "old": lambda s, c: old_spread(G, s, a.steps, threshold=THRESHOLD, adoption_prob=prob, rng=c)[0],
        }, calls, {"old": a.old_calls})
        (t_pl, res_pl), (t_pr, res_pr), (t_old, res_old) = timed["plain"], timed["prepared"], timed["old"]
        unprepared = [spread(G, s, a.steps, threshold=THRESHOLD, adoption_prob=prob, rng=c).states
                      for s, c in calls[:a.old_calls]]
        same_old = all(np.array_equal(p, o) for p, o in zip(res_pr, res_old))
        same_spread = all(np.array_equal(p, o) for p, o in zip(res_pr, unprepared))
        same_plain = all(np.array_equal(p, o) for p, o in zip(res_pr, res_pl))
        final = statistics.median(float(r[-1].mean()) for r in res_pr)
        settled = statistics.median(int(np.flatnonzero((r != r[-1]).any(axis=1)).max(initial=-1) + 1) for r in res_pr)
        ratio = t_pr / t_pl
        ratios[label] = ratio
        print(f"\n{label}: median final adoption {final:.3f}, last change at step {settled} (median)")
        print(f"  prepared kernel      {t_pr * 1e3:8.2f} ms/call")
        print(f"  plain cached loop    {t_pl * 1e3:8.2f} ms/call   prepared / plain = {ratio:.2f} (bar <= 1.5)")
        print(f"  old kernel           {t_old * 1e3:8.2f} ms/call   old / prepared = {t_old / t_pr:.1f}x, "
              f"old / plain = {t_old / t_pl:.1f}x")
        print(f"  prepared == old kernel: {same_old}; == spread(G, ...): {same_spread}; "
              f"== plain loop: {same_plain}" + ("" if prob < 1 else " (plain draws; the deterministic rule does not)"))
        ok &= same_old and same_spread and (same_plain or prob >= 1)
    print("\nbar (prepared within 1.5x of plain): " + ("met" if max(ratios.values()) <= 1.5 else "NOT met"))
    print("results identical: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
