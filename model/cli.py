"""The ``spread`` command line.

    spread run SCENARIO [--reps N] [--seed S] [--weeks W] [--set k=v]... [--out DIR]
    spread trusts [--reps N] [--out DIR]      five trusts side by side
    spread params [SECTION]                   every parameter with unit, range and meaning

Bad input gives one line on stderr naming the file, key, value and what is
allowed, exit code 2, and nothing written.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import pandas as pd

from .params import FIELDS, ParameterError, Params, bundled_scenarios, load_scenario

#: Subcommands living in their own modules; each has ``add_parser(subparsers)``.
PLUGINS = ("model.sweep", "model.whatif", "model.viz")
TRUSTS = ("sash", "leeds", "uhcw", "bhr", "sath")


def _int_at_least(lowest: int, allowed: str):
    """An argparse type: an integer >= lowest, else one clear line."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = lowest - 1
        if v < lowest:
            raise argparse.ArgumentTypeError(f"{text!r}: allowed is {allowed}")
        return v
    return parse


_positive = _int_at_least(1, "a positive integer")
_seed = _int_at_least(0, "a non-negative integer")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="spread", description="Simulate how improvement practice spreads through an NHS trust.")
    sub = ap.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run replications of one scenario")
    r.add_argument("scenario", help=f"a scenario .toml path or a bundled name ({', '.join(bundled_scenarios())})")
    _common(r)
    r.add_argument("--weeks", type=_positive, default=None, help="horizon in weeks (default: the scenario's run.weeks)")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter, e.g. --set leadership.commitment=0.9 (repeatable)")
    r.add_argument("--out", type=Path, default=None, help="output folder (default results/<scenario>)")
    r.set_defaults(func=cmd_run)

    t = sub.add_parser("trusts", help="the five trusts side by side at real headcounts")
    _common(t)
    t.add_argument("--weeks", type=_positive, default=None)
    t.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    t.add_argument("--out", type=Path, default=Path("results/trusts"))
    t.add_argument("--teaching", action="store_true", help="use the teaching sizes (600 staff)")
    t.set_defaults(func=cmd_trusts)

    p = sub.add_parser("params", help="list every parameter with unit, range and meaning")
    p.add_argument("section", nargs="?", default=None)
    p.set_defaults(func=cmd_params)

    for name in PLUGINS:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        mod.add_parser(sub)
    return ap


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reps", type=_positive, default=20, help="replications (default 20)")
    p.add_argument("--seed", type=_seed, default=0, help="root seed (default 0)")
    p.add_argument("--workers", type=_positive, default=None, help="processes (default: one per core)")


def _run_many(params: Params, args) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[int]]:
    from .runner import replicate_seeds, run_replicates

    results = run_replicates(params, args.reps, seed=args.seed, weeks=args.weeks, workers=args.workers)
    seeds = replicate_seeds(args.seed, args.reps)
    weekly = pd.concat([r.weekly.assign(rep=i, seed=r.seed) for i, r in enumerate(results)], ignore_index=True)
    summaries = pd.DataFrame([{"rep": i, "seed": r.seed, **r.summary} for i, r in enumerate(results)])
    net = pd.DataFrame([{"rep": i, "when": w, **(r.network_start if w == "start" else r.network_end)}
                        for i, r in enumerate(results) for w in ("start", "end")]
                       + [{"rep": i, "when": "survey", **r.network_survey}
                          for i, r in enumerate(results) if r.network_survey is not None])
    return weekly, summaries, net, seeds


def cmd_run(args) -> int:
    from .figures import run_figure
    from .report import atomic_dir, summary_table, write_manifest, write_tables

    params = load_scenario(args.scenario, overrides=args.overrides)
    out = args.out or Path("results") / params.trust.name
    t0 = time.perf_counter()
    weekly, summaries, net, seeds = _run_many(params, args)
    elapsed = time.perf_counter() - t0
    table = summary_table(summaries.assign(scenario=params.trust.name), by="scenario")
    with atomic_dir(out) as tmp:
        write_tables(tmp, "weekly", weekly)
        write_tables(tmp, "summary", summaries)
        write_tables(tmp, "network", net)
        table.to_csv(tmp / "summary_table.csv", index=False)
        fig = run_figure(weekly, params.trust.label)
        fig.savefig(tmp / "figure.png", dpi=120)
        write_manifest(tmp, command="run", scenario=params.to_dict(), scenario_source=params.source,
                       overrides=args.overrides, root_seed=args.seed, seeds=seeds, reps=args.reps,
                       weeks=args.weeks or params.run.weeks, elapsed_s=round(elapsed, 3))
    _print_table(table, f"{params.trust.label}: {args.reps} replicates, {params.organisation.staff} staff, "
                        f"{args.weeks or params.run.weeks} weeks ({elapsed:.1f} s)")
    _print_network(net)
    print(f"results written to {out}/")
    return 0


