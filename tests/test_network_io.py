"""A trust's own network in and out (model/network_io.py, ``spread network``; issue 14).

Round trip: a generated trust exported and imported as a whole network is the
same trust (organisation, arcs, week-0 statistics, weekly outcomes of the
same seed). Surveyed subgroup: the respondents' ties are the survey's,
exactly. Every bad file is one line naming the file, the row or element, the
value and what is allowed, exit 2 and nothing written.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.cli import main
from model.network import network_stats
from model.network_io import (
    NetworkFileError,
    data_network,
    import_comparison,
    read_network,
    write_graph,
)
from model.organisation import CHIEF_EXECUTIVE, UNIT_MANAGER
from model.params import ParameterError, load_scenario
from model.trust import TrustModel

ORG_FIELDS = ("unit_of", "role", "unit_start", "unit_size", "unit_directorate", "unit_pathway", "unit_manager",
              "directorate_manager")
NET_FIELDS = ("indptr", "src", "dst", "reciprocal", "reverse", "cross", "active_from", "forum", "out_order", "out_ptr")


def export(model: TrustModel, out: Path) -> Path:
    write_graph(model.network_graph(), out)
    return out


def whole(params, out: Path):
    nodes = str(out.with_name(out.stem + ".nodes.csv")) if out.suffix == ".csv" else ""
    return params.with_values({"network.mode": "whole", "network.file": str(out), "network.nodes": nodes})


def assert_same_trust(a: TrustModel, b: TrustModel) -> None:
    for f in ORG_FIELDS:
        assert np.array_equal(getattr(a.org, f), getattr(b.org, f)), f
    assert [u.tolist() for u in a.org.pathway_units] == [u.tolist() for u in b.org.pathway_units]
    for f in NET_FIELDS:
        assert np.array_equal(getattr(a.net, f), getattr(b.net, f)), f
    assert a.network_start == b.network_start


# -- round trip ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".graphml"])
def test_round_trip_of_a_generated_trust_is_the_same_trust_and_run(tmp_path, suffix):
    p = load_scenario("baseline-teaching")
    a = TrustModel(p, rng=7, weeks=80, agents=False)
    out = export(a, tmp_path / f"trust{suffix}")
    b = TrustModel(whole(p, out), rng=7, weeks=80, agents=False)
    assert b.imported is not None and b.imported.mode == "whole"
    assert_same_trust(a, b)
    pd.testing.assert_frame_equal(a.run().weekly_frame(), b.run().weekly_frame())


def test_round_trip_with_forums_that_start_later_is_exact(tmp_path):
    # forum ties are not live at week 0, so not exported; the import draws the same cohorts from the forum stream
    p = load_scenario("baseline-teaching", overrides={"forums.ties_per_person_annual": 3.0, "forums.start_week": 10})
    a = TrustModel(p, rng=2, weeks=60, agents=False)
    b = TrustModel(whole(p, export(a, tmp_path / "t.csv")), rng=2, weeks=60, agents=False)
    assert b.net.forum.any()
    assert_same_trust(a, b)
    pd.testing.assert_frame_equal(a.run().weekly_frame(), b.run().weekly_frame())


@pytest.mark.parametrize("name", ["sash-teaching", "leeds-teaching"])  # peer-learning forums from week 0
@pytest.mark.parametrize("suffix", [".csv", ".graphml"])
def test_round_trip_of_the_trusts_with_forums(tmp_path, name, suffix):
    """Forum ties formed in week 0 are exported with forum = true and stay forum ties on import."""
    p = load_scenario(name)
    a = TrustModel(p, rng=5, weeks=80, agents=False)
    assert (a.net.forum & (a.net.active_from == 0)).any()  # the case this test is for
    b = TrustModel(whole(p, export(a, tmp_path / f"t{suffix}")), rng=5, weeks=80, agents=False)
    assert_same_trust(a, b)
    pd.testing.assert_frame_equal(a.run().weekly_frame(), b.run().weekly_frame())


def test_round_trip_notices_a_changed_file(tmp_path):
    """The round trip's check is not vacuous: one tie fewer in the file, and the trusts differ."""
    p = load_scenario("baseline-teaching")
    a = TrustModel(p, rng=7, weeks=30, agents=False)
    out = export(a, tmp_path / "t.csv")
    edges = pd.read_csv(out)
    edges.iloc[1:].to_csv(out, index=False)
    b = TrustModel(whole(p, out), rng=7, weeks=30, agents=False)
    assert b.network_start["arcs"] == a.network_start["arcs"] - 1
    with pytest.raises(AssertionError):
        assert_same_trust(a, b)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(staff=st.integers(120, 400), reciprocity=st.floats(0, 1), ties=st.floats(1, 8), seed=st.integers(0, 2**31),
       mode=st.sampled_from(["random", "clustered"]), suffix=st.sampled_from([".csv", ".graphml"]))
