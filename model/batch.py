"""Replicates in one array pass: B trusts of one structure, different seeds, run as one.

A sweep, ``spread run --reps`` and a what-if arm run many replicates of a
small trust. One trust of 1,000 staff spends most of its week in fixed
per-call costs (a few dozen small numpy calls); B of them side by side pay
those costs once. :class:`TrustBatch` is that engine:

* structure: each replicate is built exactly as alone (a ``TrustModel``
  without agents: organisation, network, thresholds, leadership series and
  initial state from the run's own streams, ``trust.STREAMS``), then the B
  networks are joined into one disjoint union (block-diagonal in-contact
  matrix, people and arcs offset per replicate) owned by one live network;
* state: the model's state arrays (``trust.STATE``) shaped (B, n) per
  person and (B, U) per unit, per-trust scalars (attention, the AR(1)
  shock) length B; each replicate's model holds views of its rows.
  Replicates of one ``Params`` have the same n and U (only unit sizes are
  random), which is what a batch needs;
* random numbers: every replicate draws from its own streams exactly the
  numbers it draws alone, in the same order. Streams with one consumer and a
  fixed count a week (exchange, sustain, turnover, rollout, noise) are
  drawn a block of weeks at a time per replicate (PCG64 ``random((k, n))``
  gives the numbers of k calls of ``random(n)``); the rest per replicate
  when used;
* the weekly schedule is ``TrustModel.step``'s, each process applied to
  all replicates in one call: RPIWs (each replicate's own ``Workshops.step``
  on its views, on the few weeks that hold one); peer exchange, rollout,
  sustain and turnover are the processes' own ``apply`` (what their
  ``update`` calls once it has drawn the week's uniforms) on the flat
  union, handed each replicate's pre-drawn numbers and the union's live
  network (``BatchLiveNetwork``: each trust's sums by its own cheaper
  route); leadership gives each replicate's attention from its own series;
  manager support and performance run their own ``update`` and ``apply``
  over a leading replicate axis. Each of those
  processes builds its batch form from the replicates' own (``over``:
  thresholds, units, leaving rates, leadership series, managers' levels,
  performance state, offset or stacked per replicate). A choice the single
  run makes from its own counts (scatter-add or mat-vec in ``in_sum``, the
  same sums either way) is made per replicate, as the cheaper route for it;
* design points: replicates may have different parameters where each reads
  them only into what the batch keeps per replicate (its network,
  thresholds, leaving rates, leadership series, RPIWs and managers' levels:
  ``PER_REPLICATE``), never from the processes the batch shares; ``batch_key`` says which parameter sets can share a batch, so a
  sweep over commitment or connectedness batches across its points;
* outputs: the weekly record is the single run's, over (B, ...) arrays: the
  model's own series (``trust.record_people``) and the batch forms' ``record``
  (leadership, manager support, turnover, performance, the live network),
  each mean a sum along a contiguous row (numpy's pairwise sum, as
  ``.sum()`` alone); a new mechanism's is each replicate's own ``record``.
  All of it is written back into each replicate's own ``TrustModel``
  (history, events, detection weeks, live arcs), so
  ``runner.simulate``'s outputs (weekly table, summary, events, network
  statistics, survey) are read from it unchanged.

The result: replicate r of a batch of any size gives the same numbers, bit
for bit, as ``TrustModel(params, rng=seed_r)`` run alone
(tests/test_batch.py). The single-run ``TrustModel`` stays: it is the Mesa
model the visualiser steps and inspects week by week and whose processes'
``step`` methods the tests and the ODD describe, and one run alone is
cheapest there (a batch of one only adds bookkeeping); this module is the
throughput path for replicates (``runner.simulate_batch``, used by
``run_replicates``, sweeps and what-if arms), so the golden fingerprints of
``spread run --reps``, ``spread sweep`` and ``spread compare`` check it
against the original, and tests/test_batch.py against ``TrustModel`` alone.
The batch repeats no process's formula and no recorded series: it joins
the processes' batch forms, draws their numbers and calls them in the
schedule's order; tests/test_batch.py fails if a change to a mechanism
reaches one engine and not the other.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .live_network import LiveNetwork
from .network import StaffNetwork, _sparsetools
from .params import Params
from .processes.exchange import PeerExchange
from .processes.leadership import Leadership
from .processes.performance import Performance
from .processes.rollout import Rollout
from .processes.support import ManagerSupport
from .processes.turnover import Turnover
from .trust import PEOPLE, STATE, TrustModel, record_people

if TYPE_CHECKING:
    import scipy.sparse as sp

#: People per batch (B x n): bounds a batch's memory (about 3 KB a person with its network).
BATCH_PEOPLE = 50_000
#: Random numbers drawn ahead per stream (block of weeks x batch people).
BLOCK_NUMBERS = 500_000


#: Parameters the replicates of one batch may differ in. Each is read only into what the batch
#: keeps per replicate: that replicate's own network (``network.build_network``: in-unit and
#: cross-unit ties, reciprocity, manager ties, forum cohorts), thresholds (``PeerExchange``),
#: leaving rates (``Turnover.rate``), leadership series (``Leadership``: commitment, attention,
#: chief-executive changes), its RPIWs (each replicate's own ``Workshops.step``: trainees, waste
#: cut, focus) and its managers' levels (stacked per replicate for ``ManagerSupport.update``;
#: week 0's support). Every other parameter is read by the processes the batch shares, or by its
#: live network (``network.one_directional_weight``), or fixes a schedule all replicates follow
#: (RPIW weeks), so it must be the same: ``batch_key`` leaves out exactly these. The list names
#: each key, so a parameter added later must match across a batch until it is shown to be safe
#: here. tests/test_batch.py runs batches mixing each of them and checks every replicate against
#: its run alone.
PER_REPLICATE = frozenset({
    "leadership.commitment", "leadership.integration", "leadership.ceo_changes", "leadership.ceo_hazard_annual",
    "leadership.successor_commitment", "leadership.successor_commitment_sd", "leadership.transition_weeks",
    "leadership.not_sighted_factor", "leadership.pressure",
    "forums.ties_per_person_annual", "forums.cohort_size", "forums.start_week",
    "network.ties_per_person", "network.cross_unit_ties", "network.reciprocity", "network.same_directorate_share",
    "network.cross_unit_mode", "network.bridge_width", "network.manager_reciprocity",
    "exchange.threshold", "exchange.threshold_sd", "turnover.staff_annual", "turnover.manager_annual",
    "rpiw.trainees", "rpiw.waste_cut", "rpiw.focus", "rpiw.focus_final", "rpiw.focus_ramp_weeks",
    "managers.alignment", "managers.base_support", "managers.involvement", "managers.pilot_involvement",
    "managers.recognition_weight", "managers.adjust_weeks", "managers.initial_support", "managers.partnership_support",
})


def batch_key(params: Params) -> str:
    """Parameter sets with equal keys can run in one batch: every value but the ``PER_REPLICATE`` ones, and the
    file the scenario came from (an imported network's paths are relative to it)."""
    shared = {k: v for k, v in params.flat().items() if k not in PER_REPLICATE}
    return json.dumps([params.source, shared], sort_keys=True, default=str)


def batch_size(params: Params, people: int = BATCH_PEOPLE) -> int:
    """How many replicates of ``params`` run in one batch: B x staff within ``people``.

    Trusts above a quarter of ``people`` run alone: there the per-person work
    dominates and a batch gains nothing (Leeds, 20,000 staff: 0.7-1.0x).
    """
    staff = max(1, params.organisation.staff)
    return 1 if 4 * staff > people else people // staff


def union_network(nets: list[StaffNetwork]) -> tuple[StaffNetwork, np.ndarray]:
    """The disjoint union of ``nets`` (people and arcs offset per network) and each network's first arc."""
    n = np.array([g.n for g in nets])
    A = np.array([g.n_arcs for g in nets])
    noff = np.concatenate([[0], np.cumsum(n)])
    aoff = np.concatenate([[0], np.cumsum(A)])

    def cat(attr, node=False, arc=False):
        parts = []
        for b, g in enumerate(nets):
            v = getattr(g, attr)
            if node:
                v = v + noff[b]
            elif arc:
                v = np.where(v >= 0, v + aoff[b], v)
            parts.append(v)
        return np.concatenate(parts)

    def ptr(attr):
        return np.concatenate([getattr(g, attr)[:-1] + aoff[b] for b, g in enumerate(nets)] + [aoff[-1:]])

    union = StaffNetwork(
        n=int(noff[-1]), indptr=ptr("indptr"), src=cat("src", node=True), dst=cat("dst", node=True),
        reciprocal=cat("reciprocal"), reverse=cat("reverse", arc=True), cross=cat("cross"),
        active_from=cat("active_from"), out_order=cat("out_order", arc=True), out_ptr=ptr("out_ptr"),
        forum=cat("forum"),
    )
    return union, aoff


class BatchLiveNetwork(LiveNetwork):
    """The live network of a disjoint union of trusts, with live and cross-unit arc counts per trust."""

    def __init__(self, net: StaffNetwork, params: Params, weeks: int, arc_offsets: np.ndarray):
        self.blocks = arc_offsets.size - 1
        self.arc_block = np.repeat(np.arange(self.blocks), np.diff(arc_offsets))
        super().__init__(net, params, weeks)
        self.block_live = np.bincount(self.arc_block[self.live], minlength=self.blocks)
        self.block_cross = np.bincount(self.arc_block[self.live & net.cross], minlength=self.blocks)

    def set_live(self, arcs: np.ndarray, live: bool) -> None:
        """As LiveNetwork.set_live, keeping each trust's live and cross-unit arc counts."""
        arcs = arcs[self.live[arcs] != live]
        if arcs.size == 0:
            return
        sign = 1 if live else -1
        blk = self.arc_block[arcs]
        self.block_live += sign * np.bincount(blk, minlength=self.blocks)
        self.block_cross += sign * np.bincount(blk[self.structure.cross[arcs]], minlength=self.blocks)
        super().set_live(arcs, live)

    def scatter_pays(self, k: int) -> bool:
        """Always: the route is chosen per trust in :meth:`in_sum`, which needs the senders."""
        return True

    def in_sum(self, values: np.ndarray | None, nonzero: np.ndarray | None = None,
               W: sp.csr_array | None = None) -> np.ndarray:
        """``W @ v`` over the union, ``v`` = ``values`` (ones if None) on ``nonzero``, each trust by the route
        that is cheaper for its own count of senders (``StaffNetwork.scatter_pays``): a scatter over the
        senders' arcs for trusts with few, a mat-vec of their own rows for the rest.

        A run alone takes one route for its count (``LiveNetwork.scatter_pays``). Both routes add each
        person's terms in the same order (senders ascending; the mat-vec's extra terms are zeros), so they
        give the same sums bit for bit (``StaffNetwork.in_sum``, tests/test_network.py) and the choice is
        one of speed; the union's matrix is block diagonal, so a trust's rows read only its own senders.
        """
        if nonzero is None or W is not None:
            return super().in_sum(values, nonzero, W)
        net, n, B = self.structure, self.n // self.blocks, self.blocks
        dense = np.bincount(nonzero // n, minlength=B) * 5 >= n  # StaffNetwork.scatter_pays, per trust
        if not dense.any():
            return net.in_sum(self.W, values, nonzero, self.w_out, scatter=True)
        v = np.zeros(B * n)
        v[nonzero] = 1.0 if values is None else values[nonzero]
        if dense.all() or _sparsetools is None:
            return self.W @ v
        few = nonzero[~dense[nonzero // n]]
        out = net.in_sum(self.W, values, few, self.w_out, scatter=True)  # zero on the dense trusts' rows
        W = self.W
        edges = np.flatnonzero(np.diff(np.concatenate([[False], dense, [False]]).astype(np.int8)))
        for b0, b1 in zip(edges[::2], edges[1::2]):  # each run of consecutive dense trusts: its rows' mat-vec
            lo, hi = b0 * n, b1 * n
            _sparsetools.csr_matvec(hi - lo, v.size, W.indptr[lo:hi + 1], W.indices, W.data, v, out[lo:hi])
        return out

    def record(self, model, week: int, history: dict[str, np.ndarray]) -> None:
        """As LiveNetwork.record, per trust: its live arcs and live cross-unit ties per person."""
        history["live_arcs"][:, week] = self.block_live
        history["cross_unit_ties_per_person"][:, week] = self.block_cross / model.n

    def cross_ties_of(self, people: np.ndarray, week: int) -> np.ndarray:
        """As LiveNetwork.cross_ties_of; each trust's count of them is kept in ``last_blocks`` (for its draws)."""
        arcs = super().cross_ties_of(people, week)
        self.last_blocks = np.bincount(self.arc_block[arcs], minlength=self.blocks)
        return arcs


class _Draws:
    """A block of weeks of one stream's fixed-count weekly draws, per replicate, laid out (weeks, B, count)."""

    def __init__(self, gens: list[np.random.Generator], count: int, weeks: int, normal: bool = False):
        self.gens, self.count, self.weeks, self.normal = gens, count, weeks, normal
        self.block = max(1, min(weeks, BLOCK_NUMBERS // max(1, len(gens) * count)))
        self.first = 1  # week of buf[0]
        self.buf = np.empty((0, len(gens), count))

    def week(self, t: int) -> np.ndarray:
        """Week ``t``'s draws, (B, count); weeks are asked for in order."""
        k = t - self.first
        if k >= self.buf.shape[0]:
            self.first = t
            rows = max(1, min(self.block, self.weeks - t + 1))
            buf = np.empty((rows, len(self.gens), self.count))
            for b, g in enumerate(self.gens):
                buf[:, b, :] = g.standard_normal((rows, self.count)) if self.normal else g.random((rows, self.count))
            self.buf, k = buf, 0
        return self.buf[k]


class _RewireDraws:
    """A stand-in generator for turnover's re-formation delays: each trust's from its own ``rewire`` stream.

    ``geometric(p, size)`` splits ``size`` by the trusts of the arcs the
    union's live network has just returned (``BatchLiveNetwork.last_blocks``),
    so each replicate draws the delays it draws alone, in arc order.
    """

    def __init__(self, gens: list[np.random.Generator], live: BatchLiveNetwork):
        self.gens, self.live = gens, live

    def geometric(self, p: float, size: int) -> np.ndarray:
        """Each trust's delays for its own arcs, concatenated in trust order."""
        per = self.live.last_blocks
        if int(per.sum()) != size:
            raise ValueError(f"{size} delays asked for, {int(per.sum())} arcs returned")
        return np.concatenate([self.gens[b].geometric(p, c) for b, c in enumerate(per) if c])


class TrustBatch:
    """B replicates (one seed each) of one ``Params``, or of one per seed that share a ``batch_key``,
    run as one disjoint union, week by week."""

    def __init__(self, params: Params | Sequence[Params], seeds: list[int], weeks: int | None = None):
        plist = [params] * len(seeds) if isinstance(params, Params) else list(params)
        if len(plist) != len(seeds):
            raise ValueError(f"{len(plist)} parameter sets for {len(seeds)} seeds: allowed is one, or one per seed")
        if len({id(p) for p in plist}) > 1:
            key = batch_key(plist[0])
            for p in plist[1:]:
                if p is not plist[0] and batch_key(p) != key:
                    differ = sorted(k for k, v in p.flat().items() if plist[0].flat()[k] != v and k not in PER_REPLICATE)
                    raise ValueError(f"a batch's replicates may differ only in parameters each reads while it is built "
                                     f"(batch.PER_REPLICATE); these differ: {', '.join(differ) or 'the scenario file'}")
        models = [TrustModel(p, rng=s, weeks=weeks, agents=False, bare=True) for p, s in zip(plist, seeds)]
        self.models = models
        params = self.params = plist[0]
        m0 = models[0]
        self.weeks = m0.weeks
        self.B = B = len(models)
        self.n = n = m0.n
        self.U = U = m0.org.n_units
        for m in models:
            if m.n != n or m.org.n_units != U or not np.array_equal(m.org.unit_pathway, m0.org.unit_pathway):
                raise ValueError("a batch needs replicates of one structure (same staff, units and pilot units)")

        # -- state: trust.STATE with a replicate axis, (B, n) and (B, U); each replicate's arrays become views -----
        for name in STATE:
            arr = np.stack([getattr(m, name) for m in models])
            for b, m in enumerate(models):
                setattr(m, name, arr[b])
            setattr(self, name, arr)
        self.exposure = np.zeros(B * n)  # last week's exposure, flat, read by sustain

        # -- the network: one disjoint union -----------------------------------
        union, aoff = union_network([m.net for m in models])
        self.live = BatchLiveNetwork(union, params, self.weeks, aoff)
        for b, m in enumerate(models):
            m.live.live = self.live.live[aoff[b]: aoff[b + 1]]  # each run's live arcs, for statistics and survey
            m.live.W = m.live.log_W = None  # the union's matrices serve

        # -- per-person and per-unit constants, flat over the batch -----------
        self.unit_of = (np.stack([m.org.unit_of for m in models]) + np.arange(B)[:, None] * U).ravel()
        self.unit_size = np.stack([m.org.unit_size for m in models])

        s = [m.streams for m in models]
        self.draw_exchange = _Draws([x["exchange"] for x in s], n, self.weeks)
        self.draw_sustain = _Draws([x["sustain"] for x in s], n, self.weeks)
        self.draw_turnover = _Draws([x["turnover"] for x in s], n, self.weeks)
        self.draw_rollout = _Draws([x["rollout"] for x in s], 2 * m0.rollout.units.size, self.weeks)
        self.draw_noise = _Draws([x["noise"] for x in s], U + 1, self.weeks, normal=True)
        self._rewire_draws = _RewireDraws([x["rewire"] for x in s], self.live)
        # the processes over the batch: each joins its replicates' own (``over``: thresholds, units, leaving
        # rates, leadership series, managers' levels, performance state, offset or stacked per replicate)
        self.exchange = PeerExchange.over([m.exchange for m in models])
        self.rollout = Rollout.over([m.rollout for m in models])
        self.turnover = Turnover.over([m.turnover for m in models])
        self.leadership = Leadership.over([m.leadership for m in models])
        self.changes = set(self.leadership.change_weeks.tolist())
        self.manager_support = ManagerSupport.over([m.manager_support for m in models])
        self.performance = Performance.over([m.performance for m in models])

        # -- the plan: each process of the schedule, its batched step and its batch form's ``record`` ---------
        batched = {id(m0.leadership): (self._leadership, self.leadership), id(m0.workshops): (self._workshops, None),
                   id(m0.manager_support): (self._support, self.manager_support),
                   id(m0.rollout): (self._rollout, None), id(m0.exchange): (self._exchange_step, None),
                   id(m0.sustain): (self._sustain, None), id(m0.turnover): (self._turnover, self.turnover),
                   id(m0.performance): (self._performance_step, self.performance)}
        plan = [batched.get(id(p), (None, None)) for p in m0.schedule]
        self._plan = [(i, step) for i, (step, _) in enumerate(plan)]
        if self._plan[-1][1] != self._performance_step:
            raise ValueError("a batch needs performance last in the schedule (the weekly record reads it)")
        # the weekly record: the model's own series and the batch forms' over (B, ...); every other process's
        # series (a new mechanism's) by each replicate's own ``record``
        self._batch_recorders = [own for p, (_, own) in zip(m0.schedule, plan) if own is not None
                                 and hasattr(p, "record")] + [self.live]
        self._recorders = [(i, p) for i, (p, (_, own)) in enumerate(zip(m0.schedule, plan)) if own is None
                           and hasattr(p, "record")]
        keys = set(PEOPLE).union(*(p.outputs for p in self._batch_recorders))
        per_replicate = {k for _, p in self._recorders for k in p.outputs}
        if keys | per_replicate != set(m0.history) or keys & per_replicate:
            raise ValueError(f"a batch records {sorted(keys)} and its per-replicate processes' outputs; "
                             f"this model records {sorted(m0.history)}")
        self.history = {k: np.stack([m.history[k] for m in models]) for k in keys}
        self._attention = self.leadership.attention[:, 0]
        self.unit_practising = self.lead_time = None
        self.week = 0

    # -- the weekly schedule: TrustModel.step, every process over the batch ---------
    def step(self) -> None:
        """One week for every replicate: the network's scheduled changes, then the processes in schedule order.

        Each process of ``TrustModel.schedule`` runs in its batched form
        (``_plan``) or, for one this module does not know (a new
        mechanism), as each replicate's own ``step`` on its views of the
        batch's state (``_each``): a new mechanism is right in a batch at
        once, and fast once it has a batched form.
        """
        t = self.week = self.week + 1
        self.live.refresh(t)
        self._attention = self.leadership.attention[:, min(t, self.weeks)]
        for i, batched in self._plan:
            if batched is not None:
                batched(t)
            else:
                self._each(i, t)
        record_people(self, t, self.history)
        for p in self._batch_recorders:
            p.record(self, t, self.history)
        for i, p in self._recorders:  # the weekly series of processes run per replicate
            for m in self.models:
                m.schedule[i].record(m, t, m.history)

    def release(self) -> None:
        """Let go of the batch's arrays and its replicates' once their outputs are taken (``TrustModel.release``:
        the batch's plan holds its own bound methods, a reference cycle)."""
        for m in self.models:
            m.release()
        self.__dict__.clear()

    def _each(self, i: int, t: int) -> None:
        """Process ``i`` of the schedule as each replicate's own ``step``: its state arrays are views of the
        batch's; its week, attention and last exposure are set first. (A process that changes the
        network needs a batched form: a replicate's own live network has no matrices here.)"""
        exposure = self.exposure.reshape(self.B, self.n)
        for b, m in enumerate(self.models):
            m.week, m.attention, m.exposure = t, float(self._attention[b]), exposure[b]
            m.events.extend(m.schedule[i].step(m, t))

    # -- the processes over the batch: the schedule's known processes, in its order ----
    def _leadership(self, t: int) -> None:
        """Leadership: its series was drawn at the start; a chief executive's change is an event."""
        if t in self.changes:
            for m in self.models:
                m.events.extend(m.leadership.step(m, t))

    def _support(self, t: int) -> None:
        """Middle managers' support over the batch: ``ManagerSupport.update`` itself on (B, U)."""
        self.manager_support.update(self.support, self._attention[:, None], self.recognition)

    def _exchange_step(self, t: int) -> None:
        self.exposure = self._exchange(t)

    def _performance_step(self, t: int) -> None:
        self.unit_practising, self.lead_time = self._performance(t, self._attention)

    def run(self) -> "TrustBatch":
        """Run every replicate to the horizon."""
        while self.week < self.weeks:
            self.step()
        return self

    # -- the processes over the batch -------------------------------------------------
    def _workshops(self, t: int) -> None:
        """RPIWs over the batch: each replicate's own ``Workshops.step`` on its views of the batch's state.

        RPIW weeks are few (a pathway's workshop about once a quarter) and
        each replicate draws from its own ``rpiw`` stream, so a loop over
        the replicates costs little and keeps the mechanism in one place.
        """
        if t in self.models[0].workshops.schedule:  # the same weeks and pathways in every replicate
            for m in self.models:
                m.events.extend(m.workshops.step(m, t))

    def _rollout(self, t: int) -> None:
        """Training cohorts over the batch: ``Rollout.apply`` itself, on the union's non-pilot units (each
        replicate's week is its ``u`` then its ``v``)."""
        uv = self.draw_rollout.week(t)
        half = uv.shape[1] // 2
        u, v = (np.ascontiguousarray(x).reshape(-1) for x in (uv[:, :half], uv[:, half:]))
        self.rollout.apply(t, self.support.reshape(-1), self.capability.reshape(-1), self.practising.reshape(-1), u, v)

    def _exchange(self, t: int) -> np.ndarray:
        """Peer exchange over the batch: ``PeerExchange.apply`` itself, on the flat union."""
        return self.exchange.apply(self.live, self.capability.reshape(-1), self.practising.reshape(-1),
                                   self.support.reshape(-1), self.unit_of, self.draw_exchange.week(t).reshape(-1),
                                   self.unit_size.reshape(-1))

    def _sustain(self, t: int) -> None:
        """Sustain or abandon over the batch: ``Sustain.apply`` itself, on the flat union."""
        self.models[0].sustain.apply(self.practising.reshape(-1), self.exposure, self.support.reshape(-1),
                                     self.recognition.reshape(-1), self.unit_of, self.draw_sustain.week(t).reshape(-1))

    def _turnover(self, t: int) -> None:
        """Leavers and replacements over the batch: ``Turnover.apply`` itself, on the flat union."""
        self.turnover.apply(t, self.live, self.capability.reshape(-1), self.practising.reshape(-1),
                            self.tenure.reshape(-1), self.support.reshape(-1), self.draw_turnover.week(t).reshape(-1),
                            self._rewire_draws)

    def _performance(self, t: int, attention: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lead times, measurement and detection over the batch: ``Performance.apply`` itself on (B, U)."""
        pf = self.performance
        counts = pf.unit_counts(self.practising)
        true, newly = pf.apply(t, counts * pf.inv_size, self.gain, self.recognition, attention,
                               self.draw_noise.week(t))
        if newly.any() or (pf.first + 104 == t).any():  # events, in the order a run alone logs them
            for b, mdl in enumerate(self.models):
                mdl.events.extend(pf.events(t, newly[b], pf.detected_week[b]))
        return counts, true

    # -- back to each replicate's own model ------------------------------------------
    def sync(self) -> list[TrustModel]:
        """Write the batch's week, outputs and end state into each replicate's TrustModel; return them.

        Each model then answers ``weekly_frame``, ``network_stats``,
        ``network_end`` and the survey as a run alone would at this week;
        its process objects other than performance are as built.
        """
        t = self.week
        for b, m in enumerate(self.models):
            m.week = t
            m.running = t < m.weeks
            for k, v in self.history.items():
                m.history[k] = v[b]
            m.attention = float(m.leadership.attention[min(t, m.weeks)])
            m.exposure = self.exposure.reshape(self.B, self.n)[b]
            for name in Performance.state:
                setattr(m.performance, name, getattr(self.performance, name)[b])
            m.rollout.cohorts = int(self.rollout.cohorts[b])
            if t > 0:
                m.unit_practising, m.lead_time = self.unit_practising[b], self.lead_time[b]
        return self.models
