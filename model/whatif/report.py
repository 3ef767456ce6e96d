"""The what-if report: a self-contained HTML file (figures embedded as base64
PNG, no external asset, readable when emailed), the numbers as CSV beside it
(linked from the page), a run manifest, and a short terminal summary.

The page leads with its answer: a bottom line naming the lever that matters
in the trust (or trusts) compared, then findings, figures and tables. Every
effect plot shares one axis across its panels, so a tenth of a point never
looks as wide as thirty points, and an effect whose whole 95% interval lies
within +-``NEGLIGIBLE`` points is marked negligible."""

from __future__ import annotations

import textwrap
import time
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402

from model import report_page as page  # noqa: E402
from model.whatif.compare import OUTCOMES, TRAJECTORIES, Comparison  # noqa: E402
from model.whatif.wording import pct, signed  # noqa: E402

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

BASE_COLOR = "#7f8c8d"
WI_COLOR = "#1f6fb2"
GOOD, BAD, NEUTRAL, FAINT = "#1e8449", "#c0392b", "#7f8c8d", "#b3b3b3"
VERDICT_COLOR = {"better": GOOD, "worse": BAD, "unclear": NEUTRAL, "negligible": FAINT}

#: An effect is negligible when its whole 95% interval lies within this many
#: percentage points of zero (sustainment, a ratio, in points of the ratio x 100):
#: half a point of reach or adoption is below anything a trust could notice, and
#: the differences that fall inside it are noise or rounding.
NEGLIGIBLE = 0.5

TRAJ_PANELS = (("reach", "reach beyond the pilots (% of units)", 100),
               ("adoption_trust", "trust-wide adoption (% of staff)", 100),
               ("lead_time_change_rest", "non-pilot lead-time change (%)", 100))

CLIPPED_NOTE = ("&dagger; This interval is cut at the most the outcome can move: a share cannot rise above 100% "
                "or fall below 0%, so from a baseline reach of 98% no what-if can add more than 2 points. The "
                "interval's end is then that limit, and the estimate often sits on it too (every paired run rose "
                "as far as it could), as in &ldquo;+1.7 [-1.0, +1.7]&rdquo;.")


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------
def _to_points(unit: str) -> float:
    """Report units to percentage points: '%' outcomes already are; a ratio (sustainment) x 100."""
    return 1.0 if unit == "%" else 100.0


def negligible(row) -> bool:
    """No paired run changed, or the whole 95% interval lies within +-NEGLIGIBLE points of zero."""
    f = _to_points(row["unit"])
    return row["changed_reps"] == 0 or max(abs(row["ci_low"]), abs(row["ci_high"])) * f <= NEGLIGIBLE


def _verdict(row) -> str:
    """'negligible', 'better', 'worse' or 'unclear' from the interval and the outcome's good direction."""
    if negligible(row):
        return "negligible"
    if row["ci_low"] > 0:
        up = True
    elif row["ci_high"] < 0:
        up = False
    else:
        return "unclear"
    return "better" if up == (row["better"] == "higher") else "worse"


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def effect_figure(comp: Comparison) -> plt.Figure:
    """Paired differences with 95% intervals: one panel per outcome, one row per what-if, one shared x axis
    in percentage points, the negligible band shaded and negligible effects labelled."""
    df = comp.rows
    titles = [_wrap(w.title, 28) for w in comp.whatifs]
    names = [w.name for w in comp.whatifs]
    n = len(names)
    reps = int(df.reps.iloc[0])
    f = df.unit.map(_to_points)
    lo_all = float(min((df.ci_low * f).min(), df.difference.mul(f).min(), -2.0))
    hi_all = float(max((df.ci_high * f).max(), df.difference.mul(f).max(), 2.0))
    pad = 0.08 * (hi_all - lo_all)
    fig, axes = plt.subplots(2, 3, figsize=(12, 2.4 + 0.55 * n * 2), constrained_layout=True,
                             sharex=True, sharey=True)
    y = np.arange(n)[::-1]
    for ax, (col, label, scale, unit, better) in zip(axes.flat, OUTCOMES):
        k = _to_points(unit)
        sub = df[df.outcome == col].set_index("what_if").loc[names]
        ax.axvspan(-NEGLIGIBLE, NEGLIGIBLE, color="#ececec", zorder=0, lw=0)
        for yi, (_, r) in zip(y, sub.iterrows()):
            v = _verdict(r)
            c = VERDICT_COLOR[v]
            ax.plot([r.ci_low * k, r.ci_high * k], [yi, yi], color=c, lw=2.5, solid_capstyle="butt")
            ax.plot([r.difference * k], [yi], "o", color=c, ms=6, mfc="white" if v == "negligible" else c)
            if v == "negligible":
                ax.text(NEGLIGIBLE + 0.02 * (hi_all - lo_all), yi - 0.12,
                        "negligible" if r.changed_reps else "negligible: no run changed", fontsize=8.5,
                        color="#555", va="top", ha="left")
            if r.ci_clipped:
                ax.text(r.ci_high * k if r.ci_high * k >= hi_all - 1e-9 or r.difference >= 0 else r.ci_low * k,
                        yi + 0.18, "\u2020", fontsize=10, ha="center", va="bottom", color=c)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, titles, fontsize=9)
        ax.set_ylim(-0.6, n - 0.4)
        arrow = "higher is better" if better == "higher" else "lower is better"
        name = "sustainment (end as % of peak adoption)" if col == "sustainment" else label
        ax.set_title(f"{name}\n({arrow})", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=9)
    axes[0, 0].set_xlim(lo_all - pad, hi_all + pad)
    for ax in axes[1]:
        ax.set_xlabel("what-if minus baseline (percentage points)", fontsize=9)
    fig.suptitle(f"{comp.title}: effect of each what-if over {reps} paired runs\n"
                 f"dot = paired difference, bar = 95% interval; green clearly better, red clearly worse, grey unclear\n"
                 f"shaded band = negligible (within \u00b1{NEGLIGIBLE:g} points); "
                 f"\u2020 = interval cut at what is possible (a share cannot pass 0% or 100%)", fontsize=10)
    return fig


