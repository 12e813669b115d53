"""Two builds of one seeds folder at once: the second waits for the first."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import seedfeed
from conftest import FEED_TOML, REFERENCE_SEED, check_atom
from feedreader import seed_text
from seedfeed.build import build
from seedfeed.cli import main
from seedfeed.errors import LockError
from seedfeed.ledger import LEDGER_NAME, load_ledger

T1 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
WAIT = 30.0  # seconds before a test gives up on a child process
SRC = str(Path(seedfeed.__file__).parent.parent)

HOLD_LOCK = """
import sys
from pathlib import Path
from seedfeed.fsutil import build_lock
with build_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()  # held until the test closes our stdin
"""

BUILD = """
import json, sys
from datetime import datetime
from pathlib import Path
from seedfeed.build import build
report = build(Path(sys.argv[1]), Path(sys.argv[2]), now=datetime.fromisoformat(sys.argv[3]), lock_timeout=60)
print(json.dumps({"new": report.count("new"), "unchanged": report.count("unchanged"), "now": sys.argv[3]}))
"""


def child(code: str, *args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], stdin=stdin, stdout=subprocess.PIPE, text=True, env=env
    )


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "feed.toml").write_text(FEED_TOML, encoding="utf-8")
    shutil.copy(REFERENCE_SEED, folder / REFERENCE_SEED.name)
    for n in range(20):
        (folder / f"s{n:02}.txt").write_text(seed_text(n, day=1 + n), encoding="utf-8")
    return folder


@pytest.fixture
def lock_holder(seeds: Path) -> Iterator[subprocess.Popen[str]]:
    """A process that holds the seeds folder's build lock until its stdin closes."""
    holder = child(HOLD_LOCK, str(seeds), stdin=subprocess.PIPE)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        if holder.stdin is not None:
            holder.stdin.close()
        holder.wait(WAIT)
        if holder.stdout is not None:
            holder.stdout.close()


def test_concurrency_second_build_waits_for_the_lock(
    seeds: Path, tmp_path: Path, lock_holder: subprocess.Popen[str]
) -> None:
    out = tmp_path / "public"
    finished = threading.Event()

    def run() -> None:
        build(seeds, out, now=T1, lock_timeout=WAIT)
        finished.set()

    waiting = threading.Thread(target=run)
    waiting.start()
    # While another process holds the lock, this build neither finishes nor writes.
    assert not finished.wait(0.5)
    assert not (out / "feed.atom").exists()
    assert not (seeds / LEDGER_NAME).exists()
    assert lock_holder.stdin is not None
    lock_holder.stdin.close()
    waiting.join(WAIT)
    assert finished.is_set()
    check_atom((out / "feed.atom").read_bytes())


def test_concurrency_lock_timeout_is_a_clear_error(
    seeds: Path, tmp_path: Path, lock_holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(LockError) as caught:
        build(seeds, tmp_path / "public", now=T1, lock_timeout=0.2)
    assert str(caught.value) == f"{seeds}: another build has held the lock for 0.2 s; try again when it ends"
    result = CliRunner().invoke(main, ["build", str(seeds), "--out", str(tmp_path / "public"), "--wait", "0.2"])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {seeds}: another build has held the lock for 0.2 s; try again when it ends\n"
    assert not (tmp_path / "public").exists()
    assert lock_holder.poll() is None  # the holder was never disturbed


def test_concurrency_two_builds_at_once_run_one_after_the_other(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    moments = ["2026-01-05T08:00:00+00:00", "2026-01-06T08:00:00+00:00"]
    processes = [child(BUILD, str(seeds), str(out), moment) for moment in moments]
    results = []
    for process in processes:
        stdout, _ = process.communicate(timeout=WAIT)
        assert process.returncode == 0
        results.append(json.loads(stdout))
    # Serialized, the second build sees the first one's ledger: everything is new once.
    first, second = sorted(results, key=lambda r: r["unchanged"])
    assert (first["new"], first["unchanged"]) == (21, 0)
    assert (second["new"], second["unchanged"]) == (0, 21)
    ledger = load_ledger(seeds / LEDGER_NAME)
    assert {r.first_seen for r in ledger.records.values()} == {datetime.fromisoformat(first["now"])}
    check_atom((out / "feed.atom").read_bytes())
