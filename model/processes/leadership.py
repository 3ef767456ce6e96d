"""Process 1, leadership: the executive team's attention to the programme.

attention(t) = commitment(t) x (1 - pressure(t) x (1 - integration)) x sighted(t)

- commitment(t) is the sitting chief executive's; a change (scheduled in the
  scenario, or at the scenario's explicit hazard) draws a new one;
- pressure(t) is the competing priority (turnaround, special measures) from
  the scenario's windows; integration in one strategy shields improvement;
- sighted(t) is ``not_sighted_factor`` for ``transition_weeks`` after a
  change (the board "not particularly sighted" on the programme), else 1.
Nothing here depends on the staff, so the whole series is drawn up front
from the leadership stream with a fixed number of draws (common random
numbers: two runs that differ in one setting see the same hazard draws).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..schema import F, Field

if TYPE_CHECKING:
    from ..params import Params  # for annotations: model.params gathers PARAMS from here


#: This process's parameters, the "leadership" section of the tree: ``model.params``
#: gathers every process's ``PARAMS`` (defaults are the baseline scenario).
PARAMS: dict[str, Field] = {
    "leadership.commitment": F(0.7, "float", "0..1", "the executive team's commitment to the programme", 0, 1),
    "leadership.integration": F(0.5, "float", "0..1", "how far improvement is integrated in one strategy with competing priorities", 0, 1),
    "leadership.ceo_changes": F([], "int_list", "weeks", "scheduled chief-executive changes (week numbers)", 0, 2000),
    "leadership.ceo_hazard_annual": F(0.0, "float", "per year", "extra random chief-executive change hazard (median NHS tenure ~3 years -> 0.23)", 0, 2),
    "leadership.successor_commitment": F(0.5, "float", "0..1", "mean commitment a new chief executive brings", 0, 1),
    "leadership.successor_commitment_sd": F(0.15, "float", "0..1", "spread of a new chief executive's commitment", 0, 1),
    "leadership.transition_weeks": F(26, "int", "weeks", "months after a change in which the board is 'not sighted'", 0, 260),
    "leadership.not_sighted_factor": F(0.3, "float", "0..1", "attention multiplier during a transition", 0, 1),
    "leadership.pressure": F([], "windows", "", "competing-priority windows (turnaround, special measures)"),
}


class Leadership:
    """Commitment, competing pressure and chief-executive changes, drawn for the whole run at the start."""

    outputs = ("attention", "commitment", "pressure")

    def __init__(self, params: Params, weeks: int, rng: np.random.Generator):
        L = params.leadership
        self.weeks = weeks
        weekly_hazard = 1.0 - np.exp(-L.ceo_hazard_annual / 52.0)
        u = rng.random(weeks + 1)  # fixed count whatever the hazard
        successors = np.clip(rng.normal(L.successor_commitment, L.successor_commitment_sd, weeks + 1), 0.0, 1.0)
        random_changes = np.flatnonzero(u[1:] < weekly_hazard) + 1
        scheduled = [w for w in L.ceo_changes if 0 < w <= weeks]
        self.change_weeks = np.array(sorted(set(scheduled) | set(random_changes.tolist())), dtype=np.int64)

        t = np.arange(weeks + 1)
        commitment = np.full(weeks + 1, L.commitment)
        sighted = np.ones(weeks + 1)
        for k, w in enumerate(self.change_weeks):
            commitment[w:] = successors[k]
            sighted[w: w + L.transition_weeks] = L.not_sighted_factor
        pressure = np.zeros(weeks + 1)
        for win in L.pressure:
            mask = (t >= win["start"]) & (t < win["end"])
            pressure[mask] = np.maximum(pressure[mask], win["level"])
        self.commitment = commitment
        self.pressure = pressure
        self.sighted = sighted
        self.attention = commitment * (1.0 - pressure * (1.0 - L.integration)) * sighted
        self._changes = set(self.change_weeks.tolist())

    @classmethod
    def over(cls, parts: Sequence[Leadership]) -> Leadership:
        """The replicates' own leadership as one over a leading replicate axis (model/batch.py): their series
        stacked (B, weeks + 1) for ``record`` and the batch's attention, their change weeks joined. Each
        replicate's own ``step`` still gives its events."""
        joined = copy.copy(parts[0])
        for name in ("commitment", "pressure", "sighted", "attention"):
            setattr(joined, name, np.stack([getattr(p, name) for p in parts]))
        joined.change_weeks = np.unique(np.concatenate([p.change_weeks for p in parts]))
        joined._changes = set(joined.change_weeks.tolist())
        return joined

    def update(self, week: int) -> float:
        """The executive team's attention in ``week``."""
        return float(self.attention[min(week, self.weeks)])

    def step(self, model: Any, week: int) -> list:
        """Set the model's attention for the week; a chief-executive change is an event."""
        model.attention = self.update(week)
        if week in self._changes:
            return [(week, "ceo_change", f"new chief executive (commitment {self.commitment[week]:.2f})")]
        return []

    def record(self, model: Any, week: int, history: dict) -> None:
        """Attention, commitment and competing pressure this week (per replicate for a batch's)."""
        history["attention"][..., week] = self.attention[..., week]
        history["commitment"][..., week] = self.commitment[..., week]
        history["pressure"][..., week] = self.pressure[..., week]