def trajectory_figure(comp: Comparison) -> plt.Figure:
    """Baseline vs each what-if over time: mean and 10-90% band over replicates."""
    n = len(comp.whatifs)
    # one y scale down each column: a hundredth of a point must not look like ten points
    fig, axes = plt.subplots(n, 3, figsize=(12, 1.0 + 2.4 * n), constrained_layout=True, squeeze=False,
                             sharex=True, sharey="col")
    base = comp.baseline.weekly
    for i, wi in enumerate(comp.whatifs):
        arm = comp.arms[wi.name].weekly
        for j, (col, label, scale) in enumerate(TRAJ_PANELS):
            ax = axes[i, j]
            for w, color, lab in ((base, BASE_COLOR, "baseline"), (arm, WI_COLOR, _wrap(wi.title, 30))):
                x = w[col].astype(float) * scale
                t = np.arange(x.shape[1])
                lo, hi = np.percentile(x, [10, 90], axis=0)
                ax.fill_between(t, lo, hi, color=color, alpha=0.2, lw=0)
                ax.plot(t, x.mean(axis=0), color=color, lw=1.6, label=lab)
            if j == 0:
                ax.set_ylabel(_wrap(wi.title, 22), fontsize=9)
            if i == 0:
                ax.set_title(label, fontsize=10)
            if i == n - 1:
                ax.set_xlabel("week", fontsize=9)
            if col == "lead_time_change_rest":
                ax.axhline(0, color="black", lw=0.6)
            else:
                ax.set_ylim(-2, 102)
            ax.tick_params(labelsize=9)
            if j == 2:
                ax.legend(frameon=False, fontsize=8, loc="lower left")
    fig.suptitle(f"{comp.title}: baseline (grey) vs what-if (blue), mean and 10-90% band over "
                 f"{comp.baseline.summaries.shape[0]} paired runs", fontsize=11)
    return fig


def matrix_frame(comps: list[Comparison]) -> pd.DataFrame:
    """One row per what-if and scenario, in report units.

    For the chance of trust-wide spread, reach, trust-wide adoption and
    non-pilot lead time: baseline and what-if means, the paired difference,
    its 95% interval, whether the interval was cut at what is possible and
    how many paired runs changed. ``trust_title`` is the trust's name with
    its size, ``staff`` its headcount.
    """
    rows = []
    for c in comps:
        for w in c.whatifs:
            sub = c.rows[c.rows.what_if == w.name].set_index("outcome")
            row = {"what_if": w.name, "title": w.title, "scenario": c.scenario, "trust": c.label,
                   "trust_title": c.title or c.label, "staff": c.params.organisation.staff,
                   "changes_here": "; ".join(f"{k}: {o!r} -> {n!r}" for k, (o, n) in c.effective[w.name].items()) or "none"}
            for col, short in (("trustwide", "trustwide_chance"), ("reach_final", "reach"),
                               ("adoption_trust_final", "adoption"), ("lead_time_change_rest_final", "lead_time_rest")):
                r = sub.loc[col]
                row[f"{short}_baseline"] = r.baseline_mean
                row[f"{short}_what_if"] = r.what_if_mean
                row[f"{short}_diff"] = r.difference
                row[f"{short}_ci_low"] = r.ci_low
                row[f"{short}_ci_high"] = r.ci_high
                row[f"{short}_clipped"] = bool(r.ci_clipped)
                row[f"{short}_changed"] = int(r.changed_reps)
            row["reps"] = int(sub.loc["reach_final"].reps)
            rows.append(row)
    return pd.DataFrame(rows)


