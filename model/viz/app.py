"""Browser visualiser for teaching: watch improvement practice spread (or stay local).

Start it with ``make viz`` or ``spread viz`` (or ``python -m model.viz.serve``)
and open http://127.0.0.1:8765/.  Works with no internet: the front-end
assets come from a local cache (model/viz/assets.py).

Every browser tab gets its own model (built in the page component, never at
module level).  The sidebar picks a bundled teaching-size trust, a seed and
the programme's levers; the levers and seed apply on Reset, a new scenario at
once.  A combination the model does not allow is shown as a message on the
page and nothing is rebuilt.
"""

from __future__ import annotations

from model.viz import assets as viz_assets

viz_assets.configure_environment()  # before solara is imported

import threading  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any, Callable, Iterator  # noqa: E402

import solara  # noqa: E402

from model.viz import views, whatif_page  # noqa: E402
from model.viz.levers import LEVERS, Lever, _ceo_weeks, _pressure_level, _pressure_windows  # noqa: E402,F401
from model.params import FIELDS, ParameterError, bundled_scenarios, load_scenario  # noqa: E402
from model.trust import TrustModel  # noqa: E402

#: The picker: the baseline and the five trusts, all at teaching size (600 staff), and a trust
#: around an imported (synthetic) network survey.
TEACHING_SCENARIOS = ("baseline-teaching", "sash-teaching", "leeds-teaching", "uhcw-teaching",
                      "bhr-teaching", "sath-teaching",
                      "survey-example-teaching")
DEFAULT_SCENARIO = "baseline-teaching"
DEFAULT_SEED = 1


def available_scenarios() -> list[str]:
    """The scenarios the picker offers: the bundled teaching-size trusts."""
    have = set(bundled_scenarios())
    names = [n for n in TEACHING_SCENARIOS if n in have]
    return names or sorted(have)


#: Drop-downs for the levers that are choices.
CHOICES: tuple[tuple[str, str], ...] = (
    ("network.cross_unit_mode", "Cross-unit ties"),
    ("exchange.rule", "Contagion rule"),
    ("measurement.scope", "Measured at"),
)


def parse_seed(text: str | None) -> int:
    """The seed box holds text; the model needs a non-negative integer."""
    t = (text or "").strip()
    try:
        seed = int(t)
    except ValueError:
        raise ValueError(f"seed = {t!r}: allowed is a whole number 0 or more") from None
    if seed < 0:
        raise ValueError(f"seed = {seed}: allowed is a whole number 0 or more")
    return seed


@dataclass
class Session:
    """One tab's model and what is computed once per model."""

    model: TrustModel
    layout: views.OrgLayout
    scenario: str
    seed: int
    overrides: dict
    lock: threading.Lock = field(default_factory=threading.Lock)
    _edges_key: int | None = None
    _edges: str = ""
    _stats_key: int | None = None
    _stats: dict = field(default_factory=dict)

    def edges(self) -> str:
        """The arcs layer, redrawn only when the live arcs change."""
        m = self.model
        key = hash(views.live_arcs(m).tobytes())  # which arcs are live (turnover, forums)
        if key != self._edges_key:
            self._edges, self._edges_key = views.network_edges_svg(m, self.layout), key
        return self._edges

    def stats(self) -> dict:
        """Network statistics of the live network, recomputed only when the arcs changed."""
        m = self.model
        key = self._edges_key
        if key != self._stats_key or not self._stats:
            self._stats, self._stats_key = m.network_stats(), key
        return self._stats


def build_session(scenario: str, seed: int, overrides: dict) -> Session:
    """Validated parameters -> model -> layout. Raises ParameterError on a bad combination."""
    params = load_scenario(scenario)
    if overrides:
        params = params.with_values(overrides, where="sliders")
    model = TrustModel(params, rng=seed)
    return Session(model, views.org_layout(model.org), scenario, seed, dict(overrides))


@dataclass(frozen=True)
class Refusal:
    """Settings the model will not run, in plain words, and the control to show them beside."""

    at: str  # "seed", a lever's key, or "reset" when no single control caused it
    text: str


#: Shares of one whole (ODD 7.5): a practitioner's reasons to keep practising.
SUSTAIN_WEIGHTS = (("sustain.reinforcement_weight", "practising colleagues"),
                   ("sustain.support_weight", "manager support"),
                   ("sustain.recognition_weight", "recognition"))
LABELS = {lv.key: lv.label for lv in LEVERS}


