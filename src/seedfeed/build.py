"""Orchestrate a build: scan, read, parse, reconcile with the ledger, convert, write.

The only stage that touches the seeds folder, the output folder and the
ledger together, under the folder's build lock. Time comes in as ``now``:
it is recorded only for events (a seed first seen, edited or removed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from seedfeed.article import parse_article
from seedfeed.config import FeedConfig, load_config
from seedfeed.convert import EntryDates, entry_id, to_entry
from seedfeed.errors import LedgerError, SeedError
from seedfeed.fsutil import build_lock, write_if_changed
from seedfeed.ledger import (
    LEDGER_NAME,
    Change,
    Ledger,
    LedgerRecord,
    Observation,
    load_ledger,
    reconcile,
    render_ledger,
)
from seedfeed.model import Article, Entry, Notice, Tombstone
from seedfeed.seeds import list_seeds, read_seed
from seedfeed.writers.atom import FEED_NAME, feed_updated, render_atom
from seedfeed.writers.common import FEED_NAMES
from seedfeed.writers.html import render_site
from seedfeed.writers.jsonfeed import render_json_feed
from seedfeed.writers.rss import render_rss


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildReport:
    """What a build did: the published entries, every rejection and notice."""

    entries: tuple[Entry, ...]
    changes: dict[str, Change]
    removed: tuple[str, ...]  # ids of entries whose seed disappeared
    rejected: tuple[SeedError, ...]
    notices: tuple[Notice, ...]
    written: tuple[str, ...]  # output files whose bytes changed, relative to the output folder
    tombstones: tuple[Tombstone, ...] = ()
    out_dir: Path = field(default_factory=Path)
    hub: str | None = None  # None: no WebSub hub to tell about changed feeds
    changed_feeds: tuple[str, ...] = ()  # URLs of the feed documents whose bytes changed

    def count(self, change: Change) -> int:
        """Return how many published entries had this change."""
        return sum(1 for c in self.changes.values() if c == change)

    def summary(self) -> str:
        """Return the one line a build ends with."""
        return (
            f"{len(self.entries)} published: {self.count('new')} new, {self.count('updated')} updated, "
            f"{len(self.removed)} removed, {self.count('unchanged')} unchanged, {len(self.rejected)} rejected"
        )


def first_seen_of(record: LedgerRecord | None, now: datetime) -> datetime:
    """Return when a seed was first seen: its ledger record, else this build."""
    return record.first_seen if record is not None else now


def entry_dates(article: Article, record: LedgerRecord | None, now: datetime) -> EntryDates:
    """Return an article's published date as the text gives it, else first-seen."""
    if article.date is not None:
        return EntryDates(
            published=article.date.value,
            updated=article.date.value,
            provenance=article.date.provenance,
        )
    first_seen = first_seen_of(record, now)
    return EntryDates(published=first_seen, updated=first_seen, provenance="first-seen")


def order_entries(entries: Sequence[Entry]) -> list[Entry]:
    """Return entries newest published first; ties broken by id for stable bytes."""
    return sorted(entries, key=lambda e: (-e.published.timestamp(), e.id))


def parse_seeds(
    paths: Sequence[Path],
    config: FeedConfig,
    ledger: Ledger,
    now: datetime,
    *,
    progress: Callable[[Path], None] | None = None,
) -> tuple[list[Article], list[SeedError]]:
    """Read and parse every seed; a bad seed becomes a SeedError, the rest go on."""
    articles: list[Article] = []
    rejected: list[SeedError] = []
    for path in paths:
        try:
            seed = read_seed(path, max_bytes=config.max_seed_bytes)
            record = ledger.records.get(path.stem)
            articles.append(parse_article(seed, config, first_seen=first_seen_of(record, now)))
        except SeedError as exc:
            rejected.append(exc)
        if progress is not None:
            progress(path)
    return articles, rejected


