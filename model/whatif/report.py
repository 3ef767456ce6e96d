"""The what-if report: a self-contained HTML file (figures embedded as base64
PNG, no external asset, readable when emailed), the numbers as CSV, a run
manifest, and a short terminal summary."""

from __future__ import annotations

import base64
import html
import io
import time
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402

from model.whatif.compare import OUTCOMES, TRAJECTORIES, Comparison  # noqa: E402
from model.whatif.wording import pct, signed  # noqa: E402

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

BASE_COLOR = "#7f8c8d"
WI_COLOR = "#1f6fb2"
GOOD, BAD, NEUTRAL = "#1e8449", "#c0392b", "#7f8c8d"

TRAJ_PANELS = (("reach", "reach beyond the pilots (% of units)", 100),
               ("adoption_trust", "trust-wide adoption (% of staff)", 100),
               ("lead_time_change_rest", "non-pilot lead-time change (%)", 100))


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------
def _verdict(row) -> str:
    """'better', 'worse' or 'unclear' from the interval and the outcome's good direction."""
    if row["ci_low"] > 0:
        up = True
    elif row["ci_high"] < 0:
        up = False
    else:
        return "unclear"
    return "better" if up == (row["better"] == "higher") else "worse"


def effect_figure(comp: Comparison) -> plt.Figure:
    """Paired differences with 95% intervals: one panel per outcome, one row per what-if."""
    df = comp.rows
    titles = [w.title for w in comp.whatifs]
    names = [w.name for w in comp.whatifs]
    n = len(names)
    fig, axes = plt.subplots(2, 3, figsize=(13, 1.2 + 0.75 * n * 2), constrained_layout=True, sharey=True)
    for ax, (col, label, scale, unit, better) in zip(axes.flat, OUTCOMES):
        sub = df[df.outcome == col].set_index("what_if").loc[names]
        y = np.arange(n)[::-1]
        for yi, (_, r) in zip(y, sub.iterrows()):
            c = {"better": GOOD, "worse": BAD, "unclear": NEUTRAL}[_verdict(r)]
            ax.plot([r.ci_low, r.ci_high], [yi, yi], color=c, lw=2.5, solid_capstyle="butt")
            ax.plot([r.difference], [yi], "o", color=c, ms=6)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, titles)
        arrow = "higher is better" if better == "higher" else "lower is better"
        ax.set_title(f"{label}\n({'points' if unit == '%' else 'difference'}; {arrow})", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"{comp.label}: effect of each what-if (paired difference, 95% interval; "
                 f"green = clearly better, red = clearly worse, grey = unclear)", fontsize=10)
    return fig


def trajectory_figure(comp: Comparison) -> plt.Figure:
    """Baseline vs each what-if over time: mean and 10-90% band over replicates."""
    n = len(comp.whatifs)
    fig, axes = plt.subplots(n, 3, figsize=(13, 0.6 + 2.3 * n), constrained_layout=True, squeeze=False)
    base = comp.baseline.weekly
    for i, wi in enumerate(comp.whatifs):
        arm = comp.arms[wi.name].weekly
        for j, (col, label, scale) in enumerate(TRAJ_PANELS):
            ax = axes[i, j]
            for w, color, lab in ((base, BASE_COLOR, "baseline"), (arm, WI_COLOR, wi.title)):
                x = w[col].astype(float) * scale
                t = np.arange(x.shape[1])
                lo, hi = np.percentile(x, [10, 90], axis=0)
                ax.fill_between(t, lo, hi, color=color, alpha=0.2, lw=0)
                ax.plot(t, x.mean(axis=0), color=color, lw=1.6, label=lab)
            if j == 0:
                ax.set_ylabel(wi.title, fontsize=8)
            if i == 0:
                ax.set_title(label, fontsize=9)
            if i == n - 1:
                ax.set_xlabel("week")
            if col == "lead_time_change_rest":
                ax.axhline(0, color="black", lw=0.6)
            if j == 2:
                ax.legend(frameon=False, fontsize=7, loc="lower left")
    fig.suptitle(f"{comp.label}: baseline (grey) vs what-if (blue), mean and 10-90% band over "
                 f"{comp.baseline.summaries.shape[0]} paired replicates", fontsize=10)
    return fig


