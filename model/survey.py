"""The evaluation's own network survey, emulated on the model's live network.

The evaluation's social network analysis (2018, about week 130 of the
260-week programme) asked senior and middle staff (349 across the five
trusts, about 70 a trust) to name 2-5 people in each direction: "who do you
talk to about improvement" and "who talks to you about improvement". Its
findings (vmi-evaluation-long-read.txt, "a) A strong culture of peer
learning"): Surrey and Sussex had "a much higher level of social
connectedness" and "close relationships, mutual collaboration and
feedback"; the two lowest-rated trusts (BHR, SaTH) "a high level of simple,
one-directional exchanges".

:func:`survey` asks the same questions of the model's live network, so its
statistics are on the same subgroup, with nominations capped the same way,
and can be set beside the evaluation's rather than beside the whole-network
``network_stats``:

* **Respondents**: ``respondents`` people drawn at random, without
  replacement, from senior and middle staff (unit and directorate managers,
  executives and the chief executive); all of them when there are fewer.
* **Names**: each respondent names up to ``max_names`` of their live
  out-contacts ("I talk to") and up to ``max_names`` of their live
  in-contacts ("talks to me"), closest first. Free-recall name generators
  elicit the strongest ties first (Marsden 1990, "Network data and
  measurement", Annu. Rev. Sociol.; Burt 1984 on the GSS name generator),
  and a reciprocated tie is the stronger kind (Granovetter 1973; Friedkin
  1980 uses reciprocation as the mark of a strong tie). ``order`` says how
  that is emulated:

  - ``"weighted"`` (the default): names are drawn without replacement with
    chances in proportion to the tie's strength, which is the model's own
    tie weight (1 for a reciprocal tie, ``one_directional_weight`` for a
    one-directional one: the weight the tie has in peer exchange), by the
    Efraimidis-Spirakis key ``-log(u) / weight``. Strong ties come first on
    average, not always: recall is noisy, and a manager with a large team
    does not list only the mutual ties;
  - ``"strongest"``: every reciprocal tie before any one-directional one
    (the strict reading). In the model every manager and executive has at
    least five live reciprocal ties (team members who talk back, peer
    managers, the executive team), so this rule names reciprocal ties only
    and gives reciprocity 1 in every trust: it cannot show the differences
    the evaluation found, and is kept to show that;
  - ``"random"``: uniformly among live contacts (no recall bias).

  Closeness belongs to the pair, not to the direction: the same random
  number ``u`` ranks a mutual partner in both lists, so a close mutual
  colleague tends to be named in both, as in a real survey.
* **Fewer than ``min_names``**: the survey asked for at least 2 names, but a
  respondent cannot name contacts they do not have: one with fewer than
  ``min_names`` live contacts in a direction names all they have (0 or 1)
  and stays a respondent; ``short_list_share`` reports how many did.
* **The nomination graph**: an arc ``r -> x`` for every "I talk to x" and
  ``x -> r`` for every "x talks to me" (each arc once, whoever reported it),
  over the respondents and everyone they name.

Statistics (the ``network_stats`` names where the meaning is the same):
``respondents``, ``eligible`` (senior and middle staff in the trust),
``named`` (distinct people named who are not respondents), ``arcs``,
``names_out_mean`` / ``names_in_mean`` (list lengths per respondent),
``mean_out_degree`` / ``mean_in_degree`` / ``mean_degree`` (arcs out of,
into, and distinct alters of a respondent in the nomination graph),
``density`` (arcs / n(n-1) over everyone in the graph), ``density_respondents``
(arcs between respondents / R(R-1): the roster density of a survey),
``reciprocity_arcs`` (share of arcs whose reverse is also in the graph),
``reciprocity_pairs`` (share of connected pairs that are mutual),
``one_directional_share`` (1 - reciprocity_arcs), ``cross_unit_share``
(share of arcs between people of different units: names outside the
respondent's unit), ``largest_component_share`` (share of respondents in the
largest weakly connected component of the nomination graph).

Everything is whole-array numpy: random keys, ``lexsort`` and a rank within
each respondent's group select the names; there is no loop over people or
arcs. Draws come only from the generator passed in (``survey_rng`` gives the
one a run uses: its own stream of the run's seed), never from the model's
streams, so taking the survey changes none of the model's numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse as sp
from scipy.sparse import csgraph

from .network import StaffNetwork, _ranges
from .organisation import CHIEF_EXECUTIVE, DIRECTORATE_MANAGER, EXECUTIVE, UNIT_MANAGER, Organisation
from .params import Params

if TYPE_CHECKING:  # pandas is imported only by survey_table
    import pandas as pd

#: the survey's own stream key, beside the run's seed (never one of the model's STREAMS)
SURVEY_STREAM = 0x5355525645  # "SURVE"
SENIOR_AND_MIDDLE = (UNIT_MANAGER, DIRECTORATE_MANAGER, EXECUTIVE, CHIEF_EXECUTIVE)

#: statistic names in table order (all of them numbers)
STATS = ("week", "eligible", "respondents", "named", "arcs", "names_out_mean", "names_in_mean",
         "short_list_share", "mean_out_degree", "mean_in_degree", "mean_degree", "density",
         "density_respondents", "reciprocity_arcs", "reciprocity_pairs", "one_directional_share",
         "cross_unit_share", "largest_component_share")


def survey_rng(seed: int) -> np.random.Generator:
    """The survey's generator for a run with this seed: independent of every model stream."""
    return np.random.default_rng([int(seed), SURVEY_STREAM])


