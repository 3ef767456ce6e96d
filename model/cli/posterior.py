"""Posteriors on the command line: ``--posterior DIR|NAME [--draws K]`` for ``spread run`` and ``spread compare``
(results over parameter uncertainty), and ``spread posterior ship|check`` (shipped posteriors, issue 25).

Each posterior draw (from a finished ``spread calibrate`` folder, or a
shipped posterior by name) sets the fitted parameters that apply to the
scenario; ``--set`` still wins. Every draw runs ``--reps`` replicates with
the same seeds (model/calibrate/uncertainty.py). Before any work the
posterior must cover the scenario (it was calibrated on it) and its draws
must apply to it (one line, exit 2), and a shipped posterior made by another
package version, or on a scenario that has changed since, is said on stderr.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from model.cli.options import MAX_DRAWS, draws

if TYPE_CHECKING:  # pandas is imported where it is used: the CLI starts without it
    import pandas as pd

#: Outcomes whose spread over draws and replicates ``spread run --posterior`` reports.
SPREAD_OUTCOMES = ("adoption_rest_final", "reach_final", "adoption_pilot_final", "lead_time_change_pilot_final",
                   "sustainment", "detected_104w_share")


def add_posterior_options(p: argparse.ArgumentParser) -> None:
    """``--posterior DIR`` and ``--draws K``."""
    p.add_argument("--posterior", metavar="DIR|NAME",
                   help="a finished `spread calibrate` folder, or a shipped posterior's name (spread scenarios "
                        "posteriors): run once per draw from its posterior")
    p.add_argument("--draws", type=draws, default=20,
                   help=f"posterior draws with --posterior, at most {MAX_DRAWS:,} (default 20)")


def ready_posterior(arg: str, scenarios: list[str]):
    """Load the posterior, refuse a scenario it does not cover, and say what may make it stale: before any work."""
    import sys

    import model
    from model.calibrate.shipped import load_posterior
    from model.calibrate.shipped import check_covers, check_fingerprint, provenance_notes

    post = load_posterior(arg)
    for s in scenarios:
        check_covers(post, s, str(arg))
    for note in provenance_notes(post):
        print(f"spread: note: {note}", file=sys.stderr)
    made = post.manifest.get("package_version")
    if post.manifest.get("fingerprint") and made and made != model.__version__:
        # another version: a few seconds' runs say whether this model still gives what the draws fitted
        moved = check_fingerprint(post)
        verdict = (f"its fingerprint moved in {len(moved)} outcome(s) (first: {moved[0]}): these draws "
                   "describe the model they were fitted to, not this one" if moved else
                   "its fingerprint still holds: this model gives the same outcomes at its draws")
        print(f"spread: note: posterior {post.folder.name}: {verdict}", file=sys.stderr)
    return post


def run_posterior(args: argparse.Namespace, out: Path, run_many: Callable) -> int:
    """``spread run X --posterior DIR``: every draw's replicates, pooled, with the two sources of spread."""
    import pandas as pd

    from model.calibrate.uncertainty import outcome_spread, user_overrides
    from model.figures import run_figure
    from model.params import load_scenario
    from model.report import summary_table, write_manifest, write_tables
    from model.results_folder import atomic_dir, check_target

    post = ready_posterior(args.posterior, [args.scenario])
    check_target(out, "run", args.overwrite)
    draws = post.draws(args.scenario, args.draws, args.seed)
    user = user_overrides(args.overrides)
    t0 = time.perf_counter()
    parts: dict[str, list] = {"weekly": [], "summary": [], "network": [], "survey": []}
    params = None
    for k, draw in enumerate(draws):
        params = load_scenario(args.scenario, overrides={**draw, **user})
        weekly, summaries, net, seeds, survey = run_many(params, args)
        tag = {"draw": k, **{f"param:{key}": v for key, v in draw.items()}}
        parts["weekly"].append(weekly.assign(draw=k, rep=weekly["rep"] + k * args.reps))
        for name, df in (("summary", summaries), ("network", net), ("survey", survey)):
            parts[name].append(df.assign(**tag))
    tables = {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}
    elapsed = time.perf_counter() - t0
    summ = tables["summary"]
    table = summary_table(summ.assign(scenario=params.trust.name), by="scenario")
    spread = outcome_spread(summ, SPREAD_OUTCOMES)
    with atomic_dir(out, "run", args.overwrite) as tmp:
        for name, df in tables.items():
            write_tables(tmp, name, df)
        table.to_csv(tmp / "summary_table.csv", index=False)
        spread.to_csv(tmp / "posterior_outcomes.csv", index=False)
        fig = run_figure(tables["weekly"], f"{params.trust.label} over {len(draws)} posterior draws")
        fig.savefig(tmp / "figure.png", dpi=120)
        write_manifest(tmp, command="run", scenario_source=params.source, overrides=args.overrides,
                       posterior=str(args.posterior), draws=len(draws), root_seed=args.seed, reps=args.reps,
                       weeks=args.weeks or params.run.weeks, elapsed_s=round(elapsed, 3),
                       fitted=post.keys_for(args.scenario))
    print(f"{params.trust.label}: {len(draws)} posterior draws x {args.reps} replicates ({elapsed:.1f} s); "
          f"fitted parameters set: {', '.join(post.keys_for(args.scenario).values()) or 'none'}")
    print(table.T.to_string(header=False))
    print("\nOver parameter uncertainty and replicates (sd_between_draws: the parameters; sd_within_draw: replicates):")
    print(spread.round(4).to_string(index=False))
    print(f"results written to {out}/")
    return 0