def matrix_frame(comps: list[Comparison]) -> pd.DataFrame:
    """One row per what-if and scenario, in report units.

    For the chance of trust-wide spread, reach, trust-wide adoption and
    non-pilot lead time: baseline and what-if means, the paired difference,
    its 95% interval and how many paired runs changed.
    """
    rows = []
    for c in comps:
        for w in c.whatifs:
            sub = c.rows[c.rows.what_if == w.name].set_index("outcome")
            row = {"what_if": w.name, "title": w.title, "scenario": c.scenario, "trust": c.label,
                   "changes_here": "; ".join(f"{k}: {o!r} -> {n!r}" for k, (o, n) in c.effective[w.name].items()) or "none"}
            for col, short in (("trustwide", "trustwide_chance"), ("reach_final", "reach"),
                               ("adoption_trust_final", "adoption"), ("lead_time_change_rest_final", "lead_time_rest")):
                r = sub.loc[col]
                row[f"{short}_baseline"] = r.baseline_mean
                row[f"{short}_what_if"] = r.what_if_mean
                row[f"{short}_diff"] = r.difference
                row[f"{short}_ci_low"] = r.ci_low
                row[f"{short}_ci_high"] = r.ci_high
                row[f"{short}_changed"] = int(r.changed_reps)
            row["reps"] = int(sub.loc["reach_final"].reps)
            rows.append(row)
    return pd.DataFrame(rows)


def heatmap_figure(mf: pd.DataFrame) -> plt.Figure:
    """Recommendation x trust: change in the chance of trust-wide spread, in reach and in trust-wide adoption (points)."""
    whatifs = list(dict.fromkeys(mf.title))
    trusts = list(dict.fromkeys(mf.trust))
    fig, axes = plt.subplots(1, 3, figsize=(5 + 2.6 * len(trusts), 2.2 + 0.5 * len(whatifs)),
                             constrained_layout=True, sharey=True)
    for k, (ax, (short, label)) in enumerate(zip(axes, (
            ("trustwide_chance", "chance of trust-wide spread"),
            ("reach", "reach beyond the pilots"),
            ("adoption", "trust-wide adoption")))):
        d = mf.pivot(index="title", columns="trust", values=f"{short}_diff").loc[whatifs, trusts].to_numpy()
        lo = mf.pivot(index="title", columns="trust", values=f"{short}_ci_low").loc[whatifs, trusts].to_numpy()
        hi = mf.pivot(index="title", columns="trust", values=f"{short}_ci_high").loc[whatifs, trusts].to_numpy()
        changed = mf.pivot(index="title", columns="trust", values=f"{short}_changed").loc[whatifs, trusts].to_numpy()
        vmax = max(5.0, float(np.nanmax(np.abs(d))))
        im = ax.imshow(d, cmap="RdBu", norm=TwoSlopeNorm(0, -vmax, vmax), aspect="auto")
        for i in range(d.shape[0]):
            for j in range(d.shape[1]):
                clear = lo[i, j] > 0 or hi[i, j] < 0
                if changed[i, j] == 0:
                    txt = "0"  # no run changed at all
                else:
                    txt = (f"{d[i, j]:+.0f}" if abs(d[i, j]) >= 1 else f"{d[i, j]:+.1f}") + ("" if clear else "?")
                ax.text(j, i, txt, ha="center", va="center", fontsize=9,
                        fontweight="bold" if clear else "normal",
                        color="white" if abs(d[i, j]) > 0.6 * vmax else "black")
        ax.set_xticks(range(len(trusts)), trusts, rotation=20, ha="right", fontsize=8)
        ax.set_yticks(range(len(whatifs)), whatifs if k == 0 else [""] * len(whatifs), fontsize=8)
        ax.set_title(f"change in {label}\n(percentage points)", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle("Which lever matters where: paired difference, what-if minus baseline "
                 "(bold = 95% interval excludes zero; '?' = unclear; 0 = no run changed)", fontsize=10)
    return fig


def matrix_trajectory_figure(comp: Comparison) -> plt.Figure:
    """Small multiples of reach over time, one panel per what-if, for one trust."""
    n = len(comp.whatifs)
    cols = min(4, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows + 0.5), constrained_layout=True,
                             squeeze=False, sharey=True)
    base = comp.baseline.weekly["reach"].astype(float) * 100
    t = np.arange(base.shape[1])
    for k, wi in enumerate(comp.whatifs):
        ax = axes.flat[k]
        arm = comp.arms[wi.name].weekly["reach"].astype(float) * 100
        for x, color in ((base, BASE_COLOR), (arm, WI_COLOR)):
            lo, hi = np.percentile(x, [10, 90], axis=0)
            ax.fill_between(t, lo, hi, color=color, alpha=0.2, lw=0)
            ax.plot(t, x.mean(axis=0), color=color, lw=1.5)
        ax.set_title(wi.title, fontsize=8)
        ax.set_ylim(-2, 102)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(f"{comp.label}: reach beyond the pilots (% of units) over weeks; baseline grey, what-if blue "
                 "(mean, 10-90% band)", fontsize=9)
    return fig


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


