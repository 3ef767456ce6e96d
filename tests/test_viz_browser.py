"""End-to-end: the visualiser in a real browser, with nothing fetched off the machine.

Starts the Solara server as a subprocess on a free port, drives Debian's
Chromium through Playwright, records every request, and fails on any request
to a host other than this machine or any failed request.  Screenshots go to
test-artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import time

import pytest

pytest.importorskip("solara")
sync_api = pytest.importorskip("playwright.sync_api")

from viz_harness import (  # noqa: E402
    ARTIFACTS,
    REPO,
    NetworkRecorder,
    SolaraServer,
    chromium_path,
    launch_chromium,
)

from model import viz_assets  # noqa: E402

pytestmark = pytest.mark.viz

READY_BUDGET_S = 10.0  # server start -> page ready


@pytest.fixture(scope="session")
def offline_assets():
    """Fill the asset cache (npm registry, at set-up time) and point Solara at it."""
    cache = viz_assets.configure_environment()
    if viz_assets.missing(cache):
        viz_assets.fill(cache)
    assert not viz_assets.missing(cache)
    return cache


@pytest.fixture(scope="session")
def chromium():
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing; .ci/run should have installed it (apt-get install -y chromium)")
        pytest.skip("no chromium here (apt-get install -y chromium)")
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()


def open_page(browser, url: str, recorder: NetworkRecorder, *, width: int = 1400, height: int = 1000):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(20_000)
    recorder.attach(page)
    page.goto(url)
    return context, page


def test_minimal_solaraviz_page_renders_offline(offline_assets, chromium):
    ARTIFACTS.mkdir(exist_ok=True)
    recorder = NetworkRecorder()
    with SolaraServer(REPO / "tests" / "apps" / "minimal_app.py", log_name="server-minimal.log") as srv:
        context, page = open_page(chromium, srv.url, recorder)
        try:
            page.get_by_text("Tiny offline check").first.wait_for()
            # The main pane, not just the sidebar (ipyvue>=2 shows only the sidebar):
            page.locator("img").first.wait_for()  # matplotlib plot, drawn by the server
            page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for()  # altair, drawn by vega
            ready_s = time.perf_counter() - srv.started_at
            step = page.get_by_role("button", name="Step")
            for _ in range(3):
                step.click()
            page.get_by_text("Time: 3.0").wait_for()
            page.wait_for_timeout(500)  # let the plots finish redrawing for the screenshot
            page.screenshot(path=str(ARTIFACTS / "viz-minimal.png"), full_page=True)
        finally:
            context.close()
    print(f"minimal page: server answered after {srv.ready_after:.2f} s, page ready after {ready_s:.2f} s")
    assert ready_s <= READY_BUDGET_S, f"page ready after {ready_s:.1f} s (budget {READY_BUDGET_S} s)"
    assert any("/_solara/cdn/" in url for url in recorder.requests), "assets did not come through the local cache"
    recorder.assert_offline_clean()
