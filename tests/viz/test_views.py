"""The visualiser's views and settings logic, without a browser."""

import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from model.viz import views
from model.params import load_scenario
from model.trust import TrustModel

TEACHING = ("baseline-teaching", "sash-teaching", "leeds-teaching", "uhcw-teaching", "bhr-teaching", "sath-teaching",
            "survey-example-teaching")  # the last around an imported (synthetic) network survey


@pytest.fixture(scope="module")
def model():
    m = TrustModel(load_scenario("bhr-teaching"), rng=3)
    for _ in range(40):
        m.step()
    return m


def all_svgs(m, layout):
    return {"edges": views.network_edges_svg(m, layout), "nodes": views.network_nodes_svg(m, layout),
            "tiles": views.unit_tiles_svg(m), **views.charts(m), "timeline": views.timeline_svg(m)}


def test_every_view_is_well_formed_svg_stamped_with_the_week(model):
    layout = views.org_layout(model.org)
    for name, svg in all_svgs(model, layout).items():
        root = ET.fromstring(svg)  # raises on malformed markup
        assert root.tag.endswith("svg"), name
        if name != "edges":  # the arcs layer is cached between weeks, so unstamped
            assert root.get("data-week") == str(model.week), name


def test_layout_is_by_organisation_and_inside_the_picture(model):
    org = model.org
    lay = views.org_layout(org)
    assert lay.x.shape == (org.n_staff,) and np.isfinite(lay.x).all() and np.isfinite(lay.y).all()
    assert (lay.x >= 0).all() and (lay.x <= lay.width).all() and (lay.y >= 0).all() and (lay.y <= lay.height).all()
    for u in org.clinical_units:  # everyone within their unit's disc
        s, k = org.unit_start[u], org.unit_size[u]
        d = np.hypot(lay.x[s:s + k] - lay.unit_cx[u], lay.y[s:s + k] - lay.unit_cy[u])
        assert (d <= lay.unit_r[u] + 1e-6).all()
    for d, units in enumerate(org.directorate_units):  # units inside their directorate's box
        bx, by, bw, bh = lay.directorate_boxes[d]
        assert ((lay.unit_cx[units] > bx) & (lay.unit_cx[units] < bx + bw)).all()
    # same organisation -> same picture (no random layout)
    again = views.org_layout(org)
    assert np.array_equal(lay.x, again.x) and np.array_equal(lay.y, again.y)


def test_node_colours_follow_state(model):
    col = views.person_colours(model)
    assert (col[model.practising] == views.PRACTISING).all()
    assert set(col.tolist()) <= {views.PRACTISING, views.CAPABLE, views.NOT_PRACTISING}


def test_network_reading_is_one_line_and_reacts_to_bridges():
    thin = views.network_reading({"clustering_mean": 0.5, "cross_unit_ties_per_person": 0.8,
                                  "one_directional_share": 0.3, "largest_component_share": 1.0})
    wide = views.network_reading({"clustering_mean": 0.3, "cross_unit_ties_per_person": 4.0,
                                  "one_directional_share": 0.2, "largest_component_share": 1.0})
    assert "\n" not in thin and "stall between them" in thin and "thin bridges" in thin
    assert "travel between units" in wide


@pytest.mark.parametrize("name", TEACHING)
def test_step_and_redraw_of_every_view_is_fast_on_each_teaching_trust(name):
    """Server side of the 300 ms bar (the browser test measures the whole round trip)."""
    m = TrustModel(load_scenario(name), rng=1)
    assert m.n == 600
    layout = views.org_layout(m.org)
    for _ in range(100):
        m.step()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        m.step()
        all_svgs(m, layout)
        views.network_reading(m.network_stats())
        times.append(time.perf_counter() - t0)
    assert min(times) < 0.15, f"{name}: step + redraw {min(times) * 1000:.0f} ms on the server"


def test_settings_checks_give_messages_not_crashes():
    pytest.importorskip("solara")
    from model.viz import app

    assert app.check_settings("baseline-teaching", "12", {}) is None
    assert "seed" in app.check_settings("baseline-teaching", "abc", {})
    assert "seed" in app.check_settings("baseline-teaching", "-1", {})
    msg = app.check_settings("baseline-teaching", "1", {"sustain.support_weight": 0.9, "sustain.recognition_weight": 0.9})
    assert msg and "add up to 2.20" in msg
    assert app.parse_seed(" 42 ") == 42
    s = app.build_session("sath-teaching", 5, {"leadership.commitment": 0.9})
    assert s.model.params.leadership.commitment == 0.9 and s.seed == 5
    v = app.render_views(s)
    assert v["reading"] and len(v["charts"]) == 5


