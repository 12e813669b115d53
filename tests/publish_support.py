"""Entries and configs for the publishing tests, made from real seed text."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from seedfeed.article import parse_article
from seedfeed.config import FeedConfig, load_config
from seedfeed.model import Article, Entry
from seedfeed.seeds import decode_seed
from seedfeed.writers.html import page_url

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
REFERENCE = SEEDS / "000_e462c374ae22f41e.txt"
FIRST_SEEN = datetime(2024, 1, 1, tzinfo=UTC)


def reference_config(**changes: object) -> FeedConfig:
    """Return the reference seeds folder's config, with changes."""
    return replace(load_config(SEEDS), **changes)  # type: ignore[arg-type]


def entry_from_article(article: Article, config: FeedConfig) -> Entry:
    """Return the entry of an article, as the convert stage makes it."""
    published = article.date.value if article.date else FIRST_SEEN
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
    return Entry(
        id=article.id or f"tag:{config.id_authority},{config.id_date}:{article.stem}",
        stem=article.stem,
        title=article.title,
        published=published,
        updated=published,
        date_source=article.date.provenance if article.date else "first-seen",
        author=article.author,
        sources=article.sources,
        summary=article.lead,
        content_html=paragraphs,
        categories=article.tags,
        link=article.link or page_url(config, article.stem),
        language=article.language,
        caption=None,
    )


def entry_from_text(text: str, config: FeedConfig, *, name: str = "case.txt") -> Entry:
    """Return the entry a seed with this text gives."""
    seed = decode_seed(text.encode("utf-8"), source=Path("seeds") / name)
    return entry_from_article(parse_article(seed, config, first_seen=FIRST_SEEN), config)


def reference_entry(config: FeedConfig) -> Entry:
    """Return the entry of the reference seed."""
    return entry_from_text(REFERENCE.read_text(encoding="utf-8"), config, name=REFERENCE.name)
