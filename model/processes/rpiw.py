"""Process 3, rapid process improvement workshops in the pilot pathways.

Each pathway runs ``count`` RPIWs, one every ``interval_weeks``, its first at
``start_week + k x stagger_weeks`` (value streams start at different times).
An RPIW trains ``trainees`` of the pathway's staff (capability up to
``trained_capability``, practice on; people not yet practising first) and
removes ``waste_cut x focus(t)`` of each pathway unit's *remaining*
removable waste, so gains saturate at the cap ``max_waste_share`` applied in
``performance``. Focus moves from ``focus`` to ``focus_final`` over
``focus_ramp_weeks`` from the first RPIW: a target as broad as "the first 24
hours" yields little until it is narrowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..organisation import Organisation
from ..schema import F, Field

if TYPE_CHECKING:
    from ..params import Params  # for annotations: model.params gathers PARAMS from here


#: This process's parameters, the "rpiw" section of the tree (``model.params`` gathers every
#: process's ``PARAMS``). The rollout trains its cohorts to ``rpiw.trained_capability`` too.
PARAMS: dict[str, Field] = {
    "rpiw.start_week": F(13, "int", "week", "week of the first RPIW (after the measurement baseline)", 0, 2000),
    "rpiw.stagger_weeks": F(8, "int", "weeks", "delay between the starts of successive value streams", 0, 260),
    "rpiw.interval_weeks": F(13, "int", "weeks", "weeks between RPIWs in one pathway (about one a quarter)", 1, 260),
    "rpiw.count": F(12, "int", "per pathway", "RPIWs per pathway over the programme", 0, 200),
    "rpiw.trainees": F(6, "int", "people", "staff each RPIW trains", 0, 100),
    "rpiw.trained_capability": F(0.8, "float", "0..1", "capability of an RPIW trainee", 0, 1),
    "rpiw.waste_cut": F(0.25, "float", "share", "share of remaining removable waste one fully focused RPIW removes", 0, 1),
    "rpiw.focus": F(0.9, "float", "0..1", "focus of the target at the start", 0, 1),
    "rpiw.focus_final": F(0.9, "float", "0..1", "focus once narrowed", 0, 1),
    "rpiw.focus_ramp_weeks": F(0, "int", "weeks", "weeks over which focus moves from start to final", 0, 2000),
}


class Workshops:
    """Rapid process improvement workshops on each pilot pathway's schedule."""

    def __init__(self, params: Params, org: Organisation, weeks: int):
        r = params.rpiw
        self.params = r
        self.org = org
        first = r.start_week + np.arange(len(org.pathway_units)) * r.stagger_weeks
        self.first_week = first
        schedule: dict[int, list[int]] = {}
        for p, f in enumerate(first):
            for k in range(r.count):
                w = int(f + k * r.interval_weeks)
                if 0 < w <= weeks:
                    schedule.setdefault(w, []).append(p)
        self.schedule = schedule
        self.staff = [
            np.concatenate([np.arange(org.unit_start[u], org.unit_start[u] + org.unit_size[u]) for u in units])
            for units in org.pathway_units
        ]

    def focus(self, week: int) -> float:
        """How focused the target is in ``week`` (it can narrow over time, ``focus_ramp_weeks``)."""
        r = self.params
        if r.focus_ramp_weeks <= 0:
            return r.focus
        frac = np.clip((week - r.start_week) / r.focus_ramp_weeks, 0.0, 1.0)
        return float(r.focus + (r.focus_final - r.focus) * frac)

    def step(self, model: Any, week: int) -> list:
        """This week's RPIWs; each one is an event."""
        held = self.update(week, model.capability, model.practising, model.gain, model.streams["rpiw"])
        return [(week, "rpiw", f"RPIW in pathway {p + 1}") for p in held]

    def update(self, week: int, capability: np.ndarray, practising: np.ndarray,
               gain: np.ndarray, rng: np.random.Generator) -> list[int]:
        """Run this week's RPIWs; return the pathways that held one."""
        held = self.schedule.get(week, [])
        r = self.params
        for p in held:
            staff = self.staff[p]
            # people not practising first, then at random
            keys = rng.random(staff.size) + practising[staff]
            chosen = staff[np.argsort(keys, kind="stable")[: r.trainees]]
            capability[chosen] = np.maximum(capability[chosen], r.trained_capability)
            practising[chosen] = True
            units = self.org.pathway_units[p]
            gain[units] += r.waste_cut * self.focus(week) * (1.0 - gain[units])
        return held
