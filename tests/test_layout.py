"""The house: the package's layers, read from its import statements.

* no import circles, at module level or inside functions (an import under
  ``if TYPE_CHECKING:`` names a type for annotations and never runs, so it
  is not an edge: the processes name ``Params`` so, since ``model.params``
  gathers their ``PARAMS``);
* nothing in a lower layer imports a higher one (the layers are LAYERS below,
  the README's Layout table in words);
* no module of the package is loaded by a name in a string;
* the README's Layout table names every folder of the package, and every
  public function and class has a docstring.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "model"

#: Layer of each module or subpackage, lowest first: a module may import its own layer or lower ones.
LAYERS = {
    # the simulation core
    "model.schema": 0, "model.inputs": 0, "model.data": 0, "model.seeds": 0, "model.intervals": 0, "model.provenance": 0,
    "model.results_folder": 0, "model.extras": 0, "model.organisation": 1, "model.network": 1, "model.contagion": 1,
    "model.live_network": 1,
    "model.processes": 2, "model.params": 3, "model.network_io": 3, "model.agents": 3, "model.outputs": 3, "model.trust": 4, "model.batch": 4,
    # running it and writing what it gives
    "model.runner": 5, "model.pool": 5, "model.survey": 3, "model.report": 5, "model.report_page": 5,
    "model.figures": 5,
    # what users run on top
    "model.sweeps": 6, "model.whatif": 6, "model.calibrate": 6, "model.viz": 7, "model.cli": 8,
    "model": 9, "model.__main__": 9,
}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _type_checking_only(tree: ast.AST) -> set[ast.AST]:
    """The statements under ``if TYPE_CHECKING:`` (annotations' imports: they never run)."""
    out: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            out.update(n for stmt in node.body for n in ast.walk(stmt))
    return out


def imports(path: Path, name: str) -> set[str]:
    """Every model.* module this file imports at run time, anywhere in it (not those for annotations only)."""
    tree = ast.parse(path.read_text())
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    known = modules()
    skip = _type_checking_only(tree)
    for node in ast.walk(tree):
        if node in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "model")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "model":
                continue
            for a in node.names:  # `from model import viz_assets` imports a module
                out.add(f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod)
    return {m for m in out if m != name}


def layer(mod: str) -> int:
    parts = mod.split(".")
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in LAYERS:
            return LAYERS[key]
    raise KeyError(f"{mod}: not in LAYERS; add it (tests/test_layout.py) and to the README's Layout table")


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: {i for i in imports(p, m) if i in mods} for m, p in mods.items()}


def test_every_module_has_a_layer():
    for m in modules():
        layer(m)


def test_no_lower_layer_imports_a_higher_one():
    bad = []
    for m, deps in graph().items():
        for d in deps:
            if d.startswith(m + ".") or m == "model" or m.startswith(d + ".") and d.count(".") == 0:
                continue  # a package's __init__ gathering its own modules; the root package
            if layer(d) > layer(m):
                bad.append(f"{m} (layer {layer(m)}) imports {d} (layer {layer(d)})")
    assert not bad, "\n".join(sorted(bad))


def test_no_import_circles():
    g = graph()
    # a package's __init__ importing its own submodules is not a circle of the design
    g = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in g.items()}
    g = {m: {d for d in deps if not (m.startswith(d + ".") and _is_package(d))} for m, deps in g.items()}
    seen, stack, cycles = set(), [], []

    def visit(m):
        if m in stack:
            cycles.append(stack[stack.index(m):] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        stack.append(m)
        for d in sorted(g.get(m, ())):
            visit(d)
        stack.pop()

    for m in sorted(g):
        visit(m)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def _is_package(mod: str) -> bool:
    return (ROOT / Path(*mod.split(".")) / "__init__.py").exists()


def test_no_module_is_loaded_by_a_name_in_a_string():
    offenders = []
    for m, p in modules().items():
        text = p.read_text()
        for call in re.finditer(r"(import_module|__import__)\(([^)]*)\)", text):
            offenders.append(f"{p.relative_to(ROOT)}: {call.group(0)}")
    allowed: set[str] = set()  # third-party engines come by entry point (a registered name)
    offenders = [o for o in offenders if o.split(":")[0] not in allowed]
    assert not offenders, "\n".join(offenders)


def test_readme_layout_covers_every_folder():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Layout"):]
    section = section[:section.find("\n## ", 5) if "\n## " in section[5:] else None]
    folders = sorted({module_name(p).replace(".", "/") + "/" for p in PKG.rglob("__init__.py")})
    top = ["scenarios/", "experiments/", "tests/", "benchmarks/", "docs/"]
    missing = [f for f in folders + top if f"`{f}" not in section]
    assert not missing, f"README Layout table lacks: {missing}"


def _public_defs(tree: ast.AST, prefix: str = ""):
    for n in ast.iter_child_nodes(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not n.name.startswith("_"):
            yield prefix + n.name, n
            if isinstance(n, ast.ClassDef):
                yield from _public_defs(n, prefix + n.name + ".")


@pytest.mark.parametrize("mod", sorted(modules()))
def test_public_definitions_have_docstrings(mod):
    tree = ast.parse(modules()[mod].read_text())
    missing = [name for name, n in _public_defs(tree) if ast.get_docstring(n) is None]
    assert not missing, f"{mod}: no docstring on {', '.join(missing)}"


def test_a_wheel_carries_every_subpackage(built_dists):
    """`pip install .` (not editable) installs every folder of the package (issue 10's bar):
    the wheel built from the sdist (tests/conftest.py ``built_dists``) holds every module."""
    import zipfile
    _, wheel = built_dists
    names = set(zipfile.ZipFile(wheel).namelist())
    for init in PKG.rglob("__init__.py"):
        assert init.relative_to(ROOT).as_posix() in names, init
    for mod in PKG.rglob("*.py"):
        assert mod.relative_to(ROOT).as_posix() in names, mod
