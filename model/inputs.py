"""Reading input files (scenario, what-if, experiment TOML) defensively.

Every way a file can be unusable -- a folder, a symbolic-link loop, a device,
megabytes of text, bytes that are not UTF-8, TOML nested so deep that
``tomllib`` (a recursive parser) runs out of stack -- becomes one
:class:`InputProblem` with a short ``problem`` and what is ``allowed``; each
loader words it in its own style and raises its own one-line error. Nothing
here imports or runs anything named by a file.
"""

from __future__ import annotations

import errno
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

#: Largest input file read. The bundled scenarios and experiments are a few
#: kilobytes; a megabyte of TOML is a generated or wrong file, not a scenario.
MAX_FILE_BYTES = 1_000_000
#: Deepest nesting of tables and arrays accepted. The deepest legitimate
#: value is a list of levels, each a list of {start, end, level} windows
#: (6 levels, counting the document); tomllib itself recurses past ~300.
MAX_NESTING = 20
#: Longest chain of files that extend or include one another.
MAX_CHAIN = 32


class InputProblem(Exception):
    """Why an input cannot be used: ``problem`` and what is ``allowed`` (each one line)."""

    def __init__(self, problem: str, allowed: str):
        self.problem = problem
        self.allowed = allowed
        super().__init__(f"{problem} (allowed: {allowed})")


def not_a_file(path: Path) -> str | None:
    """Why an existing-looking path is not a readable regular file; None if it is simply absent."""
    try:
        st = os.stat(path)
    except ValueError:  # a NUL byte in the name
        return "not a usable file name"
    except OSError as exc:
        if os.path.islink(path):
            return "a symbolic link that loops or leads nowhere"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):  # absent: the caller has its own message
            return None
        return f"a path that cannot be opened ({exc.strerror or type(exc).__name__})"
    if stat.S_ISDIR(st.st_mode):
        return "a folder, not a file"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file (a device, pipe or socket)"
    return None


def read_text(path: Path) -> str:
    """The file's text, checked: a regular file, at most MAX_FILE_BYTES, UTF-8."""
    why = not_a_file(path)
    if why is not None:
        raise InputProblem(why, "a TOML text file")
    try:
        with open(path, "rb") as fh:
            # read one byte past the bound: /proc and pipes report no size
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputProblem(f"cannot be read ({exc.strerror or type(exc).__name__})", "a readable TOML file") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputProblem(f"larger than {MAX_FILE_BYTES:,} bytes", f"a TOML file of at most {MAX_FILE_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputProblem(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                           "a UTF-8 TOML text file") from None


def nesting_depth(value: Any, limit: int = MAX_NESTING) -> int:
    """Depth of nested dicts and lists (a scalar is 0), counted without recursion, stopping past ``limit``."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            d += 1
            deepest = max(deepest, d)
            if deepest > limit:
                return deepest
            stack.extend((x, d) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def parse_toml(text: str) -> dict[str, Any]:
    """Parse TOML text; malformed or too deeply nested text is an InputProblem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputProblem(f"malformed TOML: {str(exc).splitlines()[0]}", "TOML 1.0 syntax") from None
    except RecursionError:
        raise InputProblem(f"tables or arrays nested more than {MAX_NESTING} deep",
                           f"at most {MAX_NESTING} levels of nesting") from None
    if nesting_depth(doc) > MAX_NESTING:
        raise InputProblem(f"tables or arrays nested more than {MAX_NESTING} deep",
                           f"at most {MAX_NESTING} levels of nesting")
    return doc


def load_toml_file(path: Path) -> dict[str, Any]:
    """Read and parse one TOML file with every check above."""
    return parse_toml(read_text(path))


def resolved(path: Path) -> Path:
    """``path.resolve()`` that turns a symbolic-link loop into an InputProblem, not RuntimeError."""
    try:
        return path.resolve()
    except (RuntimeError, OSError, ValueError):  # Python 3.12 raises RuntimeError for a loop, ValueError for a NUL
        raise InputProblem("a symbolic link that loops", "a TOML file or a link to one") from None
