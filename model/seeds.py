"""One seed scheme for every command.

A run is a (point, replicate) pair of a root seed. Its seed is drawn from
``SeedSequence(root, spawn_key=(point, replicate))`` and from nothing else, so
serial, parallel and Dask runs give the same numbers in any order. A plain
``spread run X --seed S`` (and ``spread trusts``, and every arm of ``spread
compare``) is point 0: its replicate i is the same run as replicate i of a
one-point sweep of X with root seed S. With ``scope = "replicate"`` every point
of a sweep uses point 0's streams (common random numbers across points, as
every arm of a what-if comparison does).
"""

from __future__ import annotations

import numpy as np

SCOPES = ("run", "replicate")


def run_seed(root: int, point: int, rep: int, scope: str = "run") -> int:
    """Seed (a non-negative 63-bit integer) of replicate ``rep`` of design point ``point``."""
    if scope not in SCOPES:
        raise ValueError(f"seed scope {scope!r}: allowed is one of {', '.join(SCOPES)}")
    key = (0 if scope == "replicate" else point, rep)
    state = np.random.SeedSequence(entropy=root, spawn_key=key).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & (2**63 - 1)


def replicate_seeds(root: int, reps: int) -> list[int]:
    """Seeds of replicates 0..reps-1 of a single scenario (point 0 of the root seed).

    Replicate i gets the same seed whatever the number of replicates or
    processes, and the same seed in every arm of a comparison (common random
    numbers).
    """
    return [run_seed(root, 0, i) for i in range(reps)]
