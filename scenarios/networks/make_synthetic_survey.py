"""Write the SYNTHETIC example network survey in this folder (no real trust's data).

    python scenarios/networks/make_synthetic_survey.py          # writes the two CSV files beside this script
    python scenarios/networks/make_synthetic_survey.py --check  # exit 1 if the files differ from what it would write

It mirrors the shape of the evaluation's 2018 social network analysis (senior
and middle staff naming the 2-5 people they talk to about improvement, about
350 respondents) in one imaginary trust of five directorates: eight units in
each, a unit manager and six to nine senior clinicians per unit, a
directorate manager per directorate and an executive team of eight. Each
respondent names 2-5 colleagues (mostly their own unit, then their
directorate, a few further away; managers also name up the line); a named
colleague names the respondent back with probability 0.4 when they name
anyone. Six people named by others did not respond (no ties out) and two
respondents named nobody and were named by nobody (isolates): both stay in
the node table. Everything comes from one fixed seed, so the files are
reproducible; scenarios/survey-example.toml imports them as a surveyed
subgroup (``network.mode = "surveyed"``).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
NODES = HERE / "synthetic_survey_nodes.csv"
TIES = HERE / "synthetic_survey_ties.csv"
SEED = 2018
DIRECTORATES = ("Medicine", "Surgery", "Women and Children", "Clinical Support", "Community")
UNITS_PER_DIRECTORATE = 8
EXECUTIVES = 8
BACK = 0.4  # chance a named respondent names the respondent back


def people(rng: np.random.Generator) -> pd.DataFrame:
    """The node table: id, unit, directorate, role, responded."""
    rows = []
    for k, name in enumerate(DIRECTORATES):
        code = "".join(w[0] for w in name.split()).upper()[:3]
        for u in range(UNITS_PER_DIRECTORATE):
            unit = f"{code}-{u + 1:02d}"
            # the unit manager and 6-9 senior clinicians (6-8 in the unit that also holds the directorate
            # manager's post, so a generated unit of the smallest size, 10, has a post for each)
            size = int(rng.integers(7, 10 if u == 0 else 11))
            for j in range(size):
                rows.append({"id": f"{unit}-{j + 1:02d}", "unit": unit, "directorate": name,
                             "role": "unit manager" if j == 0 else "frontline"})
        rows.append({"id": f"{code}-DM", "unit": f"{code}-01", "directorate": name, "role": "directorate manager"})
    for e in range(EXECUTIVES):
        rows.append({"id": f"EXEC-{e + 1}", "unit": "", "directorate": "",
                     "role": "chief executive" if e == 0 else "executive"})
    df = pd.DataFrame(rows)
    df["responded"] = "yes"
    return df


def ties(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Who names whom: source talks to target about improvement."""
    n = len(df)
    unit = df["unit"].to_numpy()
    dire = df["directorate"].to_numpy()
    role = df["role"].to_numpy()
    execs = np.flatnonzero(np.isin(role, ("executive", "chief executive")))
    # six non-respondents (named, name nobody) and two isolates
    staff = np.flatnonzero(role == "frontline")
    quiet = rng.choice(staff, size=8, replace=False)
    isolates = quiet[6:]  # quiet[:6] are named by others but name nobody
    df.loc[quiet, "responded"] = "no"
    named_ok = np.ones(n, bool)
    named_ok[isolates] = False
    out = []
    for i in range(n):
        if i in quiet:
            continue
        k = int(rng.integers(2, 6))
        same_unit = np.flatnonzero((unit == unit[i]) & named_ok & (dire == dire[i]))
        same_dir = np.flatnonzero((dire == dire[i]) & (unit != unit[i]) & named_ok)
        other = np.flatnonzero((dire != dire[i]) & named_ok)
        pools = [same_unit, same_dir, other, execs]
        share = [0.6, 0.25, 0.1, 0.05] if role[i] == "frontline" else [0.4, 0.3, 0.1, 0.2]
        for _ in range(k):
            pool = pools[rng.choice(4, p=share)]
            pool = pool[pool != i]
            if pool.size:
                out.append((i, int(rng.choice(pool))))
    pairs = pd.DataFrame(out, columns=["s", "t"]).drop_duplicates()
    # named back, by respondents only
    back = pairs[~pairs["t"].isin(quiet)].sample(frac=BACK, random_state=np.random.RandomState(SEED))
    pairs = pd.concat([pairs, back.rename(columns={"s": "t", "t": "s"})]).drop_duplicates()
    ids = df["id"].to_numpy()
    weight = rng.integers(1, 4, size=len(pairs))  # how often: 1 monthly, 2 weekly, 3 daily
    return pd.DataFrame({"source": ids[pairs["s"]], "target": ids[pairs["t"]], "weight": weight})


def build() -> tuple[str, str]:
    """The two files' text."""
    rng = np.random.default_rng(SEED)
    df = people(rng)
    t = ties(df, rng)
    nodes, edges = io.StringIO(), io.StringIO()
    df.to_csv(nodes, index=False)
    t.to_csv(edges, index=False)
    return nodes.getvalue(), edges.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write the files, or with --check compare them."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the files differ from what would be written")
    args = ap.parse_args(argv)
    nodes, edges = build()
    if args.check:
        same = NODES.read_text() == nodes and TIES.read_text() == edges
        print("same" if same else "differs")
        return 0 if same else 1
    NODES.write_text(nodes)
    TIES.write_text(edges)
    print(f"{NODES.name}: {nodes.count(chr(10)) - 1} people; {TIES.name}: {edges.count(chr(10)) - 1} ties (synthetic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
