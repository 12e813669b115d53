"""What every writer shares: file names, ordering, the feed's date and RFC 822 dates."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from email.utils import format_datetime

from seedfeed.config import FeedConfig, check_http_url
from seedfeed.model import Entry

ATOM_NAME = "feed.atom"
RSS_NAME = "feed.rss"
JSON_NAME = "feed.json"
INDEX_NAME = "index.html"

# The file each feed format is written to, in the order pages list them.
FEED_NAMES = {"atom": ATOM_NAME, "rss": RSS_NAME, "json": JSON_NAME}
MEDIA_TYPES = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}
FORMAT_TITLES = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}


def sort_entries(entries: Iterable[Entry]) -> list[Entry]:
    """Return entries newest published first, ties broken by id, as the Atom feed orders them."""
    return sorted(entries, key=lambda e: (-e.published.timestamp(), e.id))


def newest_entries(config: FeedConfig, entries: Iterable[Entry]) -> list[Entry]:
    """Return the entries a subscription document holds: the newest ``max_entries``."""
    return sort_entries(entries)[: config.max_entries]


def feed_updated(entries: Sequence[Entry], updated: datetime | None) -> datetime | None:
    """Return the feed's last change: the given moment, else the newest entry's ``updated``.

    Never the clock: a rebuild with nothing new must give the same bytes.
    None means the feed has no entries and no given moment.
    """
    if updated is not None:
        return updated
    return max((e.updated for e in entries), default=None)


def format_rfc822(value: datetime, zone: tzinfo) -> str:
    """Return an RFC 822 date (RSS 2.0) in the feed's time zone.

    ``email.utils`` spells day and month names in English whatever the
    locale, where feedgen switches the process-wide locale to do the same,
    which is not safe while another thread formats or parses dates.
    """
    return format_datetime(value.astimezone(zone))


def is_http_url(value: str) -> bool:
    """Return whether a value is an absolute http(s) URL (RSS guid permalinks, JSON urls)."""
    return check_http_url(value) is None
