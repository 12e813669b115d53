"""Split a feed into a subscription document and RFC 5005 §4 archive pages.

Entries are numbered by arrival (the ledger gives each new seed the next
number, never reused). Archive page ``k`` holds the arrivals numbered
``(k-1)*size+1 … k*size`` and exists once the arrival counter has passed
``k*size``: a full page, whose set of entries no new arrival can change. So
a page links to its predecessor (``prev-archive``) and to the subscription
document (``current``) but never to a successor (``next-archive``), which
would change it when the next page fills.

The subscription document holds the newest ``size`` arrivals, so a
back-dated seed that arrives late is still seen; the newest full page may
overlap it (readers merge by id), and together they hold every entry.
It also carries an archived entry edited within the announcement period,
because a reader never fetches a page it already has (RFC 5005 §4.2): an
edit shown only there would go unseen. A page's bytes change only when one
of its own articles is edited or deleted.

``complete = true`` makes one document with every entry and ``fh:complete``
instead (RFC 5005 §2).

The HTML site is split the same way, whatever ``complete`` says
(``plan_site_pages``): ``index.html`` shows the newest ``size`` arrivals and
``archive/<k>.html`` the arrivals of Atom page ``k``, linking to the page
before it and to the index, never to the page after. A reader walks back
from the index to every article, and a full page's bytes stay put until one
of its own articles is edited or removed, as an Atom page's do; a page of a
hundred thousand articles would serve no reader and cost every rebuild.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Literal, TypeVar

from seedfeed.catalog import Dated
from seedfeed.config import FeedConfig
from seedfeed.model import Tombstone
from seedfeed.writers.common import INDEX_NAME

FEED_NAME = "feed.atom"
ARCHIVE_DIR = "archive"

DocumentKind = Literal["subscription", "archive", "complete"]
# Planning reads only ids, stems and dates: full entries, or the heads a rebuild keeps of them.
E = TypeVar("E", bound=Dated)


@dataclass(frozen=True, slots=True, kw_only=True)
class Document(Generic[E]):
    """One Atom document to write: where, what it holds, how it links."""

    path: str  # relative to the output folder; its URL is config.url(path)
    kind: DocumentKind
    entries: tuple[E, ...]  # in the order written: newest published first
    tombstones: tuple[Tombstone, ...]
    prev_archive: str | None  # path of the preceding archive page; None: there is none
    current: str | None  # path of the subscription document, on archive pages only


@dataclass(frozen=True, slots=True, kw_only=True)
class SitePage(Generic[E]):
    """One listing page of the HTML site: ``index.html`` or an archive page."""

    path: str  # relative to the output folder
    number: int | None  # the archive page's number (from 1); None: index.html
    entries: tuple[E, ...]  # in the order shown: newest published first
    older: int | None  # number of the archive page before it; None: there is none


def archive_path(page: int) -> str:
    """Return the output path of archive page ``page`` (from 1)."""
    return f"{ARCHIVE_DIR}/{page}.atom"


def site_archive_path(page: int) -> str:
    """Return the output path of the site's archive page ``page`` (from 1), beside its Atom page."""
    return f"{ARCHIVE_DIR}/{page}.html"


def order_entries(entries: Iterable[E]) -> tuple[E, ...]:
    """Return entries newest published first; ties broken by id for stable bytes."""
    entries = list(entries)
    # The keys made in one comprehension and the entries sorted by position: a
    # key function called per entry costs twice as much, over every entry of
    # a feed on every build.
    keys = [(-e.published.timestamp(), e.id) for e in entries]
    return tuple([entries[i] for i in sorted(range(len(entries)), key=keys.__getitem__)])


def _by_arrival(entries: Sequence[E], arrivals: Mapping[str, int]) -> tuple[list[E], list[int]]:
    """Return entries in order of arrival number (ties, never in a ledger, broken by id), and their numbers."""
    numbers = [arrivals[e.stem] for e in entries]
    if len(set(numbers)) != len(numbers):
        ordered = sorted(entries, key=lambda e: (arrivals[e.stem], e.id))
        return ordered, [arrivals[e.stem] for e in ordered]
    order = sorted(range(len(entries)), key=numbers.__getitem__)
    return [entries[i] for i in order], [numbers[i] for i in order]


