"""Output folders that never cost a user a file.

Every command that writes results (``spread run``, ``trusts``, ``compare``,
``analyse``) writes them into a hidden temporary folder beside the target and
moves it into place at the end, so a failed or interrupted run leaves nothing
half-written. What the target may be is decided before any work:

* a folder that does not exist yet, or an empty one: written;
* a previous output of the *same* command, recognised by its manifest
  (``{"tool": "improvement-spread", "command": ..., "files": [...]}``), in
  which every entry is one the manifest lists: replaced, but only when the
  user asked (``--overwrite``), and only the listed files are removed;
* anything else (a file, a symbolic link, a folder holding anything we did
  not write, the current folder or one above it): refused with one line,
  exit code 2, before any work.

The temporary folder carries a marker naming the process that made it; a
later run removes such folders only when the marker is there and that
process is gone, so nothing it does not recognise as its own is touched.

``spread sweep`` keeps an append-only store instead (model/sweeps/store.py); it uses
:func:`check_not_user_folder` and :func:`safe_name` from here.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TOOL = "improvement-spread"
PARTIAL_MARKER = ".spread-partial"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class OutputError(Exception):
    """An output folder that cannot or may not be written: one line for the user.

    ``code`` is the exit status: 2 when the user's choice of folder is refused,
    1 when a resource ran out (disk full) while writing.
    """

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def safe_name(name: str, fallback: str = "results") -> str:
    """A folder name made from data (a trust's or an experiment's name): never a path.

    Anything but letters, digits, ``.``, ``_`` and ``-`` becomes ``-``; leading
    dots and dashes go (no hidden folders, no ``..``); at most 80 characters.
    An empty result gives ``fallback``.
    """
    slug = _UNSAFE.sub("-", str(name)).lstrip(".-")[:80].rstrip(".-")
    return slug or fallback


def read_manifest(folder: Path, manifest: str = "run.json") -> dict | None:
    """The folder's manifest if it is one of ours (a JSON object naming TOOL), else None."""
    p = Path(folder) / manifest
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and data.get("tool") == TOOL and isinstance(data.get("files"), list):
        return data
    return None


