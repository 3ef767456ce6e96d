"""``spread calibrate CONFIG.toml``: ABC-SMC over a calibration file's targets (docs/calibration.md)."""

from __future__ import annotations

import argparse
import errno
import os
import sys
import time
from pathlib import Path

from model.cli.options import MAX_WORKERS, seed, workers


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spread calibrate``."""
    c = sub.add_parser(
        "calibrate", help="fit parameters to observed patterns by ABC-SMC (pyabc)",
        description="Fit a calibration file's free parameters to its targets by approximate Bayesian computation "
                    "(ABC-SMC, pyabc). Writes the posterior particles with weights, the tolerance and acceptance "
                    "rate of each generation, figures, posterior predictive checks, report.md and run.json to "
                    "--out. Interrupted, --resume continues from the last finished generation.")
    c.add_argument("config", help="calibration file (TOML), e.g. experiments/C1_patterns.toml")
    c.add_argument("--out", type=Path, help="results folder (default results/calibrate-<name>)")
    c.add_argument("--workers", type=workers, help=f"local processes for a particle's runs, at most {MAX_WORKERS:,} "
                                                   "(default: one per core; 1 runs in this process)")
    c.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786), a scheduler file (*.json), "
                                       "or 'local' for a Dask LocalCluster")
    c.add_argument("--resume", action="store_true", help="continue the calibration in --out from its last finished "
                                                         "generation (same file and seed only)")
    c.add_argument("--quick", action="store_true", help="a small population and two generations (a test of the set-up)")
    c.add_argument("--seed", type=seed, help="root seed instead of the file's `seed` (an independent repeat of the "
                                             "same calibration; --resume needs the same --seed)")
    c.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Validate everything, fit generation by generation, check the posterior, write the folder."""
    from model.calibrate.config import load_calibration

    cal = load_calibration(args.config, quick=args.quick)  # CalibrationError: one line, exit 2 (model/cli/__init__)
    if args.seed is not None:  # another root seed is another calibration: its digest (and folder) differ
        import dataclasses
        cal = dataclasses.replace(cal, seed=args.seed)
    from model.calibrate.posterior import check_calibration_target, start_manifest  # scipy.stats, pandas: after the file's checks
    from model.results_folder import safe_name

    default = f"calibrate-{cal.name}" + (f"-seed{cal.seed}" if args.seed is not None else "")
    out = args.out or Path("results") / safe_name(default)
    check_calibration_target(out, cal.digest(), args.resume)
    from model.extras import MissingExtra, require
    try:
        require("calibrate", ("pyabc",), "spread calibrate")
        if args.scheduler:
            require("sweep", ("distributed",), f"spread calibrate --scheduler {args.scheduler}")
    except MissingExtra as e:
        print(e, file=sys.stderr)
        return 2
    if args.scheduler:
        from model.sweeps.executors import check_scheduler
        from model.sweeps.store import SweepError
        try:
            check_scheduler(args.scheduler)
        except SweepError as e:
            print(f"spread calibrate: {e}", file=sys.stderr)
            return 2
    from model.results_folder import OutputError, lock_folder, resource_error

    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = lock_folder(out)  # one writer at a time, as a sweep's folder: held until the calibration ends
    except OSError as e:
        raise resource_error(e, out) from e
    if lock is None:
        raise OutputError(f"{out}: another `spread calibrate` is writing to this folder; wait for it to end, "
                          "or choose another --out")
    try:
        return _fit_locked(args, cal, out)
    finally:
        os.close(lock)


