"""Process 4, peer exchange on the network: adoption and capability learning.

Adoption probability in a week is the contagion rule's probability (see
``model.contagion``) times a gate:

    gate_i = capability_i x support_u(i)

so a person needs both the skill and their manager's time, space and
permission. The leadership signal reaches staff only through their manager:
support's target already carries attention (``model.support``), so it is
not multiplied in again here (the "golden thread", counted once; issue 11).
Capability grows by learning from *capable* in-contacts (capability at or
above ``CAPABLE_LEVEL``; same tie weighting as exposure), as far as the
manager gives time and space for it (x support), and by practising; skill
not practised fades at ``forgetting`` a week. Without the last two terms
capability itself spread trust-wide as a simple contagion even where
practice stayed local, against the source ("improvement skills and
capabilities ... remained localised").
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..contagion import complex_candidates, rule_probability
from ..schema import F, Field

if TYPE_CHECKING:
    from ..live_network import LiveNetwork
    from ..params import Params  # for annotations: model.params gathers PARAMS from here


#: This process's parameters, the "exchange" section of the tree (``model.params`` gathers
#: every process's ``PARAMS``). The trust model reads ``initial_capability`` and
#: ``initial_practising`` for week 0's state, and the live network the rule and
#: ``transmission`` for its tie weights: all of them are peer exchange's, so here.
PARAMS: dict[str, Field] = {
    "exchange.rule": F("complex", "choice", "", "contagion rule", choices=("complex", "simple", "hybrid")),
    "exchange.hybrid_mix": F(0.5, "float", "share", "weight of the simple rule in the hybrid rule", 0, 1),
    "exchange.threshold": F(0.25, "float", "share", "mean adoption threshold (weighted share of practising in-contacts)", 0, 1),
    "exchange.threshold_sd": F(0.08, "float", "share", "spread of thresholds across staff", 0, 0.5),
    "exchange.adoption_rate": F(0.3, "float", "per week", "chance a person above threshold adopts in a week (complex rule)", 0, 1),
    "exchange.transmission": F(0.05, "float", "per contact-week", "chance a practising contact passes the practice on (simple rule)", 0, 1),
    "exchange.learning_rate": F(0.12, "float", "per week", "capability learned from capable contacts", 0, 1),
    "exchange.practice_learning": F(0.02, "float", "per week", "capability learned by practising", 0, 1),
    "exchange.forgetting": F(0.005, "float", "per week", "fading of capability that is not practised", 0, 1),
    "exchange.initial_capability": F(0.15, "float", "0..1", "mean capability of staff at week 0 and of nobody's newcomers", 0, 1),
    "exchange.initial_practising": F(0.0, "float", "share", "share of staff practising at week 0", 0, 1),
}


CAPABLE_LEVEL = 0.5


class PeerExchange:
    """Adoption of the practice through the live network, and learning of capability from capable contacts."""

    def __init__(self, params: Params, n: int, rng: np.random.Generator):
        e = params.exchange
        self.rule = e.rule
        self.mix = e.hybrid_mix
        self.adoption_rate = e.adoption_rate
        self.learning_rate = e.learning_rate
        self.practice_learning = e.practice_learning
        self.forgetting = e.forgetting
        # heterogeneous thresholds, drawn once per post (fixed-size draw)
        self.threshold = np.clip(rng.normal(e.threshold, e.threshold_sd, n), 0.01, 1.0)

    @classmethod
    def over(cls, parts: Sequence[PeerExchange]) -> PeerExchange:
        """The replicates' own peer exchanges as one over their disjoint union (model/batch.py): each one's
        thresholds; every other setting is shared (``batch_key``)."""
        joined = copy.copy(parts[0])
        joined.threshold = np.concatenate([p.threshold for p in parts])
        return joined

    def step(self, model: Any, week: int) -> list:
        """The week's adoptions and learning; the exposure it saw is left on the model for sustain."""
        model.exposure = self.update(model.live, model.capability, model.practising, model.support,
                                     model.org.unit_of, model.streams["exchange"], model.org.unit_size)
        return []

    def update(self, live: LiveNetwork, capability: np.ndarray, practising: np.ndarray, support: np.ndarray,
               unit_of: np.ndarray, rng: np.random.Generator,
               unit_size: np.ndarray | None = None) -> np.ndarray:
        """Update ``practising`` and ``capability`` in place; return the weekly exposure.

        ``live`` is the run's LiveNetwork (model/live_network.py).

        Only people who can adopt this week (not practising; above threshold
        under the complex rule) are gated, so the cost follows them, not N.
        ``unit_size`` (optional) says units are contiguous blocks of people
        of these sizes, so per-unit values spread to people by a repeat.
        The network sums visit only the practising / capable people's arcs
        while they are few (``StaffNetwork.in_sum``), and the capability
        update works in place on whole arrays.
        """
        u = rng.random(practising.size)  # one draw per person every week: common random numbers
        return self.apply(live, capability, practising, support, unit_of, u, unit_size)

    def apply(self, live: LiveNetwork, capability: np.ndarray, practising: np.ndarray, support: np.ndarray,
              unit_of: np.ndarray, u: np.ndarray, unit_size: np.ndarray | None = None) -> np.ndarray:
        """The week's update from its uniforms ``u`` (one a person; a batch's: flat over its union)."""
        doing = np.flatnonzero(practising)
        x = None if live.scatter_pays(doing.size) else practising.astype(np.float64)
        expo = live.in_sum(x, doing)
        expo *= live.inv_degree
        if self.rule == "complex":
            cand = complex_candidates(expo, self.threshold, practising, live.in_degree)
            p = self.adoption_rate
        else:
            x = practising.astype(np.float64)
            p_all, _ = rule_probability(self.rule, live.W, live.log_W, x, x, live.in_degree, self.threshold,
                                        self.adoption_rate, self.mix)
            cand = np.flatnonzero((p_all > 0) & ~practising)
            p = p_all[cand]
        if cand.size:
            gate = capability[cand] * support[unit_of[cand]]
            practising[cand[u[cand] < p * gate]] = True
        is_capable = capability >= CAPABLE_LEVEL
        capable_idx = np.flatnonzero(is_capable)
        if live.scatter_pays(capable_idx.size):
            peer = live.in_sum(capability, capable_idx)
        else:
            peer = live.in_sum(capability * is_capable)
        peer *= live.inv_degree
        # capability += (lr x support x peer + pl x practised) x (1 - capability)
        #               - forgetting x (1 - practised) x capability,
        # term by term in place (practised is last week's ``doing``: 0 or 1)
        per_unit = self.learning_rate * support
        gain = np.take(per_unit, unit_of) if unit_size is None else np.repeat(per_unit, unit_size)
        gain *= peer
        gain[doing] += self.practice_learning
        room = np.subtract(1.0, capability)
        gain *= room
        fade = np.multiply(capability, self.forgetting, out=room)
        fade[doing] = 0.0
        gain -= fade
        capability += gain
        np.clip(capability, 0.0, 1.0, out=capability)  # rates summing past 1 must not overshoot
        return expo