def test_round_trip_property(tmp_path_factory, staff, reciprocity, ties, seed, mode, suffix):
    p = load_scenario("baseline-teaching", overrides={
        "organisation.staff": staff, "organisation.directorates": 2, "organisation.pathways": 1,
        "network.reciprocity": reciprocity, "network.ties_per_person": ties, "network.cross_unit_mode": mode})
    a = TrustModel(p, rng=seed, weeks=20, agents=False)
    out = export(a, tmp_path_factory.mktemp("rt") / f"t{suffix}")
    b = TrustModel(whole(p, out), rng=seed, weeks=20, agents=False)
    assert_same_trust(a, b)
    pd.testing.assert_frame_equal(a.run().weekly_frame(), b.run().weekly_frame())


# -- export -------------------------------------------------------------------------------------------
def test_export_has_the_attributes_and_reads_back_into_networkx_unchanged(tmp_path):
    m = TrustModel("baseline-teaching", rng=1, weeks=40, agents=False)
    for _ in range(20):
        m.step()
    g = m.network_graph()
    assert g.number_of_nodes() == m.n and g.number_of_edges() == m.live.n_live
    node = g.nodes[0]
    assert set(node) == {"unit", "directorate", "role", "pathway", "pilot", "practising", "capability"}
    assert sum(a["practising"] for _, a in g.nodes(data=True)) == int(m.practising.sum())
    for s, d, a in g.edges(data=True):
        assert a["reciprocal"] == g.has_edge(d, s)
    write_graph(g, tmp_path / "n.graphml")
    h = nx.read_graphml(tmp_path / "n.graphml", node_type=int)
    assert dict(h.nodes(data=True)) == dict(g.nodes(data=True))
    assert {(s, d): a for s, d, a in h.edges(data=True)} == {(s, d): a for s, d, a in g.edges(data=True)}