def empty_survey(week: float = np.nan) -> dict:
    """The survey's row when none was taken (horizon before the survey week): NaN throughout."""
    out = dict.fromkeys(STATS, np.nan)
    out["week"] = week
    return out


def _pick(group: np.ndarray, strong: np.ndarray, key: np.ndarray, cap: int) -> np.ndarray:
    """Indices of the first ``cap`` entries of each group, strong before weak, then by key."""
    if group.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((key, ~strong, group))
    g = group[order]
    start = np.ones(g.size, dtype=bool)
    start[1:] = g[1:] != g[:-1]
    first = np.flatnonzero(start)
    rank = np.arange(g.size) - np.repeat(first, np.diff(np.append(first, g.size)))
    return order[rank < cap]


def _closeness(net: StaffNetwork, live: np.ndarray, u: np.ndarray, arcs: np.ndarray, order: str,
               one_directional_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``arcs``' closeness key (ascending: named first) and whether it counts as strong.

    A pair's two arcs share one random number (the one of its lower arc id),
    so a close mutual colleague tends to be named in both lists.
    """
    rev = net.reverse[arcs]
    has = rev >= 0
    mutual = np.zeros(arcs.size, dtype=bool)
    mutual[has] = live[arcs[has]] & live[rev[has]]
    up = u[np.where(has, np.minimum(arcs, rev), arcs)]  # one random number per pair, the same in both directions
    if order == "weighted":
        w = np.where(mutual, 1.0, max(float(one_directional_weight), 1e-12))
        # Efraimidis-Spirakis: ascending key = weighted draw without replacement
        return -np.log1p(-up) / w, np.zeros(arcs.size, dtype=bool)
    return up, mutual if order == "strongest" else np.zeros(arcs.size, dtype=bool)


ORDERS = ("weighted", "strongest", "random")


def survey(net: StaffNetwork, org: Organisation, live: np.ndarray, rng: np.random.Generator,
           respondents: int = 70, min_names: int = 2, max_names: int = 5, week: int | float = np.nan,
           order: str = "weighted", one_directional_weight: float = 0.3) -> dict:
    """Emulate the evaluation's network survey on the live network (see module docstring)."""
    if respondents < 0 or min_names < 0 or max_names < 0:
        raise ValueError("respondents, min_names and max_names must be non-negative")
    if order not in ORDERS:
        raise ValueError(f"order = {order!r}: allowed is one of {', '.join(ORDERS)}")
    n = net.n
    eligible = np.flatnonzero(np.isin(org.role, SENIOR_AND_MIDDLE))
    k = min(int(respondents), eligible.size)
    # draws in a fixed order: respondents, then one closeness key per arc
    resp = np.sort(rng.choice(eligible, size=k, replace=False)) if k else np.zeros(0, dtype=np.int64)
    u = rng.random(net.n_arcs)
    is_resp = np.zeros(n, dtype=bool)
    is_resp[resp] = True

    live = np.asarray(live, dtype=bool)
    # Only the respondents' own arcs can be named: find them through the CSR (arcs into a
    # respondent) and the source order (arcs out of one), in arc-id order as a scan would give.
    in_c = _ranges(net.indptr[resp], net.indptr[resp + 1])  # ascending: resp and the CSR are sorted
    in_c = in_c[live[in_c]]  # "talks to me": arcs x -> r
    out_c = np.sort(net.out_order[_ranges(net.out_ptr[resp], net.out_ptr[resp + 1])])
    out_c = out_c[live[out_c]]  # "I talk to": arcs r -> x
    out_close, out_strong = _closeness(net, live, u, out_c, order, one_directional_weight)
    in_close, in_strong = _closeness(net, live, u, in_c, order, one_directional_weight)

    src, dst = net.src, net.dst
    out_named = out_c[_pick(src[out_c], out_strong, out_close, max_names)]
    in_named = in_c[_pick(dst[in_c], in_strong, in_close, max_names)]

    names_out = np.bincount(src[out_named], minlength=n)[resp]
    names_in = np.bincount(dst[in_named], minlength=n)[resp]
    arc_ids = np.union1d(out_named, in_named)  # each arc once, whoever reported it
    s, d = src[arc_ids].astype(np.int64), dst[arc_ids].astype(np.int64)
    arcs = int(arc_ids.size)

    keys = d * n + s  # sorted, as arc ids are sorted by target then source
    rkeys = s * n + d  # the reverse arc's key
    pos = np.searchsorted(keys, rkeys)
    recip = (pos < arcs) & (keys[np.minimum(pos, max(arcs - 1, 0))] == rkeys) if arcs else np.zeros(0, bool)
    rec_arcs = int(recip.sum())
    one_way = arcs - rec_arcs
    pairs = rec_arcs / 2 + one_way

    nodes = np.union1d(resp, np.concatenate([s, d]))
    m = nodes.size
    out_deg = np.bincount(s, minlength=n)[resp]
    in_deg = np.bincount(d, minlength=n)[resp]
    # distinct alters: arcs counted once per pair (a mutual pair's second arc dropped)
    first_of_pair = ~recip | (s < d)
    alters = np.bincount(np.concatenate([s[first_of_pair], d[first_of_pair]]), minlength=n)[resp]
    among = int((is_resp[s] & is_resp[d]).sum())
    if m and arcs:
        idx = np.searchsorted(nodes, np.concatenate([s, d]))
        g = sp.csr_array((np.ones(arcs), (idx[:arcs], idx[arcs:])), shape=(m, m))
        _, labels = csgraph.connected_components(g, directed=True, connection="weak")
        lab_r = labels[np.searchsorted(nodes, resp)]
        largest = np.bincount(lab_r).max() / k if k else np.nan
    else:
        largest = 1.0 / k if k else np.nan

    def mean(x):
        return float(x.mean()) if x.size else np.nan

    return {
        "week": week,
        "eligible": int(eligible.size),
        "respondents": int(k),
        "named": int(m - k),
        "arcs": arcs,
        "names_out_mean": mean(names_out),
        "names_in_mean": mean(names_in),
        "short_list_share": mean((names_out < min_names) | (names_in < min_names)),
        "mean_out_degree": mean(out_deg),
        "mean_in_degree": mean(in_deg),
        "mean_degree": mean(alters),
        "density": arcs / (m * (m - 1)) if m > 1 else np.nan,
        "density_respondents": among / (k * (k - 1)) if k > 1 else np.nan,
        "reciprocity_arcs": rec_arcs / arcs if arcs else np.nan,
        "reciprocity_pairs": rec_arcs / 2 / pairs if pairs else np.nan,
        "one_directional_share": one_way / arcs if arcs else np.nan,
        "cross_unit_share": float((org.unit_of[s] != org.unit_of[d]).mean()) if arcs else np.nan,
        "largest_component_share": float(largest),
    }


def survey_model(model: Any, respondents: int | None = None, order: str = "weighted") -> dict:
    """The survey of a TrustModel's live network now, with the run's parameters and its own stream."""
    o = model.params.outputs
    return survey(model.net, model.org, model.live.live, survey_rng(model.seed),
                  respondents=o.survey_respondents if respondents is None else respondents,
                  min_names=o.survey_min_names, max_names=o.survey_max_names, week=model.week,
                  order=order, one_directional_weight=model.params.network.one_directional_weight)


#: the statistics the survey tables show, in order, with the evaluation's words they answer to
TABLE = (
    ("respondents", "respondents"),
    ("names_out_mean", "names out"),
    ("names_in_mean", "names in"),
    ("density_respondents", "connectedness (density among respondents)"),
    ("largest_component_share", "respondents in largest component"),
    ("cross_unit_share", "names outside own unit"),
    ("reciprocity_arcs", "reciprocity (share of arcs)"),
    ("reciprocity_pairs", "reciprocity (share of pairs)"),
    ("one_directional_share", "one-directional share"),
)


def survey_title(params: Params) -> str:
    """Heading of the survey tables: the survey week and how many names each respondent gives each way."""
    o = params.outputs
    return (f"Survey at week {o.survey_week} (senior and middle staff, {o.survey_min_names}-{o.survey_max_names} "
            f"names each way)")


def survey_table(surveys: pd.DataFrame, by: str | None = None, intervals: bool = True) -> pd.DataFrame:
    """One row per group: each survey statistic's mean over replicates and, with ``intervals``, its 95% interval."""
    import pandas as pd

    from .intervals import t_interval

    groups = surveys.groupby(by, sort=False) if by else [("all", surveys)]
    rows = []
    for name, df in groups:
        row = {by or "group": name, "runs": int(df["respondents"].notna().sum())}
        for col, label in TABLE:
            m, lo, hi = t_interval(df[col])
            nd = 1 if col.startswith(("respondents", "names")) else 3 if col != "density_respondents" else 4
            if not intervals or np.isnan(m):
                row[label] = round(m, nd) if not np.isnan(m) else np.nan
            else:
                row[label] = f"{m:.{nd}f} [{lo:.{nd}f}, {hi:.{nd}f}]" if not np.isnan(lo) else f"{m:.{nd}f}"
        rows.append(row)
    return pd.DataFrame(rows)
