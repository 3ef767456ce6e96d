"""``spread sweep EXPERIMENT`` and ``spread analyse DIR`` (docs/SWEEPS.md)."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path


#: The longest wait between Parquet parts: finished runs must reach the disk within the hour.
MAX_FLUSH_SECONDS = 3600.0


def _seconds(text: str) -> float:
    """An argparse type for --flush-every: a number of seconds from 0 to MAX_FLUSH_SECONDS (not NaN)."""
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not 0 <= v <= MAX_FLUSH_SECONDS:
        raise argparse.ArgumentTypeError(f"{text[:20]!r}: allowed is a number of seconds from 0 to {MAX_FLUSH_SECONDS:g}")
    return v


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``spread sweep`` and ``spread analyse``."""
    p = subparsers.add_parser(
        "sweep", help="run an experiment file's sweep (local processes or a Dask cluster)",
        description="Run every (point, replicate) of an experiment file, writing Parquet parts as runs "
                    "finish. Run again with --resume to continue: finished runs are skipped.")
    p.add_argument("experiment", help="experiment file (TOML), e.g. experiments/E2_regime_map.toml, or a shipped one by name (spread scenarios lists them)")
    p.add_argument("--out", help="results folder (default results/<experiment name>)")
    p.add_argument("--workers", type=int, help="local worker processes (default: all cores; 1 runs in this process)")
    p.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786), or 'local' for a Dask LocalCluster")
    p.add_argument("--resume", action="store_true",
                   help="continue the sweep in --out: skip its finished runs (the folder must hold this sweep)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an earlier sweep's results in --out (only files a sweep wrote) and start again; "
                        "they are set aside in --out/.spread-replaced and removed when the new sweep completes")
    p.add_argument("--batch", type=int, help="runs per task (default: chosen from runs and workers)")
    p.add_argument("--flush-every", type=_seconds, default=2.0, metavar="SECONDS",
                   help="write finished runs to a new Parquet part at least this often (default 2)")
    p.add_argument("--no-analyse", action="store_true", help="do not run the analysis at the end")
    p.set_defaults(func=cmd_sweep)

    a = subparsers.add_parser(
        "analyse", aliases=["analyze"], help="tables and figures for a sweep's results folder",
        description="Summary tables with intervals, regime maps, outcome-vs-parameter plots, Sobol/Morris "
                    "indices and PRIM boxes, as the experiment file's [analyses] asks; written to DIR/analysis.")
    a.add_argument("dir", help="results folder written by `spread sweep`")
    a.add_argument("--out", help="where to write (default DIR/analysis, refreshed each time)")
    a.add_argument("--overwrite", action="store_true", help="replace --out if it holds an earlier analysis")
    a.set_defaults(func=cmd_analyse)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or resume) the sweep; one line per problem, exit 2, before anything is written."""
    from model.sweeps.design import ExperimentError
    from model.sweeps.runner import run_sweep
    from model.sweeps.store import SweepError
    from model.cli.options import MAX_WORKERS
    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        print(f"--workers = {args.workers}: allowed is an integer from 1 to {MAX_WORKERS:,}", file=sys.stderr)
        return 2
    if args.batch is not None and args.batch < 1:
        print(f"--batch = {args.batch}: must be at least 1", file=sys.stderr)
        return 2
    try:
        rep = run_sweep(args.experiment, out=args.out, workers=args.workers, scheduler=args.scheduler,
                        resume=args.resume, overwrite=args.overwrite, batch=args.batch, analyse=not args.no_analyse,
                        flush_seconds=args.flush_every)
    except ExperimentError as e:
        for line in e.lines:
            print(line, file=sys.stderr)
        return 2
    except SweepError as e:
        print(str(e), file=sys.stderr)
        return 2
    except OSError as e:  # disk full, quota, a folder that cannot be written: parts already written are whole
        from model.results_folder import resource_error
        err = resource_error(e, Path(args.out or "results"))
        print(f"{err}; finished runs already written are kept, run again with --resume", file=sys.stderr)
        return err.code
    except KeyboardInterrupt:
        return 130
    if rep.failed:
        print(f"spread sweep: every one of the {rep.total} runs raised, so there is nothing to analyse "
              f"(first: {rep.first_error}); the error column of {rep.out}/runs has each one", file=sys.stderr)
        return 1
    print(f"results: {rep.out}")
    return 0 if rep.complete else 1


def cmd_analyse(args: argparse.Namespace) -> int:
    """Draw the analysis of a sweep's results folder."""
    from model.sweeps.analysis import AnalysisError, analyse
    from model.sweeps.store import SweepError
    try:
        written = analyse(args.dir, out=args.out, overwrite=args.overwrite)
    except (AnalysisError, SweepError) as e:  # SweepError: a damaged weekly part, read while drawing
        print(str(e), file=sys.stderr)
        return 2
    print(f"analysis: {len(written)} files in {written[0].parent if written else args.dir}")
    return 0
