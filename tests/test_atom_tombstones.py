"""Tombstones are written in one order whatever order they come in, so a rebuild changes nothing."""

from __future__ import annotations

import itertools
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import check_atom
from publish_support import reference_config, reference_entry
from seedfeed.build import build
from seedfeed.model import Tombstone
from seedfeed.writers.atom import render_atom

TS = "{http://purl.org/atompub/tombstones/1.0}"
ARABIC = sorted((Path(__file__).parent / "data" / "corpus" / "ar").glob("*.txt"))
WHEN = datetime(2026, 1, 6, tzinfo=UTC)


def test_atom_tombstones_oldest_first_then_by_ref_in_any_given_order() -> None:
    config = reference_config()
    tombstones = [
        Tombstone(ref="tag:news.example.org,2023:c", when=WHEN),
        Tombstone(ref="tag:news.example.org,2023:a", when=WHEN),
        Tombstone(ref="tag:news.example.org,2023:b", when=WHEN - timedelta(days=1)),
    ]
    documents = {
        render_atom(config, [reference_entry(config)], tombstones=order) for order in itertools.permutations(tombstones)
    }
    assert len(documents) == 1
    feed = check_atom(documents.pop())
    assert [e.get("ref") for e in feed.iter(f"{TS}deleted-entry")] == [
        "tag:news.example.org,2023:b",
        "tag:news.example.org,2023:a",
        "tag:news.example.org,2023:c",
    ]


def test_atom_rebuild_after_deleting_seeds_writes_nothing(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(Path(__file__).parent.parent / "seeds" / "feed.toml", seeds / "feed.toml")
    for path in ARABIC:
        shutil.copy(path, seeds / path.name)
    out = tmp_path / "public"
    build(seeds, out, now=WHEN - timedelta(days=1))
    for path in seeds.glob("*.txt"):
        path.unlink()
    deleting = build(seeds, out, now=WHEN)
    feed = check_atom((out / "feed.atom").read_bytes())
    assert len(list(feed.iter(f"{TS}deleted-entry"))) == len(ARABIC) == 3
    assert "feed.atom" in deleting.written
    # Same seeds, same ledger: the same bytes, so nothing is written.
    assert build(seeds, out, now=WHEN + timedelta(days=1)).written == ()
