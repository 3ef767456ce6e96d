"""Process 3b, executive-led rollout: training cohorts beyond the pilot pathways.

The seven value streams are a fixed number of pilots, so they are 12% of
SASH's units and 2% of Leeds's; nothing but peer exchange carried practice
beyond them, and a large trust stayed local whatever its culture (issue 11).
Real trusts grow the programme with the trust: leaders who see it "as
something that will inform how all staff approach their jobs" and are
"willing to invest in developing the required improvement capabilities"
(source, section b and conclusion) train further cohorts in further units.
How much they do so is an assumption of this model (ODD section 9).

Each week, every non-pilot clinical unit u starts a training cohort with
probability

    p_u = (1 - (1 - unit_share_annual) ** (1/52)) x support_u

A cohort is ``cohort_size`` colleagues who work side by side (adjacent on the
unit's ring, from a random start): capability raised to
``rpiw.trained_capability``, practice on. The chance is gated by the unit
manager's support only: support's target is attention x alignment x (...)
(``model.support``), so the executive team's commitment and the alignment of
priorities reach the rollout through the managers who release staff for
training ("time, space and permission to undertake improvement training",
recommendation 4), and leadership is counted once. Because the chance is per
unit, the number of cohorts grows in proportion to the trust's size.

Common random numbers: two uniforms per non-pilot unit every week from the
rollout's own stream, whatever the parameters.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..organisation import Organisation
from ..schema import F, Field

if TYPE_CHECKING:
    from ..params import Params  # for annotations: model.params gathers PARAMS from here


#: This process's parameters, the "rollout" section of the tree (``model.params`` gathers
#: every process's ``PARAMS``).
PARAMS: dict[str, Field] = {
    "rollout.unit_share_annual": F(0.0, "float", "share/year", "share of non-pilot units a year that start a training cohort when their manager's support is 1 (the chance scales with support)", 0, 1,
                                   basis="assumption (level); src: leaders 'willing to invest in developing the required improvement capabilities', the programme 'as something that will inform how all staff approach their jobs'"),
    "rollout.cohort_size": F(4, "int", "people", "colleagues of one unit trained together in a rollout cohort (a handful, like an RPIW's trainees)", 0, 60,
                             basis="assumption"),
    "rollout.start_week": F(52, "int", "week", "week the rollout beyond the first value streams starts", 0, 2000,
                            basis="assumption: after the first year of value streams"),
}


class Rollout:
    """Training cohorts in non-pilot units, at a weekly chance gated by the unit manager's support."""

    def __init__(self, params: Params, org: Organisation) -> None:
        r = params.rollout
        self.org = org
        self.weekly = 1.0 - (1.0 - min(r.unit_share_annual, 0.999999)) ** (1.0 / 52.0)
        self.start_week = r.start_week
        self.cohort = r.cohort_size
        self.capability = params.rpiw.trained_capability
        self.units = np.setdiff1d(org.clinical_units, np.flatnonzero(org.unit_pilot))
        self.size = org.unit_size[self.units]
        self.first = org.unit_start[self.units]
        self.k = np.minimum(self.cohort, self.size)
        self.cohorts = 0  # cohorts trained so far (an output; one per replicate for a batch's, ``over``)
        self.replicates = None

    @classmethod
    def over(cls, parts: Sequence[Rollout]) -> Rollout:
        """The replicates' own rollouts as one over their disjoint union (model/batch.py): each one's non-pilot
        units, their sizes and first people, offset per replicate, and a count of cohorts each; every other
        setting is shared (``batch_key``)."""
        joined = copy.copy(parts[0])
        joined.units = np.concatenate([p.units + b * p.org.n_units for b, p in enumerate(parts)])
        joined.first = np.concatenate([p.first + b * p.org.n_staff for b, p in enumerate(parts)])
        joined.size = np.concatenate([p.size for p in parts])
        joined.k = np.concatenate([p.k for p in parts])
        joined.replicates = len(parts)
        joined.cohorts = np.zeros(len(parts), dtype=np.int64)
        return joined

    def step(self, model, week: int) -> list:
        """The week's training cohorts beyond the pilots."""
        self.update(week, model.support, model.capability, model.practising, model.streams["rollout"])
        return []

    def update(self, week: int, support: np.ndarray, capability: np.ndarray, practising: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
        """Train this week's cohorts in place; return the units that started one."""
        u = rng.random(self.units.size)  # fixed counts: common random numbers
        v = rng.random(self.units.size)
        return self.apply(week, support, capability, practising, u, v)

    def apply(self, week: int, support: np.ndarray, capability: np.ndarray, practising: np.ndarray,
              u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The week's cohorts from its uniforms: ``u`` (one a unit) whether it starts one, ``v`` where on the
        unit's ring (a batch's: flat over its union's units)."""
        if week < self.start_week or self.weekly <= 0 or self.cohort <= 0:
            return self.units[:0]
        hit = np.flatnonzero(u < self.weekly * support[self.units])
        if hit.size == 0:
            return self.units[:0]
        size, k = self.size[hit], self.k[hit]
        start = np.floor(v[hit] * size).astype(np.int64)
        # member j of cohort c: first_c + (start_c + j) % size_c, for j < k_c (no loop over people)
        reps = np.repeat(np.arange(hit.size), k)
        j = np.arange(reps.size) - np.repeat(np.cumsum(k) - k, k)
        ids = self.first[hit][reps] + (start[reps] + j) % size[reps]
        capability[ids] = np.maximum(capability[ids], self.capability)
        practising[ids] = True
        if self.replicates is None:
            self.cohorts += hit.size
        else:  # a batch's: each replicate's units are a block of n_units ids
            self.cohorts += np.bincount(self.units[hit] // self.org.n_units, minlength=self.replicates)
        return self.units[hit]
