"""`spread analyse DIR`: tables (CSV) and figures (PNG and SVG) from a sweep.

What is drawn follows the experiment's [analyses] table (kept in the
manifest); with none given, sensible defaults by sampler. Every mean comes
with a 95% interval (t interval over replicates, clipped to the range
the outcome can take), every share with a 95%
Wilson interval. Results of runs that raised are left out of the tables and
listed in errors.csv.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from model.sweeps.store import ANALYSIS_MANIFEST, PARAM_PREFIX, SweepError, read_runs, read_weekly
from model.intervals import sd, t_interval, wilson
from model.outputs import outcome_range

META = {"run_key", "point", "point_name", "rep", "seed", "scenario", "error"}
LOCAL_DEFAULT = ["local", "no gain"]
SPREAD_DEFAULT = ["trust-wide"]


class AnalysisError(Exception):
    """A results folder that cannot be analysed: one line for the user."""


# ----- statistics ------------------------------------------------------------

def _t(x: np.ndarray, outcome: str) -> tuple[float, float, float, float]:
    """mean, sd, lo, hi: model.intervals' t interval, clipped to what ``outcome`` can be."""
    m, lo, hi = t_interval(x, bounds=outcome_range(outcome))
    return m, sd(x), lo, hi


# ----- helpers ------------------------------------------------------------------

class _Ctx:
    def __init__(self, src: Path, out: Path, log):
        self.src, self.out, self.log = src, out, log
        self.written: list[Path] = []
        self.notes: list[str] = []
        self.headline: pd.DataFrame | None = None  # the report's opening table (``_headline``)
        self.headline_note = ""

    def csv(self, df: pd.DataFrame, name: str):
        p = self.out / f"{name}.csv"
        df.to_csv(p, index=False, float_format="%.6g")
        self.written.append(p)

    def fig(self, fig, name: str):
        """Write ``fig`` as NAME.png and NAME.svg; every figure here is laid out by ``tight_layout`` first,
        so no ``bbox_inches="tight"`` (a second full draw per file: 15-20% of an analysis)."""
        import matplotlib.pyplot as plt
        for ext in ("png", "svg"):
            p = self.out / f"{name}.{ext}"
            fig.savefig(p, dpi=130 if ext == "png" else None)
            self.written.append(p)
        plt.close(fig)


def _plt():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _col(key: str) -> str:
    return "scenario" if key == "scenario" else PARAM_PREFIX + key


# ----- entry point ----------------------------------------------------------------

def analyse(src: str | Path, out: str | Path | None = None, log: Callable[[str], None] | None = None,
            overwrite: bool = False) -> list[Path]:
    """Tables and figures for a sweep's results folder, as its experiment's [analyses] asks.

    They go to ``out`` (default ``src/analysis``, which belongs to the sweep and
    is refreshed each time); an explicit ``out`` that holds an earlier
    analysis is replaced only with ``overwrite``. Returns the files written.
    """
    from model.results_folder import atomic_dir, check_target
    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    src = Path(src)
    mpath = src / "manifest.json"
    if not mpath.is_file():
        raise AnalysisError(f"{src}: no manifest.json here (allowed: a folder written by `spread sweep`)")
    manifest = _read_manifest(mpath)
    exp = manifest["experiment"]
    from model.sweeps.design import ExperimentError, extras_needed, require_extra
    try:  # a missing extra is one line before anything is drawn
        for extra, modules, what in extras_needed(exp.get("sampler", ""), dict(manifest.get("analyses") or {})):
            require_extra(str(src), extra, modules, what)
    except ExperimentError as e:
        raise AnalysisError(e.lines[0]) from None
    overwrite = overwrite or out is None
    out = Path(out) if out else src / "analysis"
    try:
        df = read_runs(src)
    except SweepError as e:
        raise AnalysisError(str(e)) from None
    if df.empty:
        raise AnalysisError(f"{src}: no finished runs to analyse")
    check_target(out, "analyse", overwrite, manifest=ANALYSIS_MANIFEST)
    with atomic_dir(out, "analyse", overwrite, manifest=ANALYSIS_MANIFEST) as tmp:
        ctx = _Ctx(src, tmp, log)
        _analyse_into(ctx, src, manifest, exp, df)
        (tmp / ANALYSIS_MANIFEST).write_text(json.dumps({"source": str(src)}))
    log(f"analysis of {src}: {len(ctx.written)} files in {out}")
    return [out / p.relative_to(tmp) for p in ctx.written]


#: What the analysis reads of a sweep's manifest.json, and of its "experiment" table, with each one's type.
_MANIFEST_SHAPE = {"name": str, "n_points": int, "reps": int, "n_runs": int, "experiment": dict}
_EXPERIMENT_SHAPE = {"varied_keys": list, "varied": list, "points": list, "sampler": str, "scenario": str,
                     "seed": int}
_KIND_WORDS = {str: "string", int: "integer", list: "list", dict: "table"}


