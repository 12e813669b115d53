"""A small static site: ``index.html``, archive pages and one page per article, from templates.

``index.html`` lists the newest arrivals and ``archive/<k>.html`` the
arrivals of the feed's Atom archive page ``k`` (``archive.plan_site_pages``),
each page linking to the one before it, so a reader walks back to every
article and a full page's bytes never change for a new one.

Pages are made from Jinja2 templates in ``seedfeed/templates`` with
autoescaping on, so seed text can never become markup; the one value passed
through as HTML is ``Entry.content_html``, which the convert stage builds
from escaped text. Links between pages are relative, so the site works from
any folder, a local server or ``file://``; the feed links of autodiscovery
are absolute, as readers resolve them against the page they were given.

Thousands of pages share a handful of shapes, so each template is rendered
by Jinja2 once per shape and filled in for every page of that shape (the
stencils below): the same bytes, a fifth of the time.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import cache
from typing import TYPE_CHECKING, Literal

from markupsafe import Markup, escape

from seedfeed.archive import ARCHIVE_DIR, E, SitePage, archive_path, order_entries, plan_site_pages, site_archive_path
from seedfeed.config import FeedConfig
from seedfeed.convert import ARTICLES_DIR, page_path
from seedfeed.dates import display_names
from seedfeed.displaydate import DisplayNames, format_display
from seedfeed.languages import shipped_tables, table_for
from seedfeed.model import Entry
from seedfeed.writers.common import FEED_NAMES, FORMAT_TITLES, INDEX_NAME, MEDIA_TYPES, sort_entries

if TYPE_CHECKING:
    from babel import Locale
    from jinja2 import Environment

Direction = Literal["ltr", "rtl"]


def page_file(stem: str) -> str:
    """Return where an article's page is written under the output folder.

    The stem is a file's stem, so it holds no "/"; ``convert.page_path`` is
    the same path percent-encoded, as links and URLs carry it.
    """
    return f"{ARTICLES_DIR}/{stem}.html"


@cache
def _environment() -> Environment:
    # Imported here: a build whose pages all have stencils (kept by the parse cache) never needs Jinja2.
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("seedfeed", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # The templates ship inside the package: checking their mtimes on every
        # page (two stat calls per template) cost a tenth of a page's time.
        auto_reload=False,
    )


@cache
def _locale(language: str) -> Locale:
    from babel import Locale, UnknownLocaleError  # not imported for the shipped languages (displaydate.py)

    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def _display_names(language: str) -> DisplayNames | None:
    """Return the kept CLDR data of a shipped language (``dates.display_names``), None for any other."""
    return display_names(language.replace("-", "_"))


def find_direction(config: FeedConfig, language: str) -> Direction:
    """Return the writing direction of a language: its table's, else CLDR's."""
    table = table_for(config.languages, language) or table_for(shipped_tables(), language)
    if table is not None and table.direction == "rtl":
        return "rtl"
    known = _display_names(language)
    if known is not None:
        return "rtl" if known.is_rtl else "ltr"
    return "rtl" if _locale(language).character_order == "right-to-left" else "ltr"


def format_display_date(value: datetime, config: FeedConfig, language: str) -> str:
    """Return a date for readers, in the feed's time zone and the page's language."""
    local = value.astimezone(config.time_zone)
    # Keyed by wall-clock time and offset, which is all that a long date and a
    # short time show in any CLDR locale (tzinfo objects are not hashable).
    key = (local.replace(tzinfo=None), local.utcoffset(), language)
    text = _DISPLAY_DATES.get(key)
    if text is None:
        # A date without a time is midnight by convention; showing "00:00" would invent one.
        has_time = (local.hour, local.minute) != (0, 0)
        known = _display_names(language)
        text = None if known is None else format_display(local.date(), known.date, known)
        if text is not None and has_time:
            clock = format_display(local.timetz(), known.time, known) if known is not None else None
            text = None if clock is None else f"{text} {clock}"
        if text is None:
            text = _babel_display_date(local, language, has_time=has_time)
        if len(_DISPLAY_DATES) >= _DISPLAY_DATES_MAX:
            _DISPLAY_DATES.clear()
        _DISPLAY_DATES[key] = text
    return text


def _babel_display_date(local: datetime, language: str, *, has_time: bool) -> str:
    """Return ``format_display_date``'s text as Babel writes it, for any language."""
    from babel.dates import format_date, format_time

    text = format_date(local.date(), format="long", locale=_locale(language))
    if has_time:
        text += " " + format_time(local.timetz(), format="short", locale=_locale(language))
    return str(text)


