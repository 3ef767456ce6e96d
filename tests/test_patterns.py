"""The patterns P1-P7 of MODEL.md as statistical tests over replications.

Every comparison uses REPS >= 20 replications per arm. Arms of one
comparison share their replicate seeds (``run_replicates`` gives replicate i
the same seed in every arm: common random numbers), so a within-scenario
comparison is a PAIRED difference; we test it one-sided at 95% (t-interval
of the mean paired difference). Comparisons across scenarios (P2: different
trusts, different organisations) are unpaired: Welch's one-sided 95% bound
on the difference of means. Where a pattern does not hold, the test is an
xfail(strict=True) carrying the measured numbers, never a weaker assertion.

Margins. A dependency bump or any change of random streams redraws these
statistics, so a bound that sits just past its bar can flip with nothing
wrong. Each bound compared with a bar records how many standard errors past
the bar it sits (z; tests/conftest.py), and every run ends with a table of
the smallest. The bar for the suite: every bound at z >= 3 at the locked
set (a flip chance under 0.2% per redraw); measured, the smallest is 3.07
(P5, directorate scope, 104 weeks). Where 20 replicates gave less, the test
says so and uses more (P3b, P4's CEO steps, P5). A share of 20 runs out of
20 against a 90% bar reads z = 1.38 whatever the runs are (its Wilson bound,
0.84, is the most 20 runs can say); those shares (P1's 'no gain', P2's and
P6's regimes) rest on reach, whose means sit far from the regime thresholds
(BHR and SaTH 0.0% [0.0, 0.1] at real size, against a 'local' bound of 10%). The broken variants
must fail by a wide margin or exactly (an arm made identical to its baseline
differs by 0); the summary leaves them out.
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from model.params import load_scenario
from model.runner import run_replicates

from conftest import WORKERS, Bound, Share, mean_ci, one_sided_lower, one_sided_upper

pytestmark = pytest.mark.slow

REPS = 20
SEED = 2026
TRUSTS = ("sash", "leeds", "uhcw", "bhr", "sath")
#: a small seed: one pilot pathway of one unit (P3 needs a pilot unit, not scattered adopters), and no
#: peer-learning forums: forum ties are extra random cross-unit ties that add to the exposure without
#: entering its denominator (ODD 7.4), so with them on both structures saturate and the structure compared
#: is no longer the only difference (P3 compares structures at equal directed ties per person)
SMALL_SEED = (("organisation.pathways", 1), ("organisation.units_per_pathway", 1),
              ("forums.ties_per_person_annual", 0.0))


@lru_cache(maxsize=None)
def _runs(name: str, overrides_json: str, reps: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    params = load_scenario(name, overrides=json.loads(overrides_json))
    res = run_replicates(params, reps, seed=seed, workers=WORKERS)
    summ = pd.DataFrame([r.summary for r in res])
    net = pd.DataFrame([r.network_start for r in res])
    return summ, net


def _key(overrides: dict) -> str:
    return json.dumps({k.replace("__", "."): v for k, v in overrides.items()}, sort_keys=True)


def runs(name: str, reps: int = REPS, seed: int = SEED, **overrides) -> pd.DataFrame:
    """Per-run summaries of ``reps`` replicates (cached: arms shared between tests run once)."""
    return _runs(name, _key(overrides), reps, seed)[0]


def network(name: str, reps: int = REPS, **overrides) -> pd.DataFrame:
    """Network statistics at week 0 of the same runs."""
    return _runs(name, _key(overrides), reps)[1]


def welch_lower(a, b, level=0.95) -> Bound:
    """One-sided lower (level) bound of mean(a) - mean(b), Welch's t (unpaired); it records its margin."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    d = a.mean() - b.mean()
    se = np.sqrt(va + vb)
    if se == 0:
        return Bound(d, 0.0, "Welch bound")
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return Bound(float(d - stats.t.ppf(level, dof) * se), float(se), "Welch bound")


