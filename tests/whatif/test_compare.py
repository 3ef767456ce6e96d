"""What-if comparisons (issue 5): files, common random numbers, statistics, errors."""

from __future__ import annotations

import numpy as np
import pytest

from model.cli import main as spread
from model.params import ParameterError, load_scenario
from model.intervals import tango_paired as paired_proportion_ci
from model.intervals import paired_t_interval as paired_ci
from model.intervals import welch_interval as unpaired_ci
from model.whatif.compare import OUTCOMES, compare, run_arms
from model.whatif.files import RECOMMENDED, bundled_whatifs, load_whatif

#: A small trust on which every lever has something to act on: competing
#: pressure, a chief-executive change, middling alignment and involvement, a
#: broad first target and a metric over a whole directorate. Mid-range
#: adoption, so effects are not hidden by a floor or a ceiling.
TEST_TRUST = "baseline-teaching"
TEST_SET = {
    "leadership.pressure": [{"start": 60, "end": 200, "level": 0.6}],
    "leadership.integration": 0.4,
    "leadership.ceo_changes": [70],
    "leadership.successor_commitment": 0.5,
    "managers.alignment": 0.6,
    "managers.involvement": 0.15,
    "rpiw.focus": 0.4,
    "rpiw.focus_final": 0.7,
    "rpiw.focus_ramp_weeks": 78,
    "measurement.pathway_scopes": ["directorate", "directorate"],
    "network.reciprocity": 0.45,
    "network.cross_unit_ties": 1.3,
}

#: (what-if, outcome column, sign of the expected paired difference, trust).
#: Peer learning is tested where there is practice to share: a trust near its
#: tipping point. In a trust whose practice is still confined to the pilots,
#: extra scattered cross-unit ties slightly dilute the pilots' exposure under
#: the complex-contagion rule (docs/policy.md says so), while reciprocity helps.
EXPECTED = {
    "integrated-strategy": ("adoption_trust_final", +1, "test"),
    # at teaching size UHCW now saturates (reach 1), so the real-size trust (issue 11, criterion 4)
    "peer-learning-first": ("adoption_rest_final", +1, "uhcw"),
    # pilot teams keep the partnership's support floor through a transition (ODD 7.2), so the pilots'
    # lead time no longer shows it; the rest of the trust's managers give more support, so staff learn more
    "new-leader-support": ("capability_mean_final", +1, "test"),
    "managers-involved": ("adoption_trust_final", +1, "test"),
    "measurement-capability": ("lead_time_change_pilot_final", -1, "test"),
    "stable-leadership": ("adoption_trust_final", +1, "test"),
    "aligned-priorities": ("adoption_trust_final", +1, "test"),
}


def test_every_recommendation_is_shipped_and_loads():
    shipped = bundled_whatifs()
    for name in RECOMMENDED:
        assert name in shipped
    for name in shipped:
        w = load_whatif(name)
        assert w.description.endswith(".") and len(w.description) > 30
        assert w.source and w.title
        assert w.changes
        w.apply(load_scenario("bhr"))  # applies to a real scenario
    assert set(EXPECTED) == set(RECOMMENDED)


def test_relative_changes_never_worsen_a_trust():
    w = load_whatif("integrated-strategy")
    assert w.effective(load_scenario("sash")) == {}  # already at 0.9
    assert w.effective(load_scenario("bhr")) == {"leadership.integration": (0.1, 0.9)}
    add = load_whatif("manager-support-plus-0.1")
    assert add.apply(load_scenario("baseline")).managers.base_support == pytest.approx(0.4)
    assert add.apply(load_scenario("baseline", {"managers.base_support": 0.95})).managers.base_support == 1.0


def test_null_what_if_gives_exactly_zero_difference(tmp_path):
    # two what-ifs that change parameters but nothing the model acts on here:
    # a label, and the commitment of a successor in a trust whose chief
    # executive never changes. They are run (not reused), and CRN make every
    # paired difference exactly zero.
    label = tmp_path / "label.toml"
    label.write_text('description = "Rename the trust."\n[trust]\nlabel = "Renamed"\n')
    succ = tmp_path / "succ.toml"
    succ.write_text('description = "A keener successor."\n[leadership]\nsuccessor_commitment = 0.95\n')
    [c] = compare([TEST_TRUST], [str(label), str(succ)], reps=4, seed=3, weeks=60, workers=1,
                  overrides={"leadership.ceo_changes": []})
    assert not c.arms["label"].reused and not c.arms["succ"].reused
    for name in ("label", "succ"):
        rows = c.rows[c.rows.what_if == name]
        assert (rows.difference == 0).all()
        assert (rows.changed_reps == 0).all()
        cont = rows[rows.outcome != "trustwide"]
        assert (cont.ci_low == 0).all() and (cont.ci_high == 0).all()
        assert "makes no difference" in c.sentences[name]
    assert np.array_equal(c.baseline.weekly["adoption_trust"], c.arms["succ"].weekly["adoption_trust"])


def test_paired_interval_narrower_than_unpaired():
    """Manager support +0.1 on a teaching trust: CRN vs independent seeds, same number of runs."""
    base = load_scenario(TEST_TRUST)
    plus = load_whatif("manager-support-plus-0.1").apply(base)
    reps = 12
    arms = run_arms({"b": base, "w": plus}, reps, seed=11, weeks=156, workers=1)
    indep = run_arms({"w2": plus}, reps, seed=12, weeks=156, workers=1)["w2"]
    col = "adoption_trust_final"
    a, b, b2 = (x.summaries[col].to_numpy() for x in (arms["b"], arms["w"], indep))
    m, lo, hi = paired_ci(a, b)
    mu, lou, hiu = unpaired_ci(a, b2)
    assert m > 0 and lo > 0  # more support, more adoption, clearly
    assert (hiu - lou) > 2 * (hi - lo)


