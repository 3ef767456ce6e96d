"""``spread compare``: what-ifs against a scenario with common random numbers, as a policy report."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from model.cli.options import add_overwrite, add_replicates, add_scenario_options
from model.cli.posterior import add_posterior_options, compare_posterior
from model.cli.trusts import TRUSTS
from model.params import SCENARIO_DIR, ParameterError, bundled_scenarios, load_scenario
from model.results_folder import atomic_dir, check_target, safe_name
from model.whatif.files import RECOMMENDED, bundled_whatifs, load_whatif


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spread compare``."""
    c = sub.add_parser(
        "compare", help="what-if comparison with common random numbers (policy report)",
        description="Run a scenario and one or more what-ifs with common random numbers and report the "
                    "paired differences with 95% intervals, as a self-contained HTML report, CSV tables "
                    "and a run manifest. With --matrix: several scenarios x what-ifs, with a heatmap.")
    c.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                   help=f"scenario name or .toml path ({', '.join(bundled_scenarios())}); "
                        "with --matrix default the five trusts")
    c.add_argument("--what-if", dest="whatifs", nargs="+", action="extend", default=[], metavar="NAME_OR_PATH",
                   help=f"what-if name or .toml path (repeatable); bundled: {', '.join(bundled_whatifs())}; "
                        "with --matrix default the seven recommendations")
    c.add_argument("--matrix", action="store_true", help="scenarios x what-ifs table and heatmap")
    c.add_argument("--teaching", action="store_true", help="use teaching sizes (NAME-teaching) of named trusts")
    add_replicates(c, reps=30)
    add_scenario_options(c, "output folder (default results/compare-<scenario> or results/matrix)")
    add_overwrite(c, "`spread compare`")
    c.add_argument("--quiet", action="store_true", help="no progress line")
    add_posterior_options(c)
    c.set_defaults(func=cmd_compare)


def _scenario_names(args) -> list[str]:
    SD = SCENARIO_DIR
    names = list(args.scenarios)
    if args.matrix and not names:
        names = list(TRUSTS)
    if not names:
        raise ParameterError("compare: SCENARIO: missing; allowed is a scenario name or .toml path "
                             "(or --matrix for the five trusts)")
    if not args.matrix and len(names) > 1:
        raise ParameterError(f"compare: {' '.join(names)}: allowed is one SCENARIO, or several with --matrix")
    if args.teaching:
        names = [n if n.endswith("-teaching") or not (SD / f"{n}-teaching.toml").exists() else f"{n}-teaching"
                 for n in names]
    return names


def cmd_compare(args: argparse.Namespace) -> int:
    """Validate every scenario and what-if, run the arms, write the report, print the summary."""
    if args.reps < 2:
        raise ParameterError(f"--reps = {args.reps}: allowed is an integer >= 2 (a paired interval needs two runs)")
    names = _scenario_names(args)
    whatifs = list(args.whatifs)
    if not whatifs:
        if not args.matrix:
            raise ParameterError(f"compare: --what-if: missing; allowed is one or more of {', '.join(bundled_whatifs())} or .toml paths")
        whatifs = list(RECOMMENDED)
    wis = [load_whatif(w) for w in whatifs]  # validate everything before any work
    from model.cli.run import network_import

    for n in names:
        p = load_scenario(n, overrides=args.overrides)
        network_import(p)  # an unusable network file fails here, before any work
        for w in wis:
            arm = w.apply(p)
            if any(arm.get(k) != p.get(k) for k in ("network.mode", "network.file", "network.nodes")):
                network_import(arm)
    out = args.out or Path("results") / ("matrix" if args.matrix else safe_name(f"compare-{Path(names[0]).stem}"))
    check_target(out, "compare", args.overwrite)  # before any work
    if getattr(args, "posterior", None):
        return compare_posterior(args, names, wis, out)  # over parameter draws as well as replicates
    # the engine and the report (scipy.stats, matplotlib) after the checks: bad input is one quick line
    from model.whatif.compare import compare
    from model.whatif.report import print_summary, write_report

    t0 = time.perf_counter()
    last = [0.0]

    def progress(done, total):
        now = time.perf_counter()
        if args.quiet or (now - last[0] < 1.0 and done < total):
            return
        last[0] = now
        print(f"\r  runs {done}/{total} ({now - t0:.0f} s)", end="" if done < total else "\n",
              file=sys.stderr, flush=True)

    comps = compare(names, wis, reps=args.reps, seed=args.seed, weeks=args.weeks, workers=args.workers,
                    overrides=args.overrides, progress=progress)
    elapsed = time.perf_counter() - t0
    with atomic_dir(out, "compare", args.overwrite) as tmp:
        write_report(tmp, comps, args=args, elapsed=elapsed, matrix=args.matrix)
    print_summary(comps, matrix=args.matrix, elapsed=elapsed, reps=args.reps)
    print(f"report written to {out}/report.html (tables: {out}/*.csv, manifest: {out}/run.json)")
    return 0
