"""The trust model: one NHS trust running an improvement programme, week by week.

``TrustModel.step`` is the ODD's process list, in order. State lives in
arrays on the model (one home for state); each process is its own module.
Every random draw comes from a named stream spawned from the run's seed, and
each weekly process draws a fixed number of numbers whatever the
parameters, so two runs that differ in one setting share their random
numbers (common random numbers, for paired what-if comparisons).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import mesa

from .agents import StaffAgent
from .processes.exchange import CAPABLE_LEVEL, PeerExchange
from .processes.leadership import Leadership
from .live_network import LiveNetwork
from .network import network_stats, network_stats_many
from .network_io import build_structure, network_graph
from .params import Params, load_scenario
from .processes.performance import Performance, row_sum
from .processes.rollout import Rollout
from .processes.rpiw import Workshops
from .processes.support import ManagerSupport
from .processes.sustain import Sustain
from .processes.turnover import Turnover

#: Independent random streams, one per mechanism. Order is part of the
#: reproducibility contract: append, never reorder.
STREAMS = ("organisation", "network", "forums", "thresholds", "initial", "leadership",
           "rpiw", "exchange", "sustain", "turnover", "rewire", "noise", "rollout")

#: The model's state arrays, its one home for state: per person, then per unit (built in ``__init__``,
#: updated in place by the processes). A batch of replicates (model/batch.py) holds each with a leading
#: replicate axis, and each replicate's model a view of its row: a new state array is listed here once.
STATE = ("capability", "practising", "tenure", "support", "recognition", "gain")

#: The model's own weekly series (``record_people``); every other series is a process's (its ``outputs``).
PEOPLE = ("adoption_pilot", "adoption_rest", "adoption_trust", "capability_mean", "capable_share", "reach")

WEEKLY = ("adoption_pilot", "adoption_rest", "adoption_trust", "capability_mean", "capable_share",
          "reach", "lead_time_change_pilot", "lead_time_change_rest", "attention", "commitment",
          "pressure", "manager_support", "manager_support_pilot", "manager_support_rest",
          "recognition_pilot", "detected_share", "leavers", "live_arcs", "cross_unit_ties_per_person")


def seed_entropy(rng: int | np.random.SeedSequence | np.random.Generator | None) -> int:
    """A non-negative integer seed from an int, SeedSequence, Generator or None."""
    if rng is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.entropy)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**63 - 1))
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return int(rng)
    raise ValueError(f"rng = {rng!r}: allowed is a non-negative integer seed, a SeedSequence or a numpy Generator")


class TrustModel(mesa.Model):
    """One trust, one seed. ``TrustModel(load_scenario("sash"), rng=1).run()``."""

    def __init__(self, params: Params | str = "baseline", rng=None, weeks: int | None = None,
                 agents: bool = True, bare: bool = False):
        # bare: a replicate for the batch engine (model/batch.py), without Mesa's model
        # machinery (agent registry, its own generators), which it never uses
        self.seed = seed_entropy(rng)
        if not bare:
            super().__init__(rng=self.seed)
        elif agents:
            raise ValueError("a bare TrustModel has no Mesa agents: pass agents=False")
        if isinstance(params, str):
            params = load_scenario(params)
        self.params = params
        self.weeks = int(weeks if weeks is not None else params.run.weeks)
        if self.weeks < 1:
            raise ValueError(f"weeks = {weeks}: allowed is an integer >= 1")
        children = np.random.SeedSequence(self.seed).spawn(len(STREAMS))
        self.streams = {name: np.random.Generator(np.random.PCG64(ss)) for name, ss in zip(STREAMS, children)}
        s = self.streams

        # -- structure --------------------------------------------------
        structure = build_structure(params, self.weeks, s["organisation"], s["network"], s["forums"])
        self.org = org = structure.org
        self.net, self.imported = structure.net, structure.imported  # imported: None unless network.mode imports files
        n, U = org.n_staff, org.n_units
        self.n = n

        # -- state (one home: arrays) ------------------------------------
        e = params.exchange
        mean = min(max(e.initial_capability, 1e-3), 1 - 1e-3)
        conc = 8.0
        init = s["initial"]
        self.capability = init.beta(mean * conc, (1 - mean) * conc, n) if 0 < e.initial_capability < 1 \
            else np.full(n, e.initial_capability, dtype=np.float64)
        u0 = init.random(n)
        self.practising = u0 < e.initial_practising
        self.tenure = np.zeros(n, dtype=np.int64)
        self.support = np.full(U, params.managers.initial_support)
        self.recognition = np.zeros(U)
        self.gain = np.zeros(U)
        self.attention = 0.0
        self.week = 0

        # -- the live network and the processes, in weekly order ---------
        self.live = LiveNetwork(self.net, params, self.weeks)
        self.leadership = Leadership(params, self.weeks, s["leadership"])
        self.manager_support = ManagerSupport(params, org)
        self.workshops = Workshops(params, org, self.weeks)
        self.rollout = Rollout(params, org)
        self.exchange = PeerExchange(params, n, s["thresholds"])
        self.sustain = Sustain(params)
        self.turnover = Turnover(params, org)
        self.performance = Performance(params, org, self.workshops.first_week, self.weeks)
        #: the weekly schedule (ODD section 3): one line per process, in this order
        self.schedule = (
            self.leadership,       # 1. the executive team's attention
            self.manager_support,  # 2. middle managers' time, space and permission
            self.workshops,        # 3. RPIWs in the pilot pathways
            self.rollout,          # 3b. executive-led rollout: training cohorts beyond the pilots
            self.exchange,         # 4. peer exchange on the live network
            self.sustain,          # 5. sustain or abandon
            self.turnover,         # 6. leavers, replacements, dormant ties
            self.performance,      # 7. lead times, measurement, detection
        )
        self.exposure = np.zeros(n)  # last week's exposure, from peer exchange, read by sustain

        # -- outputs -----------------------------------------------------
        recorders = [p for p in (*self.schedule, self.live) if hasattr(p, "record")]
        extra = tuple(k for p in recorders for k in p.outputs if k not in WEEKLY)
        self.history = {k: np.full(self.weeks + 1, np.nan) for k in WEEKLY + extra}
        self._recorders = recorders
        self.events: list[tuple[int, str, str]] = []
        self._network_start: dict | None = None
        self._network_end: dict | None = None
        perf = self.performance
        self.unit_practising = perf.unit_counts(self.practising)
        self.lead_time = perf.true_lead_time(self.gain, self.unit_practising * perf.inv_size)
        self._record(0)

        if agents:
            StaffAgent.create_agents(self, n, np.arange(n))
        self.running = True

    # -- the weekly schedule (ODD section 3) ---------------------------------
    def step(self) -> None:
        """One week: the network's scheduled changes, then every process in ``schedule`` order."""
        if self.week >= self.weeks:
            self.running = False
            return
        t = self.week = self.week + 1
        self.live.refresh(t)  # forum ties and re-formed ties go live
        for process in self.schedule:
            self.events.extend(process.step(self, t))
        self._record(t)
        if t >= self.weeks:
            self.running = False

    def run(self) -> "TrustModel":
        """Run to the horizon."""
        while self.week < self.weeks:
            self.step()
        return self

    def release(self) -> None:
        """Let go of this run's arrays now that its outputs are taken; the model is unusable afterwards.

        A model sits in reference cycles (Mesa's Model refers to itself through
        its scenario and wrapped ``step``; the schedule's bound methods), so a
        finished one is freed only by Python's cyclic collector, which counts
        objects, not bytes. A sweep worker held up to 700 MB of finished runs
        before a full collection came (issue 12: memory flat in the number of
        runs). Emptying the model's attributes frees them by reference count.
        """
        self.__dict__.clear()

    # -- internals -----------------------------------------------------------
    def _record(self, t: int) -> None:
        """The week's outputs: the model's own (adoption, capability, reach), then each process's."""
        record_people(self, t, self.history)
        for p in self._recorders:
            p.record(self, t, self.history)

    # -- views for analysis and the visualiser -----------------------------
    def weekly_frame(self) -> pd.DataFrame:
        """Weekly outputs so far: one row per week (week 0 is the start)."""
        df = pd.DataFrame({k: v[: self.week + 1] for k, v in self.history.items()})
        df.insert(0, "week", np.arange(self.week + 1))
        return df

    def unit_frame(self) -> pd.DataFrame:
        """One row per clinical unit: directorate, pilot pathway, adoption, lead-time change, support."""
        org, perf = self.org, self.performance
        adoption = perf.unit_adoption(self.practising)
        true = perf.true_lead_time(self.gain, adoption)
        u = org.clinical_units
        return pd.DataFrame({
            "unit": u, "directorate": org.unit_directorate[u], "pathway": org.unit_pathway[u],
            "pilot": org.unit_pilot[u], "staff": org.unit_size[u], "adoption": adoption[u],
            "lead_time_change": true[u] - 1.0, "manager_support": self.support[u],
            "recognition": self.recognition[u],
        })

    def network_graph(self):
        """The live network now as a networkx DiGraph with node and edge attributes (model/network_io.py)."""
        return network_graph(self)

    def network_stats(self) -> dict:
        """Social network analysis of the live network now."""
        return self.live.stats(self.week)

    @property
    def network_start(self) -> dict:
        """Network statistics at week 0 (computed on first use; with the horizon's, once the run is there)."""
        if self._network_start is None:
            if self.week >= self.weeks and self._network_end is None:
                self._both_ends()
            else:
                self._network_start = network_stats(self.net, 0, self.live.live_at_start)
        return self._network_start

    @property
    def network_end(self) -> dict | None:
        """Network statistics at the horizon, once the run is there (computed on first use)."""
        if self.week < self.weeks:
            return None
        if self._network_end is None:
            if self._network_start is None:
                self._both_ends()
            else:
                self._network_end = self.network_stats()
        return self._network_end

    def _both_ends(self) -> None:
        """Week 0's and the horizon's statistics in one triangle count over both networks (the same numbers)."""
        self._network_start, self._network_end = network_stats_many(
            self.net, [(0, self.live.live_at_start), (self.week, self.live.live)])


