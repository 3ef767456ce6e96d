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
the checks and the markers from here, and sets an earlier sweep aside inside its
folder (``.spread-replaced/``) until the new one completes.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import socket
import stat
import tempfile
from collections.abc import Callable, Iterator
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


def read_regular(path: Path, limit: int = 64 << 20) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not a link, FIFO, socket or device) of at most
    ``limit`` bytes; None otherwise. Never blocks: a FIFO named like a manifest is opened without
    waiting for a writer, and then refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read(limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def not_regular(path: Path) -> str | None:
    """What ``path`` is when it exists but is not a regular file: "a symbolic link", "a folder",
    "a FIFO, socket or device"; None when it is a regular file or absent."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link"
    if stat.S_ISDIR(st.st_mode):
        return "a folder"
    if not stat.S_ISREG(st.st_mode):
        return "a FIFO, socket or device"
    return None


def check_manifest_file(folder: Path, manifest: str, error=None) -> None:
    """Refuse (``error``, default OutputError) a manifest that is not a regular file: reading a FIFO
    would wait forever, a link points somewhere the command did not write."""
    what = not_regular(Path(folder) / manifest)
    if what:
        raise (error or OutputError)(f"{Path(folder) / manifest}: is {what}, not a manifest this tool wrote; "
                                     "nothing was changed (allowed is a regular file, or choose a new folder)")


def read_manifest(folder: Path, manifest: str = "run.json") -> dict | None:
    """The folder's manifest if it is one of ours (a JSON object naming TOOL, in a regular file), else None."""
    raw = read_regular(Path(folder) / manifest)
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode())
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and data.get("tool") == TOOL and isinstance(data.get("files"), list):
        return data
    return None


def _walk(folder: Path) -> list[tuple[str, str]]:
    """Every entry under ``folder``, links never followed: (relative POSIX path, kind), sorted by path.

    Kind is "file" (regular), "folder" (its path ends in /), "link" or "other" (FIFO, socket, device)."""
    found: list[tuple[str, str]] = []

    def visit(d: str, rel: str) -> None:
        with os.scandir(d) as it:
            items = list(it)
        for e in items:
            if e.is_symlink():
                found.append((rel + e.name, "link"))
            elif e.is_dir(follow_symlinks=False):
                found.append((rel + e.name + "/", "folder"))
                visit(e.path, rel + e.name + "/")
            elif e.is_file(follow_symlinks=False):
                found.append((rel + e.name, "file"))
            else:
                found.append((rel + e.name, "other"))

    visit(os.fspath(folder), "")
    return sorted(found)


def _entries(folder: Path) -> list[str]:
    """Every entry under ``folder``, as relative POSIX paths, folders with a trailing / (links: never)."""
    return [path for path, _ in _walk(folder)]


_KINDS = {"link": "a symbolic link", "other": "a FIFO, socket or device", "folder": "a folder"}


def foreign_entries(folder: Path, ours: Callable[[str], bool]) -> list[str]:
    """Entries under ``folder`` that the command did not write, each named (and its kind, if not a file).

    ``ours(path)`` says whether a relative path (a folder's ending in /) is one the command writes.
    A link, FIFO, socket or device is never ours, whatever its name; a folder is judged by what it
    holds, an empty one by ``ours``; so a user's empty folder, or a link to one, is found too.
    """
    walk = _walk(folder)
    found = []
    for i, (path, kind) in enumerate(walk):
        if kind == "file":
            if not ours(path):
                found.append(path)
        elif kind == "folder":
            holds = i + 1 < len(walk) and walk[i + 1][0].startswith(path)  # sorted: its entries follow it
            if not holds and not ours(path):  # a folder holding anything is judged by what it holds
                found.append(f"{path} (an empty folder)")
        else:
            found.append(f"{path} ({_KINDS[kind]})")
    return found


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
    check_manifest_file(out, manifest)
    prev = read_manifest(out, manifest)
    if prev is None or prev.get("command") != command:
        what = (f"an output of `spread {prev.get('command')}`" if prev else
                f"files that {_describe(command)} did not write (e.g. {first.rstrip('/')})")
        raise OutputError(f"{out}: holds {what}; nothing was changed (choose a new folder)")
    if not overwrite:
        raise OutputError(f"{out}: holds an earlier output of {_describe(command)}; add {flag} to replace it, "
                          "or choose a new folder")
    listed = set(prev["files"]) | {manifest}
    try:
        strangers = foreign_entries(out, listed.__contains__)  # walked only once the manifest says it is ours
    except OSError as e:
        raise OutputError(f"{out}: cannot be read ({e.strerror}); choose another folder")
    if strangers:
        raise OutputError(f"{out}: holds {strangers[0]}, which {_describe(command)} did not write; "
                          f"{flag} replaces only a folder of its own files, so nothing was changed")


#: The lock file of a folder that one process at a time may write (a sweep's, a calibration's).
LOCK = ".lock"