def paired(a: pd.DataFrame, b: pd.DataFrame, col: str) -> np.ndarray:
    """Per-replicate differences b - a (same seeds)."""
    return b[col].to_numpy(float) - a[col].to_numpy(float)


def fmt(x) -> str:
    m, lo, hi = mean_ci(x)
    return f"{m:.3f} [{lo:.3f}, {hi:.3f}]"


# --- P1: local gains everywhere -----------------------------------------------------------------


@pytest.mark.parametrize("trust", TRUSTS)
def test_p1_local_gains_in_every_trust_teaching_size(trust):
    """Pilot lead time falls by tens of percent during the programme (best week), and is still down at the end.

    Tolerance: the one-sided 95% upper bound of the mean best change must be below -20% (tens of
    percent, not a few), and of the mean final change below -10% (the 'no gain' cut).
    """
    s = runs(f"{trust}-teaching")
    assert one_sided_upper(s["lead_time_change_pilot_best"]) < -0.20, fmt(s["lead_time_change_pilot_best"])
    assert one_sided_upper(s["lead_time_change_pilot_final"]) < -0.10, fmt(s["lead_time_change_pilot_final"])
    assert Share(s["regime"] != "no gain") >= 0.9


# --- P2: spread only where the enablers hold (teaching and real headcounts) ------------------


def _p2(suffix: str):
    return {t: runs(f"{t}{suffix}") for t in TRUSTS}


def test_p2_sash_spreads_furthest_teaching_size():
    """SASH has the highest adoption outside the pilots (Welch one-sided 95% lower bound of the difference > 0
    against every other trust) and reach at least as high as any (reach saturates at 1 at this size, so the
    strict ordering is tested on adoption outside the pilots)."""
    s = _p2("-teaching")
    for t in TRUSTS[1:]:
        assert welch_lower(s["sash"]["adoption_rest_final"], s[t]["adoption_rest_final"]) > 0, \
            (t, fmt(s["sash"]["adoption_rest_final"]), fmt(s[t]["adoption_rest_final"]))
        assert s["sash"]["reach_final"].mean() >= s[t]["reach_final"].mean()


def test_p2_lowest_rated_stay_local_teaching_size():
    """BHR and SaTH: lowest reach of the five and gains that stay local (>= 90% of runs 'local' or 'no gain';
    mean reach's 95% upper bound below the 'local' threshold)."""
    s = _p2("-teaching")
    local = load_scenario("sash").outputs.local_max_reach
    for low in ("bhr", "sath"):
        assert one_sided_upper(s[low]["reach_final"]) < local, fmt(s[low]["reach_final"])
        assert Share(s[low]["regime"].isin(["local", "no gain"])) >= 0.9
        for other in ("sash", "leeds", "uhcw"):
            assert s[low]["reach_final"].mean() <= s[other]["reach_final"].mean(), (low, other)
            assert s[low]["adoption_rest_final"].mean() <= s[other]["adoption_rest_final"].mean(), (low, other)


# --- pattern checks at real headcounts (issue 11), shared by the tests and the broken variants -------
#
# Each check runs its arms with ``variant`` (flat "section.key" overrides) applied LAST, so a broken
# variant wins over what an arm sets (a variant with no turnover has none in P7's high-turnover arm
# too). Each returns a list of failures; [] means the pattern holds.

ROOT_SEEDS = (SEED, 7)  # P2 is checked for two root seeds
LOCAL, NONLOCAL = ("local", "no gain"), ("partial", "trust-wide")


def vruns(name: str, variant: dict | None = None, seed: int = SEED, **arm) -> pd.DataFrame:
    merged = {k.replace("__", "."): v for k, v in arm.items()}
    merged.update(variant or {})
    return runs(name, REPS, seed, **merged)


