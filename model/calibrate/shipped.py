"""Shipped posteriors (issue 25): a finished calibration's particles as package data, usable by name.

A shipped posterior is a folder ``scenarios/posteriors/NAME/`` holding two
small files, so it travels in the wheel like the scenarios and reads without
pyabc:

- ``particles.csv``: the last generation's particles, one column per fitted
  parameter, ``weight`` (sums to 1) and ``distance``;
- ``posterior.json``: what the particles mean and where they came from
  (command ``posterior``; the calibration's scenarios and parameters as
  ``run.json`` records them, so ``spread run --posterior NAME`` maps them the
  same way), the package version and git commit that made them, the root
  seed, the calibration file's digest and targets, each generation's
  tolerance, particles, simulations and effective sample size (ESS), each
  calibrated scenario's digest, and a **fingerprint**: the five trusts'
  outcomes at a few of the posterior's draws (short runs with fixed seeds).

``spread posterior ship DIR NAME`` makes one from a finished ``spread
calibrate`` folder. Reading one says plainly, before any work, when it was
made by another package version or a calibrated scenario has changed since;
``spread posterior check NAME`` (and tests/test_shipped_posteriors.py for
every shipped posterior) reruns the fingerprint and names each outcome that
moved, which is how a change to the engine is caught.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

import model
from model.calibrate.posterior import (MANIFEST, Posterior, _check_particles, _first_line, _manifest_parameters,
                                      load_folder_posterior)
from model.data import POSTERIOR_DIR
from model.params import ParameterError, load_scenario
from model.provenance import git_label
from model.results_folder import check_manifest_file, not_regular, read_manifest

COMMAND = "posterior"
DOC = "posterior.json"
PARTICLES = "particles.csv"
#: A shipped posterior must stay small: it is package data.
MAX_BYTES = 1_000_000
#: The trusts whose outcomes fingerprint a posterior (real headcounts).
FIVE = ("sash", "leeds", "uhcw", "bhr", "sath")
#: The outcomes a fingerprint records, per trust and draw.
FINGERPRINT_OUTCOMES = ("adoption_rest_final", "reach_final", "adoption_pilot_final", "lead_time_change_pilot_final")
#: How far a recomputed outcome may move before the fingerprint fails: the engine is deterministic for a
#: seed, so anything above float noise is a change of the model.
FINGERPRINT_TOLERANCE = 1e-9


def bundled_posteriors() -> list[str]:
    """Names of the shipped posteriors (folders of ``scenarios/posteriors`` holding a posterior.json), sorted."""
    if not POSTERIOR_DIR.is_dir():
        return []
    return sorted(p.name for p in POSTERIOR_DIR.iterdir() if (p / DOC).is_file())


def resolve_posterior(name_or_path: str | Path) -> Path:
    """A ``--posterior`` argument as a folder: an existing folder as given, else the shipped posterior of that name.

    A folder of the user's wins over a shipped name, as a scenario file does."""
    p = Path(name_or_path)
    if p.exists() or "/" in str(name_or_path):
        return p
    shipped = POSTERIOR_DIR / str(name_or_path)
    if (shipped / DOC).is_file():
        return shipped
    names = ", ".join(bundled_posteriors()) or "none is shipped yet"
    raise ParameterError(f"--posterior {name_or_path}: no such folder and no shipped posterior of that name; "
                         f"allowed is a finished `spread calibrate` folder or a shipped posterior ({names})")


def load_posterior(name_or_folder: str | Path) -> Posterior:
    """What ``--posterior`` names: a finished ``spread calibrate`` folder, or a shipped posterior (a folder or its
    name, issue 25); ParameterError (one line) otherwise. Everything a draw will use is checked here, before
    any folder is made."""
    folder = resolve_posterior(name_or_folder)  # a folder as given, else a shipped posterior's name
    return load_shipped(folder) if is_shipped(folder) else load_folder_posterior(folder)


def is_shipped(folder: Path) -> bool:
    """Whether ``folder`` is a shipped posterior (it holds posterior.json), not a calibration folder."""
    # lexists: a posterior.json that is a FIFO or a link is a damaged shipped posterior, refused by load_shipped
    return os.path.lexists(Path(folder) / DOC) and not os.path.lexists(Path(folder) / MANIFEST)


def load_shipped(folder: Path) -> Posterior:
    """A shipped posterior's particles and document; ParameterError (one line) when anything is off."""
    folder = Path(folder)
    check_manifest_file(folder, DOC, ParameterError)
    m = read_manifest(folder, DOC)
    if m is None or m.get("command") != COMMAND:
        raise ParameterError(f"--posterior {folder / DOC}: not a shipped posterior (no command = posterior); "
                             "allowed is a folder `spread posterior ship` wrote")
    params = _manifest_parameters(folder / DOC, m)
    path = folder / PARTICLES
    why = not_regular(path) or ("missing" if not path.exists() else None)
    if why or path.stat().st_size > MAX_BYTES:
        what = f"is {why}" if why else f"holds {path.stat().st_size:,} bytes"
        raise ParameterError(f"--posterior {path}: {what}; allowed is a regular file of at most {MAX_BYTES:,} bytes "
                             "as `spread posterior ship` writes it")
    try:
        particles = pd.read_csv(path)
    except Exception as e:  # a missing or damaged file is the folder's fault
        raise ParameterError(f"--posterior {path}: cannot be read as CSV ({_first_line(e)}); "
                             "allowed is the particles.csv `spread posterior ship` wrote") from None
    _check_particles(path, particles, params)
    return Posterior(folder, particles, m)


