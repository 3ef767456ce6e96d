"""Process 2, middle managers: each unit's support (time, space, permission).

Support moves toward its target with time constant ``adjust_weeks``:

    target_u = attention x alignment x (base + involvement_u + recognition_weight x recognition_u)

Alignment is a gate that multiplies, not a term that adds: a committed board
and recognition cannot stand in for priorities managers are not held to
(MODEL.md; otherwise pattern P6 fails). Pilot units' managers count as
involved (``pilot_involvement``); the rest have ``involvement``.

Pilot units' target has a floor, ``partnership_support``: the partnership's
coaches (VMI and the trust's improvement team) work alongside the pilot
teams and give them time, space and permission whatever the board's
attention, so the targeted pathways sustain their gains even where the
programme ran "in complete isolation" (BHR) - the source's "all five trusts
achieved substantial and sustained improvements" (ODD section 9). The floor
reaches no other unit: it does not carry practice beyond the pilots.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..organisation import Organisation
from ..schema import F, Field
from .performance import row_sum

if TYPE_CHECKING:
    from ..params import Params  # for annotations: model.params gathers PARAMS from here


#: This process's parameters, the "managers" section of the tree (``model.params`` gathers
#: every process's ``PARAMS``). Turnover reads ``managers.turnover_reset`` and the trust
#: model ``managers.initial_support`` (week 0's state), but the section is the managers', so here.
PARAMS: dict[str, Field] = {
    "managers.alignment": F(0.7, "float", "0..1", "alignment of programme priorities with managers' objectives (a gate)", 0, 1),
    "managers.base_support": F(0.3, "float", "0..1", "support a manager gives with no involvement or recognition", 0, 1),
    "managers.involvement": F(0.2, "float", "0..1", "involvement of non-pilot managers in planning the programme", 0, 1),
    "managers.pilot_involvement": F(0.5, "float", "0..1", "involvement of pilot units' managers (they count as involved)", 0, 1),
    "managers.recognition_weight": F(0.3, "float", "0..1", "weight of recognition in the support target", 0, 1),
    "managers.adjust_weeks": F(12, "float", "weeks", "time constant of support moving to its target", 1, 260),
    "managers.initial_support": F(0.2, "float", "0..1", "support at week 0", 0, 1),
    "managers.partnership_support": F(0.5, "float", "0..1", "floor on pilot units' support target: the partnership's coaches give pilot teams time, space and permission whatever the board's attention", 0, 1,
                                      basis="assumption (level); src: the programme as 'a technical exercise ... led by a handful of experts working alongside front-line teams', and 'all five trusts achieved substantial and sustained improvements' in the pathways"),
    "managers.turnover_reset": F(0.5, "float", "share", "share of a unit's support lost when its manager leaves", 0, 1),
}


class ManagerSupport:
    """Each unit's manager support moving towards its target (time, space and permission)."""

    outputs = ("manager_support", "manager_support_pilot", "manager_support_rest")

    def __init__(self, params: Params, org: Organisation):
        m = params.managers
        self.alignment = m.alignment
        self.base = m.base_support
        self.recognition_weight = m.recognition_weight
        self.rate = 1.0 / m.adjust_weeks
        self.involvement = np.where(org.unit_pilot, m.pilot_involvement, m.involvement)
        self.floor = np.where(org.unit_pilot, m.partnership_support, 0.0)
        self.pilot_units = np.flatnonzero(org.unit_pilot)
        self.rest_units = np.setdiff1d(org.clinical_units, self.pilot_units)

    @classmethod
    def over(cls, parts: Sequence[ManagerSupport]) -> ManagerSupport:
        """The replicates' own manager support as one over (B, U) (model/batch.py): each one's levels stacked (its
        design point's, ``PER_REPLICATE``), so ``target``'s elementwise formula gives each replicate its own numbers."""
        joined = copy.copy(parts[0])
        for name in ("alignment", "base", "recognition_weight", "rate"):
            setattr(joined, name, np.array([getattr(p, name) for p in parts])[:, None])
        joined.involvement = np.stack([p.involvement for p in parts])
        joined.floor = np.stack([p.floor for p in parts])
        return joined

    def target(self, attention: float, recognition: np.ndarray) -> np.ndarray:
        """Support each unit moves towards: attention x alignment x (base + involvement + recognition)."""
        raw = self.base + self.involvement + self.recognition_weight * recognition
        return np.clip(np.maximum(attention * self.alignment * raw, self.floor), 0.0, 1.0)

    def update(self, support: np.ndarray, attention: float, recognition: np.ndarray) -> None:
        """Move ``support`` (per unit, in place) a step towards its target."""
        support += (self.target(attention, recognition) - support) * self.rate

    def step(self, model: Any, week: int) -> list:
        """The week's move of every unit's support."""
        self.update(model.support, model.attention, model.recognition)
        return []

    def record(self, model: Any, week: int, history: dict) -> None:
        """Mean support over clinical units, pilots and the rest, over one trust or a batch (a leading replicate
        axis), each sum as one trust's ``.sum()`` alone (``row_sum``)."""
        support, p_units, r_units = model.support, self.pilot_units, self.rest_units
        history["manager_support"][..., week] = row_sum(support[..., :-1]) / (support.shape[-1] - 1)
        history["manager_support_pilot"][..., week] = row_sum(support[..., p_units]) / p_units.size
        rest = row_sum(support[..., r_units]) / r_units.size if r_units.size else 0.0
        history["manager_support_rest"][..., week] = rest
