"""feedgen extensions for what feedgen 1.0.0 cannot say in Atom.

- RFC 6721 tombstones: ``<at:deleted-entry ref="…" when="…"/>``, one per
  deleted entry, so a reader removes an article whose seed is gone.
- RFC 5005 markers: ``<fh:archive/>`` on an archive page (its set of
  entries never changes) and ``<fh:complete/>`` on a complete feed (a
  reader may drop whatever is not in it).

feedgen calls ``extend_atom`` after the feed's own head elements and before
it appends the entries, which is where the Atom RELAX NG schema allows
extension elements (``extensionElement`` inside the head's interleave).
Both are Atom-only: RSS has its own ways, or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from feedgen.ext.base import BaseExtension
from lxml import etree

from seedfeed.model import Tombstone

TOMBSTONES_NS = "http://purl.org/atompub/tombstones/1.0"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
TOMBSTONES = "tombstones"  # the attribute name feedgen gives the extension on the generator
HISTORY = "history"

FeedKind = Literal["archive", "complete"]


class TombstoneExtension(BaseExtension):  # type: ignore[misc]  # feedgen is untyped
    """Write one ``at:deleted-entry`` per tombstone, in the order given."""

    def __init__(self) -> None:
        self._tombstones: tuple[Tombstone, ...] = ()

    def set_tombstones(self, tombstones: Sequence[Tombstone]) -> None:
        """Set the tombstones the feed announces."""
        self._tombstones = tuple(tombstones)

    def extend_ns(self) -> dict[str, str]:
        """Return the prefix the tombstones use."""
        return {"at": TOMBSTONES_NS} if self._tombstones else {}

    def extend_atom(self, feed: Any) -> Any:  # an lxml element from feedgen
        """Append the tombstones to the feed's head."""
        for tombstone in self._tombstones:
            element = etree.SubElement(feed, f"{{{TOMBSTONES_NS}}}deleted-entry")
            # RFC 6721 §2: ref is the entry's atom:id, when an RFC 3339 date-time.
            element.set("ref", tombstone.ref)
            element.set("when", tombstone.when.isoformat())
        return feed


class HistoryExtension(BaseExtension):  # type: ignore[misc]  # feedgen is untyped
    """Mark the document as an archive page or a complete feed (RFC 5005)."""

    def __init__(self) -> None:
        self._kind: FeedKind | None = None  # None: a plain subscription document

    def set_kind(self, kind: FeedKind | None) -> None:
        """Set which marker, if any, the document carries."""
        self._kind = kind

    def extend_ns(self) -> dict[str, str]:
        """Return the prefix the marker uses."""
        return {"fh": HISTORY_NS} if self._kind else {}

    def extend_atom(self, feed: Any) -> Any:  # an lxml element from feedgen
        """Append the marker to the feed's head."""
        if self._kind is not None:
            etree.SubElement(feed, f"{{{HISTORY_NS}}}{self._kind}")
        return feed


def add_extensions(fg: Any, *, tombstones: Sequence[Tombstone], kind: FeedKind | None) -> None:
    """Register both extensions on a FeedGenerator and give them their data."""
    fg.register_extension(TOMBSTONES, TombstoneExtension, atom=True, rss=False)
    fg.register_extension(HISTORY, HistoryExtension, atom=True, rss=False)
    tombstone_ext = getattr(fg, TOMBSTONES)
    history_ext = getattr(fg, HISTORY)
    if not isinstance(tombstone_ext, TombstoneExtension) or not isinstance(history_ext, HistoryExtension):
        raise TypeError("feedgen did not install the seedfeed extensions")
    tombstone_ext.set_tombstones(tombstones)
    history_ext.set_kind(kind)