def _read_manifest(mpath: Path) -> dict:
    """A sweep's manifest.json, checked for what the analysis reads; AnalysisError (one line) otherwise."""
    allowed = "allowed: the manifest.json `spread sweep` wrote"
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise AnalysisError(f"{mpath}: not readable JSON ({' '.join(str(e).split())[:120]}) ({allowed})") from None
    if not isinstance(manifest, dict):
        raise AnalysisError(f"{mpath}: holds a {type(manifest).__name__}, not a JSON object ({allowed})")
    for table, shape in ((manifest, _MANIFEST_SHAPE), (manifest.get("experiment"), _EXPERIMENT_SHAPE)):
        for key, kind in shape.items():
            if not isinstance(table.get(key), kind) or isinstance(table.get(key), bool):
                where = key if table is manifest else f"experiment.{key}"
                raise AnalysisError(f"{mpath}: {where} = {json.dumps(table.get(key))[:60]}: allowed is a "
                                    f"{_KIND_WORDS[kind]} as `spread sweep` writes it")
    if not isinstance(manifest.get("analyses") or {}, dict):
        raise AnalysisError(f"{mpath}: analyses = {json.dumps(manifest['analyses'])[:60]}: allowed is a table "
                            "of analyses (docs/SWEEPS.md)")
    return manifest