# Articles of a feed share dates, and Babel spends some 10 µs on each; the
# memo is bounded, as a watch process lives long.
_DISPLAY_DATES: dict[tuple[datetime, timedelta | None, str], str] = {}
_DISPLAY_DATES_MAX = 16384


def _moment(value: datetime, config: FeedConfig, language: str) -> tuple[str, str]:
    """Return a moment in RFC 3339 and for readers, in the feed's time zone and the page's language."""
    zone = config.time_zone
    key = (value, language)
    known = _MOMENTS.get(key)
    # Equal instants in one zone are one local time; another config's zone is computed anew.
    if known is not None and known[0] is zone:
        return known[1], known[2]
    if len(_MOMENTS) >= _DISPLAY_DATES_MAX:
        _MOMENTS.clear()
    moment = (value.astimezone(zone).isoformat(), format_display_date(value, config, language))
    _MOMENTS[key] = (zone, *moment)
    return moment


# A page shows two moments and the index one, each converted to the feed's zone
# (dateutil's zones convert in Python) and formatted: once per moment and language.
_MOMENTS: dict[tuple[datetime, str], tuple[tzinfo, str, str]] = {}


def _entry_view(entry: Entry, config: FeedConfig, *, prefix: str) -> dict[str, object]:
    path = page_path(entry.stem)
    published, published_text = _moment(entry.published, config, entry.language)
    updated, updated_text = _moment(entry.updated, config, entry.language)
    return {
        "title": entry.title,
        "href": prefix + path,
        "external": entry.link if entry.link != config.url(path) else None,
        "language": entry.language,
        "dir": find_direction(config, entry.language),
        "datetime": published,
        "date": published_text,
        "updated_datetime": updated,
        "updated": updated_text if entry.updated != entry.published else None,
        "author": entry.author or config.author,
        "sources": entry.sources,
        "lead": entry.summary,
        "content": Markup(entry.content_html),  # noqa: S704  # built from escaped seed text by convert
        "categories": entry.categories,
    }


def _summary_view(entry: Entry, config: FeedConfig, *, prefix: str) -> dict[str, object]:
    """Return what a listing page shows of an entry (``index_entry.html``)."""
    published, published_text = _moment(entry.published, config, entry.language)
    return {
        "title": entry.title,
        "href": prefix + page_path(entry.stem),
        "language": entry.language,
        "dir": find_direction(config, entry.language),
        "datetime": published,
        "date": published_text,
        "author": entry.author or config.author,
        "lead": entry.summary,
    }


@dataclass(frozen=True, slots=True)
class _Site:
    """What every page takes from the config, hashable, so that it can key a stencil."""

    title: str
    subtitle: str | None  # None: the feed has no subtitle
    author: str
    feeds: tuple[tuple[str, str, str], ...]  # href, media type, title of each autodiscovery link
    home: str
    root: str  # the way from the page to the site's root: "" or "../"

    def context(self) -> dict[str, object]:
        """Return the template variables these make."""
        return {
            "feed": {"title": self.title, "subtitle": self.subtitle, "author": self.author},
            "feeds": [{"href": href, "type": kind, "title": title} for href, kind, title in self.feeds],
            "home": self.home,
            "root": self.root,
        }


def _site(config: FeedConfig, root: str) -> _Site:
    known = _SITES.get(root)
    if known is not None and known[0] is config:
        return known[1]
    feeds = tuple(
        (config.url(name), MEDIA_TYPES[fmt], f"{config.title} ({FORMAT_TITLES[fmt]})")
        for fmt, name in FEED_NAMES.items()
        if fmt in config.formats
    )
    site = _Site(config.title, config.subtitle, config.author, feeds, config.url(INDEX_NAME), root)
    _SITES[root] = (config, site)
    return site


# The last config's constants for each root: a build renders thousands of pages of one config.
_SITES: dict[str, tuple[FeedConfig, _Site]] = {}


# A stencil is a template rendered once with a marker in place of each value
# that varies from page to page, then cut at the markers. Filled with a page's
# values, each escaped as Jinja2's autoescape escapes it, it gives the bytes
# Jinja2 gives at a fraction of the cost, and the templates stay the one
# source of markup. What decides the markup rather than fills it is in the
# stencil's key: the site's constants, whether a value is missing (None or
# "", as {% if %} tests it) and how long a tuple is (as {% for %} walks it).
# So a template may print a page's values, test whether they are there and
# loop over tuples of them; anything else that looks into a value (a
# comparison, a filter that changes it) makes a stencil that differs from
# Jinja2's own rendering of the page it was made for, and such a stencil is
# never used: pages of its key are rendered by Jinja2.
_MARKER = "\x00{}\x01"
_MARKERS = re.compile("\x00([0-9]+)\x01")
_STENCILS_MAX = 1024  # a watch process sees a few shapes per config it builds


