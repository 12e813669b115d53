"""The allocator gives back what a build frees: large buffers stay mappings of their own (``heap.py``)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest

from seedfeed.heap import keep_large_buffers_mapped

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")

# A process that frees a 20 MiB buffer (glibc would then raise its mmap threshold to that size), then
# makes and frees thirty buffers of 1 MiB, and prints how much more it holds than before them.
_RETAINED = """
import json, sys
from seedfeed.heap import keep_large_buffers_mapped

def resident():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096

if sys.argv[1] == "fixed":
    assert keep_large_buffers_mapped()
# Filled, not zeroed: a zeroed buffer's fresh pages are not even resident.
big = b"\\x01" * (20 << 20)
del big
before = resident()
buffers = [b"\\x01" * (1 << 20) for _ in range(30)]
del buffers
print(json.dumps(resident() - before))
"""


def _retained(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _RETAINED, mode], capture_output=True, text=True, check=True, timeout=60
    )
    retained: int = json.loads(done.stdout)
    return retained


def test_freed_large_buffers_go_back_to_the_system() -> None:
    # glibc's own way: the 1 MiB buffers come from the heap, which keeps them once freed.
    assert _retained("dynamic") >= 20 << 20
    # The threshold fixed: each is a mapping of its own, unmapped when freed.
    assert _retained("fixed") < 4 << 20


def test_the_c_library_takes_the_setting() -> None:
    assert keep_large_buffers_mapped() is True
