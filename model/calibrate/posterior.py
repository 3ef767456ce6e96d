"""A calibration's folder: what may receive one, what it holds, and reading its posterior back.

The folder holds pyabc's database (``history.db``, every finished
generation, so ``--resume`` continues it) and the manifest ``run.json``
(tool, command ``calibrate``, the calibration's digest, the files written).
When the fit ends it also holds ``posterior.parquet`` (the last generation's
particles with weights), ``posterior_summary.csv``, ``generations.csv``
(tolerance and acceptance rate by generation), ``predictive.csv`` and
``patterns.csv`` (the posterior predictive checks), the figures and
``report.md``. A folder holding anything else is refused before any work.

One process at a time writes the folder (it holds ``.lock``, as a sweep's
folder does). Every file is written under a temporary name and renamed, and
the names the calibration may write are fixed (``OUTPUTS``), so a folder
left by a calibration killed at any moment, even in the middle of its final
write, is recognised as its own and ``--resume`` continues it.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from model.calibrate.config import Calibration
from model.params import FIELDS, ParameterError, Params
from model.provenance import git_label, versions
from model.results_folder import (LOCK, TOOL, OutputError, _is_cwd_or_above, check_manifest_file,
                                  foreign_entries, read_manifest)

COMMAND = "calibrate"
MANIFEST = "run.json"
#: pyabc's database and SQLite's files beside it (a journal left by a killed writer is rolled back on
#: the next open, so it must stay); ``.history.db.new``: the database while it is being created.
DB_FILES = ("history.db", "history.db-journal", "history.db-wal", "history.db-shm")
NEW_DB = ".history.db.new"
#: Every file the finished calibration writes besides its database and manifest.
OUTPUTS = ("posterior.parquet", "posterior_summary.csv", "scenario_values.csv", "generations.csv", "predictive.csv",
           "patterns.csv", "posterior_marginals.png", "posterior_pairs.png", "epsilon.png", "report.md")


def temporary(name: str) -> str:
    """The name a file is written under before it is renamed into place."""
    return f".{name}.tmp"


#: Temporary files a killed calibration may leave: removed when it is resumed.
DEBRIS = tuple(temporary(n) for n in (*OUTPUTS, MANIFEST)) + (NEW_DB, NEW_DB + "-journal")


def is_ours(entry: str) -> bool:
    """Whether ``entry`` (a path relative to the folder) is a file ``spread calibrate`` may have written."""
    return entry in OUTPUTS or entry in DB_FILES or entry in DEBRIS or entry in (MANIFEST, LOCK)


def clear_debris(out: Path) -> None:
    """Remove the temporary files of a killed calibration (only regular files of those exact names)."""
    for name in DEBRIS:
        p = Path(out) / name
        if p.is_file() and not p.is_symlink():
            p.unlink()


def check_calibration_target(out: Path, digest: str, resume: bool) -> dict | None:
    """Refuse (OutputError) unless ``out`` may take this calibration; return the manifest to resume, if any."""
    out = Path(out)
    if out.is_symlink():
        raise OutputError(f"{out}: is a symbolic link; allowed is a new folder or this calibration's folder")
    try:
        top = sorted(e.name for e in os.scandir(out)) if out.is_dir() else []  # the top level only: --out may be a home folder
    except OSError as e:
        raise OutputError(f"{out}: cannot be read ({e.strerror}); choose another folder")
    if not out.exists() or (out.is_dir() and set(top) <= {LOCK}):  # a lock alone: a start killed at once
        if resume:
            raise OutputError(f"{out}: nothing to resume (no calibration there); run without --resume to start")
        return None
    if not out.is_dir():
        raise OutputError(f"{out}: is a file, not a folder; nothing was changed (choose a new --out)")
    if _is_cwd_or_above(out):
        raise OutputError(f"{out}: is the current folder or one above it; allowed is a new folder")
    check_manifest_file(out, MANIFEST)  # a FIFO would block the read
    prev = read_manifest(out, MANIFEST)
    if prev is None or prev.get("command") != COMMAND:
        what = (f"an output of `spread {prev.get('command')}`" if prev else
                f"files that `spread calibrate` did not write (e.g. {top[0]})")
        raise OutputError(f"{out}: holds {what}; nothing was changed (choose a new --out)")
    try:
        strangers = foreign_entries(out, is_ours)
    except OSError as e:
        raise OutputError(f"{out}: cannot be read ({e.strerror}); choose another folder")
    if strangers:
        raise OutputError(f"{out}: holds {strangers[0]}, which `spread calibrate` did not write; nothing was changed")
    if prev.get("digest") != digest:
        raise OutputError(f"{out}: holds a different calibration (digest {prev.get('digest')} there, {digest} here); "
                          "choose another --out")
    if not resume:
        raise OutputError(f"{out}: holds this calibration ({prev.get('generations_done', 0)} generations done); "
                          "add --resume to continue it, or choose another --out")
    return prev


def write_json(path: Path, doc: dict) -> None:
    """Write a JSON file atomically (a temporary file beside it, then a rename)."""
    tmp = path.with_name(temporary(path.name))
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def start_manifest(out: Path, cal: Calibration, command_line: list[str]) -> None:
    """Create the folder (if need be) and mark it as this calibration's, before the first generation."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    import pyabc

    prev = read_manifest(out, MANIFEST) or {}
    from model.report import _jsonable
    doc = {"versions": versions(), "git_commit": git_label(), "tool": TOOL, "command": COMMAND,
           "files": prev.get("files", ["history.db"]), "status": "running", "pyabc": pyabc.__version__,
           "digest": cal.digest(), "calibration": cal.path, "name": cal.name, "root_seed": cal.seed,
           "quick": cal.quick, "argv": command_line, **_what(cal)}
    write_json(out / MANIFEST, json.loads(json.dumps(doc, default=_jsonable)))  # whole or not at all


