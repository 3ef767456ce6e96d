"""The visualiser's pictures, as SVG strings drawn straight from the model's arrays.

Pure functions of a ``TrustModel`` (no Solara here), so they are testable and
timeable without a browser.  Hand-made SVG keeps one step plus a redraw of
every view within a few milliseconds on the server (matplotlib needed about
200 ms for the charts alone), and the browser draws it natively, offline.

* ``OrgLayout`` -- positions of every person, laid out by organisation
  (directorates in columns, units as discs, the executive team on top),
  computed once per model; no force-directed layout.
* ``network_edges_svg`` / ``network_nodes_svg`` -- the network view in two
  stacked layers: the arcs change only when turnover or forums switch arcs,
  the people's colours every week.
* ``unit_tiles_svg`` -- one tile per unit, coloured by adoption.
* ``line_chart_svg`` / ``charts`` -- the weekly series.
* ``timeline_svg`` -- the programme's events along the weeks.
* ``network_reading`` -- one line saying what the network statistics imply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

import numpy as np

from model.processes.exchange import CAPABLE_LEVEL
from model.organisation import EXECUTIVE, FRONTLINE

if TYPE_CHECKING:
    from model.organisation import Organisation
    from model.trust import TrustModel

# Colours (colour-blind safe: Okabe-Ito / ColorBrewer).
PRACTISING = "#009e73"
CAPABLE = "#e69f00"
NOT_PRACTISING = "#c9ced6"
PILOT = "#0072b2"
REST = "#d55e00"
INK = "#343a40"
MUTED = "#868e96"
EVENT_COLOURS = {"ceo_change": "#cc3311", "rpiw": "#0072b2", "detected": "#009e73", "missed": "#868e96"}
EVENT_NAMES = {"ceo_change": "new chief executive", "rpiw": "RPIW", "detected": "improvement detected",
               "missed": "not detected after 2 years"}

NET_W, NET_H = 760, 520


def _f(x: float) -> str:
    return f"{x:.1f}"


# -- layout -------------------------------------------------------------------
@dataclass(frozen=True)
class OrgLayout:
    """Where everyone sits in the network view; computed once per model."""

    x: np.ndarray  # (N,)
    y: np.ndarray  # (N,)
    unit_cx: np.ndarray  # (U,)
    unit_cy: np.ndarray  # (U,)
    unit_r: np.ndarray  # (U,)
    directorate_boxes: tuple[tuple[float, float, float, float], ...]  # (x, y, w, h) per directorate
    board_box: tuple[float, float, float, float]
    width: int = NET_W
    height: int = NET_H


def _sunflower(k: int) -> tuple[np.ndarray, np.ndarray]:
    """k points spread evenly over the unit disc (Vogel's spiral)."""
    i = np.arange(k) + 0.5
    r = np.sqrt(i / k)
    th = i * math.pi * (3 - math.sqrt(5))
    return r * np.cos(th), r * np.sin(th)


def org_layout(org: Organisation, width: int = NET_W, height: int = NET_H) -> OrgLayout:
    """Directorates side by side, their units on a grid, staff on a disc per unit.

    The executive team sits in a band along the top.  Managers sit at the
    centre of their unit's disc (each unit's block of ids starts with its
    manager), so the hub of each team is visible.
    """
    n, U, D = org.n_staff, org.n_units, org.n_directorates
    x = np.zeros(n)
    y = np.zeros(n)
    cx = np.zeros(U)
    cy = np.zeros(U)
    rr = np.zeros(U)
    pad = 10.0
    board_h = 70.0
    board_box = (width * 0.3, pad, width * 0.4, board_h - pad)
    col_w = (width - pad) / max(D, 1)
    boxes = []
    top = board_h + pad
    for d, units in enumerate(org.directorate_units):
        bx, by, bw, bh = pad + d * col_w, top, col_w - pad, height - top - pad
        boxes.append((bx, by, bw, bh))
        m = units.size
        cols = max(1, round(math.sqrt(m * bw / bh)))
        rows = math.ceil(m / cols)
        cw, ch = bw / cols, (bh - 14) / rows
        for j, u in enumerate(units):
            r_, c_ = divmod(j, cols)
            cx[u] = bx + (c_ + 0.5) * cw
            cy[u] = by + 14 + (r_ + 0.5) * ch
    cell = min((width - pad) / max(D, 1), height) / 2
    max_size = org.unit_size[:-1].max() if U > 1 else 1
    for d, units in enumerate(org.directorate_units):
        m = units.size
        bx, by, bw, bh = boxes[d]
        cols = max(1, round(math.sqrt(m * bw / bh)))
        rows = math.ceil(m / cols)
        cell = min(bw / cols, (bh - 14) / rows)
        for u in units:
            rr[u] = 0.44 * cell * math.sqrt(org.unit_size[u] / max_size)
    b = org.board_unit
    bx, by, bw, bh = board_box
    cx[b], cy[b] = bx + bw / 2, by + bh / 2
    rr[b] = min(bw, bh) * 0.42
    for u in range(U):
        s, k = org.unit_start[u], org.unit_size[u]
        px, py = _sunflower(int(k))
        if u == b:  # a line of executives, the chief executive (first post) in the middle
            xs = np.linspace(bx + 16, bx + bw - 16, k) if k > 1 else np.array([cx[b]])
            central_first = np.argsort(np.abs(np.arange(k) - (k - 1) / 2), kind="stable")
            x[s:s + k] = xs[central_first]
            y[s:s + k] = cy[b]
        else:
            x[s:s + k] = cx[u] + rr[u] * px
            y[s:s + k] = cy[u] + rr[u] * py
    return OrgLayout(x, y, cx, cy, rr, tuple(boxes), board_box, width, height)


# -- network view ----------------------------------------------------------
def live_arcs(model: TrustModel) -> np.ndarray:
    """Boolean mask of the arcs live this week (the model's own record when it keeps one)."""
    live = getattr(model, "live_arcs", None)
    if callable(live):
        return np.asarray(live())
    live = getattr(getattr(model, "live", None), "live", None)  # TrustModel's LiveNetwork
    if isinstance(live, np.ndarray) and live.shape == model.net.src.shape:
        return live
    return model.net.active(model.week)


def network_edges_svg(model: TrustModel, layout: OrgLayout) -> str:
    """Static layer: directorate boxes, unit outlines (pilots in blue), live arcs."""
    org, net = model.org, model.net
    live = live_arcs(model)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {layout.width} {layout.height}" '
             f'width="100%" style="display:block">']
    for d, (bx, by, bw, bh) in enumerate(layout.directorate_boxes):
        parts.append(f'<rect x="{_f(bx)}" y="{_f(by)}" width="{_f(bw)}" height="{_f(bh)}" rx="6" '
                     f'fill="#f8f9fa" stroke="#dee2e6"/>'
                     f'<text x="{_f(bx + 6)}" y="{_f(by + 11)}" font-size="10" fill="{MUTED}">Directorate {d + 1}</text>')
    bx, by, bw, bh = layout.board_box
    parts.append(f'<rect x="{_f(bx)}" y="{_f(by)}" width="{_f(bw)}" height="{_f(bh)}" rx="6" fill="#f3f0ff" stroke="#d0bfff"/>'
                 f'<text x="{_f(bx + 6)}" y="{_f(by + 11)}" font-size="10" fill="{MUTED}">Executive team</text>')
    for u in org.clinical_units:
        pilot = org.unit_pathway[u] >= 0
        parts.append(f'<circle cx="{_f(layout.unit_cx[u])}" cy="{_f(layout.unit_cy[u])}" r="{_f(layout.unit_r[u] + 4)}" '
                     f'fill="{"#e7f1fa" if pilot else "none"}" stroke="{PILOT if pilot else "#dee2e6"}" '
                     f'stroke-width="{1.6 if pilot else 0.8}"{"" if pilot else " stroke-dasharray=\"2 2\""}/>')
    x, y = layout.x, layout.y
    for cross, colour, opacity in ((False, "#adb5bd", 0.25), (True, "#495057", 0.22)):
        sel = live & (net.cross == cross)
        s, d = net.src[sel], net.dst[sel]
        if s.size:
            xy = np.rint(np.stack([x[s], y[s], x[d], y[d]], axis=1)).astype(np.int32)  # whole pixels: a smaller layer
            path = " ".join(f"M{a} {b}L{c} {e}" for a, b, c, e in xy.tolist())
            parts.append(f'<path d="{path}" stroke="{colour}" stroke-opacity="{opacity}" stroke-width="0.6" fill="none"/>')
    parts.append("</svg>")
    return "".join(parts)


