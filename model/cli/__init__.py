"""The ``spread`` command line: one module per subcommand, registered here.

    spread run SCENARIO [--reps N] [--seed S] [--weeks W] [--set k=v]... [--out DIR]
    spread trusts [--reps N] [--out DIR]      five trusts side by side
    spread params [SECTION]                   every parameter with unit, range and meaning
    spread scenarios [KIND]                   the shipped scenarios, what-ifs and experiments
    spread sweep EXPERIMENT [--out DIR] ...   an experiment's sweep (docs/SWEEPS.md)
    spread analyse DIR                        tables and figures of a sweep
    spread compare SCENARIO --what-if ...     what-ifs with common random numbers (docs/policy.md)
    spread network SCENARIO --out FILE        the trust's network as GraphML or CSV (--week W: as live then)
    spread calibrate CONFIG [--out DIR] ...   fit parameters to patterns by ABC-SMC (docs/calibration.md)
    spread posterior ship DIR NAME | check NAME   a calibration's posterior as package data (--posterior NAME)
    spread viz                                the browser visualiser (docs/teaching.md)

Bad input gives one line on stderr naming the file, key, value and what is
allowed, exit code 2, and nothing written.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from model.cli import calibrate, compare, network, params, posterior, run, scenarios, sweep, trusts, viz
from model.cli.options import ArgumentParser
from model.params import ParameterError
from model.results_folder import OutputError

#: The subcommands, in the order ``spread --help`` lists them.
SUBCOMMANDS = (run, trusts, params, scenarios, sweep, compare, calibrate, posterior, network, viz)


def version_line() -> str:
    """``spread 0.2.0``, with `` (git SHA)`` when the code runs from a git checkout."""
    from model import __version__
    from model.provenance import git_label

    label = git_label()
    return f"spread {__version__}" + (f" (git {label})" if label else "")


class _Version(argparse.Action):
    # argparse's own "version" action formats its string when the parser is
    # built; this one asks git only when --version is given
    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_line())
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    """The ``spread`` parser with every subcommand."""
    ap = ArgumentParser(prog="spread", description="Simulate how improvement practice spreads through an NHS trust.")
    ap.add_argument("--version", action=_Version, help="print the version (and git commit, from a checkout) and exit")
    sub = ap.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return ap


def _terminate(signum, frame):
    # SIGTERM (a batch system's stop, `kill`) unwinds like Ctrl-C, so a results
    # folder being written is removed rather than left hidden and half-written
    raise KeyboardInterrupt


def _not_utf8(argv: list[str]) -> str | None:
    """The first argument holding a byte that is not UTF-8 (Python keeps it as a lone surrogate), in one line.

    Such a path or label would fail later, deep in pyarrow, matplotlib or the
    JSON manifest; refused here, before anything is read or written."""
    for i, arg in enumerate(argv):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as e:
            byte = os.fsencode(arg[e.start])[:1]
            shown = os.fsencode(arg).decode("utf-8", "backslashreplace")[:80]  # the byte as \xff
            opt = f"argument {argv[i - 1]}" if i and argv[i - 1].startswith("-") and "=" not in argv[i - 1] \
                else "argument"
            return f"{opt} '{shown}': holds the byte 0x{byte.hex()}, which is not UTF-8; allowed is UTF-8 text"
    return None


def main(argv: list[str] | None = None) -> int:
    """The ``spread`` command: parse ``argv``, run the subcommand, return its exit status."""
    parser = build_parser()
    problem = _not_utf8(sys.argv[1:] if argv is None else list(argv))
    if problem:
        print(f"spread: error: {problem}", file=sys.stderr)
        return 2
    try:
        args = parser.parse_args(argv)  # --help and --version print here
    except OSError as exc:
        return _output_failed(exc)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        code = args.func(args)
        sys.stdout.flush()  # a full or failing stdout (`> /dev/full`) fails here, inside the handlers, not at exit
        return code
    except ParameterError as exc:
        print(f"spread: error: {exc}", file=sys.stderr)
        return 2
    except OutputError as exc:
        print(f"spread: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("spread: interrupted; no partial output was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `spread params | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        return _output_failed(exc)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _output_failed(exc: OSError) -> int:
    """One line and exit 1 when ``exc`` came from standard output (`spread params > /dev/full`); else re-raise."""
    if not _stdout_failed():
        raise exc
    # the rest of the output goes nowhere, so Python's own flush at exit does not fail again
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    print(f"spread: error: cannot write the output to standard output ({exc.strerror or exc})", file=sys.stderr)
    return 1


def _stdout_failed() -> bool:
    """Whether standard output cannot take more (after an OSError: was it the one that failed?)."""
    try:
        sys.stdout.flush()
        os.fstat(sys.stdout.fileno())
        os.write(sys.stdout.fileno(), b"")
    except (OSError, ValueError, AttributeError):
        return True
    return False


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
