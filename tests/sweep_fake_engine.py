"""A tiny stand-in for the trust model, for testing the sweep machinery.

It honours the same contract as model.params / model.runner: load_scenario,
ParameterError, params.with_values/get/to_dict, simulate(params, seed, weeks)
returning .summary (flat scalars) and .weekly (one row per week). Knobs under
`test.` make runs slow (test.sleep seconds) or raise (test.explode).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

BASE = {
    "trust": {"size": 100, "name": "fake"},
    "leadership": {"commitment": 0.5, "ceo_changes": 1},
    "network": {"reciprocity": 0.5, "connectedness": 0.5},
    "turnover": {"annual_rate": 0.12},
    "schedule": {"windows": [[10, 20]]},
    "test": {"sleep": 0.0, "explode": False, "explode_above": 2.0},
    "weeks": 52,
}
RANGES = {
    "leadership.commitment": (0.0, 1.0),
    "network.reciprocity": (0.0, 1.0),
    "network.connectedness": (0.0, 1.0),
    "turnover.annual_rate": (0.0, 1.0),
    "leadership.ceo_changes": (0, 10),
    "trust.size": (10, 100000),
}
SCENARIOS = {"alpha": {}, "beta": {"leadership": {"commitment": 0.9}, "network": {"reciprocity": 0.8}}}


class ParameterError(ValueError):
    pass


def _get(tree, key):
    node = tree
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ParameterError(f"unknown parameter {key!r}")
        node = node[part]
    return node


class Params:
    def __init__(self, tree):
        self._tree = tree

    def get(self, key):
        return copy.deepcopy(_get(self._tree, key))

    def to_dict(self):
        return copy.deepcopy(self._tree)

    def with_values(self, values):
        tree = copy.deepcopy(self._tree)
        for key, v in values.items():
            old = _get(tree, key)
            if isinstance(old, bool) != isinstance(v, bool) or (isinstance(old, (int, float)) and not isinstance(v, (int, float))):
                raise ParameterError(f"{key}: expected {type(old).__name__}, got {v!r}")
            if isinstance(old, int) and not isinstance(old, bool) and not isinstance(v, int):
                raise ParameterError(f"{key}: expected an integer, got {v!r}")
            if key in RANGES:
                lo, hi = RANGES[key]
                if not lo <= v <= hi:
                    raise ParameterError(f"{key} = {v!r} outside [{lo}, {hi}]")
            parts = key.split(".")
            node = tree
            for part in parts[:-1]:
                node = node[part]
            node[parts[-1]] = v
        return Params(tree)


def _merge(a, b):
    out = copy.deepcopy(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) else v
    return out


def load_scenario(name, overrides=None):
    if name not in SCENARIOS:
        raise ParameterError(f"no scenario {name!r} (have: {', '.join(SCENARIOS)})")
    p = Params(_merge(BASE, SCENARIOS[name]))
    vals = {}
    for o in overrides or []:
        k, v = o.split("=", 1)
        vals[k] = type(p.get(k))(v)
    return p.with_values(vals) if vals else p


@dataclass
class Result:
    summary: dict
    weekly: pd.DataFrame


def simulate(params, seed, weeks=None):
    weeks = weeks or params.get("weeks")
    t = params.get("test")
    if t["sleep"]:
        time.sleep(t["sleep"])
    c = params.get("leadership.commitment")
    if t["explode"] or c > t["explode_above"]:
        raise RuntimeError(f"boom at commitment {c}")
    rng = np.random.default_rng(seed)
    r = params.get("network.reciprocity")
    k = params.get("network.connectedness")
    ceo = params.get("leadership.ceo_changes")
    drive = 6 * (0.5 * c + 0.3 * r + 0.2 * k) - 3 - 0.4 * ceo + rng.normal(0, 0.5)
    reach = float(1 / (1 + np.exp(-drive)))
    w = np.arange(weeks)
    adoption = reach * (1 - np.exp(-w / 20.0)) + rng.normal(0, 0.01, weeks)
    regime = "trust-wide" if reach > 0.6 else ("partial" if reach > 0.3 else "local")
    summary = {
        "regime": regime,
        "reach_final": reach,
        "adoption_trust_final": float(adoption[-1]),
        "lead_time_change_pilot": float(-0.3 + rng.normal(0, 0.02)),
        "detected_52w_share": float(rng.integers(0, 5) / 4),
        "weeks_to_reach": None if reach < 0.5 else int(rng.integers(10, 100)),
    }
    weekly = pd.DataFrame({"week": w, "adoption_trust": adoption, "reach": np.minimum(adoption, 1.0)})
    return Result(summary, weekly)