def person_colours(model: TrustModel) -> np.ndarray:
    """A colour per person: practising, capable but not practising, or neither."""
    col = np.full(model.n, NOT_PRACTISING, dtype=object)
    col[model.capability >= CAPABLE_LEVEL] = CAPABLE
    col[model.practising] = PRACTISING
    return col


def network_nodes_svg(model: TrustModel, layout: OrgLayout) -> str:
    """Dynamic layer: one dot per person coloured by state; managers larger."""
    role = model.org.role
    col = person_colours(model)
    r = np.where(role == FRONTLINE, 2.6, 4.2)
    stroke = np.where(role >= EXECUTIVE, "#7048e8", np.where(role != FRONTLINE, INK, "none"))
    xs, ys = np.round(layout.x, 1).tolist(), np.round(layout.y, 1).tolist()
    body = "".join(
        f'<circle cx="{a}" cy="{b}" r="{c}" fill="{d}" stroke="{e}"/>'
        for a, b, c, d, e in zip(xs, ys, r.tolist(), col.tolist(), stroke.tolist())
    )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {layout.width} {layout.height}" width="100%" '
            f'style="display:block" data-view="network" data-week="{model.week}" stroke-width="0.8">{body}</svg>')


# -- unit map tiles -------------------------------------------------------------
def _green(a: float) -> str:
    """White -> green for adoption 0 -> 1."""
    a = min(max(float(a), 0.0), 1.0)
    lo, hi = (248, 249, 250), (0, 122, 85)
    r, g, b = (round(lo[i] + (hi[i] - lo[i]) * a ** 0.7) for i in range(3))
    return f"#{r:02x}{g:02x}{b:02x}"


