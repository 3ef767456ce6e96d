"""A sweep's results folder: append-only Parquet parts plus a manifest, written by one process.

Layout::

    manifest.json        experiment as resolved, design hash, versions, git commit, sessions
    design.csv           one row per design point
    runs/part-NNNNNN.parquet    one row per run: meta, every parameter (p.<key path>), outcomes, error
    weekly/part-NNNNNN.parquet  kept weekly columns, if the experiment asks for them
    analysis/            tables (CSV) and figures (PNG, SVG) from `spread analyse`
    .spread-replaced/    an earlier sweep set aside by --overwrite, until the new one completes

Parts are written to a temporary file and renamed, so a part is either whole
or absent; the finished runs are read back from the parts, so a sweep killed
at any moment and resumed ends with exactly the rows of an uninterrupted one.
A folder is taken only if it is new, empty or a sweep's own (``check_sweep_target``).

``--overwrite`` never deletes the earlier sweep before the new one has
finished: its entries are moved into ``.spread-replaced/`` (with a marker the
tool writes, so a folder of that name without it is the user's), the new
sweep runs beside them, and they are removed only when it completes (every
run done, the analysis written). Interrupted, ``--resume`` continues the new
sweep and removes them when it completes; until then they can be moved back
by hand (``set_aside``, ``drop_replaced``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.results_folder import (LOCK, PARTIAL_MARKER, REPLACED_MARKER, _first_entry, _is_cwd_or_above,
                                  _marker, _walk, check_manifest_file, foreign_entries, lock_folder,
                                  read_manifest, read_regular, write_marker)

META_COLUMNS = ["run_key", "point", "point_name", "rep", "seed", "scenario", "error"]
PARAM_PREFIX = "p."
#: The analysis folder's manifest, listing its files (model/results_folder.py).
ANALYSIS_MANIFEST = "analysis.json"
MANIFEST_VERSION = 1


class SweepError(Exception):
    """A problem that stops a sweep before it runs (one line)."""


def run_key(point: int, rep: int) -> str:
    """The key of one run in the store, ``p<point>-r<rep>``."""
    return f"p{point}-r{rep}"



def _atomic_write_bytes(path: Path, data: bytes):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _atomic_write_table(path: Path, table: pa.Table):
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _rows_table(rows: list[dict]) -> pa.Table:
    df = pd.DataFrame(rows)
    for c in df.columns:
        if df[c].dtype == object:
            nonnull = df[c].dropna()
            if len(nonnull) and nonnull.map(lambda x: isinstance(x, (int, float)) and not isinstance(x, bool)).all():
                df[c] = pd.to_numeric(df[c])
            elif len(nonnull) and not nonnull.map(lambda x: isinstance(x, str)).all():
                df[c] = df[c].map(lambda x: None if x is None else (x if isinstance(x, str) else json.dumps(x, default=str)))
    return pa.Table.from_pandas(df, preserve_index=False)


class Store:
    """Append-only Parquet parts plus a manifest, written by one process."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.runs_dir = self.out / "runs"
        self.weekly_dir = self.out / "weekly"
        self.manifest_path = self.out / "manifest.json"
        self._lock_fd = None
        self.buffer: list[dict] = []
        self.weekly_buffer: list[pd.DataFrame] = []
        self.next_part = 0
        self.rows_written = 0

    # opening -----------------------------------------------------------
    def existing_manifest(self) -> dict | None:
        """The folder's manifest.json as read, or None if there is none."""
        raw = read_regular(self.manifest_path)
        return json.loads(raw.decode()) if raw is not None else None

    def lock(self) -> None:
        """Make the folder if need be and take its lock (held until ``close``)."""
        if self._lock_fd is not None:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        self._lock_fd = lock_folder(self.out)
        if self._lock_fd is None:
            raise SweepError(f"{self.out}: another sweep is writing to this folder")

    def open(self) -> set[str]:
        """Lock the folder, clear debris of a killed writer, return finished run keys."""
        self.lock()
        self.runs_dir.mkdir(exist_ok=True)
        self.weekly_dir.mkdir(exist_ok=True)
        # debris of a killed writer: only temporary files of names this store writes
        for d, pattern in ((self.runs_dir, "part-*.parquet.tmp"), (self.weekly_dir, "part-*.parquet.tmp"),
                           (self.out, "manifest.json.tmp"), (self.out, "design.csv.tmp")):
            for tmp in d.glob(pattern):
                if _STORE_ENTRY.fullmatch(tmp.relative_to(self.out).as_posix()):
                    tmp.unlink()
        done: set[str] = set()
        parts = sorted(self.runs_dir.glob("part-*.parquet"))
        for part in parts:
            try:
                keys = read_part(part, ["run_key"]).column("run_key").to_pylist()
            except SweepError:
                self.close()
                raise
            dup = done.intersection(keys)
            if dup:  # cannot happen with one writer; refuse rather than double count
                raise SweepError(f"{part}: runs already in another part: {sorted(dup)[:3]}")
            done.update(keys)
        run_parts = {p.name for p in parts}
        for wpart in self.weekly_dir.glob("part-*.parquet"):
            if wpart.name not in run_parts:  # weekly written, runs part not: the runs will be redone
                wpart.unlink()
        if parts:
            self.next_part = max(int(p.stem.split("-")[1]) for p in parts) + 1
        return done

    def close(self) -> None:
        """Let go of the folder's lock."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # writing -----------------------------------------------------------
    def add(self, rows: list[dict], weekly: pd.DataFrame | None) -> None:
        """Buffer finished runs' rows (and their weekly rows) until the next flush."""
        self.buffer.extend(rows)
        if weekly is not None and len(weekly):
            self.weekly_buffer.append(weekly)

    def flush(self) -> int:
        """Write the buffered rows as the next part (weekly part first); return how many runs it held."""
        if not self.buffer:
            return 0
        name = f"part-{self.next_part:06d}.parquet"
        if self.weekly_buffer:  # weekly first: a runs part never exists without its weekly part
            wt = pa.Table.from_pandas(pd.concat(self.weekly_buffer, ignore_index=True), preserve_index=False)
            _atomic_write_table(self.weekly_dir / name, wt)
        _atomic_write_table(self.runs_dir / name, _rows_table(self.buffer))
        n = len(self.buffer)
        self.rows_written += n
        self.next_part += 1
        self.buffer = []
        self.weekly_buffer = []
        return n

    def write_manifest(self, manifest: dict) -> None:
        """Replace manifest.json atomically (temp file, fsync, rename)."""
        _atomic_write_bytes(self.manifest_path, (json.dumps(manifest, indent=2, default=str) + "\n").encode())


