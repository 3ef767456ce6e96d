"""Figures: tables in, matplotlib figures out (pure functions)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _band(ax, weekly: pd.DataFrame, col: str, label: str, color: str, scale: float = 1.0) -> None:
    g = weekly.groupby("week")[col]
    q = g.quantile([0.05, 0.5, 0.95]).unstack() * scale
    ax.plot(q.index, q[0.5], color=color, label=label)
    ax.fill_between(q.index, q[0.05], q[0.95], color=color, alpha=0.2, linewidth=0)


def run_figure(weekly: pd.DataFrame, title: str) -> plt.Figure:
    """Adoption and lead time, pilots vs the rest: median and 90% band over replicates."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    _band(axes[0], weekly, "adoption_pilot", "pilot units", "#c0392b", 100)
    _band(axes[0], weekly, "adoption_rest", "rest of trust", "#2471a3", 100)
    _band(axes[0], weekly, "reach", "reach (non-pilot units >= level)", "#7d3c98", 100)
    axes[0].set(xlabel="week", ylabel="% practising / % units reached", title="Adoption", ylim=(0, 100))
    _band(axes[1], weekly, "lead_time_change_pilot", "pilot units", "#c0392b", 100)
    _band(axes[1], weekly, "lead_time_change_rest", "rest of trust", "#2471a3", 100)
    axes[1].axhline(0, color="grey", lw=0.8)
    axes[1].set(xlabel="week", ylabel="% change in process lead time", title="Lead time vs baseline")
    for ax in axes:
        ax.legend(frameon=False, fontsize=8)
    n = weekly["rep"].nunique() if "rep" in weekly else 1
    fig.suptitle(f"{title}: median and 5-95% band over {n} replicates")
    return fig


def trusts_figure(weekly: pd.DataFrame, labels: dict[str, str]) -> plt.Figure:
    """Five trusts side by side: adoption outside pilots, reach and pilot lead time."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
    colors = plt.cm.tab10(np.linspace(0, 1, 10))
    for k, (name, df) in enumerate(weekly.groupby("scenario", sort=False)):
        c = colors[k % 10]
        lab = labels.get(name, name)
        _band(axes[0], df, "adoption_rest", lab, c, 100)
        _band(axes[1], df, "reach", lab, c, 100)
        _band(axes[2], df, "lead_time_change_pilot", lab, c, 100)
    axes[0].set(xlabel="week", ylabel="% practising", title="Adoption outside the pilot units")
    axes[1].set(xlabel="week", ylabel="% of non-pilot units reached", title="Trust-wide reach")
    axes[2].set(xlabel="week", ylabel="% change", title="Lead time in pilot pathways")
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle("The five trusts at real headcounts: median and 5-95% band over replicates")
    return fig