def test_scenario_picker_offers_the_teaching_trusts():
    pytest.importorskip("solara")
    from model.viz import app

    assert app.available_scenarios() == list(TEACHING)
    from model.params import FIELDS

    from model.params import ParameterError, defaults

    keys = {lever.key for lever in app.LEVERS}
    # the levers are all there
    for key in ("leadership.commitment", "leadership.ceo_changes", "leadership.pressure", "leadership.integration",
                "turnover.staff_annual", "managers.base_support", "managers.involvement", "network.ties_per_person",
                "network.reciprocity", "forums.ties_per_person_annual"):
        assert key in keys, key
    for lever in app.LEVERS:  # every slider is a real parameter; both ends are allowed values that read back
        assert lever.key in FIELDS and lever.lo < lever.hi
        for end in (lever.lo, lever.hi):
            value = lever.write(end)
            try:
                p = defaults().with_values({lever.key: value})
            except ParameterError as exc:  # only the sustain weights' sum rule may refuse an end
                assert lever.key.startswith("sustain.") and "<= 1" in str(exc), exc
                continue
            assert lever.read(p.get(lever.key)) == pytest.approx(end), lever
    for key, _ in app.CHOICES:
        assert FIELDS[key].kind == "choice"


def test_spread_viz_subcommand_is_wired():
    from model.cli import build_parser

    args = build_parser().parse_args(["viz", "--port", "9999"])
    assert args.port == 9999 and args.host == "127.0.0.1" and args.func.__name__ == "cmd_viz"


def test_edges_layer_draws_the_live_arcs(model):
    layout = views.org_layout(model.org)
    live = views.live_arcs(model)
    assert live.dtype == bool and live.shape == model.net.src.shape
    svg = views.network_edges_svg(model, layout)
    paths = [e.get("d") for e in ET.fromstring(svg).iter() if e.tag.endswith("path")]
    assert sum(d.count("M") for d in paths) == int(live.sum())  # one segment per live arc
    assert int(live.sum()) == model.network_stats()["arcs"]


def test_a_refusal_is_plain_words_beside_the_control_that_caused_it():
    pytest.importorskip("solara")
    from model.viz import app

    r = app.refusal("baseline-teaching", "1", {"sustain.support_weight": 1.0}, moved="sustain.support_weight")
    assert r.at == "sustain.support_weight"  # the slider moved, not the key the model's message names
    assert "add up to 1.60" in r.text and "Move this slider to 0.40 or less" in r.text
    # no file path, and no parameter that has no slider
    assert ".toml" not in r.text and "/" not in r.text and "reinforcement_weight" not in r.text
    assert "practising colleagues 0.40 (fixed in this scenario)" in r.text
    r = app.refusal("baseline-teaching", "1", {"sustain.recognition_weight": 0.9}, moved="sustain.recognition_weight")
    assert r.at == "sustain.recognition_weight" and "to 0.20 or less" in r.text
    assert app.refusal("baseline-teaching", "x1", {}).at == "seed"
    assert app.refusal("baseline-teaching", "1", {"leadership.commitment": 0.9}) is None


def test_why_explains_a_lever_that_changes_nothing():
    """BHR at week 150 is the same with commitment 0.8 as with 0.5: the why panel says why."""
    p = load_scenario("bhr-teaching").with_values({"leadership.commitment": 0.8}, where="test")
    m = TrustModel(p, rng=1)
    for _ in range(40):
        m.step()
    early = views.support_chain(m)
    # the golden thread: attention x alignment x (base + involvement + recognition) = the target
    assert early.attention == pytest.approx(0.8) and early.alignment == pytest.approx(0.3)
    assert early.target_rest == pytest.approx(early.attention * early.alignment * early.manager_term, rel=1e-9)
    assert early.per_commitment == pytest.approx(0.3 * early.manager_term)
    assert "weakest link: managers' alignment" in " ".join(views.why_sentences(early))
    for _ in range(110):
        m.step()
    late = views.support_chain(m)
    text = " ".join(views.why_sentences(late))
    assert late.ceo_weeks == (100, 140) and late.per_commitment == 0.0
    assert "counted only until week 100" in text and "changes nothing now" in text
    html = views.why_html(late)
    assert 'data-testid="why-chain"' in html and "setting 0.80" in html


def test_previous_run_is_drawn_faded_under_the_live_one():
    m = TrustModel(load_scenario("baseline-teaching"), rng=1)
    for _ in range(30):
        m.step()
    kept = views.previous_run(m)
    assert all(v.shape == (31,) for v in kept.values())
    m2 = TrustModel(load_scenario("baseline-teaching"), rng=2)
    svg = views.charts(m2, kept)["adoption"]
    root = ET.fromstring(svg)
    faded = [e for e in root.iter() if e.tag.endswith("polyline") and e.get("data-run") == "previous"]
    assert len(faded) == 2 and all(float(e.get("stroke-opacity")) < 0.5 for e in faded)
    assert len(faded[0].get("points").split()) == 31  # the old run to the week it reached
    assert "data-run" not in views.charts(m2)["adoption"]


def test_settings_diff_names_what_changed_in_the_sidebars_words():
    pytest.importorskip("solara")
    from model.viz import app

    s = app.build_session("bhr-teaching", 1, {})
    assert app.settings_diff(s, "bhr-teaching", 1, {"leadership.commitment": 0.8}) == ["Executive commitment 0.5 → 0.8"]
    assert app.settings_diff(s, "sash-teaching", 2, {}) == ["scenario bhr-teaching → sash-teaching", "seed 1 → 2"]
