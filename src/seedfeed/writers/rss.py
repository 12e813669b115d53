"""RSS 2.0 through feedgen, with the same entries, ids and dates as the Atom feed.

Three feedgen habits are worked around here. It writes ``lastBuildDate`` as
*now* by default, which breaks byte-identical rebuilds; it formats RSS dates
by switching the process-wide locale (``feedgen.util.formatRFC2822``), which
races with any other thread; and it writes an item's ``author`` element,
which RSS 2.0 reserves for an e-mail address. So feedgen is never given a
date or an author: our extension writes ``pubDate``, ``lastBuildDate`` and
``dc:creator`` itself, and the hub link feedgen has no place for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from seedfeed.config import FeedConfig
from seedfeed.model import Entry
from seedfeed.writers.common import (
    RSS_NAME,
    feed_updated,
    format_rfc822,
    is_http_url,
    newest_entries,
)

DC_NS = "http://purl.org/dc/elements/1.1/"
ATOM_NS = "http://www.w3.org/2005/Atom"
GENERATOR = "seedfeed"
_EXTENSION = "seedfeed"


class _RssFeedExtension(BaseExtension):  # type: ignore[misc]  # feedgen is untyped
    """Channel-level elements feedgen either stamps with the clock or cannot write."""

    def __init__(self) -> None:
        self.last_build: str | None = None  # None: the feed has no entries, so no date
        self.hub: str | None = None  # None: no WebSub hub

    def extend_ns(self) -> dict[str, str]:
        return {"dc": DC_NS}

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        if self.hub is not None:
            # WebSub §4: discovery is a rel="hub" link beside the rel="self" one.
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", href=self.hub, rel="hub")
        if self.last_build is not None:
            etree.SubElement(channel, "lastBuildDate").text = self.last_build
        return feed


class _RssEntryExtension(BaseEntryExtension):  # type: ignore[misc]  # feedgen is untyped
    """Item-level elements: the date, formatted without touching the locale, and the author."""

    def __init__(self) -> None:
        self.pub_date: str | None = None  # None: not set yet (every entry sets it)
        self.creator: str | None = None  # None: not set yet (every entry sets it)

    def extend_rss(self, item: Any) -> Any:
        if self.creator is not None:
            # RSS 2.0 <author> must be an e-mail address; dc:creator takes a name.
            etree.SubElement(item, f"{{{DC_NS}}}creator").text = self.creator
        if self.pub_date is not None:
            etree.SubElement(item, "pubDate").text = self.pub_date
        return item


def render_rss(
    config: FeedConfig,
    entries: Sequence[Entry],
    *,
    updated: datetime | None = None,
) -> bytes:
    """Return the RSS 2.0 document for the newest ``config.max_entries`` entries.

    ``updated`` is the feed's last change (``lastBuildDate``); by default the
    newest entry's ``updated``, never the time of the build.
    Raises ValueError (from feedgen) for text that is not XML-compatible;
    the pipeline strips such characters before they get here.
    """
    chosen = newest_entries(config, entries)
    fg = FeedGenerator()
    fg.register_extension(_EXTENSION, _RssFeedExtension, _RssEntryExtension, atom=False, rss=True)
    ext = getattr(fg, _EXTENSION)
    if not isinstance(ext, _RssFeedExtension):
        raise TypeError("feedgen did not load the RSS extension")
    fg.title(config.title)
    fg.link(href=config.url(RSS_NAME), rel="self", type="application/rss+xml")
    # feedgen takes the channel's <link> from the last link given: the home page.
    fg.link(href=config.base_url)
    fg.description(config.subtitle or config.title)
    fg.language(config.language)
    fg.generator(GENERATOR)
    # feedgen sets lastBuildDate to now() in its constructor and formats it by
    # switching the process-wide locale; the extension writes it instead.
    fg._FeedGenerator__rss_lastBuildDate = None  # no public way to unset it
    last = feed_updated(chosen, updated)
    ext.last_build = format_rfc822(last, config.time_zone) if last is not None else None
    ext.hub = config.hub
    for entry in chosen:
        fe = fg.add_entry(order="append")
        fe.title(entry.title)
        fe.link(href=entry.link)
        # A guid is a permalink only if it is the item's own address.
        fe.guid(entry.id, permalink=entry.id == entry.link and is_http_url(entry.id))
        fe.description(entry.summary or entry.title)
        fe.content(entry.content_html)
        for category in entry.categories:
            fe.category(term=category)
        item_ext = getattr(fe, _EXTENSION)
        if not isinstance(item_ext, _RssEntryExtension):
            raise TypeError("feedgen did not load the RSS entry extension")
        item_ext.creator = entry.author or config.author
        item_ext.pub_date = format_rfc822(entry.published, config.time_zone)
    data = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    if not isinstance(data, bytes):
        raise TypeError("feedgen returned text, not bytes")
    return data