def _analyse_into(ctx: _Ctx, src: Path, manifest: dict, exp: dict, df: pd.DataFrame) -> None:
    varied = [k for k in exp["varied_keys"]]
    outcome_cols = [c for c in df.columns if c not in META and not c.startswith(PARAM_PREFIX)]
    if exp.get("outcomes"):
        outcome_cols = [c for c in exp["outcomes"] if c in df.columns]
    errs = df[df["error"].notna()]
    ok = df[df["error"].isna()].copy()
    if len(errs):
        ctx.csv(errs[["run_key", "point", "point_name", "rep", "seed", "scenario", "error"]], "errors")
        ctx.notes.append(f"{len(errs)} of {len(df)} runs raised; they are listed in errors.csv and left out below.")
    numeric = [c for c in outcome_cols if c in ok and _is_numeric(ok[c])]
    categorical = [c for c in outcome_cols if c in ok and not _is_numeric(ok[c])]
    analyses = dict(manifest.get("analyses") or {})
    sampler = exp["sampler"]
    if not analyses:
        analyses = _default_analyses(exp, varied, categorical, bool(exp.get("weekly")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _summary(ctx, ok, exp, varied, numeric, categorical, analyses.get("summary", {}))
        if "effects" in analyses:
            _effects(ctx, ok, varied, numeric, categorical, analyses["effects"])
        if "regime_map" in analyses:
            _regime_map(ctx, ok, analyses["regime_map"])
        if "sensitivity" in analyses and sampler in ("sobol", "morris"):
            _sensitivity(ctx, ok, exp, numeric, analyses["sensitivity"])
        if "prim" in analyses:
            _prim(ctx, ok, varied, analyses["prim"])
        if "timeseries" in analyses:
            _timeseries(ctx, src, ok, exp, varied, analyses["timeseries"])
    _report(ctx, manifest, df)
    _report_html(ctx, manifest, df)


def _default_analyses(exp, varied, categorical, weekly) -> dict:
    a: dict = {"summary": {}}
    if exp["sampler"] != "points" and [k for k in varied if k != "scenario"]:
        a["effects"] = {}
    if exp["sampler"] in ("sobol", "morris"):
        a["sensitivity"] = {}
    num_varied = [k for k in varied if k != "scenario"]
    if exp["sampler"] == "grid" and len(num_varied) == 2 and "regime" in categorical:
        a["regime_map"] = {"x": num_varied[0], "y": num_varied[1]}
    if weekly:
        a["timeseries"] = {}
    return a


# ----- summary ------------------------------------------------------------------

def _point_frame(ok: pd.DataFrame, varied: list[str]) -> list[str]:
    return ["point", "point_name", "scenario"] + [_col(k) for k in varied if k != "scenario" and _col(k) in ok]


def _summary(ctx, ok, exp, varied, numeric, categorical, opts):
    keys = _point_frame(ok, varied)
    outs = opts.get("outcomes") or numeric
    rows = []
    for keyvals, g in ok.groupby(keys, sort=True, dropna=False):
        base = dict(zip(keys, keyvals))
        for o in outs:
            if o not in numeric:
                continue
            x = g[o].to_numpy(dtype=float)
            m, s_d, lo, hi = _t(x, o)
            fin = x[np.isfinite(x)]
            rows.append({**base, "outcome": o, "n": len(fin), "n_missing": len(x) - len(fin), "mean": m, "sd": s_d,
                         "ci95_lo": lo, "ci95_hi": hi,
                         "median": float(np.median(fin)) if len(fin) else math.nan,
                         "q10": float(np.quantile(fin, 0.1)) if len(fin) else math.nan,
                         "q90": float(np.quantile(fin, 0.9)) if len(fin) else math.nan})
    summary = pd.DataFrame(rows)
    if len(summary):
        ctx.csv(summary, "summary")
    ctx.headline, ctx.headline_note = _headline(ok, summary, keys, varied, [o for o in outs if o in numeric][:6])
    # categorical outcomes: share of each label, Wilson intervals
    crow = []
    for c in categorical:
        labels = sorted(ok[c].dropna().unique().tolist())
        for keyvals, g in ok.groupby(keys, sort=True, dropna=False):
            base = dict(zip(keys, keyvals))
            n = int(g[c].notna().sum())
            for lab in labels:
                k = int((g[c] == lab).sum())
                p, lo, hi = wilson(k, n)
                crow.append({**base, "outcome": c, "label": lab, "k": k, "n": n, "share": p,
                             "ci95_lo": lo, "ci95_hi": hi})
    if crow:
        ctx.csv(pd.DataFrame(crow), "regimes" if categorical == ["regime"] else "categories")
    # a side-by-side figure when there are few points (e.g. the five trusts)
    n_points = ok["point"].nunique()
    if n_points <= 40 and len(summary):
        _points_figure(ctx, ok, summary, outs, categorical, varied)


#: Design points shown one a row in the report's headline table; a sampled design
#: (Sobol, Latin hypercube) has hundreds, so its table pools all runs instead.
HEADLINE_MAX_POINTS = 60


#: Headline columns that name a point (left-aligned); the rest are numbers.
NAME_COLUMNS = ("point", "scenario", "design points")


def _num(v: float) -> str:
    """A mean or bound for the headline table: two decimals for shares and changes, whole numbers above 10."""
    if v is None or not np.isfinite(v):
        return "n/a"
    if round(v, 2) == 0:
        return "0.00"  # never '-0.00'
    return f"{v:.2f}" if abs(v) < 10 else f"{v:,.0f}"


def _cell(m: float, lo: float, hi: float) -> str:
    """'mean [low, high]', or 'n/a' when the outcome has no value (e.g. detection past the horizon)."""
    if m is None or not np.isfinite(m):
        return "n/a"
    return f"{_num(m)} [{_num(lo)}, {_num(hi)}]"


def _regime_counts(g: pd.DataFrame, labels: list[str]) -> dict[str, int]:
    return {lab: int((g["regime"] == lab).sum()) for lab in labels}


def _headline(ok: pd.DataFrame, summary: pd.DataFrame, keys: list[str], varied: list[str],
              outs: list[str]) -> tuple[pd.DataFrame, str]:
    """The report's opening table and its caption: one row per design point (its name or varied values),
    its runs, each outcome's mean [95% interval] and how many runs ended local, partial or trust-wide.
    With more than HEADLINE_MAX_POINTS points, one row over all runs."""
    from model.outputs import REGIMES
    regimes = []
    if "regime" in ok:
        seen = set(ok["regime"].dropna())
        regimes = [r for r in REGIMES if r in seen or r in ("local", "partial", "trust-wide")]
        regimes += sorted(str(r) for r in seen - set(regimes))
    n_points = ok["point"].nunique()
    rows = []
    if n_points > HEADLINE_MAX_POINTS or summary.empty:
        row = {"design points": f"all {n_points}", "runs": len(ok)}
        for o in outs:
            m, _, lo, hi = _t(ok[o].to_numpy(dtype=float), o)
            row[o] = _cell(m, lo, hi)
        if regimes:
            row.update(_regime_counts(ok, regimes))
        caption = (f"All {len(ok)} finished runs of the {n_points} design points pooled: mean [95% interval] of each "
                   "outcome, and how many runs ended in each regime. Per-point means are in summary.csv.")
        return pd.DataFrame([row]), caption
    points = summary.drop_duplicates("point").sort_values("point")
    labels = _point_columns(points, varied)
    for (_, p), lab in zip(points.iterrows(), labels):
        g = ok[ok["point"] == p["point"]]
        row = dict(lab)
        row["runs"] = len(g)
        s = summary[summary["point"] == p["point"]].set_index("outcome")
        for o in outs:
            r = s.loc[o]
            row[o] = _cell(r["mean"], r["ci95_lo"], r["ci95_hi"])
        if regimes:
            row.update(_regime_counts(g, regimes))
        rows.append(row)
    caption = ("Each design point: the mean of each outcome over its runs [95% interval: t over replicates, "
               "clipped to what the outcome can be], and how many runs ended in each regime.")
    return pd.DataFrame(rows), caption


def _point_columns(points: pd.DataFrame, varied) -> list[dict[str, str]]:
    """Per point, the columns that name it: its own name (when it has one), its scenario when that varies,
    and each varied value (short key)."""
    import re
    out = []
    for _, r in points.iterrows():
        d = {}
        name = str(r.get("point_name") or "")
        if name and not re.fullmatch(r"p\d+", name):
            d["point"] = name
        if "scenario" in varied:
            d["scenario"] = str(r["scenario"])
        for k in varied:
            if k == "scenario":
                continue
            v = r.get(_col(k))
            d[k.split(".")[-1]] = f"{v:.3g}" if isinstance(v, float) else str(v)
        out.append(d or {"point": name})
    return out


def _point_labels(sub: pd.DataFrame, varied) -> list[str]:
    """A point's own name (points sampler), else its scenario and varied values."""
    import re
    labs = []
    for _, r in sub.iterrows():
        name = str(r.get("point_name") or "")
        if name and not re.fullmatch(r"p\d+", name):
            labs.append(name)
            continue
        parts = [str(r["scenario"])] if "scenario" in varied else []
        for k in varied:
            if k == "scenario":
                continue
            v = r.get(_col(k))
            parts.append(f"{k.split('.')[-1]}={v:.3g}" if isinstance(v, float) else f"{k.split('.')[-1]}={v}")
        labs.append(", ".join(parts) or name)
    return labs


def _points_figure(ctx, ok, summary, outs, categorical, varied):
    """One horizontal bar per design point and outcome (mean, 95% interval, runs as dots), the points'
    labels once on the left, three panels a row: readable at the saved size with up to 40 points."""
    plt = _plt()
    outs = [o for o in outs if o in set(summary["outcome"])][:6]
    ncat = 1 if "regime" in categorical else 0
    n = len(outs) + ncat
    if n == 0:
        return
    cols = min(3, n)
    rows = math.ceil(n / cols)
    points = summary.drop_duplicates("point").sort_values("point")
    labels = _point_labels(points, varied)
    npts = len(points)
    label_in = min(4.0, 0.3 + 0.075 * max(len(lab) for lab in labels))  # inches of 9-point text
    panel_h = 1.1 + 0.26 * npts
    fig, axes = plt.subplots(rows, cols, figsize=(label_in + 3.4 * cols, 0.5 + panel_h * rows), squeeze=False,
                             sharey=True)
    ys = np.arange(npts)
    rng = np.random.default_rng(0)
    for ax, o in zip(axes.flat, outs):
        s = summary[summary["outcome"] == o].set_index("point").reindex(points["point"])
        ax.barh(ys, s["mean"], color="#9ecae1", edgecolor="#3182bd", height=0.7)
        ax.errorbar(s["mean"], ys, xerr=[s["mean"] - s["ci95_lo"], s["ci95_hi"] - s["mean"]], fmt="none",
                    ecolor="black", capsize=2.5, lw=1)
        for i, pt in enumerate(points["point"]):
            x = ok.loc[ok["point"] == pt, o].to_numpy(dtype=float)
            ax.plot(x, i + rng.uniform(-0.22, 0.22, len(x)), ".", color="#08519c", ms=3, alpha=0.5)
        ax.set_title(o, fontsize=10)
        ax.axvline(0, color="grey", lw=0.5)
        ax.tick_params(labelsize=9)
        ax.grid(axis="x", alpha=0.3)
    if ncat:
        ax = axes.flat[len(outs)]
        labs = _regime_order(ok["regime"].dropna().unique().tolist())
        left = np.zeros(npts)
        colours = _regime_colours(labs)
        for lab in labs:
            share = np.array([(ok.loc[ok["point"] == pt, "regime"] == lab).mean() for pt in points["point"]])
            ax.barh(ys, share, left=left, label=lab, color=colours[lab], height=0.7)
            left += share
        ax.set_title("regime (share of runs)", fontsize=10)
        ax.set_xlim(0, 1)
        ax.tick_params(labelsize=9)
        # below the panel's tick labels (about 0.45 inch down), never over a bar
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.45 / max(panel_h - 0.6, 0.5)),
                  ncol=len(labs), frameon=False)
    for ax in axes[:, 0]:
        ax.set_yticks(ys, labels, fontsize=9)
    axes[0, 0].set_ylim(npts - 0.5, -0.5)  # first point at the top
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("each design point: mean with 95% interval; dots are runs", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / fig.get_figheight()))  # room for the title above the panels
    ctx.fig(fig, "points")


