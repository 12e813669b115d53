"""Render an Atom 1.0 document (RFC 4287) through feedgen.

feedgen does the XML; this module makes its output deterministic and
complete: it never lets feedgen stamp the build's clock or its own version,
appends entries in our order, and restores the entry link attributes that
feedgen 1.0.0 drops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from feedgen.feed import FeedGenerator
from lxml import etree

from seedfeed import __version__
from seedfeed.config import FeedConfig
from seedfeed.model import Entry, Tombstone
from seedfeed.writers.atom_ext import FeedKind, add_extensions

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FEED_NAME = "feed.atom"
ATOM_TYPE = "application/atom+xml"
GENERATOR_URI = "https://pypi.org/project/seedfeed/"
# A feed with no entries and no tombstones has no event to date it by.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedLink:
    """A feed-level link beyond self and alternate (archives, hub)."""

    href: str
    rel: str
    type: str | None = None


def feed_updated(entries: Sequence[Entry], tombstones: Sequence[Tombstone], config: FeedConfig) -> datetime:
    """Return the feed's ``updated``: its latest event, never the build's clock."""
    moments = [e.updated for e in entries] + [t.when for t in tombstones]
    return max(moments, default=EPOCH).astimezone(config.time_zone)


def _author(name: str, config: FeedConfig | None = None) -> dict[str, str]:
    author = {"name": name}
    if config is not None and config.author_email:
        author["email"] = config.author_email
    if config is not None and config.author_uri:
        author["uri"] = config.author_uri
    return author


def _build_generator(
    config: FeedConfig,
    entries: Sequence[Entry],
    tombstones: Sequence[Tombstone],
    self_url: str,
    links: Sequence[FeedLink],
    kind: FeedKind | None,
) -> Any:  # feedgen is untyped
    fg = FeedGenerator()
    # Oldest first, ties by ref: the ledger's own order (ledger.render_ledger), so
    # the build that deletes seeds writes the bytes every later rebuild writes.
    add_extensions(fg, tombstones=sorted(tombstones, key=lambda t: (t.when, t.ref)), kind=kind)
    fg.id(config.feed_id)
    fg.title(config.title)
    if config.subtitle:
        fg.subtitle(config.subtitle)
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=config.base_url, rel="alternate", type="text/html")
    if config.hub:
        # WebSub §4: a subscriber discovers the hub beside the self link.
        fg.link(href=config.hub, rel="hub")
    for link in links:
        fg.link(href=link.href, rel=link.rel, type=link.type) if link.type else fg.link(href=link.href, rel=link.rel)
    fg.author(_author(config.author, config))
    fg.language(config.language)
    fg.generator("seedfeed", version=__version__, uri=GENERATOR_URI)
    fg.updated(feed_updated(entries, tombstones, config))
    for entry in entries:
        fe = fg.add_entry(order="append")
        fe.id(entry.id)
        fe.title(entry.title)
        fe.published(entry.published)
        fe.updated(entry.updated)
        # RFC 4287 §4.2.1: readers do not copy the feed's author onto entries.
        fe.author(_author(entry.author) if entry.author else _author(config.author, config))
        fe.link(href=entry.link, rel="alternate", type="text/html")
        for term in entry.categories:
            fe.category(term=term)
        if entry.summary:
            fe.summary(entry.summary)
        fe.content(entry.content_html, type="html")
    return fg


def _fix_tree(root: etree._Element, entries: Sequence[Entry], config: FeedConfig) -> None:
    # feedgen builds its tree with unqualified names under a literal xmlns
    # attribute, so its elements are found by local name until serialised.
    for element, entry in zip(root.iterchildren("entry"), entries, strict=True):
        # feedgen 1.0.0 writes only href on an entry link (lkiesow/python-feedgen#135).
        link = element.find("link")
        if link is not None:
            link.set("rel", "alternate")
            link.set("type", "text/html")
            if entry.language != config.language:
                link.set("hreflang", entry.language)
        if entry.language != config.language:
            element.set(XML_LANG, entry.language)


def render_atom(
    config: FeedConfig,
    entries: Sequence[Entry],
    *,
    tombstones: Sequence[Tombstone] = (),
    self_url: str | None = None,
    links: Sequence[FeedLink] = (),
    kind: FeedKind | None = None,
) -> bytes:
    """Return an Atom document holding the entries in the order given.

    ``self_url`` defaults to the subscription document's URL; archive pages
    pass their own. Tombstones (RFC 6721) go before the first entry, oldest first; ``kind``
    marks an archive page or a complete feed (RFC 5005). Raises ValueError when a string is not XML-compatible
    (callers strip such characters from seed text first).
    """
    fg = _build_generator(config, entries, tombstones, self_url or config.url(FEED_NAME), links, kind)
    # The tree feedgen serialises in atom_str (feedgen is pinned): fixed and
    # indented in place, where serialising and parsing it again cost a fifth
    # of the document's time and gave the same bytes.
    root, _document = fg._create_atom()
    root.set(XML_LANG, config.language)
    _fix_tree(root, entries, config)
    etree.indent(root, space="  ")
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return body + b"\n"