def _entries(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, as relative POSIX paths, folders with a trailing /."""
    out = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        for d in dirs:
            out.append((rel / d).as_posix() + "/")
        for f in files:
            out.append((rel / f).as_posix())
    return sorted(out)


def _first_entry(folder: Path) -> str | None:
    """The entry of ``folder`` that ``_entries`` would list first, from its top level alone; None if empty.

    Whether a folder is empty, or which entry to name when refusing it, must
    not walk the whole tree: a user's --out may be their home folder."""
    with os.scandir(folder) as it:
        names = [e.name + "/" if e.is_dir() else e.name for e in it]  # as os.walk sorts them into folders
    return min(names) if names else None


def _describe(command: str) -> str:
    return f"`spread {command}`"


def _is_cwd_or_above(out: Path) -> bool:
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        return False
    target = out.resolve()
    return target == cwd or target in cwd.parents


def check_target(out: Path, command: str, overwrite: bool = False, manifest: str = "run.json",
                 flag: str = "--overwrite") -> None:
    """Refuse (OutputError) unless ``out`` may receive ``command``'s output; writes nothing.

    Call it before any work, so a refusal costs the user nothing; the writer
    calls it again just before moving its results into place.
    """
    out = Path(out)
    if out.is_symlink():
        raise OutputError(f"{out}: is a symbolic link; allowed is a new folder (or {flag} onto an earlier "
                          f"output of {_describe(command)})")
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputError(f"{out}: is a file, not a folder; nothing was changed (choose a new folder)")
    if _is_cwd_or_above(out):
        raise OutputError(f"{out}: is the current folder or one above it; allowed is a new folder")
    try:
        first = _first_entry(out)
    except OSError as e:
        raise OutputError(f"{out}: cannot be read ({e.strerror}); choose another folder")
    if first is None:
        return
    prev = read_manifest(out, manifest)
    if prev is None or prev.get("command") != command:
        what = (f"an output of `spread {prev.get('command')}`" if prev else
                f"files that {_describe(command)} did not write (e.g. {first.rstrip('/')})")
        raise OutputError(f"{out}: holds {what}; nothing was changed (choose a new folder)")
    if not overwrite:
        raise OutputError(f"{out}: holds an earlier output of {_describe(command)}; add {flag} to replace it, "
                          "or choose a new folder")
    try:
        entries = _entries(out)  # the tree is walked only once the manifest says it is one of ours
    except OSError as e:
        raise OutputError(f"{out}: cannot be read ({e.strerror}); choose another folder")
    listed = set(prev["files"]) | {manifest}
    strangers = [e for e in entries if not e.endswith("/") and e not in listed]
    if strangers:
        raise OutputError(f"{out}: holds {strangers[0]}, which {_describe(command)} did not write; "
                          f"{flag} replaces only a folder of its own files, so nothing was changed")


def clean_stale_partials(out: Path) -> list[Path]:
    """Remove temporary folders of earlier writers of ``out`` that were killed.

    Only folders named like ours whose marker says they were made on this host
    by a process that no longer runs are removed. Returns what was removed.
    """
    out = Path(out)
    removed = []
    parent = out.parent if str(out.parent) else Path(".")
    try:
        candidates = list(parent.glob(f".{out.name}.spread-partial-*"))
    except OSError:
        return removed
    for d in candidates:
        try:
            marker = json.loads((d / PARTIAL_MARKER).read_text())
        except (OSError, ValueError, UnicodeDecodeError):
            continue  # not recognisably ours: leave it
        if not isinstance(marker, dict) or marker.get("tool") != TOOL or marker.get("host") != socket.gethostname():
            continue
        pid = marker.get("pid")
        if not isinstance(pid, int) or _alive(pid):
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def resource_error(e: OSError, out: Path) -> OutputError:
    """One line for an OSError met while writing ``out``."""
    if e.errno == errno.ENOSPC:
        return OutputError(f"{out}: no space left on device while writing; nothing was written", code=1)
    if e.errno == errno.EDQUOT:
        return OutputError(f"{out}: disk quota exceeded while writing; nothing was written", code=1)
    where = e.filename or out
    return OutputError(f"{out}: cannot write ({where}: {e.strerror or e}); nothing was written")


@contextmanager
def atomic_dir(out: Path, command: str, overwrite: bool = False, manifest: str = "run.json",
               flag: str = "--overwrite") -> Iterator[Path]:
    """Yield a temporary folder; on success it becomes ``out``, on failure it vanishes.

    The caller writes its files and its manifest (``manifest``, a JSON object)
    into the folder; the list of files written is added to the manifest here,
    with ``tool`` and ``command``, so the next run can recognise the folder.
    """
    out = Path(out)
    check_target(out, command, overwrite, manifest, flag)
    clean_stale_partials(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.spread-partial-", dir=out.parent))
        (tmp / PARTIAL_MARKER).write_text(json.dumps({"tool": TOOL, "pid": os.getpid(),
                                                      "host": socket.gethostname(), "out": str(out)}))
    except OSError as e:
        raise OutputError(f"{out}: cannot create the folder ({e.strerror or e}); allowed is a folder you can write")
    try:
        yield tmp
        (tmp / PARTIAL_MARKER).unlink()
        _stamp(tmp, command, manifest)
        check_target(out, command, overwrite, manifest, flag)  # the folder may have changed meanwhile
        _replace(tmp, out, manifest)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise resource_error(e, out) from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _stamp(tmp: Path, command: str, manifest: str) -> None:
    p = tmp / manifest
    data = json.loads(p.read_text()) if p.exists() else {}
    files = [e for e in _entries(tmp) if not e.endswith("/") and e != manifest]
    data.update({"tool": TOOL, "command": command, "files": files})
    p.write_text(json.dumps(data, indent=2, default=str))


def _replace(tmp: Path, out: Path, manifest: str) -> None:
    """Move ``tmp`` to ``out``; an earlier output there loses only the files its manifest lists."""
    if out.exists():
        prev = read_manifest(out, manifest)
        listed = (set(prev["files"]) | {manifest}) if prev else set()
        # only files found inside the folder: a manifest naming "../x" or "/x" (edited by hand,
        # or made to) must never reach outside it
        present = {e for e in _entries(out) if not e.endswith("/")}
        for rel in sorted(listed & present):
            p = out / rel
            if p.is_file() and not p.is_symlink():
                p.unlink()
        for root, dirs, _ in os.walk(out, topdown=False):
            for d in dirs:
                try:
                    (Path(root) / d).rmdir()  # only empty ones: never a user's
                except OSError:
                    pass
    os.rename(tmp, out)  # onto an empty folder (or none): atomic on POSIX