REGIME_ORDER = ["no gain", "no_gain", "none", "local", "partial", "trust-wide", "trust_wide"]


def _regime_order(labs):
    return sorted(labs, key=lambda x: (REGIME_ORDER.index(x) if x in REGIME_ORDER else 99, str(x)))


def _regime_colours(labs):
    base = {"no gain": "#bdbdbd", "no_gain": "#bdbdbd", "none": "#bdbdbd", "local": "#fdae6b",
            "partial": "#9ecae1", "trust-wide": "#31a354", "trust_wide": "#31a354"}
    extra = iter(["#756bb1", "#e377c2", "#8c564b", "#17becf"])
    return {lab: base.get(lab) or next(extra, "#7f7f7f") for lab in labs}


# ----- effects -------------------------------------------------------------------

def _binned(x: pd.Series, max_levels: int = 12, bins: int = 10) -> pd.Series:
    if x.nunique() <= max_levels:
        return x
    q = pd.qcut(x, bins, duplicates="drop")
    mids = q.map(lambda iv: iv.mid).astype(float)
    return mids


def _effects(ctx, ok, varied, numeric, categorical, opts):
    plt = _plt()
    params = [k for k in (opts.get("params") or varied) if k != "scenario" and _col(k) in ok and _is_numeric(ok[_col(k)])]
    outs = opts.get("outcomes") or numeric[:4]
    cat = "regime" if "regime" in categorical else None
    rows = []
    for k in params:
        xcol = _col(k)
        xb = _binned(ok[xcol])
        others = [o for o in params if o != k]
        # lines per level of one other parameter when it has few levels (grid)
        by = next((o for o in others if ok[_col(o)].nunique() <= 6), None)
        n = len(outs) + (1 if cat else 0)
        fig, axes = plt.subplots(1, n, figsize=(4.3 * n, 3.4), squeeze=False)
        for ax, o in zip(axes.flat, outs):
            groups = [(None, ok)] if by is None else [(lv, ok[ok[_col(by)] == lv]) for lv in sorted(ok[_col(by)].unique())]
            for lv, g in groups:
                xs, m, lo, hi, q1, q9 = [], [], [], [], [], []
                for xv, gg in g.groupby(xb.loc[g.index]):
                    y = gg[o].to_numpy(dtype=float)
                    mm, _, l, h = _t(y, o)
                    fin = y[np.isfinite(y)]
                    xs.append(float(xv)); m.append(mm); lo.append(l); hi.append(h)
                    q1.append(np.quantile(fin, 0.1) if len(fin) else np.nan)
                    q9.append(np.quantile(fin, 0.9) if len(fin) else np.nan)
                    rows.append({"param": k, "x": float(xv), "by": by, "by_level": lv, "outcome": o, "n": len(fin),
                                 "mean": mm, "ci95_lo": l, "ci95_hi": h, "q10": q1[-1], "q90": q9[-1]})
                label = None if by is None else f"{by.split('.')[-1]}={lv:.3g}" if isinstance(lv, float) else f"{by}={lv}"
                line, = ax.plot(xs, m, "-o", ms=3, label=label)
                ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.3, lw=0)
                if by is None:
                    ax.fill_between(xs, q1, q9, color=line.get_color(), alpha=0.12, lw=0)
            ax.set_xlabel(k)
            ax.set_title(o, fontsize=10)
            if by is not None:
                ax.legend(fontsize=7)
        if cat:
            ax = axes.flat[len(outs)]
            labs = _regime_order(ok[cat].dropna().unique().tolist())
            colours = _regime_colours(labs)
            xs = sorted(xb.unique())
            for lab in labs:
                sh, lo, hi = [], [], []
                for xv in xs:
                    g = ok[xb == xv]
                    p, l, h = wilson(int((g[cat] == lab).sum()), int(g[cat].notna().sum()))
                    sh.append(p); lo.append(l); hi.append(h)
                ax.plot(xs, sh, "-o", ms=3, color=colours[lab], label=lab)
                ax.fill_between(xs, lo, hi, color=colours[lab], alpha=0.25, lw=0)
            ax.set_ylim(0, 1)
            ax.set_xlabel(k)
            ax.set_title("share of runs by regime", fontsize=10)
            ax.legend(fontsize=7)
        band = "dark band 95% interval of the mean" + ("" if by else ", light band 10-90% of runs")
        fig.suptitle(f"outcomes vs {k} ({band})", fontsize=9)
        fig.tight_layout()
        ctx.fig(fig, f"effects_{k}")
    if rows:
        ctx.csv(pd.DataFrame(rows), "effects")


