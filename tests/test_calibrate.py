"""``spread calibrate``: the file's validation, the targets, reproducibility and resume, the folder rules."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("pyabc", reason="install the calibrate extra (pyabc)")

from model.calibrate.config import CalibrationError, load_calibration  # noqa: E402
from model.calibrate.fit import fit, posterior  # noqa: E402
from model.calibrate.targets import NETWORK_STATS, summary_outcomes  # noqa: E402
from model.cli import main  # noqa: E402
from model.sweeps.executors import SerialExecutor, make_executor  # noqa: E402
from conftest import tiny_calibration  # noqa: E402

#: A tiny calibration: a 300-staff trust for a year, one free parameter, two targets.
TINY = tiny_calibration()


def write(tmp_path: Path, text: str = TINY, name: str = "cal.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def run_cli(argv, capsys) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


# --- bad input: one line naming file, key, value and what is allowed; exit 2; nothing written ------------

BAD = {
    "unknown parameter": (('[parameters."exchange.threshold"]', '[parameters."exchange.nonsense"]'),
                          "parameters.exchange.nonsense", "unknown parameter"),
    "prior outside the range": (("high = 0.45", "high = 1.5"), "parameters.exchange.threshold.high = 1.5",
                                "from 0 to 1"),
    "target not an output": (('outcome = "capability_mean_final"', 'outcome = "happiness"'),
                             "targets[0].outcome = 'happiness'", "not an output"),
    "negative population": (("population = 6", "population = -4"), "population = -4", "from 2 to"),
    "unknown prior": (('prior = "uniform"', 'prior = "cauchy"'), "prior = 'cauchy'", "log-uniform"),
    "unknown scenario alias": (('scenario = "small"\noutcome = "capability', 'scenario = "big"\noutcome = "capability'),
                               "targets[0].scenario = 'big'", "small"),
    "a weekly column that is not one": (('outcome = "capability_mean_final"', 'series = "mood"'),
                                        "targets[0].series = 'mood'", "weekly column"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_exit_2_and_nothing_written(case, tmp_path, capsys):
    (old, new), key, allowed = BAD[case]
    assert old in TINY
    cfg = write(tmp_path, TINY.replace(old, new, 1))
    out = tmp_path / "out"
    code, stdout, err = run_cli(["calibrate", str(cfg), "--out", str(out)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(cfg) in lines[0] and key in lines[0] and allowed in lines[0], lines[0]
    assert not out.exists()


def test_prior_bounds_that_break_a_scenario_rule_are_refused(tmp_path):
    """sustain.abandon_max below the scenario's abandon_min cannot be run: refused before any work."""
    text = TINY.replace('[parameters."exchange.threshold"]\nprior = "uniform"\nlow = 0.1\nhigh = 0.45',
                        '[parameters."sustain.abandon_max"]\nprior = "uniform"\nlow = 0.0\nhigh = 0.1')
    with pytest.raises(CalibrationError, match=r"parameters.sustain.abandon_max.*abandon_min"):
        load_calibration(write(tmp_path, text))


def test_summary_outcomes_and_network_statistics_are_what_a_run_gives():
    """The allowed names are read from summarise (outcomes) and checked here against a real run (network)."""
    from model.params import load_scenario
    from model.runner import simulate

    res = simulate(load_scenario("sash-teaching", overrides={"organisation.staff": 300}), 1, 10)
    assert set(summary_outcomes()) == set(res.summary)
    assert set(NETWORK_STATS) == set(res.network_start) - {"week"}


@settings(max_examples=60, deadline=None)
@given(value=st.floats(-5, 5), lo=st.floats(-2, 2), width=st.floats(0, 3), scale=st.floats(0.01, 10))
def test_a_target_gap_is_zero_exactly_when_met(value, lo, width, scale):
    from model.calibrate.config import Target
    from model.calibrate.targets import Statistic

    t = Target("x", "a", Statistic("outcome", "reach_final"), low=lo, high=lo + width, scale=scale)
    assert (t.gap(value) == 0) == t.meets(value)
    assert t.gap(value) >= 0
    assert math.isclose(t.gap(value) * scale, max(lo - value, value - lo - width, 0), abs_tol=1e-9)


