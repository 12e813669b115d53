"""Builds killed with SIGKILL at varied moments leave valid files, and the next build completes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

import seedfeed
from conftest import FEED_TOML, REFERENCE_SEED, check_atom
from feedreader import all_ids, seed_text
from seedfeed.build import build
from seedfeed.ledger import LEDGER_NAME, load_ledger

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SRC = str(Path(seedfeed.__file__).parent.parent)
# Seconds after the child is ready: a spread over its loop of builds, which
# takes a fraction of a second each, so kills land in every phase of a build.
DELAYS = (0.0, 0.01, 0.03, 0.06, 0.1, 0.15, 0.22, 0.3, 0.4, 0.55, 0.7, 0.9)

# The child adds a seed and edits another before each build, forever, so
# every build has something to write: ledger, pages, archive pages, feeds.
BUILDER = """
import sys
from datetime import datetime, timedelta
from pathlib import Path
from seedfeed.build import build
seeds, out, first = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
t0 = datetime.fromisoformat(sys.argv[4])
text = sys.argv[5]
print("ready", flush=True)
n = first
while True:
    for name, body in ((f"k{n:04}.txt", text.format(n=n)), ("moving.txt", text.format(n=n + 5000))):
        tmp = seeds / f".{name}.write"
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(seeds / name)
    build(seeds, out, now=t0 + timedelta(hours=n))
    n += 1
