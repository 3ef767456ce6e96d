"""Parameters: defaults, scenarios, and every kind of bad input (issue 2, item 4).

Every error must be a ParameterError whose message is ONE line naming the
file (or ``--set``), the key, the value and what is allowed; the CLI turns it
into exit code 2, one line on stderr, no traceback and no output folder.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from model.params import (
    FIELDS, SECTIONS, ParameterError, Params, bundled_scenarios, defaults, load_scenario,
    parse_override, parse_value,
)

from conftest import PYTHON, ROOT

TRUSTS = ("sash", "leeds", "uhcw", "bhr", "sath")


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def error_of(source, overrides=()) -> str:
    with pytest.raises(ParameterError) as info:
        load_scenario(source, overrides=overrides)
    msg = str(info.value)
    assert "\n" not in msg, f"error is not one line: {msg!r}"
    assert msg.strip() == msg and msg
    return msg


# --- defaults and bundled scenarios --------------------------------------------


def test_every_field_default_is_valid_and_in_range():
    p = defaults()
    for key, f in FIELDS.items():
        assert key.split(".")[0] in SECTIONS
        v = p.get(key)
        if f.kind in ("int", "float"):
            assert f.lo <= v <= f.hi, key
            assert f.lo <= f.hi
        if f.kind == "choice":
            assert v in f.choices
        assert f.doc, f"{key} has no description"
    # defaults survive a round trip through with_values
    assert p.with_values(p.flat()) == p


def test_baseline_scenario_is_the_defaults_up_to_names():
    base = load_scenario("baseline").flat()
    d = defaults().flat()
    diff = {k for k in d if d[k] != base[k]}
    assert diff <= {"trust.name", "trust.label"}


@pytest.mark.parametrize("name", bundled_scenarios())
def test_bundled_scenarios_load(name):
    p = load_scenario(name)
    assert p.trust.name == name
    assert isinstance(p, Params)


def test_bundled_scenarios_are_the_five_trusts_with_teaching_sizes():
    names = set(bundled_scenarios())
    for t in TRUSTS + ("baseline",):
        assert t in names and f"{t}-teaching" in names


@pytest.mark.parametrize("name,lo,hi", [("sash", 3000, 4000), ("leeds", 20000, 25000), ("uhcw", 9000, 11000),
                                        ("bhr", 7000, 9000), ("sath", 5000, 7000)])
def test_trusts_at_real_headcounts(name, lo, hi):
    assert lo <= load_scenario(name).organisation.staff <= hi
    assert load_scenario(f"{name}-teaching").organisation.staff <= 1000


def test_scenario_files_annotate_every_value():
    """Each value line in a trust scenario carries a comment (source, record or assumption)."""
    for t in TRUSTS:
        text = (ROOT / "scenarios" / f"{t}.toml").read_text()
        previous = ""
        for line in text.splitlines():
            s = line.strip()
            if s and not s.startswith(("#", "[", "name", "label")):
                # annotated on the line itself or by the comment just above it
                assert "#" in s or previous.startswith("#"), f"{t}.toml: unannotated value: {s}"
            previous = s


def test_params_are_frozen():
    p = defaults()
    with pytest.raises(AttributeError):
        p.leadership.commitment = 0.1
    with pytest.raises(AttributeError):
        p.leadership.nonexistent  # noqa: B018


def test_extends_inherits_and_overrides(tmp_path):
    f = write(tmp_path, 'extends = "sash"\n[leadership]\ncommitment = 0.2\n')
    p = load_scenario(f)
    sash = load_scenario("sash")
    assert p.leadership.commitment == 0.2
    assert p.network.reciprocity == sash.network.reciprocity
    assert p.organisation.staff == sash.organisation.staff


def test_extends_a_sibling_file(tmp_path):
    write(tmp_path, "[leadership]\ncommitment = 0.33\n", "parent.toml")
    f = write(tmp_path, 'extends = "parent"\n[network]\nreciprocity = 0.1\n')
    p = load_scenario(f)
    assert p.leadership.commitment == 0.33 and p.network.reciprocity == 0.1


def test_override_forms():
    p = load_scenario("baseline", overrides=["leadership.commitment=0.9", "network.cross_unit_mode=clustered",
                                             "leadership.ceo_changes=[30, 10]",
                                             "leadership.pressure=[{start=1, end=5, level=0.5}]"])
    assert p.leadership.commitment == 0.9
    assert p.network.cross_unit_mode == "clustered"
    assert p.leadership.ceo_changes == [10, 30]  # normalised: sorted
    assert p.leadership.pressure == [{"start": 1, "end": 5, "level": 0.5}]
    q = load_scenario("baseline", overrides={"leadership.commitment": 0.9})
    assert q.leadership.commitment == 0.9
    assert parse_value("0.5") == 0.5 and parse_value("word") == "word" and parse_value("[1,2]") == [1, 2]
    assert parse_override("a.b = 3") == ("a.b", 3)


def test_int_given_as_integral_float_is_accepted():
    assert load_scenario("baseline", overrides=["run.weeks=52.0"]).run.weeks == 52
    assert isinstance(load_scenario("baseline", overrides=["run.weeks=52.0"]).run.weeks, int)


# --- bad input: every kind, one line naming file, key, value, allowed -------------


def test_unknown_section(tmp_path):
    f = write(tmp_path, "[nonsense]\nx = 1\n")
    msg = error_of(f)
    assert str(f) in msg and "nonsense" in msg and "unknown section" in msg and "allowed" in msg
    assert "leadership" in msg  # lists what is allowed


def test_section_that_is_not_a_table(tmp_path):
    f = write(tmp_path, "leadership = 3\n")
    msg = error_of(f)
    assert str(f) in msg and "leadership" in msg and "3" in msg and "allowed" in msg


def test_unknown_key(tmp_path):
    f = write(tmp_path, "[leadership]\ncomitment = 0.5\n")
    msg = error_of(f)
    assert str(f) in msg and "leadership.comitment" in msg and "0.5" in msg
    assert "unknown key" in msg and "leadership.commitment" in msg


@pytest.mark.parametrize("line,key,shown", [
    ('[leadership]\ncommitment = "high"', "leadership.commitment", "'high'"),
    ("[leadership]\ncommitment = true", "leadership.commitment", "True"),
    ("[run]\nweeks = 2.5", "run.weeks", "2.5"),
    ('[run]\nweeks = "52"', "run.weeks", "'52'"),
    ("[organisation]\nstaff = [100]", "organisation.staff", "[100]"),
    ('[network]\ncross_unit_mode = "ring"', "network.cross_unit_mode", "'ring'"),
    ("[exchange]\nrule = 3", "exchange.rule", "3"),
    ("[trust]\nname = 3", "trust.name", "3"),
    ("[leadership]\nceo_changes = 100", "leadership.ceo_changes", "100"),
    ('[leadership]\nceo_changes = [100, "x"]', "leadership.ceo_changes", "'x'"),
    ("[leadership]\nceo_changes = [10.5]", "leadership.ceo_changes", "10.5"),
    ("[leadership]\npressure = 0.5", "leadership.pressure", "0.5"),
    ("[leadership]\npressure = [{start = 1, end = 5}]", "leadership.pressure", "start"),
    ("[leadership]\npressure = [{start = 1, end = 5, level = 0.5, extra = 1}]", "leadership.pressure", "extra"),
    ('[measurement]\npathway_scopes = ["unit", "ward"]', "measurement.pathway_scopes", "'ward'"),
    ('[measurement]\npathway_scopes = "unit"', "measurement.pathway_scopes", "'unit'"),
])
def test_wrong_type(tmp_path, line, key, shown):
    f = write(tmp_path, line + "\n")
    msg = error_of(f)
    assert str(f) in msg and key in msg and shown in msg and "allowed is" in msg


@pytest.mark.parametrize("key", [k for k, f in FIELDS.items() if f.kind in ("int", "float")])
def test_out_of_range_numbers_both_sides(tmp_path, key):
    f = FIELDS[key]
    sec, name = key.split(".")
    for bad in (f.lo - 1, f.hi + 1):
        path = write(tmp_path, f"[{sec}]\n{name} = {bad!r}\n")
        msg = error_of(path)
        assert str(path) in msg and key in msg and f"{bad!r}" in msg and "allowed is" in msg
        assert f"{f.lo:g}" in msg and f"{f.hi:g}" in msg


@pytest.mark.parametrize("text,key", [
    ("[leadership]\ncommitment = nan", "leadership.commitment"),
    ("[leadership]\ncommitment = inf", "leadership.commitment"),
    ("[leadership]\nceo_changes = [-1]", "leadership.ceo_changes"),
    ("[leadership]\nceo_changes = [5000]", "leadership.ceo_changes"),
    ("[leadership]\npressure = [{start = 10, end = 5, level = 0.5}]", "leadership.pressure"),
    ("[leadership]\npressure = [{start = 1, end = 5, level = 1.5}]", "leadership.pressure"),
    ("[leadership]\npressure = [{start = -1, end = 5, level = 0.5}]", "leadership.pressure"),
])
def test_out_of_range_other_kinds(tmp_path, text, key):
    f = write(tmp_path, text + "\n")
    msg = error_of(f)
    assert str(f) in msg and key in msg and "allowed is" in msg


@pytest.mark.parametrize("value", ["inf", "nan"])
def test_non_finite_week_in_ceo_changes_is_a_parameter_error(tmp_path, value):
    f = write(tmp_path, f"[leadership]\nceo_changes = [{value}]\n")
    error_of(f)


def test_non_finite_pressure_window_is_a_parameter_error(tmp_path):
    f = write(tmp_path, "[leadership]\npressure = [{start = 0, end = inf, level = 0.5}]\n")
    error_of(f)


@pytest.mark.parametrize("window", ['{start = "3", end = 20, level = 0.5}',
                                    '{start = 3, end = 20, level = "0.5"}',
                                    "{start = 1.5, end = 20, level = 0.5}",
                                    "{start = true, end = 20, level = 0.5}"])
def test_pressure_window_wrong_types_rejected(tmp_path, window):
    f = write(tmp_path, f"[leadership]\npressure = [{window}]\n")
    error_of(f)


def test_malformed_toml(tmp_path):
    f = write(tmp_path, "[leadership\ncommitment = 0.5\n")
    msg = error_of(f)
    assert str(f) in msg and "malformed TOML" in msg and "line 1" in msg


def test_not_utf8(tmp_path):
    p = tmp_path / "bin.toml"
    p.write_bytes(b"\xff\xfe[x]\n")
    msg = error_of(p)
    assert str(p) in msg


def test_missing_file(tmp_path):
    p = tmp_path / "absent.toml"
    msg = error_of(p)
    assert str(p) in msg and "not found" in msg and "allowed" in msg


def test_unknown_bundled_name():
    msg = error_of("no-such-trust")
    assert "no-such-trust" in msg and "sash" in msg and "allowed" in msg


def test_extends_not_a_string(tmp_path):
    f = write(tmp_path, "extends = 3\n")
    msg = error_of(f)
    assert str(f) in msg and "extends" in msg and "3" in msg and "allowed" in msg


def test_extends_itself(tmp_path):
    f = write(tmp_path, 'extends = "s"\n')
    msg = error_of(f)
    assert "extends" in msg and str(f) in msg


def test_extends_cycle(tmp_path):
    write(tmp_path, 'extends = "b"\n', "a.toml")
    write(tmp_path, 'extends = "a"\n', "b.toml")
    msg = error_of(tmp_path / "a.toml")
    assert "extends" in msg and "allowed" in msg


def test_extends_missing_parent_is_an_error(tmp_path):
    f = write(tmp_path, 'extends = "nope"\n')
    msg = error_of(f)
    assert "nope" in msg and "allowed" in msg


def test_extends_missing_parent_names_file_and_key(tmp_path):
    f = write(tmp_path, 'extends = "nope"\n')
    msg = error_of(f)
    assert str(f) in msg and "extends" in msg


def test_error_in_parent_names_the_parent_file(tmp_path):
    parent = write(tmp_path, "[leadership]\ncommitment = 7\n", "parent.toml")
    f = write(tmp_path, 'extends = "parent"\n')
    msg = error_of(f)
    assert str(parent) in msg and "leadership.commitment" in msg and "7" in msg


@pytest.mark.parametrize("text,key", [
    ("[organisation]\nunit_size_min = 50\nunit_size_max = 20", "organisation.unit_size_min"),
    ("[organisation]\nunit_size_mean = 12\nunit_size_min = 15", "organisation.unit_size_mean"),
    ("[organisation]\nstaff = 100\ndirectorates = 10", "organisation.directorates"),
    ("[organisation]\nstaff = 300\npathways = 10\nunits_per_pathway = 3", "organisation.pathways"),
    ("[organisation]\nstaff = 600\ndirectorates = 6\nunits_per_pathway = 5\npathways = 1", "organisation.units_per_pathway"),
    ("[sustain]\nabandon_min = 0.5\nabandon_max = 0.1", "sustain.abandon_min"),
    ('[organisation]\npathways = 1\n[measurement]\npathway_scopes = ["unit", "unit"]', "measurement.pathway_scopes"),
    ("[sustain]\nreinforcement_weight = 0.5\nsupport_weight = 0.5\nrecognition_weight = 0.5", "sustain.recognition_weight"),
])
def test_cross_field_rules(tmp_path, text, key):
    f = write(tmp_path, text + "\n")
    msg = error_of(f)
    assert str(f) in msg and key in msg and "allowed is" in msg


# --- --set overrides: validated the same way -----------------------------------------


@pytest.mark.parametrize("item,key", [
    ("leadership.commitment=1.5", "leadership.commitment"),
    ("leadership.commitment=abc", "leadership.commitment"),
    ("leadership.commitment=", "leadership.commitment"),
    ("leadership.comitment=0.5", "leadership.comitment"),
    ("nosection.x=1", "nosection.x"),
    ("run.weeks=2.5", "run.weeks"),
    ("organisation.staff=true", "organisation.staff"),
    ("network.cross_unit_mode=ring", "network.cross_unit_mode"),
    ("leadership.pressure=[{start=5,end=2,level=0.5}]", "leadership.pressure"),
])
def test_set_overrides_validated(item, key):
    msg = error_of("baseline", overrides=[item])
    assert msg.startswith("--set:") and key in msg and "allowed" in msg


def test_set_without_equals():
    msg = error_of("baseline", overrides=["leadership.commitment"])
    assert "--set" in msg and "KEY=VALUE" in msg


def test_set_cross_field_rule_applies_after_override():
    msg = error_of("baseline", overrides=["sustain.abandon_min=0.5"])
    assert "sustain.abandon_min" in msg


def test_with_values_validates():
    with pytest.raises(ParameterError):
        defaults().with_values({"leadership.commitment": 2.0})
    with pytest.raises(ParameterError):
        defaults().with_values({"leadership.nope": 2.0})


# --- the CLI: exit 2, one line on stderr, no traceback, nothing written --------------


def spread(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "model", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def main_in_process(args, cwd: Path, monkeypatch, capsys):
    """Run ``spread`` in this process (same code path as the console script, much faster)."""
    from model.cli import main

    monkeypatch.chdir(cwd)
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


BAD_FILES = {
    "unknown_section": "[bogus]\nx = 1\n",
    "unknown_key": "[leadership]\nfoo = 1\n",
    "wrong_type": '[leadership]\ncommitment = "x"\n',
    "out_of_range": "[leadership]\ncommitment = 2\n",
    "malformed": "[leadership\n",
    "bad_extends": "extends = 3\n",
    "missing_parent": 'extends = "nope"\n',
    "cross_field": "[sustain]\nabandon_min = 0.5\nabandon_max = 0.1\n",
}
BAD_SETS = {
    "set_bad": ["--set", "leadership.commitment=9"],
    "set_unknown": ["--set", "leadership.x=1"],
    "set_no_equals": ["--set", "leadership.commitment"],
    "set_wrong_type": ["--set", "run.weeks=many"],
}


@pytest.mark.parametrize("case", [*BAD_FILES, "missing", "missing_name", *BAD_SETS])
def test_cli_bad_input(tmp_path, case, monkeypatch, capsys):
    write(tmp_path, "[leadership]\ncommitment = 0.5\n", "good.toml")
    extra: list[str] = []
    if case in BAD_FILES:
        scen = write(tmp_path, BAD_FILES[case], "bad.toml")
    elif case == "missing":
        scen = tmp_path / "absent.toml"
    elif case == "missing_name":
        scen = "no-such-trust"
    else:
        scen = tmp_path / "good.toml"
        extra = BAD_SETS[case]
    out = tmp_path / "out"
    rc, stdout, stderr = main_in_process(["run", scen, "--reps", "1", "--weeks", "2", "--out", out, *extra],
                                         tmp_path, monkeypatch, capsys)
    assert rc == 2, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert stdout == ""
    assert not out.exists() and not (tmp_path / "results").exists()
    assert {p.name for p in tmp_path.iterdir()} <= {"good.toml", "bad.toml"}


def test_cli_bad_input_subprocess_python_m(tmp_path):
    bad = write(tmp_path, "[leadership]\ncommitment = 2\n", "bad.toml")
    r = spread("run", bad, "--reps", "1", "--out", tmp_path / "o", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(bad) in lines[0] and "leadership.commitment" in lines[0] and "2" in lines[0] and "allowed" in lines[0]
    assert not (tmp_path / "o").exists() and not (tmp_path / "results").exists()


def test_cli_bad_input_via_console_script(tmp_path):
    exe = Path(PYTHON).parent / "spread"
    assert exe.exists(), f"{exe}: the console script is missing; install the project (make setup)"
    r = subprocess.run([str(exe), "run", "baseline", "--set", "leadership.commitment=-1", "--out",
                        str(tmp_path / "o")], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "leadership.commitment" in r.stderr and "-1" in r.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "results").exists()


def test_cli_non_finite_week_exits_2(tmp_path, monkeypatch, capsys):
    scen = write(tmp_path, "[leadership]\nceo_changes = [inf]\n")
    rc, _, _ = main_in_process(["run", scen, "--reps", "1", "--out", tmp_path / "o"], tmp_path, monkeypatch, capsys)
    assert rc == 2


@pytest.mark.parametrize("args", [["--reps", "0"], ["--seed", "-1"], ["--weeks", "x"]])
def test_cli_bad_options_exit_2_without_traceback(tmp_path, args, monkeypatch, capsys):
    with pytest.raises(SystemExit) as info:
        main_in_process(["run", "baseline", *args, "--out", tmp_path / "o"], tmp_path, monkeypatch, capsys)
    assert info.value.code == 2
    assert not (tmp_path / "o").exists()


def test_cli_good_run_writes_outputs(tmp_path, monkeypatch, capsys):
    out = tmp_path / "o"
    rc, _, stderr = main_in_process(["run", "baseline-teaching", "--reps", "2", "--weeks", "20", "--seed", "3",
                                     "--out", out, "--workers", "1"], tmp_path, monkeypatch, capsys)
    assert rc == 0, stderr
    for name in ("weekly.csv", "summary.csv", "network.csv", "run.json"):
        assert (out / name).exists(), name