def _what(cal: Calibration) -> dict:
    return {"scenarios": {a.alias: {"scenario": a.source, "set": a.overrides} for a in cal.arms},
            "parameters": [{"name": p.name, "key": p.key, "prior": p.prior, "low": p.low, "high": p.high,
                            "scenarios": list(p.scenarios)} for p in cal.priors]}


def finish_manifest(out: Path, cal: Calibration, files: list[str], **fields) -> None:
    """Record the files written and that the calibration finished."""
    prev = read_manifest(out, MANIFEST) or {}
    doc = {**prev, **fields, "files": sorted(set(files) | {"history.db"}), "status": "finished"}
    write_json(Path(out) / MANIFEST, doc)


def summarise_posterior(cal: Calibration, particles: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: prior bounds, weighted mean, median and 90% interval, and the interval's share of the prior."""
    from pyabc.weighted_statistics import weighted_mean, weighted_quantile

    w = particles["weight"].to_numpy(float)
    rows = []
    for p in cal.priors:
        x = particles[p.name].to_numpy(float)
        q05, q50, q95 = (float(weighted_quantile(x, w, alpha=a)) for a in (0.05, 0.5, 0.95))
        lo, hi = _prior_quantiles(p)
        rows.append({"parameter": p.name, "key": p.key, "prior": p.prior, "low": p.low, "high": p.high,
                     "mean": float(weighted_mean(x, w)), "median": q50, "q05": q05, "q95": q95,
                     "width_90": q95 - q05, "prior_width_90": hi - lo,
                     "width_ratio": (q95 - q05) / (hi - lo) if hi > lo else math.nan})
    return pd.DataFrame(rows)


def _prior_quantiles(p) -> tuple[float, float]:
    from scipy import stats

    if p.prior == "uniform":
        d = stats.uniform(p.low, p.high - p.low)
    elif p.prior == "log-uniform":
        d = stats.loguniform(p.low, p.high)
    elif p.prior == "beta":
        d = stats.beta(p.a, p.b, loc=p.low, scale=p.high - p.low)
    else:
        d = stats.truncnorm((p.low - p.mean) / p.sd, (p.high - p.mean) / p.sd, loc=p.mean, scale=p.sd)
    return float(d.ppf(0.05)), float(d.ppf(0.95))


def scenario_values(cal: Calibration, summary: pd.DataFrame) -> pd.DataFrame:
    """Each parameter's value in each scenario it applies to, and whether it lies inside the 90% interval."""
    rows = []
    for p, s in zip(cal.priors, summary.to_dict("records")):
        for arm in cal.arms:
            if p.applies_to(arm.alias):
                v = float(arm.params().get(p.key))
                rows.append({"parameter": p.name, "scenario": arm.alias, "value": v, "q05": s["q05"], "q95": s["q95"],
                             "inside_90": bool(s["q05"] <= v <= s["q95"])})
    return pd.DataFrame(rows).drop_duplicates(["parameter", "value"]) if rows else pd.DataFrame(rows)


# --- reading a calibration back (spread run / compare --posterior) -------------------------------------


class Posterior:
    """A finished calibration's particles and how they map onto a scenario's parameters."""

    def __init__(self, folder: Path, particles: pd.DataFrame, manifest: dict):
        self.folder, self.particles, self.manifest = Path(folder), particles, manifest

    def keys_for(self, scenario: str) -> dict[str, str]:
        """Fit name -> scenario key of the parameters that apply to ``scenario`` (shared ones, and its own).

        A trust-specific parameter applies when the scenario is the one it was
        fitted in (same file name, e.g. ``leeds``), so fitted trust levels are
        never carried into another trust."""
        arms = self.manifest.get("scenarios", {})
        stem = Path(str(scenario)).stem
        out = {}
        for p in self.manifest.get("parameters", []):
            own = [Path(arms[a]["scenario"]).stem for a in p["scenarios"] if a in arms]
            if not p["scenarios"] or stem in own:
                out[p["name"]] = p["key"]
        return out

    def draws(self, scenario: str, k: int, seed: int) -> list[dict]:
        """``k`` draws (by weight, seeded) as override dicts ``{"section.key": value}`` for ``scenario``."""
        from model.calibrate.predictive import draw_particles

        keys = self.keys_for(scenario)
        if not keys:
            return [{} for _ in range(k)]
        d = draw_particles(self.particles, list(keys), k, seed)
        out = []
        for row in d.to_dict("records"):
            out.append({key: (int(round(row[n])) if FIELDS[key].kind == "int" else float(row[n])) for n, key in keys.items()})
        return out


def load_folder_posterior(folder: str | Path) -> Posterior:
    """A finished ``spread calibrate`` folder's posterior; ParameterError (one line) otherwise.
    (``model.calibrate.shipped.load_posterior`` takes a shipped posterior's name as well.)

    Everything a draw will use is checked here, before any folder is made:
    the manifest's parameters and scenarios, and every particle's weight and
    values, so a damaged or hand-edited folder is one line naming the file,
    the column or key, the value and what is allowed."""
    folder = Path(folder)
    check_manifest_file(folder, MANIFEST, ParameterError)  # a FIFO would block the read
    m = read_manifest(folder, MANIFEST)
    if m is None or m.get("command") != COMMAND:
        raise ParameterError(f"--posterior {folder}: not a `spread calibrate` folder (no calibrate run.json); "
                             "allowed is the --out folder of a finished calibration")
    if m.get("status") != "finished" or not (folder / "posterior.parquet").is_file():
        raise ParameterError(f"--posterior {folder}: the calibration has not finished (status {m.get('status')}); "
                             "allowed is a finished calibration (run `spread calibrate ... --resume`)")
    params = _manifest_parameters(folder / MANIFEST, m)
    path = folder / "posterior.parquet"
    try:
        particles = pd.read_parquet(path)
    except Exception as e:  # pyarrow raises its own classes for a damaged file; any of them is the file's fault
        raise ParameterError(f"--posterior {path}: cannot be read as Parquet ({_first_line(e)}); "
                             "allowed is the posterior.parquet `spread calibrate` wrote") from None
    _check_particles(path, particles, params)
    return Posterior(folder, particles, m)


def _shown(v) -> str:
    """A cell as the user would write it: ``nan``, ``-1``, ``'a'`` (not ``np.float64(nan)``)."""
    return f"{float(v):g}" if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else repr(v)[:60]


def _first_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:200] or type(e).__name__


