"""A small feed reader for the regeneration tests, and seeds for it to read.

The reader behaves as RFC 5005 §4.2 describes a client of an archived feed:
it polls the subscription document, and follows ``prev-archive`` links only
to pages it has not fetched yet, never refetching one it has. It remembers
each entry by id, as readers do, and records what each poll showed it as
new or as updated. Every document it reads is checked like every Atom feed
the tests make (RELAX NG, RFC 4287 rules, feedparser bozo == 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import feedparser

from conftest import A, check_atom

BASE_URL = "https://news.example.org/"
TOMBSTONES_NS = "http://purl.org/atompub/tombstones/1.0"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def seed_text(number: int, *, day: int = 1, month: int = 1, year: int = 2024, extra: str = "") -> str:
    """Return an Indonesian seed whose text dates it (``pada 5 Maret 2024``)."""
    return (
        f"Berita nomor {number} dari meja dunia\n"
        f"Menteri tiba di Jakarta pada {day} {MONTHS[month - 1]} {year} untuk kunjungan kerja nomor {number}.\n"
        f"Kunjungan itu membahas kerja sama ekonomi dan keamanan kawasan.{extra}\n"
        "Budi Santoso (Menurut AFP , Reuters )\n"
    )


def path_of(url: str, out_dir: Path) -> Path:
    """Return the output file an absolute feed URL maps to; it must lie under the base URL."""
    assert url.startswith(BASE_URL), url
    path = (out_dir / url.removeprefix(BASE_URL)).resolve()
    assert path.is_relative_to(out_dir.resolve()), url
    return path


@dataclass(frozen=True, slots=True)
class Document:
    """One Atom document as fetched: its entries by id, links and markers."""

    path: Path
    data: bytes
    entries: dict[str, feedparser.FeedParserDict]
    links: dict[str, str]  # rel -> href
    tombstones: dict[str, str]  # ref -> when
    is_archive: bool
    is_complete: bool


def fetch(path: Path) -> Document:
    """Read and check one Atom document."""
    data = path.read_bytes()
    root = check_atom(data)
    parsed = feedparser.parse(data)
    entries = {e.id: e for e in parsed.entries}
    assert len(entries) == len(parsed.entries), "duplicate ids in one document"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    tombstones = {t.get("ref"): t.get("when") for t in root.findall(f"{{{TOMBSTONES_NS}}}deleted-entry")}
    # RFC 6721 §2: tombstones come before the entries (the schema places extensions in the head).
    children = list(root)
    first_entry = next((i for i, c in enumerate(children) if c.tag == f"{A}entry"), len(children))
    for i, child in enumerate(children):
        if child.tag == f"{{{TOMBSTONES_NS}}}deleted-entry":
            assert i < first_entry
    return Document(
        path=path,
        data=data,
        entries=entries,
        links=links,
        tombstones=tombstones,
        is_archive=root.find(f"{{{HISTORY_NS}}}archive") is not None,
        is_complete=root.find(f"{{{HISTORY_NS}}}complete") is not None,
    )


@dataclass
class Poll:
    """What one poll showed the reader."""

    new: set[str] = field(default_factory=set)
    updated: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    pages_fetched: list[Path] = field(default_factory=list)


@dataclass
class Reader:
    """A subscriber to ``out_dir/feed.atom``."""

    out_dir: Path
    known: dict[str, str] = field(default_factory=dict)  # id -> updated, as last seen
    deleted: set[str] = field(default_factory=set)
    pages: dict[Path, bytes] = field(default_factory=dict)  # archive pages fetched, as fetched

    def poll(self) -> Poll:
        """Fetch the subscription document and any archive page not yet fetched."""
        poll = Poll()
        current = fetch(self.out_dir / "feed.atom")
        documents = [current]
        href = current.links.get("prev-archive")
        while href is not None:
            path = path_of(href, self.out_dir)
            if path in self.pages:
                break  # RFC 5005 §4.2: stop at the first page already seen
            page = fetch(path)
            assert page.is_archive, f"{path} lacks fh:archive"
            assert page.links["current"] == BASE_URL + "feed.atom"
            assert "next-archive" not in page.links, "a full page must not link forward"
            assert path_of(page.links["self"], self.out_dir) == path
            self.pages[path] = page.data
            poll.pages_fetched.append(path)
            documents.append(page)
            href = page.links.get("prev-archive")
        for document in documents:
            for id_, entry in document.entries.items():
                if id_ not in self.known:
                    poll.new.add(id_)
                    self.known[id_] = entry.updated
                elif _instant(entry.updated) > _instant(self.known[id_]):
                    poll.updated.add(id_)
                    self.known[id_] = entry.updated
        for ref in current.tombstones:
            if ref in self.known:
                poll.deleted.add(ref)
                del self.known[ref]
                self.deleted.add(ref)
        return poll

    def pages_unchanged(self) -> bool:
        """Return whether every page fetched so far still holds the same bytes."""
        return all(path.read_bytes() == data for path, data in self.pages.items())


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def all_ids(out_dir: Path) -> set[str]:
    """Return every entry id a new subscriber finds by walking all the archive pages."""
    ids: set[str] = set()
    href: str | None = BASE_URL + "feed.atom"
    seen: set[Path] = set()
    while href is not None:
        path = path_of(href, out_dir)
        assert path not in seen, "prev-archive links loop"
        seen.add(path)
        document = fetch(path)
        ids |= set(document.entries)
        href = document.links.get("prev-archive")
    return ids