def scenario_digest(name: str) -> str:
    """A short digest of a scenario's resolved values: it changes when the scenario file (or a default) does."""
    flat = load_scenario(name).flat()
    text = json.dumps({k: v for k, v in sorted(flat.items()) if not k.startswith("trust.")}, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def calibrated_scenarios(post: Posterior) -> list[str]:
    """The scenarios (file stems) the posterior was calibrated on, in order, without repeats."""
    out = []
    for arm in post.manifest.get("scenarios", {}).values():
        stem = Path(str(arm["scenario"])).stem
        if stem not in out:
            out.append(stem)
    return out


def check_covers(post: Posterior, scenario: str, where: str) -> None:
    """Refuse (one line) a scenario the posterior was not calibrated on, or whose values its draws break."""
    stem = Path(str(scenario)).stem
    covered = calibrated_scenarios(post)
    if covered and stem not in covered:
        raise ParameterError(f"--posterior {where}: was calibrated on {', '.join(covered)}, not {scenario}; "
                             "allowed is one of those scenarios (a posterior says nothing about another trust "
                             "or size)")
    draw = post.draws(scenario, 1, 0)[0]
    load_scenario(scenario).with_values(draw, where=f"--posterior {where} (a draw applied to {scenario})")


def provenance_notes(post: Posterior) -> list[str]:
    """Plain sentences on why a shipped posterior may not fit this model: another version, a changed scenario."""
    m, notes = post.manifest, []
    made = m.get("package_version")
    if made and made != model.__version__:
        notes.append(f"posterior {post.folder.name} was made by improvement-spread {made}; this is "
                     f"{model.__version__}: its draws fitted that model, and may not fit this one "
                     f"(`spread posterior check {post.folder.name}` reruns its fingerprint)")
    for name, digest in (m.get("scenario_digests") or {}).items():
        try:
            now = scenario_digest(name)
        except ParameterError:
            now = None
        if now != digest:
            notes.append(f"posterior {post.folder.name}: scenario {name} has changed since it was calibrated "
                         "(its values differ): the draws fitted the old scenario")
    return notes


# --- the fingerprint ----------------------------------------------------------------------------------


def fingerprint(post: Posterior, scenarios: tuple[str, ...] = FIVE, draws: int = 3, weeks: int = 104,
                seed: int = 25) -> dict:
    """The outcomes of ``scenarios`` at ``draws`` of the posterior's draws: one short run each, fixed seeds.

    Returns the settings and one row per (draw, scenario) with the draw's
    particle row and each of FINGERPRINT_OUTCOMES; ``check_fingerprint``
    reruns the same settings. Draw k is the same particle in every scenario
    (the draws are made by weight with ``seed``, whatever the scenario)."""
    from model.calibrate.predictive import draw_particles
    from model.runner import simulate
    from model.seeds import run_seed

    names = [p["name"] for p in post.manifest.get("parameters", [])]
    picked = draw_particles(post.particles.assign(_row=range(len(post.particles))), names + ["_row"], draws, seed)
    rows = []
    for s in scenarios:
        keys = post.keys_for(s)
        for k, particle in enumerate(picked.to_dict("records")):
            values = {key: float(particle[n]) for n, key in keys.items()}
            params = load_scenario(s).with_values(values, where=f"fingerprint of {post.folder.name}")
            res = simulate(params, run_seed(seed, k, 0), weeks, extras=False)
            rows.append({"scenario": s, "draw": k, "particle": int(particle["_row"]),
                         **{o: float(res.summary[o]) for o in FINGERPRINT_OUTCOMES}})
    return {"scenarios": list(scenarios), "draws": draws, "weeks": weeks, "seed": seed,
            "tolerance": FINGERPRINT_TOLERANCE, "rows": rows}


def check_fingerprint(post: Posterior) -> list[str]:
    """Rerun the stored fingerprint; one line per outcome that moved beyond its tolerance (empty: none did)."""
    stored = post.manifest.get("fingerprint")
    if not stored or not stored.get("rows"):
        return [f"posterior {post.folder.name}: holds no fingerprint"]
    now = fingerprint(post, tuple(stored["scenarios"]), int(stored["draws"]), int(stored["weeks"]),
                      int(stored["seed"]))
    tol = float(stored.get("tolerance", FINGERPRINT_TOLERANCE))
    moved = []
    for old, new in zip(stored["rows"], now["rows"]):
        for o in FINGERPRINT_OUTCOMES:
            a, b = old.get(o), new[o]
            same = (a is None and b is None) or (a is not None and (math.isnan(a) and math.isnan(b)
                                                                      or abs(a - b) <= tol))
            if not same:
                moved.append(f"{old['scenario']} draw {old['draw']} (particle {old['particle']}): {o} "
                             f"{a} stored, {b} now")
    return moved


# --- shipping a finished calibration --------------------------------------------------------------------


def _generations(calib_dir: Path) -> list[dict]:
    """Each finished generation: tolerance, particles, simulations and the effective sample size of its weights."""
    import pyabc

    from model.calibrate.fit import ABC_ID, db_url, generations_table

    gens = generations_table(calib_dir)
    h = pyabc.History(db_url(calib_dir), _id=ABC_ID)
    out = []
    for g in gens.to_dict("records"):
        _, w = h.get_distribution(m=0, t=int(g["t"]))
        w = np.asarray(w, float) / float(np.sum(w))
        out.append({"t": int(g["t"]), "epsilon": float(g["epsilon"]), "particles": int(g["particles"]),
                    "simulations": int(g["simulations"]), "ess": round(float(1.0 / np.sum(w ** 2)), 3)})
    return out


def _targets(m: dict, where: Path) -> list[dict]:
    """The calibration file's targets, read from the file the calibration ran (its digest must match)."""
    from model.calibrate.config import CalibrationError, load_calibration

    try:
        cal = load_calibration(m.get("calibration"), quick=bool(m.get("quick")))
    except (CalibrationError, ParameterError, TypeError) as e:
        raise ParameterError(f"{where}: its calibration file {m.get('calibration')} cannot be read ({e}); "
                             "allowed is a calibration whose file is still where it ran") from None
    if cal.digest() != m.get("digest"):
        raise ParameterError(f"{where}: its calibration file {m.get('calibration')} has changed since it ran "
                             f"(digest {cal.digest()} now, {m.get('digest')} then); allowed is the file it ran")
    return [{"name": t.name, "scenario": t.scenario, "versus": t.versus, "statistic": t.describe(),
             "pattern": t.pattern, "fit": t.fit, "weight": t.weight, "scale": t.scale} for t in cal.targets]


def ship(calib_dir: Path, name: str, dest: Path = POSTERIOR_DIR, scenarios: tuple[str, ...] = FIVE,
         draws: int = 3, weeks: int = 104, min_ess: float = 0.0) -> Path:
    """Write ``dest/NAME/`` (particles.csv, posterior.json) from a finished calibration folder; return it.

    Refused in one line (ParameterError): a folder that is not a finished
    calibration, a calibration file changed since it ran, a name that is not
    a plain folder name or is taken, a last generation whose effective sample
    size is below ``min_ess``, a result over MAX_BYTES."""

    calib_dir = Path(calib_dir)
    if not name or not all(c.isalnum() or c in "-_" for c in name) or name[0] in "-_":
        raise ParameterError(f"spread posterior ship: name = {name!r}; allowed is letters, digits, - and _ "
                             "(a folder name), starting with a letter or digit")
    target = Path(dest) / name
    if target.exists():
        raise ParameterError(f"spread posterior ship: {target} exists; allowed is a new name (remove the old "
                             "folder first to replace it)")
    post = load_folder_posterior(calib_dir)
    m = post.manifest
    doc = {"tool": m.get("tool"), "command": COMMAND, "files": [PARTICLES], "name": name, "calibration_name": m.get("name"),
           "package_version": model.__version__, "git_commit": git_label(),
           "made_by": {"package_version": (m.get("versions") or {}).get("improvement-spread"),
                       "git_commit": m.get("git_commit"), "versions": m.get("versions")},
           "root_seed": m.get("root_seed"), "calibration": m.get("calibration"), "digest": m.get("digest"),
           "quick": m.get("quick"), "scenarios": m.get("scenarios"), "parameters": m.get("parameters"),
           "targets": _targets(m, calib_dir), "generations": _generations(calib_dir),
           "particles_simulated": m.get("particles_simulated"), "elapsed_s": m.get("elapsed_s"),
           "workers": m.get("workers")}
    w = post.particles["weight"].to_numpy(float)
    doc["ess"] = round(float(w.sum() ** 2 / np.sum(w ** 2)), 3)
    if doc["ess"] < min_ess:
        raise ParameterError(f"spread posterior ship: {calib_dir}'s last generation has an effective sample size "
                             f"of {doc['ess']:g} ({len(w)} particles); allowed is at least {min_ess:g} (--min-ess)")
    shipped = Posterior(target, post.particles, doc)
    doc["scenario_digests"] = {s: scenario_digest(s) for s in sorted(set(calibrated_scenarios(shipped)) | set(scenarios))}
    doc["fingerprint"] = fingerprint(shipped, scenarios, draws, weeks)
    tmp = Path(dest) / f".{name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        post.particles.to_csv(tmp / PARTICLES, index=False, float_format="%.17g")
        (tmp / DOC).write_text(json.dumps(doc, indent=1, default=str) + "\n")
        size = sum(p.stat().st_size for p in tmp.iterdir())
        if size > MAX_BYTES:
            raise ParameterError(f"spread posterior ship: {name} would take {size:,} bytes; allowed is at most "
                                 f"{MAX_BYTES:,} (package data): thin the particles first")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target
