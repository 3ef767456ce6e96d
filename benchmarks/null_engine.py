"""The real parameter tree with a simulate that does no work: measures the sweep runner alone."""

import pandas as pd

from model.params import ParameterError, load_scenario  # noqa: F401


class _Result:
    __slots__ = ("summary", "weekly")

    def __init__(self, summary, weekly):
        self.summary, self.weekly = summary, weekly


_WEEKLY = pd.DataFrame({"week": range(260), "adoption_trust": 0.0})


def simulate(params, seed, weeks=None):
    return _Result({"regime": "local", "reach_final": (seed % 1000) / 1000.0, "sustainment": 1.0}, _WEEKLY)
