"""The programme's levers as sidebar controls: shared by the teaching page and the what-if page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


def _ceo_weeks(n: float) -> list[int]:
    """n chief-executive changes spread evenly over the five years."""
    n = int(round(n))
    return [round(260 * (k + 1) / (n + 1)) for k in range(n)]


def _pressure_windows(level: float) -> list[dict]:
    """A competing priority (turnaround, special measures) from year 2 to the end."""
    level = round(float(level), 2)
    return [{"start": 104, "end": 2000, "level": level}] if level > 0 else []


def _pressure_level(windows: list[dict]) -> float:
    return max((w["level"] for w in windows), default=0.0)


@dataclass(frozen=True)
class Lever:
    """One sidebar control: the parameter it sets, its label, range and how it maps to parameters."""

    key: str
    label: str
    lo: float
    hi: float
    step: float
    #: slider position from the parameter's value, and back (plain numbers by default)
    read: Callable[[Any], float] = float
    write: Callable[[float], Any] = lambda v: round(v, 4)


#: Sliders for the programme's levers (ranges within the model's allowed ones).
LEVERS: tuple[Lever, ...] = (
    Lever("leadership.commitment", "Executive commitment", 0.0, 1.0, 0.05),
    Lever("leadership.ceo_changes", "Chief-executive changes in 5 years", 0, 4, 1, read=len, write=_ceo_weeks),
    Lever("leadership.pressure", "Competing pressure from year 2", 0.0, 1.0, 0.05,
          read=_pressure_level, write=_pressure_windows),
    Lever("leadership.integration", "Integration with other priorities", 0.0, 1.0, 0.05),
    Lever("managers.alignment", "Managers' objectives aligned", 0.0, 1.0, 0.05),
    Lever("managers.base_support", "Middle-manager support (base)", 0.0, 1.0, 0.05),
    Lever("managers.involvement", "Non-pilot managers involved", 0.0, 1.0, 0.05),
    Lever("network.ties_per_person", "Ties per person inside units", 0.0, 12.0, 0.5),
    Lever("network.cross_unit_ties", "Cross-unit ties per person", 0.0, 6.0, 0.25),
    Lever("network.reciprocity", "Reciprocity of ties", 0.0, 1.0, 0.05),
    Lever("forums.ties_per_person_annual", "Peer-forum ties per person per year", 0.0, 4.0, 0.25),
    Lever("exchange.threshold", "Adoption threshold", 0.05, 0.6, 0.01),
    Lever("sustain.support_weight", "Weight of manager support in sustaining", 0.0, 1.0, 0.05),
    Lever("sustain.recognition_weight", "Weight of recognition in sustaining", 0.0, 1.0, 0.05),
    Lever("turnover.staff_annual", "Staff turnover per year", 0.0, 0.4, 0.01),
)
