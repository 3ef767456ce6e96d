"""Per-run fixed costs against the run itself (issue 12, item 3), at 1,000, 3,500 and 20,000 staff.

    python benchmarks/bench_fixed_costs.py [--reps 3] [--sizes baseline sash leeds]

For each trust (``baseline-1000``: the baseline at 1,000 staff, the size
sweeps run; ``sash``: 3,500; ``leeds``: 20,000), 260 weeks, ``--reps`` runs with different seeds, timing each piece
of what ``runner.simulate`` does on the same finished model:

* **engine**: building the trust (``TrustModel(..., agents=False)``) and its
  260 weekly steps: the run;
* **network_stats x2**: the statistics of the live network at week 0 and at
  the horizon (``network_start``, ``network_end``);
* **survey**: the evaluation's network survey at week 130 (``survey_model``);
* **weekly_frame**: the weekly table; **summarise**: the summary row;
* **writing**: one run's tables as ``spread run`` writes them (weekly,
  summary, network, survey: parquet and CSV) into a temporary folder,
  removed afterwards.

Prints the median of each, as a share of the engine's time, and the total
of the fixed costs (bar: under 0.1 of the run at every size). For
comparison it also times the network statistics as they were before issue
12 (clustering by squaring the undirected adjacency matrix, copied below)
on the same networks, and checks they give the same numbers. The machines
are shared and noisy: read the ratios, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from model import TrustModel, load_scenario  # noqa: E402
from model.network import network_stats  # noqa: E402
from model.outputs import summarise  # noqa: E402
from model.report import write_tables  # noqa: E402
from model.survey import survey_model  # noqa: E402

#: trust -> (scenario, overrides): the sweeps' 1,000-staff baseline, SASH and Leeds at their real sizes
SIZES = {"baseline-1000": ("baseline", ["organisation.staff=1000"]), "sash": ("sash", []), "leeds": ("leeds", [])}


def old_network_stats(net, week, live):
    """network_stats before issue 12 (model/network.py at 205f4d3): the sparse matrix square."""
    n = net.n
    arcs = int(live.sum())
    rev_live = np.zeros_like(live)
    has = net.reverse >= 0
    rev_live[has] = live[net.reverse[has]]
    rec_arcs = int((live & rev_live).sum())
    mutual_pairs = rec_arcs / 2
    one_way = arcs - rec_arcs
    connected_pairs = mutual_pairs + one_way
    s, d = net.src[live], net.dst[live]
    A = sp.csr_array((np.ones(arcs), (s, d)), shape=(n, n))
    U = ((A + A.T) > 0).astype(np.float64)
    k = np.asarray(U.sum(axis=1)).ravel()
    tri = np.asarray((U @ U).multiply(U).sum(axis=1)).ravel() / 2
    denom = k * (k - 1) / 2
    local = np.divide(tri, denom, out=np.zeros(n), where=denom > 0)
    triples = denom.sum()
    n_comp, labels = csgraph.connected_components(A, directed=True, connection="weak")
    largest = np.bincount(labels).max() / n if n else 0.0
    indeg = np.bincount(d, minlength=n)
    outdeg = np.bincount(s, minlength=n)
    cross = int((live & net.cross).sum())
    return {
        "week": week, "staff": n, "arcs": arcs, "density": arcs / (n * (n - 1)) if n > 1 else 0.0,
        "reciprocity_arcs": rec_arcs / arcs if arcs else 0.0,
        "reciprocity_pairs": mutual_pairs / connected_pairs if connected_pairs else 0.0,
        "one_directional_share": one_way / arcs if arcs else 0.0, "clustering_mean": float(local.mean()),
        "transitivity": float(tri.sum() / triples) if triples else 0.0,
        "mean_in_degree": float(indeg.mean()), "mean_out_degree": float(outdeg.mean()),
        "max_in_degree": int(indeg.max()) if n else 0, "max_out_degree": int(outdeg.max()) if n else 0,
        "components": int(n_comp), "largest_component_share": float(largest),
        "cross_unit_ties_per_person": cross / n if n else 0.0,
    }


def timed(fn, *args):
    """(seconds, result) of one call."""
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def one_run(params, seed: int, folder: Path) -> tuple[dict, bool]:
    """Seconds of each piece of one run, and whether the old and new network statistics agree."""
    t = {}
    t0 = time.perf_counter()
    m = TrustModel(params, rng=seed, agents=False)
    while m.week < params.outputs.survey_week:
        m.step()
    engine = time.perf_counter() - t0
    t["survey"], surveyed = timed(survey_model, m)
    t0 = time.perf_counter()
    m.run()
    t["engine"] = engine + time.perf_counter() - t0
    s0, start = timed(network_stats, m.net, 0, m.live.live_at_start)
    s1, end = timed(m.live.stats, m.week)
    t["network_stats x2"] = s0 + s1
    t["weekly_frame"], weekly = timed(m.weekly_frame)
    t["summarise"], summary = timed(summarise, weekly, params, m.workshops.first_week, m.performance.detected_week,
                                    len(m.leadership.change_weeks))
    o0, old_start = timed(old_network_stats, m.net, 0, m.live.live_at_start)
    o1, old_end = timed(old_network_stats, m.net, m.week, m.live.live)
    t["old network_stats x2"] = o0 + o1

    def write():
        write_tables(folder, "weekly", weekly)
        write_tables(folder, "summary", pd.DataFrame([summary]))
        write_tables(folder, "network", pd.DataFrame([start, end]))
        write_tables(folder, "survey", pd.DataFrame([surveyed]))

    t["writing"], _ = timed(write)
    return t, (start == old_start and end == old_end)


FIXED = ("network_stats x2", "survey", "weekly_frame", "summarise")


def main(argv=None) -> int:
    """Print the table of fixed costs as shares of the run; exit 1 if the statistics disagree."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    a = ap.parse_args(argv)
    ok = True
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_fixed_costs_") as tmp:
        for name in a.sizes:
            scenario, overrides = SIZES[name]
            params = load_scenario(scenario, overrides)
            one_run(params, 999, Path(tmp))  # warm-up: imports, caches
            runs = []
            for r in range(a.reps):
                t, same = one_run(params, r + 1, Path(tmp))
                runs.append(t)
                ok &= same
            med = {k: statistics.median(t[k] for t in runs) for k in runs[0]}
            eng = med["engine"]
            fixed = sum(med[k] for k in FIXED)
            row = {"trust": f"{name} ({params.organisation.staff} staff)", "engine s": round(eng, 3)}
            for k in FIXED:
                row[f"{k} / run"] = round(med[k] / eng, 4)
            row["fixed total / run"] = round(fixed / eng, 4)
            row["with writing / run"] = round((fixed + med["writing"]) / eng, 4)
            row["old network_stats x2 / run"] = round(med["old network_stats x2"] / eng, 4)
            row["network_stats speed-up"] = round(med["old network_stats x2"] / med["network_stats x2"], 1)
            rows.append(row)
            print(f"{name}: engine {eng * 1e3:.0f} ms; " + ", ".join(f"{k} {med[k] * 1e3:.1f} ms" for k in med
                                                                     if k != "engine"), flush=True)
    table = pd.DataFrame(rows).set_index("trust").T
    with pd.option_context("display.width", 200, "display.max_columns", 10):
        print(f"\nmedian of {a.reps} runs of 260 weeks each; shares of the engine's time (build + 260 weeks)")
        print(table.to_string())
    worst = max(r["fixed total / run"] for r in rows)
    print(f"\nbar (network_stats x2 + survey + weekly_frame + summarise < 0.1 of the run at every size): "
          f"{'met' if worst < 0.1 else 'NOT met'} (worst {worst:.3f})")
    print("network statistics identical to the old code's: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
