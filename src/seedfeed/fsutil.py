"""Every write to disk: atomic, skipped when unchanged, kept inside its folder.

A reader (a web server, a feed reader polling a file) must never see half a
file, and an unchanged file keeps its mtime so HTTP validators stay put.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NewType

from seedfeed.errors import LockError, OutputError

if TYPE_CHECKING:
    import ctypes

LOCK_NAME = ".seedfeed.lock"
# Lock file descriptors this process holds; see _forget_locks_in_child.
_HELD_LOCKS: set[int] = set()
# What atomic_write's mkstemp names look like: ".<name>.<8 random chars>.tmp".
_TEMP_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


# A file's bytes, whole or as parts written one after another (a page of
# tens of megabytes is not copied to be joined).
Data = bytes | Sequence[bytes | memoryview]


def _parts(data: Data) -> Sequence[bytes | memoryview]:
    return (data,) if isinstance(data, bytes) else data


def holds(path: Path, data: Data) -> bool:
    """Return whether the file at ``path`` holds exactly these bytes (False when it is missing)."""
    parts = _parts(data)
    try:
        if not path.is_file() or path.stat().st_size != sum(map(len, parts)):
            return False
        with path.open("rb") as fh:
            return all(fh.read(len(part)) == part for part in parts)
    except FileNotFoundError:
        return False


def atomic_write(path: Path, data: Data) -> None:
    """Write a file through a temporary file, fsync and rename.

    Raises OSError from the file system; the old file is then untouched.
    """

    def write(fh: BinaryIO) -> bool:
        # writelines loops in C: index.html of a hundred thousand entries is as many parts.
        fh.writelines(_parts(data))
        return True

    _through_temp(path, write)
    _fsync_dir(path.parent)


def _through_temp(path: Path, write: Callable[[BinaryIO], bool]) -> bool:
    """Write a file through a temporary file beside it; ``write`` fills it and says whether it replaces ``path``.

    One that does is flushed to disk, made readable and renamed over
    ``path``; one that does not is removed. Returns whether ``path`` was
    replaced. Raises OSError from the file system; the old file is then
    untouched and the temporary file gone.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            is_kept = write(fh)
            if is_kept:
                fh.flush()
                os.fsync(fh.fileno())
        if not is_kept:
            Path(tmp).unlink()
            return False
        Path(tmp).chmod(0o644)  # mkstemp makes 0600; the web server must read the feed
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _syncfs(folder: Path) -> bool:
    """Flush every dirty page of the file system holding folder; return False where unsupported.

    One syncfs(2) costs about what one fsync does, where a thousand fsyncs
    cost a thousand journal commits: for a batch of pages, the difference
    between seconds and a blink.
    """
    libc_syncfs = getattr(load_libc(), "syncfs", None)
    if libc_syncfs is None:
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        return int(libc_syncfs(fd)) == 0
    finally:
        os.close(fd)


# Up to this many files are flushed one fsync each: syncfs flushes every dirty
# page of the file system, other programs' included, which for a rebuild's
# page or two costs more than their own fsyncs.
_FSYNC_AT_MOST = 8


