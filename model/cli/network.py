"""``spread network SCENARIO --out FILE``: the trust's network, as built or as live in week W, for Gephi, igraph or networkx.

    spread network SCENARIO [--seed S] [--week W] [--set k=v]... --out FILE.graphml|FILE.csv

GraphML keeps every attribute with its type; ``FILE.csv`` writes the edge
list there and the node table beside it as ``FILE.nodes.csv`` (the pair reads
back as a whole network: ``network.mode = "whole"``). An existing file is
never overwritten.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from model.cli import options
from model.params import bundled_scenarios, load_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spread network``."""
    p = sub.add_parser("network", help="export the trust's network (GraphML or CSV) as built or in week W",
                       description=__doc__.splitlines()[0])
    p.add_argument("scenario", help=f"a scenario .toml path or a bundled name ({', '.join(bundled_scenarios())})")
    p.add_argument("--seed", type=options.seed, default=0, help="seed of the run (default 0)")
    p.add_argument("--week", type=options._int_at_least(0, f"an integer from 0 to {options.MAX_WEEKS:,}", options.MAX_WEEKS),
                   default=0, help="the network as live in this week, after running the model to it (default 0: as built)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter, e.g. --set network.reciprocity=0.3 (repeatable)")
    p.add_argument("--out", type=Path, required=True, help="FILE.graphml, or FILE.csv (with FILE.nodes.csv beside it)")
    p.set_defaults(func=cmd_network)


def cmd_network(args: argparse.Namespace) -> int:
    """Build the model, run it to ``--week``, write its live network; refuse to overwrite a file."""
    params = load_scenario(args.scenario, overrides=args.overrides)  # before the heavy imports: a bad one answers at once
    from model.network_io import NetworkFileError, export_targets, read_for, write_graph
    from model.trust import TrustModel

    targets = export_targets(args.out)  # a wrong suffix fails before any work
    for t in targets:
        if t.exists() or t.is_symlink():
            raise NetworkFileError(f"--out: {t}: the file exists; allowed is a new file (this command never overwrites)")
        if not t.parent.is_dir():
            raise NetworkFileError(f"--out: {t}: no folder {t.parent}; allowed is a file in an existing folder")
        if not os.access(t.parent, os.W_OK):  # a read-only disk says so here too, before the model is built
            raise NetworkFileError(f"--out: {t}: the folder {t.parent} cannot be written; allowed is a file in a "
                                   "folder you can write")
    if args.week > params.run.weeks:  # the horizon shapes the forum schedule: run the scenario's own
        raise NetworkFileError(f"--week = {args.week}: allowed is a week from 0 to the scenario's run.weeks ({params.run.weeks})")
    data = read_for(params)
    if data is not None and data.warning:
        print(f"spread: warning: {data.warning}", file=sys.stderr)
    model = TrustModel(params, rng=args.seed, agents=False)
    while model.week < args.week:
        model.step()
    g = model.network_graph()
    try:
        written = write_graph(g, args.out)
    except OSError as e:  # read-only folder, full disk, quota: nothing is left behind (write_graph)
        from model.results_folder import resource_error
        raise resource_error(e, args.out) from None
    print(f"{params.trust.label}: {g.number_of_nodes()} staff, {g.number_of_edges()} live ties in week {model.week} "
          f"(seed {args.seed}) -> {', '.join(map(str, written))}")
    return 0