def test_a_particles_replicates_give_the_same_values_however_they_are_batched(tmp_path):
    """evaluate batches a scenario's replicates into about ``workers`` tasks; the values are the mean of
    the runs alone, bit for bit, whatever the split (including a NaN particle's rejection)."""
    import json

    import numpy as np

    from model.calibrate.fit import arm_statistics, evaluate, particle_point, run_arm
    from model.calibrate.targets import target_values
    from model.seeds import run_seed

    cal = load_calibration(write(tmp_path))
    theta = {"exchange.threshold": 0.2}
    got = [evaluate(cal, theta, SerialExecutor(), reps=5, workers=w) for w in (1, 2, 3, 8, None)]
    assert all(g == got[0] for g in got[1:]), got
    (arm,) = cal.arms
    stats = tuple(arm_statistics(cal, cal.targets)[arm.alias])
    point = particle_point(theta)
    rows = [run_arm((arm.source, json.dumps(arm.overrides, sort_keys=True), json.dumps(cal.values(theta, arm.alias),
                     sort_keys=True), (run_seed(cal.seed, point, r),), cal.weeks, stats))[0] for r in range(5)]
    alone = target_values(cal.targets, {(arm.alias, s.key): float(np.mean([row[i] for row in rows]))
                                        for i, s in enumerate(stats)})
    assert got[0] == alone
    assert all(math.isfinite(v) for v in alone.values())


# --- reproducibility and resume ---------------------------------------------------------------------


def test_same_seed_same_posterior_whatever_the_workers_and_a_resume(tmp_path):
    """Serial, two processes, and one generation then a resumed second give the same particles bit for bit."""
    cal = load_calibration(write(tmp_path))
    serial = tmp_path / "serial"
    serial.mkdir()
    fit(cal, serial, SerialExecutor(), log=lambda m: None)
    a = posterior(serial)

    handle = make_executor(2)
    try:
        procs = tmp_path / "procs"
        procs.mkdir()
        fit(cal, procs, handle.executor, log=lambda m: None, workers=handle.workers)  # replicates split over both
    finally:
        handle.close()
    pd.testing.assert_frame_equal(a, posterior(procs))

    resumed = tmp_path / "resumed"
    resumed.mkdir()
    fit(dataclasses.replace(cal, generations=1), resumed, SerialExecutor(), log=lambda m: None)  # "interrupted"
    fit(cal, resumed, SerialExecutor(), log=lambda m: None)
    pd.testing.assert_frame_equal(a, posterior(resumed))

    other = tmp_path / "other"
    other.mkdir()
    fit(dataclasses.replace(cal, seed=6), other, SerialExecutor(), log=lambda m: None)
    assert not posterior(other)["exchange.threshold"].equals(a["exchange.threshold"])


