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
from .network import build_network, network_stats, survey_stats
from .organisation import build_organisation
from .params import Params, load_scenario
from .performance import Performance
from .rollout import Rollout
from .rpiw import Workshops
from .support import ManagerSupport
from .sustain import Sustain
from .turnover import Turnover

#: Independent random streams, one per mechanism. Order is part of the
#: reproducibility contract: append, never reorder.
STREAMS = ("organisation", "network", "forums", "thresholds", "initial", "leadership",
           "rpiw", "exchange", "sustain", "turnover", "rewire", "noise", "rollout")

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
        self.rollout = Rollout(params, org)
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
        self._w_out = self._W.data[net.out_order]  # the same weights in sender order, kept in step
        self._log_W = net.matrix(self._log_base * self._live) if self._log_base is not None else None
        # the exposure denominator: live in-contacts except forum ties (ODD 7.4 and section 9)
        self._deg = net.norm_degree(self._live).astype(np.float64)
        self._n_live = int(self._live.sum())
        self._inv_deg = 1.0 / np.maximum(self._deg, 1.0)
        self._cross_live = int((self._live & net.cross).sum())
        # arcs that go live later: forum ties (fixed schedule, sorted once) and
        # ties re-forming after turnover (a small pending set)
        later = np.flatnonzero(net.active_from > 0)
        order = np.argsort(net.active_from[later], kind="stable")
        self._forum_arcs = later[order]
        self._forum_weeks = net.active_from[self._forum_arcs]
        # _forum_arcs[_forum_ptr[t]:_forum_ptr[t + 1]] are scheduled for week t
        self._forum_ptr = np.searchsorted(self._forum_weeks, np.arange(self.weeks + 2)).tolist()
        self._dormant = np.zeros(0, dtype=np.int64)
        self._dormant_week = np.zeros(0, dtype=np.int64)  # their re-formation weeks, side by side
        self._mark = np.zeros(net.n_arcs, dtype=bool)  # scratch for pair look-ups

        # -- outputs -----------------------------------------------------
        self.history = {k: np.full(self.weeks + 1, np.nan) for k in WEEKLY}
        self._reach_level = params.outputs.reach_level
        self.events: list[tuple[int, str, str]] = []
        self._live_start = self._live.copy()
        self._network_start: dict | None = None
        self._network_end: dict | None = None
        self.network_survey: dict | None = None  # the 2018-survey view, taken at outputs.survey_week
        self._survey_week = params.outputs.survey_week
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
        self._refresh_network(t)  # forum ties and re-formed ties go live
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
        # 3b. executive-led rollout: training cohorts beyond the pilots
        self.rollout.step(t, self.support, self.capability, self.practising, s["rollout"])
        # 4. peer exchange
        unit_of = self.org.unit_of
        expo = self.exchange.step(self.net, self._W, self._log_W, self._inv_deg, self._deg, self.capability,
                                  self.practising, self.support, unit_of, self.attention, s["exchange"],
                                  self._w_out, self.org.unit_size)
        # 5. sustain or abandon
        self.sustain.step(self.practising, expo, self.support, self.recognition, unit_of, s["sustain"])
        # 6. turnover
        leavers, dormant = self.turnover.step(t, self.net, self.capability, self.practising, self.tenure,
                                              self.support, s["turnover"], s["rewire"], self._mark)
        if dormant.size:
            self._set_live(dormant, False)
            self._dormant = np.concatenate([self._dormant, dormant])
            self._dormant_week = np.concatenate([self._dormant_week, self.net.active_from[dormant]])
        # 7. performance and measurement
        counts = self.performance.unit_counts(self.practising)
        adoption = counts * self.performance.inv_size
        before = self.performance.detected_week.copy()
        true = self.performance.step(t, adoption, self.gain, self.recognition, self.attention, s["noise"])
        for p in np.flatnonzero((before < 0) & (self.performance.detected_week >= 0)):
            self.events.append((t, "detected", f"improvement detected in pathway {p + 1} ({self.performance.scopes[p]} scope)"))
        for p in np.flatnonzero(self.workshops.first_week + 104 == t):
            if self.performance.detected_week[p] < 0:
                self.events.append((t, "missed", f"pathway {p + 1}: no improvement detected 104 weeks after its first RPIW"))
        self._record(t, true, leavers.size, counts)
        if t == self._survey_week:
            self.network_survey = survey_stats(self.net, self.org, self._live, self.seed, t, self.params.outputs.survey_cap)
        if t >= self.weeks:
            self.running = False

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

    def _set_live(self, arcs: np.ndarray, live: bool) -> None:
        """Switch arcs on or off: weights, in-degrees and counts follow incrementally."""
        arcs = arcs[self._live[arcs] != live]
        if arcs.size == 0:
            return
        self._live[arcs] = live
        w = self._w_base[arcs] if live else 0.0
        self._W.data[arcs] = w
        self._w_out[self.net.out_pos[arcs]] = w
        if self._log_W is not None:
            self._log_W.data[arcs] = self._log_base[arcs] if live else 0.0
        self._n_live += arcs.size if live else -arcs.size
        dst = self.net.dst[arcs[~self.net.forum[arcs]]]
        np.add.at(self._deg, dst, 1.0 if live else -1.0)
        self._inv_deg[dst] = 1.0 / np.maximum(self._deg[dst], 1.0)
        self._cross_live += np.count_nonzero(self.net.cross[arcs]) * (1 if live else -1)

    def _refresh_network(self, week: int) -> None:
        lo, hi = self._forum_ptr[week], self._forum_ptr[week + 1]  # step() stops at self.weeks
        waking = []
        if hi > lo:
            arcs = self._forum_arcs[lo:hi]
            waking.append(arcs[self.net.active_from[arcs] == week])
        if self._dormant.size:
            # a dormant arc's re-formation week is fixed when it goes dormant
            # (turnover skips arcs already dormant), so no look-up is needed
            due = self._dormant_week <= week
            if due.any():
                waking.append(self._dormant[due])
                keep = ~due
                self._dormant = self._dormant[keep]
                self._dormant_week = self._dormant_week[keep]
        if waking:
            self._set_live(np.concatenate(waking) if len(waking) > 1 else waking[0], True)

    def _record(self, t: int, true: np.ndarray, leavers: int, counts: np.ndarray | None = None) -> None:
        # sums over sizes rather than .mean(): the same numbers, less call overhead
        h, perf = self.history, self.performance
        counts = perf.unit_counts(self.practising) if counts is None else counts
        adoption = counts * perf.inv_size
        p_units, r_units = perf.pilot_units, perf.rest_units
        n_p, n_r = p_units.size, r_units.size
        support, recognition = self.support, self.recognition
        h["adoption_pilot"][t] = counts[p_units].sum() / perf.pilot_staff
        h["adoption_rest"][t] = counts[r_units].sum() / perf.rest_staff if n_r else 0.0
        h["adoption_trust"][t] = counts.sum() / self.n
        h["capability_mean"][t] = self.capability.sum() / self.n
        h["capable_share"][t] = np.count_nonzero(self.capability >= CAPABLE_LEVEL) / self.n
        h["reach"][t] = np.count_nonzero(adoption[r_units] >= self._reach_level) / n_r if n_r else 0.0
        h["lead_time_change_pilot"][t] = true[p_units].sum() / n_p - 1.0
        h["lead_time_change_rest"][t] = true[r_units].sum() / n_r - 1.0 if n_r else 0.0
        h["attention"][t] = self.leadership.attention[t]
        h["commitment"][t] = self.leadership.commitment[t]
        h["pressure"][t] = self.leadership.pressure[t]
        h["manager_support"][t] = support[:-1].sum() / (support.size - 1)
        h["manager_support_pilot"][t] = support[p_units].sum() / n_p
        h["manager_support_rest"][t] = support[r_units].sum() / n_r if n_r else 0.0
        h["recognition_pilot"][t] = recognition[p_units].sum() / n_p
        h["detected_share"][t] = np.count_nonzero(perf.detected_week >= 0) / perf.detected_week.size
        h["leavers"][t] = leavers
        h["live_arcs"][t] = self._n_live
        h["cross_unit_ties_per_person"][t] = self._cross_live / self.n

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
        """Social network analysis of the live network now."""
        return network_stats(self.net, self.week, self._live)

    @property
    def network_start(self) -> dict:
        """Network statistics at week 0 (computed on first use)."""
        if self._network_start is None:
            self._network_start = network_stats(self.net, 0, self._live_start)
        return self._network_start

    @property
    def network_end(self) -> dict | None:
        """Network statistics at the horizon, once the run is there (computed on first use)."""
        if self.week < self.weeks:
            return None
        if self._network_end is None:
            self._network_end = self.network_stats()
        return self._network_end