def _flush(root: Path, temps: Sequence[str]) -> None:
    """Put the data of these files on disk: one fsync each for a few, else one syncfs for all where there is one."""
    if len(temps) > _FSYNC_AT_MOST and _syncfs(root):
        return
    for tmp in temps:
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@functools.cache
def load_libc() -> ctypes.CDLL | None:
    """Return the C library, for the calls Python's os module lacks (syncfs, prctl); None if it cannot load."""
    import ctypes  # on large batches and pool workers only: a rebuild's few pages never load it

    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def write_batch_if_changed(root: Path, items: Sequence[tuple[str, bytes]]) -> list[bool]:
    """Write many files under root, each unless it already holds its bytes; return which were written.

    Each file still goes through a temporary file and a rename, and its data
    is on disk before the rename, as with atomic_write; the data of the whole
    batch is flushed with one syncfs instead of one fsync per file. Raises
    OutputError when a path escapes root or a file cannot be written; the
    files already renamed then stay, each whole.
    """
    pending: list[tuple[Path, str]] = []  # target, temporary file
    changed: list[bool] = []
    folders_resolved: dict[str, Path] = {}
    try:
        for relative, data in items:
            path = _batch_target(root, relative, folders_resolved)
            try:
                if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
                    changed.append(False)
                    continue
                if not path.parent.is_dir():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    _fsync_dir(path.parent.parent)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
                pending.append((path, tmp))
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                Path(tmp).chmod(0o644)  # mkstemp makes 0600; the web server must read the pages
            except OSError as exc:
                raise OutputError(f"{path}: cannot be written: {exc.strerror or exc}") from exc
            changed.append(True)
        if pending:
            _flush(root, [tmp for _path, tmp in pending])
        folders = sorted({path.parent for path, _tmp in pending})
        # Renamed in reverse, popping from the end: what is left is what the cleanup must remove.
        pending.reverse()
        while pending:
            path, tmp = pending[-1]
            Path(tmp).replace(path)
            pending.pop()
        for folder in folders:
            _fsync_dir(folder)
    except OSError as exc:
        raise OutputError(f"{root}: cannot be written: {exc.strerror or exc}") from exc
    finally:
        for _path, tmp in pending:
            Path(tmp).unlink(missing_ok=True)
    return changed


def write_disposable(path: Path, data: Data | Iterator[bytes | memoryview]) -> None:
    """Write a file that may be lost (a cache) through a temporary file and rename, without fsync.

    ``data`` may be an iterator of parts, written as they are made.

    A crash can leave it stale or empty, never half-replaced by another
    build's; its reader must recognise damage. Raises OSError.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            # Parts written one after another: a cache of a hundred megabytes is not copied to be joined.
            fh.writelines(data if isinstance(data, Iterator) else _parts(data))
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# A file's new bytes, on disk in a temporary file beside it, not yet renamed into place: the
# temporary file's path. A string, not an object holding it and the file's own path too: a
# cold build holds one per seed until its pages are committed (14 MB at 100,000 seeds).
StagedFile = NewType("StagedFile", str)


def stage_file(root: Path, relative: str, data: bytes, folders: dict[str, Path]) -> StagedFile | None:
    """Write ``data`` to a temporary file beside ``root/relative``; None when the file already holds it.

    A build's workers stage the pages of the seeds they parse, so that
    rendering and writing spread over the cores like parsing; the build
    commits them (``commit_staged``) once the ledger is written, or discards
    them. A temporary file left by a killed build is removed by the next one
    (``remove_stale_temp_files``). ``folders`` memoises resolved folders.
    Raises OutputError as ``write_batch_if_changed`` does.
    """
    # A folder seen before in this batch was made then, if it was missing.
    is_known_folder = relative.rpartition("/")[0] in folders
    path, found = _batch_target_stat(root, relative, folders)
    try:
        # One lstat tells whether there is a file of this size to compare with.
        is_same_size = found is not None and stat.S_ISREG(found.st_mode) and found.st_size == len(data)
        if is_same_size and path.read_bytes() == data:
            return None
        if not is_known_folder and not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
            _fsync_dir(path.parent.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            # os.write on the descriptor: no file object (and its fstat) per page.
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, 0o644)  # mkstemp makes 0600; the web server must read the pages
        except BaseException:
            os.close(fd)
            Path(tmp).unlink(missing_ok=True)
            raise
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written: {exc.strerror or exc}") from exc
    return StagedFile(tmp)


def commit_staged(root: Path, staged: Sequence[tuple[str, StagedFile]]) -> None:
    """Put staged files in place: their data flushed with one syncfs, then each renamed over its target.

    ``staged`` pairs each file's path relative to ``root`` with its staged
    bytes (``stage_file``). Raises OutputError when a file cannot be put in
    place; the ones already renamed stay, each whole, and the caller
    discards the rest.
    """
    if not staged:
        return
    folders: dict[str, Path] = {}
    left = [temp for _relative, temp in staged]  # not yet renamed: removed if this fails
    try:
        targets = [(_renamed_target(root, relative, folders), temp) for relative, temp in staged]
        _flush(root, [tmp for _path, tmp in targets])
        left.reverse()
        for path, tmp in targets:
            # os.replace on the strings: Path.replace makes two Path objects per page, 10,000 in a cold build.
            os.replace(tmp, path)  # noqa: PTH105
            left.pop()
        # The folders resolved for the targets are their parents: no Path made per page to find them.
        for folder in sorted(set(folders.values())):
            _fsync_dir(folder)
    except OSError as exc:
        raise OutputError(f"{root}: cannot be written: {exc.strerror or exc}") from exc
    finally:
        discard_staged(left)


def discard_staged(staged: Iterable[StagedFile]) -> None:
    """Remove the temporary files of staged files that will not be committed."""
    for temp in staged:
        Path(temp).unlink(missing_ok=True)


def _batch_target(root: Path, relative: str, folders: dict[str, Path]) -> Path:
    """Return ``safe_path(root, relative)``, resolving each folder of a batch once.

    A thousand pages share a folder: resolving it once, and only the file's
    own name after (an lstat, to catch a symlink), gives the same answer as
    resolving every path whole, at a fraction of the system calls.
    """
    return _batch_target_stat(root, relative, folders)[0]


def _batch_target_stat(root: Path, relative: str, folders: dict[str, Path]) -> tuple[Path, os.stat_result | None]:
    """Return ``_batch_target``'s path and the lstat it took (None: no such file), which callers reuse."""
    target = _renamed_target(root, relative, folders)
    try:
        found = os.lstat(target)
    except FileNotFoundError:
        return target, None
    if stat.S_ISLNK(found.st_mode):
        return safe_path(root, relative), None  # raises unless the link stays inside
    return target, found