def _manifest_parameters(path: Path, m: dict) -> list[dict]:
    """The manifest's ``parameters``, checked: each names a numeric scenario key and its scenario aliases."""
    params = m.get("parameters", [])
    arms = m.get("scenarios", {})
    if not isinstance(arms, dict) or not all(isinstance(a, dict) and isinstance(a.get("scenario"), str)
                                             for a in arms.values()):
        raise ParameterError(f"--posterior {path}: scenarios = {str(arms)[:60]!r}; allowed is a table of "
                             "alias = {scenario = NAME, set = {...}} as `spread calibrate` writes it")
    if not isinstance(params, list):
        raise ParameterError(f"--posterior {path}: parameters = {str(params)[:60]!r}; allowed is a list of "
                             "{name, key, scenarios} tables as `spread calibrate` writes it")
    for i, p in enumerate(params):
        if not (isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("key"), str)
                and isinstance(p.get("scenarios", []), list)
                and all(isinstance(a, str) for a in p.get("scenarios", []))):
            raise ParameterError(f"--posterior {path}: parameters[{i}] = {str(p)[:60]!r}; allowed is a table "
                                 "{name = TEXT, key = SECTION.KEY, scenarios = [ALIAS, ...]}")
        f = FIELDS.get(p["key"])
        if f is None or f.kind not in ("int", "float"):
            what = "unknown parameter" if f is None else f"a {f.kind}"
            raise ParameterError(f"--posterior {path}: parameters[{i}].key = {p['key'][:60]!r} ({what}); "
                                 "allowed is a numeric parameter (see `spread params`)")
    return params


