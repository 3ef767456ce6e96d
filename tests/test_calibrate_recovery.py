"""A calibration that cannot be fitted must be visible: synthetic data from known values are recovered.

The observations are the means of 10 runs at known parameter values (their
own seeds, not the calibration's). ABC-SMC, 4 generations of 40 particles,
must put each true value inside its 90% posterior interval, and each
interval must be clearly narrower than the prior's (at most 60% of its
width). The same test with the target that identifies turnover removed
shows the bar can fail: turnover's interval then stays wide. About 60 s of
one core each (the synthetic data and each particle's replicates run in batches).

Margins, measured at the locked set over root seeds 3-6 (the test uses 3):
with every target, each true value sits at least 0.04 inside its interval
(threshold 0.30 in [0.232-0.249, 0.341-0.352]; turnover 0.12 in
[0.077-0.092, 0.161-0.169]) and the widths are 0.28-0.38 of the prior's,
against the bar 0.6; without the leavers, turnover's width is 0.71-0.89 of
its prior's. With 20 particles, as before, the widths were so noisy that
the "can fail" variant gave 0.40-0.72 over seeds 3-10 (0.551 at seed 3 once
numpy 2.5.5 and scipy 1.18.1 came out: the failure that made issue 23), and
a true value sat 0.015 inside its interval.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pyabc", reason="install the calibrate extra (pyabc)")

from model.calibrate.config import load_calibration  # noqa: E402
from model.calibrate.fit import evaluate  # noqa: E402
from model.cli import main  # noqa: E402
from model.sweeps.executors import SerialExecutor  # noqa: E402

TRUTH = {"exchange.threshold": 0.30, "turnover.staff_annual": 0.12}
TARGETS = (("outcome", "adoption_rest_final", 0.05), ("outcome", "capability_mean_final", 0.02),
           ("series", "leavers", 0.1))


def config(observed: dict, targets=TARGETS) -> str:
    text = '''name = "recovery"
description = "Synthetic observations from threshold 0.30 and staff turnover 12% a year."
seed = 3
replicates = 2
population = 40
generations = 4
weeks = 104
draws = 0

[scenarios]
small = { scenario = "sash-teaching", set = { "organisation.staff" = 300 } }

[parameters."exchange.threshold"]
prior = "uniform"
low = 0.1
high = 0.45

[parameters."turnover.staff_annual"]
prior = "uniform"
low = 0.02
high = 0.3
'''
    for kind, name, scale in targets:
        stat = 'statistic = "mean"\n' if kind == "series" else ""
        key = f"small:series:{name}:mean" if kind == "series" else f"small:{name}"
        text += (f'\n[[targets]]\nscenario = "small"\n{kind} = "{name}"\n{stat}'
                 f'observed = {observed.get(key, 0.5)!r}\nscale = {scale}\n')
    return text


def synthetic(tmp_path: Path, targets=TARGETS) -> Path:
    path = tmp_path / "recovery.toml"
    path.write_text(config({}, targets))
    cal = dataclasses.replace(load_calibration(path), seed=999)  # the data's own seeds
    path.write_text(config(evaluate(cal, TRUTH, SerialExecutor(), reps=10), targets))
    return path


def recovered(tmp_path: Path, targets=TARGETS) -> pd.DataFrame:
    out = tmp_path / "out"
    assert main(["calibrate", str(synthetic(tmp_path, targets)), "--out", str(out), "--workers", "1"]) == 0
    return pd.read_csv(out / "posterior_summary.csv").set_index("parameter")


def test_known_values_are_recovered(tmp_path):
    s = recovered(tmp_path)
    print(s[["median", "q05", "q95", "width_ratio"]].to_string())  # the figures docs/calibration.md quotes (-s)
    for name, true in TRUTH.items():
        assert s.loc[name, "q05"] <= true <= s.loc[name, "q95"], (name, true, s.loc[name].to_dict())
        assert s.loc[name, "width_ratio"] < 0.6, (name, s.loc[name].to_dict())


@pytest.mark.slow
def test_the_recovery_bar_fails_without_the_target_that_identifies_turnover(tmp_path):
    """Without the weekly leavers, turnover is barely identified: its interval stays wide (the bar can fail).

    Margin: 0.71-0.89 of the prior's width over seeds 3-6 against the bar 0.6 (0.714 at seed 3)."""
    s = recovered(tmp_path, TARGETS[:2])
    assert s.loc["turnover.staff_annual", "width_ratio"] >= 0.6, s.to_dict()
