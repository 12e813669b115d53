"""Seed cases: tests/seeds/ok/<case>.txt gives <case>.json; bad/<case>.txt gives <case>.err.

The expected files are reviewed by hand; ``pytest --update-golden`` rewrites
the .json files from the current output for such a review.
"""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import FEED_TOML, TESTS, check_atom
from seedfeed.article import parse_article
from seedfeed.build import entry_dates
from seedfeed.config import parse_config
from seedfeed.convert import to_entry
from seedfeed.errors import SeedError
from seedfeed.inspect import Inspection, to_json
from seedfeed.seeds import decode_seed
from seedfeed.writers.atom import render_atom

CONFIG = parse_config(tomllib.loads(FEED_TOML), Path("feed.toml"))
FIRST_SEEN = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
OK = sorted((TESTS / "seeds" / "ok").glob("*.txt"))
BAD = sorted((TESTS / "seeds" / "bad").glob("*.txt"))


def inspect_bytes(data: bytes, name: str) -> tuple[dict[str, object], bytes]:
    seed = decode_seed(data, source=Path(name), max_bytes=CONFIG.max_seed_bytes)
    article = parse_article(seed, CONFIG, first_seen=FIRST_SEEN)
    entry = to_entry(article, entry_dates(article, None, FIRST_SEEN), CONFIG)
    fields = to_json(Inspection(article=article, entry=entry, notices=entry.notices))
    return fields, render_atom(CONFIG, [entry])


@pytest.mark.parametrize("path", OK, ids=[p.stem for p in OK])
def test_seed_case_ok_gives_expected_fields(path: Path, update_golden: bool) -> None:
    fields, feed = inspect_bytes(path.read_bytes(), path.name)
    check_atom(feed)
    expected_path = path.with_suffix(".json")
    if update_golden:
        expected_path.write_text(json.dumps(fields, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert fields == expected


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_seed_case_bad_gives_expected_error(path: Path) -> None:
    with pytest.raises(SeedError) as info:
        inspect_bytes(path.read_bytes(), path.name)
    assert info.value.path == Path(path.name)
    assert str(info.value) == path.with_suffix(".err").read_text(encoding="utf-8").rstrip("\n")