"""
TEXT = "Berita {n}\nMenteri tiba di Jakarta pada 3 Maret 2024 untuk kunjungan nomor {n}.\nBudi (Menurut AFP)\n"


def check_output(out: Path, seeds: Path) -> None:
    """Assert that every file a reader or the next build reads is whole and valid."""
    for path in sorted(out.rglob("*.atom")):
        check_atom(path.read_bytes())
    all_ids(out)  # every prev-archive link leads to a page that exists
    assert feedparser.parse((out / "feed.rss").read_bytes()).bozo == 0
    json.loads((out / "feed.json").read_bytes())
    load_ledger(seeds / LEDGER_NAME)  # raises LedgerError if half written


def files_of(folder: Path) -> dict[Path, bytes]:
    # Hidden files are the build's own (the parse cache holds stats, which differ between runs).
    return {
        p.relative_to(folder): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "feed.toml").write_text(FEED_TOML.replace("max_entries = 50", "max_entries = 8"), encoding="utf-8")
    shutil.copy(REFERENCE_SEED, folder / REFERENCE_SEED.name)
    for n in range(30):
        (folder / f"s{n:02}.txt").write_text(seed_text(n, day=1 + n % 28), encoding="utf-8")
    return folder


def kill_when_ready(code_and_args: list[str], *, delay: float, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start a Python child, wait for its "ready" line, let it run for delay seconds, then SIGKILL it."""
    process = subprocess.Popen([sys.executable, "-c", *code_and_args], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    return process


def processes_with_argument(argument: str, *, wait: float) -> list[int]:
    """Return the pids of live processes with this command-line argument, waiting up to ``wait`` s for none."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                arguments = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:  # not a process, or one that just ended
                continue
            if argument.encode() in arguments:
                found.append(int(entry.name))
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_crash_killed_builds_leave_valid_files_and_the_next_build_completes(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build(seeds, out, now=T0)
    env = {**os.environ, "PYTHONPATH": SRC}
    hour = 1
    for round_, delay in enumerate(DELAYS):
        first = 1 + round_ * 1000
        process = kill_when_ready(
            [BUILDER, str(seeds), str(out), str(first), T0.isoformat(), TEXT], delay=delay, env=env
        )
        assert process.returncode == -signal.SIGKILL, "the build loop must still be running when killed"

        check_output(out, seeds)

        # The next build completes, and writes what a build from scratch writes.
        hour += 1000
        report = build(seeds, out, now=T0 + timedelta(hours=hour))
        assert not report.rejected
        check_output(out, seeds)
        assert not [p for p in (*seeds.iterdir(), *out.rglob("*")) if p.name.endswith(".tmp")]
        fresh_seeds, fresh_out = tmp_path / f"fresh{round_}" / "seeds", tmp_path / f"fresh{round_}" / "public"
        shutil.copytree(seeds, fresh_seeds)
        build(fresh_seeds, fresh_out, now=T0 + timedelta(hours=hour + 1))
        assert files_of(fresh_out) == files_of(out)
        shutil.rmtree(tmp_path / f"fresh{round_}")


class Killed(BaseException):
    """Stands in for SIGKILL at an exact point of a build."""


def test_crash_between_ledger_and_feeds_is_completed_by_the_next_build(
    seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "public"
    build(seeds, out, now=T0)
    (seeds / "late.txt").write_text(seed_text(99, day=2, month=2, year=2020), encoding="utf-8")
    (seeds / "s03.txt").unlink()

    def killed(*_args: object, **_kwargs: object) -> list[str]:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr("seedfeed.build.write_documents", killed)
        with pytest.raises(Killed):
            build(seeds, out, now=T0 + timedelta(hours=1))
    ledger_after_kill = (seeds / LEDGER_NAME).read_bytes()
    check_output(out, seeds)

    # The next build, hours later, writes what the killed one would have written.
    build(seeds, out, now=T0 + timedelta(hours=5))
    assert (seeds / LEDGER_NAME).read_bytes() == ledger_after_kill
    reference_seeds, reference_out = tmp_path / "ref" / "seeds", tmp_path / "ref" / "public"
    shutil.copytree(seeds, reference_seeds)
    build(reference_seeds, reference_out, now=T0 + timedelta(hours=9))
    assert files_of(reference_out) == files_of(out)
    record = load_ledger(seeds / LEDGER_NAME).records["late"]
    assert record.first_seen == T0 + timedelta(hours=1)


def test_crash_leftover_temporary_files_are_removed_and_never_read(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build(seeds, out, now=T0)
    debris = [
        out / ".feed.atom.k2j3h4g5.tmp",
        out / "archive" / ".1.atom.abcd_123.tmp",
        seeds / ".seedfeed-ledger.json.x1y2z3w4.tmp",
    ]
    for path in debris:
        path.write_bytes(b"<?xml version='1.0'?><feed")
    other = seeds / ".notes.tmp"  # not a name our writes make: left alone
    other.write_bytes(b"mine")
    before = files_of(out)
    report = build(seeds, out, now=T0 + timedelta(hours=1))
    assert report.written == ()
    assert not any(path.exists() for path in debris)
    assert files_of(out) == {k: v for k, v in before.items() if not k.name.endswith(".tmp")}
    assert other.read_bytes() == b"mine"


FORKING_BUILD = """
import os, signal, sys, time
from pathlib import Path
from seedfeed.fsutil import build_lock
with build_lock(Path(sys.argv[1])):
    worker = os.fork()
    if worker == 0:
        time.sleep(60)  # a parse worker, still busy when its build is killed
        os._exit(0)
    print(worker, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_crash_killed_build_leaves_no_lock_to_its_forked_workers(seeds: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": SRC}
    process = subprocess.Popen(
        [sys.executable, "-c", FORKING_BUILD, str(seeds)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    worker = int(process.stdout.readline())  # not communicate(): the worker keeps the pipe open
    process.stdout.close()
    try:
        assert process.wait(30) == -signal.SIGKILL
        os.kill(worker, 0)  # the worker outlives its build
        report = build(seeds, tmp_path / "public", now=T0, lock_timeout=5)
        assert report.count("new") == 31
    finally:
        os.kill(worker, signal.SIGKILL)


PARALLEL_BUILDER = """
import sys
from datetime import datetime
from pathlib import Path
from seedfeed.build import build
print("ready", flush=True)
build(Path(sys.argv[1]), Path(sys.argv[2]), now=datetime.fromisoformat(sys.argv[3]), jobs=2, use_cache=False)
"""


def test_crash_killed_parallel_build_lets_the_next_one_run_at_once(seeds: Path, tmp_path: Path) -> None:
    for n in range(30, 230):  # enough seeds for the parse to run in a pool of forked workers
        (seeds / f"p{n:03}.txt").write_text(seed_text(n, day=1 + n % 28, month=1 + n % 9), encoding="utf-8")
    out = tmp_path / "public"
    env = {**os.environ, "PYTHONPATH": SRC}
    for round_, delay in enumerate((0.05, 0.3, 0.8)):
        moment = T0 + timedelta(hours=round_)
        kill_when_ready([PARALLEL_BUILDER, str(seeds), str(out), moment.isoformat()], delay=delay, env=env)
        # Its forked workers end with it, rather than wait in memory for a pool that is gone.
        assert processes_with_argument(str(out), wait=10.0) == []
        if (out / "feed.atom").exists():
            check_output(out, seeds)
        # Workers may still be finishing their chunk; they must not hold the lock.
        report = build(seeds, out, now=moment + timedelta(minutes=30), jobs=2, lock_timeout=5)
        assert len(report.entries) == 231
        check_output(out, seeds)


ORPHANED_WORKER = """
import os, sys, time
from seedfeed.parallel import _die_with
parent = os.getpid()
read, write = os.pipe()
child = os.fork()
if child == 0:
    _die_with(parent)
    os.write(write, b"x")
    time.sleep(120)
    os._exit(0)
os.read(read, 1)
print(child, flush=True)
time.sleep(120)
"""


def test_crash_a_killed_builds_workers_end_with_it() -> None:
    # A worker forked by a build that is then killed outright must not wait in memory for good.
    env = {**os.environ, "PYTHONPATH": SRC}
    process = subprocess.Popen([sys.executable, "-c", ORPHANED_WORKER], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    worker = int(process.stdout.readline())
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{worker}/cmdline").exists() and Path(f"/proc/{worker}/cmdline").read_bytes():
        if time.monotonic() > deadline:
            os.kill(worker, signal.SIGKILL)
            pytest.fail("the worker outlived its killed build")
        time.sleep(0.05)
