"""``spread run SCENARIO``: replicates of one scenario, written to a results folder."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from model.cli.options import add_overwrite, add_replicates, add_scenario_options
from model.cli.posterior import add_posterior_options, run_posterior
from model.params import Params, bundled_scenarios, load_scenario
from model.results_folder import atomic_dir, check_target, safe_name

if TYPE_CHECKING:  # pandas is imported where it is used: the CLI starts without it
    import pandas as pd


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spread run``."""
    r = sub.add_parser("run", help="run replications of one scenario")
    r.add_argument("scenario", help=f"a scenario .toml path or a bundled name ({', '.join(bundled_scenarios())})")
    add_replicates(r)
    add_scenario_options(r, "output folder (default results/<scenario>)")
    add_overwrite(r)
    add_posterior_options(r)
    r.set_defaults(func=cmd_run)


def run_many(params: Params, args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[int], pd.DataFrame]:
    """Replicates of one scenario as tables: weekly, summaries, network, seeds, survey."""
    import pandas as pd

    from model.runner import replicate_seeds, run_replicates

    results = run_replicates(params, args.reps, seed=args.seed, weeks=args.weeks, workers=args.workers)
    seeds = replicate_seeds(args.seed, args.reps)
    weekly = pd.concat([r.weekly.assign(rep=i, seed=r.seed) for i, r in enumerate(results)], ignore_index=True)
    summaries = pd.DataFrame([{"rep": i, "seed": r.seed, **r.summary} for i, r in enumerate(results)])
    net = pd.DataFrame([{"rep": i, "when": w, **(r.network_start if w == "start" else r.network_end)}
                        for i, r in enumerate(results) for w in ("start", "end")])
    survey = pd.DataFrame([{"rep": i, "seed": r.seed, **r.survey} for i, r in enumerate(results)])
    return weekly, summaries, net, seeds, survey


def cmd_run(args: argparse.Namespace) -> int:
    """Run the replicates, write the results folder, print the summary table."""
    params = load_scenario(args.scenario, overrides=args.overrides)
    out = args.out or Path("results") / safe_name(params.trust.name, "run")
    check_target(out, "run", args.overwrite)  # before any work: a refusal costs nothing
    imported = network_import(params)  # an unusable network file fails here, before any work
    if getattr(args, "posterior", None):
        return run_posterior(args, out, run_many)  # over parameter draws as well as replicates
    from model.figures import run_figure  # after the checks: bad input is one quick line
    from model.report import summary_table, write_manifest, write_tables

    t0 = time.perf_counter()
    weekly, summaries, net, seeds, survey = run_many(params, args)
    elapsed = time.perf_counter() - t0
    faithful = import_table(params, seeds[0], args.weeks) if imported else None
    table = summary_table(summaries.assign(scenario=params.trust.name), by="scenario")
    with atomic_dir(out, "run", args.overwrite) as tmp:
        write_tables(tmp, "weekly", weekly)
        write_tables(tmp, "summary", summaries)
        write_tables(tmp, "network", net)
        write_tables(tmp, "survey", survey)
        if faithful is not None:
            write_tables(tmp, "network_import", faithful)
        table.to_csv(tmp / "summary_table.csv", index=False)
        fig = run_figure(weekly, params.trust.label)
        fig.savefig(tmp / "figure.png", dpi=120)
        write_manifest(tmp, command="run", scenario=params.to_dict(), scenario_source=params.source,
                       overrides=args.overrides, root_seed=args.seed, seeds=seeds, reps=args.reps,
                       weeks=args.weeks or params.run.weeks, elapsed_s=round(elapsed, 3))
    staff = params.organisation.staff
    if faithful is not None:  # an imported network's trust has the staff it has
        staff = int(faithful.set_index("measure").loc["staff", "model_trust" if "model_trust" in faithful else "model"])
    print_table(table, f"{params.trust.label}: {args.reps} replicates, {staff} staff, "
                        f"{args.weeks or params.run.weeks} weeks ({elapsed:.1f} s)")
    print_network(net)
    if faithful is not None:
        print_import(faithful, params)
    print_survey(survey, params)
    print(f"results written to {out}/")
    return 0


def network_import(params: Params) -> bool:
    """Read and check the scenario's network files, if it imports one; print the warning line about dropped ties."""
    from model.network_io import read_for

    data = read_for(params)
    if data is not None and data.warning:
        print(f"spread: warning: {data.warning}", file=sys.stderr)
    return data is not None


def import_table(params: Params, seed: int, weeks: int | None) -> pd.DataFrame:
    """The imported data's network statistics beside the model's at week 0 (first replicate's seed)."""
    from model.network_io import import_comparison
    from model.trust import TrustModel

    return import_comparison(TrustModel(params, rng=seed, weeks=weeks, agents=False))


def print_import(table: pd.DataFrame, params: Params) -> None:
    """Print the imported network's statistics as given beside the model's network at week 0."""
    import pandas as pd

    mode = params.network.mode
    who = "every person" if mode == "whole" else "the respondents (model_trust: the whole trust)"
    print(f"\nImported network ({mode}, {params.network.file}): the data as given beside the model's network at "
          f"week 0 over {who}:")
    with pd.option_context("display.width", 200):
        print(table.set_index("measure").round(4).to_string())


def print_table(table: pd.DataFrame, title: str) -> None:
    """Print a title, then the summary table transposed: one outcome a line."""
    import pandas as pd

    print(title)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 60):
        print(table.T.to_string(header=False))


def print_network(net: pd.DataFrame) -> None:
    """Print the staff network's measures at the start and the end, each the mean over replicates."""
    cols = ["density", "reciprocity_arcs", "reciprocity_pairs", "one_directional_share", "clustering_mean",
            "mean_in_degree", "components", "cross_unit_ties_per_person"]
    print("\nNetwork (mean over replicates; reciprocity_arcs = share of arcs reciprocated, "
          "reciprocity_pairs = share of connected pairs that are mutual):")
    print(net.groupby("when", sort=False)[cols].mean().round(4).to_string())


def print_survey(survey: pd.DataFrame, params: Params) -> None:
    """Print the emulated staff survey's means over replicates, or why there is none (horizon before the survey week)."""
    from model.survey import survey_table, survey_title

    if survey["respondents"].isna().all():
        print(f"\nNo survey: the horizon ends before week {params.outputs.survey_week} (outputs.survey_week)")
        return
    print(f"\n{survey_title(params)}, mean over replicates:")
    print(survey_table(survey, intervals=False).drop(columns="group").T.to_string(header=False))