class _Stencil:
    """A template's markup cut where a page's values go."""

    __slots__ = ("_first", "_rest")

    def __init__(self, text: str) -> None:
        pieces = _MARKERS.split(text)
        self._first = pieces[0]  # the markup before the first value
        # Each value's number (in _flatten's order) with the markup that follows it.
        self._rest = tuple(zip((int(n) for n in pieces[1::2]), pieces[2::2], strict=True))

    def highest_field(self) -> int:
        """Return the highest value number the markup names, -1 if none.

        Higher than the page has values only when the site's own text holds
        something that looks like a marker.
        """
        return max((number for number, _chunk in self._rest), default=-1)

    def fill(self, values: Sequence[object]) -> str:
        """Return the page: the markup with each value escaped in its place."""
        parts = [self._first]
        for number, chunk in self._rest:
            value = values[number]
            if type(value) is str:
                # markupsafe's own escaping in pure Python, without making a Markup of each value.
                value = (
                    value.replace("&", "&amp;")
                    .replace(">", "&gt;")
                    .replace("<", "&lt;")
                    .replace("'", "&#39;")
                    .replace('"', "&#34;")
                )
            elif not isinstance(value, Markup):
                value = escape(value)
            # Markup (the content) is printed as is, as Jinja2 prints it.
            parts.append(value)
            parts.append(chunk)
        return "".join(parts)


_STENCILS: dict[tuple[object, ...], _Stencil | None] = {}  # None: the check failed, Jinja2 renders


def _flatten(view: Mapping[str, object], values: list[object], shape: list[object]) -> None:
    """Append a view's values in marker order, and the shape that selects a stencil."""
    for value in view.values():
        if value is None or value == "":
            shape.append(value)
        elif isinstance(value, tuple):
            shape.append(len(value))
            values.extend(value)
        elif isinstance(value, dict):
            shape.append(dict)
            _flatten(value, values, shape)
        else:
            shape.append(True)
            values.append(value)


def _marked(view: Mapping[str, object], numbers: Iterator[int]) -> dict[str, object]:
    """Return a view whose values are markers, numbered as ``_flatten`` orders them."""
    marked: dict[str, object] = {}
    for key, value in view.items():
        if value is None or value == "":
            marked[key] = value
        elif isinstance(value, tuple):
            marked[key] = tuple(_MARKER.format(next(numbers)) for _item in value)
        elif isinstance(value, dict):
            marked[key] = _marked(value, numbers)
        else:
            marked[key] = _MARKER.format(next(numbers))
    return marked


def _render(template: str, site: _Site, view: Mapping[str, object], *, is_stenciled: bool) -> str:
    """Render a template with the site's constants and a page's view.

    A view holds what varies from page to page: strings, tuples of strings
    and dicts of them (``entry``).
    """
    if not is_stenciled:
        return _environment().get_template(template).render({**site.context(), **view})
    values: list[object] = []
    shape: list[object] = []
    _flatten(view, values, shape)
    key = (template, site, tuple(shape))
    stencil = _STENCILS.get(key, _NOT_MADE)
    if isinstance(stencil, _Stencil):
        return stencil.fill(values)
    text = _environment().get_template(template).render({**site.context(), **view})
    if stencil is _NOT_MADE:
        marked = _environment().get_template(template).render({**site.context(), **_marked(view, itertools.count())})
        made = _Stencil(marked)
        if len(_STENCILS) >= _STENCILS_MAX:
            _STENCILS.clear()
        _STENCILS[key] = made if made.highest_field() < len(values) and made.fill(values) == text else None
    return text


_NOT_MADE = object()  # no stencil of that key was made yet


def stencils_made() -> dict[tuple[object, ...], object]:
    """Return the stencils made so far (by key), to be kept for another process: opaque values.

    A stencil is a function of its template, the site's constants and the
    shape in its key: valid wherever the same code renders for the same
    configuration (what the parse cache's key says).
    """
    return dict(_STENCILS)


def use_stencils(made: Mapping[tuple[object, ...], object]) -> None:
    """Take stencils another process made (``stencils_made``), as if made here."""
    for key, stencil in made.items():
        if isinstance(stencil, _Stencil) or stencil is None:
            _STENCILS.setdefault(key, stencil)


