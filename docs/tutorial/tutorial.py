# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # improvement-spread: a tutorial
#
# Why did an improvement programme stay in three wards in one trust and
# spread trust-wide in another? This notebook walks through the model that
# asks that question of the five trusts of the NHS partnership with
# Virginia Mason Institute (2015-2020):
#
# 1. build one trust and step it week by week;
# 2. look at its knowledge-sharing network;
# 3. compare two trusts over replicates, with 95% intervals;
# 4. a small sweep and its regime map;
# 5. a what-if with common random numbers;
# 6. the stand-alone contagion kernel against a classic model.
#
# It uses the 600-staff *teaching* versions of the trusts and few
# replicates so that it runs top to bottom in a few minutes on a laptop;
# the numbers are for learning the tools, not for conclusions (the README's
# experiments use real headcounts and more replicates).
#
# This file is plain text in jupytext's percent format. Open it as a
# notebook with `jupytext --to notebook docs/tutorial/tutorial.py` (or the
# jupytext extension in Jupyter), or run it as a script:
# `python docs/tutorial/tutorial.py --out tutorial-output` prints every
# table and saves every figure as a PNG in that folder (without `--out`, a
# new temporary folder it names on its first line). The test suite runs it
# both ways (tests/test_tutorial.py), so every cell works with the code it
# ships with.

# %%
import argparse
import os
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd

import model
from model import TrustModel, load_scenario

# In Jupyter a table shows as the cell's result and a figure inline; run as a
# script, `show` prints the table and `save` writes the figure to OUT.
IN_NOTEBOOK = "ipykernel" in sys.modules
out_arg = None
if not IN_NOTEBOOK:
    parser = argparse.ArgumentParser(description="The improvement-spread tutorial, run as a script.")
    parser.add_argument("--out", type=Path, help="folder for its files and figures (default: a new temporary one)")
    out_arg = parser.parse_args().out

# Everything this notebook writes goes into one folder of its own.
OUT = out_arg or Path(os.environ.get("SPREAD_TUTORIAL_OUT") or tempfile.mkdtemp(prefix="spread-tutorial-"))
OUT.mkdir(parents=True, exist_ok=True)
WORKERS = min(2, os.cpu_count() or 1)
print(f"improvement-spread {model.__version__}; writing to {OUT}")


def show(table):
    """The table as the cell's output in Jupyter; printed in full when run as a script."""
    if IN_NOTEBOOK:
        from IPython.display import display
        display(table)
    else:
        print(table.to_string() if hasattr(table, "to_string") else table, end="\n\n")


def save(fig, name: str) -> None:
    """Write the figure to OUT/NAME.png (it still shows inline in Jupyter); say where when run as a script."""
    path = OUT / f"{name}.png"
    fig.savefig(path, dpi=120)
    if not IN_NOTEBOOK:
        print(f"figure: {path}")
        plt.close(fig)

# %% [markdown]
# ## 1. One trust, week by week
#
# A *scenario* is a validated set of parameters. The shipped ones are the
# five trusts at real size, their teaching sizes and a generic baseline
# (`spread scenarios` lists them). `TrustModel` is a Mesa model: one trust,
# one seed; each `step()` is one week of the schedule (leadership, manager
# support, improvement workshops, peer exchange, sustainment, turnover,
# performance; docs/ODD.md, section 3).

# %%
params = load_scenario("sash-teaching")
print(params.trust.label, "-", params.organisation.staff, "staff,", params.run.weeks, "weeks")

trust = TrustModel(params, rng=1)
for _ in range(52):
    trust.step()
weekly = trust.weekly_frame()
show(weekly[["week", "adoption_pilot", "adoption_rest", "reach", "lead_time_change_pilot", "attention"]].iloc[::13])

# %% [markdown]
# Staff are Mesa agents, so the usual Mesa tools work on them; the
# mechanisms themselves run on whole arrays, which is why a 20,000-staff
# trust takes a fraction of a second a year.

