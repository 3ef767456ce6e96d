"""Sweep benchmark: sweeps of 1,000- and 2,000-staff trusts x 260 weeks against the floor
work, and peak memory against the number of runs.

    .venv/bin/python benchmarks/bench_sweep.py                 # the bar: 200 runs at 1,000 and 2,000 staff
    .venv/bin/python benchmarks/bench_sweep.py --runs 200 1000 --staff 1000 --workers 2
    .venv/bin/python benchmarks/bench_sweep.py --null 1000 10000   # the runner alone (no model work)

Each sweep runs as its own process (`spread sweep`, local process pool); a sampler thread
records the peak resident memory of the sweep process (driver) and of its whole process
tree, and the CPU time of the tree.

The floor (issue 12): one CSR mat-vec of the trust's in-contact matrix and one uniform
draw per person, per week, on one core, measured here in the same run; the floor work of
a sweep is that times the number of runs, divided by the cores used. Printed: wall /
floor work (the bar: within 4x at 1,000 staff, 3x at 2,000) and CPU / (floor x runs),
which other work on the machine disturbs less. The in-process engine alone (one batch of
replicates, no sweep machinery) and one run alone are printed beside them, so the
sweep's own overhead can be told apart from the model's cost. Bar (issue 3): memory flat.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's model, whatever is installed

EXP = """
name = "bench"
scenario = "baseline"
engine = "{engine}"
seed = 1
reps = {reps}
weeks = {weeks}
sampler = "grid"
outcomes = ["regime", "reach_final", "sustainment"]
[set]
"organisation.staff" = {staff}
[vary."leadership.commitment"]
range = [0.5, 0.95]
n = 10
"""


def run_one(n_runs: int, staff: int, weeks: int, workers: int, engine: str, tmp: Path, root: Path = ROOT) -> dict:
    """One sweep as its own process, with the model of the checkout at ``root``."""
    exp = tmp / f"bench_{engine}_{n_runs}.toml"
    exp.write_text(textwrap.dedent(EXP.format(engine=engine, reps=max(1, n_runs // 10), weeks=weeks, staff=staff)))
    out = tmp / f"out_{engine}_{n_runs}_{staff}_{abs(hash(str(root)))}"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root / "benchmarks"), str(root), env.get("PYTHONPATH", "")])
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "model", "sweep", str(exp), "--out", str(out),
                             "--workers", str(workers), "--no-analyse"], env=env, cwd=str(root),  # -m puts the cwd first on sys.path
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = {"driver": 0, "tree": 0}
    cpu: dict[int, float] = {}
    stop = threading.Event()

    def sample():
        p = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                procs = [p] + p.children(recursive=True)
                d = p.memory_info().rss
                tree = 0
                for q in procs:
                    try:
                        tree += q.memory_info().rss
                        t = q.cpu_times()
                        cpu[q.pid] = t.user + t.system
                    except psutil.Error:
                        pass
            except psutil.Error:
                break
            peak["driver"] = max(peak["driver"], d)
            peak["tree"] = max(peak["tree"], tree)
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    if proc.returncode != 0:
        raise SystemExit(f"sweep failed ({proc.returncode}):\n{err}")
    import pyarrow.parquet as pq
    rows = sum(pq.read_metadata(p).num_rows for p in (out / "runs").glob("part-*.parquet"))
    return {"runs": rows, "wall": wall, "driver_mb": peak["driver"] / 2**20, "tree_mb": peak["tree"] / 2**20,
            "cpu": sum(cpu.values())}


def floor_per_run(staff: int, weeks: int, repeats: int = 5) -> tuple[float, float]:
    """CPU seconds for one run of the issue's floor and of the model's own floor.

    The issue's floor: ``weeks`` x (one CSR mat-vec + one uniform draw per
    person). The model's floor: what its weekly rules cannot do without, as
    ODD section 7 states them: two sums over the network (exposure, and
    peer learning from capable colleagues), three uniform draws per person
    (adoption, abandonment, leaving: one per person each, for common random
    numbers) and one normal draw per unit (measurement noise).
    """
    import numpy as np

    from model.params import load_scenario
    from model.trust import TrustModel
    m = TrustModel(load_scenario("baseline").with_values({"organisation.staff": staff}), rng=1, agents=False)
    W, n, units = m.live.W, m.n, m.org.n_units
    rng = np.random.default_rng(0)
    x = (rng.random(n) < 0.5).astype(np.float64)
    c = rng.random(n)
    best, best_model = float("inf"), float("inf")
    for _ in range(repeats):
        c0 = time.process_time()
        for _ in range(weeks):
            W @ x
            rng.random(n)
        c1 = time.process_time()
        for _ in range(weeks):
            W @ x
            W @ c
            rng.random(n)
            rng.random(n)
            rng.random(n)
            rng.standard_normal(units + 1)
        c2 = time.process_time()
        best, best_model = min(best, c1 - c0), min(best_model, c2 - c1)
    return best, best_model


def engine_per_run(staff: int, weeks: int, reps: int) -> tuple[float, float]:
    """CPU seconds per run of ``reps`` replicates in the engine alone: batched, and one at a time."""
    from model.params import load_scenario
    from model.runner import simulate_batch
    p = load_scenario("baseline").with_values({"organisation.staff": staff})
    simulate_batch(p, [0], weeks=5, extras=False)
    c0 = time.process_time()
    simulate_batch(p, list(range(1, reps + 1)), weeks=weeks, extras=False)
    batched = (time.process_time() - c0) / reps
    c0 = time.process_time()
    for s in range(1, 4):
        simulate_batch(p, [s], weeks=weeks, extras=False)
    return batched, (time.process_time() - c0) / 3


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, nargs="*", default=[200], help="sweep sizes with the real model")
    ap.add_argument("--null", type=int, nargs="*", default=[], help="sweep sizes with a no-work engine (runner alone)")
    ap.add_argument("--staff", type=int, nargs="*", default=[1000, 2000])
    ap.add_argument("--weeks", type=int, default=260)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--against", type=Path, help="another checkout (e.g. the main branch): its sweeps run "
                    "alternately with this one's, and the speed ratio is printed (robust to other load)")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (other work on the machine slows every figure)")
    print("cpu s/run: CPU time of the whole process tree (driver, workers, start-up) per run; unlike wall time "
          "it does not grow when other work shares the cores")
    with tempfile.TemporaryDirectory() as d:
        for staff in args.staff if args.runs else []:
            floor, model_floor = floor_per_run(staff, args.weeks)
            batched, alone = engine_per_run(staff, args.weeks, min(50, max(args.runs)))
            print(f"\n{staff} staff x {args.weeks} weeks: floor {floor * 1e3:.1f} ms CPU a run "
                  f"(mat-vec + uniform draw per person per week, one core)")
            print(f"  the model's own floor: {model_floor * 1e3:.1f} ms ({model_floor / floor:.1f}x the floor: two network "
                  "sums, three uniform draws per person and a normal per unit a week, which its rules need)")
            print(f"  engine alone, CPU a run: batched {batched * 1e3:.1f} ms ({batched / floor:.1f}x floor, "
                  f"{batched / model_floor:.1f}x the model's floor), one at a time {alone * 1e3:.1f} ms "
                  f"({alone / floor:.1f}x floor)")
            print(f"  {'runs':>6} {'wall s':>8} {'floor s':>8} {'wall/floor':>10} {'cpu/floor':>10} {'cpu s/run':>10} "
                  f"{'driver MB':>10} {'tree MB':>9}")
            trees: dict[str, list[tuple[int, float]]] = {}
            for n in args.runs:
                roots = [("this", ROOT)] + ([("against", args.against.resolve())] if args.against else [])
                got = {}
                for label, root in roots:
                    r = got[label] = run_one(n, staff, args.weeks, args.workers, "model.sweep_engine", Path(d), root)
                    fw = floor * r["runs"] / args.workers
                    print(f"  {r['runs']:>6} {r['wall']:>8.1f} {fw:>8.2f} {r['wall'] / fw:>9.1f}x "
                          f"{r['cpu'] / (floor * r['runs']):>9.1f}x {r['cpu'] / r['runs']:>10.4f} "
                          f"{r['driver_mb']:>10.0f} {r['tree_mb']:>9.0f}  {label}: {root}", flush=True)
                    trees.setdefault(label, []).append((r["runs"], r["tree_mb"]))
                if args.against:
                    a, b = got["against"], got["this"]
                    print(f"  this checkout against {args.against}: {a['wall'] / b['wall']:.2f}x faster in wall time, "
                          f"{a['cpu'] / b['cpu']:.2f}x in CPU time", flush=True)
            for label, pts in trees.items():
                if len(pts) > 1:  # the memory bar: flat in the number of runs, under 1 GB at 1,000 staff
                    (n0, m0), (n1, m1) = min(pts), max(pts)
                    print(f"  {label}: process tree peak at {n1} runs / at {n0} runs: {m1 / m0:.2f}x "
                          f"({m0:.0f} -> {m1:.0f} MB; bar: flat, under 1 GB)")
        if args.null:
            print(f"\n{'engine':<7} {'runs':>6} {'wall s':>8} {'runs/s':>8} {'cpu s/run':>10} {'driver MB':>10} {'tree MB':>9}")
        for n in args.null:
            r = run_one(n, args.staff[0], args.weeks, args.workers, "null_engine", Path(d))
            print(f"{'null':<7} {r['runs']:>6} {r['wall']:>8.1f} {r['runs'] / r['wall']:>8.1f} {r['cpu'] / r['runs']:>10.4f} "
                  f"{r['driver_mb']:>10.0f} {r['tree_mb']:>9.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
