"""The trust model: one NHS trust running an improvement programme, week by week.

``TrustModel.step`` is the ODD's process list, in order. State lives in
arrays on the model (one home for state); each process is its own module.
Every random draw comes from a named stream spawned from the run's seed, and
each weekly process draws a fixed number of numbers whatever the
parameters, so two runs that differ in one setting share their random
numbers (common random numbers, for paired what-if comparisons).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import mesa

from .agents import StaffAgent
from .exchange import CAPABLE_LEVEL, PeerExchange
from .contagion import log_survival
from .leadership import Leadership
from .network import build_network, network_stats
from .organisation import build_organisation
from .params import Params, load_scenario
from .performance import Performance
from .rpiw import Workshops
from .support import ManagerSupport
from .sustain import Sustain
from .turnover import Turnover

#: Independent random streams, one per mechanism. Order is part of the
#: reproducibility contract: append, never reorder.
STREAMS = ("organisation", "network", "forums", "thresholds", "initial", "leadership",
           "rpiw", "exchange", "sustain", "turnover", "rewire", "noise")

WEEKLY = ("adoption_pilot", "adoption_rest", "adoption_trust", "capability_mean", "capable_share",
          "reach", "lead_time_change_pilot", "lead_time_change_rest", "attention", "commitment",
          "pressure", "manager_support", "manager_support_pilot", "manager_support_rest",
          "recognition_pilot", "detected_share", "leavers", "live_arcs", "cross_unit_ties_per_person")


def seed_entropy(rng) -> int:
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
                 agents: bool = True):
        self.seed = seed_entropy(rng)
        super().__init__(rng=self.seed)
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
        self.org = org = build_organisation(params, s["organisation"])
        self.net = build_network(org, params, self.weeks, s["network"], s["forums"])
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

        # -- processes, in weekly order ----------------------------------
        self.leadership = Leadership(params, self.weeks, s["leadership"])
        self.manager_support = ManagerSupport(params, org)
        self.workshops = Workshops(params, org, self.weeks)
        self.exchange = PeerExchange(params, n, s["thresholds"])
        self.sustain = Sustain(params)
        self.turnover = Turnover(params, org)
        self.performance = Performance(params, org, self.workshops.first_week, self.weeks)

        # -- network matrices: structure fixed, data switched per week ----
        net = self.net
        base_w = np.where(net.reciprocal, 1.0, params.network.one_directional_weight)
        self._w_base = base_w
        self._log_base = log_survival(base_w, e.transmission) if e.rule != "complex" else None
        self._live = net.active(0)
        self._W = net.matrix(base_w * self._live)
        self._log_W = net.matrix(self._log_base * self._live) if self._log_base is not None else None
        self._deg = net.in_degree(self._live)
        self._live_week = 0

        # -- outputs -----------------------------------------------------
        self.history = {k: np.full(self.weeks + 1, np.nan) for k in WEEKLY}
        self.events: list[tuple[int, str, str]] = []
        self.network_start = network_stats(net, org, 0)
        self.network_end: dict | None = None
        self._record(0, self.performance.true_lead_time(self.gain, self.performance.unit_adoption(self.practising)), 0)

        if agents:
            StaffAgent.create_agents(self, n, np.arange(n))
        self.running = True

    # -- the weekly schedule (ODD section 3) ---------------------------------
    def step(self) -> None:
        if self.week >= self.weeks:
            self.running = False
            return
        t = self.week = self.week + 1
        s = self.streams
        self._refresh_network(t)
        # 1. leadership
        self.attention = self.leadership.step(t)
        if t in self._change_set:
            self.events.append((t, "ceo_change", f"new chief executive (commitment {self.leadership.commitment[t]:.2f})"))
        # 2. middle managers
        self.manager_support.step(self.support, self.attention, self.recognition)
        # 3. RPIWs in pilot pathways
        held = self.workshops.step(t, self.capability, self.practising, self.gain, s["rpiw"])
        for p in held:
            self.events.append((t, "rpiw", f"RPIW in pathway {p + 1}"))
        # 4. peer exchange
        unit_of = self.org.unit_of
        support_p = self.support[unit_of]
        expo = self.exchange.step(self._W, self._log_W, self._deg, self.capability, self.practising,
                                  support_p, self.attention, s["exchange"])
        # 5. sustain or abandon
        self.sustain.step(self.practising, expo, support_p, self.recognition[unit_of], s["sustain"])
        # 6. turnover
        leavers = self.turnover.step(t, self.net, self.capability, self.practising, self.tenure,
                                     self.support, s["turnover"], s["rewire"])
        # 7. performance and measurement
        adoption = self.performance.unit_adoption(self.practising)
        before = self.performance.detected_week.copy()
        true = self.performance.step(t, adoption, self.gain, self.recognition, self.attention, s["noise"])
        for p in np.flatnonzero((before < 0) & (self.performance.detected_week >= 0)):
            self.events.append((t, "detected", f"improvement detected in pathway {p + 1} ({self.performance.scopes[p]} scope)"))
        for p in np.flatnonzero(self.workshops.first_week + 104 == t):
            if self.performance.detected_week[p] < 0:
                self.events.append((t, "missed", f"pathway {p + 1}: no improvement detected 104 weeks after its first RPIW"))
        self._record(t, true, leavers.size)
        if t >= self.weeks:
            self.running = False
            self.network_end = network_stats(self.net, self.org, t)

    def run(self) -> "TrustModel":
        """Run to the horizon."""
        while self.week < self.weeks:
            self.step()
        return self

    # -- internals -----------------------------------------------------------
    @property
    def _change_set(self) -> set[int]:
        cs = getattr(self, "_changes", None)
        if cs is None:
            cs = self._changes = set(self.leadership.change_weeks.tolist())
        return cs

    def _refresh_network(self, week: int) -> None:
        live = self.net.active_from <= week
        self._live = live
        np.multiply(self._w_base, live, out=self._W.data)
        if self._log_W is not None:
            np.multiply(self._log_base, live, out=self._log_W.data)
        self._deg = self.net.in_degree(live)

    def _record(self, t: int, true: np.ndarray, leavers: int) -> None:
        org, h, perf = self.org, self.history, self.performance
        pilot_staff = org.staff_pilot
        clinical = org.unit_of != org.board_unit
        rest_staff = clinical & ~pilot_staff
        x = self.practising
        adoption = perf.unit_adoption(x)
        p_units, r_units = perf.pilot_units, perf.rest_units
        h["adoption_pilot"][t] = x[pilot_staff].mean()
        h["adoption_rest"][t] = x[rest_staff].mean() if rest_staff.any() else 0.0
        h["adoption_trust"][t] = x.mean()
        h["capability_mean"][t] = self.capability.mean()
        h["capable_share"][t] = (self.capability >= CAPABLE_LEVEL).mean()
        reach_level = self.params.outputs.reach_level
        h["reach"][t] = (adoption[r_units] >= reach_level).mean() if r_units.size else 0.0
        h["lead_time_change_pilot"][t] = true[p_units].mean() - 1.0
        h["lead_time_change_rest"][t] = true[r_units].mean() - 1.0 if r_units.size else 0.0
        h["attention"][t] = self.leadership.attention[t]
        h["commitment"][t] = self.leadership.commitment[t]
        h["pressure"][t] = self.leadership.pressure[t]
        h["manager_support"][t] = self.support[:-1].mean()
        h["manager_support_pilot"][t] = self.support[p_units].mean()
        h["manager_support_rest"][t] = self.support[r_units].mean() if r_units.size else 0.0
        h["recognition_pilot"][t] = self.recognition[p_units].mean()
        h["detected_share"][t] = (perf.detected_week >= 0).mean()
        h["leavers"][t] = leavers
        live = self._live if t > 0 else self.net.active(0)
        h["live_arcs"][t] = live.sum()
        h["cross_unit_ties_per_person"][t] = (live & self.net.cross).sum() / self.n

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

    def network_stats(self) -> dict:
        return network_stats(self.net, self.org, self.week)
