"""Issue 5's two bars for ``spread compare``.

1. Common random numbers: for "manager support +0.1" on each teaching-size
   trust, the 95% interval of the paired difference in mean trust-wide
   adoption (CRN: replicate i of both arms shares its seed) against the
   Welch interval from independent seeds with the same number of runs.
   Repeated over several root seeds because one unpaired width is itself noisy.
2. Time: the five-trust x seven-what-if matrix at teaching size, 30
   replicates per arm (``spread compare --matrix --teaching --reps 30``).

    .venv/bin/python benchmarks/bench_whatif.py [--reps 30] [--roots 5] [--skip-matrix]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.params import load_scenario  # noqa: E402
from model.intervals import paired_t_interval as paired_ci  # noqa: E402
from model.intervals import welch_interval as unpaired_ci  # noqa: E402
from model.whatif.compare import run_arms  # noqa: E402
from model.whatif.files import load_whatif  # noqa: E402

TRUSTS = ("baseline-teaching", "sash-teaching", "leeds-teaching", "uhcw-teaching", "bhr-teaching", "sath-teaching")


def crn(reps: int, roots: int, workers: int) -> None:
    wi = load_whatif("manager-support-plus-0.1")
    col = "adoption_trust_final"
    print(f"CRN bar: {wi.title}; outcome {col}; {reps} runs per arm; {roots} root seeds")
    print(f"{'trust':20s} {'base mean':>9s} {'diff':>8s} {'paired width':>12s} {'unpaired width':>14s} {'ratio':>6s}  ratios per root")
    for trust in TRUSTS:
        base = load_scenario(trust)
        plus = wi.apply(base)
        wp, wu, ratios, diffs, means = [], [], [], [], []
        for r in range(roots):
            arms = run_arms({"b": base, "w": plus}, reps, seed=100 + r, workers=workers)
            other = run_arms({"w": plus}, reps, seed=900 + r, workers=workers)["w"]
            a = arms["b"].summaries[col].to_numpy()
            b = arms["w"].summaries[col].to_numpy()
            c = other.summaries[col].to_numpy()
            m, lo, hi = paired_ci(a, b)
            _, ulo, uhi = unpaired_ci(a, c)
            wp.append(hi - lo)
            wu.append(uhi - ulo)
            ratios.append((uhi - ulo) / (hi - lo) if hi > lo else np.inf)
            diffs.append(m)
            means.append(a.mean())
        ratio = np.mean(wu) / np.mean(wp)
        print(f"{trust:20s} {100 * np.mean(means):8.1f}% {100 * np.mean(diffs):+7.2f}p {100 * np.mean(wp):11.2f}p "
              f"{100 * np.mean(wu):13.2f}p {ratio:6.1f}  " + " ".join(f"{x:.1f}" for x in ratios))
    print("(widths in percentage points of trust-wide adoption; ratio = mean unpaired width / mean paired width)")


def matrix(reps: int) -> None:
    out = Path("/tmp") / f"bench-whatif-matrix-{os.getpid()}"
    # this interpreter and this checkout's model (a worktree has no .venv/bin/spread of its own)
    cmd = [sys.executable, "-m", "model", "compare", "--matrix", "--teaching", "--reps", str(reps),
           "--out", str(out), "--quiet"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - t0
    load = os.getloadavg()
    print(f"matrix bar: spread {' '.join(cmd[3:])}: {wall:.1f} s wall on {os.cpu_count()} cores "
          f"(load average now {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--roots", type=int, default=5)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--skip-matrix", action="store_true")
    ap.add_argument("--skip-crn", action="store_true")
    a = ap.parse_args()
    if not a.skip_crn:
        crn(a.reps, a.roots, a.workers)
    if not a.skip_matrix:
        matrix(a.reps)
