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

import copy
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..organisation import CHIEF_EXECUTIVE, Organisation
from ..schema import F, Field

if TYPE_CHECKING:
    from ..live_network import LiveNetwork
    from ..params import Params  # for annotations: model.params gathers PARAMS from here


#: This process's parameters, the "turnover" section, and the "forums" section
#: (``model.params`` gathers every process's ``PARAMS``). Forums are not a step of
#: their own: ``model.network`` schedules their arcs when it builds the network and
#: ``LiveNetwork.refresh`` makes them live; they are declared here because they are
#: the other way the cross-unit ties change over a run (the package docstring's
#: "turnover: leavers, their replacements, peer-learning forums"), and because the
#: tree's key order (``spread params``, sweep manifests) has them after turnover.
PARAMS: dict[str, Field] = {
    "turnover.staff_annual": F(0.12, "float", "per year", "staff leaving per year (NHS: about 10-15%)", 0, 1),
    "turnover.manager_annual": F(0.12, "float", "per year", "managers leaving per year", 0, 1),
    "turnover.newcomer_capability": F(0.0, "float", "0..1", "capability of a replacement", 0, 1),
    "turnover.reform_weeks": F(26, "float", "weeks", "mean weeks for a replacement's cross-unit ties to re-form", 1, 520),
    "forums.ties_per_person_annual": F(0.0, "float", "ties/person/year", "new cross-unit reciprocal ties per person per year from forums", 0, 20),
    "forums.cohort_size": F(6, "int", "people", "people in one forum cohort", 2, 50),
    "forums.start_week": F(0, "int", "week", "week the forums start", 0, 2000),
}


def weekly_rate(annual: float) -> float:
    """Weekly leaving probability from an annual share leaving."""
    return 1.0 - (1.0 - min(annual, 0.999999)) ** (1.0 / 52.0)


class Turnover:
    """Leavers replaced by newcomers; a leaver's cross-unit ties go dormant and re-form later."""

    outputs = ("leavers",)

    def __init__(self, params: Params, org: Organisation):
        t = params.turnover
        rate = np.where(org.is_manager, weekly_rate(t.manager_annual), weekly_rate(t.staff_annual))
        rate[org.role == CHIEF_EXECUTIVE] = 0.0
        self.rate = rate
        self.newcomer_capability = t.newcomer_capability
        self.reform_p = 1.0 / t.reform_weeks
        self.reset = params.managers.turnover_reset
        self.is_manager, self.unit_of, self.n_units = org.is_manager, org.unit_of, org.n_units
        self.leavers = np.zeros(0, dtype=np.int64)
        self.replicates = None  # B when this is a batch's (``over``): leavers are then counted per replicate

    @classmethod
    def over(cls, parts: Sequence[Turnover]) -> Turnover:
        """The replicates' own turnovers as one over their disjoint union (model/batch.py): each one's leaving
        rates, managers and units, units offset per replicate; every other setting is shared (``batch_key``)."""
        joined = copy.copy(parts[0])
        joined.rate = np.concatenate([p.rate for p in parts])
        joined.is_manager = np.concatenate([p.is_manager for p in parts])
        joined.unit_of = np.concatenate([p.unit_of + b * p.n_units for b, p in enumerate(parts)])
        joined.n_units = sum(p.n_units for p in parts)
        joined.replicates = len(parts)
        return joined

    def step(self, model: Any, week: int) -> list:
        """The week's leavers and their replacements."""
        self.update(week, model.live, model.capability, model.practising, model.tenure,
                    model.support, model.streams["turnover"], model.streams["rewire"])
        return []

    def record(self, model: Any, week: int, history: dict) -> None:
        """Leavers this week (per replicate for a batch's: its people are blocks of equal size, in order)."""
        if self.replicates is None:
            history["leavers"][week] = self.leavers.size
        else:
            per = self.rate.size // self.replicates
            history["leavers"][:, week] = np.bincount(self.leavers // per, minlength=self.replicates)

    def update(self, week: int, live: LiveNetwork, capability: np.ndarray, practising: np.ndarray,
               tenure: np.ndarray, support: np.ndarray, rng: np.random.Generator,
               rewire_rng: np.random.Generator) -> np.ndarray:
        """Replace this week's leavers (state in place); return their ids (kept as ``leavers``).

        Their live cross-unit arcs go dormant in ``live`` (a LiveNetwork) and
        re-form after a geometric delay drawn here."""
        u = rng.random(capability.size)
        return self.apply(week, live, capability, practising, tenure, support, u, rewire_rng)

    def apply(self, week: int, live: LiveNetwork, capability: np.ndarray, practising: np.ndarray,
              tenure: np.ndarray, support: np.ndarray, u: np.ndarray, rewire_rng: np.random.Generator) -> np.ndarray:
        """The week's leavers from its uniforms ``u`` (one a person; a batch's: flat over its union); the
        re-formation delays from ``rewire_rng`` (a batch's: each replicate's own stream, model/batch.py)."""
        leavers = self.leavers = np.flatnonzero(u < self.rate)  # kept for ``record``
        tenure += 1
        if leavers.size == 0:
            return leavers
        capability[leavers] = self.newcomer_capability
        practising[leavers] = False
        tenure[leavers] = 0
        mgr = leavers[self.is_manager[leavers]]
        if mgr.size:
            units = self.unit_of[mgr]
            support[units] *= 1.0 - self.reset
        arcs = live.cross_ties_of(leavers, week)
        if arcs.size:
            delay = rewire_rng.geometric(self.reform_p, arcs.size)
            live.go_dormant(arcs, week + delay)  # a mutual pair re-forms together, at the later draw
        return leavers
