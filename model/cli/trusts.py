"""``spread trusts``: the five trusts side by side at real headcounts (or teaching sizes)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from model.cli.options import add_overwrite, add_replicates, add_scenario_options
from model.cli.run import print_table, run_many
from model.params import load_scenario
from model.results_folder import atomic_dir, check_target

if TYPE_CHECKING:  # pandas is imported where it is used: the CLI starts without it
    import pandas as pd

#: The five trusts of the partnership, in the order the tables show them.
TRUSTS = ("sash", "leeds", "uhcw", "bhr", "sath")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spread trusts``."""
    t = sub.add_parser("trusts", help="the five trusts side by side at real headcounts")
    add_replicates(t)
    add_scenario_options(t, "output folder (default results/trusts)", Path("results/trusts"))
    t.add_argument("--teaching", action="store_true", help="use the teaching sizes (600 staff)")
    add_overwrite(t)
    t.set_defaults(func=cmd_trusts)


def cmd_trusts(args: argparse.Namespace) -> int:
    """Run every trust's replicates, write one results folder, print the side-by-side table."""
    names = [f"{t}-teaching" if args.teaching else t for t in TRUSTS]
    all_params = [load_scenario(n, overrides=args.overrides) for n in names]  # validate all first
    check_target(args.out, "trusts", args.overwrite)
    from model.cli.run import network_import

    for params in all_params:
        network_import(params)  # an unusable network file (given with --set) fails here, before any work
    import pandas as pd  # after the checks: bad input is one quick line

    from model.figures import trusts_figure
    from model.report import summary_table, write_manifest, write_tables
    from model.survey import survey_table, survey_title

    weekly_all, summary_all, net_all, labels = [], [], [], {}
    survey_all = []
    t0 = time.perf_counter()
    for name, params in zip(names, all_params):
        weekly, summaries, net, _, survey = run_many(params, args)
        survey_all.append(survey.assign(scenario=name))
        weekly_all.append(weekly.assign(scenario=name))
        summary_all.append(summaries.assign(scenario=name, staff=params.organisation.staff))
        net_all.append(net.assign(scenario=name))
        labels[name] = params.trust.label
        print(f"  {params.trust.label}: done ({time.perf_counter() - t0:.1f} s)", flush=True)
    weekly = pd.concat(weekly_all, ignore_index=True)
    summaries = pd.concat(summary_all, ignore_index=True)
    net = pd.concat(net_all, ignore_index=True)
    survey = pd.concat(survey_all, ignore_index=True)
    table = summary_table(summaries, by="scenario")
    with atomic_dir(args.out, "trusts", args.overwrite) as tmp:
        write_tables(tmp, "weekly", weekly)
        write_tables(tmp, "summary", summaries)
        write_tables(tmp, "network", net)
        write_tables(tmp, "survey", survey)
        survey_table(survey, by="scenario").to_csv(tmp / "survey_table.csv", index=False)
        table.to_csv(tmp / "summary_table.csv", index=False)
        trusts_figure(weekly, labels).savefig(tmp / "trusts.png", dpi=120)
        write_manifest(tmp, command="trusts", scenarios={n: p.to_dict() for n, p in zip(names, all_params)},
                       overrides=args.overrides, root_seed=args.seed, reps=args.reps,
                       elapsed_s=round(time.perf_counter() - t0, 3))
    print_table(table, f"The five trusts: {args.reps} replicates each ({time.perf_counter() - t0:.1f} s)")
    cols = ["scenario", "reciprocity_arcs", "reciprocity_pairs", "one_directional_share", "clustering_mean", "cross_unit_ties_per_person"]
    print("\nNetwork at start (mean over replicates):")
    print(net[net.when == "start"][cols].groupby("scenario", sort=False).mean().round(3).to_string())
    print(f"\n{survey_title(all_params[0])}, mean [95% interval] over replicates:")
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.max_colwidth", 40):
        print(survey_table(survey, by="scenario").set_index("scenario").T.to_string())
    print(f"results written to {args.out}/")
    return 0


