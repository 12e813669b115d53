"""Entries and configs for the publishing tests, made from real seed text."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedfeed.article import parse_article
from seedfeed.build import entry_dates
from seedfeed.config import FeedConfig, load_config
from seedfeed.convert import to_entry
from seedfeed.model import Article, Entry
from seedfeed.seeds import decode_seed

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
REFERENCE = SEEDS / "000_e462c374ae22f41e.txt"
FIRST_SEEN = datetime(2024, 1, 1, tzinfo=UTC)
# A second article in the scraped format, in English, dated in its text.
HARBOUR_SEED = """\
Harbour reopens after the storm
The harbour reopened on 5 March 2024, three days after the storm closed it.
Fishing boats were the first to leave.
Jane Doe (According to Reuters)
"""


def reference_config(**changes: object) -> FeedConfig:
    """Return the reference seeds folder's config, with changes."""
    return replace(load_config(SEEDS), **changes)  # type: ignore[arg-type]


def entry_from_article(article: Article, config: FeedConfig) -> Entry:
    """Return the entry of a newly seen article, as the build makes it."""
    return to_entry(article, entry_dates(article, None, FIRST_SEEN), config)


def entry_from_text(text: str, config: FeedConfig, *, name: str = "case.txt") -> Entry:
    """Return the entry a seed with this text gives."""
    seed = decode_seed(text.encode("utf-8"), source=Path("seeds") / name)
    return entry_from_article(parse_article(seed, config, first_seen=FIRST_SEEN), config)


def reference_entry(config: FeedConfig) -> Entry:
    """Return the entry of the reference seed."""
    return entry_from_text(REFERENCE.read_text(encoding="utf-8"), config, name=REFERENCE.name)


def require_program(name: str) -> str:
    """Return the path of a program the test needs; skip without it, fail under CI=true."""
    found = shutil.which(name)
    if found is None:
        reason = f"{name} is not installed (.ci/run installs it with apt-get)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run this test")
        pytest.skip(reason)
    return found


def copy_seeds(target: Path) -> Path:
    """Return a copy of the repository's seeds folder (seeds and feed.toml) at target."""
    target.mkdir(parents=True)
    for path in [*SEEDS.glob("*.txt"), SEEDS / "feed.toml"]:
        shutil.copy(path, target / path.name)
    return target