def _plain(exc: ParameterError, overrides: dict) -> str:
    """A model error without its file path, parameters named by their sliders' labels."""
    text = str(exc)
    head, sep, rest = text.partition(".toml: ")
    text = rest if sep else text
    for key, label in LABELS.items():
        text = text.replace(key, f"'{label}'")
    return text[:1].upper() + text[1:]


def refusal(scenario: str, seed_text: str, overrides: dict, moved: str | None = None) -> Refusal | None:
    """Why these settings cannot run, beside the control that caused it (``moved``: the last
    control touched), or None.  The model decides what is allowed; this only explains it."""
    try:
        parse_seed(seed_text)
    except ValueError:
        return Refusal("seed", f"The seed must be a whole number, 0 or more ({(seed_text or '').strip()!r} is not): "
                               "it picks which random run you see, and the same seed gives the same run.")
    base = load_scenario(scenario)
    try:
        if overrides:
            base.with_values(overrides, where="sliders")
    except ParameterError as exc:
        weights = {k: float(overrides.get(k, base.get(k))) for k, _ in SUSTAIN_WEIGHTS}
        total = sum(weights.values())
        if total > 1 + 1e-9:
            at = moved if moved in LABELS and moved in weights else "sustain.recognition_weight"
            parts = " + ".join(f"{name} {weights[k]:.2f}" + ("" if k in LABELS else " (fixed in this scenario)")
                               for k, name in SUSTAIN_WEIGHTS)
            room = max(0.0, 1.0 - (total - weights[at]))
            return Refusal(at, f"Too much: the reasons to keep practising share one whole (at most 1), and here "
                               f"they add up to {total:.2f}: {parts}. Move this slider to {room:.2f} or less.")
        at = moved if moved in LABELS else next((k for k in LABELS if k in str(exc)), "reset")
        return Refusal(at, _plain(exc, overrides))
    return None


def check_settings(scenario: str, seed_text: str, overrides: dict) -> str | None:
    """The message to show for settings the model cannot run, else None."""
    r = refusal(scenario, seed_text, overrides)
    return None if r is None else r.text


def settings_diff(old: Session, scenario: str, seed: int, overrides: dict) -> list[str]:
    """What differs between an earlier run's settings and new ones, in the sidebar's words."""
    out = []
    if old.scenario != scenario:
        out.append(f"scenario {old.scenario} → {scenario}")
    if old.seed != seed:
        out.append(f"seed {old.seed} → {seed}")
    if old.scenario == scenario:
        before, after = old.model.params, load_scenario(scenario).with_values(overrides, where="sliders") \
            if overrides else load_scenario(scenario)
        for lever in LEVERS:
            a, b = float(lever.read(before.get(lever.key))), float(lever.read(after.get(lever.key)))
            if abs(a - b) > 1e-9:
                out.append(f"{lever.label} {a:g} → {b:g}")
        for key, label in CHOICES:
            if before.get(key) != after.get(key):
                out.append(f"{label} {before.get(key)} → {after.get(key)}")
    return out


@dataclass(frozen=True, eq=False)  # compared by identity: its curves are arrays
class PreviousRun:
    """The run before the last Reset: its charted curves and how it differed."""

    curves: dict
    week: int
    changes: tuple[str, ...]

    def caption(self) -> str:
        """The line beside the week: what the faded curves are and what changed since."""
        what = "; ".join(self.changes) if self.changes else "same settings"
        return f"Faded, dashed: the run before, to week {self.week} ({what})"


def render_views(session: Session, previous: PreviousRun | None = None) -> dict:
    """Every view's content for the current week (timed: the redraw budget)."""
    t0 = time.perf_counter()
    m = session.model
    out = {
        "edges": session.edges(),
        "nodes": views.network_nodes_svg(m, session.layout),
        "tiles": views.unit_tiles_svg(m, width=TILES_W, min_tile=26),
        "charts": views.charts(m, previous.curves if previous else None, width=CHART_W, height=CHART_H),
        "timeline": views.timeline_svg(m, width=1000, height=64),
        "why": views.why_html(views.support_chain(m)),
        "events": views.recent_events(m),
        "stats": session.stats(),
        "headline": views.headline(m),
    }
    out["reading"] = views.network_reading(out["stats"])
    out["render_ms"] = (time.perf_counter() - t0) * 1000
    return out


# -- components -------------------------------------------------------------
#: Sizes (SVG user units, drawn at about 1:1) chosen so that the headline, the network, the
#: tiles, the "why" panel, the five charts and the timeline fit a 1366x768 projector without
#: scrolling; statistics and the events list sit below.
TILES_W = 250
CHART_W, CHART_H = 220, 132
SIDEBAR_W = 300
ROW_H = 372  # network, tiles and why: the network's height at 44% of the width left by the sidebar