# ----- regime map ------------------------------------------------------------------

def _regime_map(ctx, ok, opts):
    plt = _plt()
    xk, yk = opts["x"], opts["y"]
    outcome = opts.get("outcome", "regime")
    spread = opts.get("spread", SPREAD_DEFAULT)
    local = opts.get("local", LOCAL_DEFAULT)
    if outcome not in ok:
        ctx.notes.append(f"regime map skipped: no outcome {outcome!r} in the results")
        return
    x = _binned(ok[_col(xk)], max_levels=15, bins=8)
    y = _binned(ok[_col(yk)], max_levels=15, bins=8)
    xs, ys = sorted(x.unique()), sorted(y.unique())
    S = np.full((len(ys), len(xs)), np.nan)
    L = np.full_like(S, np.nan)
    rows = []
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            g = ok[(x == xv) & (y == yv)][outcome].dropna()
            n = len(g)
            ps, lo, hi = wilson(int(g.isin(spread).sum()), n)
            pl, llo, lhi = wilson(int(g.isin(local).sum()), n)
            S[i, j], L[i, j] = ps, pl
            rows.append({xk: xv, yk: yv, "n": n, "share_spread": ps, "spread_ci95_lo": lo, "spread_ci95_hi": hi,
                         "share_local": pl, "local_ci95_lo": llo, "local_ci95_hi": lhi})
    ctx.csv(pd.DataFrame(rows), "regime_map")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, M, title, cmap in ((axes[0], S, f"share of runs spreading ({', '.join(spread)})", "Greens"),
                               (axes[1], L, f"share of runs staying local ({', '.join(local)})", "Oranges")):
        im = ax.pcolormesh(_edges(xs), _edges(ys), M, cmap=cmap, vmin=0, vmax=1, shading="flat")
        fig.colorbar(im, ax=ax, fraction=0.046)
        if len(xs) > 1 and len(ys) > 1 and np.nanmin(S) < 0.5 < np.nanmax(S):
            cs = ax.contour(xs, ys, S, levels=[0.5], colors="black", linewidths=2)
            ax.clabel(cs, fmt={0.5: "50% spread"}, fontsize=7)
        ax.set_xlabel(xk)
        ax.set_ylabel(yk)
        ax.set_title(title, fontsize=9)
    fig.suptitle("regime map; black line: boundary where half the runs spread", fontsize=9)
    fig.tight_layout()
    ctx.fig(fig, "regime_map")


def _edges(v):
    v = np.asarray(v, dtype=float)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


# ----- global sensitivity ------------------------------------------------------------

