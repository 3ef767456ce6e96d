"""The offline asset cache covers every CDN reference in the installed Solara."""

import re
from pathlib import Path

import pytest

pytest.importorskip("solara")

from model.viz import assets as viz_assets  # noqa: E402

# `${this.getCdn()}/pkg@ver/...`, `{{cdn}}/pkg@ver/...` in Solara's
# templates, Vue widgets and Python-embedded Vue code.
CDN_REF = re.compile(r"(?:getCdn\(\)\}|\{\{\s*cdn\s*\}\})/((?:@[\w.-]+/)?[\w.-]+@[^/'\"`\s]+)")


def solara_cdn_keys() -> set[str]:
    import solara
    import solara.server.settings as ss

    root = Path(solara.__file__).parent
    keys = set()
    for path in root.rglob("*"):
        if path.suffix not in {".py", ".vue", ".j2", ".html", ".js"} or "website" in path.parts:
            continue
        keys.update(CDN_REF.findall(path.read_text(errors="ignore")))
    keys.add(ss.assets.fontawesome_path.strip("/").split("/")[0])
    return keys


def test_every_solara_cdn_reference_is_cached_or_deliberately_skipped():
    keys = solara_cdn_keys()
    assert "requirejs@2.3.6" in keys  # the scan itself works
    unknown = {k for k in keys - set(viz_assets.PACKAGES) if k.rpartition("@")[0] not in viz_assets.NOT_CACHED}
    assert not unknown, f"Solara asks its CDN for {sorted(unknown)}: add them to model/viz/assets.PACKAGES"


def test_specs_are_exact_versions():
    for key, spec in viz_assets.PACKAGES.items():
        name, _, version = spec.rpartition("@")
        assert re.fullmatch(r"\d+\.\d+\.\d+(-[\w.]+)?", version), spec
        assert key.rpartition("@")[0] == name, (key, spec)


def test_configure_environment_sets_cache_and_telemetry(tmp_path, monkeypatch):
    for var in ("SOLARA_ASSETS_PROXY_CACHE_DIR", "SOLARA_TELEMETRY_MIXPANEL_ENABLE", "SOLARA_ASSETS_CDN"):
        monkeypatch.delenv(var, raising=False)
    cache = viz_assets.configure_environment(tmp_path)
    import os

    assert os.environ["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(tmp_path) == str(cache)
    assert os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert "127.0.0.1" in os.environ["SOLARA_ASSETS_CDN"]  # a cache miss never leaves the machine


def test_missing_reports_an_empty_cache(tmp_path):
    assert set(viz_assets.missing(tmp_path)) == set(viz_assets.PACKAGES)


def _tarball(tmp_path: Path) -> Path:
    import io
    import tarfile

    tb = tmp_path / "pkg.tgz"
    with tarfile.open(tb, "w:gz") as tar:
        data = b"console.log(1)\n"
        info = tarfile.TarInfo("package/index.js")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return tb


def test_extract_writes_a_marked_entry_in_one_rename(tmp_path):
    dest = tmp_path / "cache" / "pkg@1.0.0"
    dest.parent.mkdir()
    viz_assets._extract(_tarball(tmp_path), dest, "pkg@1.0.0\n")
    assert (dest / "index.js").read_bytes() == b"console.log(1)\n"
    assert (dest / viz_assets._COMPLETE).is_file()
    assert not dest.with_name(dest.name + ".partial").exists()
    assert viz_assets.missing(dest.parent) != []  # other packages still missing, this one is not
    assert "pkg@1.0.0" not in viz_assets.missing(dest.parent)


def test_a_folder_it_did_not_write_is_never_deleted(tmp_path):
    """A user's own (unmarked) cache entry, or an unmarked .partial folder, is refused, not removed."""
    tb = _tarball(tmp_path)
    dest = tmp_path / "pkg@1.0.0"
    dest.mkdir()
    (dest / "mine.txt").write_text("keep")
    with pytest.raises(viz_assets.AssetsFolderError, match="nothing was deleted"):
        viz_assets._extract(tb, dest)
    assert (dest / "mine.txt").read_text() == "keep"
    dest2 = tmp_path / "other@1.0.0"
    partial = tmp_path / "other@1.0.0.partial"
    partial.mkdir()
    (partial / "mine.txt").write_text("keep")
    with pytest.raises(viz_assets.AssetsFolderError, match="nothing was deleted"):
        viz_assets._extract(tb, dest2)
    assert (partial / "mine.txt").read_text() == "keep"


def test_an_interrupted_fill_of_its_own_is_cleaned_up(tmp_path):
    dest = tmp_path / "pkg@1.0.0"
    partial = tmp_path / "pkg@1.0.0.partial"
    partial.mkdir()
    (partial / viz_assets._PARTIAL).write_text("")
    (partial / "half.js").write_text("")
    viz_assets._extract(_tarball(tmp_path), dest)
    assert not partial.exists() and (dest / "index.js").is_file()


def test_cli_refuses_with_exit_2_and_one_line(tmp_path, monkeypatch, capsys):
    key = next(iter(viz_assets.PACKAGES))
    (tmp_path / key).mkdir(parents=True)
    (tmp_path / key / "mine.txt").write_text("keep")
    monkeypatch.setattr(viz_assets, "_npm", lambda: "npm")
    monkeypatch.setattr(viz_assets, "_pack", lambda npm, spec, work: _tarball(work))
    assert viz_assets.main(["--cache-dir", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing was deleted" in err[0]
    assert (tmp_path / key / "mine.txt").read_text() == "keep"


def test_a_complete_cache_is_used_rather_than_fetched_again(tmp_path):
    own, shared = tmp_path / "own", tmp_path / "shared"
    for key in viz_assets.PACKAGES:
        (shared / key).mkdir(parents=True)
        (shared / key / viz_assets._COMPLETE).write_text("x")
    assert viz_assets.prefer_complete(own, shared) == shared  # the checkout's own is empty
    assert viz_assets.prefer_complete(own, tmp_path / "none") == own  # neither: fill the checkout's
    for key in viz_assets.PACKAGES:
        (own / key).mkdir(parents=True)
        (own / key / viz_assets._COMPLETE).write_text("x")
    assert viz_assets.prefer_complete(own, shared) == own


def test_serve_says_before_it_fetches_and_fails_in_one_line(tmp_path, monkeypatch, capsys):
    from model.viz import serve

    monkeypatch.setenv("SOLARA_ASSETS_PROXY_CACHE_DIR", str(tmp_path / "empty"))

    def offline(cache, quiet=False):
        raise OSError("npm: no route to the registry")

    monkeypatch.setattr(viz_assets, "fill", offline)
    assert serve.serve(port=1) == 2
    err = capsys.readouterr().err
    assert "fetching them once from the npm registry" in err and "make viz-assets" in err
    assert err.strip().splitlines()[-1].startswith("spread viz: error: could not fetch")