def check_p1(variant=None, seed=SEED) -> list[str]:
    """Every trust: best pilot lead-time cut is tens of percent (upper bound of the mean best change < -20%)
    and the change at week 260 keeps at least three quarters of it (lower bound of the mean of final/best
    per run >= 0.75)."""
    for t in TRUSTS:
        s = vruns(t, variant, seed)
        best, final = s["lead_time_change_pilot_best"], s["lead_time_change_pilot_final"]
        if not one_sided_upper(best) < -0.20:
            return [f"P1 {t}: best cut {fmt(best)} not tens of percent"]
        keep = final / best
        if not one_sided_lower(keep) >= 0.75:
            return [f"P1 {t}: week-260 change keeps {fmt(keep)} of the best cut (< 3/4)"]
    return []


def check_p2(variant=None, seed=SEED) -> list[str]:
    """Three tiers on adoption outside the pilots and on reach: SASH > Leeds, UHCW > BHR, SaTH, each Welch
    one-sided 95% lower bound of the difference > 0; Leeds and UHCW beyond 'local' in >= half the runs;
    BHR and SaTH 'local' in >= 90%."""
    s = {t: vruns(t, variant, seed) for t in TRUSTS}
    out = []
    for col in ("adoption_rest_final", "reach_final"):
        for hi, lo in (("sash", "leeds"), ("sash", "uhcw"), ("leeds", "bhr"), ("leeds", "sath"),
                       ("uhcw", "bhr"), ("uhcw", "sath")):
            w = welch_lower(s[hi][col], s[lo][col])
            if not w > 0:
                out.append(f"P2 {col}: {hi} {fmt(s[hi][col])} vs {lo} {fmt(s[lo][col])}, lower bound {w:.4f}")
    for mid in ("leeds", "uhcw"):
        share = Share(s[mid]["regime"].isin(NONLOCAL))
        if not share >= 0.5:
            out.append(f"P2 {mid}: beyond local in {share:.0%} of runs (< 50%)")
    for low in ("bhr", "sath"):
        share = Share(s[low]["regime"].isin(LOCAL))
        if not share >= 0.9:
            out.append(f"P2 {low}: local in {share:.0%} of runs (< 90%)")
    return out


P4_REAL = "uhcw"  # real size, spreads beyond its pilots but not to saturation


def check_p4(variant=None, seed=SEED) -> list[str]:
    """UHCW at 10,000 staff: three scheduled chief-executive changes lower adoption outside the pilots
    (paired one-sided 95% upper bound of the difference < 0)."""
    d = paired(vruns(P4_REAL, variant, seed), vruns(P4_REAL, variant, seed, leadership__ceo_changes=[60, 130, 200]),
               "adoption_rest_final")
    return [] if one_sided_upper(d) < 0 else [f"P4 {P4_REAL}: 3 CEO changes change adoption outside pilots by {fmt(d)}"]


def check_p6(variant=None, seed=SEED) -> list[str]:
    """SASH at 3,500 staff, full commitment, alignment 0.2 and no involvement: local (reach's upper bound below
    the 'local' threshold, >= 90% of runs local) where the same trust spreads."""
    gated = vruns("sash", variant, seed, leadership__commitment=1.0, managers__alignment=0.2, managers__involvement=0.0)
    open_ = vruns("sash", variant, seed, leadership__commitment=1.0)
    local = load_scenario("sash").outputs.local_max_reach
    out = []
    if not one_sided_upper(gated["reach_final"]) < local or not Share(gated["regime"].isin(LOCAL)) >= 0.9:
        out.append(f"P6 sash gated: reach {fmt(gated['reach_final'])}")
    if not one_sided_upper(paired(open_, gated, "adoption_rest_final")) < 0:
        out.append("P6 sash: gating managers does not lower adoption outside the pilots")
    return out