def split_by_arrival(
    entries: Sequence[E], *, arrivals: Mapping[str, int], last_arrival: int, size: int
) -> tuple[list[list[E]], list[E]]:
    """Return the entries of each full archive page (page 1 first), and the newest ``size`` arrivals.

    Page ``k`` holds the arrivals numbered ``(k-1)*size+1 … k*size`` and
    exists once ``last_arrival`` (the highest number ever given) reaches
    ``k*size``; a page whose arrivals were all deleted is there, empty, so
    that the chain of pages stays whole. Both lists are in arrival order.
    """
    by_arrival, numbers = _by_arrival(entries, arrivals)
    pages: list[list[E]] = []
    for page in range(1, last_arrival // size + 1):
        # The page's arrivals are a slice of the entries in arrival order.
        start = bisect_right(numbers, (page - 1) * size)
        end = bisect_right(numbers, page * size, start)
        pages.append(by_arrival[start:end])
    return pages, by_arrival[-size:]


def plan_documents(
    config: FeedConfig,
    entries: Sequence[E],
    *,
    arrivals: Mapping[str, int],
    last_arrival: int,
    tombstones: Sequence[Tombstone] = (),
    latest_event: datetime | None = None,
) -> tuple[Document[E], ...]:
    """Return the documents a feed is published as, archive pages first.

    ``arrivals`` maps each entry's stem to its arrival number; ``last_arrival``
    is the highest number ever given, deleted entries included;
    ``latest_event`` (the ledger's) ends the period in which an archived
    entry's edit is also shown in the subscription document. Pages come
    before the subscription document so that, written in this order, the
    subscription document never links to a page not yet on disk.
    """
    tombstones = tuple(tombstones)
    if config.complete:
        return (
            Document(
                path=FEED_NAME,
                kind="complete",
                entries=order_entries(entries),
                tombstones=tombstones,
                prev_archive=None,
                current=None,
            ),
        )
    pages, newest = split_by_arrival(entries, arrivals=arrivals, last_arrival=last_arrival, size=config.max_entries)
    full_pages = len(pages)
    documents: list[Document[E]] = [
        Document(
            path=archive_path(page),
            kind="archive",
            entries=order_entries(held),
            tombstones=(),
            prev_archive=archive_path(page - 1) if page > 1 else None,
            current=FEED_NAME,
        )
        for page, held in enumerate(pages, start=1)
    ]
    shown = {e.id for e in newest}
    edited = [e for e in recently_edited(entries, tombstones, config, latest_event) if e.id not in shown]
    documents.append(
        Document(
            path=FEED_NAME,
            kind="subscription",
            entries=order_entries([*newest, *edited]),
            tombstones=tombstones,
            prev_archive=archive_path(full_pages) if full_pages else None,
            current=None,
        )
    )
    return tuple(documents)


def plan_site_pages(
    entries: Sequence[E],
    *,
    arrivals: Mapping[str, int],
    last_arrival: int,
    size: int,
    documents: Sequence[Document[E]] = (),
) -> tuple[SitePage[E], ...]:
    """Return the HTML site's listing pages, archive pages first, ``index.html`` last.

    The split is ``plan_documents``'s (``split_by_arrival``), given the same
    arrivals, in ``complete`` mode too; ``index.html`` holds the newest
    ``size`` arrivals without the subscription document's recently edited
    extras (a reader of a page sees an edit on the article's own page).
    Written in this order, no page links to one not yet on disk.

    ``documents`` may be ``plan_documents``'s plan of the same entries and
    arrivals with this page size: its archive pages, already split and
    ordered, are taken as they are rather than made again (a tenth of a
    second at a hundred thousand entries).
    """
    subscription = next((d for d in documents if d.kind == "subscription"), None)
    if subscription is None:
        split, newest = split_by_arrival(entries, arrivals=arrivals, last_arrival=last_arrival, size=size)
        held = [order_entries(page) for page in split]
        shown = order_entries(newest)
    else:
        held = [d.entries for d in documents if d.kind == "archive"]
        # Its extras (recently edited) arrived before all of its newest ``size``.
        numbers = sorted(arrivals[e.stem] for e in subscription.entries)
        cut = numbers[-size] if len(numbers) > size else 0
        shown = tuple(e for e in subscription.entries if arrivals[e.stem] >= cut)
    pages = [
        SitePage(
            path=site_archive_path(number),
            number=number,
            entries=page,
            older=number - 1 if number > 1 else None,
        )
        for number, page in enumerate(held, start=1)
    ]
    pages.append(SitePage(path=INDEX_NAME, number=None, entries=shown, older=len(held) or None))
    return tuple(pages)


def recently_edited(
    entries: Sequence[E], tombstones: Sequence[Tombstone], config: FeedConfig, latest_event: datetime | None = None
) -> list[E]:
    """Return entries edited within the announcement period before the latest event.

    The period is the tombstones' (``tombstone_days``) and it ends at the
    latest event (the ledger's, else the feed's own), not at the build's
    clock, so a rebuild with nothing new gives the same document.
    """
    moments = [e.updated for e in entries] + [t.when for t in tombstones]
    end = latest_event if latest_event is not None else max(moments, default=None)
    if end is None:
        return []
    since = end - timedelta(days=config.tombstone_days)
    # updated moves past published only through an edit (ledger.reconcile).
    return [e for e in entries if e.updated > e.published and e.updated >= since]