def test_cli_writes_the_folder_and_refuses_or_resumes_it(tmp_path, capsys):
    """A finished calibration: every output is there; running again needs --resume, which adds nothing."""
    cfg = write(tmp_path)
    out = tmp_path / "out"
    code, stdout, err = run_cli(["calibrate", str(cfg), "--out", str(out), "--workers", "1"], capsys)
    assert code == 0, err
    for name in ("posterior.parquet", "generations.csv", "posterior_summary.csv", "patterns.csv", "predictive.csv",
                 "posterior_marginals.png", "posterior_pairs.png", "epsilon.png", "report.md", "run.json", "history.db"):
        assert (out / name).is_file(), name
    post = pd.read_parquet(out / "posterior.parquet")
    assert len(post) == 6 and math.isclose(post["weight"].sum(), 1.0)
    gens = pd.read_csv(out / "generations.csv")
    assert list(gens["t"]) == [0, 1] and (gens["acceptance_rate"] <= 1).all()
    assert gens["epsilon"].is_monotonic_decreasing
    patterns = pd.read_csv(out / "patterns.csv").set_index("pattern")
    assert patterns.loc["P1", "fit"] == "held out" and patterns.loc["capability", "fit"] == "fitted"
    assert 0 <= patterns.loc["P1", "share_met"] <= 1
    assert "held out" in (out / "report.md").read_text()

    code, _, err = run_cli(["calibrate", str(cfg), "--out", str(out), "--workers", "1"], capsys)
    assert code == 2 and "--resume" in err
    code, _, err = run_cli(["calibrate", str(cfg), "--out", str(out), "--workers", "1", "--resume"], capsys)
    assert code == 0, err
    pd.testing.assert_frame_equal(post, pd.read_parquet(out / "posterior.parquet"))

    changed = write(tmp_path, TINY.replace("seed = 5", "seed = 9"), "changed.toml")
    code, _, err = run_cli(["calibrate", str(changed), "--out", str(out), "--resume"], capsys)
    assert code == 2 and "different calibration" in err
    # --seed S is the same calibration as the file with seed = S (issue 25: two independent repeats)
    code, _, err = run_cli(["calibrate", str(cfg), "--seed", "9", "--out", str(out), "--resume"], capsys)
    assert code == 2 and "different calibration" in err
    assert load_calibration(changed).digest() == dataclasses.replace(load_calibration(cfg), seed=9).digest()