def unit_tiles_svg(model: TrustModel, width: int = 380, min_tile: float = 40) -> str:
    """One tile per unit, directorates as columns; fill = share practising, blue frame = pilot.

    As many tiles side by side in a directorate's column as fit at ``min_tile``
    wide: a narrow picture gets more, smaller tiles and so stays short."""
    org = model.org
    frame = model.unit_frame()
    D = org.n_directorates
    gap = 6
    col_w = (width - gap * (D + 1)) / D
    per_row = max(1, int((col_w + 4) // (min_tile + 4)))
    tile = (col_w - (per_row - 1) * 4) / per_row
    rows = max(math.ceil(u.size / per_row) for u in org.directorate_units)
    fs = min(13.0, max(9.0, tile * 0.36))  # the percentage, as large as the tile allows
    height = 22 + rows * (tile + 4) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {_f(height)}" width="100%" '
             f'style="display:block" data-view="tiles" data-week="{model.week}" font-family="sans-serif">']
    adoption = dict(zip(frame.unit.tolist(), frame.adoption.tolist()))
    lead = dict(zip(frame.unit.tolist(), frame.lead_time_change.tolist()))
    support = dict(zip(frame.unit.tolist(), frame.manager_support.tolist()))
    for d, units in enumerate(org.directorate_units):
        x0 = gap + d * (col_w + gap)
        parts.append(f'<text x="{_f(x0)}" y="12" font-size="10" fill="{MUTED}">Directorate {d + 1}</text>')
        for j, u in enumerate(units.tolist()):
            r_, c_ = divmod(j, per_row)
            tx, ty = x0 + c_ * (tile + 4), 18 + r_ * (tile + 4)
            a = adoption[u]
            pilot = org.unit_pathway[u] >= 0
            txt = "#fff" if a > 0.55 else INK
            parts.append(
                f'<g data-unit="{u}"><title>unit {u + 1}{" (pilot pathway " + str(org.unit_pathway[u] + 1) + ")" if pilot else ""}: '
                f'{a:.0%} practising, lead time {lead[u]:+.0%}, manager support {support[u]:.2f}</title>'
                f'<rect x="{_f(tx)}" y="{_f(ty)}" width="{_f(tile)}" height="{_f(tile)}" rx="3" fill="{_green(a)}" '
                f'stroke="{PILOT if pilot else "#ced4da"}" stroke-width="{2.5 if pilot else 1}"/>'
                f'<text x="{_f(tx + tile / 2)}" y="{_f(ty + tile / 2 + fs * 0.36)}" font-size="{fs:.0f}" text-anchor="middle" fill="{txt}">'
                f'{round(a * 100)}</text></g>')
    ly = height - 14
    parts.append(f'<rect x="{gap}" y="{_f(ly - 9)}" width="12" height="12" rx="2" fill="none" stroke="{PILOT}" stroke-width="2.5"/>'
                 f'<text x="{gap + 17}" y="{_f(ly + 1)}" font-size="10" fill="{INK}">pilot unit</text>'
                 f'<text x="{gap + 80}" y="{_f(ly + 1)}" font-size="10" fill="{INK}">number = % of the unit practising</text>')
    parts.append("</svg>")
    return "".join(parts)


# -- charts ---------------------------------------------------------------------
def line_chart_svg(title: str, series: list[tuple[str, str, np.ndarray]], weeks: int, week: int,
                   y_range: tuple[float, float], percent: bool = True, width: int = 300, height: int = 170,
                   view: str = "chart", previous: list[np.ndarray | None] | None = None) -> str:
    """A small line chart: x = week 0..weeks, one polyline per series, legend below the title.

    ``previous`` holds, per series, the same curve from the run before the
    last Reset (up to the week that run reached), drawn faded and dashed
    under the live one, so a lever's effect (or its absence) is seen
    against the run it replaced.
    """
    ml, mr, mt, mb = 34, 12, 34, 20
    pw, ph = width - ml - mr, height - mt - mb
    y0, y1 = y_range
    previous = list(previous or [])
    for v in [v for _, _, v in series] + [p for p in previous if p is not None]:  # widen the range if the data leave it
        fin = v[np.isfinite(v)]
        if fin.size:
            y0, y1 = min(y0, float(fin.min())), max(y1, float(fin.max()))
    step_ = next((c for c in (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0) if (y1 - y0) / c <= 5), 10.0)
    y0, y1 = math.floor(y0 / step_ + 1e-9) * step_, math.ceil(y1 / step_ - 1e-9) * step_
    span = (y1 - y0) or 1.0

    def sx(w):
        return ml + pw * w / max(weeks, 1)

    def sy(v):
        return mt + ph * (1 - (v - y0) / span)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
             f'style="display:block" data-view="{view}" data-week="{week}" font-family="sans-serif">',
             f'<text x="4" y="13" font-size="13" font-weight="600" fill="{INK}">{escape(title)}</text>']
    lx = 6
    for label, colour, _ in series:
        parts.append(f'<rect x="{lx}" y="21" width="10" height="3" fill="{colour}"/>'
                     f'<text x="{lx + 13}" y="27" font-size="11" fill="{INK}">{escape(label)}</text>')
        lx += 20 + 6.2 * len(label)
    # axes and grid
    ticks = np.arange(round((y1 - y0) / step_) + 1) * step_ + y0
    for t in ticks:
        yy = sy(t)
        lab = f"{t * 100:.0f}%" if percent else f"{t:.2f}"
        parts.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{_f(yy)}" y2="{_f(yy)}" stroke="#e9ecef"/>'
                     f'<text x="{ml - 3}" y="{_f(yy + 3)}" font-size="10" text-anchor="end" fill="{MUTED}">{lab}</text>')
    if y0 < 0 < y1:
        parts.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{_f(sy(0))}" y2="{_f(sy(0))}" stroke="{MUTED}"/>')
    step = 52 if weeks > 104 else 13
    for w in range(0, weeks + 1, step):
        parts.append(f'<text x="{_f(sx(w))}" y="{height - 6}" font-size="10" text-anchor="middle" fill="{MUTED}">{w}</text>')
    parts.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#ced4da"/>')
    parts.append(f'<line x1="{_f(sx(week))}" x2="{_f(sx(week))}" y1="{mt}" y2="{mt + ph}" stroke="#adb5bd" stroke-dasharray="3 3"/>')
    def polyline(v: np.ndarray, style: str) -> str:
        ok = np.isfinite(v)
        if not ok.any():
            return ""
        w = np.flatnonzero(ok)
        xs = ml + pw * w / max(weeks, 1)
        ys = mt + ph * (1 - (v[ok] - y0) / span)
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs.tolist(), ys.tolist()))
        return f'<polyline points="{pts}" fill="none" {style}/>'

    for (_, colour, _), old in zip(series, previous):
        if old is not None:
            parts.append(polyline(old, f'stroke="{colour}" stroke-width="2.4" stroke-opacity="0.3" '
                                       f'stroke-dasharray="4 2" data-run="previous"'))
    for _, colour, v in series:
        parts.append(polyline(v[: week + 1], f'stroke="{colour}" stroke-width="2"'))
    parts.append("</svg>")
    return "".join(parts)


