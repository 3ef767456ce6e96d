"""A finished calibration's tables, figures and report.md (tables in, files out)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from model.calibrate.config import Calibration  # noqa: E402


def marginals_figure(cal: Calibration, particles: pd.DataFrame, truth: dict | None = None) -> plt.Figure:
    """Weighted histogram of each parameter's posterior on its prior's bounds (and the truth, if known)."""
    n = len(cal.priors)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False, constrained_layout=True)
    w = particles["weight"].to_numpy(float)
    for ax, p in zip(axes.flat, cal.priors):
        ax.hist(particles[p.name], bins=20, range=(p.low, p.high), weights=w, color="#2471a3", alpha=0.8)
        ax.set(xlim=(p.low, p.high), title=p.name, xlabel=f"{p.key} ({p.prior} prior)", ylabel="posterior weight")
        if truth and p.name in truth:
            ax.axvline(truth[p.name], color="#c0392b", lw=1.5, label="true value")
            ax.legend(frameon=False, fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(f"{cal.name}: posterior marginals")
    return fig


def pairs_figure(cal: Calibration, particles: pd.DataFrame) -> plt.Figure:
    """Every pair of parameters: the particles, sized by weight."""
    names = [p.name for p in cal.priors]
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(2.6 * n + 1, 2.6 * n + 1), squeeze=False, constrained_layout=True)
    w = particles["weight"].to_numpy(float)
    size = 8 + 200 * w / (w.max() or 1)
    for i, a in enumerate(cal.priors):
        for j, b in enumerate(cal.priors):
            ax = axes[i, j]
            if i == j:
                ax.hist(particles[a.name], bins=15, range=(a.low, a.high), weights=w, color="#2471a3")
                ax.set_xlim(a.low, a.high)
            else:
                ax.scatter(particles[b.name], particles[a.name], s=size, alpha=0.5, color="#2471a3", lw=0)
                ax.set(xlim=(b.low, b.high), ylim=(a.low, a.high))
            if i == n - 1:
                ax.set_xlabel(b.name, fontsize=8)
            if j == 0:
                ax.set_ylabel(a.name, fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle(f"{cal.name}: pairwise posterior (points sized by weight)")
    return fig


def epsilon_figure(generations: pd.DataFrame) -> plt.Figure:
    """Tolerance (epsilon) and acceptance rate by generation."""
    fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
    ax.plot(generations["t"], generations["epsilon"], "o-", color="#2471a3")
    ax.set(xlabel="generation", ylabel="tolerance (epsilon)", yscale="log", title="Tolerance by generation")
    ax2 = ax.twinx()
    ax2.plot(generations["t"], generations["acceptance_rate"] * 100, "s--", color="#c0392b")
    ax2.set_ylabel("acceptance rate (%)", color="#c0392b")
    return fig


def _md(df: pd.DataFrame, digits: int = 4) -> str:
    if df.empty:
        return "(none)"
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        cells = [f"{v:.{digits}g}" if isinstance(v, (float, np.floating)) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(path: Path, cal: Calibration, summary: pd.DataFrame, generations: pd.DataFrame,
                 patterns: pd.DataFrame, inside: pd.DataFrame, elapsed_s: float, simulations: int,
                 workers: str) -> None:
    """report.md: what was fitted, the posterior, the generations, the predictive checks, the scenario values."""
    fitted = [t for t in cal.targets if t.fit]
    held = [t for t in cal.targets if not t.fit]
    text = [f"# Calibration {cal.name}", "", cal.description.strip(), "",
            f"ABC-SMC (pyabc, median tolerance schedule), population {cal.population}, "
            f"{len(generations)} generation(s) (of at most {cal.generations}), {cal.replicates} replicate(s) per "
            f"particle and scenario, root seed {cal.seed}{', --quick' if cal.quick else ''}. "
            f"{simulations} particles simulated in this session over {elapsed_s:.0f} s ({workers}).", "",
            f"Scenarios: {', '.join(f'{a.alias} ({a.source})' for a in cal.arms)}.", "",
            "## Posterior", "", "Weighted quantiles of the last generation; `width_ratio` is the 90% interval's "
            "width over the prior's 90% width.", "", _md(summary.drop(columns=["prior_width_90"])), "",
            "## Generations", "", _md(generations.drop(columns=["population_end_time"], errors="ignore")), "",
            "## Targets", "", f"Fitted: {len(fitted)}; held out (predictive checks only): {len(held)}.", "",
            _md(pd.DataFrame([{"target": t.name, "pattern": t.pattern, "fit": t.fit, "observed": t.describe(),
                               "scale": t.scale} for t in cal.targets])), "",
            "## Posterior predictive checks", "",
            f"{cal.draws} draws from the posterior, {cal.predictive_replicates} replicate(s) each with new seeds; "
            "a draw meets a pattern when its mean over replicates meets every target of the pattern.", "",
            _md(patterns), "",
            "## The scenarios' own values against the posterior", "",
            _md(inside) if not inside.empty else "(no fitted parameter has a scenario value)", ""]
    path.write_text("\n".join(text))
