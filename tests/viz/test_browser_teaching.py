"""The teaching page as a class sees it on a 1366x768 projector (issue 27, part 1).

One server and one page: the figures are above the fold, a refused setting
is explained beside its slider in plain words, a Reset keeps the previous
run's curves (faded) beside the new ones, and the "why" panel explains a
lever that changes nothing.  Nothing leaves the machine; the server stops
on SIGTERM without a traceback and never prints the samesite cookie warning.
Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import pytest

pytest.importorskip("solara")
pytest.importorskip("playwright.sync_api")

from viz_harness import (  # noqa: E402
    ARTIFACTS,
    CLICK_AND_WAIT_JS,
    N_VIEWS,
    REPO,
    NetworkRecorder,
    SolaraServer,
    wait_views,
    week_of,
)


pytestmark = pytest.mark.viz

W, H = 1366, 768
FIGURES = ("network", "tiles", "chart-adoption", "chart-reach", "chart-lead-time", "chart-attention",
           "chart-support", "timeline")

BOXES_JS = """(names) => Object.fromEntries(names.map(n => {
  const e = document.querySelector(`[data-view="${n}"]`);
  if (!e) return [n, null];
  const r = e.getBoundingClientRect();
  return [n, [r.left, r.top, r.right, r.bottom]];
}))"""



def slider(page, key: str):
    """The thumb of a lever's slider (slider 0 is the play interval)."""
    from model.viz.app import LEVERS

    k = 1 + [lv.key for lv in LEVERS].index(key)
    return page.locator(".v-navigation-drawer .v-slider").nth(k)


def assert_above_the_fold(page) -> None:
    """Every figure and the why panel lie inside the 1366x768 viewport: nothing to scroll to."""
    boxes = page.evaluate(BOXES_JS, list(FIGURES))
    for name, box in boxes.items():
        assert box is not None, f"{name} is not on the page"
        left, top, right, bottom = box
        assert left >= 0 and top >= 0 and right <= W + 0.5 and bottom <= H + 0.5, \
            f"{name} at {box} is outside the {W}x{H} viewport"
        assert right - left > 150 and bottom - top > 60, f"{name} is too small to read: {box}"
    why = page.locator('[data-testid="panel-why"]').bounding_box()
    assert why["y"] + why["height"] <= H, f"the why panel is below the fold: {why}"


def run_to(page, week: int) -> None:
    while week_of(page) < week:
        target = min(week_of(page) + 10, week)
        label = "+10" if target - week_of(page) == 10 else "Step"
        if label == "Step":
            target = week_of(page) + 1
        page.evaluate(CLICK_AND_WAIT_JS, [label, target, N_VIEWS])


def test_teaching_page_on_a_projector(offline_assets, chromium_browser):
    ARTIFACTS.mkdir(exist_ok=True)
    recorder = NetworkRecorder()
    with SolaraServer(REPO / "model" / "viz" / "app.py", log_name="server-teaching.log") as srv:
        context = chromium_browser.new_context(viewport={"width": W, "height": H})
        page = context.new_page()
        page.set_default_timeout(20_000)
        recorder.attach(page)
        try:
            page.goto(srv.url)
            wait_views(page, 0)

            # 1. Every figure lies inside the 1366x768 viewport: nothing to scroll to.
            assert_above_the_fold(page)
            page.screenshot(path=str(ARTIFACTS / "viz-teaching-1366-start.png"))

            # 2. BHR to week 150: pilots practise, nothing spreads.
            page.get_by_label("Scenario").click(force=True)
            page.get_by_role("option", name="bhr-teaching").click()
            page.get_by_text("Barking").first.wait_for()
            wait_views(page, 0)
            run_to(page, 150)
            before = page.locator('[data-testid="headline"]').inner_text()

            # 3. Each slider marks the scenario's own value; raise commitment 0.5 -> 0.8 and Reset.
            assert page.locator('[data-testid="mark-leadership.commitment"]').count() == 1
            thumb = slider(page, "leadership.commitment").locator(".v-slider__thumb-container")
            thumb.focus()
            for _ in range(6):  # step 0.05
                page.keyboard.press("ArrowRight")
            page.get_by_text("Executive commitment: 0.8 (scenario 0.5)").wait_for()
            page.get_by_role("button", name="Reset").click()
            wait_views(page, 0)
            caption = page.locator('[data-testid="previous-run"]').inner_text()
            assert "to week 150" in caption and "Executive commitment 0.5 → 0.8" in caption, caption
            # the old run's curves stay in every chart, faded
            faded = page.locator('[data-view="chart-adoption"] polyline[data-run="previous"]')
            assert faded.count() == 2
            assert float(faded.first.get_attribute("stroke-opacity")) < 0.5
            run_to(page, 150)
            after = page.locator('[data-testid="headline"]').inner_text()
            assert after == before, "BHR's week 150 was expected to be the same with commitment 0.8"
            # ... and the why panel says why: new chief executives replaced the setting
            reading = page.locator('[data-testid="why-reading"]').inner_text()
            assert "counted only until week 100" in reading and "changes nothing now" in reading, reading
            assert_above_the_fold(page)  # with the previous run's caption and a long reading too
            page.wait_for_timeout(200)
            page.screenshot(path=str(ARTIFACTS / "viz-teaching-1366-bhr-reset.png"))

            # 4. A refused setting, in plain words, beside the slider that caused it.
            support = slider(page, "sustain.support_weight")
            support.locator(".v-slider__thumb-container").focus()
            page.keyboard.press("End")
            msg = page.locator('[data-testid="refusal"]')
            msg.wait_for()
            assert msg.get_attribute("data-at") == "sustain.support_weight"
            text = msg.inner_text()
            assert "add up to" in text and "Move this slider to" in text, text
            assert ".toml" not in text and "/" not in text and "reinforcement_weight" not in text, text
            s_box, m_box = support.bounding_box(), msg.bounding_box()
            gap = m_box["y"] - (s_box["y"] + s_box["height"])
            assert 0 <= gap <= 40 and abs(m_box["x"] - s_box["x"]) < 40, (s_box, m_box)
            assert page.get_by_role("button", name="Reset").is_disabled()
            msg.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "viz-teaching-1366-refusal.png"))
            support.locator(".v-slider__thumb-container").focus()
            page.keyboard.press("Home")
            msg.wait_for(state="detached")
            recorder.wait_settled(page)
        finally:
            context.close()
    log = srv.log_text(tail=None)  # after SIGTERM (SolaraServer.stop)
    recorder.assert_offline_clean()
    assert "visualiser: stopped" in log, log[-2000:]
    assert "Traceback" not in log and "samesite" not in log, log[-3000:]
    assert "Could not load URL" not in log
