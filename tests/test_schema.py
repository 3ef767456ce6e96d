"""Each process owns its parameters (issue 10, item 2): declared beside the process, gathered in one tree.

``model.schema`` holds how a parameter is declared (``Field``, ``F``,
``ParameterError``); every module in ``model.processes.MODULES`` declares its
section(s) as ``PARAMS``; ``model.params`` gathers them, with the trust's
structure and the outputs, into ``FIELDS`` in an order that is observable
(``spread params``, ``Params.to_dict``, sweep manifests' ``param.*``
columns) and so must not move.
"""

from __future__ import annotations

import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import model.params as params
from model import schema
from model.params import FIELDS, SECTIONS, Field, ParameterError, build_fields, declarations, load_scenario
from model.processes import MODULES

from conftest import small_model

#: The tree's keys as they were before the declarations moved into the process modules
#: (main at 205f4d3): a key may be added, but these keep this relative order.
FROZEN_KEYS = """
trust.name trust.label run.weeks organisation.staff organisation.unit_size_mean
organisation.unit_size_min organisation.unit_size_max organisation.directorates
organisation.executive_team organisation.pathways organisation.units_per_pathway
network.ties_per_person network.cross_unit_ties network.reciprocity network.same_directorate_share
network.cross_unit_mode network.bridge_width network.one_directional_weight
network.manager_reciprocity network.mode network.file network.nodes leadership.commitment leadership.integration leadership.ceo_changes
leadership.ceo_hazard_annual leadership.successor_commitment leadership.successor_commitment_sd
leadership.transition_weeks leadership.not_sighted_factor leadership.pressure managers.alignment
managers.base_support managers.involvement managers.pilot_involvement managers.recognition_weight
managers.adjust_weeks managers.initial_support managers.partnership_support managers.turnover_reset
rpiw.start_week rpiw.stagger_weeks rpiw.interval_weeks rpiw.count rpiw.trainees
rpiw.trained_capability rpiw.waste_cut rpiw.focus rpiw.focus_final rpiw.focus_ramp_weeks
rollout.unit_share_annual rollout.cohort_size rollout.start_week exchange.rule exchange.hybrid_mix
exchange.threshold exchange.threshold_sd exchange.adoption_rate exchange.transmission
exchange.learning_rate exchange.practice_learning exchange.forgetting exchange.initial_capability
exchange.initial_practising sustain.abandon_max sustain.abandon_min sustain.reinforcement_weight
sustain.support_weight sustain.recognition_weight turnover.staff_annual turnover.manager_annual
turnover.newcomer_capability turnover.reform_weeks forums.ties_per_person_annual forums.cohort_size
forums.start_week performance.max_waste_share performance.practice_effect performance.gain_decay
performance.unit_noise performance.shock_sd performance.shock_persistence measurement.scope
measurement.pathway_scopes measurement.baseline_weeks measurement.run_length
measurement.sd_multiplier measurement.recognition_decay measurement.spillover outputs.reach_level
outputs.local_max_reach outputs.trustwide_min_reach outputs.no_gain_cut outputs.survey_week
outputs.survey_respondents outputs.survey_min_names outputs.survey_max_names
""".split()

FROZEN_SECTIONS = ("trust", "run", "organisation", "network", "leadership", "managers", "rpiw", "rollout",
                   "exchange", "sustain", "turnover", "forums", "performance", "measurement", "outputs")

#: Which module owns which sections: the rule a newcomer guesses (a process's sections
#: live in its module; the structure and the outputs in model/params.py).
OWNERS = {
    "model.params": ("trust", "run", "organisation", "network", "outputs"),
    "model.processes.leadership": ("leadership",),
    "model.processes.support": ("managers",),
    "model.processes.rpiw": ("rpiw",),
    "model.processes.rollout": ("rollout",),
    "model.processes.exchange": ("exchange",),
    "model.processes.sustain": ("sustain",),
    "model.processes.turnover": ("turnover", "forums"),
    "model.processes.performance": ("performance", "measurement"),
}


def in_relative_order(keys: list[str], frozen: list[str]) -> bool:
    """``frozen`` is a subsequence of ``keys``: every frozen key present, none moved."""
    pos = [keys.index(k) for k in frozen if k in keys]
    return len(pos) == len(frozen) and pos == sorted(pos)


def toy_module(name: str = "model.processes.huddles", **fields: Field) -> types.ModuleType:
    """A new mechanism's module, as a newcomer would write it: only PARAMS matters here."""
    mod = types.ModuleType(name)
    mod.PARAMS = fields or {
        "huddles.chance": schema.F(0.01, "float", "per week", "chance a practitioner recruits a colleague", 0, 1,
                                   basis="assumption"),
        "huddles.size": schema.F(3, "int", "people", "colleagues at one huddle", 1, 30, basis="assumption"),
    }
    return mod


# --- the schema primitives -----------------------------------------------------

def test_schema_primitives_are_re_exported_by_params():
    assert params.Field is schema.Field and params.F is schema.Field
    assert params.ParameterError is schema.ParameterError
    from model import ParameterError as top
    assert top is schema.ParameterError


# --- every process declares its own ---------------------------------------------