def _renamed_target(root: Path, relative: str, folders: dict[str, Path]) -> Path:
    # The file's folder resolved (once per batch) and checked to be inside root.
    # Enough for a rename, which replaces what is at the name, a symlink
    # included, without following it.
    folder, _sep, name = relative.rpartition("/")
    if name in ("", ".", "..") or "\x00" in name:
        return safe_path(root, relative)  # raises, naming the path
    resolved = folders.get(folder)
    if resolved is None:
        resolved = folders[folder] = safe_path(root, folder) if folder else root.resolve()
    return resolved / name


def safe_path(root: Path, relative: str) -> Path:
    """Return ``root / relative`` if it stays inside root.

    Raises OutputError for a path that escapes the folder (``..``, absolute, symlink).
    """
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or target == base:
        raise OutputError(f"{relative!r} would be written outside the output folder {root}")
    return target


def write_if_changed(root: Path, relative: str, data: Data) -> bool:
    """Write ``data`` (bytes, or parts of them) to ``root/relative`` unless the file already holds it.

    Returns whether the file was written. Raises OutputError when the path
    escapes root or the file cannot be written.
    """
    path = safe_path(root, relative)
    try:
        if holds(path, data):
            return False
        if not path.parent.is_dir():
            # exist_ok: pages are written from several threads, which may race to make it.
            path.parent.mkdir(parents=True, exist_ok=True)
            # The new folder's own entry must reach the disk too, or a crash loses the file in it.
            _fsync_dir(path.parent.parent)
        atomic_write(path, data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written: {exc.strerror or exc}") from exc
    return True


def write_parts_if_changed(root: Path, relative: str, parts: Iterable[bytes | memoryview]) -> bool:
    """Write ``parts`` to ``root/relative`` as they come, unless the file already holds exactly their bytes.

    ``write_if_changed`` for a file too large to be made whole first (the
    ledger of a large folder): each part goes to the temporary file as it
    is made, and is compared with the old file's bytes at its place. Every
    part is taken, whether or not the file is written. Returns whether it
    was; when it was not, the old file is untouched and the temporary file
    gone. Raises OutputError when the path escapes root or the file cannot
    be written.
    """
    path = safe_path(root, relative)
    try:
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
            _fsync_dir(path.parent.parent)
        with contextlib.ExitStack() as stack:
            try:
                old = stack.enter_context(path.open("rb")) if path.is_file() else None
            except FileNotFoundError:
                old = None

            def write(fh: BinaryIO) -> bool:
                is_same = old is not None
                for part in parts:
                    fh.write(part)
                    if is_same and old is not None:
                        is_same = old.read(len(part)) == part
                return not (is_same and old is not None and not old.read(1))

            if not _through_temp(path, write):
                return False
        _fsync_dir(path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written: {exc.strerror or exc}") from exc
    return True


def remove_stale_temp_files(*folders: Path) -> list[Path]:
    """Delete the temporary files a killed write left behind; return them.

    Call only under the build lock: then no write is in flight, and any file
    named like atomic_write's temporaries is debris. Missing folders are skipped.
    """
    removed: list[Path] = []
    for folder in folders:
        try:
            # scandir: names without a Path each; the articles folder holds a file per seed.
            with os.scandir(folder) as entries:
                candidates = [
                    folder / e.name
                    for e in entries
                    if e.name.startswith(".") and _TEMP_NAME.fullmatch(e.name) and e.is_file()
                ]
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise OutputError(f"{folder}: cannot be listed: {exc.strerror or exc}") from exc
        for path in candidates:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def remove_files_not_in(root: Path, folder: str, suffix: str, keep: Container[str]) -> list[str]:
    """Delete ``root/folder/*<suffix>`` files whose relative path is not in keep; return them.

    For generated pages of articles whose seed is gone: a removed article
    must stop being served too. Raises OutputError when the folder cannot be
    listed or a file cannot be removed. ``keep`` is asked once per file: a
    set, or as quick to ask (``outputs.SitePaths``).
    """
    directory = safe_path(root, folder)
    removed: list[str] = []
    try:
        # Names, not paths, and only those not kept: the folder may hold a page
        # per article, and scandir knows which entries are files without a stat.
        prefix = f"{folder}/"
        with os.scandir(directory) as entries:
            candidates = sorted(
                e.name for e in entries if e.name.endswith(suffix) and prefix + e.name not in keep and e.is_file()
            )
    except FileNotFoundError:
        return removed
    except OSError as exc:
        raise OutputError(f"{directory}: cannot be listed: {exc.strerror or exc}") from exc
    for name in candidates:
        relative = f"{folder}/{name}"
        path = directory / name
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise OutputError(f"{path}: cannot be removed: {exc.strerror or exc}") from exc
        removed.append(relative)
    return removed


def _forget_locks_in_child() -> None:
    # A forked child (a parse worker) shares the lock's open file description,
    # and flock holds while any copy is open: a worker outliving a killed build
    # would keep the next build waiting. Closing the child's copy (never
    # unlocking, which would free the parent's lock) leaves the lock to the
    # build's own process, so it dies with it.
    for fd in _HELD_LOCKS:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_forget_locks_in_child)


@contextlib.contextmanager
def build_lock(folder: Path, *, timeout: float = 60.0) -> Iterator[None]:
    """Hold the folder's build lock; a second build waits for the first.

    The lock is an flock on a file, so it dies with its process (and not with
    the processes it forks, which drop their copy): a build killed by SIGKILL
    never leaves a stale lock behind. Raises LockError after timeout.
    """
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LockError(f"{path}: cannot open the build lock: {exc.strerror or exc}") from exc
    _HELD_LOCKS.add(fd)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockError(
                        f"{folder}: another build has held the lock for {timeout:g} s; try again when it ends"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        _HELD_LOCKS.discard(fd)
        os.close(fd)