def _sensitivity(ctx, ok, exp, numeric, opts):
    plt = _plt()
    names = [v["key"] for v in exp["varied"]]
    logs = np.array([bool(v.get("log")) for v in exp["varied"]])
    # a log-scaled range was sampled on its logarithm (design.salib_problem): analyse it there too
    bounds = [list(np.log(v["range"])) if lg else v["range"] for v, lg in zip(exp["varied"], logs)]
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    n_points = len(exp["points"])
    X = np.array([[p["values"][k] for k in names] for p in exp["points"]], dtype=float)
    X[:, logs] = np.log(X[:, logs])
    outs = opts.get("outcomes") or numeric[:3]
    tables = []
    for o in outs:
        Y = ok.groupby("point")[o].mean().reindex(range(n_points)).to_numpy(dtype=float)
        if np.isnan(Y).any():
            ctx.notes.append(f"sensitivity of {o} skipped: {int(np.isnan(Y).sum())} design points have no value")
            continue
        if exp["sampler"] == "sobol":
            from SALib.analyze import sobol
            res = sobol.analyze(problem, Y, calc_second_order=exp.get("second_order", False), seed=exp["seed"],
                                print_to_console=False)
            t = pd.DataFrame({"param": names, "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                              "ST_conf": res["ST_conf"]})
            bars = [("S1", "first order"), ("ST", "total")]
        else:
            from SALib.analyze import morris
            res = morris.analyze(problem, X, Y, num_levels=exp.get("morris_levels", 4), seed=exp["seed"],
                                 print_to_console=False)
            t = pd.DataFrame({"param": names, "mu_star": res["mu_star"], "mu_star_conf": res["mu_star_conf"],
                              "mu": res["mu"], "sigma": res["sigma"]})
            bars = [("mu_star", "mu* (mean |elementary effect|)")]
        t.insert(0, "outcome", o)
        tables.append(t)
        fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(names) + 2), 3.6))
        w = 0.8 / len(bars)
        xs = np.arange(len(names))
        for i, (col, lab) in enumerate(bars):
            ax.bar(xs + (i - (len(bars) - 1) / 2) * w, t[col], w, yerr=t[col + "_conf"], capsize=3, label=lab)
        ax.set_xticks(xs, names, rotation=30, ha="right", fontsize=8)
        ax.set_title(f"{exp['sampler']} indices for {o} (error bars: 95% confidence)", fontsize=9)
        ax.legend(fontsize=8)
        ax.axhline(0, color="grey", lw=0.5)
        fig.tight_layout()
        ctx.fig(fig, f"sensitivity_{o}")
        top = t.sort_values(bars[-1][0], ascending=False).iloc[0]
        ctx.notes.append(f"{o}: the most influential parameter is {top['param']} ({bars[-1][0]} = {top[bars[-1][0]]:.2f}).")
    if tables:
        ctx.csv(pd.concat(tables, ignore_index=True), "sensitivity")


# ----- scenario discovery (PRIM) -----------------------------------------------------------

def prim_box(x: pd.DataFrame, y: np.ndarray, min_density: float = 0.8, mass_min: float = 0.05) -> dict[str, Any]:
    """EMA Workbench's PRIM: the peeling trajectory and the chosen box.

    Chosen box: the highest coverage among boxes with density >= min_density,
    else the densest box.
    """
    import logging
    logging.getLogger("EMA").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    p = prim.Prim(x.reset_index(drop=True), y.astype(int), mass_min=mass_min)
    box = p.find_box()
    traj = box.peeling_trajectory.copy()
    ok = traj[traj["density"] >= min_density]
    i = int(ok["coverage"].idxmax()) if len(ok) else int(traj["density"].idxmax())
    box.select(i)
    lims = box.box_lims[i]
    init = box.box_lims[0]
    restricted = {}
    for c in x.columns:
        lo, hi = lims[c].iloc[0], lims[c].iloc[1]
        ilo, ihi = init[c].iloc[0], init[c].iloc[1]
        if lo != ilo or hi != ihi:
            restricted[c] = (lo if lo != ilo else None, hi if hi != ihi else None)
    stats = traj.loc[i]
    return {"index": i, "trajectory": traj, "restricted": restricted, "coverage": float(stats["coverage"]),
            "density": float(stats["density"]), "mass": float(stats["mass"]), "base_rate": float(y.mean()),
            "n": int(len(y)), "n_interest": int(y.sum())}


def describe_box(res: dict, what: str) -> str:
    """One sentence for a PRIM box: the parameter ranges that restrict it, coverage and density."""
    parts = []
    for k, (lo, hi) in res["restricted"].items():
        f = (lambda v: f"{v:.3g}") if not isinstance(lo if lo is not None else hi, (int, np.integer)) else str
        if lo is not None and hi is not None:
            parts.append(f"{f(lo)} <= {k} <= {f(hi)}")
        elif lo is not None:
            parts.append(f"{k} >= {f(lo)}")
        else:
            parts.append(f"{k} <= {f(hi)}")
    cond = " and ".join(parts) if parts else "anywhere in the sampled space (no restriction found)"
    return (f"{what} when {cond}. This box holds {res['coverage']:.0%} of the runs with {what} (coverage), "
            f"{res['density']:.0%} of the runs inside it show {what} (density), and it contains "
            f"{res['mass']:.0%} of all runs (mass); across all {res['n']} runs the rate is {res['base_rate']:.0%}.")


