"""The what-if report leads with its answer (issue 27): the bottom line first, lever names on every
heatmap panel, trust sizes in titles, one scale across an effect plot's panels with negligible effects
marked, clipped intervals explained, the CSVs linked, nothing printed as 'None'.

Built from made-up replicates (no simulation), so each test takes well under a second.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from model.params import load_scenario
from model.whatif.compare import TRAJECTORIES, Arm, build_comparison
from model.whatif.files import load_whatif
from model.whatif.report import (NEGLIGIBLE, bottom_line, effect_figure, heatmap_figure, matrix_frame,
                                 render_html)
from model.whatif.wording import sized_label

REPS = 10
WEEKS = 20


def arm(reach: np.ndarray, adoption: np.ndarray, params) -> Arm:
    """An arm with the given final reach and adoption per replicate (shares), other outcomes fixed."""
    s = pd.DataFrame({"rep": range(REPS), "seed": range(REPS), "regime": np.where(reach >= 0.5, "trust-wide", "local"),
                      "reach_final": reach, "adoption_trust_final": adoption, "adoption_rest_final": adoption,
                      "lead_time_change_pilot_final": np.full(REPS, -0.4),
                      "lead_time_change_rest_final": -0.1 * reach, "sustainment": np.full(REPS, 0.9)})
    s["trustwide"] = (s.regime == "trust-wide").astype(float)
    weekly = {c: np.outer(np.ones(REPS), np.linspace(0, 1, WEEKS + 1)) * float(np.mean(reach)) for c in TRAJECTORIES}
    return Arm(label="x", params=params, summaries=s, weekly=weekly)


def comparison(scenario: str = "bhr-teaching"):
    """Baseline at reach 0.2; 'stable-leadership' changes no run, 'aligned-priorities' moves adoption by
    0.004 points (noise-sized), 'all-recommendations' raises reach by about 60 points."""
    p = load_scenario(scenario)
    rng = np.random.default_rng(1)
    reach = np.clip(0.2 + rng.normal(0, 0.05, REPS), 0, 1)
    adoption = np.clip(0.3 + rng.normal(0, 0.05, REPS), 0, 1)
    arms = {"__baseline__": arm(reach, adoption, p),
            "stable-leadership": arm(reach, adoption, p),
            "aligned-priorities": arm(reach, adoption + 4e-5 * (1 + rng.random(REPS)), p),
            "all-recommendations": arm(np.clip(reach + 0.6, 0, 1), np.clip(adoption + 0.3, 0, 1), p)}
    wis = [load_whatif(n) for n in ("stable-leadership", "aligned-priorities", "all-recommendations")]
    return build_comparison(scenario, p, wis, arms)


def test_titles_carry_the_trust_size():
    assert sized_label(load_scenario("leeds-teaching")) == "Leeds Teaching Hospitals (600-staff teaching version)"
    assert sized_label(load_scenario("leeds")) == "Leeds Teaching Hospitals (20,000 staff)"
    assert sized_label(load_scenario("sash")) == "Surrey and Sussex (SASH; 3,500 staff)"
    c = comparison("leeds-teaching")
    assert c.title == "Leeds Teaching Hospitals (600-staff teaching version)"
    assert all("600-staff teaching version" in s for s in c.sentences.values())
    fig = effect_figure(c)
    try:
        assert "600-staff teaching version" in fig._suptitle.get_text()
    finally:
        plt.close(fig)


def test_a_null_effect_is_marked_negligible_on_one_shared_scale():
    c = comparison()
    fig = effect_figure(c)
    try:
        axes = fig.axes
        assert len({ax.get_xlim() for ax in axes}) == 1  # one scale for every panel
        lo, hi = axes[0].get_xlim()
        assert hi > 55  # wide enough for the 60-point effect, so the noise-sized one shows as nothing
        titles = [t.get_text() for t in axes[0].get_yticklabels()]
        assert titles[0].startswith("Stable leadership")  # top row is the first what-if
        # every panel marks the two null rows (no run changed; 0.004 points) negligible, not the real effect
        adoption = axes[2]
        marks = [t for t in adoption.texts if t.get_text().startswith("negligible")]
        assert len(marks) == 2
        assert {t.get_text() for t in marks} == {"negligible", "negligible: no run changed"}
        reach = axes[1]
        assert len([t for t in reach.texts if t.get_text().startswith("negligible")]) == 2
    finally:
        plt.close(fig)
    rows = c.rows.set_index(["what_if", "outcome"])
    tiny = rows.loc[("aligned-priorities", "adoption_trust_final")]
    assert 0 < tiny.difference < 0.01 and tiny.changed_reps == REPS and max(abs(tiny.ci_low), tiny.ci_high) < NEGLIGIBLE


def test_heatmap_names_the_levers_on_its_first_panel():
    comps = [comparison("sash-teaching"), comparison("bhr-teaching")]
    mf = matrix_frame(comps)
    fig = heatmap_figure(mf)
    try:
        first = fig.axes[0]
        assert [t.get_text() for t in first.get_yticklabels()] == [
            "Stable leadership", "Aligned priorities", "All seven levers together"]
        assert [t.get_text().split("\n")[0] for t in first.get_xticklabels()] == ["Surrey and Sussex", "Barking, Havering"]
        assert "600-staff teaching versions" in fig._suptitle.get_text()
        cells = [t.get_text() for t in first.texts]
        assert "0" in cells  # stable leadership changed no run
    finally:
        plt.close(fig)


def test_the_report_leads_with_the_bottom_line_and_links_its_files():
    c = comparison()
    manifest = {"generated": "2026-12-08 00:00 UTC", "command_line": "spread compare bhr-teaching ...",
                "root_seed": 0, "reps": REPS, "weeks": None, "elapsed_s": 1.0, "git_commit": None}
    html = render_html([c], matrix=False, manifest=manifest, mf=None)
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    assert text.index("Bottom line.") < text.index("Key findings")
    line = bottom_line(matrix_frame([c]))
    assert line.startswith("In Barking, Havering and Redbridge (BHR; 600-staff teaching version), "
                           "all seven levers together matters most")
    assert "Negligible here: stable leadership and aligned priorities." in line
    for name in ("comparison.csv", "replicates.csv", "trajectories.csv", "run.json"):
        assert f"href='{name}'" in text
    assert "sit beside it, in the same folder" in text
    assert "None" not in text  # weeks and git commit in words
    assert "own horizon)" in text and "not recorded" in text
    assert "tipped into trust-wide spread" in text  # the paired yes/no interval in one plain sentence
    assert text.count("<img") == 2


def test_a_clipped_interval_gets_its_footnote():
    p = load_scenario("bhr-teaching")
    reach = np.array([0.9] * 9 + [1.0])
    up = np.array([1.0] * 10)
    c = build_comparison("bhr-teaching", p, [load_whatif("stable-leadership")],
                         {"__baseline__": arm(reach, reach, p), "stable-leadership": arm(up, up, p)})
    r = c.rows.set_index("outcome").loc["reach_final"]
    assert bool(r.ci_clipped) and r.ci_high == pytest.approx(100 - r.baseline_mean)
    manifest = {"generated": "x", "command_line": "x", "root_seed": 0, "reps": REPS, "weeks": 52, "elapsed_s": 1.0,
                "git_commit": "abc"}
    html = render_html([c], matrix=False, manifest=manifest, mf=None)
    assert "+1.0 [+0.4, +1.0]\u2020 points" in html or "\u2020 points" in html
    assert "This interval is cut at the most the outcome can move" in html