def record_people(model: Any, week: int, history: dict[str, np.ndarray]) -> None:
    """The model's own weekly series (``PEOPLE``): adoption, capability and reach.

    ``model`` is a ``TrustModel`` or a ``batch.TrustBatch``: written once for
    one trust and for a batch (a leading replicate axis on the model's arrays
    and the history's, its performance joined by ``Performance.over``); every
    mean is a sum over a size rather than ``.mean()`` (the same numbers, less
    call overhead), each sum as one trust's alone (``row_sum``: a contiguous
    row, pairwise).
    """
    h, perf, n = history, model.performance, model.n
    counts = model.unit_practising
    adoption = counts * perf.inv_size
    r_units = perf.rest_units
    n_r = r_units.size
    h["adoption_pilot"][..., week] = counts[..., perf.pilot_units].sum(axis=-1) / perf.pilot_staff
    h["adoption_rest"][..., week] = counts[..., r_units].sum(axis=-1) / perf.rest_staff if n_r else 0.0
    h["adoption_trust"][..., week] = counts.sum(axis=-1) / n
    h["capability_mean"][..., week] = row_sum(model.capability) / n
    h["capable_share"][..., week] = np.count_nonzero(model.capability >= CAPABLE_LEVEL, axis=-1) / n
    level = model.params.outputs.reach_level
    h["reach"][..., week] = np.count_nonzero(adoption[..., r_units] >= level, axis=-1) / n_r if n_r else 0.0