def check_p7(variant=None, seed=SEED) -> list[str]:
    """UHCW at 10,000 staff: staff turnover 25% vs 5% a year lowers sustained adoption, trust-wide and in the
    pilots (paired one-sided 95% upper bounds < 0)."""
    low = vruns(P4_REAL, variant, seed, turnover__staff_annual=0.05)
    high = vruns(P4_REAL, variant, seed, turnover__staff_annual=0.25)
    out = []
    for col in ("adoption_trust_final", "adoption_pilot_final"):
        d = paired(low, high, col)
        if not one_sided_upper(d) < 0:
            out.append(f"P7 {P4_REAL} {col}: {fmt(d)}")
    return out


def check_forums(variant=None, seed=SEED) -> list[str]:
    """Leeds at 20,000 staff: more peer-learning forums (0.5 -> 2 ties per person a year) raise adoption outside
    the pilots (paired lower bound > 0) and never lower pilot adoption (paired lower bound > -0.01)."""
    few = vruns("leeds", variant, seed)
    many = vruns("leeds", variant, seed, forums__ties_per_person_annual=2.0)
    out = []
    d = paired(few, many, "adoption_rest_final")
    if not one_sided_lower(d) > 0:
        out.append(f"forums leeds: adoption outside pilots {fmt(d)}")
    dp = paired(few, many, "adoption_pilot_final")
    if not one_sided_lower(dp) > -0.01:
        out.append(f"forums leeds: pilot adoption {fmt(dp)}")
    return out


@pytest.mark.parametrize("seed", ROOT_SEEDS)
def test_p2_three_tiers_at_real_headcounts(seed):
    """P2 at the five trusts' real headcounts (3,500 to 20,000 staff), 20 replications each, two root seeds."""
    assert check_p2(seed=seed) == []


def test_p1_sustained_local_gains_at_real_headcounts():
    """P1, sharpened: every trust's best pilot cut is tens of percent and week 260 keeps >= 3/4 of it."""
    assert check_p1() == []


def test_size_does_not_decide_the_regime():
    """The same culture at the other end of the size range (issue 11, criterion 3): SASH's values at 20,000
    staff (11 directorates, as Leeds) are 'partial' or 'trust-wide' in most runs; BHR's at 3,500 (5
    directorates, as SASH) stay 'local' in most runs."""
    big = runs("sash", **{"organisation.staff": 20000, "organisation.directorates": 11})
    small = runs("bhr", **{"organisation.staff": 3500, "organisation.directorates": 5})
    assert Share(big["regime"].isin(NONLOCAL)) > 0.5, big["regime"].value_counts().to_dict()
    assert Share(small["regime"].isin(LOCAL)) > 0.5, small["regime"].value_counts().to_dict()


def test_p4_ceo_changes_at_real_size():
    assert check_p4() == []


def test_p6_managers_gate_at_real_size():
    assert check_p6() == []


def test_p7_turnover_erodes_at_real_size():
    assert check_p7() == []


def test_more_forums_never_lower_adoption():
    assert check_forums() == []


def _whatif_runs(trust: str, whatif: str) -> pd.DataFrame:
    from model.whatif.files import load_whatif

    params = load_whatif(whatif).apply(load_scenario(trust))
    changed = {k: v for k, v in params.flat().items() if v != load_scenario(trust).get(k)}
    return runs(trust, **changed)


@pytest.mark.parametrize("trust,whatif", [("leeds", "peer-learning-first"), ("uhcw", "peer-learning-first")]
                         + [(t, "all-recommendations") for t in TRUSTS])
def test_recommendations_raise_adoption_outside_pilots(trust, whatif):
    """Issue 11, criterion 4 (the two strict parts): peer-learning-first in Leeds and UHCW, all the
    recommendations together in every trust, raise adoption outside the pilots (paired one-sided 95% lower
    bound > 0; the what-if arm shares the baseline's replicate seeds). The full grid of what-ifs x trusts is
    in docs/ODD.md section 9."""
    d = paired(runs(trust), _whatif_runs(trust, whatif), "adoption_rest_final")
    assert one_sided_lower(d) > 0, fmt(d)


