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
import signal
import sys
import threading
import time
from pathlib import Path

import pandas as pd

from .params import FIELDS, SECTIONS, ParameterError, Params, bundled_scenarios, load_scenario
from .results_folder import OutputError, atomic_dir, check_target, safe_name

#: Subcommands living in their own modules; each has ``add_parser(subparsers)``.
PLUGINS = ("model.sweep", "model.whatif", "model.viz")
TRUSTS = ("sash", "leeds", "uhcw", "bhr", "sath")
#: Replicates one command may ask for: a typo of a few zeros would otherwise sit silent for days.
MAX_REPS = 10_000
#: The scenario's own bound on run.weeks applies to --weeks too.
MAX_WEEKS = int(FIELDS["run.weeks"].hi)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with the house's errors: one line ``spread <sub>: error: ...``, exit 2, no usage block."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
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
_seed = _int_at_least(0, "a non-negative integer")
_reps = _int_at_least(1, f"an integer from 1 to {MAX_REPS:,}", MAX_REPS)
_weeks = _int_at_least(1, f"an integer from 1 to {MAX_WEEKS:,} (the range of run.weeks)", MAX_WEEKS)


def build_parser() -> argparse.ArgumentParser:
    ap = ArgumentParser(prog="spread", description="Simulate how improvement practice spreads through an NHS trust.")
    sub = ap.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run replications of one scenario")
    r.add_argument("scenario", help=f"a scenario .toml path or a bundled name ({', '.join(bundled_scenarios())})")
    _common(r)
    r.add_argument("--weeks", type=_weeks, default=None, help=f"horizon in weeks, at most {MAX_WEEKS:,} (default: the scenario's run.weeks)")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter, e.g. --set leadership.commitment=0.9 (repeatable)")
    r.add_argument("--out", type=Path, default=None, help="output folder (default results/<scenario>)")
    _overwrite(r)
    r.set_defaults(func=cmd_run)

    t = sub.add_parser("trusts", help="the five trusts side by side at real headcounts")
    _common(t)
    t.add_argument("--weeks", type=_weeks, default=None, help=f"horizon in weeks, at most {MAX_WEEKS:,}")
    t.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    t.add_argument("--out", type=Path, default=Path("results/trusts"))
    t.add_argument("--teaching", action="store_true", help="use the teaching sizes (600 staff)")
    _overwrite(t)
    t.set_defaults(func=cmd_trusts)

    p = sub.add_parser("params", help="list every parameter with unit, range and meaning")
    p.add_argument("section", nargs="?", default=None, help=f"a section ({', '.join(SECTIONS)}) or one key")
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


def _overwrite(p: argparse.ArgumentParser) -> None:
    p.add_argument("--overwrite", action="store_true",
                   help="replace --out if it holds an earlier output of this command (only files it wrote)")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reps", type=_reps, default=20, help=f"replications, at most {MAX_REPS:,} (default 20)")
    p.add_argument("--seed", type=_seed, default=0, help="root seed (default 0)")
    p.add_argument("--workers", type=_positive, default=None, help="processes (default: one per core)")


def _run_many(params: Params, args) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[int], pd.DataFrame]:
    from .runner import replicate_seeds, run_replicates

    results = run_replicates(params, args.reps, seed=args.seed, weeks=args.weeks, workers=args.workers)
    seeds = replicate_seeds(args.seed, args.reps)
    weekly = pd.concat([r.weekly.assign(rep=i, seed=r.seed) for i, r in enumerate(results)], ignore_index=True)
    summaries = pd.DataFrame([{"rep": i, "seed": r.seed, **r.summary} for i, r in enumerate(results)])
    net = pd.DataFrame([{"rep": i, "when": w, **(r.network_start if w == "start" else r.network_end)}
                        for i, r in enumerate(results) for w in ("start", "end")])
    survey = pd.DataFrame([{"rep": i, "seed": r.seed, **r.survey} for i, r in enumerate(results)])
    return weekly, summaries, net, seeds, survey


