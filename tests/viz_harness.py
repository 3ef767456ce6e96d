"""Real-browser test harness for the visualiser.

* ``SolaraServer`` starts ``python -m model.viz.serve APP --port N`` (which
  sets the offline asset cache, turns telemetry off and runs
  ``solara run ... --production``) in its own process group, waits until it
  answers HTTP, and kills it afterwards.
* ``launch_chromium`` drives Debian's /usr/bin/chromium through Playwright
  (no browser download).
* ``NetworkRecorder`` keeps every request the page makes and every failure,
  so a test can insist that nothing left the machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--no-default-browser-check",
]


def chromium_path() -> str | None:
    for cand in (os.environ.get("SPREAD_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SolaraServer:
    """``with SolaraServer(app) as srv: srv.url`` -- a live server on a free port."""

    def __init__(self, app: str | Path, *, ready_timeout: float = 30.0, log_name: str | None = None):
        self.app = str(app)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.ready_timeout = ready_timeout
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS / (log_name or f"server-{Path(self.app).stem}.log")
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.ready_after = float("nan")  # seconds from spawn to first HTTP 200

    def __enter__(self) -> SolaraServer:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        self._log = open(self.log_path, "w")
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "model.viz.serve", self.app, "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: killed as one below
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = self.started_at + self.ready_timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"solara server exited with {self.proc.returncode}; log:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        self.ready_after = time.perf_counter() - self.started_at
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.1)
        raise TimeoutError(f"solara server not ready within {self.ready_timeout} s; log:\n{self.log_text()}")

    def log_text(self, tail: int | None = 5000) -> str:
        try:
            self._log.flush()
        except Exception:
            pass
        text = self.log_path.read_text(errors="replace")
        return text[-tail:] if tail else text

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the group this server leads
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        if getattr(self, "_log", None) and not self._log.closed:
            self._log.close()

    def __exit__(self, *exc) -> None:
        self.stop()


def _served(url: str, timeout_s: float = 10.0) -> bool:
    """True if the local server answers ``url`` with 200 and a non-empty body."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return resp.status == 200 and len(resp.read(1)) == 1
    except OSError:
        return False


@dataclass
class NetworkRecorder:
    """Every request a page makes, and every failed or >= 400 response."""

    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    pending: dict = field(default_factory=dict)  # request -> url, until it finishes or fails

    def attach(self, page) -> None:
        page.on("request", self._on_request)
        page.on("requestfinished", lambda r: self.pending.pop(r, None))
        page.on("requestfailed", self._on_failed)
        page.on("response", lambda r: self.failures.append(f"{r.url} -> HTTP {r.status}") if r.status >= 400 else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)

    def _on_request(self, r) -> None:
        self.requests.append(r.url)
        self.pending[r] = r.url

    def _on_failed(self, r) -> None:
        self.pending.pop(r, None)
        self.failures.append(f"{r.url} failed: {r.failure}")

    def wait_settled(self, page, timeout_s: float = 15.0) -> None:
        """Wait until no request is in flight (a slow cache miss shows up as pending)."""
        deadline = time.perf_counter() + timeout_s
        while self.pending and time.perf_counter() < deadline:
            page.wait_for_timeout(100)
        # On a loaded machine Chromium sometimes drops the 'finished' event of a
        # late font request. Ask the server for each still-pending local URL: an
        # answer with content proves the asset is served offline; a miss (the
        # cache-miss proxy points at a dead port) stays pending and fails.
        for req, url in list(self.pending.items()):
            if urlsplit(url).hostname in LOCAL_HOSTS and _served(url):
                self.pending.pop(req, None)

    def foreign(self) -> list[str]:
        """Requests to any host but this machine's loopback (data:/blob: are local)."""
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in LOCAL_HOSTS:
                out.append(url)
        return out

    def assert_offline_clean(self) -> None:
        problems = []
        if self.foreign():
            problems.append("requests off this machine:\n  " + "\n  ".join(self.foreign()))
        if self.failures:
            problems.append("failed requests:\n  " + "\n  ".join(self.failures))
        if self.pending:
            problems.append("requests never answered:\n  " + "\n  ".join(self.pending.values()))
        if self.page_errors:
            problems.append("uncaught page errors:\n  " + "\n  ".join(self.page_errors))
        assert not problems, "\n".join(problems)


def launch_chromium(playwright):
    exe = chromium_path()
    if exe is None:
        raise RuntimeError("no chromium found (Debian: apt-get install -y chromium)")
    return playwright.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)


# -- timing in the page (the teaching app stamps each view with data-week) ---
N_VIEWS = 8  # network, tiles, five charts, timeline

# In the page: click a button, then wait until every view shows the target
# week; resolves to the milliseconds from the click to that frame.
CLICK_AND_WAIT_JS = """
async ([label, target, nViews]) => {
  const button = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === label);
  if (!button) throw new Error('no button ' + label);
  const done = () => {
    const vs = document.querySelectorAll('[data-view]');
    return vs.length >= nViews && [...vs].every(v => v.dataset.week === String(target));
  };
  const t0 = performance.now();
  button.click();
  while (!done()) {
    await new Promise(r => requestAnimationFrame(r));
    if (performance.now() - t0 > 10000) throw new Error('views did not reach week ' + target);
  }
  return performance.now() - t0;
}
"""


def week_of(page) -> int:
    return int(page.locator('[data-testid="headline"]').get_attribute("data-week"))


def measure_steps(page, n: int) -> list[float]:
    out = []
    for _ in range(n):
        target = week_of(page) + 1
        out.append(page.evaluate(CLICK_AND_WAIT_JS, ["Step", target, N_VIEWS]))
    return out


def wait_views(page, week: int) -> None:
    page.wait_for_function(
        "([w, n]) => { const vs = document.querySelectorAll('[data-view]');"
        " return vs.length >= n && [...vs].every(v => v.dataset.week === String(w)); }",
        arg=[week, N_VIEWS])