#: The weekly charts: key -> (title, [(label, colour, history column)], y range).
CHARTS: dict[str, tuple[str, list[tuple[str, str, str]], tuple[float, float]]] = {
    "adoption": ("Practising: pilots vs rest", [("pilot units", PILOT, "adoption_pilot"),
                                                ("rest of trust", REST, "adoption_rest")], (0, 1)),
    "reach": ("Reach (non-pilot units)", [("reach", "#6f42c1", "reach")], (0, 1)),
    "lead_time": ("Lead-time change", [("pilot units", PILOT, "lead_time_change_pilot"),
                                       ("rest", REST, "lead_time_change_rest")], (-0.4, 0.1)),
    "attention": ("Executive attention", [("attention", "#cc3311", "attention"),
                                          ("commitment", MUTED, "commitment")], (0, 1)),
    "support": ("Mean manager support", [("all", INK, "manager_support"), ("pilot", PILOT, "manager_support_pilot"),
                                         ("rest", REST, "manager_support_rest")], (0, 1)),
}
CHART_VIEWS = {"adoption": "chart-adoption", "reach": "chart-reach", "lead_time": "chart-lead-time",
               "attention": "chart-attention", "support": "chart-support"}


def previous_run(model: TrustModel) -> dict[str, np.ndarray]:
    """The charted weekly columns of a run as it stands (weeks not yet run are NaN): kept at Reset."""
    cols = {col for _, lines, _ in CHARTS.values() for _, _, col in lines}
    return {c: np.array(model.history[c][: model.week + 1], dtype=float) for c in sorted(cols)}