def cmd_trusts(args) -> int:
    from .figures import trusts_figure
    from .report import atomic_dir, summary_table, write_manifest, write_tables

    names = [f"{t}-teaching" if args.teaching else t for t in TRUSTS]
    all_params = [load_scenario(n, overrides=args.overrides) for n in names]  # validate all first
    weekly_all, summary_all, net_all, labels = [], [], [], {}
    t0 = time.perf_counter()
    for name, params in zip(names, all_params):
        weekly, summaries, net, _ = _run_many(params, args)
        weekly_all.append(weekly.assign(scenario=name))
        summary_all.append(summaries.assign(scenario=name, staff=params.organisation.staff))
        net_all.append(net.assign(scenario=name))
        labels[name] = params.trust.label
        print(f"  {params.trust.label}: done ({time.perf_counter() - t0:.1f} s)", flush=True)
    weekly = pd.concat(weekly_all, ignore_index=True)
    summaries = pd.concat(summary_all, ignore_index=True)
    net = pd.concat(net_all, ignore_index=True)
    table = summary_table(summaries, by="scenario")
    with atomic_dir(args.out) as tmp:
        write_tables(tmp, "weekly", weekly)
        write_tables(tmp, "summary", summaries)
        write_tables(tmp, "network", net)
        table.to_csv(tmp / "summary_table.csv", index=False)
        trusts_figure(weekly, labels).savefig(tmp / "trusts.png", dpi=120)
        write_manifest(tmp, command="trusts", scenarios={n: p.to_dict() for n, p in zip(names, all_params)},
                       overrides=args.overrides, root_seed=args.seed, reps=args.reps,
                       elapsed_s=round(time.perf_counter() - t0, 3))
    _print_table(table, f"The five trusts: {args.reps} replicates each ({time.perf_counter() - t0:.1f} s)")
    cols = ["scenario", "reciprocity_arcs", "reciprocity_pairs", "one_directional_share", "clustering_mean", "cross_unit_ties_per_person"]
    print("\nNetwork at start (mean over replicates):")
    print(net[net.when == "start"][cols].groupby("scenario", sort=False).mean().round(3).to_string())
    _print_survey(net, by="scenario")
    print(f"results written to {args.out}/")
    return 0


def _print_table(table: pd.DataFrame, title: str) -> None:
    print(title)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 60):
        print(table.T.to_string(header=False))


def _print_network(net: pd.DataFrame) -> None:
    cols = ["density", "reciprocity_arcs", "reciprocity_pairs", "one_directional_share", "clustering_mean",
            "mean_in_degree", "components", "cross_unit_ties_per_person"]
    print("\nNetwork (mean over replicates; reciprocity_arcs = share of arcs reciprocated, "
          "reciprocity_pairs = share of connected pairs that are mutual):")
    print(net[net.when != "survey"].groupby("when", sort=False)[cols].mean().round(4).to_string())
    _print_survey(net)


def _print_survey(net: pd.DataFrame, by: str | None = None) -> None:
    """The network as the evaluation's 2018 survey saw it: senior and middle staff, nominations capped."""
    sv = net[net.when == "survey"]
    if sv.empty:
        return
    cols = ["staff", "density", "reciprocity_arcs", "reciprocity_pairs", "one_directional_share", "clustering_mean",
            "mean_in_degree", "largest_component_share", "below_floor_share"]
    print(f"\nSurvey view at week {int(sv['week'].iloc[0])} (senior and middle staff, at most "
          "the capped nominations in each direction; mean over replicates):")
    print((sv.groupby(by, sort=False)[cols].mean() if by else sv[cols].mean().to_frame("survey").T).round(4).to_string())


def cmd_params(args) -> int:
    for key, f in FIELDS.items():
        if args.section and not key.startswith(args.section + "."):
            continue
        unit = f" [{f.unit}]" if f.unit else ""
        basis = f"; basis: {f.basis}" if f.basis else ""
        print(f"{key} = {f.default!r}{unit}: {f.doc}; allowed: {f.allowed()}{basis}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ParameterError as exc:
        print(f"spread: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spread: interrupted; no partial output was kept", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