#: Every entry a sweep's results folder can hold (relative POSIX paths; folders end in /). The
#: analysis' temporary folders (``.analysis.spread-partial-*``) are the sweep's only when they carry
#: the marker that `spread analyse` wrote into them (``_strangers``).
_STORE_ENTRY = re.compile(r"(manifest\.json|design\.csv)(\.tmp)?|\.lock|runs/|weekly/|analysis/"
                          r"|(runs|weekly)/part-\d{6}\.parquet(\.tmp)?")
_ANALYSIS_PARTIAL = re.compile(r"\.analysis\.spread-partial-[^/]+/")


def _is_sweep_manifest(m: dict | None) -> bool:
    return isinstance(m, dict) and "design_hash" in m and m.get("format") == MANIFEST_VERSION


def _own(folder: Path) -> Callable[[str], bool]:
    """Whether a relative path under ``folder`` is one a sweep (and its analysis) writes there; what the
    analysis' manifest and its temporary folders' markers say is read now, once."""
    analysis = read_manifest(folder / "analysis", ANALYSIS_MANIFEST)
    ours = {f"analysis/{f}" for f in (analysis["files"] if analysis else [])} | {f"analysis/{ANALYSIS_MANIFEST}"}
    partials = {e.name + "/" for e in folder.glob(".analysis.spread-partial-*")
                if e.is_dir() and not e.is_symlink() and _marker(e, PARTIAL_MARKER) is not None}

    def is_ours(e: str) -> bool:
        if _STORE_ENTRY.fullmatch(e) or e in ours:
            return True
        top = e.split("/", 1)[0] + "/"
        return top in partials  # an analysis cut off midway: its marker says it is ours

    return is_ours


