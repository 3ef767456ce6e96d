"""Per-run fixed costs against the run itself (issue 12, item 3), at 1,000, 3,500 and 20,000 staff.

    python benchmarks/bench_fixed_costs.py [--reps 3] [--sizes baseline-1000 sash leeds] [--run-reps 20]

For each trust (``baseline-1000``: the baseline at 1,000 staff, the size
sweeps run; ``sash``: 3,500; ``leeds``: 20,000), 260 weeks, ``--reps`` runs with different seeds, timing each piece
of what ``runner.simulate`` does on the same finished model:

* **engine**: building the trust (``TrustModel(..., agents=False)``) and its
  260 weekly steps: the run;
* **network_stats x2**: the statistics of the live network at week 0 and at
  the horizon (``network_start``, ``network_end``), asked as ``runner``
  asks them, after the run: one triangle count over both networks;
* **survey**: the evaluation's network survey at week 130 (``survey_model``);
* **weekly_frame**: the weekly table; **summarise**: the summary row;
* **writing / replicate**: what ``spread run --reps R`` writes per replicate
  (``--run-reps``, default 20, the command's default): the weekly, summary,
  network and survey tables of R replicates, Parquet and CSV
  (``report.write_tables``), divided by R. The R replicates' rows are this
  run's rows R times: the cost depends on the number of rows, not their values;
* **writing, one replicate**: the same for ``--reps 1`` (each small table a file of its own);
* **sweep runs row / run**: a sweep's writing per run: the run's row of the
  runs table (``sweeps.task._row``, every scalar outcome) and its share of a
  Parquet part (``sweeps.store.Store.flush``, zstd, fsync) holding the runs
  one worker finishes between flushes (the 2 s rule, at most 1,000); the
  optional weekly parts are left out.

Everything is written into a temporary folder, removed afterwards; the
figure and run.json that ``spread run`` writes once per command are not a
per-run cost and are not timed.

Prints the median of each, as a share of the engine's time, and the bar of
the issue: network statistics, survey, weekly table, summary and writing
(per ``spread run`` replicate) under 0.1 of the run at every size; also the
total with a one-replicate ``spread run``'s writing, and a sweep's per-run
costs (weekly table, summary and runs row: its runs skip the network
statistics and the survey). For
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
from model.outputs import summarise  # noqa: E402
from model.report import write_tables  # noqa: E402
from model.runner import RunResult  # noqa: E402
from model.survey import survey_model  # noqa: E402
from model.sweeps.store import Store  # noqa: E402
from model.sweeps.task import _row  # noqa: E402

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


def one_run(params, seed: int, folder: Path, run_reps: int, scenario: str) -> tuple[dict, bool]:
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
    t["network_stats x2"], (start, end) = timed(lambda: (m.network_start, m.network_end))
    t["weekly_frame"], weekly = timed(m.weekly_frame)
    t["summarise"], summary = timed(summarise, weekly, params, m.workshops.first_week, m.performance.detected_week,
                                    len(m.leadership.change_weeks))
    o0, old_start = timed(old_network_stats, m.net, 0, m.live.live_at_start)
    o1, old_end = timed(old_network_stats, m.net, m.week, m.live.live)
    t["old network_stats x2"] = o0 + o1

    def write(reps: int, sub: str):
        """The four tables of ``spread run --reps reps`` (this run's rows ``reps`` times), as cmd_run writes them."""
        out = Path(tempfile.mkdtemp(prefix=sub, dir=folder))
        write_tables(out, "weekly", pd.concat([weekly.assign(rep=i, seed=seed) for i in range(reps)],
                                              ignore_index=True))
        write_tables(out, "summary", pd.DataFrame([{"rep": i, "seed": seed, **summary} for i in range(reps)]))
        write_tables(out, "network", pd.DataFrame([{"rep": i, "when": w, **(start if w == "start" else end)}
                                                   for i in range(reps) for w in ("start", "end")]))
        write_tables(out, "survey", pd.DataFrame([{"rep": i, "seed": seed, **surveyed} for i in range(reps)]))

    t["writing per replicate"] = timed(write, run_reps, "run")[0] / run_reps
    t["writing, one replicate"], _ = timed(write, 1, "run1")
    per_part = int(min(1000, max(1, round(2.0 / t["engine"]))))  # runs one worker finishes between flushes
    result = RunResult(seed=seed, weekly=weekly, summary=summary, network_start={}, network_end={}, events=[],
                       survey={})
    spec = {"engine": "model", "fixed": {}, "outcomes": None, "weekly": []}

    def sweep_write():
        store = Store(Path(tempfile.mkdtemp(prefix="sweep", dir=folder)))
        store.open()
        try:
            rows = [_row(spec, "model", (0, "p0", scenario, {}, r, seed + r), result)[0]
                    for r in range(per_part)]
            store.add(rows, None)
            store.flush()
        finally:
            store.close()

    t["sweep writing per run"] = timed(sweep_write)[0] / per_part
    return t, (start == old_start and end == old_end)


FIXED = ("network_stats x2", "survey", "weekly_frame", "summarise")


def main(argv=None) -> int:
    """Print the table of fixed costs as shares of the run; exit 1 if the statistics disagree."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    ap.add_argument("--run-reps", type=int, default=20, help="replicates of the spread run whose writing is timed")
    a = ap.parse_args(argv)
    ok = True
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_fixed_costs_") as tmp:
        for name in a.sizes:
            scenario, overrides = SIZES[name]
            params = load_scenario(scenario, overrides)
            one_run(params, 999, Path(tmp), a.run_reps, scenario)  # warm-up: imports, caches
            runs = []
            for r in range(a.reps):
                t, same = one_run(params, r + 1, Path(tmp), a.run_reps, scenario)
                runs.append(t)
                ok &= same
            med = {k: statistics.median(t[k] for t in runs) for k in runs[0]}
            eng = med["engine"]
            fixed = sum(med[k] for k in FIXED)
            row = {"trust": f"{name} ({params.organisation.staff} staff)", "engine s": round(eng, 3)}
            for k in FIXED + ("writing per replicate", "writing, one replicate", "sweep writing per run"):
                row[f"{k} / run"] = round(med[k] / eng, 4)
            row["fixed, no writing / run"] = round(fixed / eng, 4)
            row[f"fixed + writing (spread run --reps {a.run_reps}) / run"] = round((fixed + med["writing per replicate"]) / eng, 4)
            row["fixed + writing (spread run --reps 1) / run"] = round((fixed + med["writing, one replicate"]) / eng, 4)
            # a sweep's runs skip the network statistics and the survey (runner.simulate extras=False)
            row["sweep: weekly_frame + summarise + row / run"] = round(
                (med["weekly_frame"] + med["summarise"] + med["sweep writing per run"]) / eng, 4)
            row["old network_stats x2 / run"] = round(med["old network_stats x2"] / eng, 4)
            row["network_stats speed-up"] = round(med["old network_stats x2"] / med["network_stats x2"], 1)
            rows.append(row)
            print(f"{name}: engine {eng * 1e3:.0f} ms; " + ", ".join(f"{k} {med[k] * 1e3:.1f} ms" for k in med
                                                                     if k != "engine"), flush=True)
    table = pd.DataFrame(rows).set_index("trust").T
    with pd.option_context("display.width", 200, "display.max_columns", 10):
        print(f"\nmedian of {a.reps} runs of 260 weeks each; shares of the engine's time (build + 260 weeks)")
        print(table.to_string())
    bar = f"fixed + writing (spread run --reps {a.run_reps}) / run"
    worst = max(r[bar] for r in rows)
    print(f"\nbar (network statistics x2 + survey + weekly table + summary + writing per spread run replicate "
          f"at --reps {a.run_reps} < 0.1 of the run at every size): {'met' if worst < 0.1 else 'NOT met'} "
          f"(worst {worst:.3f})")
    for label, key in (("the same with spread run --reps 1's writing", "fixed + writing (spread run --reps 1) / run"),
                       ("a sweep (weekly table, summary, runs row: no network statistics or survey)",
                        "sweep: weekly_frame + summarise + row / run")):
        w = max(r[key] for r in rows)
        print(f"  {label}: {'under' if w < 0.1 else 'NOT under'} 0.1 (worst {w:.3f})")
    print("network statistics identical to the old code's: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