#: Page-wide CSS: a narrower sidebar (Solara's is 400 px) and compact cards.
CSS = f"""
.v-navigation-drawer {{ min-width: {SIDEBAR_W}px !important; width: {SIDEBAR_W}px !important; }}
.v-navigation-drawer .v-card__title {{ padding: 6px 12px 0 12px; font-size: 16px; }}
.spread-card {{ background: white; border: 1px solid #e9ecef; border-radius: 6px; padding: 4px 8px; min-width: 0; }}
.spread-card h3 {{ font-size: 14px; font-weight: 600; margin: 0 0 2px 0; }}
.spread-lever-mark {{ position: relative; height: 0; }}
.solara-autorouter-content > .v-sheet {{ row-gap: 0 !important; }}  /* the page's empty title/bar/sidebar slots */
.v-navigation-drawer .v-btn {{ min-width: 0 !important; padding: 0 9px !important; letter-spacing: 0 !important; }}
.spread-lever-mark span {{ position: absolute; top: -22px; transform: translateX(-50%); font-size: 11px;
                          color: #c92a2a; pointer-events: none; line-height: 1; }}
"""


def Svg(svg: str, style: str = "") -> solara.Element:
    """An inline SVG drawing (no external asset)."""
    return solara.HTML(tag="div", unsafe_innerHTML=svg, style=style)


@contextmanager
def Panel(title: str, testid: str, style: str = "") -> Iterator[None]:
    """A light card with a small heading (Solara's cards spend 60 px on a title)."""
    with solara.Div(classes=["spread-card"], style=style, attributes={"data-testid": testid}):
        solara.HTML(tag="h3", unsafe_innerHTML=views.escape(title))
        yield


@solara.component
def NetworkView(edges: str, nodes: str) -> None:
    """The knowledge-sharing network: staff coloured by state, ties by kind."""
    with Panel("Knowledge-sharing network", "panel-network", "flex: 0 0 44%;"):
        # solara.HTML, not solara.Markdown: Markdown pulls in mermaid from the CDN.
        solara.HTML(tag="div", style="font-size: 12px; line-height: 1.2;", unsafe_innerHTML=(
            f"<span style='color:{views.PRACTISING}'>●</span> practising &nbsp; "
            f"<span style='color:{views.CAPABLE}'>●</span> capable, not practising &nbsp; "
            f"<span style='color:#adb5bd'>●</span> not practising; large dots: managers, "
            f"purple rim: executives; blue circles: pilot units"))
        with solara.Div(style="position: relative; width: 100%;"):
            Svg(edges)
            Svg(nodes, style="position: absolute; top: 0; left: 0; width: 100%;")


@solara.component
def StatsPanel(stats: dict) -> None:
    """The network's statistics."""
    with Panel("Network statistics", "panel-stats", "flex: 0 0 260px;"):
        rows = "".join(f"<tr><td style='padding:1px 10px 1px 0'>{label}</td><td style='text-align:right'>{value}</td></tr>"
                       for label, value in views.stats_rows(stats))
        solara.HTML(tag="table", unsafe_innerHTML=rows, style="font-size: 13px;")


@solara.component
def EventsList(events: list) -> None:
    """The latest events (chief-executive changes, RPIWs, detections), newest first."""
    with Panel("Latest events", "panel-events", "flex: 1 1 0;"):
        if events:
            items = "".join(
                f"<li><span style='color:{views.EVENT_COLOURS.get(k, views.INK)}'>●</span> week {w}: {views.escape(t)}</li>"
                for w, k, t in events)
            solara.HTML(tag="ul", unsafe_innerHTML=items, style="font-size: 13px; margin: 0; padding-left: 16px;")
        else:
            solara.Text("No events yet: the first workshop (RPIW) comes after the measurement baseline.")