def compare_posterior(args: argparse.Namespace, names: list[str], wis: list, out: Path) -> int:
    """``spread compare ... --posterior DIR``: the comparison once per draw; effects over draws and replicates."""
    from model.calibrate.uncertainty import compare_over_posterior
    from model.results_folder import atomic_dir
    from model.whatif.report import print_summary, write_report

    post = ready_posterior(args.posterior, names)
    t0 = time.perf_counter()
    first, per_draw, agg = compare_over_posterior(names, wis, post, args.draws, args.reps, args.seed, args.weeks,
                                                  args.workers, args.overrides)
    elapsed = time.perf_counter() - t0
    with atomic_dir(out, "compare", args.overwrite) as tmp:
        write_report(tmp, first, args=args, elapsed=elapsed, matrix=args.matrix)
        per_draw.to_csv(tmp / "posterior_effects_by_draw.csv", index=False)
        agg.to_csv(tmp / "posterior_effects.csv", index=False)
    print_summary(first, matrix=args.matrix, elapsed=elapsed, reps=args.reps)
    keep = agg[agg.outcome.isin(["adoption_rest_final", "reach_final"])]
    print(f"\nOver {args.draws} posterior draws (paired difference per draw, {args.reps} replicates each): mean "
          "[5%, 95% over draws], share of draws whose 95% interval is above / below 0:")
    for r in keep.itertuples():
        print(f"  {r.scenario} {r.what_if} {r.label}: {r.difference_mean:+.2f} [{r.difference_q05:+.2f}, "
              f"{r.difference_q95:+.2f}] {r.unit}, up in {r.share_draws_clearly_up:.0%}, "
              f"down in {r.share_draws_clearly_down:.0%}")
    print(f"report written to {out}/report.html (first draw); over draws: {out}/posterior_effects.csv")
    return 0


# --- spread posterior ship | check ----------------------------------------------------------------------


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spread posterior ship DIR NAME`` and ``spread posterior check NAME``."""
    p = sub.add_parser("posterior", help="ship a finished calibration's posterior as package data, or check one",
                       description="Shipped posteriors (docs/calibration.md): `ship` writes a finished `spread "
                                   "calibrate` folder's particles, provenance and fingerprint to "
                                   "scenarios/posteriors/NAME/, usable as --posterior NAME; `check` reruns a "
                                   "posterior's fingerprint and names each outcome that moved.")
    verbs = p.add_subparsers(dest="verb", metavar="{ship,check}", required=True)
    s = verbs.add_parser("ship", help="make a shipped posterior from a finished calibration folder")
    s.add_argument("folder", type=Path, help="a finished `spread calibrate` --out folder")
    s.add_argument("name", help="the shipped posterior's name (letters, digits, - and _)")
    s.add_argument("--dest", type=Path, help="where to write NAME/ (default: the checkout's scenarios/posteriors)")
    s.add_argument("--fingerprint-draws", type=int, default=3, help="posterior draws in the fingerprint (default 3)")
    s.add_argument("--fingerprint-weeks", type=int, default=104, help="weeks of each fingerprint run (default 104)")
    s.add_argument("--min-ess", type=float, default=0.0,
                   help="refuse a posterior whose last generation's effective sample size is below this (issue 25: 150)")
    s.set_defaults(func=cmd_ship)
    c = verbs.add_parser("check", help="rerun a posterior's fingerprint: does this model still give its outcomes?")
    c.add_argument("posterior", help="a shipped posterior's name or folder")
    c.set_defaults(func=cmd_check)


def cmd_ship(args: argparse.Namespace) -> int:
    """Write the shipped posterior and say what it holds."""
    import sys

    from model.extras import MissingExtra, require
    try:
        require("calibrate", ("pyabc",), "spread posterior ship")  # it reads the generations from pyabc's database
    except MissingExtra as e:
        print(e, file=sys.stderr)
        return 2
    from model.calibrate.shipped import FIVE, ship
    from model.data import POSTERIOR_DIR
    from model.params import ParameterError

    if not 1 <= args.fingerprint_draws <= 20 or not 1 <= args.fingerprint_weeks <= 520:
        raise ParameterError(f"spread posterior ship: --fingerprint-draws {args.fingerprint_draws}, "
                             f"--fingerprint-weeks {args.fingerprint_weeks}; allowed is 1-20 draws and 1-520 weeks")
    t0 = time.perf_counter()
    target = ship(args.folder, args.name, args.dest or POSTERIOR_DIR, FIVE, args.fingerprint_draws,
                  args.fingerprint_weeks, args.min_ess)
    import json
    doc = json.loads((target / "posterior.json").read_text())
    last = doc["generations"][-1] if doc["generations"] else {}
    print(f"{target}/: {doc['calibration_name']}, {len(doc['parameters'])} parameters, final tolerance "
          f"{last.get('epsilon')}, ESS {doc['ess']}; fingerprint of {len(doc['fingerprint']['rows'])} runs "
          f"({time.perf_counter() - t0:.0f} s). Use it as --posterior {args.name}.")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when every fingerprint outcome is as stored, 1 (naming each) when one moved."""
    import sys

    from model.calibrate.shipped import load_posterior
    from model.calibrate.shipped import check_fingerprint, provenance_notes

    post = load_posterior(args.posterior)
    for note in provenance_notes(post):
        print(f"spread: note: {note}", file=sys.stderr)
    moved = check_fingerprint(post)
    if moved:
        print(f"posterior {args.posterior}: {len(moved)} fingerprint outcome(s) moved: this model no longer gives "
              "what the posterior was fitted with; recalibrate, or ship again", file=sys.stderr)
        for line in moved:
            print(f"  {line}", file=sys.stderr)
        return 1
    rows = len(post.manifest["fingerprint"]["rows"])
    print(f"posterior {args.posterior}: all {rows} fingerprint runs give the stored outcomes")
    return 0
