"""Options and types every ``spread`` subcommand shares: one-line errors, bounded integers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from model.params import FIELDS

#: Replicates one command may ask for: a typo of a few zeros would otherwise sit silent for days.
MAX_REPS = 10_000
#: Posterior draws (--draws): each runs --reps replicates, so the bound is the replicates'.
MAX_DRAWS = 10_000
#: Worker processes one command may start: more than this many is a typo, and each one is a process.
MAX_WORKERS = 1_024
#: The scenario's own bound on run.weeks applies to --weeks too.
MAX_WEEKS = int(FIELDS["run.weeks"].hi)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with the house's errors: one line ``spread <sub>: error: ...``, exit 2, no usage block."""

    def error(self, message: str) -> NoReturn:
        """argparse's error hook: print ``<prog>: error: <message>`` on one line and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}\n")


def _int_at_least(lowest: int, allowed: str, highest: int | None = None):
    """An argparse type: an integer from lowest (to highest), else one clear line."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = lowest - 1
        if v < lowest or (highest is not None and v > highest):
            raise argparse.ArgumentTypeError(f"{text[:60]!r}: allowed is {allowed}")
        return v
    return parse


_positive = _int_at_least(1, "a positive integer")
_draws = _int_at_least(1, f"an integer from 1 to {MAX_DRAWS:,}", MAX_DRAWS)
_workers = _int_at_least(1, f"an integer from 1 to {MAX_WORKERS:,}", MAX_WORKERS)
#: Seeds are kept as 64-bit integers (run.json, the seed columns): as in a calibration file.
MAX_SEED = 2**63 - 1
_seed = _int_at_least(0, f"an integer from 0 to {MAX_SEED:,} (2**63 - 1)", MAX_SEED)
_reps = _int_at_least(1, f"an integer from 1 to {MAX_REPS:,}", MAX_REPS)
_weeks = _int_at_least(1, f"an integer from 1 to {MAX_WEEKS:,} (the range of run.weeks)", MAX_WEEKS)



positive, seed, reps, weeks, draws, workers = _positive, _seed, _reps, _weeks, _draws, _workers


def add_overwrite(p: argparse.ArgumentParser, what: str = "this command") -> None:
    """``--overwrite``: replace --out if it holds an earlier output of ``what`` (only the files it wrote)."""
    p.add_argument("--overwrite", action="store_true",
                   help=f"replace --out if it holds an earlier output of {what} (only files it wrote)")


def add_replicates(p: argparse.ArgumentParser, reps: int = 20) -> None:
    """``--reps``, ``--seed`` and ``--workers``."""
    p.add_argument("--reps", type=_reps, default=reps, help=f"replications, at most {MAX_REPS:,} (default {reps})")
    p.add_argument("--seed", type=_seed, default=0, help="root seed (default 0)")
    p.add_argument("--workers", type=_workers, default=None,
                   help=f"processes, at most {MAX_WORKERS:,} (default: one per core)")


def add_scenario_options(p: argparse.ArgumentParser, out_help: str, out_default: Path | None = None) -> None:
    """``--weeks``, ``--set`` and ``--out``."""
    p.add_argument("--weeks", type=_weeks, default=None,
                   help=f"horizon in weeks, at most {MAX_WEEKS:,} (default: the scenario's run.weeks)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter, e.g. --set leadership.commitment=0.9 (repeatable)")
    p.add_argument("--out", type=Path, default=out_default, help=out_help)
