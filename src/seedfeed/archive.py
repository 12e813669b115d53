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
instead (RFC 5005 §2). Pure: no I/O, no clock.
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


def archive_path(page: int) -> str:
    """Return the output path of archive page ``page`` (from 1)."""
    return f"{ARCHIVE_DIR}/{page}.atom"


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
    size = config.max_entries
    by_arrival, numbers = _by_arrival(entries, arrivals)
    full_pages = last_arrival // size
    documents: list[Document[E]] = []
    for page in range(1, full_pages + 1):
        # The page's arrivals are a slice of the entries in arrival order.
        start = bisect_right(numbers, (page - 1) * size)
        end = bisect_right(numbers, page * size, start)
        documents.append(
            Document(
                path=archive_path(page),
                kind="archive",
                entries=order_entries(by_arrival[start:end]),
                tombstones=(),
                prev_archive=archive_path(page - 1) if page > 1 else None,
                current=FEED_NAME,
            )
        )
    newest = by_arrival[-size:]
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
