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
