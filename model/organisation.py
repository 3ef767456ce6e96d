"""The trust as an organisation: units in directorates, roles, pilot pathways.

Staff are numbered so that each unit is a contiguous block of ids and each
directorate a contiguous block of units; the executive team is the last
block ("board" unit, in no directorate). Contiguity lets every per-unit
aggregate be a ``bincount`` and every "someone in this directorate" draw be
one integer draw in a range.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .params import Params  # for annotations: model.params imports the processes, which import this


FRONTLINE, UNIT_MANAGER, DIRECTORATE_MANAGER, EXECUTIVE, CHIEF_EXECUTIVE = range(5)
ROLE_NAMES = ("frontline", "unit manager", "directorate manager", "executive", "chief executive")


@dataclass(frozen=True)
class Organisation:
    """The trust's fixed structure: who is in which unit with which role, units in directorates, pilot pathways.

    Per-person arrays have length N (staff), per-unit ones length U (units,
    the board unit last), per-directorate ones length D; the comments on the
    fields say what each holds.
    """

    n_staff: int
    n_units: int  # including the board unit (the last)
    n_directorates: int
    unit_of: np.ndarray  # (N,) unit index per person
    role: np.ndarray  # (N,) role code
    unit_start: np.ndarray  # (U,) first person of each unit
    unit_size: np.ndarray  # (U,)
    unit_directorate: np.ndarray  # (U,) directorate, -1 for the board
    unit_pathway: np.ndarray  # (U,) pathway index, -1 if not a pilot unit
    unit_manager: np.ndarray  # (U,) person id of the unit's manager
    directorate_manager: np.ndarray  # (D,) person id
    directorate_units: tuple[np.ndarray, ...]  # (D,) unit ids per directorate
    pathway_units: tuple[np.ndarray, ...]  # (P,) unit ids per pathway
    board_unit: int
    chief_executive: int

    @property
    def unit_pilot(self) -> np.ndarray:
        """Per unit: True if the unit is in a pilot pathway."""
        return self.unit_pathway >= 0

    @property
    def staff_pilot(self) -> np.ndarray:
        """Per person: True if the person works in a pilot unit."""
        return self.unit_pilot[self.unit_of]

    @property
    def clinical_units(self) -> np.ndarray:
        """Unit ids of wards/clinics/theatres (everything but the board)."""
        return np.arange(self.n_units - 1)

    @cached_property
    def is_manager(self) -> np.ndarray:
        """Unit and directorate managers (roles never change: computed once, read-only)."""
        out = (self.role == UNIT_MANAGER) | (self.role == DIRECTORATE_MANAGER)
        out.flags.writeable = False
        return out


def _unit_sizes(total: int, mean: float, lo: int, hi: int, rng: np.random.Generator) -> np.ndarray:
    n_units = max(1, round(total / mean))
    sizes = rng.uniform(lo, hi, n_units)
    sizes = sizes * (total / sizes.sum())
    sizes = np.clip(np.round(sizes), max(1, min(lo, total)), max(hi, 1)).astype(np.int64)
    # Fix the rounding remainder one person at a time, respecting the bounds
    # where possible (vectorised in blocks so it is quick at any size).
    diff = total - int(sizes.sum())
    while diff != 0:
        step = 1 if diff > 0 else -1
        ok = np.flatnonzero(sizes < hi) if step > 0 else np.flatnonzero(sizes > max(lo, 1))
        if ok.size == 0:
            ok = np.arange(n_units) if step > 0 else np.flatnonzero(sizes > 1)
        pick = rng.choice(ok, size=min(abs(diff), ok.size), replace=False)
        sizes[pick] += step
        diff = total - int(sizes.sum())
    return sizes


def pilot_pathways(directorate_units: tuple[np.ndarray, ...], n_units: int, pathways: int,
                   units_per_pathway: int) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Pilot pathways: per unit its pathway (-1 none), and per pathway its units.

    Each pathway spans ``units_per_pathway`` adjacent units of one
    directorate; pathways go round the directorates so that value streams
    sit in different ones. ValueError if the directorates cannot hold them
    (parameter validation excludes that for a generated trust)."""
    d = len(directorate_units)
    unit_pathway = np.full(n_units, -1, dtype=np.int64)
    chosen_units = []
    next_free = [0] * d
    for p in range(pathways):
        # Choose the directorate with room, going round from p.
        for k in range(d):
            dd = (p + k) % d
            units = directorate_units[dd]
            if next_free[dd] + units_per_pathway <= units.size:
                break
        else:
            raise ValueError("not enough units for the pathways")
        chosen = units[next_free[dd]: next_free[dd] + units_per_pathway]
        next_free[dd] += units_per_pathway
        unit_pathway[chosen] = p
        chosen_units.append(chosen)
    return unit_pathway, tuple(chosen_units)


def build_organisation(params: Params, rng: np.random.Generator) -> Organisation:
    """Units, directorates, roles and pilot pathways for one trust."""
    o = params.organisation
    n = o.staff
    n_exec = o.executive_team
    sizes = _unit_sizes(n - n_exec, o.unit_size_mean, o.unit_size_min, o.unit_size_max, rng)
    n_clin = sizes.size
    d = min(o.directorates, n_clin)
    # Directorates take contiguous blocks of units of near-equal count.
    unit_directorate = np.repeat(np.arange(d), np.diff(np.linspace(0, n_clin, d + 1).round().astype(int)))
    unit_size = np.append(sizes, n_exec)
    unit_directorate = np.append(unit_directorate, -1)
    unit_start = np.concatenate([[0], np.cumsum(unit_size)[:-1]])
    n_units = n_clin + 1
    unit_of = np.repeat(np.arange(n_units), unit_size)

    role = np.full(n, FRONTLINE, dtype=np.int8)
    unit_manager = unit_start.copy()  # first post of each unit
    role[unit_manager[:-1]] = UNIT_MANAGER
    directorate_units = tuple(np.flatnonzero(unit_directorate == k) for k in range(d))
    # The directorate's hybrid clinician-manager sits in its first unit, second post.
    directorate_manager = np.array([unit_start[u[0]] + min(1, unit_size[u[0]] - 1) for u in directorate_units])
    role[directorate_manager] = DIRECTORATE_MANAGER
    board = n_units - 1
    role[unit_start[board]:] = EXECUTIVE
    chief = int(unit_start[board])
    role[chief] = CHIEF_EXECUTIVE
    unit_manager[board] = chief

    unit_pathway, pathway_units = pilot_pathways(directorate_units, n_units, o.pathways, o.units_per_pathway)

    return Organisation(
        n_staff=n, n_units=n_units, n_directorates=d, unit_of=unit_of, role=role,
        unit_start=unit_start, unit_size=unit_size, unit_directorate=unit_directorate,
        unit_pathway=unit_pathway, unit_manager=unit_manager,
        directorate_manager=directorate_manager, directorate_units=directorate_units,
        pathway_units=pathway_units, board_unit=board, chief_executive=chief,
    )
