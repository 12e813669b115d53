"""Plain values passed between the pipeline's stages.

Every stage takes and returns these frozen dataclasses, never dicts, so that
a stage can be tested alone and a build is a chain of pure functions between
reading the seeds and writing the feeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Literal

Provenance = Literal["front-matter", "text", "text+inferred-year", "first-seen"]
LanguageSource = Literal["front-matter", "detected", "feed"]


# Pickling: a frozen dataclass with slots pickles its fields through
# dataclasses' own __getstate__ and __setstate__, which list the class's
# fields on every call. A parse worker pickles an article and an entry per
# seed and a rebuild loads them back; these do the same from the slots.
_STATE_GETTERS: dict[type, Callable[[object], tuple[object, ...]]] = {}


def _getstate(self: object) -> tuple[object, ...]:
    getter = _STATE_GETTERS.get(type(self))
    if getter is None:
        # The dataclass decorator makes __slots__: the fields, in order.
        getter = _STATE_GETTERS[type(self)] = attrgetter(*getattr(type(self), "__slots__"))  # noqa: B009
    return getter(self)


def _setstate(self: object, state: tuple[object, ...]) -> None:
    for name, value in zip(getattr(type(self), "__slots__"), state, strict=True):  # noqa: B009
        object.__setattr__(self, name, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """A warning about one seed: published anyway, but worth a look."""

    __getstate__ = _getstate
    __setstate__ = _setstate

    path: Path
    line: int | None  # None: the notice is about the whole file
    message: str

    def __str__(self) -> str:
        return located(str(self.path), self.line, self.message)


def located(path: str, line: int | None, message: str) -> str:
    """Return a message about a file, or a line of it, as a notice prints: ``path[:line]: message``.

    Also what a report prints from notes kept as plain strings (``catalog.HeadNotices``).
    """
    return f"{path}: {message}" if line is None else f"{path}:{line}: {message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontMatter:
    """Fields a seed's ``---`` block sets; ``None`` means "not given"."""

    __getstate__ = _getstate
    __setstate__ = _setstate

    title: str | None = None
    date: str | None = None  # raw text; parsed by dates.parse_front_matter_date
    date_line: int | None = None
    author: str | None = None
    link: str | None = None
    tags: tuple[str, ...] = ()
    id: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Seed:
    """A seed file decoded to text, with its front matter split off."""

    __getstate__ = _getstate
    __setstate__ = _setstate

    source: Path
    text: str  # the body after front matter: NFC, "\n" newlines
    first_line: int  # line number in the file of the body's first line
    front_matter: FrontMatter = field(default_factory=FrontMatter)
    encoding: str = "utf-8"
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FoundDate:
    """An article's date with where it came from."""

    __getstate__ = _getstate
    __setstate__ = _setstate

    value: datetime  # aware, UTC
    provenance: Provenance
    evidence: str  # the words matched, or what the date was taken from
    line: int | None = None  # None: not from a line of the seed


@dataclass(frozen=True, slots=True, kw_only=True)
class Caption:
    """A photo caption and its credit ("… Foto: AFP")."""

    __getstate__ = _getstate
    __setstate__ = _setstate

    text: str
    credit: str | None  # None: the caption names no credit
    cue: str | None  # the credit cue as written ("Foto:"), None without credit
    position: int  # index into Article.paragraphs of the paragraph it precedes


@dataclass(frozen=True, slots=True, kw_only=True)
class Byline:
    """Author and agencies: "Huyen Le (Menurut AFP , Reuters )"."""

    __getstate__ = _getstate
    __setstate__ = _setstate

    author: str | None  # None: the byline names agencies only
    sources: tuple[str, ...]
    cue: str | None  # the cue before the agencies ("Menurut"), None if absent


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """A parsed seed: what the text says, before any feed decisions."""

    __getstate__ = _getstate
    __setstate__ = _setstate

    source: Path  # the seed file; every message about this article names it
    stem: str  # the file's stem: the permanent part of the entry id
    title: str
    paragraphs: tuple[str, ...]  # lead first
    captions: tuple[Caption, ...]
    byline: Byline | None  # None: no byline was recognised
    language: str
    language_source: LanguageSource
    date: FoundDate | None  # None: build falls back to the ledger's first-seen time
    link: str | None  # None: the entry links to its page on the site
    tags: tuple[str, ...]
    id: str | None  # None: convert derives the tag URI
    content_hash: str  # of what readers see; an edit changes it, a touch does not
    notices: tuple[Notice, ...] = ()

    @property
    def lead(self) -> str:
        """Return the first body paragraph, or the empty string."""
        return self.paragraphs[0] if self.paragraphs else ""

    @property
    def author(self) -> str | None:
        """Return the byline's author, if any."""
        return self.byline.author if self.byline else None

    @property
    def sources(self) -> tuple[str, ...]:
        """Return the agencies named in the byline."""
        return self.byline.sources if self.byline else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One feed entry, in RFC 4287 terms, ready for any writer."""

    __getstate__ = _getstate
    __setstate__ = _setstate

    id: str
    stem: str
    title: str
    published: datetime  # aware
    updated: datetime  # aware, never before published
    date_source: Provenance
    author: str | None  # None: the feed's author stands in
    sources: tuple[str, ...]
    summary: str
    content_html: str
    categories: tuple[str, ...]
    link: str  # absolute http(s) URL of the entry's page
    language: str
    caption: str | None
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Tombstone:
    """A deleted entry announced to readers (RFC 6721)."""

    __getstate__ = _getstate
    __setstate__ = _setstate

    ref: str
    when: datetime  # aware