def _prim(ctx, ok, varied, opts):
    plt = _plt()
    outcome = opts["outcome"]
    params = [k for k in (opts.get("params") or varied) if k != "scenario" and _col(k) in ok]
    d = ok.dropna(subset=[outcome])
    x = pd.DataFrame({k: d[_col(k)].to_numpy() for k in params})
    if "target" in opts:
        y = d[outcome].isin(opts["target"]).to_numpy()
        what = f"{outcome} in {{{', '.join(opts['target'])}}}"
        if outcome == "regime" and opts["target"] == ["trust-wide"]:
            what = "trust-wide spread"
    else:
        above = opts.get("above", True)
        y = (d[outcome] > opts["threshold"]).to_numpy() if above else (d[outcome] < opts["threshold"]).to_numpy()
        what = f"{outcome} {'>' if above else '<'} {opts['threshold']}"
    if y.sum() == 0 or y.all():
        ctx.notes.append(f"PRIM skipped: {what} holds in {'none' if y.sum() == 0 else 'all'} of the {len(y)} runs")
        return
    res = prim_box(x, y, min_density=opts.get("min_density", 0.8))
    text = describe_box(res, what)
    (ctx.out / "prim.txt").write_text(text + "\n")
    ctx.written.append(ctx.out / "prim.txt")
    ctx.notes.append("PRIM: " + text)
    traj = res["trajectory"]
    ctx.csv(traj, "prim_trajectory")
    ctx.csv(pd.DataFrame([{"param": k, "lower": lo, "upper": hi} for k, (lo, hi) in res["restricted"].items()]), "prim_box")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    ax = axes[0]
    sc = ax.scatter(traj["coverage"], traj["density"], c=traj["res_dim"], cmap="viridis", s=14)
    ax.plot(res["coverage"], res["density"], "o", mfc="none", mec="red", ms=12, mew=2)
    fig.colorbar(sc, ax=ax, label="restricted dimensions")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_title("PRIM peeling trajectory (red: chosen box)", fontsize=9)
    ax = axes[1]
    ks = list(params)
    for i, k in enumerate(ks):
        lo0, hi0 = float(x[k].min()), float(x[k].max())
        span = (hi0 - lo0) or 1.0
        lo, hi = res["restricted"].get(k, (None, None))
        a = 0 if lo is None else (float(lo) - lo0) / span
        b = 1 if hi is None else (float(hi) - lo0) / span
        ax.barh(i, b - a, left=a, color="#31a354" if k in res["restricted"] else "#d9d9d9")
        ax.text(1.02, i, f"[{lo if lo is not None else lo0:.3g}, {hi if hi is not None else hi0:.3g}]", va="center", fontsize=7)
    ax.set_yticks(range(len(ks)), ks, fontsize=8)
    ax.set_xlim(0, 1.3)
    ax.set_xlabel("share of sampled range")
    ax.set_title(f"box: coverage {res['coverage']:.0%}, density {res['density']:.0%}", fontsize=9)
    fig.tight_layout()
    ctx.fig(fig, "prim")


# ----- time series ----------------------------------------------------------------------

def _timeseries(ctx, src, ok, exp, varied, opts):
    plt = _plt()
    w = read_weekly(src)
    if w.empty:
        ctx.notes.append("time series skipped: no weekly columns were kept")
        return
    w = w[w["run_key"].isin(set(ok["run_key"]))]
    cols = opts.get("columns") or [c for c in w.columns if c not in ("run_key", "point", "rep", "week")]
    by = opts.get("by")
    if by is None:
        by = "scenario" if "scenario" in varied else (varied[0] if len(varied) == 1 else None)
    if by is not None:
        key = ok.set_index("run_key")[_col(by)]
        w = w.assign(group=w["run_key"].map(key))
    else:
        w = w.assign(group=w["point"].map(ok.drop_duplicates("point").set_index("point")["point_name"]))
    groups = list(pd.unique(w["group"]))
    if len(groups) > 10:
        groups = groups[:: math.ceil(len(groups) / 10)]
    rows = []
    fig, axes = plt.subplots(1, len(cols), figsize=(5 * len(cols), 3.6), squeeze=False)
    for ax, c in zip(axes.flat, cols):
        for gv in groups:
            g = w[w["group"] == gv]
            st = g.groupby("week")[c].agg(["mean", "std", "count", lambda s: s.quantile(0.1), lambda s: s.quantile(0.9)])
            st.columns = ["mean", "sd", "n", "q10", "q90"]
            from scipy import stats
            h = stats.t.ppf(0.975, np.maximum(st["n"] - 1, 1)) * st["sd"] / np.sqrt(st["n"])
            lo, hi = st["mean"] - h, st["mean"] + h
            bounds = outcome_range(c)
            if bounds is not None:  # a share's band stays in [0, 1]
                lo, hi = lo.clip(lower=bounds[0]), hi.clip(upper=bounds[1])
            line, = ax.plot(st.index, st["mean"], label=str(gv))
            ax.fill_between(st.index, lo, hi, color=line.get_color(), alpha=0.3, lw=0)
            ax.fill_between(st.index, st["q10"], st["q90"], color=line.get_color(), alpha=0.1, lw=0)
            t = st.reset_index().assign(column=c, group=gv, ci95_lo=lo.to_numpy(), ci95_hi=hi.to_numpy())
            rows.append(t)
        ax.set_xlabel("week")
        ax.set_title(c, fontsize=10)
        ax.legend(fontsize=7, title=by, title_fontsize=7)
    fig.suptitle("mean over runs; dark band 95% interval, light band 10-90% of runs", fontsize=9)
    fig.tight_layout()
    ctx.fig(fig, "timeseries")
    if rows:
        ctx.csv(pd.concat(rows, ignore_index=True), "timeseries")


