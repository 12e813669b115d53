"""What ``seedfeed inspect`` shows: one seed's entry and where each field came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from seedfeed.article import parse_article
from seedfeed.build import entry_dates
from seedfeed.config import FeedConfig, load_config
from seedfeed.convert import EntryDates, to_entry
from seedfeed.errors import LedgerError, SeedError
from seedfeed.ledger import LEDGER_NAME, Ledger, load_ledger
from seedfeed.model import Article, Entry, Notice
from seedfeed.seeds import read_seed


@dataclass(frozen=True, slots=True, kw_only=True)
class Inspection:
    """A seed's article, its entry, and the notices about both."""

    article: Article
    entry: Entry
    notices: tuple[Notice, ...]


def inspect_seed(path: Path, *, config: FeedConfig | None = None) -> Inspection:
    """Parse one seed as a build would, without writing anything.

    The seed's folder gives feed.toml and the ledger. A seed the ledger does
    not know yet takes its file's modification time as first-seen, as the
    next build would roughly do. Raises SeedError or ConfigError.
    """
    folder = path.parent
    config = config or load_config(folder)
    notices: list[Notice] = []
    try:
        ledger = load_ledger(folder / LEDGER_NAME)
    except LedgerError as exc:
        notices.append(Notice(path=folder / LEDGER_NAME, line=None, message=str(exc)))
        ledger = Ledger()
    record = ledger.records.get(path.stem)
    if record is not None:
        first_seen = record.first_seen
    else:
        try:
            first_seen = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        except OSError as exc:
            raise SeedError(path, None, f"cannot be read: {exc.strerror or exc}") from exc
    seed = read_seed(path, max_bytes=config.max_seed_bytes)
    article = parse_article(seed, config, first_seen=first_seen)
    dates = entry_dates(article, record, first_seen)
    updated = record.updated if record is not None and record.content_hash == article.content_hash else dates.updated
    entry = to_entry(
        article,
        EntryDates(published=dates.published, updated=updated, provenance=dates.provenance),
        config,
    )
    if record is None and article.date is None:
        notices.append(
            Notice(
                path=path,
                line=None,
                message="not in the ledger yet: first-seen is the file's modification time",
            )
        )
    return Inspection(article=article, entry=entry, notices=(*entry.notices, *notices))


def to_json(inspection: Inspection) -> dict[str, object]:
    """Return the stable, snake_case JSON object ``inspect --json`` prints."""
    article, entry = inspection.article, inspection.entry
    caption = article.captions[0] if article.captions else None
    return {
        "source": str(article.source),
        "id": entry.id,
        "title": entry.title,
        "link": entry.link,
        "published": entry.published.isoformat(),
        "updated": entry.updated.isoformat(),
        "date_source": entry.date_source,
        "date_evidence": article.date.evidence if article.date else None,
        "date_line": article.date.line if article.date else None,
        "author": entry.author,
        "sources": list(entry.sources),
        "language": entry.language,
        "language_source": article.language_source,
        "summary": entry.summary,
        "paragraphs": list(article.paragraphs),
        "caption": caption.text if caption else None,
        "caption_credit": caption.credit if caption else None,
        "categories": list(entry.categories),
        "content_hash": article.content_hash,
        "content_html": entry.content_html,
        "warnings": [n.message if n.path == article.source else str(n) for n in inspection.notices],
    }
