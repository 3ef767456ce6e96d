"""The knowledge-sharing network as it is this week: which arcs are live, and what follows.

``StaffNetwork`` (model/network.py) is the structure, fixed for a run. This
object owns everything about it that changes week by week, and nothing else
writes it:

* ``live``: which arcs exist now, and ``active_from``, the week each arc is
  (again) live: forum ties wait for their cohort's week, the cross-unit ties
  of a leaver go dormant and re-form after a delay;
* the in-contact matrices ``W`` (tie weights: 1 reciprocal, ``w`` one-directional,
  0 not live) and ``log_W`` (per-arc log survival, simple and hybrid rules),
  with a sender-ordered copy of W's weights for sums over few senders;
* every person's live in-degree over all but forum ties (the exposure
  denominator; ODD 7.4) and its inverse, the number of live arcs,
  and the count of live cross-unit arcs.

Switching arcs on or off updates all of these incrementally (a few array
operations on the arcs concerned, never a rebuild). Processes use
:meth:`refresh`, :meth:`in_sum`, :meth:`cross_ties_of` and
:meth:`go_dormant`; tests, benchmarks and the visualiser read the public
attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .contagion import log_survival
from .network import StaffNetwork, network_stats

if TYPE_CHECKING:  # networkx is imported only by to_networkx
    import networkx as nx
    from .params import Params  # for annotations: model.params imports the processes, which import this


class LiveNetwork:
    """The live arcs, weights, degrees and the forum and re-formation schedules of one run."""

    outputs = ("live_arcs", "cross_unit_ties_per_person")

    def __init__(self, net: StaffNetwork, params: Params, weeks: int):
        self.structure = net
        self.n = net.n
        self.active_from = net.active_from.copy()  # this run's schedule; the structure stays as built
        self.base_weight = np.where(net.reciprocal, 1.0, params.network.one_directional_weight)
        rule = params.exchange.rule
        self.base_log = log_survival(self.base_weight, params.exchange.transmission) if rule != "complex" else None
        self.live = self.active_from <= 0
        self.live_at_start = self.live.copy()
        self.W = net.matrix(self.base_weight * self.live)
        self.w_out = self.W.data[net.out_order]  # the same weights in sender order, kept in step
        self.log_W = net.matrix(self.base_log * self.live) if self.base_log is not None else None
        # the exposure denominator: live in-contacts except forum ties (ODD 7.4 and section 9)
        self.in_degree = net.norm_degree(self.live).astype(np.float64)
        self.n_live = int(self.live.sum())
        self.inv_degree = 1.0 / np.maximum(self.in_degree, 1.0)
        self.cross_live = int((self.live & net.cross).sum())
        # arcs that go live later: forum ties (fixed schedule, sorted once) and
        # ties re-forming after turnover (a small pending set)
        later = np.flatnonzero(self.active_from > 0)
        order = np.argsort(self.active_from[later], kind="stable")
        self.forum_arcs = later[order]
        forum_weeks = self.active_from[self.forum_arcs]
        # forum_arcs[_forum_ptr[t]:_forum_ptr[t + 1]] are scheduled for week t
        self._forum_ptr = np.searchsorted(forum_weeks, np.arange(weeks + 2)).tolist()
        self.dormant = np.zeros(0, dtype=np.int64)
        self.dormant_week = np.zeros(0, dtype=np.int64)  # their re-formation weeks, side by side
        self._mark = np.zeros(net.n_arcs, dtype=bool)  # scratch for pair look-ups

    # -- the week's changes ---------------------------------------------------------
    def refresh(self, week: int) -> None:
        """Forum ties scheduled for ``week`` and dormant ties due by then go live."""
        lo, hi = self._forum_ptr[week], self._forum_ptr[week + 1]
        waking = []
        if hi > lo:
            arcs = self.forum_arcs[lo:hi]
            waking.append(arcs[self.active_from[arcs] == week])
        if self.dormant.size:
            # a dormant arc's re-formation week is fixed when it goes dormant
            # (cross_ties_of skips arcs already dormant), so no look-up is needed
            due = self.dormant_week <= week
            if due.any():
                waking.append(self.dormant[due])
                keep = ~due
                self.dormant = self.dormant[keep]
                self.dormant_week = self.dormant_week[keep]
        if waking:
            self.set_live(np.concatenate(waking) if len(waking) > 1 else waking[0], True)

    def set_live(self, arcs: np.ndarray, live: bool) -> None:
        """Switch arcs on or off: weights, in-degrees and counts follow incrementally."""
        arcs = arcs[self.live[arcs] != live]
        if arcs.size == 0:
            return
        net = self.structure
        self.live[arcs] = live
        w = self.base_weight[arcs] if live else 0.0
        self.W.data[arcs] = w
        self.w_out[net.out_pos[arcs]] = w
        if self.log_W is not None:
            self.log_W.data[arcs] = self.base_log[arcs] if live else 0.0
        self.n_live += arcs.size if live else -arcs.size
        dst = net.dst[arcs[~net.forum[arcs]]]  # forum ties add exposure, not to its denominator
        np.add.at(self.in_degree, dst, 1.0 if live else -1.0)
        self.inv_degree[dst] = 1.0 / np.maximum(self.in_degree[dst], 1.0)
        self.cross_live += np.count_nonzero(net.cross[arcs]) * (1 if live else -1)

    def cross_ties_of(self, people: np.ndarray, week: int) -> np.ndarray:
        """Live cross-unit arcs into or out of any of ``people``, each once, in arc order."""
        arcs = self.structure.cross_incident_arcs(people)
        arcs = arcs[self.active_from[arcs] <= week]
        if arcs.size:
            arcs.sort()  # an arc between two of them appears twice; np.unique's order, cheaper
            keep = np.empty(arcs.size, dtype=bool)
            keep[0] = True
            np.not_equal(arcs[1:], arcs[:-1], out=keep[1:])
            arcs = arcs[keep]
        return arcs

    def go_dormant(self, arcs: np.ndarray, wake_week: np.ndarray) -> None:
        """Switch ``arcs`` off until ``wake_week`` (one per arc); a mutual pair wakes together, at the later week."""
        if arcs.size == 0:
            return
        net = self.structure
        self.active_from[arcs] = wake_week
        rev = net.reverse[arcs]
        mark = self._mark
        mark[arcs] = True
        paired = (rev >= 0) & mark[np.maximum(rev, 0)]
        mark[arcs] = False
        a, r = arcs[paired], rev[paired]
        both = np.maximum(self.active_from[a], self.active_from[r])
        self.active_from[a] = both
        self.active_from[r] = both
        self.set_live(arcs, False)
        self.dormant = np.concatenate([self.dormant, arcs])
        self.dormant_week = np.concatenate([self.dormant_week, self.active_from[arcs]])

    # -- sums over the network --------------------------------------------------------
    def in_sum(self, values: np.ndarray | None, nonzero: np.ndarray | None = None,
               W: sp.csr_array | None = None) -> np.ndarray:
        """``W @ v`` with ``v`` = ``values`` on ``nonzero`` (all ones if ``values`` is None), see StaffNetwork.in_sum."""
        if W is None:
            return self.structure.in_sum(self.W, values, nonzero, self.w_out)
        return self.structure.in_sum(W, values, nonzero)

    def scatter_pays(self, k: int) -> bool:
        """Whether summing over ``k`` senders' out-arcs beats a full mat-vec."""
        return self.structure.scatter_pays(k)

    # -- outputs ------------------------------------------------------------------------
    def record(self, model: Any, week: int, history: dict[str, np.ndarray]) -> None:
        """This week's live arcs and live cross-unit ties per person."""
        history["live_arcs"][week] = self.n_live
        history["cross_unit_ties_per_person"][week] = self.cross_live / self.n

    def to_networkx(self) -> nx.DiGraph:
        """The live network now as a networkx DiGraph (for analysis, not the hot path)."""
        import networkx as nx

        net = self.structure
        g = nx.DiGraph()
        g.add_nodes_from(range(self.n))
        g.add_edges_from(zip(net.src[self.live].tolist(), net.dst[self.live].tolist()))
        return g

    def stats(self, week: int) -> dict[str, float]:
        """Social network analysis of the live network now (model/network.py ``network_stats``)."""
        return network_stats(self.structure, week, self.live)

