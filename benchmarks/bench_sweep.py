"""Sweep benchmark: wall time for 1,000 runs of a 1,000-staff trust x 260 weeks, and peak
memory against the number of runs.

    .venv/bin/python benchmarks/bench_sweep.py                 # the bar: 1,000 runs, 2 workers
    .venv/bin/python benchmarks/bench_sweep.py --runs 100 300 1000 --workers 2
    .venv/bin/python benchmarks/bench_sweep.py --null 1000 10000   # the runner alone (no model work)

Each sweep runs as its own process (`spread sweep`, local process pool); a sampler thread
records the peak resident memory of the sweep process (driver) and of its whole process
tree. The serial time of one run is measured first, so the runner's own overhead can be
told apart from the model's cost. Bar (issue 3): <= 60 s wall on 2 cores, memory flat.
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


def run_one(n_runs: int, staff: int, weeks: int, workers: int, engine: str, tmp: Path) -> dict:
    exp = tmp / f"bench_{engine}_{n_runs}.toml"
    exp.write_text(textwrap.dedent(EXP.format(engine=engine, reps=max(1, n_runs // 10), weeks=weeks, staff=staff)))
    out = tmp / f"out_{engine}_{n_runs}"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT), env.get("PYTHONPATH", "")])
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "model", "sweep", str(exp), "--out", str(out),
                             "--workers", str(workers), "--no-analyse"], env=env,
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


def serial_run_time(staff: int, weeks: int, n: int = 3) -> float:
    from model.params import load_scenario
    from model.runner import simulate
    p = load_scenario("baseline").with_values({"organisation.staff": staff})
    simulate(p, seed=0, weeks=weeks)
    t0, c0 = time.perf_counter(), time.process_time()
    for s in range(n):
        simulate(p, seed=s + 1, weeks=weeks)
    return (time.perf_counter() - t0) / n, (time.process_time() - c0) / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, nargs="*", default=[1000], help="sweep sizes with the real model")
    ap.add_argument("--null", type=int, nargs="*", default=[], help="sweep sizes with a no-work engine (runner alone)")
    ap.add_argument("--staff", type=int, default=1000)
    ap.add_argument("--weeks", type=int, default=260)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (other work on the machine slows every figure)")
    if args.runs:
        t1, c1 = serial_run_time(args.staff, args.weeks)
        print(f"one run, serial, {args.staff} staff x {args.weeks} weeks: {t1:.3f} s wall, {c1:.3f} s CPU "
              f"-> 1,000 runs on {args.workers} idle cores would take about {1000 * c1 / args.workers:.1f} s")
    print("cpu s/run: CPU time of the whole process tree (driver, workers, start-up) per run; unlike wall time "
          "it does not grow when other work shares the cores")
    print(f"{'engine':<7} {'runs':>6} {'wall s':>8} {'runs/s':>8} {'cpu s/run':>10} {'driver MB':>10} {'tree MB':>9}")
    with tempfile.TemporaryDirectory() as d:
        for engine, sizes in (("model.sweep_engine", args.runs), ("null_engine", args.null)):
            for n in sizes:
                r = run_one(n, args.staff, args.weeks, args.workers, engine, Path(d))
                label = "model" if engine.startswith("model") else "null"
                print(f"{label:<7} {r['runs']:>6} {r['wall']:>8.1f} {r['runs'] / r['wall']:>8.1f} {r['cpu'] / r['runs']:>10.4f} "
                      f"{r['driver_mb']:>10.0f} {r['tree_mb']:>9.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
