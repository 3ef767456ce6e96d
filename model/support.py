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

import numpy as np

from .organisation import Organisation
from .params import Params


class ManagerSupport:
    def __init__(self, params: Params, org: Organisation):
        m = params.managers
        self.alignment = m.alignment
        self.base = m.base_support
        self.recognition_weight = m.recognition_weight
        self.rate = 1.0 / m.adjust_weeks
        self.involvement = np.where(org.unit_pilot, m.pilot_involvement, m.involvement)
        self.initial = m.initial_support
        self.floor = np.where(org.unit_pilot, m.partnership_support, 0.0)

    def target(self, attention: float, recognition: np.ndarray) -> np.ndarray:
        raw = self.base + self.involvement + self.recognition_weight * recognition
        return np.clip(np.maximum(attention * self.alignment * raw, self.floor), 0.0, 1.0)

    def step(self, support: np.ndarray, attention: float, recognition: np.ndarray) -> None:
        support += (self.target(attention, recognition) - support) * self.rate