def test_spread_network_writes_the_week_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "net.csv"
    assert main(["network", "baseline-teaching", "--seed", "3", "--week", "10", "--out", str(out)]) == 0
    m = TrustModel("baseline-teaching", rng=3, agents=False)
    for _ in range(10):
        m.step()
    assert len(pd.read_csv(out)) == m.live.n_live
    assert len(pd.read_csv(tmp_path / "net.nodes.csv")) == m.n
    before = out.read_bytes()
    capsys.readouterr()
    assert main(["network", "baseline-teaching", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "exists" in err and str(out) in err
    assert out.read_bytes() == before
    assert main(["network", "baseline-teaching", "--out", str(tmp_path / "net.gexf")]) == 2
    assert main(["network", "baseline-teaching", "--week", "999", "--out", str(tmp_path / "x.graphml")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.csv", "net.nodes.csv"]


# -- whole network from hand-made files ---------------------------------------------------------------
NODES = """id,unit,directorate,role
ceo,,,chief executive
a,ward1,med,unit manager
b,ward1,med,
c,ward2,med,frontline
d,ward2,med,directorate manager
e,ward3,surg,unit manager
f,ward3,surg,frontline
g,ward3,surg,frontline
iso,ward1,med,frontline
"""
TIES = """source,target,weight
a,b,2
b,a,1
a,c,1
c,d,
e,f,3
f,e,1
g,ceo,1
ceo,a,1
"""


def files(tmp_path: Path, nodes: str = NODES, ties: str = TIES) -> tuple[Path, Path]:
    n, t = tmp_path / "nodes.csv", tmp_path / "ties.csv"
    n.write_text(nodes)
    t.write_text(ties)
    return t, n


def scenario(tmp_path: Path, ties: str | Path, nodes: str | Path = "", mode: str = "whole", extra: str = "") -> Path:
    f = tmp_path / "sc.toml"
    f.write_text(textwrap.dedent(f"""\
        extends = "baseline-teaching"
        [trust]
        name = "mine"
        [organisation]
        pathways = 1
        units_per_pathway = 1
        [network]
        mode = "{mode}"
        file = "{Path(ties).name if Path(ties).parent == tmp_path else ties}"
        nodes = "{Path(nodes).name if nodes and Path(nodes).parent == tmp_path else nodes}"
        """) + extra)
    return f


def test_whole_network_organisation_comes_from_the_node_table(tmp_path):
    t, n = files(tmp_path)
    m = TrustModel(load_scenario(scenario(tmp_path, t, n)), rng=1, weeks=10, agents=False)
    org, imp = m.org, m.imported
    assert org.n_staff == 9  # the isolate survives
    person = dict(zip(imp.data.ids.tolist(), imp.person.tolist()))
    assert org.role[person["ceo"]] == CHIEF_EXECUTIVE and person["ceo"] == org.unit_start[org.board_unit]
    assert org.unit_of[person["iso"]] == org.unit_of[person["a"]] and org.role[person["a"]] == UNIT_MANAGER
    assert org.n_directorates == 2 and org.n_units == 4
    assert org.unit_manager[org.unit_of[person["c"]]] == person["c"]  # no unit manager named: its first member
    assert org.directorate_manager[1] == person["e"]  # none named: the first unit's manager
    assert org.unit_pilot.sum() == 1
    # reciprocity from the data: a<->b and e<->f are mutual, the rest one-way
    stats = m.network_start
    assert stats["arcs"] == 8 and stats["reciprocity_arcs"] == pytest.approx(4 / 8)
    assert m.network_start == network_stats(data_network(imp.data), 0) | {"week": 0}
    g = m.network_graph()
    assert g.nodes[person["iso"]]["label"] == "iso" and g.degree(person["iso"]) == 0


def test_pathway_column_sets_the_pilots(tmp_path):
    nodes = NODES.replace("id,unit,directorate,role", "id,unit,directorate,role,pathway")
    lines = [ln + ("," if i else "") for i, ln in enumerate(nodes.strip().splitlines())]
    lines = [ln + ("0" if ",ward3," in ln else "") for ln in lines]
    t, n = files(tmp_path, "\n".join(lines) + "\n")
    m = TrustModel(load_scenario(scenario(tmp_path, t, n)), rng=1, weeks=10, agents=False)
    person = dict(zip(m.imported.data.ids.tolist(), m.imported.person.tolist()))
    assert m.org.unit_pilot.sum() == 1 and m.org.staff_pilot[person["e"]] and not m.org.staff_pilot[person["a"]]


def test_self_loops_and_duplicates_are_dropped_with_one_warning_line(tmp_path, capsys):
    t, n = files(tmp_path, ties=TIES + "a,a,1\nb,b,1\na,b,5\n")
    d = read_network(t, n)
    assert (d.self_loops, d.duplicates, d.src.size) == (2, 1, 8)
    assert d.weight[0] == 2  # the first of a duplicate is kept
    out = tmp_path / "x.graphml"
    assert main(["network", str(scenario(tmp_path, t, n)), "--out", str(out)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "2 self-loop" in err[0] and "1 duplicate" in err[0] and str(t) in err[0]


def test_a_spreadsheet_csv_with_a_byte_order_mark_reads(tmp_path):
    t, n = files(tmp_path, nodes="\ufeff" + NODES, ties="\ufeff" + TIES)
    d = read_network(t, n)
    assert d.n == 9 and d.src.size == 8 and d.ids[0] == "ceo"


def test_paths_are_relative_to_the_scenario_file(tmp_path):
    t, n = files(tmp_path)
    p = load_scenario(scenario(tmp_path, t, n))
    assert Path(p.network.file) == tmp_path / "ties.csv" and Path(p.network.nodes) == tmp_path / "nodes.csv"


def test_mode_and_file_must_agree():
    with pytest.raises(ParameterError, match="network.file"):
        load_scenario("baseline-teaching", overrides={"network.mode": "whole"})
    with pytest.raises(ParameterError, match="network.mode"):
        load_scenario("baseline-teaching", overrides={"network.file": "x.csv"})


# -- bad files: one line, exit 2, nothing written ---------------------------------------------------------
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed">
<node id="a"><data key="u">&lol2;</data></node></graph></graphml>
"""
GRAPHML = """<?xml version="1.0" encoding="utf-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
<key id="u" for="node" attr.name="unit" attr.type="string"/>
<key id="d" for="node" attr.name="directorate" attr.type="string"/>
<key id="r" for="node" attr.name="role" attr.type="string"/>
<key id="w" for="edge" attr.name="weight" attr.type="string"/>
<graph edgedefault="{edgedefault}">
<node id="ceo"><data key="r">chief executive</data></node>
<node id="a"><data key="u">w1</data><data key="d">med</data><data key="r">{role}</data></node>
<node id="b"><data key="u">{unit}</data><data key="d">med</data></node>
<edge source="a" target="b"><data key="w">{weight}</data></edge>
</graph></graphml>
"""


def graphml(**kw) -> str:
    return GRAPHML.format(**({"edgedefault": "directed", "role": "unit manager", "unit": "w1", "weight": "1"} | kw))


BAD = {
    # case: (ties text, nodes text or None for GraphML, suffix, words the message must hold)
    "unknown node": (TIES + "a,zed,1\n", NODES, ".csv", ["ties.csv", "line 10", "'zed'", "node id listed"]),
    "node without a unit": (TIES, NODES.replace("c,ward2,med", "c,,med"), ".csv", ["nodes.csv", "line 5", "unit", "a unit name"]),
    "role not allowed": (TIES, NODES.replace("g,ward3,surg,frontline", "g,ward3,surg,porter"), ".csv",
                         ["nodes.csv", "line 9", "'porter'", "'unit manager'"]),
    "non-numeric weight": (TIES.replace("e,f,3", "e,f,often"), NODES, ".csv", ["ties.csv", "line 6", "'often'", "a number"]),
    "negative weight": (TIES.replace("e,f,3", "e,f,-1"), NODES, ".csv", ["ties.csv", "line 6", "'-1'", "a number >= 0"]),
    "empty edge file": ("", NODES, ".csv", ["ties.csv", "empty"]),
    "header only": ("source,target\n", NODES, ".csv", ["ties.csv", "no data rows"]),
    "empty node table": (TIES, "\n\n", ".csv", ["nodes.csv", "empty"]),
    "wrong columns": ("from,to\na,b\n", NODES, ".csv", ["ties.csv", "header", "source, target"]),
    "duplicate node id": (TIES, NODES + "a,ward2,med,\n", ".csv", ["nodes.csv", "line 11", "'a'", "each node id once"]),
    "unit in two directorates": (TIES, NODES.replace("f,ward3,surg", "f,ward3,med"), ".csv",
                                 ["nodes.csv", "line 8", "'med'", "a unit sits in one directorate"]),
    "unit in two pathways": (TIES, NODES.replace("id,unit,directorate,role", "id,unit,directorate,role,pathway")
                             .replace("frontline\n", "frontline,\n").replace("manager\n", "manager,\n")
                             .replace("ceo,,,chief executive", "ceo,,,chief executive,").replace("b,ward1,med,\n", "b,ward1,med,,\n")
                             .replace("e,ward3,surg,unit manager,", "e,ward3,surg,unit manager,p1")
                             .replace("f,ward3,surg,frontline,", "f,ward3,surg,frontline,p1")
                             .replace("g,ward3,surg,frontline,", "g,ward3,surg,frontline,p2"), ".csv",
                             ["nodes.csv", "line 9", "'p2'", "a pathway is a set of units"]),
    "not UTF-8": (b"source,target\n\xff\xfe,a\n", NODES, ".csv", ["ties.csv", "not UTF-8"]),
    "not CSV or GraphML": (TIES, NODES, ".txt", ["ties.txt", ".csv edge list", ".graphml"]),
    "CSV that is not CSV": ('source,target\n"a,b\n', NODES, ".csv", ["ties.csv", "not a readable CSV"]),
    "GraphML with entities": (BILLION_LAUGHS, None, ".graphml", ["ties.graphml", "offset", "DOCTYPE", "refused"]),
    "malformed GraphML": ("<graphml><graph>", None, ".graphml", ["ties.graphml", "not usable GraphML", "Line 1"]),
    "GraphML in another encoding": ('<?xml version="1.0" encoding="UTF-16"?><graphml/>', None, ".graphml",
                                    ["ties.graphml", "'UTF-16'", "UTF-8"]),
    "GraphML not GraphML": ("<html></html>", None, ".graphml", ["ties.graphml", "root element", "<html>", "<graphml>"]),
    "undirected GraphML": (graphml(edgedefault="undirected"), None, ".graphml", ["ties.graphml", "'undirected'", "directed"]),
    "GraphML bad role": (graphml(role="boss"), None, ".graphml", ['<node id="a">', "'boss'", "'unit manager'"]),
    "GraphML node without unit": (graphml(unit=""), None, ".graphml", ['<node id="b">', "unit", "a unit name"]),
    "GraphML edge to an undeclared node": (graphml().replace('target="b"', 'target="ghost"'), None, ".graphml",
                                           ["ties.graphml", "<edge>", "'ghost'", "<node> element"]),
    "bad forum flag": (TIES.replace("source,target,weight", "source,target,weight,forum").replace("e,f,3", "e,f,3,maybe"),
                       NODES, ".csv", ["ties.csv", "line 6", "'maybe'", "true or false"]),
    "GraphML bad weight": (graphml(weight="lots"), None, ".graphml", ['<edge source="a" target="b">', "'lots'", "a number"]),
    "no node table": (TIES, "", ".csv", ["ties.csv", "network.nodes", "node table"]),
    "no executive": ("".join(ln + "\n" for ln in TIES.splitlines() if "ceo" not in ln), NODES.replace("ceo,,,chief executive\n", ""),
                     ".csv", ["ties.csv", "'no executive'", "'executive' or 'chief executive'"]),
    "missing file": (None, NODES, ".csv", ["ties.csv", "file not found"]),
}


# every case through ``spread network`` (quick), a few through ``spread run`` (a results folder)
CASES = [(c, "network") for c in BAD] + [(c, "run") for c in ("unknown node", "GraphML with entities", "not CSV or GraphML")]


@pytest.mark.parametrize("case,command", CASES)
def test_bad_file_is_one_line_exit_2_nothing_written(tmp_path, capsys, case, command):
    ties, nodes, suffix, words = BAD[case]
    t = tmp_path / f"ties{suffix}"
    if ties is not None:
        t.write_bytes(ties if isinstance(ties, bytes) else ties.encode())
    n = ""
    if nodes:
        n = tmp_path / "nodes.csv"
        n.write_text(nodes)
    sc = scenario(tmp_path, t, n)
    out = tmp_path / "out"
    args = ["network", str(sc), "--out", str(out / "x.graphml")] if command == "network" else \
        ["run", str(sc), "--reps", "1", "--weeks", "5", "--workers", "1", "--out", str(out)]
    out.mkdir() if command == "network" else None
    capsys.readouterr()
    assert main(args) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1, err
    for w in words:
        assert w in err[0], (w, err[0])
    assert "allowed" in err[0]
    assert "np.str_" not in err[0] and "np.int" not in err[0], err[0]  # values as written, not numpy reprs
    assert not (out.exists() and any(out.iterdir()))


def test_errors_are_network_file_errors(tmp_path):
    t, n = files(tmp_path, ties=TIES + "a,nobody,1\n")
    with pytest.raises(NetworkFileError):
        read_network(t, n)


# -- the example survey, surveyed mode ------------------------------------------------------------------
def test_survey_example_keeps_every_surveyed_tie_and_places_respondents():
    p = load_scenario("survey-example")
    m = TrustModel(p, rng=4, weeks=10, agents=False)
    imp, org = m.imported, m.org
    d = imp.data
    assert 300 <= d.n <= 400 and len(set(d.directorate.tolist()) - {""}) == 5
    assert imp.person.size == np.unique(imp.person).size  # one post each
    # the ties among respondents are exactly the survey's
    live = m.live.live_at_start
    inside = np.zeros(m.n, bool)
    inside[imp.person] = True
    pick = live & inside[m.net.src] & inside[m.net.dst]
    model_ties = set(zip(m.net.src[pick].tolist(), m.net.dst[pick].tolist()))
    assert model_ties == set(zip(imp.person[d.src].tolist(), imp.person[d.dst].tolist()))
    table = import_comparison(m).set_index("measure")
    assert np.allclose(table["data"], table["model"], rtol=1e-12, atol=0)
    # each respondent sits in their own directorate, with unit colleagues of the generated trust
    staff = d.directorate != ""
    dir_rank = pd.factorize(pd.Series(d.directorate[staff]))[0]
    assert np.array_equal(org.unit_directorate[org.unit_of[imp.person[staff]]], dir_rank)
    same_unit = org.unit_of[m.net.src] == org.unit_of[m.net.dst]
    tied = np.zeros(m.n, bool)
    tied[m.net.src[same_unit & ~inside[m.net.dst]]] = True
    tied[m.net.dst[same_unit & ~inside[m.net.src]]] = True
    assert tied[imp.person[staff]].mean() > 0.95
    managers = d.role == UNIT_MANAGER
    assert (org.role[imp.person[managers]] == UNIT_MANAGER).mean() > 0.95


def test_survey_example_file_is_what_its_script_writes():
    import runpy

    script = Path(__file__).resolve().parent.parent / "scenarios" / "networks" / "make_synthetic_survey.py"
    mod = runpy.run_path(str(script))
    nodes, ties = mod["build"]()
    assert nodes == (script.parent / "synthetic_survey_nodes.csv").read_text()
    assert ties == (script.parent / "synthetic_survey_ties.csv").read_text()


def test_surveyed_subgroup_too_big_for_the_trust_is_one_line(tmp_path):
    t, n = files(tmp_path)
    sc = scenario(tmp_path, t, n, mode="surveyed", extra="")
    with pytest.raises(NetworkFileError, match="directorates"):
        TrustModel(load_scenario(sc, overrides={"organisation.directorates": 1}), rng=1, weeks=5, agents=False)
    crowd = NODES + "".join(f"z{i},ward1,med,frontline\n" for i in range(70))
    t, n = files(tmp_path, nodes=crowd)
    with pytest.raises(NetworkFileError, match="'ward1'.*posts of the generated unit") as err:
        TrustModel(load_scenario(sc), rng=1, weeks=5, agents=False)
    assert "\n" not in str(err.value)


def test_the_visualiser_views_draw_an_imported_network(tmp_path):
    from model.viz import views

    t, n = files(tmp_path)
    m = TrustModel(load_scenario(scenario(tmp_path, t, n)), rng=1, weeks=10, agents=True)
    m.step()
    layout = views.org_layout(m.org)
    assert "<svg" in views.network_edges_svg(m, layout) + views.network_nodes_svg(m, layout)
    assert "<svg" in views.unit_tiles_svg(m)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.lists(st.lists(st.integers(1, 6), min_size=1, max_size=4), min_size=1, max_size=3),
       execs=st.integers(0, 3), density=st.floats(0, 0.5), seed=st.integers(0, 2**31))
def test_surveyed_subgroup_keeps_every_surveyed_tie_property(tmp_path_factory, shape, execs, density, seed):
    rows = [f"x{e},,,{'chief executive' if e == 0 else 'executive'}" for e in range(execs)]
    for k, units in enumerate(shape):
        for u, size in enumerate(units):
            rows += [f"p{k}-{u}-{j},u{k}-{u},d{k},{'unit manager' if j == 0 else 'frontline'}" for j in range(size)]
    ids = [r.split(",")[0] for r in rows]
    rng = np.random.default_rng(seed)
    pick = rng.random((len(ids), len(ids))) < density
    ties = [f"{ids[i]},{ids[j]}" for i, j in zip(*np.nonzero(pick)) if i != j]
    d = tmp_path_factory.mktemp("sv")
    (d / "n.csv").write_text("id,unit,directorate,role\n" + "\n".join(rows) + "\n")
    (d / "t.csv").write_text("source,target\n" + "\n".join(ties) + "\n")
    if not ties:
        return  # an edge list with no rows is refused (tested above)
    p = load_scenario("baseline-teaching", overrides={"network.mode": "surveyed", "network.file": str(d / "t.csv"),
                                                      "network.nodes": str(d / "n.csv")})
    m = TrustModel(p, rng=seed, weeks=5, agents=False)
    imp = m.imported
    table = import_comparison(m).set_index("measure")
    # the same graph with people in another order: equal up to the rounding of sums in another order
    assert np.allclose(table["data"], table["model"], rtol=1e-12, atol=0), table.to_string()
    live = m.live.live_at_start
    inside = np.zeros(m.n, bool)
    inside[imp.person] = True
    sel = live & inside[m.net.src] & inside[m.net.dst]
    assert set(zip(m.net.src[sel].tolist(), m.net.dst[sel].tolist())) == \
        set(zip(imp.person[imp.data.src].tolist(), imp.person[imp.data.dst].tolist()))
    assert m.org.unit_directorate[m.org.unit_of[imp.person[execs:]]].min() >= 0
    assert (m.org.unit_of[imp.person[:execs]] == m.org.board_unit).all()


def test_export_opens_in_igraph_and_an_imported_trust_round_trips_too(tmp_path):
    import igraph as ig

    p = load_scenario("survey-example-teaching")
    a = TrustModel(p, rng=2, weeks=30, agents=False)
    write_graph(a.network_graph(), tmp_path / "s.graphml")
    g = ig.Graph.Read_GraphML(str(tmp_path / "s.graphml"))
    assert (g.vcount(), g.ecount()) == (a.n, a.live.n_live) and g.is_directed()
    assert {"unit", "directorate", "role", "pilot", "practising", "capability", "label"} <= set(g.vs.attributes())
    assert {"reciprocal", "weight"} <= set(g.es.attributes())
    b = TrustModel(whole(p, export(a, tmp_path / "s.csv")), rng=2, weeks=30, agents=False)
    assert_same_trust(a, b)
    pd.testing.assert_frame_equal(a.run().weekly_frame(), b.run().weekly_frame())


def test_pathways_that_do_not_fit_the_imported_directorates_are_one_line(tmp_path):
    t, n = files(tmp_path)
    sc = scenario(tmp_path, t, n)
    with pytest.raises(NetworkFileError, match="organisation.pathways = 2: allowed is at most") as err:
        TrustModel(load_scenario(sc, overrides={"organisation.units_per_pathway": 2, "organisation.pathways": 2}),
                   rng=1, weeks=5, agents=False)
    assert str(n) in str(err.value) and "\n" not in str(err.value)


def test_graphml_ids_and_names_with_markup_characters_read_back_as_written(tmp_path):
    g = nx.DiGraph()
    g.add_node("ceo", unit="", directorate="", role="chief executive")
    g.add_node('A&E "1" <nurse>', unit="A&E", directorate="Urgent & Emergency", role="frontline")
    g.add_edge('A&E "1" <nurse>', "ceo")
    nx.write_graphml(g, tmp_path / "m.graphml")
    d = read_network(tmp_path / "m.graphml")
    assert d.ids.tolist() == ["ceo", 'A&E "1" <nurse>'] and d.unit[1] == "A&E" and d.directorate[1] == "Urgent & Emergency"
    assert (d.src.tolist(), d.dst.tolist()) == ([1], [0])


@pytest.mark.parametrize("command", [["compare", "baseline-teaching", "--what-if", "peer-learning-first", "--reps", "2"],
                                     ["trusts", "--teaching", "--reps", "1"]])
def test_compare_and_trusts_refuse_a_bad_network_file_before_any_work(tmp_path, command):
    """Not only `spread run`: every command that runs a scenario checks its network files first."""
    (tmp_path / "e.csv").write_text("source,target\na,b\nb,zz\n")
    (tmp_path / "n.csv").write_text("id,unit,directorate\na,u1,d1\nb,u1,d1\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "model", *command, "--out", str(out),
                           "--set", 'network.mode="whole"', "--set", f'network.file="{tmp_path / "e.csv"}"',
                           "--set", f'network.nodes="{tmp_path / "n.csv"}"'],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "'zz'" in err[0] and "e.csv" in err[0]
    assert not out.exists()
