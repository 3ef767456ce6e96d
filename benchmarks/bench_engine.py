"""Engine benchmark: the 20,000-staff trust for 260 weeks, and the same
exchange rule as a plain per-agent Mesa loop, measured in the same run.

    make bench            (or: .venv/bin/python benchmarks/bench_engine.py [--reps 5])

Prints build time, run time (median over repeats; wall and CPU time), agent-steps per second,
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
from model.processes.exchange import CAPABLE_LEVEL  # noqa: E402

LARGE = "leeds"  # 20,000 staff


def time_engine_once(params, seed: int) -> tuple[float, float, float, TrustModel]:
    """Build and run once: (build wall s, run wall s, run CPU s, model)."""
    t0 = time.perf_counter()
    m = TrustModel(params, rng=seed)
    t1, c1 = time.perf_counter(), time.process_time()
    m.run()
    t2, c2 = time.perf_counter(), time.process_time()
    return t1 - t0, t2 - t1, c2 - c1, m


def peak_memory() -> dict:
    """Peak resident memory of a fresh process that imports, builds and runs the large trust."""
    code = (
        "import resource, sys, time, tracemalloc; sys.path.insert(0, %r);"
        "from model import TrustModel, load_scenario;"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "p = load_scenario(%r); tracemalloc.start();"
        "m = TrustModel(p, rng=0); m.run();"
        "traced = tracemalloc.get_traced_memory()[1]; tracemalloc.stop();"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "print(base, peak, traced)" % (os.path.join(os.path.dirname(__file__), ".."), LARGE)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    base_kb, peak_kb, traced_b = (int(x) for x in out.stdout.split())
    return {"rss_after_imports_mb": base_kb / 1024, "rss_peak_mb": peak_kb / 1024, "model_mb": traced_b / 2**20}


class LoopStaff(mesa.Agent):
    """One person, the engine's exchange rule (``model.processes.exchange``) in plain Python over their in-contacts."""

    def __init__(self, model, idx, in_contacts, weights, threshold, capability, support):
        super().__init__(model)
        self.idx = idx
        self.in_contacts = in_contacts
        self.weights = weights
        self.threshold = threshold
        self.capability = capability
        self.support = support
        self.practising = False
        self.k = len(in_contacts)  # in-contacts in the exposure denominator (set by LoopModel)
        self.next_practising = False
        self.next_capability = capability

    def step(self):
        m = self.model
        k = self.k
        expo = 0.0
        peer = 0.0
        for j, w in zip(self.in_contacts, self.weights):
            other = m.people[j]
            if other.practising:
                expo += w
            if other.capability >= CAPABLE_LEVEL:
                peer += w * other.capability
        inv_k = 1.0 / max(k, 1)
        expo *= inv_k
        peer *= inv_k
        u = m.random.random()
        adopt = False
        if not self.practising and expo >= self.threshold:
            gate = self.capability * self.support * m.signal
            adopt = u < m.adoption_rate * gate
        self.next_practising = self.practising or adopt
        c = self.capability
        if self.practising:
            c += (m.learning_rate * self.support * peer + m.practice_learning) * (1.0 - c)
        else:
            c += m.learning_rate * self.support * peer * (1.0 - c) - m.forgetting * c
        self.next_capability = min(max(c, 0.0), 1.0)

    def advance(self):
        self.practising = self.next_practising
        self.capability = self.next_capability


class LoopModel(mesa.Model):
    """The per-agent Mesa loop: same network and rule as the array engine's exchange."""

    def __init__(self, source: TrustModel, seed: int = 0, attention: float = 0.7):
        super().__init__(rng=seed)
        e = source.params.exchange
        self.adoption_rate, self.learning_rate = e.adoption_rate, e.learning_rate
        self.practice_learning, self.forgetting = e.practice_learning, e.forgetting
        self.signal = 1.0  # the leadership signal reaches staff through support only (ODD 7.4)
        net = source.net
        w = np.where(net.reciprocal, 1.0, source.params.network.one_directional_weight)
        live = source.live.live
        self.people = []
        for i in range(source.n):
            lo, hi = net.indptr[i], net.indptr[i + 1]
            on = live[lo:hi]
            a = LoopStaff(self, i, net.src[lo:hi][on].tolist(), w[lo:hi][on].tolist(), float(source.exchange.threshold[i]),
                          float(source.capability[i]), float(source.support[source.org.unit_of[i]]))
            a.practising = bool(source.practising[i])
            a.k = int((on & ~net.forum[lo:hi]).sum())  # forum ties add exposure, not to its denominator (ODD 7.4)
            self.people.append(a)

    def step(self):
        self.agents.do("step")
        self.agents.do("advance")


