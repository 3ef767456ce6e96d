"""What the three classroom exercises in docs/teaching.md should show, without a browser.

    .venv/bin/python benchmarks/teaching_exercises.py [--seeds 5] [--week 156]

Runs every setting the exercises ask for on the 600-staff teaching trusts and
prints the mean over seeds 1..N at the given week: share practising in pilot
units and in the rest, reach, pilot lead-time change, chief-executive changes.
Run it before class: the model's calibration may have moved the numbers
quoted in docs/teaching.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model.params import load_scenario  # noqa: E402
from model.trust import TrustModel  # noqa: E402

NETWORK = {"network.cross_unit_ties": 2.5, "network.reciprocity": 0.7, "forums.ties_per_person_annual": 1.0}
MANAGERS = {"managers.alignment": 0.9, "managers.involvement": 0.4}
LEADERS = {"leadership.commitment": 0.9}

EXERCISES = [
    ("1", "sash-teaching", {}),
    ("1", "bhr-teaching", {}),
    ("2", "baseline-teaching", {}),
    ("2", "baseline-teaching", {"network.cross_unit_ties": 3.0}),
    ("2", "baseline-teaching", {"network.reciprocity": 0.9}),
    ("2", "baseline-teaching", {"forums.ties_per_person_annual": 2.0}),
    ("2", "baseline-teaching", {"managers.involvement": 0.8}),
    ("2", "baseline-teaching", {"managers.alignment": 0.9}),
    ("2", "baseline-teaching", {"leadership.commitment": 0.9}),
    ("2", "baseline-teaching", NETWORK),
    ("2", "baseline-teaching", {**MANAGERS, **LEADERS}),
    ("2", "baseline-teaching", {**NETWORK, **MANAGERS}),
    ("2", "baseline-teaching", {**NETWORK, **MANAGERS, **LEADERS}),
    ("3", "sash-teaching", {"managers.alignment": 0.3}),
    ("3", "sash-teaching", {"forums.ties_per_person_annual": 0.0}),
    ("3", "sash-teaching", {"network.reciprocity": 0.3}),
]


def run(name: str, overrides: dict, seeds: int, week: int) -> np.ndarray:
    rows = []
    for seed in range(1, seeds + 1):
        params = load_scenario(name)
        if overrides:
            params = params.with_values(overrides)
        m = TrustModel(params, rng=seed)
        for _ in range(week):
            m.step()
        h, t = m.history, m.week
        rows.append((h["adoption_pilot"][t], h["adoption_rest"][t], h["reach"][t], h["lead_time_change_pilot"][t],
                     sum(1 for e in m.events if e[1] == "ceo_change")))
    return np.mean(rows, axis=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--week", type=int, default=156)
    args = ap.parse_args()
    print(f"mean of seeds 1-{args.seeds} at week {args.week}")
    print(f"{'ex':2s} {'scenario':18s} {'pilots':>6s} {'rest':>5s} {'reach':>5s} {'lead t':>6s} {'CEOs':>4s}  levers")
    for ex, name, ov in EXERCISES:
        p, r, reach, lt, ceo = run(name, ov, args.seeds, args.week)
        levers = ", ".join(f"{k.split('.')[1]}={v:g}" for k, v in ov.items()) or "(as bundled)"
        print(f"{ex:2s} {name:18s} {p:6.0%} {r:5.0%} {reach:5.0%} {lt:+6.0%} {ceo:4.1f}  {levers}")


if __name__ == "__main__":
    main()