def charts(model: TrustModel, previous: dict[str, np.ndarray] | None = None,
           width: int = 300, height: int = 170) -> dict[str, str]:
    """The five weekly charts the brief asks for, keyed by a short name; ``previous``
    (from :func:`previous_run`) adds the run before the last Reset, faded."""
    h, W, t = model.history, model.weeks, model.week
    out = {}
    for key, (title, lines, y_range) in CHARTS.items():
        out[key] = line_chart_svg(title, [(label, colour, h[col]) for label, colour, col in lines], W, t, y_range,
                                  width=width, height=height, view=CHART_VIEWS[key],
                                  previous=[previous.get(col) for _, _, col in lines] if previous else None)
    return out


# -- events -------------------------------------------------------------------
def timeline_svg(model: TrustModel, width: int = 760, height: int = 72) -> str:
    """The programme's events along the weeks (legend on top), current week dashed."""
    ml, mr = 10, 10
    pw = width - ml - mr
    W = max(model.weeks, 1)
    axis = 38
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
             f'style="display:block" data-view="timeline" data-week="{model.week}" font-family="sans-serif">']
    lx = ml
    for kind in ("rpiw", "ceo_change", "detected", "missed"):
        parts.append(f'<circle cx="{lx + 4}" cy="8" r="3.5" fill="{EVENT_COLOURS[kind]}"/>'
                     f'<text x="{lx + 11}" y="11" font-size="10" fill="{INK}">{EVENT_NAMES[kind]}</text>')
        lx += 24 + 5.4 * len(EVENT_NAMES[kind])
    parts.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{axis}" y2="{axis}" stroke="#ced4da" stroke-width="2"/>')
    lanes = {"rpiw": axis - 9, "ceo_change": axis, "detected": axis + 9, "missed": axis + 9}
    for week, kind, text in model.events:
        xx = ml + pw * week / W
        parts.append(f'<circle cx="{_f(xx)}" cy="{lanes.get(kind, axis)}" r="3.5" fill="{EVENT_COLOURS.get(kind, INK)}">'
                     f'<title>week {week}: {escape(text)}</title></circle>')
    xx = ml + pw * model.week / W
    parts.append(f'<line x1="{_f(xx)}" x2="{_f(xx)}" y1="{axis - 16}" y2="{axis + 16}" stroke="{INK}" stroke-dasharray="2 2"/>')
    for w in range(0, model.weeks + 1, 52 if model.weeks > 104 else 13):
        anchor = "start" if w == 0 else "end" if w + 13 > model.weeks else "middle"
        parts.append(f'<text x="{_f(ml + pw * w / W)}" y="{height - 4}" font-size="9" text-anchor="{anchor}" '
                     f'fill="{MUTED}">week {w}</text>')
    parts.append("</svg>")
    return "".join(parts)


