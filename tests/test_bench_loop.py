"""The benchmark's per-agent Mesa loop runs the engine's exchange rule, not a cheaper one.

The speed ratio in ``benchmarks/bench_engine.py`` is only meaningful if the
loop does the same work per agent-step as ``PeerExchange.step``: same
exposure, threshold gate, adoption draw, capability learning, forgetting
and clipping. These tests replay the engine's uniforms into the loop.
"""

import importlib.util
from pathlib import Path

import pytest

from model import load_scenario

_spec = importlib.util.spec_from_file_location("bench_engine", Path(__file__).parents[1] / "benchmarks" / "bench_engine.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@pytest.mark.parametrize("seed", [0, 1])
def test_loop_and_engine_take_the_same_exchange_step(seed):
    small = load_scenario("baseline", overrides=["organisation.staff=600"])
    worst, adopted, weeks = bench.check_same_rule(small, seed=seed, start=40, weeks=15)
    assert weeks == 15
    assert adopted > 0
    assert worst < 1e-12


def test_check_fails_when_the_loop_rule_differs(monkeypatch):
    """A loop that forgets nothing is caught: the check can fail."""
    small = load_scenario("baseline", overrides=["organisation.staff=600", "exchange.forgetting=0.2"])
    init = bench.LoopModel.__init__

    def without_forgetting(self, *a, **k):
        init(self, *a, **k)
        self.forgetting = 0.0

    monkeypatch.setattr(bench.LoopModel, "__init__", without_forgetting)
    try:
        worst, _, _ = bench.check_same_rule(small, seed=0, start=40, weeks=5)
    except AssertionError:
        return  # adoptions already differ
    assert worst > 1e-3, f"a loop without forgetting went unnoticed (largest gap {worst})"
