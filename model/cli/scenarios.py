"""``spread scenarios [KIND]``: what the package ships (scenarios, what-ifs, experiments, calibrations, posteriors), each with its label."""

from __future__ import annotations

import argparse
import textwrap

from model import inputs
import json

from model.data import EXPERIMENT_DIR, POSTERIOR_DIR, bundled_experiments, origin
from model.params import ParameterError, bundled_scenarios, load_scenario
from model.whatif.files import bundled_whatifs, load_whatif

KINDS = ("scenarios", "what-ifs", "experiments", "calibrations", "posteriors")
#: a shipped file with these tables is a calibration (spread calibrate NAME), not a sweep
CALIBRATION_TABLES = ("targets",)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``spread scenarios``."""
    p = sub.add_parser("scenarios", help="list the shipped scenarios, what-ifs and experiments with their labels",
                       description="List what the package ships. Each name can be given to spread run / trusts "
                                   "(scenarios), spread compare --what-if (what-ifs), spread sweep (experiments) and "
                                   "spread calibrate (calibrations) and spread run / compare --posterior "
                                   "(posteriors).")
    p.add_argument("kind", nargs="?", choices=KINDS, help="list only this kind (default: all five)")
    p.set_defaults(func=cmd_scenarios)


def scenario_rows() -> list[tuple[str, str]]:
    """(name, label and headcount) of every shipped scenario."""
    rows = []
    for name in bundled_scenarios():
        p = load_scenario(name)
        rows.append((name, f"{p.get('trust.label')}, {p.get('organisation.staff'):,} staff"))
    return rows


def whatif_rows() -> list[tuple[str, str]]:
    """(name, title) of every shipped what-if."""
    return [(name, load_whatif(name).title) for name in bundled_whatifs()]


def experiment_rows(calibrations: bool = False) -> list[tuple[str, str]]:
    """(name, first sentence of the description) of every shipped sweep experiment, or of every shipped
    calibration file (``calibrations=True``: the files with a [[targets]] table).

    Read as plain TOML, not validated: a listing should not need the sweep or
    calibrate extras, and ``spread sweep NAME`` / ``spread calibrate NAME``
    check the file in full.
    """
    rows = []
    for name in bundled_experiments():
        path = EXPERIMENT_DIR / f"{name}.toml"
        try:
            doc = inputs.load_toml_file(path)
        except inputs.InputProblem as exc:
            raise ParameterError(f"{path}: {exc.problem}; allowed is {exc.allowed}") from None
        if any(k in doc for k in CALIBRATION_TABLES) != calibrations:
            continue
        text = " ".join(str(doc.get("description", "")).split())
        first = text.split(": ")[0].split(". ")[0].rstrip(".")
        rows.append((name, first or "(no description)"))
    return rows


def posterior_rows() -> list[tuple[str, str]]:
    """(name, what it fitted and how well) of every shipped posterior (scenarios/posteriors/NAME/posterior.json).

    Read as plain JSON (no pandas): `spread run --posterior NAME` checks the particles in full."""
    rows = []
    if not POSTERIOR_DIR.is_dir():
        return rows
    for d in sorted(POSTERIOR_DIR.iterdir()):
        doc_path = d / "posterior.json"
        if not doc_path.is_file():
            continue
        try:
            doc = json.loads(inputs.read_text(doc_path))
        except inputs.InputProblem as exc:
            raise ParameterError(f"{doc_path}: {exc.problem}; allowed is {exc.allowed}") from None
        except ValueError as exc:
            raise ParameterError(f"{doc_path}: cannot be read as JSON ({exc}); allowed is the posterior.json "
                                 "`spread posterior ship` wrote") from None
        gens = doc.get("generations") or [{}]
        eps, ess = gens[-1].get("epsilon"), doc.get("ess")
        shown = (lambda v: f"{v:.3g}" if isinstance(v, (int, float)) else str(v))
        rows.append((d.name, f"{doc.get('calibration_name')}: {len(doc.get('parameters') or [])} parameters, "
                             f"{len(gens)} generations to tolerance {shown(eps)}, ESS {shown(ess)}, improvement-spread "
                             f"{doc.get('package_version')}"))
    return rows


def _print(title: str, rows: list[tuple[str, str]], usage: str) -> None:
    print(f"{title} ({usage})")
    width = max((len(n) for n, _ in rows), default=0)
    for name, label in rows:
        wrapped = textwrap.wrap(label, 96) or [""]
        print(f"  {name:<{width}}  {wrapped[0]}")
        for more in wrapped[1:]:
            print(f"  {'':<{width}}  {more}")


def cmd_scenarios(args: argparse.Namespace) -> int:
    """Print the shipped files of each kind (or of ``args.kind``), then where they were found."""
    kinds = [args.kind] if args.kind else list(KINDS)
    for i, kind in enumerate(kinds):
        if i:
            print()
        if kind == "scenarios":
            _print("Scenarios", scenario_rows(), "spread run NAME; extends = \"NAME\" in your own .toml")
        elif kind == "what-ifs":
            _print("What-ifs", whatif_rows(), "spread compare SCENARIO --what-if NAME")
        elif kind == "experiments":
            _print("Experiments", experiment_rows(), "spread sweep NAME")
        elif kind == "calibrations":
            _print("Calibrations", experiment_rows(calibrations=True), "spread calibrate NAME; spread run --posterior")
        else:
            rows = posterior_rows()
            _print("Posteriors", rows or [("(none shipped yet)", "spread posterior ship DIR NAME makes one")],
                   "spread run SCENARIO --posterior NAME")
    print(f"\nfrom {origin()}")
    return 0
