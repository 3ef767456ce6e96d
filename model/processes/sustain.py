"""Process 5, sustain or abandon.

A practitioner drops the practice with weekly probability

    abandon = abandon_max - (abandon_max - abandon_min) x strength
    strength = reinforcement_weight x exposure + support_weight x support_u + recognition_weight x recognition_u

so the rate rises toward ``abandon_max`` when reinforcement from practising
contacts, manager support and recognition are absent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..schema import F, Field

if TYPE_CHECKING:
    from ..params import Params  # for annotations: model.params gathers PARAMS from here


#: This process's parameters, the "sustain" section of the tree (``model.params`` gathers
#: every process's ``PARAMS``).
PARAMS: dict[str, Field] = {
    "sustain.abandon_max": F(0.02, "float", "per week", "drop-out rate with no reinforcement, support or recognition", 0, 1),
    "sustain.abandon_min": F(0.002, "float", "per week", "drop-out rate when all three are present", 0, 1),
    "sustain.reinforcement_weight": F(0.4, "float", "share", "how much practising contacts keep a person practising", 0, 1),
    "sustain.support_weight": F(0.4, "float", "share", "how much manager support keeps a person practising", 0, 1),
    "sustain.recognition_weight": F(0.2, "float", "share", "how much recognition keeps a person practising", 0, 1),
}


class Sustain:
    """Practitioners drop the practice at a rate that rises without reinforcement, support and recognition."""

    def __init__(self, params: Params):
        s = params.sustain
        self.hi = s.abandon_max
        self.lo = s.abandon_min
        self.wr, self.ws, self.wc = s.reinforcement_weight, s.support_weight, s.recognition_weight

    def rate(self, expo: np.ndarray, support_of_person: np.ndarray, recognition_of_person: np.ndarray) -> np.ndarray:
        """Weekly chance of abandoning, from reinforcement (exposure), support and recognition."""
        strength = self.wr * expo + self.ws * support_of_person + self.wc * recognition_of_person
        return self.hi - (self.hi - self.lo) * np.clip(strength, 0.0, 1.0)

    def step(self, model: Any, week: int) -> list:
        """The week's abandonments, reinforced by the exposure peer exchange saw."""
        self.update(model.practising, model.exposure, model.support, model.recognition, model.org.unit_of,
                    model.streams["sustain"])
        return []

    def update(self, practising: np.ndarray, expo: np.ndarray, support: np.ndarray, recognition: np.ndarray,
               unit_of: np.ndarray, rng: np.random.Generator) -> None:
        """Drop the practice (``practising`` in place) for this week's abandoners."""
        u = rng.random(practising.size)  # fixed count: common random numbers
        self.apply(practising, expo, support, recognition, unit_of, u)

    def apply(self, practising: np.ndarray, expo: np.ndarray, support: np.ndarray, recognition: np.ndarray,
              unit_of: np.ndarray, u: np.ndarray) -> None:
        """The week's abandonments from its uniforms ``u`` (one a person; a batch's: flat over its union)."""
        who = np.flatnonzero(practising)
        if who.size:
            unit = unit_of[who]
            drop = u[who] < self.rate(expo[who], support[unit], recognition[unit])
            practising[who[drop]] = False