def cmd_run(args) -> int:
    from .figures import run_figure
    from .report import summary_table, write_manifest, write_tables

    params = load_scenario(args.scenario, overrides=args.overrides)
    out = args.out or Path("results") / safe_name(params.trust.name, "run")
    check_target(out, "run", args.overwrite)  # before any work: a refusal costs nothing
    t0 = time.perf_counter()
    weekly, summaries, net, seeds, survey = _run_many(params, args)
    elapsed = time.perf_counter() - t0
    table = summary_table(summaries.assign(scenario=params.trust.name), by="scenario")
    with atomic_dir(out, "run", args.overwrite) as tmp:
        write_tables(tmp, "weekly", weekly)
        write_tables(tmp, "summary", summaries)
        write_tables(tmp, "network", net)
        write_tables(tmp, "survey", survey)
        table.to_csv(tmp / "summary_table.csv", index=False)
        fig = run_figure(weekly, params.trust.label)
        fig.savefig(tmp / "figure.png", dpi=120)
        write_manifest(tmp, command="run", scenario=params.to_dict(), scenario_source=params.source,
                       overrides=args.overrides, root_seed=args.seed, seeds=seeds, reps=args.reps,
                       weeks=args.weeks or params.run.weeks, elapsed_s=round(elapsed, 3))
    _print_table(table, f"{params.trust.label}: {args.reps} replicates, {params.organisation.staff} staff, "
                        f"{args.weeks or params.run.weeks} weeks ({elapsed:.1f} s)")
    _print_network(net)
    _print_survey(survey, params)
    print(f"results written to {out}/")
    return 0


def cmd_trusts(args) -> int:
    from .figures import trusts_figure
    from .report import summary_table, write_manifest, write_tables
    from .survey import survey_table, survey_title

    names = [f"{t}-teaching" if args.teaching else t for t in TRUSTS]
    all_params = [load_scenario(n, overrides=args.overrides) for n in names]  # validate all first
    check_target(args.out, "trusts", args.overwrite)
    weekly_all, summary_all, net_all, labels = [], [], [], {}
    survey_all = []
    t0 = time.perf_counter()
    for name, params in zip(names, all_params):
        weekly, summaries, net, _, survey = _run_many(params, args)
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
    _print_table(table, f"The five trusts: {args.reps} replicates each ({time.perf_counter() - t0:.1f} s)")
    cols = ["scenario", "reciprocity_arcs", "reciprocity_pairs", "one_directional_share", "clustering_mean", "cross_unit_ties_per_person"]
    print("\nNetwork at start (mean over replicates):")
    print(net[net.when == "start"][cols].groupby("scenario", sort=False).mean().round(3).to_string())
    print(f"\n{survey_title(all_params[0])}, mean [95% interval] over replicates:")
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.max_colwidth", 40):
        print(survey_table(survey, by="scenario").set_index("scenario").T.to_string())
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
    print(net.groupby("when", sort=False)[cols].mean().round(4).to_string())


def _print_survey(survey: pd.DataFrame, params: Params) -> None:
    from .survey import survey_table, survey_title

    if survey["respondents"].isna().all():
        print(f"\nNo survey: the horizon ends before week {params.outputs.survey_week} (outputs.survey_week)")
        return
    print(f"\n{survey_title(params)}, mean over replicates:")
    print(survey_table(survey, intervals=False).drop(columns="group").T.to_string(header=False))


def cmd_params(args) -> int:
    if args.section and args.section not in SECTIONS and args.section not in FIELDS:
        raise ParameterError(f"params: {args.section[:60]!r}: unknown section; allowed is one of {', '.join(SECTIONS)} "
                             "or a key such as leadership.commitment")
    for key, f in FIELDS.items():
        if args.section and not (key == args.section or key.startswith(args.section + ".")):
            continue
        unit = f" [{f.unit}]" if f.unit else ""
        print(f"{key} = {f.default!r}{unit}: {f.doc}; allowed: {f.allowed()}")
    return 0


def _terminate(signum, frame):
    # SIGTERM (a batch system's stop, `kill`) unwinds like Ctrl-C, so a results
    # folder being written is removed rather than left hidden and half-written
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """The ``spread`` command: parse ``argv``, run the subcommand, return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return args.func(args)
    except ParameterError as exc:
        print(f"spread: error: {exc}", file=sys.stderr)
        return 2
    except OutputError as exc:
        print(f"spread: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("spread: interrupted; no partial output was kept", file=sys.stderr)
        return 130
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
