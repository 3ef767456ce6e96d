"""Every observable output of the locked set, fingerprinted to the bit (benchmarks/golden.json).

``benchmarks/golden_outputs.py`` runs the cases a user's entry points give
(the Python API at teaching and real size, the visualiser's agents, ``spread
run``, ``sweep`` and ``compare``) and reduces each table to a SHA-256 of its
exact bytes. A change that moves any number fails here: a refactor that must
keep every output (issue 26's one engine) proves it by passing, and a change
meant to move numbers says so by running ``--refresh`` in the same commit.
The fingerprints hold for one environment: the locked set and the processor
features numpy dispatches on (its vectorised exp and log may round
differently elsewhere); on any other the test skips and says why.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("golden_outputs", ROOT / "benchmarks" / "golden_outputs.py")
golden = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden)


def test_every_output_is_the_locked_sets_to_the_bit():
    stored = json.loads(golden.SHIPPED.read_text())
    here = golden.environment()
    if here != stored["environment"]:
        pytest.skip(f"fingerprints made for {stored['environment']}, this is {here}: "
                    "run `python benchmarks/golden_outputs.py --refresh` on the code before a change to compare")
    got = golden.fingerprints()
    differ = sorted(k for k in set(got) | set(stored["fingerprints"]) if got.get(k) != stored["fingerprints"].get(k))
    assert not differ, (f"{len(differ)} of {len(got)} outputs moved: {differ[:6]}; if the change is meant to move "
                        "numbers, run `python benchmarks/golden_outputs.py --refresh` and say so in CHANGELOG.md")
