"""How much of a calibration's prior meets every fitted pattern, and what a particle costs: before a long run.

    python benchmarks/bench_calibration_prior.py [--calibration C2_plausible_worlds] [--seconds 540]
                                                 [--out prior.csv]

Draws particles from the calibration file's prior (seeded), runs each once
(one replicate, in this process: only the scenarios the fitted targets
read, as ``spread calibrate`` does) for ``--seconds``, and prints the
seconds a particle-replicate took, the share of particles at distance 0
(every fitted pattern met) with its standard error, the share meeting each
pattern, and the targets met least often. The share at distance 0 is the
acceptance of a rejection sampler at tolerance 0, whose weights are equal
(ESS = its population): population / share particles would give such a
posterior. Each particle's values, distance and met targets go to ``--out``.
Measured for C2 in docs/calibration.md ("C2: plausible worlds").
"""

from __future__ import annotations

import argparse
import csv
import math
import time

import numpy as np

from model.calibrate.config import load_calibration
from model.calibrate.fit import evaluate, prior_distribution
from model.calibrate.targets import distance
from model.sweeps.executors import SerialExecutor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calibration", default="C2_plausible_worlds")
    ap.add_argument("--seconds", type=float, default=540.0)
    ap.add_argument("--seed", type=int, default=20261208)
    ap.add_argument("--out", default="prior.csv")
    args = ap.parse_args()
    cal = load_calibration(args.calibration)
    prior = prior_distribution(cal.priors)
    np.random.seed(args.seed)  # pyabc's distributions draw from numpy's global generator
    rows, t0 = [], time.perf_counter()
    while time.perf_counter() - t0 < args.seconds:
        theta = dict(prior.rvs())
        values = evaluate(cal, theta, SerialExecutor(), targets=cal.fitted, reps=1, workers=1)
        rows.append({**theta, "distance": distance(cal.targets, values),
                     **{f"met:{t.pattern}:{t.name}": bool(t.meets(values[t.name])) for t in cal.fitted}})
    elapsed = time.perf_counter() - t0
    with open(args.out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    n = len(rows)
    p = sum(r["distance"] == 0 for r in rows) / n
    print(f"{cal.name}: {n} prior particles in {elapsed:.0f} s ({elapsed / n:.2f} s a particle-replicate); "
          f"every fitted pattern met by {p:.3f} (se {math.sqrt(p * (1 - p) / n):.3f})")
    for pattern in sorted({t.pattern for t in cal.fitted}):
        names = [f"met:{t.pattern}:{t.name}" for t in cal.fitted if t.pattern == pattern]
        print(f"  {pattern}: met by {np.mean([all(r[k] for k in names) for r in rows]):.3f}")
    least = sorted((np.mean([r[k] for r in rows]), k) for k in rows[0] if k.startswith("met:"))[:5]
    print("least often met: " + "; ".join(f"{k.split(':', 2)[2]} {share:.3f}" for share, k in least))


if __name__ == "__main__":
    main()