# ---------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------
def replicates_frame(comps: list[Comparison]) -> pd.DataFrame:
    """Every replicate of every arm, by scenario and arm: seed, regime and the report's outcomes."""
    keep = ["rep", "seed", "regime", "trustwide"] + [c for c, *_ in OUTCOMES if c != "trustwide"] + ["adoption_rest_final"]
    parts = []
    for c in comps:
        parts.append(c.baseline.summaries[keep].assign(scenario=c.scenario, arm="baseline"))
        for w in c.whatifs:
            parts.append(c.arms[w.name].summaries[keep].assign(scenario=c.scenario, arm=w.name))
    df = pd.concat(parts, ignore_index=True)
    return df[["scenario", "arm"] + keep]


def trajectories_frame(comps: list[Comparison], every: int = 1) -> pd.DataFrame:
    """Mean and 10-90% band over replicates of each weekly series, by scenario and arm, every ``every``-th week."""
    parts = []
    for c in comps:
        arms = [("baseline", c.baseline)] + [(w.name, c.arms[w.name]) for w in c.whatifs]
        for name, arm in arms:
            for col in TRAJECTORIES:
                x = arm.weekly[col].astype(float)
                t = np.arange(0, x.shape[1], every)
                lo, hi = np.percentile(x[:, t], [10, 90], axis=0)
                parts.append(pd.DataFrame({"scenario": c.scenario, "arm": name, "series": col, "week": t,
                                           "mean": x[:, t].mean(axis=0), "p10": lo, "p90": hi}))
    return pd.concat(parts, ignore_index=True)


def _fmt(v: float, unit: str) -> str:
    if unit == "%":
        return "0.0%" if round(v, 1) == 0 else f"{v:.1f}%"
    return f"{v:.2f}"


def _fmt_diff(r) -> str:
    """Difference [interval]; more decimals when everything is small (never '0 [0, 0]' for a clear effect)."""
    nd = 1 if r["unit"] == "%" else 3
    if r["changed_reps"] and max(abs(r["difference"]), abs(r["ci_low"]), abs(r["ci_high"])) < 10 ** -nd * 0.5:
        nd += 2
    return f"{signed(r['difference'], nd)} [{signed(r['ci_low'], nd)}, {signed(r['ci_high'], nd)}]"


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------
CSS = """
body{font-family:Georgia,'Times New Roman',serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
h3{font-size:1.05em;margin-bottom:.3em} .lede{color:#555}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em;font-family:Arial,Helvetica,sans-serif}
th,td{border:1px solid #ddd;padding:.3em .55em;text-align:left;vertical-align:top} th{background:#f3f3f3}
td.num{text-align:right;white-space:nowrap} .better{color:#1e8449;font-weight:bold} .worse{color:#c0392b;font-weight:bold}
.unclear{color:#666} img{max-width:100%;height:auto;border:1px solid #eee} .finding{margin:.5em 0 .8em}
.box{background:#f7f9fb;border-left:4px solid #1f6fb2;padding:.6em 1em;margin:1em 0} code{font-size:.9em}
.small{font-size:.85em;color:#555}
"""


