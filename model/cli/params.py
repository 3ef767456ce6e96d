"""``spread params [SECTION]``: every parameter with its unit, range and meaning."""

from __future__ import annotations

import argparse

from model.params import FIELDS, SECTIONS, ParameterError


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spread params``."""
    p = sub.add_parser("params", help="list every parameter with unit, range and meaning")
    p.add_argument("section", nargs="?", default=None, help=f"a section ({', '.join(SECTIONS)}) or one key")
    p.set_defaults(func=cmd_params)


def cmd_params(args: argparse.Namespace) -> int:
    """Print the parameters of a section (or all)."""
    if args.section is not None and args.section not in SECTIONS and args.section not in FIELDS:
        raise ParameterError(f"params: {args.section[:60]!r}: unknown section; allowed is one of {', '.join(SECTIONS)} "
                             "or a key such as leadership.commitment")
    for key, f in FIELDS.items():
        if args.section and not (key == args.section or key.startswith(args.section + ".")):
            continue
        unit = f" [{f.unit}]" if f.unit else ""
        basis = f"; basis: {f.basis}" if f.basis else ""
        print(f"{key} = {f.default!r}{unit}: {f.doc}; allowed: {f.allowed()}{basis}")
    return 0