def recent_events(model: TrustModel, k: int = 8) -> list[tuple[int, str, str]]:
    """The model's last ``k`` events, newest first: (week, kind, text)."""
    return list(reversed(model.events[-k:]))


# -- network statistics -------------------------------------------------------
STAT_ROWS = (
    ("staff", "staff", "{:.0f}"),
    ("arcs", "live ties (arcs)", "{:.0f}"),
    ("mean_in_degree", "contacts per person", "{:.1f}"),
    ("cross_unit_ties_per_person", "cross-unit ties per person", "{:.2f}"),
    ("reciprocity_pairs", "mutual pairs", "{:.0%}"),
    ("one_directional_share", "one-directional arcs", "{:.0%}"),
    ("clustering_mean", "clustering", "{:.2f}"),
    ("components", "components", "{:.0f}"),
    ("largest_component_share", "in largest component", "{:.0%}"),
)


def network_reading(stats: dict) -> str:
    """One line on what the network's shape means for spread (complex contagion)."""
    clust = stats.get("clustering_mean", 0.0)
    cross = stats.get("cross_unit_ties_per_person", 0.0)
    one_way = stats.get("one_directional_share", 0.0)
    split = stats.get("largest_component_share", 1.0) < 0.95
    knit = "tightly knit teams" if clust >= 0.4 else "loosely knit teams"
    if cross < 1.5:
        bridges = f"thin bridges between units ({cross:.1f} cross-unit ties per person)"
    elif cross < 3:
        bridges = f"moderate bridges between units ({cross:.1f} cross-unit ties per person)"
    else:
        bridges = f"wide bridges between units ({cross:.1f} cross-unit ties per person)"
    parts = [f"{knit.capitalize()}, {bridges}"]
    if one_way >= 0.5:
        parts.append(f"{one_way:.0%} of ties one-directional")
    if split:
        parts.append("the network is in pieces")
    if cross < 1.5 or one_way >= 0.6 or split:
        verdict = "expect practice to spread inside units and stall between them unless bridges are widened."
    else:
        verdict = "practice can travel between units once a few neighbours practise."
    return "; ".join(parts) + ": " + verdict


