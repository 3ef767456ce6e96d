"""How fast the teaching visualiser steps and redraws (the issue-4 bar: <= 300 ms).

    .venv/bin/python benchmarks/bench_viz.py            # server side, every teaching trust
    .venv/bin/python benchmarks/bench_viz.py --browser  # plus the real round trip in Chromium

Server side: one ``TrustModel.step()`` plus a redraw of every view (network
layers, unit tiles, five charts, timeline, network statistics) for each
600-staff teaching trust, weeks 101-130.  Browser: starts the app, clicks
Step and times, inside the page, from the click until every view shows the
new week (same harness as tests/viz/test_browser.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def server_side(reps: int = 30) -> None:
    from model import app

    print(f"{'scenario':20s} {'staff':>5s} {'median ms':>9s} {'max ms':>7s}   (step + redraw of every view, server)")
    for name in app.available_scenarios():
        s = app.build_session(name, 1, {})
        for _ in range(100):
            s.model.step()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            s.model.step()
            app.render_views(s)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"{name:20s} {s.model.n:5d} {statistics.median(times):9.1f} {max(times):7.1f}")


def browser(steps: int = 20) -> None:
    from playwright.sync_api import sync_playwright
    from viz_harness import CLICK_AND_WAIT_JS, N_VIEWS, SolaraServer, launch_chromium, measure_steps, wait_views, week_of

    from model.viz import assets as viz_assets

    viz_assets.fill(quiet=True)
    with SolaraServer(REPO / "model" / "viz" / "app.py", log_name="bench-server.log") as srv, sync_playwright() as p:
        b = launch_chromium(p)
        page = b.new_page(viewport={"width": 1500, "height": 2300})
        page.goto(srv.url)
        wait_views(page, 0)
        ready = time.perf_counter() - srv.started_at
        for _ in range(10):
            page.evaluate(CLICK_AND_WAIT_JS, ["+10", week_of(page) + 10, N_VIEWS])
        times = measure_steps(page, steps)
        b.close()
    print(f"browser: page ready {ready:.2f} s after server start; step + redraw of all {N_VIEWS} views "
          f"(weeks 101-{100 + steps}, baseline-teaching): median {statistics.median(times):.0f} ms, "
          f"max {max(times):.0f} ms")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--browser", action="store_true", help="also time the round trip in Chromium")
    args = ap.parse_args()
    server_side()
    if args.browser:
        browser()
