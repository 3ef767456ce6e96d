"""``spread viz``: the browser visualiser for teaching (docs/teaching.md).

    spread viz [--host 127.0.0.1] [--port 8765]

Fills the offline front-end asset cache if needed (npm registry, once), then
serves model/viz/app.py; open the printed address in a browser.  Nothing here
imports Solara, so the rest of the CLI stays quick and works without the
``viz`` extra installed.
"""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spread viz``."""
    v = sub.add_parser("viz", help="browser visualiser for teaching (needs the 'viz' extra)",
                       description=__doc__.splitlines()[0])
    from model.viz.serve import add_arguments

    add_arguments(v)
    v.set_defaults(func=cmd_viz)


def cmd_viz(args: argparse.Namespace) -> int:
    """Fill the asset cache if needed and serve the teaching app until Ctrl-C."""
    import sys

    # find_spec, not import: Solara must be imported only after viz_serve set its environment.
    from model.extras import EXTRAS, MissingExtra, require
    try:
        require("viz", EXTRAS["viz"], "spread viz (the browser visualiser)")
    except MissingExtra as e:
        print(e, file=sys.stderr)
        return 2
    from model.viz.serve import serve

    return serve(args.app, args.host, args.port, production=not args.dev)