def _sizes_phrase(mf: pd.DataFrame) -> str:
    """'600-staff teaching versions' when every trust is one, else ''."""
    teaching = mf.drop_duplicates("trust").trust_title.str.contains("teaching version")
    staff = mf.drop_duplicates("trust").staff
    if teaching.all() and staff.nunique() == 1:
        return f"{int(staff.iloc[0]):,}-staff teaching versions"
    return ""


def heatmap_figure(mf: pd.DataFrame) -> plt.Figure:
    """Recommendation x trust: change in the chance of trust-wide spread, in reach and in trust-wide
    adoption (points), one panel above another, all on one colour scale, every panel labelled."""
    whatifs = list(dict.fromkeys(mf.title))
    trusts = list(dict.fromkeys(mf.trust))
    first = mf.drop_duplicates("trust").set_index("trust")
    sizes = _sizes_phrase(mf)
    xlabels = [_wrap(t, 18) + ("" if sizes else f"\n({int(first.staff[t]):,} staff"
                                + (", teaching)" if "teaching version" in first.trust_title[t] else ")"))
               for t in trusts]
    panels = (("trustwide_chance", "chance of trust-wide spread"), ("reach", "reach beyond the pilots"),
              ("adoption", "trust-wide adoption"))
    grids = {}
    for short, _ in panels:
        grids[short] = {k: mf.pivot(index="title", columns="trust", values=f"{short}_{k}").loc[whatifs, trusts].to_numpy()
                        for k in ("diff", "ci_low", "ci_high", "changed")}
    vmax = max(5.0, max(float(np.nanmax(np.abs(g["diff"]))) for g in grids.values()))
    height = 1.3 + 0.42 * len(whatifs)
    fig, axes = plt.subplots(3, 1, figsize=(3.6 + 1.6 * len(trusts), 3 * height + 1.2), constrained_layout=True)
    ylabels = [_wrap(w, 30) for w in whatifs]
    for ax, (short, label) in zip(axes, panels):
        g = grids[short]
        d, lo, hi, changed = g["diff"], g["ci_low"], g["ci_high"], g["changed"]
        im = ax.imshow(d, cmap="RdBu", norm=TwoSlopeNorm(0, -vmax, vmax), aspect="auto")
        for i in range(d.shape[0]):
            for j in range(d.shape[1]):
                clear = lo[i, j] > 0 or hi[i, j] < 0
                tiny = max(abs(lo[i, j]), abs(hi[i, j])) <= NEGLIGIBLE
                if changed[i, j] == 0:
                    txt, clear = "0", False  # no run changed at all
                elif tiny:
                    txt, clear = "\u22480", False  # negligible
                else:
                    txt = (f"{d[i, j]:+.0f}" if abs(d[i, j]) >= 1 else f"{d[i, j]:+.1f}") + ("" if clear else "?")
                ax.text(j, i, txt, ha="center", va="center", fontsize=10,
                        fontweight="bold" if clear else "normal",
                        color="white" if abs(d[i, j]) > 0.6 * vmax else "black")
        ax.set_xticks(range(len(trusts)), xlabels, fontsize=9)
        ax.set_yticks(range(len(whatifs)), ylabels, fontsize=9)
        ax.set_title(f"change in {label} (percentage points)", fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.9, pad=0.01).ax.tick_params(labelsize=8)
    fig.suptitle("Which lever matters where" + (f" ({sizes})" if sizes else "")
                 + ": paired difference, what-if minus baseline\n"
                 "bold = 95% interval excludes zero; '?' = unclear; \u22480 = negligible "
                 f"(within \u00b1{NEGLIGIBLE:g} points); 0 = no run changed", fontsize=10)
    return fig