#: Deliberately broken variants (applied last, over every arm) and the checks each must fail at least one of.
BROKEN = {
    "no peer exchange beyond trainees": ({"exchange.adoption_rate": 0.0}, (check_p2,)),
    "no leadership effect": ({"leadership.commitment": 1.0, "leadership.integration": 1.0, "leadership.ceo_changes": [],
                              "leadership.pressure": [], "leadership.ceo_hazard_annual": 0.0}, (check_p4, check_p2)),
    "forums off": ({"forums.ties_per_person_annual": 0.0}, (check_forums, check_p2)),
    "no turnover": ({"turnover.staff_annual": 0.0, "turnover.manager_annual": 0.0}, (check_p7,)),
    "nobody trained": ({"rpiw.trainees": 0, "rollout.cohort_size": 0}, (check_p1,)),
}


@pytest.mark.parametrize("variant", list(BROKEN))
def test_broken_variants_fail_a_pattern(variant):
    """The pattern checks can fail: each broken model fails at least one of the checks it should fail
    (checked in order, stopping at the first failure)."""
    overrides, checks = BROKEN[variant]
    for check in checks:
        failures = check(overrides)
        if failures:
            print(variant, "->", failures[:2])
            return
    pytest.fail(f"{variant}: passes {', '.join(c.__name__ for c in checks)}")


# --- P3: structure, not just volume ---------------------------------------------------------------


P3_BASE = "sash-teaching"  # a culture where complex contagion can spread, so structure shows


def _small(base=P3_BASE, reps=REPS, **over):
    return runs(base, reps, **dict(SMALL_SEED), **over)


def test_p3a_reciprocal_ties_spread_further_at_equal_arcs_and_clustering():
    """Reciprocity 0.8 vs 0.2, same arcs per person and clustering, a one-unit pilot seed: adoption outside
    the pilot is higher (paired one-sided 95% lower bound of the difference > 0)."""
    lo, hi = _small(network__reciprocity=0.2), _small(network__reciprocity=0.8)
    nlo = network(P3_BASE, **dict(SMALL_SEED), network__reciprocity=0.2)
    nhi = network(P3_BASE, **dict(SMALL_SEED), network__reciprocity=0.8)
    assert abs(nhi["arcs"].mean() / nlo["arcs"].mean() - 1) < 0.02  # equal volume
    assert abs(nhi["clustering_mean"].mean() - nlo["clustering_mean"].mean()) < 0.02  # equal clustering
    assert nhi["reciprocity_arcs"].mean() > nlo["reciprocity_arcs"].mean() + 0.3
    d = paired(lo, hi, "adoption_rest_final")
    assert one_sided_lower(d) > 0, fmt(d)


def test_p3b_wide_bridges_spread_complex_contagion_at_least_as_far():
    """Clustered ('wide bridges') vs random cross-unit ties at equal arcs and reciprocity, complex rule, one-unit
    seed: clustered spreads at least as far - tested strictly (paired one-sided 95% lower bound > 0).

    Margin: 100 replicates (z = 1.95 at 20 and 1.70 at 40: a redraw would flip it with a chance of 3-4%)."""
    rnd = _small(reps=P3B_REPS, network__cross_unit_mode="random")
    clu = _small(reps=P3B_REPS, network__cross_unit_mode="clustered")
    nr = network(P3_BASE, **dict(SMALL_SEED), network__cross_unit_mode="random")
    nc = network(P3_BASE, **dict(SMALL_SEED), network__cross_unit_mode="clustered")
    assert abs(nc["arcs"].mean() / nr["arcs"].mean() - 1) < 0.02
    assert abs(nc["reciprocity_arcs"].mean() - nr["reciprocity_arcs"].mean()) < 0.03
    d = paired(rnd, clu, "adoption_rest_final")
    assert one_sided_lower(d) > 0, fmt(d)


SIMPLE = {"exchange__rule": "simple", "network__one_directional_weight": 1.0}
P3B_REPS = 100  # wide bridges' gain under the complex rule is small against its run-to-run spread
P3B_REVERSE_REPS = 100  # at transmission 0.2 the complex rule's gain from wide bridges is smaller still


