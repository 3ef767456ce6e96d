"""The documentation's examples run: every ```python block in README.md and docs/*.md is executed.

A block that cannot run here says so on its first line (``# not run: <why>``);
anything else that fails, or no longer matches the code, fails CI.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks():
    for doc in DOCS:
        text = doc.read_text()
        for m in BLOCK.finditer(text):
            line = text[:m.start()].count("\n") + 1
            yield pytest.param(m.group(1), id=f"{doc.relative_to(ROOT)}:{line}")


def test_the_docs_have_examples():
    assert len(list(blocks())) >= 2


@pytest.mark.parametrize("code", list(blocks()))
def test_example_runs(code, tmp_path, monkeypatch):
    if code.lstrip().startswith("# not run:"):
        pytest.skip(code.lstrip().splitlines()[0])
    matplotlib.use("Agg", force=True)
    monkeypatch.chdir(tmp_path)  # an example that writes files writes them here
    exec(compile(code, "<doc example>", "exec"), {"__name__": "__doc_example__"})