@solara.component
def MainViews(session: Session, tick: solara.Reactive[int], previous: PreviousRun | None) -> None:
    """Everything that changes each week; the only part redrawn on a step."""
    _ = tick.value  # subscribe: redraw on every step
    m = session.model
    with session.lock:
        v = render_views(session, previous)
    with solara.Column(style="gap: 6px; padding: 0; margin: 0;"):
        with solara.Row(style="align-items: baseline; gap: 16px; flex-wrap: nowrap; min-width: 0;"):
            solara.HTML(tag="div", unsafe_innerHTML=views.escape(v["headline"]),
                        attributes={"data-testid": "headline", "data-week": str(m.week)},
                        style="font-size: 17px; font-weight: 600; white-space: nowrap;")
            if previous is not None:  # one line whatever it says (the full text on hover)
                solara.HTML(tag="div", unsafe_innerHTML=views.escape(previous.caption()),
                            attributes={"data-testid": "previous-run", "title": previous.caption()},
                            style="font-size: 13px; color: #495057; white-space: nowrap; overflow: hidden; "
                                  "text-overflow: ellipsis; min-width: 0;")
        # A fixed height, so that however long the why panel's reading, the charts stay in view.
        with solara.Row(style=f"gap: 8px; align-items: stretch; flex-wrap: nowrap; height: {ROW_H}px;"):
            NetworkView(v["edges"], v["nodes"])
            with Panel("Units: % practising", "panel-tiles", f"flex: 0 0 {TILES_W + 18}px; overflow-y: auto;"):
                Svg(v["tiles"])
                solara.HTML(tag="p", unsafe_innerHTML=views.escape(v["reading"]),
                            attributes={"data-testid": "network-reading"},
                            style="margin: 4px 0 0 0; font-size: 12px; font-style: italic; line-height: 1.25;")
            with Panel("Why: from the board to the staff", "panel-why", "flex: 1 1 0; overflow-y: auto;"):
                solara.HTML(tag="div", unsafe_innerHTML=v["why"])
        with solara.Row(style="gap: 8px; flex-wrap: nowrap;", classes=["spread-charts"]):
            for svg in v["charts"].values():
                Svg(svg, style="flex: 1 1 0; min-width: 0; background: white; border: 1px solid #e9ecef; "
                               "border-radius: 6px; padding: 2px;")
        with Panel("Events", "panel-timeline"):
            Svg(v["timeline"])
        with solara.Row(style="gap: 8px; align-items: flex-start;"):
            StatsPanel(v["stats"])
            EventsList(v["events"])
        solara.HTML(tag="div", unsafe_innerHTML=f"server redraw {v['render_ms']:.1f} ms",
                    attributes={"data-testid": "render-ms", "data-week": str(m.week)},
                    style="font-size: 11px; color: #999;")


def lever_mark(lever: Lever, scenario_value: float) -> solara.Element:
    """A small red mark under a slider at the scenario's own value."""
    frac = (min(max(scenario_value, lever.lo), lever.hi) - lever.lo) / (lever.hi - lever.lo)
    # Vuetify's slider track runs from 8 px to 8 px before the end of the control.
    return solara.HTML(tag="div", classes=["spread-lever-mark"], attributes={"data-testid": f"mark-{lever.key}"},
                       unsafe_innerHTML=f"<span style='left: calc(8px + (100% - 16px) * {frac:.4f})' "
                                        f"title='this scenario: {scenario_value:g}'>&#9650;</span>")


