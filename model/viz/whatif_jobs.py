"""Background what-if comparisons for the visualiser's what-if page.

A job is one ``spread compare`` run (the same command, so the same numbers
as a policy analyst gets in the terminal with the same seed, and the same
report.html and CSV tables), started as a child process in its own process
group: the page stays responsive (no simulation shares the server's
interpreter), and Cancel ends the whole run at once.

One queue per server, bounded: one job runs at a time (``--workers 1``, so a
classroom laptop serving the teaching page is not swamped) and at most
``max_waiting`` wait behind it; a further job is refused with a message.
Each browser tab keeps the ids of its own jobs, so one tab never sees
another's.  No Solara here: testable without a browser.
"""

from __future__ import annotations

import atexit
import io
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: What the report folder of ``spread compare`` holds that the zip carries.
ZIPPED = ("report.html", "comparison.csv", "replicates.csv", "trajectories.csv", "run.json")
_PROGRESS = re.compile(r"runs (\d+)/(\d+)")


class QueueFull(RuntimeError):
    """The server's queue is full: the message says how many jobs are ahead."""


@dataclass
class Job:
    """One comparison: what was asked, where it stands, and where its report is."""

    id: int
    scenario: str
    whatifs: tuple[str, ...]  # bundled names or .toml paths
    reps: int
    seed: int
    weeks: int | None
    levers: dict = field(default_factory=dict)  # key -> value: written as a what-if of their own
    status: str = "queued"  # queued, running, done, failed, cancelled
    done: int = 0
    total: int = 0
    error: str = ""
    folder: Path | None = None  # the report folder once done
    started: float = 0.0
    finished: float = 0.0
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    _work: Path | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        """Whether the job still waits or runs."""
        return self.status in ("queued", "running")

    def command(self, out: Path, levers_file: Path | None) -> list[str]:
        """The ``spread compare`` command line this job runs."""
        cmd = [sys.executable, "-m", "model", "compare", self.scenario]
        whatifs = list(self.whatifs) + ([str(levers_file)] if levers_file else [])
        for w in whatifs:
            cmd += ["--what-if", w]
        cmd += ["--reps", str(self.reps), "--seed", str(self.seed), "--workers", "1", "--out", str(out)]
        if self.weeks:
            cmd += ["--weeks", str(self.weeks)]
        return cmd

    def findings(self) -> pd.DataFrame:
        """The report's comparison table (one row per what-if and outcome)."""
        return pd.read_csv(self.folder / "comparison.csv")

    def report_html(self) -> str:
        """The finished report page, as spread compare wrote it."""
        return (self.folder / "report.html").read_text(encoding="utf-8")

    def zip_bytes(self) -> bytes:
        """report.html, the CSV tables and run.json, as one zip."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name in ZIPPED:
                if (self.folder / name).is_file():
                    z.write(self.folder / name, name)
        return buf.getvalue()


def levers_toml(levers: dict) -> str:
    """A what-if file that sets each lever outright (numbers only)."""
    sections: dict[str, list[str]] = {}
    for key, value in sorted(levers.items()):
        sec, name = key.split(".", 1)
        sections.setdefault(sec, []).append(f"{name} = {float(value)!r}")
    head = ('title = "Levers set on the page"\n'
            'description = "The levers as set on the what-if page of the visualiser."\n'
            'source = "spread viz, what-if page"\n')
    return head + "".join(f"\n[{sec}]\n" + "\n".join(lines) + "\n" for sec, lines in sections.items())


class JobQueue:
    """Runs jobs one at a time in the background; at most ``max_waiting`` wait."""

    def __init__(self, max_waiting: int = 3, root: Path | None = None):
        self.max_waiting = max_waiting
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="spread-viz-whatif-"))
        self._jobs: dict[int, Job] = {}
        self._waiting: list[int] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._run_forever, name="whatif-jobs", daemon=True)
        self._thread.start()

    def submit(self, scenario: str, whatifs: tuple[str, ...], reps: int, seed: int, weeks: int | None = None,
               levers: dict | None = None) -> Job:
        """Queue a job; QueueFull when ``max_waiting`` are already waiting."""
        with self._lock:
            if len(self._waiting) >= self.max_waiting:
                raise QueueFull(f"The queue on this server is full ({len(self._waiting)} waiting behind the one "
                                f"running, at most {self.max_waiting}); try again when one has finished.")
            job = Job(next(self._ids), scenario, tuple(whatifs), int(reps), int(seed), weeks, dict(levers or {}))
            self._jobs[job.id] = job
            self._waiting.append(job.id)
            self._wake.notify()
        return job

    def get(self, job_id: int) -> Job:
        """The job with this id (KeyError if the server never queued it)."""
        return self._jobs[job_id]

    def cancel(self, job_id: int) -> None:
        """Drop a waiting job, or end a running one (its whole process group)."""
        with self._lock:
            job = self._jobs[job_id]
            if job.status == "queued":
                self._waiting.remove(job_id)
                job.status, job.finished = "cancelled", time.time()
                return
            if job.status != "running":
                return
            job.status = "cancelled"
            proc = job._proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def _run_forever(self) -> None:
        while True:
            with self._lock:
                while not self._waiting:
                    self._wake.wait()
                job = self._jobs[self._waiting.pop(0)]
                job.status, job.started = "running", time.time()
            try:
                self._run(job)
            except Exception as exc:  # noqa: BLE001 -- a job's failure is shown on its page, the queue goes on
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
            job.finished = time.time()

    def _run(self, job: Job) -> None:
        work = job._work = self.root / f"job-{job.id}"
        work.mkdir(parents=True)
        levers_file = None
        if job.levers:
            levers_file = work / "page-levers.toml"
            levers_file.write_text(levers_toml(job.levers), encoding="utf-8")
        out = work / "report"
        with self._lock:
            if job.status == "cancelled":
                return
            job._proc = proc = subprocess.Popen(
                job.command(out, levers_file), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                cwd=Path(__file__).resolve().parents[2], start_new_session=True)
        tail: list[str] = []

        def read_stderr():
            buf = b""
            while True:
                chunk = proc.stderr.read1(4096)  # what is there: progress lines end in \r, not \n
                if not chunk:
                    break
                buf += chunk
                *lines, buf = re.split(rb"[\r\n]", buf)
                for line in lines:
                    text = line.decode(errors="replace")
                    m = _PROGRESS.search(text)
                    if m:
                        job.done, job.total = int(m.group(1)), int(m.group(2))
                    elif text.strip():
                        tail.append(text.strip())
            if buf.strip():
                tail.append(buf.decode(errors="replace").strip())

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        proc.stdout.read()
        proc.wait()
        reader.join(timeout=5)
        if job.status == "cancelled":
            shutil.rmtree(work, ignore_errors=True)
            return
        if proc.returncode == 0 and (out / "report.html").is_file():
            job.folder, job.status = out, "done"
            job.done = job.total = max(job.total, job.done)
        else:
            job.status = "failed"
            job.error = (tail[-1] if tail else f"spread compare exited with {proc.returncode}")


_QUEUE: JobQueue | None = None
_QUEUE_LOCK = threading.Lock()


def server_queue() -> JobQueue:
    """The one queue of this server (made on first use)."""
    global _QUEUE
    with _QUEUE_LOCK:
        if _QUEUE is None:
            _QUEUE = JobQueue()
            atexit.register(shutil.rmtree, _QUEUE.root, True)  # reports live as long as the server
        return _QUEUE
