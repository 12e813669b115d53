"""Light records of seeds and entries, so that a rebuild never loads an unchanged article.

A build needs every seed's id, content hash and date to reconcile the ledger,
and every entry's id, stem, title and dates to order the feed and plan its
archive pages; it needs an entry's full text only to render a page or a
document that changed. At ten thousand seeds, unpickling every article and
converting it again costs more than everything else a one-seed rebuild does.
So the parse cache keeps, beside each pickled article, these small records:

- ``SeedFacts``: what the ledger needs of a parsed seed;
- ``EntryHead``: what ordering, planning and the report need of an entry,
  with a digest of the whole entry (what an output made from it depends on)
  and its notices (repeated on every build).

Both are NamedTuples: tens of thousands are pickled and unpickled per build,
and tuples do that in C.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple, Protocol, overload

from seedfeed.model import Article, Entry, Notice, Provenance
from seedfeed.seeds import SEED_SUFFIX


class SeedFacts(NamedTuple):
    """What reconciling with the ledger needs of a parsed seed, without its text."""

    name: str  # the seed's file name
    stem: str
    front_matter_id: str | None  # None: the id is the tag URI of the stem
    content_hash: str
    date: datetime | None  # the date the text gives; None: first-seen stands in
    provenance: Provenance | None  # of ``date``; None with it

    @classmethod
    def of(cls, article: Article) -> SeedFacts:
        """Return the facts of a parsed article."""
        return cls(
            name=article.source.name,
            stem=article.stem,
            front_matter_id=article.id,
            content_hash=article.content_hash,
            date=fixed_offset(article.date.value) if article.date is not None else None,
            provenance=article.date.provenance if article.date is not None else None,
        )


class EntryHead(NamedTuple):
    """An entry without its text: enough to order, plan, digest and report it."""

    stem: str
    id: str
    title: str
    published: datetime
    updated: datetime
    date_source: Provenance
    digest: bytes  # of the whole entry: an output made from it changes only when this does
    # The entry's notices: path, line, message; OWN_FILE for the path of the seed's own file
    # (``full_notes``), which a head does not hold: a string per seed, 10 MB at 100,000.
    notes: tuple[tuple[str, int | None, str], ...]

    @classmethod
    def of(cls, entry: Entry, digest: bytes) -> EntryHead:
        """Return the head of an entry whose digest is ``digest``.

        Its dates keep the entry's instants and UTC offsets but not its time
        zone object, and its notices are plain tuples: a head is pickled on
        every build that changes anything, and these pickle in C.
        """
        return cls(
            stem=entry.stem,
            id=entry.id,
            title=entry.title,
            published=fixed_offset(entry.published),
            updated=fixed_offset(entry.updated),
            date_source=entry.date_source,
            digest=digest,
            notes=tuple((_note_path(n.path, entry.stem), n.line, n.message) for n in entry.notices),
        )

    def full_notes(self, folder: str) -> Iterator[tuple[str, int | None, str]]:
        """Yield the entry's notes with every path whole; ``folder`` is ``seeds_folder(the seeds' folder)``."""
        own: str | None = None
        for path, line, message in self.notes:
            if path == OWN_FILE:
                if own is None:
                    own = folder + self.stem + SEED_SUFFIX
                path = own
            yield path, line, message

    def notices(self, folder: str, paths: dict[str, Path] | None = None) -> list[Notice]:
        """Return the entry's notices (``folder`` as ``full_notes``); ``paths`` shares one Path per file among many."""
        paths = {} if paths is None else paths
        notices: list[Notice] = []
        for path, line, message in self.full_notes(folder):
            known = paths.get(path)
            if known is None:
                known = paths[path] = _path_of(path, paths)
            notices.append(Notice(path=known, line=line, message=message))
        return notices


# A note's path when it is the seed's own file: the seed's name is its head's stem and suffix.
OWN_FILE = ""


def _note_path(path: Path, stem: str) -> str:
    """Return a notice's path as a head's note keeps it: OWN_FILE for the seed's own file."""
    return OWN_FILE if path.name == stem + SEED_SUFFIX else str(path)


def seeds_folder(seeds_dir: Path) -> str:
    """Return what a seed file's name follows in its path string: ``str(seeds_dir / name)`` is this and the name."""
    return str(seeds_dir / "x")[:-1]


def _path_of(text: str, paths: dict[str, Path]) -> Path:
    """Return ``Path(text)`` for a path string as ``str(Path)`` writes it, its folder's Path shared.

    The notes of a folder's seeds all name files of one folder: joining a
    name to the folder's Path costs half of parsing the whole string, once
    per noted seed on every build. ``paths`` keeps the folders too (a key
    ending in "/", which no file's path has).
    """
    folder, slash, name = text.rpartition("/")
    if not slash or not name or name in (".", "..") or folder.endswith("/"):
        return Path(text)  # not a file in a folder as str(Path) writes it ("//x": POSIX keeps both slashes)
    key = folder + "/"
    parent = paths.get(key)
    if parent is None:
        # "/name": the folder is the root, which rpartition leaves empty.
        parent = paths[key] = Path(folder or "/")
    return parent.joinpath(name)