# ----- report --------------------------------------------------------------------------

def _caption(name: str) -> str:
    """What a figure of the analysis shows, from its file name."""
    if name == "points":
        return "Each design point: mean with 95% interval, dots are runs; last panel: share of runs by regime."
    if name == "regime_map":
        return "Regime map: share of runs spreading trust-wide and staying local in each cell; black line where half spread."
    if name == "prim":
        return "Scenario discovery (PRIM): the peeling trajectory and the chosen box."
    if name == "timeseries":
        return "Week by week: mean over runs, dark band its 95% interval, light band 10-90% of runs."
    if name.startswith("effects_"):
        return f"Outcomes against {name[len('effects_'):]}: mean with its 95% interval."
    if name.startswith("sensitivity_"):
        return f"Sensitivity indices for {name[len('sensitivity_'):]} with 95% confidence."
    return name


def _md_table(df: pd.DataFrame) -> list[str]:
    def cell(v) -> str:
        return str(v).replace("|", "\\|")
    head = "| " + " | ".join(cell(c) for c in df.columns) + " |"
    align = "|" + "|".join("---" if c in NAME_COLUMNS else "---:" for c in df.columns) + "|"
    return [head, align] + ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]


def _design_lines(manifest, df) -> list[str]:
    exp = manifest["experiment"]
    return [f"design: {exp['sampler']}, {manifest['n_points']} points x {manifest['reps']} replicates = "
            f"{manifest['n_runs']} runs; {len(df)} finished; status {manifest.get('status')}",
            f"varied: {', '.join(exp['varied_keys']) or 'nothing'}",
            f"base scenario: {exp['scenario']}; weeks: {exp['weeks'] or 'each scenario default'}; root seed {exp['seed']}"]


def _figures(ctx) -> list[Path]:
    return [p for p in ctx.written if p.suffix == ".png"]


def _files(ctx) -> list[Path]:
    return [p for p in ctx.written if p.suffix in (".csv", ".txt")]


def _report(ctx, manifest, df):
    """report.md: the headline table first, then findings, figures (relative links), design and files."""
    lines = [f"# {manifest['name']}", ""]
    if ctx.headline is not None and len(ctx.headline):
        lines += [ctx.headline_note, ""] + _md_table(ctx.headline) + [""]
    lines += [f"- {n}" for n in ctx.notes]
    if ctx.notes:
        lines.append("")
    figures = _figures(ctx)
    if figures:
        lines += ["## Figures", ""]
        for f in figures:
            lines += [f"![{_caption(f.stem)}]({f.name})", "", f"*{_caption(f.stem)}* (also as {f.stem}.svg)", ""]
    lines += ["## Design", ""]
    if manifest.get("description"):
        lines += [manifest["description"].strip(), ""]
    lines += [f"- {d}" for d in _design_lines(manifest, df)] + [""]
    lines += ["## Files", "", "Beside this report, in the same folder: report.html (this report as one page, "
              "figures inside it), "
              + ", ".join(f"[{p.name}]({p.name})" for p in _files(ctx)) + "."]
    p = ctx.out / "report.md"
    p.write_text("\n".join(lines) + "\n")
    ctx.written.append(p)


def _report_html(ctx, manifest, df):
    """report.html: the same report as one self-contained page (model/report_page.py), figures embedded."""
    from model import report_page as page
    parts = [f"<h1>{page.escape(manifest['name'])}</h1>"]
    if ctx.headline is not None and len(ctx.headline):
        numeric = [c for c in ctx.headline.columns if c not in NAME_COLUMNS]
        parts += ["<h2>Results</h2>", f"<p class='small'>{page.escape(ctx.headline_note)}</p>",
                  page.table(ctx.headline, numeric=numeric)]
    parts += [f"<p class='finding'>{page.escape(n)}</p>" for n in ctx.notes]
    figures = _figures(ctx)
    if figures:
        parts.append("<h2>Figures</h2>")
        parts += [page.figure(page.file_base64(f.read_bytes()), _caption(f.stem)) for f in figures]
    parts.append("<h2>Design</h2>")
    if manifest.get("description"):
        parts.append(f"<p>{page.escape(manifest['description'].strip())}</p>")
    parts.append("<ul>" + "".join(f"<li>{page.escape(d)}</li>" for d in _design_lines(manifest, df)) + "</ul>")
    files = ", ".join(page.link(p.name) for p in _files(ctx) + [ctx.out / "report.md"])
    parts.append(f"<p class='small'>The tables behind this page are in files that sit beside it, in the same "
                 f"folder (keep them together when you move or email it): {files}. Figures are also there as "
                 f"PNG and SVG.</p>")
    p = ctx.out / "report.html"
    p.write_text(page.page(f"{manifest['name']}: sweep analysis", parts), encoding="utf-8")
    ctx.written.append(p)
