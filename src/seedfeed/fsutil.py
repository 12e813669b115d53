"""Every write to disk: atomic, skipped when unchanged, kept inside its folder.

A reader (a web server, a feed reader polling a file) must never see half a
file, and an unchanged file keeps its mtime so HTTP validators stay put.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from seedfeed.errors import LockError, OutputError

LOCK_NAME = ".seedfeed.lock"


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file through a temporary file, fsync and rename.

    Raises OSError from the file system; the old file is then untouched.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).chmod(0o644)  # mkstemp makes 0600; the web server must read the feed
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def safe_path(root: Path, relative: str) -> Path:
    """Return ``root / relative`` if it stays inside root.

    Raises OutputError for a path that escapes the folder (``..``, absolute, symlink).
    """
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or target == base:
        raise OutputError(f"{relative!r} would be written outside the output folder {root}")
    return target


def write_if_changed(root: Path, relative: str, data: bytes) -> bool:
    """Write ``data`` to ``root/relative`` unless the file already holds it.

    Returns whether the file was written. Raises OutputError when the path
    escapes root or the file cannot be written.
    """
    path = safe_path(root, relative)
    try:
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written: {exc.strerror or exc}") from exc
    return True


@contextlib.contextmanager
def build_lock(folder: Path, *, timeout: float = 60.0) -> Iterator[None]:
    """Hold the folder's build lock; a second build waits for the first.

    The lock is an flock on a file, so it dies with its process: a build killed
    by SIGKILL never leaves a stale lock behind. Raises LockError after timeout.
    """
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LockError(f"{path}: cannot open the build lock: {exc.strerror or exc}") from exc
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
        os.close(fd)
