"""Fingerprints of everything observable, to show a refactor changes no number.

    python benchmarks/golden_outputs.py --write /tmp/before.json    # on the old code
    python benchmarks/golden_outputs.py --check /tmp/before.json    # on the new code

Each case is run through the public entry points a user has (the Python API,
``spread run``, ``spread sweep``, ``spread compare`` and the visualiser's
agent-backed model) and every table it produces (weekly history, summary row,
network statistics, the sweep's runs, the what-if comparison, the agents'
states) is reduced to a SHA-256 of its exact bytes (floats as their IEEE bits,
not rounded text). ``--check`` prints, per case, "same" or what differs,
and exits 1 if anything does. Nothing is written except the JSON given to
``--write`` and temporary folders that are removed.

    python benchmarks/golden_outputs.py --refresh                   # after a change meant to move numbers

``--refresh`` rewrites the committed fingerprints, ``benchmarks/golden.json``,
with the environment they hold for (the lock's digest and the processor
features numpy dispatches on: its vectorised exp and log may round
differently on another processor). ``tests/test_golden.py`` checks every
output against them wherever that environment is the same, so a change that
moves any number, or a dependency bump that does, fails the suite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: scenario, overrides, seed, weeks: the rules, the trusts, real and teaching size
CASES = [
    ("baseline-teaching", [], 1, 260),
    ("baseline-teaching", ["exchange.rule=\"simple\""], 2, 260),
    ("baseline-teaching", ["exchange.rule=\"hybrid\""], 3, 200),
    ("sash-teaching", [], 4, 260),
    ("leeds-teaching", ["network.reciprocity=0.8"], 5, 260),
    ("uhcw-teaching", [], 6, 260),
    ("bhr-teaching", ["leadership.ceo_changes=[]"], 7, 260),
    ("sath-teaching", [], 8, 260),
    ("sash", [], 9, 260),
    ("bhr", [], 10, 120),
    ("leeds", [], 11, 60),
]

SWEEP = """
name = "golden"
scenario = "baseline-teaching"
seed = 3
reps = 2
weeks = 40
outcomes = ["regime", "reach_final", "adoption_trust_final", "lead_time_change_pilot_final"]
weekly = ["adoption_trust", "adoption_rest"]
[vary."leadership.commitment"]
levels = [0.3, 0.9]
"""


def digest(obj) -> str:
    """SHA-256 of a table, array, dict or scalar, exact to the bit."""
    h = hashlib.sha256()
    if isinstance(obj, pd.DataFrame):
        h.update(json.dumps([str(c) for c in obj.columns]).encode())
        for c in obj.columns:
            col = obj[c]
            if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                h.update(np.ascontiguousarray(col.to_numpy(dtype=float)).tobytes())
            else:
                h.update(json.dumps(col.astype(str).tolist()).encode())
    elif isinstance(obj, np.ndarray):
        h.update(np.ascontiguousarray(obj).tobytes())
    else:
        h.update(json.dumps(obj, sort_keys=True, default=repr).encode())
    return h.hexdigest()[:20]


def python_api() -> dict[str, str]:
    from model import load_scenario
    try:
        from model import simulate
    except ImportError:
        from model.runner import simulate
    out = {}
    for scenario, overrides, seed, weeks in CASES:
        params = load_scenario(scenario, overrides=overrides)
        r = simulate(params, seed, weeks)
        key = f"{scenario} {' '.join(overrides)} seed={seed} weeks={weeks}".replace("  ", " ")
        out[f"{key}: weekly"] = digest(r.weekly)
        out[f"{key}: summary"] = digest(r.summary)
        out[f"{key}: network"] = digest([r.network_start, r.network_end])
    return out


def visualiser_model() -> dict[str, str]:
    """The agent-backed model the visualiser steps, week by week, with its Mesa agents."""
    from model import TrustModel, load_scenario
    params = load_scenario("uhcw-teaching")
    m = TrustModel(params, rng=12)
    states = []
    for _ in range(40):
        m.step()
        states.append([a.practising for a in m.agents])
    caps = np.array([a.capability for a in m.agents])
    return {"visualiser uhcw-teaching seed=12: weekly": digest(m.weekly_frame()),
            "visualiser uhcw-teaching seed=12: agents": digest([states, caps.tolist()])}


def spread(*args: str, cwd: Path) -> None:
    exe = Path(sys.executable).parent / "spread"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "model"]
    r = subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    if r.returncode != 0:
        raise SystemExit(f"spread {' '.join(args)} failed: {r.stderr.strip()[-500:]}")


def commands() -> dict[str, str]:
    out = {}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        spread("run", "sash-teaching", "--reps", "3", "--weeks", "60", "--seed", "3", "--workers", "2",
               "--out", str(d / "run"), cwd=d)
        out["spread run sash-teaching --seed 3: weekly"] = digest(pd.read_parquet(d / "run" / "weekly.parquet"))
        out["spread run sash-teaching --seed 3: summary"] = digest(pd.read_parquet(d / "run" / "summary.parquet"))
        (d / "golden.toml").write_text(SWEEP)
        spread("sweep", str(d / "golden.toml"), "--out", str(d / "sweep"), "--workers", "2", "--no-analyse", cwd=d)
        runs = pd.read_parquet(d / "sweep" / "runs").sort_values("run_key").reset_index(drop=True)
        weekly = pd.read_parquet(d / "sweep" / "weekly").sort_values(["run_key", "week"]).reset_index(drop=True)
        out["spread sweep golden: runs"] = digest(runs[sorted(runs.columns)])
        out["spread sweep golden: weekly"] = digest(weekly[sorted(weekly.columns)])
        spread("compare", "bhr-teaching", "--what-if", "managers-involved", "stable-leadership", "--reps", "4",
               "--weeks", "80", "--seed", "5", "--workers", "2", "--quiet", "--out", str(d / "cmp"), cwd=d)
        for name in ("comparison", "replicates"):
            out[f"spread compare bhr-teaching --seed 5: {name}"] = digest(pd.read_csv(d / "cmp" / f"{name}.csv"))
    return out


#: The committed fingerprints of the locked set (``--refresh`` rewrites them).
SHIPPED = ROOT / "benchmarks" / "golden.json"


def environment() -> dict[str, str]:
    """What the fingerprints hold for: the locked set (its digest) and the processor features numpy uses."""
    from numpy._core._multiarray_umath import __cpu_features__ as features

    lock = hashlib.sha256((ROOT / "requirements.lock").read_bytes()).hexdigest()[:20]
    cpu = hashlib.sha256(json.dumps(sorted(k for k, v in features.items() if v)).encode()).hexdigest()[:20]
    return {"requirements.lock": lock, "cpu features": cpu}


def fingerprints() -> dict[str, str]:
    """Every case's fingerprint (about 10 s on 2 cores)."""
    return {**python_api(), **visualiser_model(), **commands()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", type=Path, help="write the fingerprints here (a new file)")
    g.add_argument("--check", type=Path, help="compare against fingerprints written earlier")
    g.add_argument("--refresh", action="store_true", help=f"rewrite {SHIPPED.relative_to(ROOT)} (the committed ones)")
    args = ap.parse_args()
    got = fingerprints()
    if args.refresh:
        SHIPPED.write_text(json.dumps({"environment": environment(), "fingerprints": got}, indent=1) + "\n")
        print(f"{len(got)} fingerprints written to {SHIPPED}")
        return 0
    if args.write:
        if args.write.exists():
            print(f"{args.write}: exists; give a new file", file=sys.stderr)
            return 2
        args.write.write_text(json.dumps(got, indent=1) + "\n")
        print(f"{len(got)} fingerprints written to {args.write}")
        return 0
    want = json.loads(args.check.read_text())
    want = want.get("fingerprints", want)  # the committed file also says what environment it holds for
    differ = 0
    for k in sorted(set(want) | set(got)):
        status = "same" if want.get(k) == got.get(k) else ("missing" if k not in got else
                                                           "new" if k not in want else "DIFFERS")
        differ += status != "same"
        print(f"{status:8s} {k}")
    print(f"{len(got) - differ} of {len(set(want) | set(got))} fingerprints the same")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