def stats_rows(stats: dict) -> list[tuple[str, str]]:
    """(label, formatted value) rows of the statistics panel."""
    return [(label, fmt.format(stats[key])) for key, label, fmt in STAT_ROWS if key in stats]


def headline(model: TrustModel) -> str:
    """One line: the week and adoption in pilots, elsewhere and trust-wide."""
    h, t = model.history, model.week
    return (f"Week {t} of {model.weeks} · practising: pilots {h['adoption_pilot'][t]:.0%}, "
            f"rest {h['adoption_rest'][t]:.0%} · reach {h['reach'][t]:.0%} · "
            f"pilot lead time {h['lead_time_change_pilot'][t]:+.0%}")


# -- why: the golden thread from the board to the staff -------------------------
@dataclass(frozen=True)
class SupportChain:
    """This week's links from the board's commitment to managers' support (ODD 7.1-7.2).

    Leadership reaches staff only through their managers: support's target is
    attention x alignment x (base + involvement + recognition weight x
    recognition), and a person's chance to take the practice up is gated by
    capability x their manager's support.  Pilot units have a floor from the
    partnership's coaches.  Values for "rest" are means over non-pilot units.
    """

    week: int
    commitment_set: float  # the scenario's (slider's) commitment
    commitment: float  # the sitting chief executive's, this week
    ceo_weeks: tuple[int, ...]  # chief-executive changes up to this week
    pressure: float
    integration: float
    sighted: float  # 1, or the "not sighted" factor in a transition
    attention: float
    alignment: float
    base: float
    involvement: float  # non-pilot managers'
    recognition_weight: float
    recognition_rest: float
    target_rest: float
    support_rest: float
    floor_pilot: float
    support_pilot: float

    @property
    def manager_term(self) -> float:
        """base + involvement + recognition weight x recognition (outside the pilots)."""
        return self.base + self.involvement + self.recognition_weight * self.recognition_rest

    @property
    def per_commitment(self) -> float:
        """How much the support target outside the pilots moves per unit of the scenario's commitment, now."""
        if self.ceo_weeks:  # a new chief executive's commitment replaced the scenario's
            return 0.0
        return self.attention / self.commitment * self.alignment * self.manager_term if self.commitment > 0 else \
            (1 - self.pressure * (1 - self.integration)) * self.sighted * self.alignment * self.manager_term


def support_chain(model: TrustModel) -> SupportChain:
    """The chain as it stands in the model's current week."""
    t = min(model.week, model.weeks)
    L, ms, org = model.leadership, model.manager_support, model.org
    rest, pilots = ms.rest_units, ms.pilot_units
    target = ms.target(float(L.attention[t]), model.recognition)
    return SupportChain(
        week=t,
        commitment_set=float(model.params.leadership.commitment),
        commitment=float(L.commitment[t]),
        ceo_weeks=tuple(int(w) for w in L.change_weeks if w <= t),
        pressure=float(L.pressure[t]),
        integration=float(model.params.leadership.integration),
        sighted=float(L.sighted[t]),
        attention=float(L.attention[t]),
        alignment=float(ms.alignment),
        base=float(ms.base),
        involvement=float(ms.involvement[rest].mean()) if rest.size else float(model.params.managers.involvement),
        recognition_weight=float(ms.recognition_weight),
        recognition_rest=float(model.recognition[rest].mean()) if rest.size else 0.0,
        target_rest=float(target[rest].mean()) if rest.size else 0.0,
        support_rest=float(model.support[rest].mean()) if rest.size else 0.0,
        floor_pilot=float(ms.floor[pilots].max()) if pilots.size else 0.0,
        support_pilot=float(model.support[pilots].mean()) if pilots.size else 0.0,
    )


