"""Start the browser visualiser: offline assets first, then `solara run`.

``python -m model.viz.serve [APP] [--host H] [--port N]`` (also ``spread viz``
and ``make viz``).  Solara reads its settings when it is imported, so the
asset cache and the telemetry switch are set here, before that import.
"""

from __future__ import annotations

import argparse
import ipaddress
import signal
import subprocess
import sys
import warnings
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


def app_problem(app: str | Path) -> str | None:
    """Why ``app`` cannot be served (one line), or None: it must be an existing Solara app ``.py`` file."""
    p = Path(app)
    if p.suffix != ".py" or not p.is_file():
        what = "a folder" if p.is_dir() else ("not a .py file" if p.exists() else "no such file")
        return f"app = {str(app)[:80]!r}: {what}; allowed is a Solara app .py file (default: the teaching app)"
    return None


def address_problem(host: str, port: int) -> str | None:
    """Why host:port cannot be listened on (taken, not an address of this machine), or None.

    Checked before Solara starts, whose server would log its own error and exit 3."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            sock.bind(infos[0][4])
    except (OSError, UnicodeError) as e:
        why = getattr(e, "strerror", None) or str(e) or type(e).__name__
        return f"--host {host[:80]!r} --port {port}: cannot listen there ({why}); allowed is a free port on an address of this machine"
    return None


def port_number(text: str) -> int:
    """An argparse type: a TCP port from 1 to 65535, else one line."""
    try:
        v = int(text)
    except ValueError:
        v = 0
    if not 1 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"{text[:20]!r}: allowed is a port number from 1 to 65535")
    return v


def serve(app: str | Path = DEFAULT_APP, host: str = "127.0.0.1", port: int = 8765, *, production: bool = True) -> int:
    """Serve the visualiser on host:port until interrupted (a warning first if it is not loopback-only)."""
    problem = app_problem(app)
    if problem:
        print(f"spread viz: error: {problem}", file=sys.stderr)
        return 2
    warning = exposure_warning(host, port)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    cache = viz_assets.configure_environment()
    gone = viz_assets.missing(cache)
    if gone:
        # First run on a machine: fetch once from the npm registry, and say so.
        print(f"spread viz: the page's front-end files are not in {cache} yet ({len(gone)} of "
              f"{len(viz_assets.PACKAGES)} packages missing); fetching them once from the npm registry "
              "(`make viz-assets` does this ahead of time; afterwards no network is needed)", file=sys.stderr, flush=True)
        try:
            viz_assets.fill(cache, quiet=True)
        except (viz_assets.AssetsFolderError, subprocess.CalledProcessError, OSError) as exc:
            detail = (exc.stderr or "").strip().splitlines()[-1:] if isinstance(exc, subprocess.CalledProcessError) else [str(exc)]
            print(f"spread viz: error: could not fetch the front-end files: {' '.join(detail) or exc}", file=sys.stderr)
            return 2
    problem = address_problem(host, port)
    if problem:
        print(f"spread viz: error: {problem}", file=sys.stderr)
        return 2
    quiet_cookie_warning()
    import click  # noqa: PLC0415 -- Solara's CLI is a click command
    from solara.__main__ import cli  # noqa: PLC0415 -- after configure_environment

    print(f"visualiser: http://{host}:{port}/  (assets from {cache})", flush=True)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill PID` stops as Ctrl-C does
    try:
        cli(build_solara_args(app, host, port, production=production), standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        print("visualiser: stopped", flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM as Ctrl-C: uvicorn shuts down cleanly and we exit without a traceback."""
    raise KeyboardInterrupt


def quiet_cookie_warning() -> None:
    """Silence Solara's per-page-load warning about samesite cookies over plain http.

    The page is served over http on this machine (or a classroom network) and
    never embedded in another site's iframe, so the session cookie's fallback
    (samesite=lax) is the right one; the warning on every page load only
    buries real messages in the log.
    """
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The visualiser's options (app file, --host, --port, --dev), shared with ``spread viz``."""
    ap.add_argument("app", nargs="?", default=str(DEFAULT_APP), help="Solara app file (default: the teaching app)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=port_number, default=8765, help="port to listen on, 1 to 65535 (default 8765)")
    ap.add_argument("--dev", action="store_true", help="Solara dev mode (auto-reload) instead of --production")


def main(argv: list[str] | None = None) -> int:
    """``python -m model.viz.serve``: parse the options and serve the visualiser."""
    ap = argparse.ArgumentParser(prog="python -m model.viz.serve", description=__doc__.splitlines()[0])
    add_arguments(ap)
    args = ap.parse_args(argv)
    return serve(args.app, args.host, args.port, production=not args.dev)


if __name__ == "__main__":
    sys.exit(main())