# %%
practising = trust.agents.select(lambda a: a.practising)
print(f"week {trust.week}: {len(practising)} of {trust.n} staff practising")

trust.run()  # on to the horizon
weekly = trust.weekly_frame()
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(weekly.week, weekly.adoption_pilot, label="pilot units")
ax.plot(weekly.week, weekly.adoption_rest, label="the rest of the trust")
ax.plot(weekly.week, weekly.reach, label="reach (share of units practising)", ls="--")
ax.set_xlabel("week")
ax.set_ylabel("share")
ax.legend(fontsize=8)
ax.set_title(params.trust.label + ", one run")
fig.tight_layout()
save(fig, "1_one_run")

# %% [markdown]
# ## 2. The network
#
# Staff share knowledge over a directed network: ties inside units, fewer
# across units, some one-directional (advice that is not returned). Its
# statistics are those of the evaluation's social network analysis.

# %%
stats = pd.Series(trust.network_start)
show(stats[["staff", "arcs", "density", "reciprocity_arcs", "one_directional_share", "clustering_mean",
            "mean_in_degree", "cross_unit_ties_per_person", "largest_component_share"]])

# %% [markdown]
# A picture of the live ties at the start, coloured by unit (drawn
# undirected to keep it quick).

# %%
net, live = trust.net, trust.live.live_at_start
G = nx.Graph()
G.add_nodes_from(range(trust.n))
G.add_edges_from(zip(net.src[live].tolist(), net.dst[live].tolist()))
pos = nx.spring_layout(G, seed=1, iterations=40)
fig, ax = plt.subplots(figsize=(6, 6))
nx.draw_networkx_edges(G, pos, ax=ax, alpha=0.05, width=0.5)
nx.draw_networkx_nodes(G, pos, ax=ax, node_size=8, node_color=trust.org.unit_of, cmap="tab20")
ax.set_title(f"{params.trust.label}: {G.number_of_edges():,} ties among {trust.n} staff")
ax.axis("off")
fig.tight_layout()
save(fig, "2_network")

# %% [markdown]
# ## 3. Two trusts over replicates
#
# One run is one possible history. `run_replicates` runs many (in parallel
# processes; the same seed gives the same numbers whatever the number of
# processes) and `model.intervals` gives 95% intervals. Here: SASH, where
# the evaluation saw spread, against BHR, where gains stayed local.

# %%
from model.intervals import t_interval
from model.runner import run_replicates

REPS = 10
outcomes = ["reach_final", "adoption_rest_final", "lead_time_change_pilot_final", "sustainment"]
rows, runs = [], {}
for name in ("sash-teaching", "bhr-teaching"):
    p = load_scenario(name)
    runs[name] = run_replicates(p, reps=REPS, seed=1, workers=WORKERS)
    summary = pd.DataFrame([r.summary for r in runs[name]])
    for col in outcomes:
        mean, lo, hi = t_interval(summary[col])
        rows.append({"trust": p.trust.label, "outcome": col, "mean": mean, "ci95_low": lo, "ci95_high": hi})
    rows.append({"trust": p.trust.label, "outcome": "runs trust-wide",
                 "mean": float((summary.regime == "trust-wide").sum())})
table = pd.DataFrame(rows).set_index(["trust", "outcome"])  # one row per trust and outcome: narrow enough to print
show(table.round(3))

# %%
fig, ax = plt.subplots(figsize=(7, 3))
for name, colour in (("sash-teaching", "tab:green"), ("bhr-teaching", "tab:red")):
    reps = np.stack([r.weekly.adoption_rest.to_numpy() for r in runs[name]])
    weeks = runs[name][0].weekly.week
    ax.fill_between(weeks, *np.percentile(reps, [10, 90], axis=0), color=colour, alpha=0.2)
    ax.plot(weeks, np.median(reps, axis=0), color=colour, label=load_scenario(name).trust.label)
ax.set_xlabel("week")
ax.set_ylabel("adoption outside the pilots")
ax.set_title(f"median and 10-90% of {REPS} runs")
ax.legend(fontsize=8)
fig.tight_layout()
save(fig, "3_two_trusts")

