"""Process 4, peer exchange on the network: adoption and capability learning.

Adoption probability in a week is the contagion rule's probability (see
``model.contagion``) times a gate:

    gate_i = capability_i x support_u(i) x (1 + signal_lift x attention) / (1 + signal_lift)

so a person needs both the skill and their manager's time, space and
permission, and the leadership signal lifts adoption only as relayed by the
manager (the "golden thread": support already carries attention).
Capability grows by learning from *capable* in-contacts (capability at or
above ``capable_level``; same tie weighting as exposure) and by practising.
"""

from __future__ import annotations

import numpy as np

from .contagion import rule_probability
from .params import Params

CAPABLE_LEVEL = 0.5


class PeerExchange:
    def __init__(self, params: Params, n: int, rng: np.random.Generator):
        e = params.exchange
        self.rule = e.rule
        self.mix = e.hybrid_mix
        self.adoption_rate = e.adoption_rate
        self.learning_rate = e.learning_rate
        self.practice_learning = e.practice_learning
        self.lift = params.leadership.signal_lift
        # heterogeneous thresholds, drawn once per post (fixed-size draw)
        self.threshold = np.clip(rng.normal(e.threshold, e.threshold_sd, n), 0.01, 1.0)

    def step(self, W, log_W, in_degree, capability, practising, support_of_person,
             attention: float, rng: np.random.Generator) -> np.ndarray:
        """Update ``practising`` and ``capability`` in place; return the weekly exposure."""
        x = practising.astype(np.float64)
        p, expo = rule_probability(self.rule, W, log_W, x, x, in_degree, self.threshold,
                                   self.adoption_rate, self.mix)
        gate = capability * support_of_person * (1.0 + self.lift * attention) / (1.0 + self.lift)
        u = rng.random(x.size)  # one draw per person every week: common random numbers
        adopt = ~practising & (u < p * gate)
        capable = np.where(capability >= CAPABLE_LEVEL, capability, 0.0)
        peer = (W @ capable) / np.maximum(in_degree, 1)
        capability += (self.learning_rate * peer + self.practice_learning * x) * (1.0 - capability)
        practising |= adopt
        return expo
