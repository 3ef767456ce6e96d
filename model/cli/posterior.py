"""``--posterior DIR [--draws K]`` for ``spread run`` and ``spread compare``: results over parameter uncertainty.

Each posterior draw (from a finished ``spread calibrate`` folder) sets the
fitted parameters that apply to the scenario; ``--set`` still wins. Every
draw runs ``--reps`` replicates with the same seeds (model/calibrate/uncertainty.py).
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
    p.add_argument("--posterior", type=Path, metavar="DIR",
                   help="a finished `spread calibrate` folder: run once per draw from its posterior")
    p.add_argument("--draws", type=draws, default=20,
                   help=f"posterior draws with --posterior, at most {MAX_DRAWS:,} (default 20)")


def run_posterior(args: argparse.Namespace, out: Path, run_many: Callable) -> int:
    """``spread run X --posterior DIR``: every draw's replicates, pooled, with the two sources of spread."""
    import pandas as pd

    from model.calibrate.posterior import load_posterior
    from model.calibrate.uncertainty import outcome_spread, user_overrides
    from model.figures import run_figure
    from model.params import load_scenario
    from model.report import summary_table, write_manifest, write_tables
    from model.results_folder import atomic_dir, check_target

    post = load_posterior(args.posterior)
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
    from model.calibrate.posterior import load_posterior
    from model.calibrate.uncertainty import compare_over_posterior
    from model.results_folder import atomic_dir
    from model.whatif.report import print_summary, write_report

    post = load_posterior(args.posterior)
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
