"""Staff as Mesa agents: thin views onto the model's arrays.

The weekly update is whole-array work in ``TrustModel.step``; a
``StaffAgent`` holds only its index, so ``model.agents``, ``AgentSet.select``,
``agg`` and ``groupby`` and the visualiser see exactly the people the fast
path updates.
"""

from __future__ import annotations

import mesa

from .processes.exchange import CAPABLE_LEVEL
from .organisation import ROLE_NAMES


class StaffAgent(mesa.Agent):
    """One member of staff (a post: a replacement keeps the agent, resets the state)."""

    def __init__(self, model, idx: int):
        super().__init__(model)
        self.idx = idx

    @property
    def capability(self) -> float:
        """Improvement capability (skill), 0 to 1."""
        return float(self.model.capability[self.idx])

    @property
    def practising(self) -> bool:
        """Whether this person practises the improvement method in daily work."""
        return bool(self.model.practising[self.idx])

    @property
    def tenure(self) -> int:
        """Weeks in post (a replacement starts at 0)."""
        return int(self.model.tenure[self.idx])

    @property
    def unit(self) -> int:
        """Index of the unit (ward, clinic, theatre) the post belongs to."""
        return int(self.model.org.unit_of[self.idx])

    @property
    def directorate(self) -> int:
        """Index of the unit's directorate."""
        return int(self.model.org.unit_directorate[self.unit])

    @property
    def role(self) -> str:
        """Role name: frontline, unit or directorate manager, executive or chief executive."""
        return ROLE_NAMES[self.model.org.role[self.idx]]

    @property
    def pilot(self) -> bool:
        """Whether the post is in a pilot (value-stream) unit."""
        return bool(self.model.org.staff_pilot[self.idx])

    @property
    def state(self) -> str:
        """'practising', 'capable' (skilled, not practising) or 'not practising'."""
        if self.practising:
            return "practising"
        return "capable" if self.capability >= CAPABLE_LEVEL else "not practising"

    def step(self) -> None:
        """Nothing: the model updates everyone at once, as whole arrays."""