def matrix_trajectory_figure(comp: Comparison) -> plt.Figure:
    """Small multiples of reach over time, one panel per what-if, for one trust."""
    n = len(comp.whatifs)
    cols = min(4, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.4 * rows + 0.7), constrained_layout=True,
                             squeeze=False, sharey=True, sharex=True)
    base = comp.baseline.weekly["reach"].astype(float) * 100
    t = np.arange(base.shape[1])
    for k, wi in enumerate(comp.whatifs):
        ax = axes.flat[k]
        arm = comp.arms[wi.name].weekly["reach"].astype(float) * 100
        for x, color in ((base, BASE_COLOR), (arm, WI_COLOR)):
            lo, hi = np.percentile(x, [10, 90], axis=0)
            ax.fill_between(t, lo, hi, color=color, alpha=0.2, lw=0)
            ax.plot(t, x.mean(axis=0), color=color, lw=1.5)
        ax.set_title(_wrap(wi.title, 30), fontsize=9)
        ax.set_ylim(-2, 102)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    for k in range(n):  # the lowest panel of each column shows its weeks, even above an empty slot
        if k + cols >= n:
            axes.flat[k].xaxis.set_tick_params(labelbottom=True)
            axes.flat[k].set_xlabel("week", fontsize=8)
    fig.suptitle(_wrap(f"{comp.title}: reach beyond the pilots (% of units) by week; baseline grey, what-if blue "
                       "(mean, 10-90% band)", 28 * cols), fontsize=10)
    return fig


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
    """Difference [interval]; more decimals when everything is small (never '0 [0, 0]' for a clear effect);
    a dagger where the interval was cut at what is possible."""
    nd = 1 if r["unit"] == "%" else 3
    if r["changed_reps"] and max(abs(r["difference"]), abs(r["ci_low"]), abs(r["ci_high"])) < 10 ** -nd * 0.5:
        nd += 2
    mark = "\u2020" if r.get("ci_clipped", False) else ""
    return f"{signed(r['difference'], nd)} [{signed(r['ci_low'], nd)}, {signed(r['ci_high'], nd)}]{mark}"


# ---------------------------------------------------------------------------
# the answer in words
# ---------------------------------------------------------------------------
def _clear_up(r, short: str) -> bool:
    """The what-if clearly raises ``short`` (interval above zero and not negligible)."""
    return bool(r[f"{short}_ci_low"] > 0 and max(abs(r[f"{short}_ci_low"]), abs(r[f"{short}_ci_high"])) > NEGLIGIBLE)


def _clear_down(r, short: str) -> bool:
    return bool(r[f"{short}_ci_high"] < 0 and max(abs(r[f"{short}_ci_low"]), abs(r[f"{short}_ci_high"])) > NEGLIGIBLE)


def _tiny(r, short: str) -> bool:
    return bool(r[f"{short}_changed"] == 0 or max(abs(r[f"{short}_ci_low"]), abs(r[f"{short}_ci_high"])) <= NEGLIGIBLE)


def _ranked(sub: pd.DataFrame) -> pd.DataFrame:
    """What-ifs of one trust, those that clearly raise reach first (largest rise first), then those that
    clearly raise trust-wide adoption, then the rest."""
    tier = [0 if _clear_up(r, "reach") else 1 if _clear_up(r, "adoption") else 2 for _, r in sub.iterrows()]
    return (sub.assign(_tier=tier).sort_values(["_tier", "reach_diff", "adoption_diff"], ascending=[True, False, False])
            .drop(columns="_tier"))


def _effect_words(r) -> str:
    """The lever's main effect in a reader's words, with its interval."""
    if _clear_up(r, "reach"):
        return (f"reach beyond the pilots {pct(r.reach_baseline)} \u2192 {pct(r.reach_what_if)} "
                f"({signed(r.reach_diff, 1)} points, 95% interval {signed(r.reach_ci_low, 1)} to "
                f"{signed(r.reach_ci_high, 1)}), chance of trust-wide spread {r.trustwide_chance_baseline:.0f}% "
                f"\u2192 {r.trustwide_chance_what_if:.0f}%")
    return (f"trust-wide adoption {pct(r.adoption_baseline)} \u2192 {pct(r.adoption_what_if)} "
            f"({signed(r.adoption_diff, 1)} points, 95% interval {signed(r.adoption_ci_low, 1)} to "
            f"{signed(r.adoption_ci_high, 1)}), while reach beyond the pilots stays about {pct(r.reach_baseline)}")


def _names(titles: list[str]) -> str:
    t = [x[0].lower() + x[1:] for x in titles]
    return t[0] if len(t) == 1 else ", ".join(t[:-1]) + " and " + t[-1]