# %% [markdown]
# ## 4. A small sweep and its regime map
#
# An experiment names a base scenario, what to vary and how many
# replicates; normally it is a TOML file in `experiments/` run with
# `spread sweep` (docs/SWEEPS.md). From Python the same experiment can be
# a dictionary. This one is a 3 x 3 grid of cross-unit ties x leadership
# commitment in the SASH teaching trust, a small cousin of experiment E2.

# %%
from model.sweeps.design import experiment_from_dict
from model.sweeps.runner import run_sweep

experiment = experiment_from_dict({
    "name": "tutorial_regime_map",
    "description": "Cross-unit ties x leadership commitment in the 600-staff SASH trust.",
    "scenario": "sash-teaching",
    "seed": 7,
    "reps": 3,
    "sampler": "grid",
    "outcomes": ["regime", "reach_final", "adoption_rest_final"],
    "vary": {"network.cross_unit_ties": {"range": [0.25, 2.5], "n": 3},
             "leadership.commitment": {"range": [0.3, 0.6], "n": 3}},
    "analyses": {"regime_map": {"x": "network.cross_unit_ties", "y": "leadership.commitment",
                                "spread": ["trust-wide"], "local": ["local", "no gain"]}},
})
# workers=1 runs the 27 runs in this process (about ten seconds). A sweep's
# worker pool starts from a fork server, which re-imports the main script:
# from a script of your own, put sweeps with workers > 1 under
# `if __name__ == "__main__":` (or use `spread sweep`).
report = run_sweep(experiment, out=OUT / "sweep", workers=1, progress=False, log=lambda msg: None)
print(f"{report.total} runs, complete: {report.complete}")
show(sorted(p.name for p in (OUT / "sweep" / "analysis").iterdir()))

# %%
regimes = pd.read_csv(OUT / "sweep" / "analysis" / "regime_map.csv")
show(regimes[["network.cross_unit_ties", "leadership.commitment", "n", "share_spread", "share_local"]])

# %% [markdown]
# `spread analyse` (run by the sweep) also wrote `report.html`, one page
# that opens with each design point's results and embeds its figures, and
# `report.md`, the same with links to the figures beside it.

# %%
if IN_NOTEBOOK:
    from IPython.display import Image, display

    display(Image(filename=str(OUT / "sweep" / "analysis" / "regime_map.png")))
else:
    print(f"figure: {OUT / 'sweep' / 'analysis' / 'regime_map.png'}; report: {OUT / 'sweep' / 'analysis' / 'report.html'}")

# %% [markdown]
# In a 600-staff trust the boundary is set by commitment: with few units,
# even a handful of cross-unit ties reach most of them. At real size
# connectedness matters too (experiment E2 in the README, at 1,000 staff,
# and E1 at real headcounts); three replicates a cell are for the picture,
# not for the boundary (E2 uses ten).

# %% [markdown]
# ## 5. A what-if with common random numbers
#
# A what-if changes a few levers of any scenario; the shipped ones follow
# the evaluation's recommendations (`spread scenarios what-ifs`). `compare`
# runs the scenario and each what-if with **common random numbers**:
# replicate *i* of every arm has the same seed, and each mechanism draws
# from its own stream, so the arms differ only by the levers changed.

# %%
from model.intervals import paired_t_interval, welch_interval
from model.whatif.compare import compare

(bhr,) = compare(["bhr-teaching"], ["stable-leadership", "all-recommendations"], reps=REPS, seed=3,
                 workers=WORKERS)
cols = ["what_if", "label", "baseline_mean", "what_if_mean", "difference", "ci_low", "ci_high"]
show(bhr.rows[bhr.rows.outcome.isin(["trustwide", "reach_final"])][cols].round(1))

# %% [markdown]
# One lever alone leaves BHR where it was; the recommendations together tip
# it trust-wide. Each what-if also gets one plain-English sentence, as in
# the HTML report of `spread compare`:

