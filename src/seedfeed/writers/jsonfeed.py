"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1), beside Atom and RSS.

Keys are written in one fixed order and dates in the feed's time zone, so
that a rebuild with nothing new gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from seedfeed.config import FeedConfig
from seedfeed.model import Entry
from seedfeed.writers.common import JSON_NAME, newest_entries

VERSION = "https://jsonfeed.org/version/1.1"


def _rfc3339(value: datetime, config: FeedConfig) -> str:
    return value.astimezone(config.time_zone).isoformat()


def _item(entry: Entry, config: FeedConfig) -> dict[str, object]:
    item: dict[str, object] = {
        "id": entry.id,
        "url": entry.link,
        "title": entry.title,
        "content_html": entry.content_html,
        "summary": entry.summary,
        "date_published": _rfc3339(entry.published, config),
        "date_modified": _rfc3339(entry.updated, config),
        "authors": [{"name": entry.author or config.author}],
        "language": entry.language,
    }
    if entry.categories:
        item["tags"] = list(entry.categories)
    return item


def render_json_feed(config: FeedConfig, entries: Sequence[Entry]) -> bytes:
    """Return the JSON Feed document for the newest ``config.max_entries`` entries."""
    author: dict[str, str] = {"name": config.author}
    if config.author_uri:
        author["url"] = config.author_uri
    feed: dict[str, object] = {
        "version": VERSION,
        "title": config.title,
        "home_page_url": config.base_url,
        "feed_url": config.url(JSON_NAME),
    }
    if config.subtitle:
        feed["description"] = config.subtitle
    feed["language"] = config.language
    feed["authors"] = [author]
    if config.hub:
        # JSON Feed 1.1: "hubs" is how a WebSub hub is announced.
        feed["hubs"] = [{"type": "WebSub", "url": config.hub}]
    feed["items"] = [_item(entry, config) for entry in newest_entries(config, entries)]
    # ensure_ascii=False keeps non-Latin titles readable; UTF-8 is JSON's encoding (RFC 8259 §8.1).
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