@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.__name__)
def test_every_process_module_declares_params(mod):
    assert isinstance(getattr(mod, "PARAMS", None), dict), f"{mod.__name__}: no PARAMS"
    assert mod.PARAMS, f"{mod.__name__}: PARAMS is empty"
    assert all(isinstance(f, Field) for f in mod.PARAMS.values())
    assert {k.split(".")[0] for k in mod.PARAMS} == set(OWNERS[mod.__name__])


def test_every_key_belongs_to_exactly_one_declaring_module():
    owners: dict[str, list[str]] = {}
    for owner, table in declarations():
        for key in table:
            owners.setdefault(key, []).append(owner)
    assert set(owners) == set(FIELDS)
    assert {k: v for k, v in owners.items() if len(v) != 1} == {}
    # and the owner is the one the section names (OWNERS)
    by_section = {sec: owner for owner, secs in OWNERS.items() for sec in secs}
    assert {k: v[0] for k, v in owners.items()} == {k: by_section[k.split(".")[0]] for k in owners}


def test_every_declared_field_is_in_the_tree_and_identical():
    for owner, table in declarations():
        for key, field in table.items():
            assert FIELDS[key] is field, (owner, key)


# --- the order is observable: it does not move -----------------------------------

def test_fields_order_is_unchanged():
    assert list(FIELDS) == FROZEN_KEYS
    assert SECTIONS == FROZEN_SECTIONS
    assert list(params.defaults().to_dict()) == list(FROZEN_SECTIONS)


def test_the_order_test_fails_when_the_registry_is_out_of_order():
    # the broken variant: the same modules gathered in another order
    shuffled = build_fields(declarations(tuple(reversed(MODULES))))
    assert set(shuffled) == set(FIELDS)
    assert not in_relative_order(list(shuffled), FROZEN_KEYS)


def test_the_registry_is_the_schedule_order():
    """Two lists (model.processes.MODULES and TrustModel.schedule): they must agree."""
    model = small_model(weeks=1)
    assert [type(p).__module__ for p in model.schedule] == [m.__name__ for m in MODULES]


# --- a new mechanism joins without an edit in params.py ------------------------

def test_a_new_process_module_is_gathered():
    toy = toy_module()
    fields = build_fields(declarations((*MODULES, toy)))
    keys = list(fields)
    assert in_relative_order(keys, FROZEN_KEYS)
    # after every process's sections, before the outputs
    at = keys.index("outputs.reach_level")
    assert keys[at - 2:at] == ["huddles.chance", "huddles.size"]
    assert keys[:at - 2] + keys[at:] == list(FIELDS)
    assert fields["huddles.chance"] is toy.PARAMS["huddles.chance"]


def test_a_new_process_module_is_validated_and_loaded(tmp_path, monkeypatch):
    """With the toy module in the registry, a scenario may set its section, and a bad value is one line."""
    fields = build_fields(declarations((*MODULES, toy_module())))
    monkeypatch.setattr(params, "FIELDS", fields)
    monkeypatch.setattr(params, "SECTIONS", tuple(dict.fromkeys(k.split(".")[0] for k in fields)))
    good = tmp_path / "huddles.toml"
    good.write_text('extends = "baseline-teaching"\n[huddles]\nchance = 0.05\n')
    p = load_scenario(good)
    assert p.huddles.chance == 0.05 and p.huddles.size == 3
    assert p.leadership.commitment == FIELDS["leadership.commitment"].default
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "baseline-teaching"\n[huddles]\nchance = 2.5\n')
    with pytest.raises(ParameterError) as info:
        load_scenario(bad)
    assert str(info.value) == f"{bad}: huddles.chance = 2.5: allowed is a number from 0 to 1"


def test_a_section_has_one_owner():
    # a second module declaring a key of a section another module owns
    intruder = toy_module("model.processes.intruder",
                          **{"leadership.extra": schema.F(0.0, "float", "", "a stray key", 0, 1)})
    with pytest.raises(ValueError, match="section 'leadership' is declared by model.processes.leadership"):
        build_fields(declarations((*MODULES, intruder)))


def test_a_key_declared_twice_is_an_error():
    table = {"huddles.chance": schema.F(0.0, "float", "", "x", 0, 1)}
    with pytest.raises(ValueError, match="declared twice"):
        build_fields([("m", table), ("m", table)])


@pytest.mark.parametrize("key, value", [("nodot", schema.F(0, "int", "", "x", 0, 1)),
                                        (".key", schema.F(0, "int", "", "x", 0, 1)),
                                        ("sec.key", 0.5)])
def test_a_malformed_declaration_is_an_error(key, value):
    with pytest.raises(ValueError, match="allowed is"):
        build_fields([("model.processes.toy", {key: value})])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(FROZEN_SECTIONS), min_size=1, max_size=len(FROZEN_SECTIONS), unique=True),
       st.data())
def test_gathering_keeps_each_owner_s_order(sections, data):
    """Any split of whole sections among owners gathers to the owners' order, key order kept inside each."""
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(sections) - 1)), max_size=4)))
    groups = [sections[a:b] for a, b in zip([0, *cuts], [*cuts, len(sections)]) if sections[a:b]]
    owned = [(f"owner{i}", {k: f for sec in g for k, f in FIELDS.items() if k.split(".")[0] == sec})
             for i, g in enumerate(groups)]
    got = build_fields(owned)
    assert list(got) == [k for sec in sections for k in FIELDS if k.split(".")[0] == sec]
