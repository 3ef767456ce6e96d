"""Engine benchmark: the 20,000-staff trust for 260 weeks, and the same
exchange rule as a plain per-agent Mesa loop, measured in the same run.

    make bench            (or: .venv/bin/python benchmarks/bench_engine.py [--reps 5])

Prints build time, run time (median over repeats), agent-steps per second,
peak memory (resident set of a fresh process doing one build + run), and
the speed ratio per agent-step against the per-agent Mesa loop. The array
engine's figure covers all seven weekly processes; the loop's covers only
peer exchange, so the ratio understates the gap. These machines are shared
and noisy: read ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import mesa
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from model import TrustModel, load_scenario  # noqa: E402
from model.exchange import CAPABLE_LEVEL  # noqa: E402

LARGE = "leeds"  # 20,000 staff


def time_engine(reps: int) -> dict:
    params = load_scenario(LARGE)
    builds, runs = [], []
    for r in range(reps):
        t0 = time.perf_counter()
        m = TrustModel(params, rng=r)
        t1 = time.perf_counter()
        m.run()
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        runs.append(t2 - t1)
    n, weeks = m.n, m.weeks
    run = statistics.median(runs)
    return {"staff": n, "weeks": weeks, "arcs": m.net.n_arcs, "build_s": statistics.median(builds),
            "run_s": run, "run_s_all": runs, "agent_steps_per_s": n * weeks / run}


def peak_memory() -> dict:
    """Peak resident memory of a fresh process that imports, builds and runs the large trust."""
    code = (
        "import resource, sys, time; sys.path.insert(0, %r);"
        "from model import TrustModel, load_scenario;"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "m = TrustModel(load_scenario(%r), rng=0); m.run();"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "print(base, peak)" % (os.path.join(os.path.dirname(__file__), ".."), LARGE)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    base, peak = (int(x) / 1024 for x in out.stdout.split())
    return {"rss_after_imports_mb": base, "rss_peak_mb": peak, "model_mb": peak - base}


class LoopStaff(mesa.Agent):
    """One person, the exchange rule in plain Python over their in-contacts."""

    def __init__(self, model, idx, in_contacts, weights, threshold, capability, support):
        super().__init__(model)
        self.idx = idx
        self.in_contacts = in_contacts
        self.weights = weights
        self.threshold = threshold
        self.capability = capability
        self.support = support
        self.practising = False
        self.next_practising = False
        self.next_capability = capability

    def step(self):
        m = self.model
        k = len(self.in_contacts)
        expo = 0.0
        peer = 0.0
        for j, w in zip(self.in_contacts, self.weights):
            other = m.people[j]
            if other.practising:
                expo += w
            if other.capability >= CAPABLE_LEVEL:
                peer += w * other.capability
        expo /= max(k, 1)
        peer /= max(k, 1)
        p = m.adoption_rate if expo >= self.threshold else 0.0
        gate = self.capability * self.support * (1 + m.lift * m.attention) / (1 + m.lift)
        u = m.random.random()
        self.next_practising = self.practising or (u < p * gate)
        x = 1.0 if self.practising else 0.0
        self.next_capability = self.capability + (m.learning_rate * peer + m.practice_learning * x) * (1 - self.capability)

    def advance(self):
        self.practising = self.next_practising
        self.capability = self.next_capability


class LoopModel(mesa.Model):
    """The per-agent Mesa loop: same network and rule as the array engine's exchange."""

    def __init__(self, source: TrustModel, seed: int = 0):
        super().__init__(rng=seed)
        e = source.params.exchange
        self.adoption_rate, self.learning_rate, self.practice_learning = e.adoption_rate, e.learning_rate, e.practice_learning
        self.lift = source.params.leadership.signal_lift
        self.attention = 0.7
        net = source.net
        w = np.where(net.reciprocal, 1.0, source.params.network.one_directional_weight)
        self.people = []
        for i in range(source.n):
            lo, hi = net.indptr[i], net.indptr[i + 1]
            a = LoopStaff(self, i, net.src[lo:hi].tolist(), w[lo:hi].tolist(), float(source.exchange.threshold[i]),
                          float(source.capability[i]), float(source.support[source.org.unit_of[i]]))
            self.people.append(a)
        for a in self.people[: source.n // 20]:
            a.practising = True

    def step(self):
        self.agents.do("step")
        self.agents.do("advance")


def time_loop(staff: int, weeks: int) -> dict:
    params = load_scenario("baseline", overrides=[f"organisation.staff={staff}"])
    src = TrustModel(params, rng=0, agents=False)
    loop = LoopModel(src)
    t0 = time.perf_counter()
    for _ in range(weeks):
        loop.step()
    t = time.perf_counter() - t0
    # the array engine on the same 2,000-staff trust, all processes
    eng = TrustModel(params, rng=0, agents=False)
    t1 = time.perf_counter()
    for _ in range(weeks):
        eng.step()
    te = time.perf_counter() - t1
    return {"staff": staff, "weeks": weeks, "loop_agent_steps_per_s": staff * weeks / t,
            "engine_agent_steps_per_s_same_trust": staff * weeks / te}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5, help="repeats of the large build + run (median reported)")
    ap.add_argument("--loop-weeks", type=int, default=20, help="weeks for the per-agent Mesa loop")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = ap.parse_args()
    eng = time_engine(args.reps)
    mem = peak_memory()
    loop = time_loop(2000, args.loop_weeks)
    ratio = eng["agent_steps_per_s"] / loop["loop_agent_steps_per_s"]
    ratio_same = loop["engine_agent_steps_per_s_same_trust"] / loop["loop_agent_steps_per_s"]
    print(f"array engine, {eng['staff']:,} staff x {eng['weeks']} weeks ({eng['arcs']:,} arcs), median of {args.reps}:")
    print(f"  build            {eng['build_s']:.3f} s   (bar: <= 2 s)")
    print(f"  run              {eng['run_s']:.3f} s   (bar: <= 1 s; all: {', '.join(f'{x:.3f}' for x in eng['run_s_all'])})")
    print(f"  agent-steps/s    {eng['agent_steps_per_s']:,.0f}")
    print(f"  peak memory      {mem['rss_peak_mb']:.0f} MB resident ({mem['rss_after_imports_mb']:.0f} MB after imports, "
          f"{mem['model_mb']:.0f} MB for the model)   (bar: <= 1 GB)")
    print(f"plain per-agent Mesa loop, exchange rule only, {loop['staff']:,} staff x {loop['weeks']} weeks:")
    print(f"  agent-steps/s    {loop['loop_agent_steps_per_s']:,.0f}")
    print(f"speed ratio per agent-step, engine (20,000 staff, all processes) / loop: {ratio:.0f}x   (bar: >= 50x)")
    print(f"speed ratio per agent-step, engine / loop on the same 2,000-staff trust: {ratio_same:.0f}x")
    if args.json:
        print(json.dumps({"engine": eng, "memory": mem, "loop": loop, "ratio": ratio, "ratio_same_trust": ratio_same}))


if __name__ == "__main__":
    main()
