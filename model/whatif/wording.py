"""Plain English for policy readers: one sentence per what-if, numbers as a reader says them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from model.params import Params
    from model.whatif.files import WhatIf


def signed(x: float, nd: int = 1) -> str:
    """+1.2 / -0.4 / 0 (never '-0.0')."""
    return "0" if round(x, nd) == 0 else f"{x:+.{nd}f}"


def pct(x: float) -> str:
    """A percentage for prose: whole numbers, one decimal below 1% (but 0%, not 0.0%)."""
    if x == 0 or round(x, 1) == 0:
        return "0%"
    return f"{x:.1f}%" if abs(x) < 1 else f"{x:.0f}%"


def sized_label(params: Params) -> str:
    """The trust's name with its size: 'Leeds Teaching Hospitals (600-staff teaching version)' for a
    teaching scenario (its culture at a classroom's size, not the trust's), '... (20,000 staff)' otherwise."""
    staff = params.organisation.staff
    size = f"{staff:,}-staff teaching version" if params.trust.name.endswith("-teaching") else f"{staff:,} staff"
    label = params.trust.label
    if label.endswith(")"):  # 'Surrey and Sussex (SASH)' -> 'Surrey and Sussex (SASH; 3,500 staff)'
        return f"{label[:-1]}; {size})"
    return f"{label} ({size})"


def _num(x: float, unit: str) -> str:
    return pct(x) if unit == "%" else f"{x:.2f}"


def _clear(row: dict) -> str:
    """'up', 'down' or 'unclear' from the interval."""
    if row["ci_low"] > 0:
        return "up"
    if row["ci_high"] < 0:
        return "down"
    return "unclear"


def sentence(trust_label: str, wi: WhatIf, rows: list[dict], effective: Mapping[str, Any]) -> str:
    """One plain-English sentence (two at most) about a what-if in a trust."""
    by = {r["outcome"]: r for r in rows}
    title = wi.title[0].lower() + wi.title[1:] if wi.title else wi.name
    n = by["trustwide"]["reps"]
    if not effective:
        return (f"In {trust_label}, {title} changes nothing: the trust already meets every level it sets, "
                f"so results are identical to the baseline ({n} paired runs).")
    if all(r["changed_reps"] == 0 for r in rows):
        return (f"In {trust_label}, {title} makes no difference in any of {n} paired runs: what it changes "
                f"does not act in this trust (chance of trust-wide spread stays {_num(by['trustwide']['baseline_mean'], '%')}, "
                f"reach beyond the pilots {pct(by['reach_final']['baseline_mean'])}).")
    tw, rc, lt = by["trustwide"], by["reach_final"], by["lead_time_change_rest_final"]
    parts = [f"In {trust_label}, with {title}, the chance that gains spread trust-wide "]
    ci = f"(95% interval {signed(tw['ci_low'], 0)} to {signed(tw['ci_high'], 0)} points)"
    b0, b1 = _num(tw['baseline_mean'], '%'), _num(tw['what_if_mean'], '%')
    if tw["changed_reps"] == 0:
        parts.append(f"stays at {b0} in all {n} paired runs {ci}")
    else:
        how = {"up": "rises", "down": "falls", "unclear": "goes"}[_clear(tw)]
        extra = ", not a clear change" if _clear(tw) == "unclear" else ""
        parts.append(f"{how} from {b0} to {b1} {ci}{extra}")
    direction = _clear(rc)
    if rc["changed_reps"] == 0:
        parts.append(f"; reach beyond the pilots stays at {pct(rc['baseline_mean'])} in every run")
    elif direction == "unclear":
        parts.append(f"; reach beyond the pilots shows no clear change ({signed(rc['difference'])} points, "
                     f"95% interval {signed(rc['ci_low'])} to {signed(rc['ci_high'])})")
    else:
        parts.append(f"; reach beyond the pilots {'rises' if direction == 'up' else 'falls'} from "
                     f"{pct(rc['baseline_mean'])} to {pct(rc['what_if_mean'])} ({signed(rc['difference'])} points, "
                     f"95% interval {signed(rc['ci_low'])} to {signed(rc['ci_high'])})")
    d = _clear(lt) if abs(lt["difference"]) >= 0.05 else "unclear"
    if d == "down":
        parts.append(f", and lead time outside the pilots falls a further {abs(lt['difference']):.1f} points")
    elif d == "up":
        parts.append(f", but lead time outside the pilots rises by {lt['difference']:.1f} points")
    parts.append(".")
    return "".join(parts)