def _fit_locked(args: argparse.Namespace, cal, out: Path) -> int:
    """The calibration proper, while this process holds ``out``'s lock."""
    from model.calibrate.posterior import check_calibration_target, clear_debris, start_manifest
    from model.results_folder import resource_error
    from model.sweeps.executors import make_executor

    check_calibration_target(out, cal.digest(), args.resume)  # again, now that no one else can change it
    try:
        clear_debris(out)  # temporary files of a killed calibration
        start_manifest(out, cal, sys.argv[1:])
    except OSError as e:  # a read-only or full disk: say so in one line, and leave no folder made here
        if not args.resume:
            _remove_new_folder(out)
        raise resource_error(e, out) from None
    handle = make_executor(args.workers, args.scheduler)
    workers = f"{handle.workers} {handle.kind} worker(s)"

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    try:
        # a Dask cluster's workers may come and go (an adaptive dask-jobqueue cluster starts with none):
        # there each replicate stays a task of its own; local workers get batches of replicates
        n_workers = None if handle.kind == "dask" else handle.workers
        result = run_and_write(cal, out, handle.executor, log, workers, n_workers)
    except KeyboardInterrupt:
        handle.close(cancel=True)
        print(f"spread calibrate: interrupted; finished generations are kept in {out}/history.db: run again with "
              "--resume to continue", file=sys.stderr)
        return 130
    except OSError as e:  # a full disk, a folder that cannot be written: SQLite kept every finished generation
        handle.close(cancel=True)
        err = resource_error(e, out)  # for its exit status: 1 when the disk is full
        what = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded"}.get(
            e.errno, f"cannot write ({e.filename or out}: {e.strerror or e})")
        print(f"spread: error: {out}: {what} while writing; finished generations are kept in {out}/history.db: "
              "free some space and run again with --resume to continue", file=sys.stderr)
        return err.code
    except BaseException:
        handle.close(cancel=True)  # never leave worker processes behind
        raise
    handle.close()
    summary = result["summary"]
    print(f"{cal.name}: {len(result['generations'])} generation(s), final tolerance "
          f"{result['generations']['epsilon'].iloc[-1]:.4g}, {time.perf_counter() - t0:.0f} s ({workers})")
    print(summary[["parameter", "median", "q05", "q95", "width_ratio"]].to_string(index=False))
    if not result["patterns"].empty:
        print("\nPosterior predictive checks (share of draws meeting each pattern):")
        print(result["patterns"][["pattern", "fit", "share_met"]].to_string(index=False))
    print(f"results written to {out}/ (report.md, posterior.parquet, generations.csv, figures)")
    return 0


def run_and_write(cal, out: Path, executor, log, workers: str, n_workers: int | None = 1) -> dict:
    """Fit, run the predictive checks, write every output file into ``out``; return the tables.

    ``workers`` describes the executor for the report; ``n_workers`` is its number of workers (None: a
    Dask cluster, where each replicate is a task of its own).
    """
    from model.calibrate import report
    from model.calibrate.fit import fit, posterior
    from model.calibrate.posterior import OUTPUTS, finish_manifest, scenario_values, summarise_posterior, temporary
    from model.calibrate.predictive import predictive_checks

    rep = fit(cal, out, executor, log=log, workers=n_workers)
    particles = posterior(out)
    summary = summarise_posterior(cal, particles)
    if cal.draws:
        log(f"[calibrate {cal.name}] posterior predictive checks: {cal.draws} draws x {cal.predictive_replicates} "
            "replicate(s)")
        per_draw, patterns = predictive_checks(cal, particles, executor, workers=n_workers)
    else:
        import pandas as pd
        per_draw, patterns = pd.DataFrame(), pd.DataFrame()
    inside = scenario_values(cal, summary)
    files = []

    def put(name: str, write) -> None:
        assert name in OUTPUTS, name  # the names a resumed calibration recognises as its own
        tmp = out / temporary(name)
        write(tmp)
        os.replace(tmp, out / name)
        files.append(name)

    put("posterior.parquet", lambda p: particles.to_parquet(p, index=False))
    put("posterior_summary.csv", lambda p: summary.to_csv(p, index=False))
    put("scenario_values.csv", lambda p: inside.to_csv(p, index=False))
    put("generations.csv", lambda p: rep.generations.to_csv(p, index=False))
    put("predictive.csv", lambda p: per_draw.to_csv(p, index=False))
    put("patterns.csv", lambda p: patterns.to_csv(p, index=False))
    for name, fig in (("posterior_marginals.png", report.marginals_figure(cal, particles)),
                      ("posterior_pairs.png", report.pairs_figure(cal, particles)),
                      ("epsilon.png", report.epsilon_figure(rep.generations))):
        put(name, lambda p, fig=fig: fig.savefig(p, dpi=110, format="png"))
        report.plt.close(fig)
    put("report.md", lambda p: report.write_report(p, cal, summary, rep.generations, patterns, inside,
                                                   rep.elapsed_s, rep.simulations, workers))
    finish_manifest(out, cal, files, generations_done=len(rep.generations), stopped=rep.stopped,
                    elapsed_s=round(rep.elapsed_s, 1), particles_simulated=rep.simulations, workers=workers)
    return {"summary": summary, "generations": rep.generations, "patterns": patterns, "predictive": per_draw}


def _remove_new_folder(out: Path) -> None:
    """Remove ``out`` if this command made it and left it empty or holding only its own run.json attempt."""
    import shutil
    try:
        if out.is_dir() and not out.is_symlink() and {p.name for p in out.iterdir()} <= {"run.json", ".lock"}:
            shutil.rmtree(out)
    except OSError:
        pass