def lock_folder(folder: Path) -> int | None:
    """Take ``folder``'s write lock (an advisory ``flock`` on ``folder/.lock``); its descriptor, or None
    when another process holds it. The lock goes with the process: a killed writer leaves none."""
    fd = os.open(Path(folder) / LOCK, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


#: The marker a folder moved aside by ``--overwrite`` carries until the new results are in place.
REPLACED_MARKER = ".spread-replaced"


def _marker(folder: Path, name: str, same_host: bool = True) -> dict | None:
    """A marker this tool wrote (a JSON object naming TOOL), on this host unless ``same_host`` is False
    (a marker whose process id matters must be from this host), else None."""
    raw = read_regular(folder / name, limit=1 << 16)
    try:
        marker = json.loads(raw.decode()) if raw is not None else None
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(marker, dict) or marker.get("tool") != TOOL:
        return None
    if same_host and marker.get("host") != socket.gethostname():
        return None
    return marker


def write_marker(folder: Path, name: str, **fields) -> None:
    """Write the marker ``name`` into ``folder``: a JSON object naming TOOL, this host and process, and ``fields``."""
    (Path(folder) / name).write_text(json.dumps({"tool": TOOL, "pid": os.getpid(), "host": socket.gethostname(),
                                                 **fields}))


def clean_stale_partials(out: Path) -> list[Path]:
    """Tidy up after earlier writers of ``out`` that were killed.

    A temporary folder (``.NAME.spread-partial-*``) is removed, and an earlier
    output moved aside by ``--overwrite`` (``.NAME.spread-old-*``) is put back
    if ``out`` is missing, else its own files are removed; each only when its
    marker says it was made on this host by a process that no longer runs, so
    nothing not recognisably ours is touched. Returns what was removed or restored.
    """
    out = Path(out)
    removed = []
    parent = out.parent if str(out.parent) else Path(".")
    try:
        partials = list(parent.glob(f".{out.name}.spread-partial-*"))
        olds = list(parent.glob(f".{out.name}.spread-old-*"))
    except OSError:
        return removed
    for d in partials:
        marker = _marker(d, PARTIAL_MARKER)
        if marker is None or not isinstance(marker.get("pid"), int) or _alive(marker["pid"]):
            continue  # not recognisably ours, or its writer still runs: leave it
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    for d in olds:
        marker = _marker(d, REPLACED_MARKER)
        if marker is None or not isinstance(marker.get("pid"), int) or _alive(marker["pid"]):
            continue
        manifest = marker.get("manifest", "run.json")
        if not os.path.lexists(out):  # killed between the two renames: the earlier output goes back
            (d / REPLACED_MARKER).unlink()
            os.rename(d, out)
        else:
            _discard(d, manifest)
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
    An earlier output at ``out`` (``overwrite``) is moved aside only once the
    new one is complete and put back if the swap fails, so a failure at any
    point leaves it as it was.
    """
    out = Path(out)
    check_target(out, command, overwrite, manifest, flag)
    clean_stale_partials(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.spread-partial-", dir=out.parent))
        write_marker(tmp, PARTIAL_MARKER, out=str(out))
    except OSError as e:
        raise OutputError(f"{out}: cannot create the folder ({e.strerror or e}); allowed is a folder you can write")
    try:
        yield tmp
        _stamp(tmp, command, manifest)
        check_target(out, command, overwrite, manifest, flag)  # the folder may have changed meanwhile
        (tmp / PARTIAL_MARKER).unlink()
        _swap(tmp, out, manifest)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise resource_error(e, out) from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _stamp(tmp: Path, command: str, manifest: str) -> None:
    p = tmp / manifest
    data = json.loads(p.read_text()) if p.exists() else {}
    files = [e for e in _entries(tmp) if not e.endswith("/") and e not in (manifest, PARTIAL_MARKER)]
    data.update({"tool": TOOL, "command": command, "files": files})
    p.write_text(json.dumps(data, indent=2, default=str))


def _swap(tmp: Path, out: Path, manifest: str) -> None:
    """Put ``tmp`` in place of ``out``. An earlier output there (checked: only its own files) is first
    renamed aside with a marker, then loses only the files its manifest lists; if the second rename
    fails it is renamed back."""
    if not os.path.lexists(out) or (out.is_dir() and not out.is_symlink() and _first_entry(out) is None):
        os.rename(tmp, out)  # onto an empty folder (or none): atomic on POSIX
        return
    old = out.with_name(f".{out.name}.spread-old-{os.getpid()}-{os.urandom(4).hex()}")
    os.rename(out, old)
    try:
        write_marker(old, REPLACED_MARKER, out=str(out), manifest=manifest)
        os.rename(tmp, out)
    except BaseException:
        if not os.path.lexists(out):
            try:
                (old / REPLACED_MARKER).unlink(missing_ok=True)
            except OSError:
                pass
            os.rename(old, out)
        raise
    _discard(old, manifest)


def _discard(old: Path, manifest: str) -> None:
    """Remove an earlier output moved aside: the files its manifest lists, its manifest, then its empty
    folders. Anything else (a file that appeared after the check) is kept, with a warning line."""
    prev = read_manifest(old, manifest)
    listed = (set(prev["files"]) | {manifest}) if prev else {manifest}
    # only files found inside the folder: a manifest naming "../x" or "/x" (edited by hand,
    # or made to) must never reach outside it
    for path, kind in _walk(old):
        if kind == "file" and (path in listed or path == REPLACED_MARKER):
            (old / path).unlink()
    for root, dirs, _ in os.walk(old, topdown=False):
        for d in dirs:
            try:
                (Path(root) / d).rmdir()  # only empty ones
            except OSError:
                pass
    try:
        old.rmdir()
    except OSError:
        import sys
        print(f"spread: warning: {old} kept: it holds files this command did not write", file=sys.stderr)
