"""Front-end assets for the browser visualiser, so it runs with no internet.

Solara's page loads its JavaScript and CSS through its own server under
``/_solara/cdn/<package>@<version>/<file>``; the server answers from a cache
folder (``SOLARA_ASSETS_PROXY_CACHE_DIR``) and only on a miss fetches from a
public CDN.  A classroom may be offline, so this module fills that cache ahead
of time from the npm registry (``npm pack`` of exact versions; the npm client
checks each tarball's integrity) and points Solara at it.  With a full cache
the visualiser makes no request off the machine, by design.

Used three ways:

* ``configure_environment()`` -- called by the app before ``import solara``:
  sets the cache folder and turns Solara's telemetry off.
* ``python -m model.viz.assets`` (``make viz-assets``) -- fills the cache
  (idempotent; needs the npm registry once, at set-up time).
* ``python -m model.viz.assets --check`` -- exits non-zero and names what is
  missing when the cache is incomplete.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# Cache key (the path segment the browser asks for, which may name a version
# range such as ``vega@5``) -> exact npm spec packed into it.  Exact versions
# keep the fill deterministic.  Keys come from Solara's templates and widgets
# (solara 1.64.x); tests/viz/test_assets.py scans the installed Solara for
# every CDN reference and fails when one is missing here, so a Solara upgrade
# cannot silently bring back a run-time fetch.
PACKAGES: dict[str, str] = {
    "requirejs@2.3.6": "requirejs@2.3.6",
    "@widgetti/solara-vuetify-app@10.1.1": "@widgetti/solara-vuetify-app@10.1.1",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2": "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "font-awesome@4.5.0": "font-awesome@4.5.0",
    # Altair charts (solara FigureAltair / Mesa's altair backend)
    "vega@5": "vega@5.33.1",
    "vega-lite@5": "vega-lite@5.23.0",
    "vega-embed@6": "vega-embed@6.29.0",
    # solara.Markdown with maths
    "katex@0.16.9": "katex@0.16.9",
}

# Packages (by name) that Solara can ask its CDN for but that the visualiser
# never triggers, so they are deliberately not cached: large ones, those of
# components it does not use, and the Vuetify 3 page variant that the pinned
# ipyvue<2 stack does not serve.
NOT_CACHED: frozenset[str] = frozenset(
    {
        "mermaid",  # solara.Markdown diagrams, ~70 MB unpacked
        "echarts",  # solara.FigureEcharts
        "codemirror",  # solara SQL code editor
        "@widgetti/solara-milkdown",  # solara MarkdownEditor
        "@widgetti/solara-vuetify3-app",  # ipyvue 3 page only
    }
)

_COMPLETE = ".npm-pack-complete"


def _user_cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "improvement-spread" / "solara-assets"


def default_cache_dir() -> Path:
    """Where the cache lives: $SOLARA_ASSETS_PROXY_CACHE_DIR if set, else
    ``.solara-assets/`` at the repository root (gitignored) for a source
    checkout, else a per-user cache folder.

    A checkout whose own folder is not complete uses the per-user folder
    when that one is complete (an installed copy or another checkout filled
    it), so a second checkout on a machine never needs the registry again.
    """
    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    if env:
        return Path(env)
    root = Path(__file__).resolve().parents[2]  # model/viz/assets.py -> the checkout
    if (root / "pyproject.toml").exists():
        return prefer_complete(root / ".solara-assets", _user_cache_dir())
    return _user_cache_dir()


def prefer_complete(own: Path, shared: Path) -> Path:
    """``own`` unless it is incomplete and ``shared`` is complete: a cache that exists is never fetched again."""
    return shared if missing(own) and not missing(shared) else own


def configure_environment(cache_dir: Path | None = None) -> Path:
    """Point Solara at the local asset cache and switch telemetry off.

    Must run before ``solara`` is imported (its settings read the
    environment at import time).  Returns the cache folder.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    os.environ["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(cache)
    os.environ["SOLARA_ASSETS_PROXY"] = "True"
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    # The "runs on Solara" badge sits over the page's bottom-right corner,
    # where the events timeline is on a 1366x768 projector.
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    # Solara otherwise asks a public CDN when a file is missing from the
    # cache; an unroutable address makes such a miss fail fast and visibly
    # (a 500 for that file in the browser) instead of hanging offline.
    os.environ.setdefault("SOLARA_ASSETS_CDN", "http://127.0.0.1:9/npm/")
    # Launched as `solara run model/viz/app.py` by hand, Solara is imported
    # before the app: patch its settings objects too (the cache folder is
    # read per request, so this still takes effect).
    if "solara.server.settings" in sys.modules:
        ss = sys.modules["solara.server.settings"]
        ss.assets.proxy_cache_dir = cache
        ss.telemetry.mixpanel_enable = False
        ss.theme.show_banner = os.environ["SOLARA_THEME_SHOW_BANNER"].lower() in ("1", "true", "yes")
    if "solara.settings" in sys.modules:
        sys.modules["solara.settings"].assets.cdn = os.environ["SOLARA_ASSETS_CDN"]
    return cache


def missing(cache_dir: Path | None = None) -> list[str]:
    """Cache keys not (completely) present."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return [key for key in PACKAGES if not (cache / key / _COMPLETE).is_file()]


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "npm is needed once to fetch the visualiser's front-end assets from "
            "the npm registry (Debian: apt-get install -y npm)."
        )
    return npm


def _pack(npm: str, spec: str, workdir: Path) -> Path:
    out = subprocess.run(
        [npm, "pack", spec, "--silent", "--pack-destination", str(workdir)],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    name = out.stdout.strip().splitlines()[-1]
    return workdir / name


class AssetsFolderError(RuntimeError):
    """A cache entry is in the way that this module did not write (it is never deleted)."""


_PARTIAL = ".spread-viz-assets-partial"


def _extract(tarball: Path, dest: Path, complete_text: str = "") -> None:
    """Unpack an npm tarball's ``package/`` folder into ``dest``, marked complete, in one rename.

    Only folders this module wrote are ever removed: a ``.partial`` folder
    carrying our marker (an interrupted earlier fill). A ``dest`` or
    ``.partial`` folder without our markers belongs to someone else, and
    :class:`AssetsFolderError` says so instead of deleting it. The
    completion marker is written before the rename, so ``dest`` never
    exists unmarked because of us.
    """
    tmp = dest.with_name(dest.name + ".partial")
    if dest.exists() or dest.is_symlink():
        raise AssetsFolderError(f"viz assets: {dest} exists but was not written by `make viz-assets` "
                                f"(no {_COMPLETE} in it); move it away or set SOLARA_ASSETS_PROXY_CACHE_DIR "
                                "to another folder; nothing was deleted")
    if tmp.exists() or tmp.is_symlink():
        if tmp.is_symlink() or not (tmp / _PARTIAL).is_file():
            raise AssetsFolderError(f"viz assets: {tmp} exists but was not written by `make viz-assets`; "
                                    "move it away; nothing was deleted")
        shutil.rmtree(tmp)  # ours: an interrupted earlier fill
    tmp.mkdir(parents=True)
    (tmp / _PARTIAL).write_text("unpacking; removed by the next `make viz-assets` if interrupted\n")
    with tarfile.open(tarball, "r:gz") as tar:
        members = []
        for m in tar.getmembers():
            if not (m.isfile() or m.isdir()):
                continue  # npm tarballs hold plain files; skip anything else
            parts = Path(m.name).parts
            if len(parts) < 2 or ".." in parts:
                continue
            m.name = str(Path(*parts[1:]))  # strip the top folder ("package/")
            members.append(m)
        tar.extractall(tmp, members=members, filter="data")
    (tmp / _PARTIAL).unlink()
    (tmp / _COMPLETE).write_text(complete_text)
    tmp.rename(dest)


def fill(cache_dir: Path | None = None, *, quiet: bool = False) -> Path:
    """Fill the cache with every package in PACKAGES that is not there yet."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    todo = missing(cache)
    if not todo:
        if not quiet:
            print(f"viz assets: complete in {cache}")
        return cache
    npm = _npm()
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="spread-viz-assets-") as tmp:
        work = Path(tmp)
        for key in todo:
            spec = PACKAGES[key]
            if not quiet:
                print(f"viz assets: npm pack {spec} -> {cache / key}")
            tarball = _pack(npm, spec, work)
            dest = cache / key
            dest.parent.mkdir(parents=True, exist_ok=True)
            _extract(tarball, dest, spec + "\n")
            tarball.unlink()
    return cache


def main(argv: list[str] | None = None) -> int:
    """``python -m model.viz.assets``: fill the offline asset cache."""
    ap = argparse.ArgumentParser(
        prog="python -m model.viz.assets",
        description="Fill (or check) the visualiser's offline front-end asset cache.",
    )
    ap.add_argument("--cache-dir", type=Path, default=None)
    ap.add_argument("--check", action="store_true", help="only check; exit 1 if incomplete")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    cache = args.cache_dir or default_cache_dir()
    if args.check:
        gone = missing(cache)
        if gone:
            print(f"viz assets missing in {cache}: {', '.join(gone)}", file=sys.stderr)
            print("run `make viz-assets` (needs the npm registry once)", file=sys.stderr)
            return 1
        if not args.quiet:
            print(f"viz assets: complete in {cache}")
        return 0
    try:
        fill(cache, quiet=args.quiet)
    except AssetsFolderError as e:
        print(e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