def test_p3b_reverses_under_simple_contagion_that_spreads():
    """The same comparison where simple contagion does spread (transmission 0.2 per contact-week; the
    complex arms do not use it): random ties win under the simple rule while wide bridges still win under
    the complex rule, same base, same seeds.

    Margin: 100 replicates. At 20 the complex rule's lower bound sat 0.66 standard errors above 0 (a redraw,
    such as a dependency bump, would flip it with a chance of about 25%); the simple rule's sat 3.1 below."""
    t = {"exchange__transmission": 0.2}
    n = P3B_REVERSE_REPS
    rnd = _small("baseline-teaching", n, network__cross_unit_mode="random", **SIMPLE, **t)
    clu = _small("baseline-teaching", n, network__cross_unit_mode="clustered", **SIMPLE, **t)
    d = paired(rnd, clu, "adoption_rest_final")
    assert rnd["adoption_rest_final"].mean() > 0.25  # it spreads
    assert one_sided_upper(d) < 0, fmt(d)
    c_rnd = _small("baseline-teaching", n, network__cross_unit_mode="random", **t)
    c_clu = _small("baseline-teaching", n, network__cross_unit_mode="clustered", **t)
    assert one_sided_lower(paired(c_rnd, c_clu, "adoption_rest_final")) > 0


# --- P4: leadership churn stalls spread ---------------------------------------------------------


P4_BASE = "uhcw-teaching"  # spreads well but not to saturation, so a loss can show
P4_REPS = 40


def test_p4_more_ceo_changes_lower_reach():
    """0 vs 1 vs 3 scheduled chief-executive changes: adoption outside the pilots falls with each step
    (paired one-sided 95% bounds).

    Margin: 40 replicates (the first step's bound sat 2.2 standard errors below 0 at 20)."""
    none = runs(P4_BASE, P4_REPS)
    one = runs(P4_BASE, P4_REPS, leadership__ceo_changes=[100])
    three = runs(P4_BASE, P4_REPS, leadership__ceo_changes=[60, 130, 200])
    d1 = paired(none, one, "adoption_rest_final")
    d3 = paired(one, three, "adoption_rest_final")
    assert one_sided_upper(d1) < 0, fmt(d1)
    assert one_sided_upper(d3) < 0, fmt(d3)
    assert three["reach_final"].mean() < none["reach_final"].mean()


def test_p4_unintegrated_competing_priority_lowers_reach_integrated_less():
    """A turnaround from week 40 (level 0.8): with integration 0.1 adoption outside the pilots falls (paired
    upper bound < 0); with integration 0.9 it falls less (paired lower bound of the difference > 0)."""
    base = runs(P4_BASE)
    window = [{"start": 40, "end": 260, "level": 0.8}]
    apart = runs(P4_BASE, leadership__pressure=window, leadership__integration=0.1)
    together = runs(P4_BASE, leadership__pressure=window, leadership__integration=0.9)
    d = paired(base, apart, "adoption_rest_final")
    assert one_sided_upper(d) < 0, fmt(d)
    shield = paired(apart, together, "adoption_rest_final")
    assert one_sided_lower(shield) > 0, fmt(shield)


# --- P5: measurement scope ------------------------------------------------------------------------


P5_REPS = 240  # detection is a 0/1 outcome per pathway: 20 cannot resolve 100% vs ~92%; at 60 and 120 the
#               directorate-over-104-weeks bound sat only 1.7 and 1.6 standard errors below 0
P5_REAL_REPS = 40  # UHCW's theatre pathway at real size: at 20 the 104-week bound sat 2.2 standard errors below 0