def test_each_what_if_moves_its_outcome_the_expected_way():
    names = [n for n, e in EXPECTED.items() if e[2] == "test"] + ["all-recommendations"]
    [c] = compare([TEST_TRUST], names, reps=8, seed=5, workers=2, overrides=TEST_SET)
    [u] = compare(["uhcw"], ["peer-learning-first"], reps=8, seed=5, workers=2)
    for name, (col, sign, where) in EXPECTED.items():
        comp = c if where == "test" else u
        assert comp.effective[name], f"{name} changes nothing in {where}"
        a = comp.baseline.summaries[col].to_numpy()
        b = comp.arms[name].summaries[col].to_numpy()
        m, lo, hi = paired_ci(a, b)
        assert sign * m > 0, f"{name}: {col} moved {m:+.4f}, expected sign {sign:+d}"
    # one lever alone leaves the test trust local; all seven together tip it trust-wide
    rows = c.rows.set_index(["what_if", "outcome"])
    assert rows.loc[("all-recommendations", "reach_final"), "ci_low"] > 20
    assert rows.loc[("all-recommendations", "trustwide"), "ci_low"] > 0


def test_paired_proportion_interval():
    z = np.zeros(30)
    d, lo, hi = paired_proportion_ci(z, z)
    assert d == 0 and lo == pytest.approx(-0.1135, abs=2e-3) and hi == pytest.approx(0.1135, abs=2e-3)
    base = np.array([0] * 20 + [1] * 10)
    wi = np.array([0] * 10 + [1] * 20)
    d, lo, hi = paired_proportion_ci(base, wi)
    assert d == pytest.approx(1 / 3) and 0 < lo < d < hi <= 1
    o = [c for c, *_ in OUTCOMES]
    assert o[0] == "trustwide" and "reach_final" in o and "sustainment" in o


def test_compare_cli_writes_report_and_tables(tmp_path, capsys):
    out = tmp_path / "c"
    rc = spread(["compare", TEST_TRUST, "--what-if", "stable-leadership", "--what-if", "aligned-priorities",
                 "--reps", "3", "--weeks", "60", "--workers", "1", "--out", str(out), "--quiet",
                 "--set", "leadership.ceo_changes=[30]"])
    assert rc == 0
    for f in ("report.html", "comparison.csv", "replicates.csv", "trajectories.csv", "run.json"):
        assert (out / f).is_file()
    text = capsys.readouterr().out
    assert "with stable leadership, the chance that gains spread trust-wide" in text


def test_matrix_cli(tmp_path, capsys):
    out = tmp_path / "m"
    rc = spread(["compare", "--matrix", "sash", "bhr", "--teaching", "--what-if", "integrated-strategy",
                 "stable-leadership", "--reps", "2", "--weeks", "40", "--workers", "1", "--out", str(out), "--quiet"])
    assert rc == 0
    import pandas as pd
    mf = pd.read_csv(out / "matrix.csv")
    assert len(mf) == 4 and set(mf.scenario) == {"sash-teaching", "bhr-teaching"}
    # SASH already has an integrated strategy and one chief executive: nothing changes there
    assert (mf[mf.scenario == "sash-teaching"].changes_here == "none").all()
    assert "Which lever matters where" not in capsys.readouterr().err


@pytest.mark.parametrize("argv, needle", [
    (["compare", "baseline-teaching", "--what-if", "no-such-lever"], "no-such-lever: no such what-if"),
    (["compare", "baseline-teaching"], "--what-if: missing"),
    (["compare", "no-such-trust", "--what-if", "stable-leadership"], "no-such-trust: no such scenario"),
    (["compare", "sash", "bhr", "--what-if", "stable-leadership"], "allowed is one SCENARIO"),
    (["compare", "sash", "--what-if", "stable-leadership", "--reps", "1"], "--reps = 1: allowed is an integer >= 2"),
    (["compare", "sash", "--what-if", "stable-leadership", "--set", "managers.alignment=7"], "managers.alignment = 7"),
])
def test_bad_names_give_one_line_and_exit_2(argv, needle, capsys, tmp_path):
    rc = spread(argv + ["--out", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and needle in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("body, needle", [
    ('description = "x."\n[managers]\nalignmnt = 0.9\n', "managers.alignmnt = 0.9: unknown key"),
    ('description = "x."\n[manager]\nalignment = 0.9\n', "manager = "),
    ('description = "x."\n[managers]\nalignment = { at_least = 2 }\n', "managers.alignment = 2"),
    ('description = "x."\n[managers]\nalignment = { plus = 0.1 }\n', "allowed is a value or a one-entry table"),
    ('[managers]\nalignment = 0.9\n', "description: missing"),
    ('description = "x."\n[managers\n', "malformed TOML"),
])
def test_bad_what_if_files_give_one_line_and_exit_2(body, needle, tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text(body)
    with pytest.raises(ParameterError):
        load_whatif(f)
    rc = spread(["compare", "baseline-teaching", "--what-if", str(f), "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and needle in err, err
    assert str(f) in err


def test_include_combines_and_refuses_loops(tmp_path):
    both = load_whatif("docs/examples/bhr-stable-and-involved.toml")
    assert set(both.changes) == {"leadership.ceo_changes", "leadership.ceo_hazard_annual",
                                 "managers.involvement", "managers.base_support"}
    loop = tmp_path / "loop.toml"
    loop.write_text('description = "x."\ninclude = ["loop"]\n')
    with pytest.raises(ParameterError, match="does not include itself"):
        load_whatif(loop)