def render_index(
    config: FeedConfig, entries: Sequence[Entry], *, older: int | None = None, is_stenciled: bool = True
) -> bytes:
    """Return ``index.html`` listing these entries newest first, linking to archive page ``older`` if given.

    ``is_stenciled=False`` renders the page and every row through Jinja2: the same bytes, slower.
    """
    page = SitePage(path=INDEX_NAME, number=None, entries=order_entries(entries), older=older)
    rows = [render_index_row(config, e, is_stenciled=is_stenciled).encode("utf-8") for e in page.entries]
    return b"".join(render_site_page(config, page, rows, is_stenciled=is_stenciled))


def row_prefix(page: SitePage[E]) -> str:
    """Return the way from a listing page to the site's root, which its rows' links start with."""
    return "" if page.number is None else "../"


def render_index_row(config: FeedConfig, entry: Entry, *, prefix: str = "", is_stenciled: bool = True) -> str:
    """Return one entry's summary on a listing page whose way to the root is ``prefix`` (``row_prefix``).

    Rendered apart from the page, so that a rebuild renders the rows of new
    and changed entries only and reuses the others (``outputs.write_site``).
    """
    view = {"entry": _summary_view(entry, config, prefix=prefix)}
    return _render("index_entry.html", _site(config, prefix), view, is_stenciled=is_stenciled)


def site_page_links(config: FeedConfig, page: SitePage[E]) -> tuple[str | None, str | None]:
    """Return a listing page's link to the page before it, and the URL of its own Atom page; None: none.

    The first is relative to the page; the second is absolute, as the other
    autodiscovery links are, and only where the feed has Atom archive pages.
    """
    if page.number is None:
        return (site_archive_path(page.older) if page.older is not None else None), None
    older = site_archive_path(page.older).removeprefix(f"{ARCHIVE_DIR}/") if page.older is not None else None
    has_atom = "atom" in config.formats and not config.complete
    return older, config.url(archive_path(page.number)) if has_atom else None


# Stands for the rows in a rendered listing page: a NUL never reaches a page.
_ROWS_MARKER = "\x00seedfeed-index-rows\x00"


def render_site_page(
    config: FeedConfig, page: SitePage[E], rows: Sequence[bytes], *, is_stenciled: bool = True
) -> list[bytes]:
    """Return a listing page (``index.html`` or an archive page) as parts, from its rows in order.

    ``rows`` are ``render_index_row``'s, UTF-8, made with the page's
    ``row_prefix``. The page is rendered around a marker and the rows put in
    its place as they are: they are neither decoded nor joined again.
    ``is_stenciled=False`` renders the page through Jinja2: the same bytes, slower.
    """
    older, atom = site_page_links(config, page)
    root = row_prefix(page)
    view: dict[str, object] = {
        "language": config.language,
        "dir": find_direction(config, config.language),
        # The rows were rendered by our autoescaping template: markup, not text.
        "rows": Markup(_ROWS_MARKER) if rows else "",  # noqa: S704
        "older": older,
    }
    template = "index.html"
    if page.number is not None:
        template = "archive.html"
        view["number"] = str(page.number)
        view["atom"] = atom
    text = _render(template, _site(config, root), view, is_stenciled=is_stenciled).encode("utf-8")
    if not rows:
        return [text]
    before, marker, after = text.partition(_ROWS_MARKER.encode("utf-8"))
    if not marker:  # never: the page holds what it is given
        raise ValueError(f"{page.path} lost its rows")
    return [before, *rows, after]


def render_article(config: FeedConfig, entry: Entry, *, is_stenciled: bool = True) -> bytes:
    """Return the page of one article.

    ``is_stenciled=False`` renders it through Jinja2: the same bytes, slower.
    """
    view = _entry_view(entry, config, prefix="../")
    page = {"language": view["language"], "dir": view["dir"], "entry": view}
    return _render("article.html", _site(config, "../"), page, is_stenciled=is_stenciled).encode("utf-8")


def render_site(
    config: FeedConfig, entries: Sequence[Entry], *, arrivals: Mapping[str, int], last_arrival: int
) -> Mapping[str, bytes]:
    """Return every page of the site by its path under the output folder ("/"-separated).

    ``arrivals`` maps each entry's stem to its arrival number and
    ``last_arrival`` is the highest number ever given, as for
    ``archive.plan_documents``: they split the listing into pages.
    """
    pages: dict[str, bytes] = {}
    for page in plan_site_pages(entries, arrivals=arrivals, last_arrival=last_arrival, size=config.max_entries):
        prefix = row_prefix(page)
        rows = [render_index_row(config, e, prefix=prefix).encode("utf-8") for e in page.entries]
        pages[page.path] = b"".join(render_site_page(config, page, rows))
    for entry in sort_entries(entries):
        pages[page_file(entry.stem)] = render_article(config, entry)
    return pages
