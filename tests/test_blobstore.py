"""The parse cache's heavy half: rows found only by their digest, and a lost or damaged store costs no byte."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import seedfeed.parallel
from seedfeed.blobstore import BLOBS_FILE, BlobStore
from seedfeed.cache import CACHE_DIR
from seedfeed.config import FeedConfig
from seedfeed.model import Article, Seed
from test_incremental import START, Twins, _corpus_seeds

BLOBS = Path(CACHE_DIR) / BLOBS_FILE


def test_blob_store_returns_a_row_only_for_its_digest_and_keeps_only_what_it_is_told(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / BLOBS_FILE, "key-1")
    store.write("articles", {"a.txt": (b"d1", b"alpha"), "b.txt": (b"d2", b"beta")})
    assert store.get("articles", "a.txt", b"d1") == b"alpha"
    assert store.get("articles", "a.txt", b"d2") is None  # made from other bytes: not this seed's
    store.write("articles", {}, keep={"b.txt"})
    assert store.get("articles", "a.txt", b"d1") is None
    assert store.get_all("articles") == {"b.txt": (b"d2", b"beta")}
    store.close()
    # After close, a report's late reads still find rows; a store for another key finds none.
    assert store.get("articles", "b.txt", b"d2") == b"beta"
    other = BlobStore(tmp_path / BLOBS_FILE, "key-2")
    assert other.get("articles", "b.txt", b"d2") is None
    other.close()


def test_blob_store_that_is_not_a_database_is_dropped_and_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / BLOBS_FILE
    path.write_bytes(b"not a database at all" * 100)
    store = BlobStore(path, "key")
    assert store.get("articles", "a.txt", b"d") is None
    assert not store.is_persistent
    store.write("articles", {"a.txt": (b"d", b"x")})  # nothing to write to, and no error
    assert not path.exists()
    store.close()


@pytest.fixture
def twins(tmp_path: Path, make_seeds: Callable[[dict[str, str | bytes]], Path]) -> Twins:
    make_seeds({p.name: p.read_bytes() for p in _corpus_seeds(6)})
    return Twins(tmp_path)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.unlink(), id="deleted"),
        pytest.param(lambda path: path.write_bytes(b"\0" * 4096), id="garbage"),
        pytest.param(
            lambda path: _sql(path, "UPDATE articles SET digest = x'00'; UPDATE entries SET digest = x'00'"),
            id="rows-of-other-bytes",
        ),
        pytest.param(lambda path: _sql(path, "DELETE FROM entries; DELETE FROM rows"), id="rows-lost"),
    ],
)
def test_a_lost_or_damaged_store_costs_no_byte_of_output(twins: Twins, damage: Callable[[Path], None]) -> None:
    twins.step(START)
    damage(twins.cached / BLOBS)
    # A new seed and an edited one: the index and the feeds need every entry, and the lost ones are made again.
    extra = _corpus_seeds(7)[6]
    shutil.copy(extra, twins.seeds / extra.name)
    edited = sorted(twins.seeds.glob("*.txt"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nSatu paragraf lagi.\n", encoding="utf-8")
    report = twins.step(START + timedelta(hours=1))
    assert (report.count("new"), report.count("updated")) == (1, 1)
    assert twins.step(START + timedelta(hours=2)).count("unchanged") == 7


def _sql(path: Path, script: str) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.executescript(script)
        db.commit()


def test_blob_store_row_written_in_parts_reads_back_as_the_parts_joined(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / BLOBS_FILE, "key-1")
    parts = [b"head:", memoryview(b"--chunk one--")[2:-2], b"", bytes(range(256)) * 300]
    store.write_parts("ledger", "state", b"d1", parts)
    assert store.get("ledger", "state", b"d1") == b"".join(parts)
    assert store.get("ledger", "state", b"d0") is None  # another file's state
    # Written again, the row is replaced whole: nothing of the longer value is left.
    store.write_parts("ledger", "state", b"d2", [b"short"])
    assert store.get_all("ledger") == {"state": (b"d2", b"short")}
    store.write_parts("ledger", "empty", b"d3", [])
    assert store.get("ledger", "empty", b"d3") == b""
    store.close()


def test_blob_store_row_written_from_parts_made_as_they_are_read(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / BLOBS_FILE, "key-1")
    chunks = [b"one;", b"two;", bytes(range(256)) * 40]
    size = sum(map(len, chunks))
    store.write_parts("ledger", "state", b"d1", iter(chunks), size=size)
    assert store.get("ledger", "state", b"d1") == b"".join(chunks)
    # Parts shorter or longer than said: the row is not kept, and the one before it stays.
    store.write_parts("ledger", "state", b"d2", iter(chunks[:2]), size=size)
    store.write_parts("ledger", "state", b"d3", iter([*chunks, b"more"]), size=size)
    assert store.get_all("ledger") == {"state": (b"d1", b"".join(chunks))}
    # The store still works after either.
    store.write_parts("ledger", "other", b"d4", iter([b"x"]), size=1)
    assert store.get("ledger", "other", b"d4") == b"x"
    store.close()


def test_blob_store_opened_reads_any_range_of_a_row_as_the_row_holds_it(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / BLOBS_FILE, "key-1")
    value = bytes(range(256)) * 50
    store.write("ledger", {"state": (b"d1", value)})
    with store.opened("ledger", "state", b"d1") as read:
        assert read is not None
        for start, stop in [(0, 10), (5, 5), (255, 1024), (12_000, 12_800), (12_790, 99_999), (-4, 3), (9, 2)]:
            assert read(start, stop) == value[max(0, start) : stop]
        assert read(len(value), len(value) + 10) == b""
    # Another file's state, or none stored: nothing to read.
    with store.opened("ledger", "state", b"d0") as read:
        assert read is None
    with store.opened("ledger", "other", b"d1") as read:
        assert read is None
    # The store is written again once the block ends.
    store.write_parts("ledger", "state", b"d2", [b"new"])
    assert store.get("ledger", "state", b"d2") == b"new"
    store.close()


def test_damaged_output_records_cost_no_byte_and_are_written_anew(
    twins: Twins, monkeypatch: pytest.MonkeyPatch
) -> None:
    twins.step(START)
    parsed: list[str] = []
    real = seedfeed.parallel.parse_article

    def spy(seed: Seed, config: FeedConfig, **kwargs: Any) -> Article:
        parsed.append(seed.source.name)
        return real(seed, config, **kwargs)

    monkeypatch.setattr(seedfeed.parallel, "parse_article", spy)
    with closing(sqlite3.connect(twins.cached / BLOBS)) as db:
        (stored,) = db.execute("SELECT count(*) FROM outputs").fetchone()
    assert stored > 0
    # Every output record damaged: they are read only when the outputs are written, so the
    # seeds' records (read at the start) stand, and the outputs are all rendered and compared.
    _sql(twins.cached / BLOBS, "UPDATE outputs SET data = x'00'")
    edited = sorted(twins.seeds.glob("*.txt"))[1]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nSatu paragraf lagi.\n", encoding="utf-8")
    report = twins.step(START + timedelta(hours=1))
    assert (report.count("updated"), report.count("unchanged")) == (1, 5)
    # The cached build parsed the edited seed alone (the build without a cache, all six).
    assert sorted(parsed) == sorted([edited.name, *(p.name for p in twins.seeds.glob("*.txt"))])
    with closing(sqlite3.connect(twins.cached / BLOBS)) as db:
        rows = db.execute("SELECT data FROM outputs").fetchall()
    assert len(rows) == stored
    assert all(data != b"\0" for (data,) in rows)
