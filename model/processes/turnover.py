"""Process 6, turnover.

Each week a person leaves with probability 1 - exp(-annual/52) (managers at
their own rate; the chief executive changes only through leadership). The
post is filled at once by a newcomer with ``newcomer_capability``, not
practising, tenure 0, who keeps the post's ties inside the unit, while the
post's cross-unit ties go dormant and re-form after a geometric delay with
mean ``reform_weeks``. When a manager leaves, the unit's support loses
``turnover_reset`` of its value. Forum ties are arcs scheduled in the
network (``model.network``) and need nothing here.
"""

from __future__ import annotations

import numpy as np

from ..network import StaffNetwork
from ..organisation import CHIEF_EXECUTIVE, Organisation
from ..params import Params


def weekly_rate(annual: float) -> float:
    """Weekly leaving probability from an annual share leaving."""
    return 1.0 - (1.0 - min(annual, 0.999999)) ** (1.0 / 52.0)


class Turnover:
    def __init__(self, params: Params, org: Organisation):
        t = params.turnover
        rate = np.where(org.is_manager, weekly_rate(t.manager_annual), weekly_rate(t.staff_annual))
        rate[org.role == CHIEF_EXECUTIVE] = 0.0
        self.rate = rate
        self.newcomer_capability = t.newcomer_capability
        self.reform_p = 1.0 / t.reform_weeks
        self.reset = params.managers.turnover_reset
        self.org = org

    def step(self, week: int, net: StaffNetwork, capability, practising, tenure, support,
             rng: np.random.Generator, rewire_rng: np.random.Generator,
             mark: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Replace this week's leavers; return their ids and the arcs made dormant.

        Dormant arcs get their re-formation week in ``net.active_from``; the
        model switches them off now and on again then."""
        u = rng.random(capability.size)
        leavers = np.flatnonzero(u < self.rate)
        tenure += 1
        if leavers.size == 0:
            return leavers, leavers
        capability[leavers] = self.newcomer_capability
        practising[leavers] = False
        tenure[leavers] = 0
        mgr = leavers[self.org.is_manager[leavers]]
        if mgr.size:
            units = self.org.unit_of[mgr]
            support[units] *= 1.0 - self.reset
        arcs = net.cross_incident_arcs(leavers)
        arcs = arcs[net.active_from[arcs] <= week]
        if arcs.size:
            arcs.sort()  # an arc between two leavers appears twice; np.unique's order, cheaper
            keep = np.empty(arcs.size, dtype=bool)
            keep[0] = True
            np.not_equal(arcs[1:], arcs[:-1], out=keep[1:])
            arcs = arcs[keep]
            delay = rewire_rng.geometric(self.reform_p, arcs.size)
            net.active_from[arcs] = week + delay
            # a mutual pair re-forms together, at the later of its two draws
            rev = net.reverse[arcs]
            mark = np.zeros(net.n_arcs, dtype=bool) if mark is None else mark
            mark[arcs] = True
            paired = (rev >= 0) & mark[np.maximum(rev, 0)]
            mark[arcs] = False
            a, r = arcs[paired], rev[paired]
            both = np.maximum(net.active_from[a], net.active_from[r])
            net.active_from[a] = both
            net.active_from[r] = both
        return leavers, arcs
