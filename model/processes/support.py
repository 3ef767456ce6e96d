"""Process 2, middle managers: each unit's support (time, space, permission).

Support moves toward its target with time constant ``adjust_weeks``:

    target_u = attention x alignment x (base + involvement_u + recognition_weight x recognition_u)

Alignment is a gate that multiplies, not a term that adds: a committed board
and recognition cannot stand in for priorities managers are not held to
(MODEL.md; otherwise pattern P6 fails). Pilot units' managers count as
involved (``pilot_involvement``); the rest have ``involvement``.
"""

from __future__ import annotations

import numpy as np

from ..organisation import Organisation
from ..params import Params


class ManagerSupport:
    def __init__(self, params: Params, org: Organisation):
        m = params.managers
        self.alignment = m.alignment
        self.base = m.base_support
        self.recognition_weight = m.recognition_weight
        self.rate = 1.0 / m.adjust_weeks
        self.involvement = np.where(org.unit_pilot, m.pilot_involvement, m.involvement)
        self.initial = m.initial_support

    def target(self, attention: float, recognition: np.ndarray) -> np.ndarray:
        raw = self.base + self.involvement + self.recognition_weight * recognition
        return np.clip(attention * self.alignment * raw, 0.0, 1.0)

    def step(self, support: np.ndarray, attention: float, recognition: np.ndarray) -> None:
        support += (self.target(attention, recognition) - support) * self.rate