def trust_bottom_line(sub: pd.DataFrame) -> str:
    """Which lever matters in one trust, in plain words: the one that moves it most, the others that help
    clearly, those whose effect is unclear, negligible or harmful."""
    ranked = _ranked(sub)
    helps = [r for _, r in ranked.iterrows() if _clear_up(r, "reach") or _clear_up(r, "adoption")]
    hurts = [r.title for _, r in sub.iterrows()
             if not (_clear_up(r, "reach") or _clear_up(r, "adoption"))
             and (_clear_down(r, "reach") or _clear_down(r, "adoption"))]
    tiny = [r.title for _, r in sub.iterrows()
            if all(_tiny(r, k) for k in ("reach", "adoption", "trustwide_chance"))]
    unclear = [r.title for _, r in sub.iterrows() if r.title not in tiny and r.title not in hurts
               and not any(r.title == h.title for h in helps)]
    base = ranked.iloc[0]
    who = base.trust_title
    parts = []
    if helps:
        top = helps[0]
        parts.append(f"In {who}, {top.title[0].lower() + top.title[1:]} matters most: {_effect_words(top)}.")
        if len(helps) > 1:
            parts.append(f"Also clearly helpful: {_names([h.title for h in helps[1:]])}.")
    elif base.reach_baseline >= 99:
        parts.append(f"In {who}, gains already spread trust-wide without any what-if (reach "
                     f"{base.reach_baseline:.0f}%), and no lever clearly adds to trust-wide adoption.")
    else:
        parts.append(f"In {who}, no what-if clearly moves reach beyond the pilots (now {pct(base.reach_baseline)}) "
                     f"or trust-wide adoption (now {pct(base.adoption_baseline)}) at {int(base.reps)} paired runs.")
    if unclear:
        parts.append(f"Unclear at this number of runs: {_names(unclear)}.")
    if tiny:
        parts.append(f"Negligible here: {_names(tiny)}.")
    if hurts:
        parts.append(f"Clearly worse: {_names(hurts)}.")
    return " ".join(parts)


def bottom_line(mf: pd.DataFrame) -> str:
    """The report's answer, first on the page: for one trust its ``trust_bottom_line``; for several, the
    lever that leads in most trusts and where none does."""
    trusts = list(dict.fromkeys(mf.trust))
    if len(trusts) == 1:
        return trust_bottom_line(mf)
    # trusts grouped by what their leading what-if does there, so five trusts read as two or three sentences
    groups: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for t in trusts:
        top = _ranked(mf[mf.trust == t]).iloc[0]
        if _clear_up(top, "reach"):
            kind, size = "reach", top.reach_diff
        elif top.reach_baseline >= 99:
            kind, size = ("saturated", top.adoption_diff) if _clear_up(top, "adoption") else ("saturated-none", 0.0)
        elif _clear_up(top, "adoption"):
            kind, size = "adoption", top.adoption_diff
        else:
            kind, size = "none", 0.0
        groups.setdefault((kind, top.title if kind not in ("none", "saturated-none") else ""), []).append((t, size))

    def where(members) -> str:
        names = [m[0] for m in members]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    def points(members) -> str:
        v = sorted(m[1] for m in members)
        return f"{signed(v[0], 1)} points" if len(v) == 1 else f"{signed(v[0], 1)} to {signed(v[-1], 1)} points"

    order = {"reach": 0, "adoption": 1, "saturated": 2, "saturated-none": 3, "none": 4}
    parts = []
    for (kind, title), members in sorted(groups.items(), key=lambda kv: (order[kv[0][0]], -len(kv[1]))):
        lever = title[0].lower() + title[1:] if title else ""
        many = len(members) > 1
        if kind == "reach":
            parts.append(f"In {where(members)}, {lever} does most for reach beyond the pilots ({points(members)}).")
        elif kind == "adoption":
            parts.append(f"In {where(members)} no what-if clearly moves reach beyond the pilots; {lever} raises "
                         f"trust-wide adoption most ({points(members)}).")
        elif kind == "saturated":
            parts.append(f"{where(members)} already spread{'' if many else 's'} trust-wide without any what-if; "
                         f"there {lever} adds most to trust-wide adoption ({points(members)}).")
        elif kind == "saturated-none":
            parts.append(f"{where(members)} already spread{'' if many else 's'} trust-wide without any what-if, "
                         "and no what-if clearly adds to it.")
        else:
            parts.append(f"In {where(members)} no single what-if clearly moves reach or adoption: "
                         f"{'they are' if many else 'it is'} far from a tipping point, or the runs are too few to tell.")
    sizes = _sizes_phrase(mf)
    if sizes:
        parts.append(f"These are the trusts' {sizes}: their cultures at a classroom's size, not their real "
                     "headcounts, and a small trust tips more easily.")
    return " ".join(parts)