def _e(x) -> str:
    return html.escape(str(x))


def _fig(b64: str, alt: str) -> str:
    return f'<figure><img src="data:image/png;base64,{b64}" alt="{_e(alt)}"><figcaption class="small">{_e(alt)}</figcaption></figure>'


def _whatif_list(comps: list[Comparison]) -> str:
    wis = comps[0].whatifs
    items = []
    for w in wis:
        eff = []
        for c in comps:
            e = c.effective[w.name]
            txt = "; ".join(f"{k} {o!r} &rarr; {n!r}" for k, (o, n) in e.items()) if e else "nothing (already at these levels)"
            eff.append(f"<li>{_e(c.label)}: <code>{txt}</code></li>")
        items.append(f"<h3>{_e(w.title)} <span class='small'>({_e(w.name)})</span></h3>"
                     f"<p>{_e(w.description)}</p><p class='small'>Source: {_e(w.source)}</p>"
                     f"<p class='small'>Changes: <code>{_e(w.describe_changes())}</code>. What that changes in each trust:</p>"
                     f"<ul class='small'>{''.join(eff)}</ul>")
    return "\n".join(items)


def _outcome_table(c: Comparison) -> str:
    head = "<tr><th>what-if</th><th>outcome</th><th>baseline</th><th>what-if</th><th>paired difference [95% interval]</th><th>runs that changed</th></tr>"
    body = []
    for w in c.whatifs:
        sub = c.rows[c.rows.what_if == w.name]
        for k, (_, r) in enumerate(sub.iterrows()):
            v = _verdict(r)
            first = f"<td rowspan='{len(sub)}'>{_e(w.title)}</td>" if k == 0 else ""
            unit = " points" if r.unit == "%" else ""
            body.append(f"<tr>{first}<td>{_e(r.label)}</td><td class='num'>{_fmt(r.baseline_mean, r.unit)}</td>"
                        f"<td class='num'>{_fmt(r.what_if_mean, r.unit)}</td><td class='num {v}'>{_e(_fmt_diff(r))}{unit}</td>"
                        f"<td class='num'>{r.changed_reps} of {r.reps}</td></tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _matrix_table(mf: pd.DataFrame) -> str:
    trusts = list(dict.fromkeys(mf.trust))
    head = "<tr><th>what-if</th>" + "".join(f"<th>{_e(t)}</th>" for t in trusts) + "</tr>"
    body = []
    for title, sub in mf.groupby("title", sort=False):
        cells = []
        for t in trusts:
            r = sub[sub.trust == t].iloc[0]
            cls = "better" if r.reach_ci_low > 0 else ("worse" if r.reach_ci_high < 0 else "unclear")
            cells.append(f"<td class='num {cls}'>reach {signed(r.reach_diff, 1)} [{signed(r.reach_ci_low, 1)}, {signed(r.reach_ci_high, 1)}]<br>"
                         f"trust-wide chance {signed(r.trustwide_chance_diff, 0)} [{signed(r.trustwide_chance_ci_low, 0)}, {signed(r.trustwide_chance_ci_high, 0)}]</td>")
        body.append(f"<tr><td>{_e(title)}</td>{''.join(cells)}</tr>")
    base = ("<tr><td><i>baseline</i></td>" + "".join(
        f"<td class='num'>reach {mf[mf.trust == t].reach_baseline.iloc[0]:.0f}%<br>trust-wide chance "
        f"{mf[mf.trust == t].trustwide_chance_baseline.iloc[0]:.0f}%</td>" for t in trusts) + "</tr>")
    return f"<table>{head}{base}{''.join(body)}</table>"


def best_levers(mf: pd.DataFrame) -> dict[str, str]:
    """Per trust, a sentence naming the what-if that moves reach (else adoption) most."""
    out = {}
    for t, sub in mf.groupby("trust", sort=False):
        top = sub.sort_values(["reach_diff", "trustwide_chance_diff", "adoption_diff"], ascending=False).iloc[0]
        ad = sub.sort_values("adoption_diff", ascending=False).iloc[0]
        adoption = (f"the largest change in trust-wide adoption is from {ad.title.lower()} "
                    f"({signed(ad.adoption_diff, 1)} points, 95% interval {signed(ad.adoption_ci_low, 1)} to {signed(ad.adoption_ci_high, 1)})")
        if top.reach_ci_low > 0:
            out[t] = (f"In {t}, the biggest effect comes from {top.title.lower()}: reach beyond the pilots "
                      f"{pct(top.reach_baseline)} -> {pct(top.reach_what_if)} ({signed(top.reach_diff, 1)} points, 95% interval "
                      f"{signed(top.reach_ci_low, 1)} to {signed(top.reach_ci_high, 1)}); chance of trust-wide spread "
                      f"{top.trustwide_chance_baseline:.0f}% -> {top.trustwide_chance_what_if:.0f}%.")
        elif top.reach_baseline >= 99:
            out[t] = (f"In {t}, gains already spread trust-wide in the baseline (reach {top.reach_baseline:.0f}%), "
                      f"so no lever can add reach; {adoption}.")
        elif (sub.reach_diff.abs() < 1e-9).all():
            out[t] = (f"In {t}, no single lever moves reach beyond the pilots from {top.reach_baseline:.0f}%: the trust "
                      f"is far from its tipping point; {adoption}.")
        else:
            out[t] = (f"In {t}, no single lever clearly raises reach beyond the pilots from {top.reach_baseline:.0f}% "
                      f"(largest: {top.title.lower()}, {signed(top.reach_diff, 1)} points, 95% interval "
                      f"{signed(top.reach_ci_low, 1)} to {signed(top.reach_ci_high, 1)}); {adoption}.")
    return out


HOW_TO_READ = """
<div class="box"><b>How to read this report.</b>
<ul>
<li>Each what-if is simulated {reps} times beside the unchanged scenario (the <i>baseline</i>). Run <i>i</i> of every
arm uses exactly the same random numbers (common random numbers): the same staff leave in the same weeks, the same
chance encounters happen. So the difference between a what-if run and its baseline run is due to the what-if alone,
and a what-if that changes nothing gives exactly zero difference.</li>
<li>Differences are <b>what-if minus baseline</b>, averaged over the paired runs, with a 95% interval: ranges like
"+4 to +12 points" mean the model's own randomness cannot explain the effect away. An interval that includes zero means
no clear effect at this number of runs. "Points" are percentage points.</li>
<li><b>Chance of trust-wide spread</b> is the share of runs ending in the <i>trust-wide</i> regime (reach beyond the pilots at
or above the scenario's threshold, 50% by default). It is a yes/no outcome, so with {reps} runs it moves in steps of
{step:.1f} points and its interval (Tango's paired score method) is wide; <b>reach</b> and <b>adoption</b> are smooth
versions of the same question.</li>
<li>This is a model, not a forecast. Its trusts are built from a published evaluation and public records, with many
assumed levels. The model tips sharply: one change can move a trust near the boundary a long way and a trust far
from it not at all. Use it to compare levers and see where they act, not to predict a number.</li>
</ul></div>
"""


def render_html(comps: list[Comparison], *, matrix: bool, manifest: dict, mf: pd.DataFrame | None) -> str:
    """The self-contained HTML report: findings, figures, tables, how to read them, what each what-if changes, run details."""
    reps = comps[0].baseline.summaries.shape[0]
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<title>What-if report: {_e(', '.join(c.label for c in comps))}</title>",
             f"<style>{CSS}</style></head><body>"]
    if matrix:
        parts.append(f"<h1>What if the trusts had followed the recommendations?</h1>"
                     f"<p class='lede'>{len(comps)} scenarios &times; {len(comps[0].whatifs)} what-ifs, "
                     f"{reps} paired runs per arm. Generated {_e(manifest['generated'])}.</p>")
    else:
        c = comps[0]
        parts.append(f"<h1>What if&hellip; {_e(c.label)}</h1>"
                     f"<p class='lede'>{len(c.whatifs)} what-if(s) against the <code>{_e(c.scenario)}</code> scenario, "
                     f"{reps} paired runs per arm, {c.params.organisation.staff} staff, {c.params.run.weeks if manifest.get('weeks') is None else manifest['weeks']} weeks. "
                     f"Generated {_e(manifest['generated'])}.</p>")
    parts.append("<h2>Key findings</h2>")
    if matrix and mf is not None:
        for s in best_levers(mf).values():
            parts.append(f"<p class='finding'>{_e(s)}</p>")
        parts.append(_fig(_png(heatmap_figure(mf)), "Recommendation x trust heatmap: paired difference in the chance of trust-wide spread and in reach beyond the pilots."))
        parts.append("<h3>The matrix as numbers (percentage points, paired difference [95% interval])</h3>")
        parts.append(_matrix_table(mf))
    for c in comps:
        if matrix:
            parts.append(f"<h2>{_e(c.label)}</h2>")
        for w in c.whatifs:
            parts.append(f"<p class='finding'>{_e(c.sentences[w.name])}</p>")
        parts.append(_fig(_png(effect_figure(c)), f"{c.label}: effect of each what-if with 95% intervals."))
        if matrix:
            parts.append(_fig(_png(matrix_trajectory_figure(c)), f"{c.label}: reach over time, baseline vs each what-if."))
        else:
            parts.append(_fig(_png(trajectory_figure(c)), f"{c.label}: outcome trajectories, baseline vs each what-if."))
        parts.append("<h3>All outcomes</h3>")
        parts.append(_outcome_table(c))
    parts.append(HOW_TO_READ.format(reps=reps, step=100 / reps))
    parts.append("<h2>What each what-if changes</h2>")
    parts.append(_whatif_list(comps))
    parts.append("<h2>Run details</h2><table>")
    for k in ("command_line", "root_seed", "reps", "weeks", "elapsed_s", "git_commit"):
        parts.append(f"<tr><th>{_e(k)}</th><td><code>{_e(manifest.get(k))}</code></td></tr>")
    parts.append("</table><p class='small'>Files beside this report: comparison.csv (every outcome, every what-if), "
                 + ("matrix.csv (what-if x trust), " if matrix else "")
                 + "replicates.csv (every run), trajectories.csv (weekly mean and 10-90% band), run.json (manifest: "
                 "parameters of every arm, seeds, versions).</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this report."""
    parts = ["spread", "compare", *map(str, args.scenarios)]
    if args.matrix:
        parts.append("--matrix")
    if args.teaching:
        parts.append("--teaching")
    if args.whatifs:
        parts += ["--what-if", *map(str, args.whatifs)]
    parts += ["--reps", str(args.reps), "--seed", str(args.seed)]
    if args.weeks:
        parts += ["--weeks", str(args.weeks)]
    for o in args.overrides:
        parts += ["--set", o]
    if args.out:
        parts += ["--out", str(args.out)]
    return " ".join(parts)


def write_report(folder: Path, comps: list[Comparison], *, args: argparse.Namespace, elapsed: float,
                 matrix: bool) -> None:
    """Write comparison.csv, matrix.csv (with ``matrix``), replicates.csv, trajectories.csv, run.json and report.html."""
    from model.report import write_manifest
    reps = comps[0].baseline.summaries.shape[0]
    mf = matrix_frame(comps) if matrix else None
    rows = pd.concat([c.rows for c in comps], ignore_index=True)
    rows.to_csv(folder / "comparison.csv", index=False)
    if mf is not None:
        mf.to_csv(folder / "matrix.csv", index=False)
    replicates_frame(comps).to_csv(folder / "replicates.csv", index=False)
    trajectories_frame(comps).to_csv(folder / "trajectories.csv", index=False)
    from model.seeds import replicate_seeds
    manifest = {
        "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command_line": command_line(args),
        "root_seed": args.seed, "reps": reps, "weeks": args.weeks, "elapsed_s": round(elapsed, 2),
    }
    write_manifest(folder, command="compare", matrix=matrix, generated=manifest["generated"],
                   command_line=manifest["command_line"], root_seed=args.seed, reps=reps, weeks=args.weeks,
                   seeds=replicate_seeds(args.seed, reps), overrides=args.overrides, elapsed_s=manifest["elapsed_s"],
                   common_random_numbers="replicate i of every arm uses seeds[i]",
                   whatifs={w.name: {"title": w.title, "description": w.description, "source": w.source,
                                     "path": w.path, "changes": {k: list(v) for k, v in w.changes.items()}}
                            for w in comps[0].whatifs},
                   scenarios={c.scenario: {"source": c.params.source, "params": c.params.to_dict(),
                                           "effective_changes": {w: {k: list(v) for k, v in e.items()}
                                                                 for w, e in c.effective.items()}}
                              for c in comps})
    import json
    manifest["git_commit"] = json.loads((folder / "run.json").read_text()).get("git_commit")
    (folder / "report.html").write_text(render_html(comps, matrix=matrix, manifest=manifest, mf=mf), encoding="utf-8")


# ---------------------------------------------------------------------------
# terminal
# ---------------------------------------------------------------------------
def print_summary(comps: list[Comparison], *, matrix: bool, elapsed: float, reps: int) -> None:
    """Print the comparison: each what-if's sentence and paired differences, or (``matrix``) reach per trust and lever."""
    w = 200
    if matrix:
        mf = matrix_frame(comps)
        print(f"What-if matrix: {len(comps)} scenarios x {len(comps[0].whatifs)} what-ifs, {reps} paired runs per arm "
              f"({elapsed:.1f} s)")
        print("Change in reach beyond the pilots, percentage points [95% interval] (* = clear):")
        t = mf.assign(cell=[f"{signed(r.reach_diff):>5s} [{signed(r.reach_ci_low, 1)},{signed(r.reach_ci_high, 1)}]"
                            + ("*" if r.reach_ci_low > 0 or r.reach_ci_high < 0 else " ") for r in mf.itertuples()])
        table = t.pivot(index="title", columns="scenario", values="cell").loc[list(dict.fromkeys(mf.title)),
                                                                              list(dict.fromkeys(mf.scenario))]
        base = mf.groupby("scenario", sort=False).reach_baseline.first()
        table.loc["(baseline reach %)"] = [f"{base[s]:.0f}" for s in table.columns]
        with pd.option_context("display.width", w, "display.max_columns", 20, "display.max_colwidth", 40):
            print(table.to_string())
        for s in best_levers(mf).values():
            print("  " + s)
        return
    c = comps[0]
    print(f"{c.label}: {len(c.whatifs)} what-if(s), {reps} paired runs per arm ({elapsed:.1f} s)")
    for wi in c.whatifs:
        print("  - " + c.sentences[wi.name])
    t = c.rows[c.rows.outcome.isin(["trustwide", "reach_final", "adoption_trust_final", "lead_time_change_rest_final"])]
    t = t.assign(cell=[_fmt_diff(r) for _, r in t.iterrows()])
    table = t.pivot(index="title", columns="label", values="cell").loc[[x.title for x in c.whatifs]]
    print("Paired differences (what-if minus baseline, percentage points) [95% interval]:")
    with pd.option_context("display.width", w, "display.max_columns", 20, "display.max_colwidth", 40):
        print(table.to_string())