@solara.component
def Page() -> None:
    """The visualiser page: one model per browser session, sidebar levers, views."""
    scenarios = available_scenarios()
    first = DEFAULT_SCENARIO if DEFAULT_SCENARIO in scenarios else scenarios[0]
    # Per-session state: this component runs once per browser tab.
    initial = solara.use_memo(lambda: build_session(first, DEFAULT_SEED, {}), [])
    session = solara.use_reactive(initial)
    scenario = solara.use_reactive(first)
    seed_text = solara.use_reactive(str(DEFAULT_SEED))
    overrides = solara.use_reactive({})  # pending slider values (apply on Reset)
    moved = solara.use_reactive(None)  # the control touched last: a refusal is shown beside it
    previous = solara.use_reactive(None)  # the run before the last Reset, faded in the charts
    tick = solara.use_reactive(0)  # bumps after each step; only MainViews reads it
    finished = solara.use_reactive(False)
    playing = solara.use_reactive(False)
    play_ms = solara.use_reactive(150)
    error = solara.use_reactive(None)

    s = session.value
    base = solara.use_memo(lambda: load_scenario(scenario.value), [scenario.value])

    def current(key):
        return overrides.value.get(key, base.get(key))

    refused = refusal(scenario.value, seed_text.value, overrides.value, moved.value)
    changed = (overrides.value != s.overrides or seed_text.value.strip() != str(s.seed)
               or scenario.value != s.scenario)

    def rebuild(new_scenario=None, new_overrides=None):
        sc = new_scenario or scenario.value
        ov = overrides.value if new_overrides is None else new_overrides
        try:
            seed = parse_seed(seed_text.value)
            new = build_session(sc, seed, ov)
        except (ParameterError, ValueError) as exc:
            error.value = str(exc)
            return
        old = session.value
        if old.model.week > 0:  # keep the run it replaces, to compare against
            with old.lock:
                kept = PreviousRun(views.previous_run(old.model), old.model.week,
                                   tuple(settings_diff(old, sc, seed, ov)))
            previous.value = kept  # outside the lock: setting it may redraw at once, and the redraw takes the lock
        error.value = None
        playing.value = False
        finished.value = False
        session.value = new
        tick.value += 1

    def pick_scenario(name):
        scenario.value = name
        overrides.value = {}
        moved.value = None
        rebuild(new_scenario=name, new_overrides={})

    def set_lever(key, value):
        moved.value = key
        overrides.value = {**overrides.value, key: value}

    def step(n=1):
        with s.lock:
            for _ in range(n):
                if s.model.week >= s.model.weeks:
                    break
                s.model.step()
            done = s.model.week >= s.model.weeks
        tick.value += 1
        if done:
            finished.value = True

    def play_loop(cancel: threading.Event):
        while playing.value and not cancel.is_set():
            if s.model.week >= s.model.weeks:
                playing.value = False
                break
            step()
            time.sleep(play_ms.value / 1000)

    solara.use_thread(play_loop, dependencies=[playing.value, s])

    def refusal_here(at: str):
        if refused is not None and refused.at == at:
            solara.Error(refused.text, dense=True, attributes={"data-testid": "refusal", "data-at": at},
                         style_="font-size: 13px; margin: 4px 0;")

    solara.Title("Improvement spread: teaching visualiser")
    with solara.AppBar():
        solara.Style(CSS)  # here, not in the page's column, where it would take a row of space
        solara.AppBarTitle("Improvement spread: how practice travels through a trust")
        with solara.Link("/whatif"):
            solara.Button("What-if page", text=True, style="color: white;")

    with solara.Sidebar():
        with solara.Card("Trust and seed", margin=0):
            solara.Select("Scenario", values=scenarios, value=scenario.value, on_value=pick_scenario)
            solara.Text(base.trust.label, style="font-size: 12px; color: #555;")
            solara.InputText("Seed (whole number)", value=seed_text, continuous_update=False,
                             on_value=lambda _: moved.set("seed"))
            refusal_here("seed")
        with solara.Card("Run", margin=0):
            with solara.Row(style="flex-wrap: wrap; gap: 4px;"):
                solara.Button("Reset", color="primary", on_click=lambda: rebuild(), disabled=refused is not None)
                solara.Button("Step", color="primary", on_click=lambda: step(1),
                              disabled=playing.value or finished.value)
                solara.Button("+10", on_click=lambda: step(10), disabled=playing.value or finished.value)
                solara.Button("Pause" if playing.value else "Play", on_click=lambda: playing.set(not playing.value),
                              disabled=finished.value)
            solara.SliderInt("Play interval (ms)", value=play_ms, min=0, max=1000, step=50)
            if changed and refused is None:
                solara.Info("Settings changed: press Reset to run with them.", dense=True)
            refusal_here("reset")
            if error.value:
                solara.Error(error.value, dense=True)
        with solara.Card("Levers", margin=0):
            solara.HTML(tag="div", style="font-size: 12px; color: #555;", unsafe_innerHTML=(
                "<span style='color:#c92a2a'>&#9650;</span> marks this scenario's own value; "
                "moves apply on Reset."))
            for lever in LEVERS:
                val = float(lever.read(current(lever.key)))
                own = float(lever.read(base.get(lever.key)))
                note = "" if abs(val - own) < 1e-9 else f" (scenario {own:g})"
                solara.Text(f"{lever.label}: {val:g}{note}", style="font-size: 13px; margin-bottom: -14px;")
                solara.SliderFloat("", value=val, min=lever.lo, max=lever.hi, step=lever.step,
                                   on_value=lambda val, lv=lever: set_lever(lv.key, lv.write(val)))
                lever_mark(lever, own)
                refusal_here(lever.key)
            for key, label in CHOICES:
                solara.Select(label, values=list(FIELDS[key].choices), value=current(key),
                              on_value=lambda val, k=key: set_lever(k, val))
                refusal_here(key)

    MainViews(s, tick, previous.value)


@solara.component
def Layout(children: list = []) -> solara.Element:  # noqa: B006 -- Solara's layout signature
    """Both pages in Solara's app layout, without its navigation tabs (a second bar of 48 px would push
    the teaching page's charts below a projector's fold); each page links to the other instead."""
    return solara.AppLayout(children=children, navigation=False)


#: The teaching page at /, the what-if page (``spread compare`` in the browser) at /whatif.
routes = [
    solara.Route(path="/", component=Page, label="Teaching", layout=Layout),
    solara.Route(path="whatif", component=whatif_page.Page, label="What-if"),
]