@pytest.mark.parametrize("window", [52, 104])
@pytest.mark.parametrize("wide", ["directorate", "trust"])
def test_p5_wider_scope_with_unimproved_units_detects_less(window, wide):
    """Gains stay local (baseline teaching trust); measuring each pathway over its directorate or the trust
    instead of the pathway lowers the share of pathways detected within the window after the first RPIW
    (paired one-sided 95% upper bound of the difference < 0, 240 replicates)."""
    narrow = runs("baseline-teaching", P5_REPS, measurement__scope="pathway")
    broad = runs("baseline-teaching", P5_REPS, measurement__scope=wide)
    assert narrow["reach_final"].mean() < 0.1  # the added units did not improve
    col = f"detected_{window}w_share"
    d = paired(narrow, broad, col)
    assert one_sided_upper(d) < 0, (fmt(narrow[col]), fmt(broad[col]))


@pytest.mark.parametrize("window", [52, 104])
def test_p5_uhcw_theatre_metric_over_the_directorate_at_real_size(window):
    """UHCW at 10,000 staff: pathway 1 (a few urology theatres) measured over its whole directorate, as the
    scenario has it, vs over the pathway alone (same seeds). Only pathway 1 differs, so the paired difference
    of the detected share is (narrow - wide detection of pathway 1) / pathways."""
    wide = runs("uhcw", P5_REAL_REPS)  # pathway_scopes = ["directorate"]
    narrow = runs("uhcw", P5_REAL_REPS, measurement__pathway_scopes=[])
    assert load_scenario("uhcw").measurement.pathway_scopes == ["directorate"]
    col = f"detected_{window}w_share"
    d = paired(narrow, wide, col)
    assert one_sided_upper(d) < 0, (fmt(narrow[col]), fmt(wide[col]))
    if window == 104:
        assert wide["pathway1_detected_104w"].mean() < narrow["pathway1_detected_104w"].mean()


# --- P6: middle managers gate spread ----------------------------------------------------------


@pytest.mark.xfail(strict=True, reason=(
    "teaching size only (issue 11): gated SASH-teaching reaches reach 0.100 [0.053, 0.147] (upper bound 0.139 > "
    "0.1, 10 of 20 runs 'partial'). Pilots are a sixth of a 600-staff trust's units and forum contacts who practise "
    "now add exposure without diluting it (ODD 7.4), so a little practice leaks past managers who give 0.06-0.1 "
    "support. P6 holds at real size: test_p6_managers_gate_at_real_size."))
def test_p6_low_manager_support_keeps_spread_local_under_committed_leadership():
    """SASH with full commitment but low alignment (0.2) and no involvement: spread stays local (reach's 95%
    upper bound below the 'local' threshold; >= 90% of runs local), where the same trust with aligned,
    involved managers spreads trust-wide."""
    gated = runs("sash-teaching", leadership__commitment=1.0, managers__alignment=0.2, managers__involvement=0.0)
    open_ = runs("sash-teaching", leadership__commitment=1.0)
    local = load_scenario("sash").outputs.local_max_reach
    assert one_sided_upper(gated["reach_final"]) < local, fmt(gated["reach_final"])
    assert Share(gated["regime"].isin(["local", "no gain"])) >= 0.9
    assert open_["reach_final"].mean() >= load_scenario("sash").outputs.trustwide_min_reach
    d = paired(open_, gated, "adoption_rest_final")
    assert one_sided_upper(d) < 0


# --- P7: turnover erodes ------------------------------------------------------------------------


def test_p7_higher_turnover_lowers_sustained_adoption():
    """Staff turnover 5% vs 25% a year: adoption at the end (sustained adoption) is lower (paired one-sided
    95% upper bound of the difference < 0), trust-wide and in the pilots."""
    low = runs("uhcw-teaching", turnover__staff_annual=0.05)
    high = runs("uhcw-teaching", turnover__staff_annual=0.25)
    for col in ("adoption_trust_final", "adoption_pilot_final"):
        d = paired(low, high, col)
        assert one_sided_upper(d) < 0, (col, fmt(low[col]), fmt(high[col]))
