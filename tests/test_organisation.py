"""Organisation: units in directorates, roles, pilot pathways."""

from __future__ import annotations

import numpy as np
import pytest

from model.organisation import (
    CHIEF_EXECUTIVE, DIRECTORATE_MANAGER, EXECUTIVE, FRONTLINE, UNIT_MANAGER, build_organisation,
)
from model.params import load_scenario


def org_for(name="baseline", seed=0, **over):
    p = load_scenario(name, overrides={f"organisation.{k}": v for k, v in over.items()})
    return build_organisation(p, np.random.default_rng(seed)), p


@pytest.mark.parametrize("name", ["baseline", "baseline-teaching", "sash", "uhcw", "sath-teaching"])
def test_headcount_units_and_sizes(name):
    org, p = org_for(name)
    o = p.organisation
    assert org.n_staff == o.staff == org.unit_of.size == org.role.size
    assert org.unit_size.sum() == o.staff
    clin = org.unit_size[:-1]
    # unit sizes within bounds, mean close to the requested mean
    assert clin.min() >= o.unit_size_min and clin.max() <= o.unit_size_max
    assert abs(clin.mean() - o.unit_size_mean) / o.unit_size_mean < 0.05
    # the board is the last unit and holds the executive team
    assert org.unit_size[org.board_unit] == o.executive_team
    assert org.board_unit == org.n_units - 1
    # units are contiguous id blocks
    assert np.array_equal(org.unit_of, np.repeat(np.arange(org.n_units), org.unit_size))
    assert np.array_equal(org.unit_start, np.concatenate([[0], np.cumsum(org.unit_size)[:-1]]))


def test_directorates_are_contiguous_blocks_of_near_equal_count():
    org, p = org_for("baseline")
    assert org.n_directorates == p.organisation.directorates
    assert org.unit_directorate[org.board_unit] == -1
    counts = [u.size for u in org.directorate_units]
    assert max(counts) - min(counts) <= 1
    allu = np.concatenate(org.directorate_units)
    assert np.array_equal(allu, org.clinical_units)
    for k, units in enumerate(org.directorate_units):
        assert np.all(np.diff(units) == 1)
        assert np.all(org.unit_directorate[units] == k)


def test_roles():
    org, p = org_for("baseline")
    role = org.role
    assert (role == CHIEF_EXECUTIVE).sum() == 1
    assert role[org.chief_executive] == CHIEF_EXECUTIVE
    board = org.unit_of == org.board_unit
    assert np.all(np.isin(role[board], [EXECUTIVE, CHIEF_EXECUTIVE]))
    assert board.sum() == p.organisation.executive_team
    # every clinical unit has a manager at its first post; the board's is the chief executive
    assert np.array_equal(org.unit_manager[:-1], org.unit_start[:-1])
    assert org.unit_manager[org.board_unit] == org.chief_executive
    assert np.all(np.isin(role[org.unit_manager[:-1]], [UNIT_MANAGER]))
    # one directorate manager per directorate, sitting in its first unit
    assert (role == DIRECTORATE_MANAGER).sum() == org.n_directorates
    for k, dm in enumerate(org.directorate_manager):
        assert role[dm] == DIRECTORATE_MANAGER
        assert org.unit_of[dm] == org.directorate_units[k][0]
    assert (role == UNIT_MANAGER).sum() == org.n_units - 1
    assert ((role == FRONTLINE).sum() == org.n_staff - p.organisation.executive_team
            - (org.n_units - 1) - org.n_directorates)
    assert org.is_manager.sum() == (org.n_units - 1) + org.n_directorates


@pytest.mark.parametrize("name", ["baseline", "baseline-teaching", "uhcw", "leeds"])
def test_pathways(name):
    org, p = org_for(name)
    o = p.organisation
    assert len(org.pathway_units) == o.pathways
    seen = np.concatenate(org.pathway_units)
    assert np.unique(seen).size == seen.size == o.pathways * o.units_per_pathway  # disjoint
    assert org.board_unit not in seen
    for k, units in enumerate(org.pathway_units):
        assert units.size == o.units_per_pathway
        assert np.unique(org.unit_directorate[units]).size == 1  # one directorate
        assert np.all(np.diff(units) == 1)  # adjacent units
        assert np.all(org.unit_pathway[units] == k)
    assert org.unit_pilot.sum() == seen.size
    assert org.staff_pilot.sum() == org.unit_size[seen].sum()
    # value streams go round the directorates: the first min(P, D) are in different ones
    first = [org.unit_directorate[u[0]] for u in org.pathway_units[: min(o.pathways, org.n_directorates)]]
    assert len(set(first)) == len(first)


def test_pilots_are_a_small_share_of_a_large_trust():
    small, _ = org_for("sash")
    large, _ = org_for("leeds")
    assert large.staff_pilot.mean() < small.staff_pilot.mean()
    assert large.staff_pilot.mean() < 0.05


def test_same_seed_same_organisation_and_different_seed_different_sizes():
    a, _ = org_for("baseline", seed=3)
    b, _ = org_for("baseline", seed=3)
    c, _ = org_for("baseline", seed=4)
    assert np.array_equal(a.unit_size, b.unit_size)
    assert not np.array_equal(a.unit_size, c.unit_size)


@pytest.mark.parametrize("staff,mean,lo,hi", [(40, 10, 3, 60), (47, 15, 10, 20), (3001, 60, 60, 60), (999, 10, 10, 10)])
def test_extreme_but_valid_sizes(staff, mean, lo, hi):
    p = load_scenario("baseline", overrides={"organisation.staff": staff, "organisation.unit_size_mean": mean,
                                             "organisation.unit_size_min": lo, "organisation.unit_size_max": hi,
                                             "organisation.directorates": 1, "organisation.pathways": 1,
                                             "organisation.units_per_pathway": 1, "organisation.executive_team": 2})
    org = build_organisation(p, np.random.default_rng(0))
    assert org.unit_size.sum() == staff
    assert org.unit_size[:-1].min() >= 1