class _Replay:
    """Stands in for ``model.random`` to feed the loop given uniforms, in agent order."""

    def __init__(self, u):
        self._it = iter(u.tolist())

    def random(self):
        return next(self._it)


def check_same_rule(small, seed: int = 0, start: int = 40, weeks: int = 20) -> tuple[float, int, int]:
    """The loop's week against ``PeerExchange.update`` on the same state and uniforms, week after week.

    The engine trust runs to week ``start`` (people practise, are capable,
    some ties are dormant); then for each of ``weeks`` weeks a loop model is
    built from the engine's state, both take the exchange step with the
    same uniforms, and the engine goes on with its full week. Returns
    (largest capability difference, adoptions compared, weeks compared);
    raises if any adoption differs or none happened (a check that could not fail).
    """
    m = TrustModel(small, rng=seed, agents=False)
    for _ in range(start):
        m.step()
    worst, adopted = 0.0, 0
    for _ in range(weeks):
        loop = LoopModel(m, seed=seed, attention=m.attention)
        u = np.random.default_rng([seed, m.week]).random(m.n)
        loop.random = _Replay(u)
        loop.step()
        cap, prac = m.capability.copy(), m.practising.copy()
        m.exchange.update(m.live, cap, prac, m.support, m.org.unit_of, _Fixed(u))
        loop_prac = np.array([a.practising for a in loop.people])
        loop_cap = np.array([a.capability for a in loop.people])
        if not np.array_equal(loop_prac, prac):
            raise AssertionError(f"week {m.week}: loop and engine disagree on adoption for "
                                 f"{int((loop_prac != prac).sum())} people")
        worst = max(worst, float(np.abs(loop_cap - cap).max()))
        adopted += int((prac & ~m.practising).sum())
        m.step()
    if adopted == 0:
        raise AssertionError("no one adopted in the checked weeks: the check would prove nothing")
    return worst, adopted, weeks


class _Fixed:
    """Stands in for a Generator whose next ``random(n)`` is ``u``."""

    def __init__(self, u):
        self.u = u

    def random(self, n):
        assert n == self.u.size
        return self.u


def time_loop_once(loop: LoopModel, weeks: int) -> tuple[float, float]:
    """Run the per-agent loop for ``weeks``: (wall s, CPU s)."""
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(weeks):
        loop.step()
    return time.perf_counter() - t0, time.process_time() - c0


