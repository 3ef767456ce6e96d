"""The what-if page (issue 27, part 2) in a real browser: ``spread compare`` end to end.

The page's comparison must give the numbers the terminal gives with the same
scenario, what-if, replicates, seed and weeks; it shows report.html itself,
offers the zip, cancels a run, and one tab does not see another's jobs.
Nothing leaves the machine.  Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest

pytest.importorskip("solara")
pytest.importorskip("playwright.sync_api")

import pandas as pd  # noqa: E402
from viz_harness import ARTIFACTS, REPO, NetworkRecorder, SolaraServer  # noqa: E402


pytestmark = pytest.mark.viz

ARGS = ["bhr-teaching", "--what-if", "aligned-priorities", "--reps", "3", "--seed", "5", "--weeks", "104"]



def typed(page, label: str, text: str) -> None:
    box = page.get_by_label(label)
    box.fill(text)
    box.press("Enter")


def test_whatif_page_gives_spread_compares_numbers(offline_assets, chromium_browser, tmp_path):
    ref = tmp_path / "ref"
    subprocess.run([sys.executable, "-m", "model", "compare", *ARGS, "--workers", "1", "--out", str(ref), "--quiet"],
                   cwd=REPO, check=True, timeout=300, capture_output=True)
    expected = pd.read_csv(ref / "comparison.csv")

    ARTIFACTS.mkdir(exist_ok=True)
    recorder = NetworkRecorder()
    with SolaraServer(REPO / "model" / "viz" / "app.py", log_name="server-whatif.log") as srv:
        context = chromium_browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        recorder.attach(page)
        try:
            page.goto(srv.url + "whatif")
            page.get_by_text("No comparisons yet").wait_for()
            # bhr-teaching and "Aligned priorities" are the page's defaults
            assert page.get_by_label("Aligned priorities (recommended)").is_checked()
            typed(page, "Replicates", "3")
            typed(page, "Seed", "5")
            typed(page, "Weeks (blank: the scenario's)", "104")
            page.get_by_role("button", name="Run comparison").click()
            page.locator('[data-testid="job-status"][data-status="done"]').wait_for(timeout=180_000)

            rows = page.locator('[data-testid="findings"] tr[data-outcome]')
            rows.first.wait_for()  # the table arrives in its own widget, maybe after the status line
            page.wait_for_function("n => document.querySelectorAll('[data-testid=findings] tr[data-outcome]').length >= n",
                                   arg=len(expected))
            got = {r.get_attribute("data-outcome"): (float(r.get_attribute("data-difference")),
                                                     float(r.get_attribute("data-ci-low")),
                                                     float(r.get_attribute("data-ci-high")))
                   for r in rows.all()}
            want = {r.outcome: (r.difference, r.ci_low, r.ci_high) for r in expected.itertuples()}
            assert got == want  # the same numbers as `spread compare` with the same seed, to the last digit
            report = page.frame_locator('iframe[title="report.html"]')
            report.get_by_text("Aligned priorities").first.wait_for()

            with page.expect_download() as dl:
                page.get_by_text("Download report.html and the CSV tables").click()
            data = open(dl.value.path(), "rb").read()
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
            assert {"report.html", "comparison.csv", "replicates.csv", "trajectories.csv", "run.json"} <= names
            page.screenshot(path=str(ARTIFACTS / "viz-whatif-1366-done.png"))

            # a long run: progress, then Cancel (the page answers while it runs)
            typed(page, "Replicates", "3000")
            page.get_by_role("button", name="Run comparison").click()
            page.locator('[data-testid="job-status"][data-status="running"]').wait_for(timeout=30_000)
            page.get_by_role("button", name="Cancel").click()
            page.locator('[data-testid="job-status"][data-status="cancelled"]').wait_for(timeout=15_000)

            # another tab has its own jobs
            other = context.new_page()
            recorder.attach(other)
            other.goto(srv.url + "whatif")
            other.get_by_text("No comparisons yet").wait_for()
            assert other.locator('[data-testid="job-status"]').count() == 0
            other.close()
            recorder.wait_settled(page)
        finally:
            context.close()
        log = srv.log_text(tail=None)
    recorder.assert_offline_clean()
    assert "Traceback" not in log, log[-3000:]
    leftover = subprocess.run(["pgrep", "-f", "model compare bhr-teaching --what-if aligned-priorities --reps 3000"], capture_output=True, text=True)
    assert leftover.stdout.strip() == "", "a cancelled comparison is still running"