#: The folder of a sweep's results folder that holds an earlier sweep set aside by --overwrite; it is
#: the sweep's only while it carries the marker of the same name (written by ``set_aside``).
REPLACED = REPLACED_MARKER


def replaced_folder(out: Path) -> Path | None:
    """``out/.spread-replaced`` if it is a folder (not a link) carrying the tool's marker, else None.

    Any host's marker counts: a sweep on a shared disk may be resumed from another machine."""
    aside = Path(out) / REPLACED
    if aside.is_dir() and not aside.is_symlink() and _marker(aside, REPLACED_MARKER, same_host=False) is not None:
        return aside
    return None


def _strangers(out: Path) -> list[str]:
    """Entries of ``out`` that a sweep (and its analysis) did not write: files, links, FIFOs, empty folders.

    A marked ``.spread-replaced/`` is the sweep's, holding (besides its marker) only what a sweep writes;
    one without the marker is the user's."""
    ours = _own(out)
    aside = replaced_folder(out)
    inner = _own(aside) if aside is not None else None
    prefix = REPLACED + "/"

    def is_ours(e: str) -> bool:
        if e.startswith(prefix):
            rest = e[len(prefix):]
            return inner is not None and (rest == REPLACED_MARKER or inner(rest))
        return ours(e)

    return foreign_entries(out, is_ours)


def check_sweep_target(out: Path, design_hash: str, resume: bool, overwrite: bool) -> dict | None:
    """Refuse (SweepError) unless ``out`` may take this sweep; return the manifest to resume, if any.

    A new or empty folder starts a sweep. A folder holding a sweep's results
    (recognised by its manifest) is continued with ``resume`` (same design
    only) or cleared and started again with ``overwrite`` (only if every entry
    in it is the sweep's own). Anything else is refused; nothing is written.
    """
    if resume and overwrite:
        raise SweepError("--resume and --overwrite: allowed is one of them (continue, or start again)")
    if out.is_symlink():
        raise SweepError(f"{out}: is a symbolic link; allowed is a new folder or a sweep's results folder")
    if not out.exists():
        if resume:
            raise SweepError(f"{out}: nothing to resume (no such folder); run without --resume to start")
        return None
    if not out.is_dir():
        raise SweepError(f"{out}: is a file, not a folder; nothing was changed (choose a new --out)")
    if _is_cwd_or_above(out):
        raise SweepError(f"{out}: is the current folder or one above it; allowed is a new folder")
    try:
        first = _first_entry(out)  # not the whole tree: it is walked only for a folder of the sweep's own
    except OSError as e:
        raise SweepError(f"{out}: cannot be read ({e.strerror}); choose another --out")
    if first is None:
        if resume:
            raise SweepError(f"{out}: nothing to resume (empty folder); run without --resume to start")
        return None
    check_manifest_file(out, "manifest.json", SweepError)  # a FIFO would block the read
    raw = read_regular(out / "manifest.json")
    try:
        old = json.loads(raw.decode()) if raw is not None else None
    except (ValueError, UnicodeDecodeError):
        old = None
    if not _is_sweep_manifest(old):
        aside = replaced_folder(out)
        if raw is None and aside is not None and os.path.lexists(aside / "manifest.json"):
            # an --overwrite stopped after setting the earlier sweep aside, before the new one began
            if not overwrite:
                raise SweepError(f"{out}: holds an earlier sweep that --overwrite set aside in {aside}, and no new "
                                 "sweep yet (it stopped before starting); add --overwrite to start it again (the "
                                 "earlier results stay there until it completes), or move them back by hand")
            _refuse_strangers(out)
            return None
        raise SweepError(f"{out}: holds files that `spread sweep` did not write (e.g. {first.rstrip('/')}); "
                         "nothing was changed (choose a new --out)")
    done = old.get("runs_done", "some")
    if overwrite:
        _refuse_strangers(out)
        return None
    if old.get("design_hash") != design_hash:
        raise SweepError(f"{out}: holds results of a different experiment or design "
                         f"(design hash {old.get('design_hash')} there, {design_hash} here); "
                         "choose another --out, or add --overwrite to replace them")
    if not resume:
        raise SweepError(f"{out}: holds this sweep's results ({done} of {old.get('n_runs')} runs done); "
                         "add --resume to continue it, or --overwrite to start again")
    return old