def measure(reps: int, loop_staff: int, loop_weeks: int) -> dict:
    """Engine and loop measured alternately, so both see the same machine load."""
    large = load_scenario(LARGE)
    small = load_scenario("baseline", overrides=[f"organisation.staff={loop_staff}"])
    builds, runs, run_cpu, loop_wall, loop_cpu, same_cpu = [], [], [], [], [], []
    for r in range(reps):
        b, w, c, m = time_engine_once(large, r)
        builds.append(b)
        runs.append(w)
        run_cpu.append(c)
        src = TrustModel(small, rng=r, agents=False)
        src.practising[: loop_staff // 20] = True  # some practise, so the rule does all its work
        loop = LoopModel(src, seed=r)
        lw, lc = time_loop_once(loop, loop_weeks)
        loop_wall.append(lw)
        loop_cpu.append(lc)
        eng_small = TrustModel(small, rng=r, agents=False)
        c0 = time.process_time()
        for _ in range(loop_weeks):
            eng_small.step()
        same_cpu.append(time.process_time() - c0)
    med = statistics.median
    steps = m.n * m.weeks
    loop_steps = loop_staff * loop_weeks
    return {
        "staff": m.n, "weeks": m.weeks, "arcs": m.net.n_arcs,
        "build_s": med(builds), "run_s": med(runs), "run_s_all": runs, "run_cpu_s": med(run_cpu),
        "agent_steps_per_s": steps / med(runs), "agent_steps_per_cpu_s": steps / med(run_cpu),
        "loop_staff": loop_staff, "loop_weeks": loop_weeks,
        "loop_agent_steps_per_s": loop_steps / med(loop_wall), "loop_agent_steps_per_cpu_s": loop_steps / med(loop_cpu),
        "engine_same_trust_agent_steps_per_cpu_s": loop_steps / med(same_cpu),
        # each repeat's engine and loop ran back to back: their ratio, repeat by repeat, shows the machine's noise
        "ratio_cpu_per_repeat": [(steps / c) / (loop_steps / lc) for c, lc in zip(run_cpu, loop_cpu)],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5, help="repeats of the large build + run (median reported)")
    ap.add_argument("--loop-weeks", type=int, default=10, help="weeks for the per-agent Mesa loop")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = ap.parse_args()
    small = load_scenario("baseline", overrides=["organisation.staff=2000"])
    diff, adopted, checked = check_same_rule(small)
    f = measure(args.reps, 2000, args.loop_weeks)
    mem = peak_memory()
    ratio_cpu = f["agent_steps_per_cpu_s"] / f["loop_agent_steps_per_cpu_s"]
    ratio_wall = f["agent_steps_per_s"] / f["loop_agent_steps_per_s"]
    ratio_same = f["engine_same_trust_agent_steps_per_cpu_s"] / f["loop_agent_steps_per_cpu_s"]
    print(f"array engine, {f['staff']:,} staff x {f['weeks']} weeks ({f['arcs']:,} arcs), median of {args.reps}:")
    print(f"  build            {f['build_s']:.3f} s   (bar: <= 2 s)")
    print(f"  run              {f['run_s']:.3f} s wall, {f['run_cpu_s']:.3f} s CPU   (bar: <= 1 s; "
          f"all wall: {', '.join(f'{x:.3f}' for x in f['run_s_all'])})")
    print(f"  agent-steps/s    {f['agent_steps_per_s']:,.0f} wall, {f['agent_steps_per_cpu_s']:,.0f} per CPU s")
    print(f"  peak memory      {mem['rss_peak_mb']:.0f} MB resident in a fresh process ({mem['rss_after_imports_mb']:.0f} MB "
          f"after imports); model allocations peak {mem['model_mb']:.0f} MB (tracemalloc)   (bar: <= 1 GB)")
    print(f"plain per-agent Mesa loop: {checked} weeks checked against the engine's exchange step on the same state "
          f"and uniforms: the same {adopted} adoptions, capability within {diff:.1e}")
    print(f"plain per-agent Mesa loop, exchange rule only, {f['loop_staff']:,} staff x {f['loop_weeks']} weeks, "
          f"measured alternately with the engine:")
    print(f"  agent-steps/s    {f['loop_agent_steps_per_s']:,.0f} wall, {f['loop_agent_steps_per_cpu_s']:,.0f} per CPU s")
    print(f"speed ratio per agent-step, engine (20,000 staff, all processes) / loop: {ratio_cpu:.0f}x CPU time, "
          f"{ratio_wall:.0f}x wall   (bar: >= 50x)")
    per = f["ratio_cpu_per_repeat"]
    print(f"  the same, repeat by repeat (engine and loop back to back): {', '.join(f'{r:.0f}x' for r in per)} "
          f"(range {min(per):.0f}-{max(per):.0f}x: this machine's noise)")
    print(f"speed ratio per agent-step, engine / loop on the same 2,000-staff trust: {ratio_same:.0f}x CPU time")
    if args.json:
        print(json.dumps({**f, "memory": mem, "ratio_cpu": ratio_cpu, "ratio_wall": ratio_wall, "ratio_same_trust": ratio_same}))


if __name__ == "__main__":
    main()
