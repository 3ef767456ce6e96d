"""Start the browser visualiser: offline assets first, then `solara run`.

``python -m model.viz.serve [APP] [--host H] [--port N]`` (also ``spread viz``
and ``make viz``).  Solara reads its settings when it is imported, so the
asset cache and the telemetry switch are set here, before that import.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from model.viz import assets as viz_assets

DEFAULT_APP = Path(__file__).with_name("app.py")


def build_solara_args(app: str | Path, host: str, port: int, *, production: bool = True) -> list[str]:
    """The ``solara run`` arguments that serve ``app`` on host:port without opening a browser."""
    args = ["run", str(app), "--host", host, "--port", str(port), "--no-open"]
    if production:
        args.append("--production")
    return args


def exposure_warning(host: str, port: int) -> str | None:
    """The one-line warning for a --host other machines can reach; None for loopback."""
    if host.strip().lower() == "localhost":
        return None
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return None
    except ValueError:  # a host name: it may resolve to any interface
        pass
    return (f"spread viz: warning: --host {host} makes the page at port {port} reachable from the network, "
            "and it has no password; use --host 127.0.0.1 to keep it on this machine")


def serve(app: str | Path = DEFAULT_APP, host: str = "127.0.0.1", port: int = 8765, *, production: bool = True) -> int:
    """Serve the visualiser on host:port until interrupted (a warning first if it is not loopback-only)."""
    warning = exposure_warning(host, port)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    cache = viz_assets.configure_environment()
    if viz_assets.missing(cache):
        # First run on a machine: fetch once from the npm registry.
        viz_assets.fill(cache)
    from solara.__main__ import cli  # noqa: PLC0415 -- after configure_environment

    print(f"visualiser: http://{host}:{port}/  (assets from {cache})", flush=True)
    try:
        cli(build_solara_args(app, host, port, production=production), standalone_mode=False)
    except KeyboardInterrupt:
        pass
    return 0


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The visualiser's options (app file, --host, --port, --dev), shared with ``spread viz``."""
    ap.add_argument("app", nargs="?", default=str(DEFAULT_APP), help="Solara app file (default: the teaching app)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--dev", action="store_true", help="Solara dev mode (auto-reload) instead of --production")


def main(argv: list[str] | None = None) -> int:
    """``python -m model.viz.serve``: parse the options and serve the visualiser."""
    ap = argparse.ArgumentParser(prog="python -m model.viz.serve", description=__doc__.splitlines()[0])
    add_arguments(ap)
    args = ap.parse_args(argv)
    return serve(args.app, args.host, args.port, production=not args.dev)


if __name__ == "__main__":
    sys.exit(main())