def _refuse_strangers(out: Path) -> None:
    try:
        strangers = _strangers(out)
    except OSError as e:
        raise SweepError(f"{out}: cannot be read ({e.strerror}); choose another --out")
    if strangers:
        raise SweepError(f"{out}: holds {strangers[0]}, which `spread sweep` did not write; --overwrite "
                         "replaces only a folder of the sweep's own files, so nothing was changed")


def _remove(path: Path) -> None:
    """Remove one entry of a sweep's folder, a folder with everything under it (checked as the sweep's own)."""
    if path.is_dir() and not path.is_symlink():
        for e, kind in reversed(_walk(path)):  # files before the folders holding them
            if kind == "folder":
                (path / e).rmdir()
            else:
                (path / e).unlink()
        path.rmdir()
    else:
        path.unlink()


def _completed(out: Path) -> bool:
    raw = read_regular(Path(out) / "manifest.json")
    try:
        m = json.loads(raw.decode()) if raw is not None else None
    except (ValueError, UnicodeDecodeError):
        return False
    return _is_sweep_manifest(m) and m.get("status") == "complete" and m.get("runs_done") == m.get("n_runs")


def set_aside(out: Path) -> Path | None:
    """Move the earlier sweep in ``out`` into ``out/.spread-replaced`` (--overwrite); return that folder.

    Call it holding the folder's lock, after ``check_sweep_target`` allowed --overwrite. The marker is
    written first and the manifest moved first, so a set-aside cut off at any point is recognised:

    * a marked folder without a manifest is one begun or one being removed: it is removed (its own
      files only) and the set-aside starts afresh;
    * with a manifest there and none in ``out``, the move goes on where it stopped (an entry already
      there under the same name is the new sweep's, made after the move: it is removed);
    * with a manifest in both, ``out`` holds the sweep of an earlier --overwrite. If it completed, the
      results set aside before it are removed and it is set aside in turn; if not, its own files are
      removed and the results set aside before it stay until a sweep completes.

    Nothing but the sweep's own entries is moved or removed; ``.lock`` (held) stays.
    """
    out = Path(out)
    if _strangers(out):  # checked before; the folder may have changed since
        raise SweepError(f"{out}: gained files that `spread sweep` did not write; nothing was changed")
    aside = replaced_folder(out)
    if aside is not None and not os.path.lexists(aside / "manifest.json"):
        drop_replaced(out)
        aside = None
    elif aside is not None and os.path.lexists(out / "manifest.json"):
        if _completed(out):
            drop_replaced(out)
            aside = None
        else:  # an --overwrite that never completed: its runs go, the earlier results stay set aside
            _remove(out / "manifest.json")  # first: without it the folder is never taken for a sweep to resume
            for name in sorted(os.listdir(out)):
                if name not in (LOCK, REPLACED):
                    _remove(out / name)
            return aside
    names = sorted(n for n in os.listdir(out) if n not in (LOCK, REPLACED))
    if aside is None:
        if not names:
            return None
        aside = out / REPLACED
        aside.mkdir()
        write_marker(aside, REPLACED_MARKER, out=str(out), what="an earlier sweep set aside by --overwrite")
    names.sort(key=lambda n: n != "manifest.json")  # the manifest first
    for name in names:
        if os.path.lexists(aside / name):
            _remove(out / name)  # made by the new sweep after the earlier one's was moved
        else:
            os.rename(out / name, aside / name)
    return aside