def best_levers(mf: pd.DataFrame) -> dict[str, str]:
    """Per trust, a sentence naming the what-if that moves reach (else adoption) most."""
    out = {}
    for t, sub in mf.groupby("trust", sort=False):
        top = sub.sort_values(["reach_diff", "trustwide_chance_diff", "adoption_diff"], ascending=False).iloc[0]
        ad = sub.sort_values("adoption_diff", ascending=False).iloc[0]
        who = top.trust_title
        adoption = (f"the largest change in trust-wide adoption is from {ad.title.lower()} "
                    f"({signed(ad.adoption_diff, 1)} points, 95% interval {signed(ad.adoption_ci_low, 1)} to {signed(ad.adoption_ci_high, 1)})")
        if top.reach_ci_low > 0:
            out[t] = (f"In {who}, the biggest effect comes from {top.title.lower()}: reach beyond the pilots "
                      f"{pct(top.reach_baseline)} -> {pct(top.reach_what_if)} ({signed(top.reach_diff, 1)} points, 95% interval "
                      f"{signed(top.reach_ci_low, 1)} to {signed(top.reach_ci_high, 1)}); chance of trust-wide spread "
                      f"{top.trustwide_chance_baseline:.0f}% -> {top.trustwide_chance_what_if:.0f}%.")
        elif top.reach_baseline >= 99:
            out[t] = (f"In {who}, gains already spread trust-wide in the baseline (reach {top.reach_baseline:.0f}%), "
                      f"so no lever can add reach; {adoption}.")
        elif (sub.reach_diff.abs() < 1e-9).all():
            out[t] = (f"In {who}, no single lever moves reach beyond the pilots from {top.reach_baseline:.0f}%: the trust "
                      f"is far from its tipping point; {adoption}.")
        else:
            out[t] = (f"In {who}, no single lever clearly raises reach beyond the pilots from {top.reach_baseline:.0f}% "
                      f"(largest: {top.title.lower()}, {signed(top.reach_diff, 1)} points, 95% interval "
                      f"{signed(top.reach_ci_low, 1)} to {signed(top.reach_ci_high, 1)}); {adoption}.")
    return out


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------
_e = page.escape


def _whatif_list(comps: list[Comparison]) -> str:
    wis = comps[0].whatifs
    items = []
    for w in wis:
        eff = []
        for c in comps:
            e = c.effective[w.name]
            txt = "; ".join(f"{k} {o!r} &rarr; {n!r}" for k, (o, n) in e.items()) if e else "nothing (already at these levels)"
            eff.append(f"<li>{_e(c.title or c.label)}: <code>{txt}</code></li>")
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
            note = " (negligible)" if v == "negligible" else ""
            body.append(f"<tr>{first}<td>{_e(r.label)}</td><td class='num'>{_fmt(r.baseline_mean, r.unit)}</td>"
                        f"<td class='num'>{_fmt(r.what_if_mean, r.unit)}</td><td class='num {v}'>{_e(_fmt_diff(r))}{unit}{note}</td>"
                        f"<td class='num'>{r.changed_reps} of {r.reps}</td></tr>")
    foot = f"<p class='small'>{CLIPPED_NOTE}</p>" if c.rows.ci_clipped.any() else ""
    return f"<table>{head}{''.join(body)}</table>{foot}"


def _matrix_table(mf: pd.DataFrame) -> str:
    trusts = list(dict.fromkeys(mf.trust))
    titles = mf.drop_duplicates("trust").set_index("trust").trust_title
    head = "<tr><th>what-if</th>" + "".join(f"<th>{_e(titles[t])}</th>" for t in trusts) + "</tr>"
    body = []
    dag = lambda clipped: "&dagger;" if clipped else ""  # noqa: E731
    for title, sub in mf.groupby("title", sort=False):
        cells = []
        for t in trusts:
            r = sub[sub.trust == t].iloc[0]
            cls = ("negligible" if _tiny(r, "reach") else "better" if r.reach_ci_low > 0
                   else "worse" if r.reach_ci_high < 0 else "unclear")
            cells.append(f"<td class='num {cls}'>reach {signed(r.reach_diff, 1)} [{signed(r.reach_ci_low, 1)}, {signed(r.reach_ci_high, 1)}]{dag(r.reach_clipped)}<br>"
                         f"trust-wide chance {signed(r.trustwide_chance_diff, 0)} [{signed(r.trustwide_chance_ci_low, 0)}, {signed(r.trustwide_chance_ci_high, 0)}]{dag(r.trustwide_chance_clipped)}</td>")
        body.append(f"<tr><td>{_e(title)}</td>{''.join(cells)}</tr>")
    base = ("<tr><td><i>baseline</i></td>" + "".join(
        f"<td class='num'>reach {mf[mf.trust == t].reach_baseline.iloc[0]:.0f}%<br>trust-wide chance "
        f"{mf[mf.trust == t].trustwide_chance_baseline.iloc[0]:.0f}%</td>" for t in trusts) + "</tr>")
    clipped = mf.reach_clipped.any() or mf.trustwide_chance_clipped.any()
    foot = f"<p class='small'>{CLIPPED_NOTE}</p>" if clipped else ""
    return f"<table>{head}{base}{''.join(body)}</table>{foot}"


