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

from typing import Any

import numpy as np

from ..organisation import Organisation
from ..params import Params


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
        """Mean support over clinical units, pilots and the rest."""
        support, p_units, r_units = model.support, self.pilot_units, self.rest_units
        history["manager_support"][week] = support[:-1].sum() / (support.size - 1)
        history["manager_support_pilot"][week] = support[p_units].sum() / p_units.size
        history["manager_support_rest"][week] = support[r_units].sum() / r_units.size if r_units.size else 0.0