# %%
for name, sentence in bhr.sentences.items():
    print(f"{name}: {sentence}\n")

# %% [markdown]
# Why pair the replicates? In Coventry and Warwickshire (UHCW), near its
# tipping point at teaching size, compare each difference's interval from
# the paired replicates with one that treats the two arms as independent
# samples. Pairs share their luck (the same network, thresholds and
# chief-executive changes), so the paired interval is narrower; and a
# what-if that changes no run's outcome gives a paired difference of
# exactly zero, where the unpaired interval shows only noise.

# %%
(uhcw,) = compare(["uhcw-teaching"], ["managers-involved", "aligned-priorities"], reps=REPS, seed=3,
                  workers=WORKERS)
rows = []
for name, col in (("managers-involved", "lead_time_change_rest_final"), ("aligned-priorities", "adoption_rest_final")):
    base, arm = uhcw.baseline.summaries[col], uhcw.arms[name].summaries[col]
    for how, iv in (("paired", paired_t_interval(base, arm)), ("unpaired", welch_interval(base, arm))):
        rows.append({"what_if": name, "outcome": col, "interval": how, "difference": iv.estimate,
                     "ci95_low": iv.low, "ci95_high": iv.high})
show(pd.DataFrame(rows).round(3))

# %% [markdown]
# ## 6. The kernel against a classic model
#
# The peer-exchange rule can run alone on any graph. With
# `rule="complex"`, `adoption_prob=1` and all tie weights 1 it is the
# Watts (2002) threshold model: a node adopts once at least a fraction phi
# of its in-neighbours have. Here it is against a plain implementation of
# Watts's model written from the paper.

# %%
from model.contagion import spread

G = nx.watts_strogatz_graph(1000, 6, 0.1, seed=1)
phi, seeds, steps = 0.18, [0, 1, 2], 60
kernel = spread(G, seeds=seeds, steps=steps, rule="complex", threshold=phi)


def watts_threshold(graph: nx.Graph, seeds: list[int], steps: int, phi: float) -> list[float]:
    """Synchronous threshold model: the adopted share at each step."""
    adopted = set(seeds)
    shares = [len(adopted) / graph.number_of_nodes()]
    for _ in range(steps):
        new = {v for v in graph if v not in adopted and graph.degree(v) > 0
               and sum(u in adopted for u in graph[v]) >= phi * graph.degree(v)}
        adopted |= new
        shares.append(len(adopted) / graph.number_of_nodes())
    return shares


classic = watts_threshold(G, seeds, steps, phi)
print("identical at every step:", np.allclose(kernel.adopted_share, classic))

# %% [markdown]
# Complex contagion needs *wide bridges*; simple contagion (one contact is
# enough, as for information) travels along any tie. The same graph, the
# same seeds:

# %%
simple = spread(G, seeds=seeds, steps=steps, rule="simple", transmission=0.1, rng=1)
rewired = nx.watts_strogatz_graph(1000, 6, 0.5, seed=1)  # more long ties, fewer wide bridges
complex_rewired = spread(rewired, seeds=seeds, steps=steps, rule="complex", threshold=phi)
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(kernel.adopted_share, label="complex, rewiring 0.1")
ax.plot(complex_rewired.adopted_share, label="complex, rewiring 0.5")
ax.plot(simple.adopted_share, label="simple (SI), rewiring 0.1", ls="--")
ax.set_xlabel("step")
ax.set_ylabel("adopted share")
ax.legend(fontsize=8)
fig.tight_layout()
save(fig, "6_contagion")

# %% [markdown]
# ## Where next
#
# * `spread run sash --reps 20`, `spread trusts`, `spread compare bhr
#   --what-if stable-leadership` on the command line (README);
# * every parameter with its unit, range and meaning: `spread params`;
# * the model description: docs/ODD.md; sweeps: docs/SWEEPS.md; the
#   policy guide: docs/policy.md; classroom exercises with the browser
#   visualiser: docs/teaching.md.
