"""A calibration particle's runs: each replicate a task of its own against replicates batched, in one run.

    python benchmarks/bench_calibrate.py [--calibration experiments/C1_patterns.toml] [--reps 2 10]
                                         [--workers 1] [--repeats 3]

``spread calibrate`` spends its time in ``model.calibrate.fit.evaluate``:
a particle's (scenario, replicate) runs. Each scenario's replicates run as
one batch of the array engine (``runner.simulate_batch``), split into about
``--workers`` tasks; the baseline is the same particle with every replicate
a task of its own (``workers=None``: what a Dask cluster gets, and what
every executor got before). Both are timed alternately on
the same executor, for the calibration file's scenario values as the
particle, and must give the same target values bit for bit. Prints seconds
per particle (median of ``--repeats``) and the ratio. With the default
file (``experiments/C1_patterns.toml``: ten scenarios at the five trusts'
real headcounts) a particle is 10 x reps runs; ``--calibration`` takes any
calibration file, for example a small trust's, where batching gains most.
The machines are shared and noisy: read the ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from model.calibrate.config import load_calibration  # noqa: E402
from model.calibrate.fit import evaluate  # noqa: E402
from model.sweeps.executors import make_executor  # noqa: E402

APART = None  # every replicate a task of its own


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibration", default=os.path.join(os.path.dirname(__file__), "..", "experiments",
                                                          "C1_patterns.toml"))
    ap.add_argument("--reps", type=int, nargs="+", default=[2, 10], help="replicates a particle")
    ap.add_argument("--workers", type=int, default=1, help="local worker processes (1: in this process)")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats of each (median reported)")
    ap.add_argument("--weeks", type=int, default=None, help="weeks a run (default: the calibration's)")
    args = ap.parse_args()
    cal = load_calibration(args.calibration)
    if args.weeks:
        cal = dataclasses.replace(cal, weeks=args.weeks)
    # the particle: each parameter at its value in the first scenario it applies to (the file's own levels)
    theta = {p.name: float(next(a for a in cal.arms if p.applies_to(a.alias)).params().get(p.key)) for p in cal.priors}
    handle = make_executor(args.workers)
    print(f"{cal.name}: {len(cal.arms)} scenario(s), {cal.weeks} weeks, particle {theta}, "
          f"{handle.workers} {handle.kind} worker(s)")
    try:
        for reps in args.reps:
            times = {"apart": [], "batched": []}
            values = {}
            for _ in range(args.repeats):
                for how, w in (("apart", APART), ("batched", handle.workers)):
                    t0 = time.perf_counter()
                    values[how] = evaluate(cal, theta, handle.executor, reps=reps, workers=w)
                    times[how].append(time.perf_counter() - t0)
            same = values["apart"] == values["batched"]
            a, b = statistics.median(times["apart"]), statistics.median(times["batched"])
            runs = reps * len(cal.arms)
            print(f"  {reps:>3} replicates ({runs} runs a particle): each replicate a task {a:7.2f} s, "
                  f"batched {b:7.2f} s: {a / b:.2f}x; the same target values: {'yes' if same else 'NO'}")
            if not same:
                raise SystemExit("batched and apart disagree")
    finally:
        handle.close()


if __name__ == "__main__":
    main()