def build(
    seeds_dir: Path,
    out_dir: Path,
    *,
    now: datetime,
    config: FeedConfig | None = None,
    lock_timeout: float = 60.0,
) -> BuildReport:
    """Build the feed of a seeds folder into an output folder.

    Raises ConfigError for a bad feed.toml, LockError when another build holds
    the lock too long, OutputError when an output file cannot be written. A
    bad seed is not an error here: it is reported in BuildReport.rejected.
    """
    config = config or load_config(seeds_dir)
    with build_lock(seeds_dir, timeout=lock_timeout):
        notices: list[Notice] = []
        ledger_path = seeds_dir / LEDGER_NAME
        try:
            ledger = load_ledger(ledger_path)
        except LedgerError as exc:
            notices.append(Notice(path=ledger_path, line=None, message=str(exc).removeprefix(f"{ledger_path}: ")))
            ledger = Ledger()
        paths = list_seeds(seeds_dir)
        articles, rejected = parse_seeds(paths, config, ledger, now)

        observed: list[Observation] = []
        drafts: list[tuple[Article, str, EntryDates]] = []
        for article in articles:
            try:
                id_ = entry_id(article, config)
            except SeedError as exc:
                rejected.append(exc)
                continue
            dates = entry_dates(article, ledger.records.get(article.stem), now)
            observed.append(
                Observation(
                    stem=article.stem,
                    id=id_,
                    content_hash=article.content_hash,
                    published=dates.published,
                )
            )
            drafts.append((article, id_, dates))
        rejected_stems = {e.path.stem for e in rejected}
        cutoff = now - timedelta(days=config.tombstone_days)
        new_ledger, changes = reconcile(ledger, observed, kept=rejected_stems, now=now, tombstone_cutoff=cutoff)

        entries: list[Entry] = []
        for article, _id, dates in drafts:
            record = new_ledger.records[article.stem]
            entry = to_entry(
                article,
                EntryDates(published=dates.published, updated=record.updated, provenance=dates.provenance),
                config,
            )
            entries.append(entry)
            notices.extend(entry.notices)
        entries = order_entries(entries)
        tombstones = tuple(Tombstone(ref=t.id, when=t.when.astimezone(config.time_zone)) for t in new_ledger.tombstones)
        removed = tuple(t.id for t in new_ledger.tombstones if t.when == now)

        written: list[str] = []
        out_dir.mkdir(parents=True, exist_ok=True)
        if "atom" in config.formats and write_if_changed(
            out_dir, FEED_NAME, render_atom(config, entries, tombstones=tombstones)
        ):
            written.append(FEED_NAME)
        # RSS says when the feed last changed as Atom does: its latest event, never the clock.
        last = feed_updated(entries, tombstones, config) if entries or tombstones else None
        if "rss" in config.formats and write_if_changed(
            out_dir, FEED_NAMES["rss"], render_rss(config, entries, updated=last)
        ):
            written.append(FEED_NAMES["rss"])
        if "json" in config.formats and write_if_changed(
            out_dir, FEED_NAMES["json"], render_json_feed(config, entries)
        ):
            written.append(FEED_NAMES["json"])
        if "html" in config.formats:
            for relative, page in render_site(config, entries).items():
                if write_if_changed(out_dir, relative, page):
                    written.append(relative)
        changed_feeds = tuple(config.url(name) for name in FEED_NAMES.values() if name in written)
        # The ledger goes last: a build killed before this point is simply redone.
        if write_if_changed(seeds_dir, LEDGER_NAME, render_ledger(new_ledger)):
            written.append(LEDGER_NAME)
        return BuildReport(
            entries=tuple(entries),
            changes=changes,
            removed=removed,
            rejected=tuple(sorted(rejected, key=lambda e: str(e.path))),
            notices=tuple(notices),
            written=tuple(written),
            tombstones=tombstones,
            out_dir=out_dir,
            hub=config.hub,
            changed_feeds=changed_feeds,
        )
