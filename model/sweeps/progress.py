"""Progress of a sweep: a bar on a terminal, plain lines every 10 s otherwise (logs, batch jobs)."""

from __future__ import annotations

import math
import sys
import time

class Progress:
    """A bar on a terminal; plain periodic lines otherwise."""

    def __init__(self, total: int, initial: int, label: str, tty: bool | None = None,
                 every: float = 10.0, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.total, self.done, self.label = total, initial, label
        self.start_done = initial
        self.errors = 0
        self.t0 = time.monotonic()
        self.last = self.t0
        self.every = every
        self.bar = None
        if self.tty:
            try:
                from tqdm import tqdm
            except ImportError:  # tqdm comes with the sweep extra; without it, the plain lines below
                self.tty = False
                return
            self.bar = tqdm(total=total, initial=initial, unit="run", desc=label, file=self.stream,
                            dynamic_ncols=True, smoothing=0.1)

    def update(self, n: int, errors: int = 0) -> None:
        """Count ``n`` more finished runs, ``errors`` of them raised; off a terminal, a line every ``every`` seconds."""
        self.done += n
        self.errors += errors
        if self.bar is not None:
            self.bar.update(n)
            if self.errors:
                self.bar.set_postfix(raised=self.errors, refresh=False)
            return
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.line()

    def line(self, final: bool = False) -> None:
        """Print one progress line: runs done, share, rate, and time left (or, if ``final``, time taken)."""
        el = time.monotonic() - self.t0
        new = self.done - self.start_done
        rate = new / el if el > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        pct = 100.0 * self.done / self.total if self.total else 100.0
        msg = f"[{self.label}] {self.done}/{self.total} runs ({pct:.0f}%), {rate:.1f} runs/s"
        msg += f", {_hms(el)} elapsed" if final else f", about {_hms(left)} left"
        if self.errors:
            msg += f", {self.errors} raised"
        print(msg, file=self.stream, flush=True)

    def close(self) -> None:
        """Close the bar, or print the final line."""
        if self.bar is not None:
            self.bar.close()
        else:
            self.line(final=True)


def _hms(s: float) -> str:
    if not math.isfinite(s):
        return "?"
    s = int(round(s))
    h, r = divmod(s, 3600)
    m, sec = divmod(r, 60)
    return f"{h}h{m:02d}m{sec:02d}s" if h else (f"{m}m{sec:02d}s" if m else f"{sec}s")