def _files(matrix: bool) -> list[tuple[str, str]]:
    """The files written beside the report, with what each holds."""
    return ([("comparison.csv", "every outcome of every what-if")]
            + ([("matrix.csv", "what-if x trust")] if matrix else [])
            + [("replicates.csv", "every run"), ("trajectories.csv", "weekly mean and 10-90% band"),
               ("run.json", "manifest: parameters of every arm, seeds, versions")])


def _files_paragraph(matrix: bool) -> str:
    links = "; ".join(f"{page.link(name)} ({what})" for name, what in _files(matrix))
    return (f"<p class='small'>The numbers behind this report are in files that sit beside it, in the same "
            f"folder (keep them together when you move or email it): {links}.</p>")


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
<li>An effect is <b>negligible</b> when no paired run changed, or when its whole 95% interval lies within
&plusmn;{negligible:g} points of zero: too small to matter, even where it is not exactly zero.</li>
<li><b>Chance of trust-wide spread</b> is the share of runs ending in the <i>trust-wide</i> regime (reach beyond the pilots at
or above the scenario's threshold, 50% by default). It is a yes/no outcome, so with {reps} runs it moves in steps of
{step:.1f} points and its interval is wide. That interval counts the pairs the what-if tipped into trust-wide spread
against the pairs it tipped out of it (Tango's score interval for paired yes/no outcomes); the other intervals are
the mean of the paired differences plus or minus about two standard errors (a paired t interval). <b>Reach</b> and
<b>adoption</b> are smooth versions of the same question.</li>
<li>&dagger; marks an interval cut at what is possible: a share cannot pass 100% or 0%, so near the top (or bottom)
an interval ends at the limit and the estimate may sit on it.</li>
<li>This is a model, not a forecast. Its trusts are built from a published evaluation and public records, with many
assumed levels. The model tips sharply: one change can move a trust near the boundary a long way and a trust far
from it not at all. Use it to compare levers and see where they act, not to predict a number.</li>
</ul></div>
"""


def _run_details(manifest: dict, comps: list[Comparison]) -> str:
    """The run's details, every value in words (a default says so; nothing prints as 'None')."""
    weeks = manifest.get("weeks")
    shown = {
        "command line": manifest.get("command_line"),
        "root seed": manifest.get("root_seed"),
        "paired runs per arm": manifest.get("reps"),
        "weeks": weeks if weeks is not None else (
            f"{comps[0].params.run.weeks} (each scenario's own horizon)"),
        "time taken": f"{manifest['elapsed_s']} s" if manifest.get("elapsed_s") is not None else "not recorded",
        "git commit": manifest.get("git_commit") or "not recorded (not run from a git checkout)",
    }
    rows = "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in shown.items())
    return f"<table>{rows}</table>"


def _weeks(manifest: dict, c: Comparison) -> int:
    return manifest["weeks"] if manifest.get("weeks") is not None else c.params.run.weeks


def render_html(comps: list[Comparison], *, matrix: bool, manifest: dict, mf: pd.DataFrame | None) -> str:
    """The self-contained HTML report: the bottom line, findings, figures, tables, how to read them,
    what each what-if changes, run details, links to the CSVs beside it."""
    reps = comps[0].baseline.summaries.shape[0]
    mf_all = mf if mf is not None else matrix_frame(comps)
    parts = []
    if matrix:
        sizes = _sizes_phrase(mf_all)
        parts.append(f"<h1>What if the trusts had followed the recommendations?</h1>"
                     f"<p class='lede'>{len(comps)} trusts{' (' + sizes + ')' if sizes else ''} &times; "
                     f"{len(comps[0].whatifs)} what-ifs, {reps} paired runs per arm, {_weeks(manifest, comps[0])} weeks. "
                     f"Generated {_e(manifest['generated'])}.</p>")
    else:
        c = comps[0]
        parts.append(f"<h1>What if&hellip; {_e(c.title or c.label)}</h1>"
                     f"<p class='lede'>{len(c.whatifs)} what-if(s) against the <code>{_e(c.scenario)}</code> scenario, "
                     f"{reps} paired runs per arm, {c.params.organisation.staff:,} staff, {_weeks(manifest, c)} weeks. "
                     f"Generated {_e(manifest['generated'])}.</p>")
    parts.append(f"<div class='bottom'><b>Bottom line.</b> {_e(bottom_line(mf_all))}</div>")
    parts.append(_files_paragraph(matrix))
    parts.append("<h2>Key findings</h2>")
    if matrix:
        for s in best_levers(mf_all).values():
            parts.append(f"<p class='finding'>{_e(s)}</p>")
        parts.append(page.figure(page.png_base64(heatmap_figure(mf_all)),
                                 "What-if x trust heatmap: paired difference in the chance of trust-wide spread, "
                                 "in reach beyond the pilots and in trust-wide adoption."))
        parts.append("<h3>The matrix as numbers (percentage points, paired difference [95% interval])</h3>")
        parts.append(_matrix_table(mf_all))
    for c in comps:
        if matrix:
            parts.append(f"<h2>{_e(c.title or c.label)}</h2>")
        for w in c.whatifs:
            parts.append(f"<p class='finding'>{_e(c.sentences[w.name])}</p>")
        parts.append(page.figure(page.png_base64(effect_figure(c)),
                                 f"{c.title}: effect of each what-if with 95% intervals, on one scale."))
        if matrix:
            parts.append(page.figure(page.png_base64(matrix_trajectory_figure(c)),
                                     f"{c.title}: reach over time, baseline vs each what-if."))
        else:
            parts.append(page.figure(page.png_base64(trajectory_figure(c)),
                                     f"{c.title}: outcome trajectories, baseline vs each what-if."))
        parts.append("<h3>All outcomes</h3>")
        parts.append(_outcome_table(c))
    parts.append(HOW_TO_READ.format(reps=reps, step=100 / reps, negligible=NEGLIGIBLE))
    parts.append("<h2>What each what-if changes</h2>")
    parts.append(_whatif_list(comps))
    parts.append("<h2>Run details</h2>")
    parts.append(_run_details(manifest, comps))
    parts.append(_files_paragraph(matrix))
    title = "What-if report: " + ", ".join(c.title or c.label for c in comps)
    return page.page(title, parts)


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
        sizes = _sizes_phrase(mf)
        print(f"What-if matrix: {len(comps)} scenarios{' (' + sizes + ')' if sizes else ''} x "
              f"{len(comps[0].whatifs)} what-ifs, {reps} paired runs per arm ({elapsed:.1f} s)")
        print("Bottom line: " + bottom_line(mf))
        print("Change in reach beyond the pilots, percentage points [95% interval] (* = clear):")
        t = mf.assign(cell=[f"{signed(r.reach_diff):>5s} [{signed(r.reach_ci_low, 1)},{signed(r.reach_ci_high, 1)}]"
                            + ("\u2020" if r.reach_clipped else "")
                            + ("*" if r.reach_ci_low > 0 or r.reach_ci_high < 0 else " ") for r in mf.itertuples()])
        table = t.pivot(index="title", columns="scenario", values="cell").loc[list(dict.fromkeys(mf.title)),
                                                                              list(dict.fromkeys(mf.scenario))]
        base = mf.groupby("scenario", sort=False).reach_baseline.first()
        table.loc["(baseline reach %)"] = [f"{base[s]:.0f}" for s in table.columns]
        with pd.option_context("display.width", w, "display.max_columns", 20, "display.max_colwidth", 40):
            print(table.to_string())
        for s in best_levers(mf).values():
            print("  " + s)
        if mf.reach_clipped.any():
            print("\u2020 interval cut at what is possible: a share cannot pass 100% or 0%.")
        return
    c = comps[0]
    print(f"{c.title or c.label}: {len(c.whatifs)} what-if(s), {reps} paired runs per arm ({elapsed:.1f} s)")
    print("Bottom line: " + bottom_line(matrix_frame(comps)))
    for wi in c.whatifs:
        print("  - " + c.sentences[wi.name])
    t = c.rows[c.rows.outcome.isin(["trustwide", "reach_final", "adoption_trust_final", "lead_time_change_rest_final"])]
    t = t.assign(cell=[_fmt_diff(r) for _, r in t.iterrows()])
    table = t.pivot(index="title", columns="label", values="cell").loc[[x.title for x in c.whatifs]]
    print("Paired differences (what-if minus baseline, percentage points) [95% interval]:")
    with pd.option_context("display.width", w, "display.max_columns", 20, "display.max_colwidth", 40):
        print(table.to_string())
    if t.ci_clipped.any():
        print("\u2020 interval cut at what is possible: a share cannot pass 100% or 0%.")
