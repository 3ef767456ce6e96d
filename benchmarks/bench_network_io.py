"""How long importing a network takes (issue 14's bars), beside building a generated trust in the same run.

    python benchmarks/bench_network_io.py [--staff 20000] [--repeat 3]

Prints, each the best of --repeat (file caches cleared between repeats):
* the example survey (scenarios/survey-example.toml): reading its two CSV files,
  and building the whole model around it (bar: under 2 s);
* a generated trust of --staff people exported as CSV and as GraphML, then
  imported as a whole network: reading the files, and building the model
  (TrustModel, no agents) from them (bar: under 5 s at 20,000);
* the same trust generated (no files), as the baseline, and each import's
  ratio to it.
Nothing is written but temporary files, removed at the end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best(fn, repeat: int) -> float:
    """Best wall time of ``fn()`` over ``repeat`` calls, the read cache cleared before each."""
    from model import network_io

    times = []
    for _ in range(repeat):
        network_io._read_cached.cache_clear()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--staff", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    from model.network_io import read_network, write_graph
    from model.params import load_scenario
    from model.trust import TrustModel

    survey = load_scenario("survey-example")
    gen_survey = load_scenario("baseline", overrides={"organisation.directorates": 5})
    r_read = best(lambda: read_network(survey.network.file, survey.network.nodes), args.repeat)
    r_build = best(lambda: TrustModel(survey, rng=1, agents=False), args.repeat)
    r_gen = best(lambda: TrustModel(gen_survey, rng=1, agents=False), args.repeat)
    d = read_network(survey.network.file, survey.network.nodes)
    print(f"example survey ({d.n} people, {d.src.size} ties): read {r_read:.3f} s; model built around it "
          f"{r_build:.3f} s (generated trust of the same size: {r_gen:.3f} s, ratio {r_build / r_gen:.2f}); bar 2 s")

    big = load_scenario("leeds", overrides={"organisation.staff": args.staff})
    t0 = time.perf_counter()
    model = TrustModel(big, rng=1, agents=False)
    g = model.network_graph()
    export_s = time.perf_counter() - t0
    gen = best(lambda: TrustModel(big, rng=1, agents=False), args.repeat)
    print(f"generated trust: {model.n} staff, {model.net.n_arcs} arcs, built in {gen:.3f} s "
          f"(export graph made in {export_s:.2f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".csv", ".graphml"):
            out = Path(tmp) / f"trust{suffix}"
            t0 = time.perf_counter()
            write_graph(g, out)
            w = time.perf_counter() - t0
            nodes = str(out.with_name(out.stem + ".nodes.csv")) if suffix == ".csv" else ""
            p = big.with_values({"network.mode": "whole", "network.file": str(out), "network.nodes": nodes})
            read = best(lambda p=p: read_network(p.network.file, p.network.nodes), args.repeat)
            build = best(lambda p=p: TrustModel(p, rng=1, agents=False), args.repeat)
            size = sum(f.stat().st_size for f in Path(tmp).glob(f"trust{suffix}*")) + \
                (Path(nodes).stat().st_size if nodes else 0)
            print(f"{suffix[1:]:>7}: written in {w:.2f} s ({size / 1e6:.1f} MB); read {read:.3f} s; model built "
                  f"from it {build:.3f} s, ratio to generated {build / gen:.2f}; bar 5 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
