"""The task a worker runs: a batch of (point, replicate) runs of the experiment's engine.

It never raises for a run's own failure: the row is kept with its error, and
the sweep goes on.
"""

from __future__ import annotations

import functools
import json
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.sweeps.design import flatten_keys
from model.sweeps.engines import resolve_engine
from model.sweeps.store import PARAM_PREFIX, run_key

@functools.lru_cache(maxsize=8)
def _engine(name: str):
    return resolve_engine(name)


@functools.lru_cache(maxsize=16)
def _base(engine_name: str, scenario: str):
    return _engine(engine_name).load_scenario(scenario)


@functools.lru_cache(maxsize=256)
def _point_params(engine_name: str, scenario: str, values_json: str):
    values = json.loads(values_json)
    params = _base(engine_name, scenario).with_values(values) if values else _base(engine_name, scenario)
    return params, {PARAM_PREFIX + key: _scalar(v) for key, v in flatten_keys(params.to_dict()).items()}


def _scalar(v):
    if isinstance(v, np.generic):
        return v.item()
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    try:
        return json.dumps(v, default=str, sort_keys=True)
    except Exception:
        return str(v)


def run_batch(spec: dict, runs: list[tuple]) -> tuple[list[dict], pd.DataFrame | None]:
    """Run a batch of runs; never raises for a run's own failure (it is recorded).

    Runs go to the engine together when it has ``simulate_batch(params,
    seeds, weeks)`` (the built-in trust model: replicates in one array pass,
    model/batch.py): consecutive runs of one design point, or, when the
    engine also has ``batch_key(params)``, every run of the task whose
    parameters share a key, whatever its point (``simulate_batch`` then gets
    one parameter set per seed). Other engines run one at a time. Either
    way each run's row and weekly rows are the same.
    """
    eng_name = spec["engine"]
    rows: list[dict] = []
    weekly_frames: list[pd.DataFrame] = []
    results = [None] * len(runs)
    for group in _groups(spec, eng_name, runs):
        for i, res in zip(group, _group_results(spec, eng_name, [runs[i] for i in group])):
            results[i] = res
    for run, res in zip(runs, results):
        row, wf = _row(spec, eng_name, run, res)
        rows.append(row)
        if wf is not None:
            weekly_frames.append(wf)
    weekly = pd.concat(weekly_frames, ignore_index=True) if weekly_frames else None
    return rows, weekly


def _params_of(spec: dict, eng_name: str, run: tuple):
    _, _, scenario, values, _, _ = run
    return _point_params(eng_name, scenario, json.dumps({**spec["fixed"], **values}, sort_keys=True))[0]


def _groups(spec: dict, eng_name: str, runs: list[tuple]) -> list[list[int]]:
    """The task's runs (indices) that go to the engine together: by ``batch_key`` where the engine has one,
    else consecutive runs of one point."""
    try:
        key = getattr(_engine(eng_name), "batch_key", None)
        if key is not None:
            groups: dict[str, list[int]] = {}
            keys: dict[str, str] = {}  # one key per point (scenario and values)
            for i, run in enumerate(runs):
                point = json.dumps(run[2:4], sort_keys=True, default=str)
                k = keys[point] = keys.get(point) or key(_params_of(spec, eng_name, run))
                groups.setdefault(k, []).append(i)
            return list(groups.values())
    except Exception:  # a point's parameters are refused: group by point, and each run records its own error
        pass
    out: list[list[int]] = []
    for i, run in enumerate(runs):
        if out and runs[out[-1][-1]][2:4] == run[2:4]:  # same scenario and values: one point
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _group_results(spec: dict, eng_name: str, group: list[tuple]) -> list:
    """The engine's results for one group of runs, batched where the engine can; None where it must run alone."""
    try:
        eng = _engine(eng_name)
        batch = getattr(eng, "simulate_batch", None)
        if batch is None or len(group) < 2:
            return [None] * len(group)
        plist = [_params_of(spec, eng_name, run) for run in group]
        params = plist[0] if all(p is plist[0] for p in plist) else plist
        return list(batch(params, [run[5] for run in group], spec.get("weeks")))
    except Exception:  # a failing batch: each run again alone, so its own error is recorded
        return [None] * len(group)


def _row(spec: dict, eng_name: str, run: tuple, res: Any) -> tuple[dict, pd.DataFrame | None]:
    """One run's row (and weekly rows), from its result or, when ``res`` is None, by running it."""
    point, pname, scenario, values, rep, seed = run
    outcomes = spec.get("outcomes")
    weekly_cols = spec.get("weekly") or []
    every = spec.get("weekly_every", 1)
    wf = None
    row: dict[str, Any] = {
        "run_key": run_key(point, rep), "point": point, "point_name": pname, "rep": rep,
        "seed": seed, "scenario": scenario,
    }
    for k, v in values.items():
        row[PARAM_PREFIX + k] = _scalar(v)
    try:
        eng = _engine(eng_name)
        params, flat = _point_params(eng_name, scenario, json.dumps({**spec["fixed"], **values}, sort_keys=True))
        row.update(flat)
        if res is None:
            res = eng.simulate(params, seed=seed, weeks=spec.get("weeks"))
        summary = res.summary
        keep = outcomes if outcomes is not None else [k for k, v in summary.items() if _is_scalar(v)]
        missing = [o for o in keep if o not in summary]
        if missing:
            raise KeyError(f"outcome(s) {missing} not in the run's summary (it has: {', '.join(summary)})")
        for o in keep:
            row[o] = _scalar(summary[o])
        if weekly_cols:
            w = res.weekly
            miss = [c for c in weekly_cols if c not in w.columns]
            if miss:
                raise KeyError(f"weekly column(s) {miss} not in the run's weekly table (it has: {', '.join(map(str, w.columns))})")
            wk = w["week"].to_numpy() if "week" in w.columns else np.arange(len(w))
            sel = np.arange(0, len(w), every)
            if len(w) and sel[-1] != len(w) - 1:
                sel = np.append(sel, len(w) - 1)
            wf = pd.DataFrame({c: w[c].to_numpy()[sel] for c in weekly_cols})
            wf.insert(0, "week", wk[sel])
            wf.insert(0, "rep", rep)
            wf.insert(0, "point", point)
            wf.insert(0, "run_key", row["run_key"])
        row["error"] = None
    except Exception as e:  # a run that raises is recorded, and the sweep goes on
        wf = None
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
        msg = str(e).strip().splitlines()
        row["error"] = f"{type(e).__name__}: {msg[0] if msg else ''}{where}"
        for o in outcomes or []:
            row.setdefault(o, None)
    return row, wf


def _is_scalar(v) -> bool:
    return v is None or isinstance(v, (bool, int, float, str, np.generic))

