"""The C library's heap, told to give large buffers back: a large build's peak is partly its allocator's.

A full build of a hundred thousand seeds holds a record per seed for its
whole run and, for moments, buffers of megabytes: the ledger's bytes, the
parse cache's state, the snapshot's scans. glibc serves a buffer of more
than 128 KiB with a mapping of its own, returned to the system when it is
freed, but raises that threshold to the size of each such buffer freed: the
buffers of the same size that follow come from the heap instead, and among
a hundred thousand records the heap cannot shrink around them. A fixed
threshold keeps every large buffer a mapping of its own (a few dozen of them
per build: the cost of mapping them is nothing beside their bytes).
Trimming the heap (``malloc_trim``) once a build has let go of its records
gave nothing back that this did not: what is left in the heap is pymalloc's
arenas among the records that stay.

Elsewhere than glibc this is a no-op: the build is the same, its peak higher.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from seedfeed.fsutil import load_libc

if TYPE_CHECKING:
    import ctypes

# mallopt's parameter (malloc.h) and glibc's own default for it: a buffer this large or more is mapped.
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 128 * 1024


@functools.cache
def keep_large_buffers_mapped() -> bool:
    """Fix glibc's mmap threshold at its default (once per process); return whether the C library took it."""
    libc = _glibc()
    return libc is not None and bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD))


def _glibc() -> ctypes.CDLL | None:
    libc = load_libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return None
    return libc
