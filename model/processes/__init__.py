"""The seven weekly processes, one module each, in the order the trust model runs them each week.

1. ``leadership``: the executive team's attention (commitment, competing
   pressure, chief-executive changes and their transitions);
2. ``support``: each unit's manager support moving towards its target
   (attention x alignment x (base + involvement + recognition));
3. ``rpiw``: rapid process improvement workshops in the pilot pathways;
4. ``exchange``: peer exchange of the practice on the live network;
5. ``sustain``: practitioners sustaining or abandoning the practice;
6. ``turnover``: leavers, their replacements, peer-learning forums;
7. ``performance``: lead times, measurement at a scope, detection.

The schedule itself is ``model.trust.TrustModel.schedule``; docs/ODD.md
section 3 describes each process.

Every process module declares its own parameters, ``PARAMS: dict[str, Field]``
(its section(s) of the tree, with unit, range, meaning and source;
``model.params`` gathers them from ``MODULES`` below), and its process is a
class that reads them from the tree, holds its own state, and offers:

* ``update(...)``: the mechanism itself, on whole arrays passed in (what its
  unit tests call);
* ``step(model, week) -> list[Event]``: the schedule's call, which takes the
  arrays it needs from the model, updates them and returns what happened
  (chief-executive changes, RPIWs, detections) for the event log;
* optionally ``outputs`` (names of weekly series) and ``record(model, week,
  history)``, which writes them: the trust model only gathers them.

Adding a mechanism is a new module here, its line in ``MODULES`` and one line
in the schedule (worked example: docs/ODD.md, "Adding a mechanism").
"""

from __future__ import annotations

from typing import Any, Protocol

from . import exchange, leadership, performance, rollout, rpiw, support, sustain, turnover

#: (week, kind, text): one line of the model's event log.
Event = tuple[int, str, str]


class Process(Protocol):
    """What the weekly schedule calls."""

    def step(self, model: Any, week: int) -> list[Event]:
        """Apply this week's mechanism to ``model``'s state; return its events."""
        ...


#: The process modules in schedule order. ``model.params`` gathers their
#: ``PARAMS`` in this order (so it is the parameter tree's order too); the
#: schedule itself is ``TrustModel.schedule`` in ``model/trust.py``, one
#: instance of each of these, and tests/test_schema.py checks that the two
#: lists agree.
MODULES = (leadership, support, rpiw, rollout, exchange, sustain, turnover, performance)