def test_a_folder_of_other_files_is_refused(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code, _, err = run_cli(["calibrate", str(write(tmp_path)), "--out", str(out)], capsys)
    assert code == 2 and "did not write" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


# --- using a posterior: spread run / compare --posterior -------------------------------------------


def test_trust_levels_apply_only_to_their_own_trust():
    from model.calibrate.posterior import Posterior

    manifest = {"scenarios": {"uhcw_ceo": {"scenario": "uhcw"}, "leeds": {"scenario": "leeds"}},
                "parameters": [{"name": "uhcw.involvement", "key": "managers.involvement", "scenarios": ["uhcw_ceo"]},
                               {"name": "exchange.threshold", "key": "exchange.threshold", "scenarios": []}]}
    parts = pd.DataFrame({"uhcw.involvement": [0.1, 0.5], "exchange.threshold": [0.2, 0.3], "weight": [0.0, 1.0]})
    post = Posterior(Path("."), parts, manifest)
    assert post.keys_for("uhcw") == {"uhcw.involvement": "managers.involvement", "exchange.threshold": "exchange.threshold"}
    assert post.keys_for("scenarios/leeds.toml") == {"exchange.threshold": "exchange.threshold"}
    assert post.draws("uhcw", 3, seed=1) == [{"managers.involvement": 0.5, "exchange.threshold": 0.3}] * 3  # by weight


def test_run_and_compare_over_the_posterior(tmp_path, capsys):
    cal = tmp_path / "cal"
    assert main(["calibrate", str(write(tmp_path, TINY.replace("draws = 3", "draws = 0"))), "--out", str(cal),
                 "--workers", "1"]) == 0
    particles = pd.read_parquet(cal / "posterior.parquet")
    out = tmp_path / "run"
    code, stdout, err = run_cli(["run", "sash-teaching", "--posterior", str(cal), "--draws", "3", "--reps", "2",
                                 "--weeks", "20", "--workers", "1", "--out", str(out)], capsys)
    assert code == 0, err
    summ = pd.read_parquet(out / "summary.parquet") if (out / "summary.parquet").exists() else pd.read_csv(out / "summary.csv")
    assert sorted(summ["draw"].unique()) == [0, 1, 2] and len(summ) == 6
    assert set(summ["param:exchange.threshold"]) <= set(particles["exchange.threshold"])
    spread = pd.read_csv(out / "posterior_outcomes.csv").set_index("outcome")
    assert {"sd_between_draws", "sd_within_draw"} <= set(spread.columns)
    assert "sd_between_draws" in stdout

    cmp_out = tmp_path / "cmp"
    code, stdout, err = run_cli(["compare", "sash-teaching", "--what-if", "peer-learning-first", "--posterior", str(cal),
                                 "--draws", "2", "--reps", "2", "--weeks", "20", "--workers", "1", "--quiet",
                                 "--out", str(cmp_out)], capsys)
    assert code == 0, err
    eff = pd.read_csv(cmp_out / "posterior_effects.csv")
    assert (eff["draws"] == 2).all()
    assert sorted(pd.read_csv(cmp_out / "posterior_effects_by_draw.csv")["draw"].unique()) == [0, 1]

    code, _, err = run_cli(["run", "sash-teaching", "--posterior", str(tmp_path), "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and "not a `spread calibrate` folder" in err and not (tmp_path / "x").exists()


def test_a_particle_run_skips_network_and_survey_only_when_no_target_reads_them():
    """run_arm computes the network statistics and the survey only for statistics that read them;
    the outcomes are the same numbers either way (the survey draws from its own stream)."""
    import json

    from model.calibrate.fit import run_arm
    from model.calibrate.targets import Statistic

    outcome = Statistic("outcome", "adoption_rest_final")
    net = Statistic("network", "reciprocity_arcs", when="end")
    survey = Statistic("survey", "reciprocity_arcs")
    fixed, values = json.dumps({"organisation.staff": 900}), json.dumps({})
    (alone,) = run_arm(("baseline", fixed, values, (5,), 140, (outcome,)))  # past the survey week (130)
    (both,) = run_arm(("baseline", fixed, values, (5,), 140, (outcome, net, survey)))
    assert alone[0] == both[0] and math.isfinite(alone[0])
    assert 0 < both[1] < 1 and math.isfinite(both[2])
    # a batch of replicates gives each the statistics of its run alone, bit for bit, extras too
    batch = run_arm(("baseline", fixed, values, (7, 5, 9), 140, (outcome, net, survey)))
    assert batch[1] == both and len(batch) == 3
    assert batch[0] == run_arm(("baseline", fixed, values, (7,), 140, (outcome, net, survey)))[0]


def test_a_particle_runs_only_what_its_distance_reads(tmp_path):
    """pyabc's model gives the fitted targets only: held-out targets (and their scenarios) wait for the
    predictive checks; the fitted values are those of a full evaluation."""
    from model.calibrate.fit import ParticleModel, evaluate

    cal = load_calibration(write(tmp_path))
    theta = {"exchange.threshold": 0.3}
    got = ParticleModel(cal, SerialExecutor())(theta)
    assert set(got) == {t.name for t in cal.fitted} != {t.name for t in cal.targets}
    full = evaluate(cal, theta, SerialExecutor())
    assert all(got[k] == full[k] for k in got)


def test_the_plausible_worlds_calibration_file():
    """C2 (issue 25): C1's patterns at real size, the middle tier's assumed shared levels free, and the
    P4, P5 and survey patterns held out of the fit (so their scenarios are not run for a particle)."""
    from model.calibrate.fit import arm_statistics

    cal = load_calibration("C2_plausible_worlds")
    assert {t.pattern for t in cal.fitted} == {"P1", "P2", "P6", "P7"}
    assert {t.pattern for t in cal.targets if not t.fit} == {"P4", "P5", "S"}
    keys = {p.key for p in cal.priors}
    assert {"exchange.threshold", "exchange.adoption_rate", "exchange.learning_rate", "exchange.forgetting",
            "sustain.abandon_max", "rollout.unit_share_annual", "forums.ties_per_person_annual"} <= keys
    shared = {p.key: p for p in cal.priors if not p.scenarios}
    # the hand-found tipping points of issue 25 lie inside the priors
    for key, value in (("exchange.threshold", 0.29), ("exchange.adoption_rate", 0.15),
                       ("exchange.learning_rate", 0.06), ("sustain.abandon_max", 0.04)):
        assert shared[key].low <= value <= shared[key].high, key
    assert cal.population >= 200 and cal.min_epsilon == 0
    assert min(a.params().get("organisation.staff") for a in cal.arms) >= 3500  # real headcounts
    run = {a for a, stats in arm_statistics(cal, cal.fitted).items() if stats}
    assert not run & {"uhcw_ceo", "uhcw_narrow"} and {"leeds", "uhcw", "bhr", "sath", "sash"} <= run