def why_sentences(c: SupportChain) -> list[str]:
    """Plain words, at most three sentences: what holds managers' support where it is, and so what
    the Executive commitment lever can do now."""
    out = []
    causes = []
    if c.ceo_weeks:
        weeks = " and ".join(str(w) for w in c.ceo_weeks)
        causes.append(f"new chief executive{'s' if len(c.ceo_weeks) > 1 else ''} in week{'s' if len(c.ceo_weeks) > 1 else ''} "
                      f"{weeks} (commitment now {c.commitment:.2f}; the setting counted only until week {c.ceo_weeks[0]})")
    if c.sighted < 1:
        causes.append(f"a board not yet sighted after the change (x{c.sighted:.2f})")
    if c.pressure > 0 and c.integration < 1:
        causes.append(f"a competing priority taking {c.pressure * (1 - c.integration):.0%} of it")
    if causes:
        out.append(f"Attention is {c.attention:.2f}, not the {c.commitment_set:.2f} set: " + "; ".join(causes) + ".")
    links = {"the board's attention": c.attention, "managers' alignment": c.alignment,
             "managers' own drive": min(c.manager_term, 1.0)}
    weakest = min(links, key=links.get)
    if c.ceo_weeks:
        lever = "so Executive commitment changes nothing now"
    else:
        gain = 0.1 * c.per_commitment
        lever = f"+0.1 of Executive commitment adds {gain:.3f} to their support now"
    out.append(f"Outside the pilots managers pass on {c.target_rest:.2f} of a possible 1 (weakest link: {weakest}, "
               f"{links[weakest]:.2f}); {lever}: the board reaches staff only through their managers, "
               "whose support gates each person's uptake.")
    if c.floor_pilot > 0:
        out.append(f"Pilot units keep at least {c.floor_pilot:.2f} from the partnership's coaches, whatever the board does.")
    return out


def why_html(c: SupportChain) -> str:
    """The chain as a short column of boxes and arrows, then the plain-words reading."""
    def box(label: str, value: float, key: str, note: str = "") -> str:
        return (f'<div data-link="{key}" style="display:flex;justify-content:space-between;align-items:baseline;'
                f'background:#f1f3f5;border-radius:4px;padding:2px 6px">'
                f'<span>{escape(label)}{f" <small style=color:{MUTED}>{escape(note)}</small>" if note else ""}</span>'
                f'<b style="font-variant-numeric:tabular-nums">{value:.2f}</b></div>')

    def arrow(text: str) -> str:
        return f'<div style="color:{MUTED};font-size:12px;padding:0 0 0 8px">&#8595; {escape(text)}</div>'

    setting = "" if abs(c.commitment - c.commitment_set) < 1e-9 else f"setting {c.commitment_set:.2f}"
    lines = [
        box("Board's commitment", c.commitment, "commitment", setting),
        arrow(f"x (1 - pressure {c.pressure:.2f} x (1 - integration {c.integration:.2f})) x sighted {c.sighted:.2f}"),
        box("Board's attention", c.attention, "attention"),
        arrow(f"x alignment {c.alignment:.2f} x (base {c.base:.2f} + involvement {c.involvement:.2f} "
              f"+ {c.recognition_weight:.2f} x recognition {c.recognition_rest:.2f})"),
        box("Managers' support target, rest", c.target_rest, "target"),
        box("Managers' support now, rest", c.support_rest, "support"),
    ]
    text = "".join(f"<p style='margin:4px 0 0 0'>{escape(t)}</p>" for t in why_sentences(c))
    return (f'<div data-testid="why-chain" data-week="{c.week}" style="font-size:13px;line-height:1.25;'
            f'display:flex;flex-direction:column;gap:2px">{"".join(lines)}</div>'
            f'<div data-testid="why-reading" style="font-size:12.5px;line-height:1.25">{text}</div>')
