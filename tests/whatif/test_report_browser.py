"""The what-if report opens in a real Chromium: figures rendered, no external request.

Uses the session's shared Chromium (``chromium_browser`` in conftest.py: the
viz extra's Playwright driving Debian's chromium, installed by .ci/run).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from model.cli import main as spread


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "compare"
    rc = spread(["compare", "baseline-teaching", "--what-if", "stable-leadership", "managers-involved",
                 "--reps", "3", "--weeks", "52", "--workers", "1", "--quiet", "--out", str(out),
                 "--set", "leadership.ceo_changes=[20]"])
    assert rc == 0
    return out / "report.html"


@pytest.fixture(scope="module")
def matrix_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "matrix"
    rc = spread(["compare", "--matrix", "sash", "bhr", "--teaching", "--what-if", "stable-leadership",
                 "aligned-priorities", "--reps", "2", "--weeks", "40", "--workers", "1", "--quiet", "--out", str(out)])
    assert rc == 0
    return out / "report.html"


def test_report_is_self_contained(report):
    text = report.read_text()
    assert "<img" in text
    for bad in ('src="http', "src='http", 'href="http', "href='http", "@import", "url(http", "<script src", "<link"):
        assert bad not in text


@pytest.mark.parametrize("which", ["report", "matrix_report"])
def test_report_renders_in_chromium(which, request, chromium_browser):
    path: Path = request.getfixturevalue(which)
    url = path.resolve().as_uri()
    requests: list[str] = []
    context = chromium_browser.new_context()
    try:
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url, wait_until="load")
        imgs = page.evaluate("""() => Array.from(document.images).map(i => ({
            src: i.currentSrc.slice(0, 22), ok: i.complete && i.naturalWidth > 100 && i.naturalHeight > 100,
            shown: i.getBoundingClientRect().width > 100}))""")
        title = page.title()
        h1 = page.inner_text("h1")
        findings = page.locator("p.finding").count()
    finally:
        context.close()
    assert title.startswith("What-if report")
    assert h1
    assert findings >= 2
    assert len(imgs) >= 2
    assert all(i["ok"] and i["shown"] for i in imgs), imgs
    assert all(i["src"].startswith("data:image/png;base64") for i in imgs)
    external = [u for u in requests if not (u.startswith("file://") or u.startswith("data:"))]
    assert external == [], external
    assert requests and requests[0] == url