def _check_particles(path: Path, particles: pd.DataFrame, params: list[dict]) -> None:
    """At least one particle; weights finite, non-negative, not all zero; each fitted column numeric in range."""
    if len(particles) == 0:
        raise ParameterError(f"--posterior {path}: holds 0 particles; allowed is at least one")
    for col in ["weight"] + [p["name"] for p in params]:
        if col not in particles.columns:
            raise ParameterError(f"--posterior {path}: has no column {col!r}; allowed is the posterior.parquet "
                                 "`spread calibrate` wrote (a weight column and one per fitted parameter)")
    w = pd.to_numeric(particles["weight"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise ParameterError(f"--posterior {path}: weight = {_shown(particles['weight'].iloc[int(np.argmax(bad))])} "
                             f"(row {int(np.argmax(bad))}); allowed is a finite number >= 0")
    with np.errstate(over="ignore"):  # an overflowing sum is the error reported here
        total = float(w.sum())
    if not np.isfinite(total) or total <= 0:
        raise ParameterError(f"--posterior {path}: the weights sum to {total:g}; allowed is a finite sum above 0")
    for p in params:
        f, col = FIELDS[p["key"]], particles[p["name"]]
        x = pd.to_numeric(col, errors="coerce").to_numpy(float)
        bad = ~np.isfinite(x) | (x < f.lo) | (x > f.hi)
        if bad.any():
            i = int(np.argmax(bad))
            raise ParameterError(f"--posterior {path}: {p['name']} = {_shown(col.iloc[i])} (row {i}, sets {p['key']}); "
                                 f"allowed is {f.allowed()}")


def apply_draw(params: Params, draw: dict, where: str) -> Params:
    """``params`` with one posterior draw's values (validated)."""
    return params.with_values(draw, where=where) if draw else params


def quantile_table(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Mean, median and 5%-95% of each column (over parameter draws x replicates)."""
    q = df[cols].quantile([0.05, 0.5, 0.95]).T
    q.columns = ["q05", "median", "q95"]
    q.insert(0, "mean", df[cols].mean())
    return q


def np_float(x) -> float:
    """A plain float (for JSON)."""
    return float(np.asarray(x, float))