def fixed_offset(value: datetime) -> datetime:
    """Return the same moment and wall time with a fixed-offset ``timezone`` (which pickles in C).

    One ``timezone`` object per offset: pickle writes a shared object once,
    so ten thousand heads in one zone carry it once.
    """
    offset = value.utcoffset()
    if offset is None:
        return value
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _ZONES[offset] = timezone(offset) if offset else UTC
    return value if value.tzinfo is zone else value.replace(tzinfo=zone)


_ZONES: dict[timedelta, timezone] = {}


class Dated(Protocol):
    """What ordering and archive planning read of an entry: an ``Entry`` or an ``EntryHead``."""

    @property
    def stem(self) -> str: ...

    @property
    def id(self) -> str: ...

    @property
    def published(self) -> datetime: ...

    @property
    def updated(self) -> datetime: ...


# Entries a catalog keeps loaded: the subscription document's, RSS's and JSON Feed's are the same few.
_KEPT = 512


class EntryCatalog:
    """The published entries of a build as heads, and their full values on demand."""

    def __init__(self, heads: Iterable[EntryHead], load: Callable[[EntryHead], Entry]) -> None:
        self.heads = tuple(heads)
        self._load = load
        self._loaded: dict[str, Entry] = {}

    def entry(self, head: EntryHead) -> Entry:
        """Return the full entry of a head (the last few hundred asked for are kept)."""
        entry = self._loaded.get(head.stem)
        if entry is None:
            entry = self._load(head)
            if len(self._loaded) >= _KEPT:
                # A cold build reads every entry once for its archive page: keeping
                # them all would hold the whole feed's text in memory.
                del self._loaded[next(iter(self._loaded))]
            self._loaded[head.stem] = entry
        return entry

    def entries(self, heads: Iterable[EntryHead]) -> tuple[Entry, ...]:
        """Return the full entries of some heads, in their order."""
        return tuple(self.entry(head) for head in heads)

    def forget_loaded(self) -> None:
        """Let go of the entries kept from loading (their text): they are loaded again when asked for."""
        self._loaded.clear()


def head_matches(head: EntryHead | None, published: datetime, updated: datetime, provenance: Provenance) -> bool:
    """Return whether a cached head was made with these dates (so its entry is current)."""
    return (
        head is not None
        and head.published == published
        and head.updated == max(updated, published)
        and head.date_source == provenance
    )


# A note as a plain tuple: its file's path as ``str(Path)`` writes it, its line, its message.
Note = tuple[str, int | None, str]


class HeadNotices(Sequence[Notice]):
    """A build's notices: its own (the ledger's) first, then each entry's, made from its head's notes when read.

    A full build at 100,000 seeds has some 130,000 notices: as ``Notice``
    objects, each with its file's ``Path``, about 30 MB held from the end of
    the build until the process ends, for a report that reads them once or
    twice, in order. Printed or put in the JSON report, they are written
    from the notes' own strings (``plain``): ``str(Path(text))`` is ``text``
    for a path ``str(Path)`` wrote, so the bytes are the same.
    """

    __slots__ = ("_folder", "_heads", "_length", "_own", "_seeds_dir")

    def __init__(self, own: Iterable[Notice], heads: Sequence[EntryHead], seeds_dir: Path) -> None:
        self._own = tuple(own)
        self._heads = heads
        self._seeds_dir = seeds_dir
        self._folder = seeds_folder(seeds_dir)
        self._length = len(self._own) + sum(len(head.notes) for head in heads)

    @property
    def seeds_dir(self) -> Path:
        """Return the folder of the seeds whose heads' notes these are."""
        return self._seeds_dir

    @property
    def own(self) -> tuple[Notice, ...]:
        """Return the notices that are no entry's (a corrupt ledger's)."""
        return self._own

    @property
    def heads(self) -> Sequence[EntryHead]:
        """Return the heads whose notes follow the build's own notices, in their order."""
        return self._heads

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Notice]:
        yield from self._own
        paths: dict[str, Path] = {}
        for head in self._heads:
            if head.notes:
                yield from head.notices(self._folder, paths)
                # The folder's Path stays shared; the file's goes with its notices.
                paths = {key: value for key, value in paths.items() if key.endswith("/")}

    def plain(self) -> Iterator[Note]:
        """Yield each notice as (path, line, message), its path as ``str(notice.path)`` gives it."""
        for notice in self._own:
            yield str(notice.path), notice.line, notice.message
        folder = self._folder
        for head in self._heads:
            if head.notes:
                yield from head.full_notes(folder)

    @overload
    def __getitem__(self, index: int) -> Notice: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Notice]: ...

    def __getitem__(self, index: int | slice) -> Notice | Sequence[Notice]:
        if isinstance(index, slice):
            return tuple(self)[index]
        position = index + self._length if index < 0 else index
        if not 0 <= position < self._length:
            raise IndexError(index)
        if position < len(self._own):
            return self._own[position]
        position -= len(self._own)
        for head in self._heads:
            if position < len(head.notes):
                return head.notices(self._folder)[position]
            position -= len(head.notes)
        raise IndexError(index)  # never: the length counts every note

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to any sequence of the same notices

    def __repr__(self) -> str:
        return f"HeadNotices({list(self)!r})"