def drop_replaced(out: Path, log: Callable[[str], None] | None = None) -> bool:
    """Remove the earlier sweep that --overwrite set aside in ``out/.spread-replaced`` (the new one
    completed): its manifest first, then its own files and folders, the marker last. Anything else in
    it is kept, the marker taken off (the folder is then the user's), with a warning. True if removed."""
    aside = replaced_folder(out)
    if aside is None:
        return False
    ours = _own(aside)  # read before anything goes: the analysis' manifest lists its files
    (aside / "manifest.json").unlink(missing_ok=True)  # first: a set-aside without it is one being removed
    kept = []
    for e, kind in reversed(_walk(aside)):
        if kind == "folder":
            try:
                (aside / e).rmdir()  # only empty ones
            except OSError:
                pass
        elif kind == "file" and e != REPLACED_MARKER and ours(e):
            (aside / e).unlink()
        elif e != REPLACED_MARKER:
            kept.append(e)
    (aside / REPLACED_MARKER).unlink()
    if kept:
        import sys
        (log or (lambda m: print(m, file=sys.stderr)))(
            f"spread: warning: {aside} kept: it holds files `spread sweep` did not write (e.g. {min(kept)})")
        return False
    aside.rmdir()
    return True


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        if df[c].dtype == object:
            nonnull = df[c].dropna()
            if len(nonnull) and nonnull.map(lambda x: isinstance(x, (int, float)) and not isinstance(x, bool)).all():
                df[c] = pd.to_numeric(df[c])
    return df


def _damaged(part: Path, e: BaseException) -> SweepError:
    text = " ".join(str(e).split()).replace(f"Could not open Parquet input source '{part}': ", "")
    text = text[:160] or type(e).__name__
    return SweepError(f"{part}: not a readable Parquet part ({text}); allowed is a part `spread sweep` wrote "
                      "(move it away and run the sweep with --resume to redo its runs)")


def read_part(part: Path, columns: list[str] | None = None) -> pa.Table:
    """One Parquet part; a damaged or truncated one is a one-line SweepError naming it."""
    try:
        return pq.read_table(part, columns=columns)
    except (OSError, pa.ArrowException) as e:  # ArrowInvalid for garbage or a truncated footer
        raise _damaged(part, e) from None


def read_runs(out: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """All finished runs of a results folder, sorted by (point, rep)."""
    parts = sorted((Path(out) / "runs").glob("part-*.parquet"))
    frames = []
    for part in parts:
        try:
            names = pq.read_schema(part).names
        except (OSError, pa.ArrowException) as e:
            raise _damaged(part, e) from None
        cols = None if columns is None else [c for c in columns if c in names]
        frames.append(read_part(part, cols).to_pandas())
    if not frames:
        return pd.DataFrame(columns=columns or META_COLUMNS)
    df = pd.concat(frames, ignore_index=True)
    if columns is not None:
        for c in columns:
            if c not in df.columns:
                df[c] = None
        df = df[columns]
    df = _normalise(df)
    if "point" in df.columns and "rep" in df.columns:
        df = df.sort_values(["point", "rep"], kind="stable").reset_index(drop=True)
    return df


def read_weekly(out: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Every weekly part of a sweep's folder as one table, sorted by point, replicate and week."""
    parts = sorted((Path(out) / "weekly").glob("part-*.parquet"))
    frames = [read_part(p, columns).to_pandas() for p in parts]
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    keys = [k for k in ("point", "rep", "week") if k in df.columns]  # columns= may leave some out
    return df.sort_values(keys, kind="stable").reset_index(drop=True) if keys else df

