"""A small static site: ``index.html`` and one page per article, from templates.

Pages are made from Jinja2 templates in ``seedfeed/templates`` with
autoescaping on, so seed text can never become markup; the one value passed
through as HTML is ``Entry.content_html``, which the convert stage builds
from escaped text. Links between pages are relative, so the site works from
any folder, a local server or ``file://``; the feed links of autodiscovery
are absolute, as readers resolve them against the page they were given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from seedfeed.config import FeedConfig
from seedfeed.convert import ARTICLES_DIR, page_path
from seedfeed.languages import shipped_tables, table_for
from seedfeed.model import Entry
from seedfeed.writers.common import FEED_NAMES, FORMAT_TITLES, INDEX_NAME, MEDIA_TYPES, sort_entries

Direction = Literal["ltr", "rtl"]


def page_file(stem: str) -> str:
    """Return where an article's page is written under the output folder.

    The stem is a file's stem, so it holds no "/"; ``convert.page_path`` is
    the same path percent-encoded, as links and URLs carry it.
    """
    return f"{ARTICLES_DIR}/{stem}.html"


@cache
def _environment() -> Environment:
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
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def find_direction(config: FeedConfig, language: str) -> Direction:
    """Return the writing direction of a language: its table's, else CLDR's."""
    table = table_for(config.languages, language) or table_for(shipped_tables(), language)
    if table is not None and table.direction == "rtl":
        return "rtl"
    return "rtl" if _locale(language).character_order == "right-to-left" else "ltr"


def format_display_date(value: datetime, config: FeedConfig, language: str) -> str:
    """Return a date for readers, in the feed's time zone and the page's language."""
    local = value.astimezone(config.time_zone)
    # Keyed by wall-clock time and offset, which is all that a long date and a
    # short time show in any CLDR locale (tzinfo objects are not hashable).
    key = (local.replace(tzinfo=None), local.utcoffset(), language)
    text = _DISPLAY_DATES.get(key)
    if text is None:
        text = format_date(local.date(), format="long", locale=_locale(language))
        if (local.hour, local.minute) != (0, 0):
            # A date without a time is midnight by convention; showing "00:00" would invent one.
            text += " " + format_time(local.timetz(), format="short", locale=_locale(language))
        if len(_DISPLAY_DATES) >= _DISPLAY_DATES_MAX:
            _DISPLAY_DATES.clear()
        _DISPLAY_DATES[key] = text = str(text)
    return text


# Articles of a feed share dates, and Babel spends some 10 µs on each; the
# memo is bounded, as a watch process lives long.
_DISPLAY_DATES: dict[tuple[datetime, timedelta | None, str], str] = {}
_DISPLAY_DATES_MAX = 16384


def _entry_view(entry: Entry, config: FeedConfig, *, prefix: str) -> dict[str, object]:
    own_page = config.url(page_path(entry.stem))
    return {
        "title": entry.title,
        "href": prefix + page_path(entry.stem),
        "external": entry.link if entry.link != own_page else None,
        "language": entry.language,
        "dir": find_direction(config, entry.language),
        "datetime": entry.published.astimezone(config.time_zone).isoformat(),
        "date": format_display_date(entry.published, config, entry.language),
        "updated_datetime": entry.updated.astimezone(config.time_zone).isoformat(),
        "updated": (
            format_display_date(entry.updated, config, entry.language) if entry.updated != entry.published else None
        ),
        "author": entry.author or config.author,
        "sources": entry.sources,
        "lead": entry.summary,
        "content": Markup(entry.content_html),  # noqa: S704  # built from escaped seed text by convert
        "categories": entry.categories,
    }


def _feeds(config: FeedConfig) -> list[dict[str, str]]:
    return [
        {
            "href": config.url(name),
            "type": MEDIA_TYPES[fmt],
            "title": f"{config.title} ({FORMAT_TITLES[fmt]})",
        }
        for fmt, name in FEED_NAMES.items()
        if fmt in config.formats
    ]


def _render_page(config: FeedConfig, template: str, *, language: str, root: str, **content: object) -> bytes:
    """Render a page of the site: the feed's header, autodiscovery links, language and direction."""
    page = (
        _environment()
        .get_template(template)
        .render(
            feed={"title": config.title, "subtitle": config.subtitle, "author": config.author},
            language=language,
            dir=find_direction(config, language),
            feeds=_feeds(config),
            home=config.url(INDEX_NAME),
            root=root,
            **content,
        )
    )
    return page.encode("utf-8")


def render_index(config: FeedConfig, entries: Sequence[Entry]) -> bytes:
    """Return ``index.html``: every entry, newest first, with its date, author and lead."""
    return render_index_page(config, [render_index_row(config, e) for e in sort_entries(entries)])


def render_index_row(config: FeedConfig, entry: Entry) -> str:
    """Return one entry's summary on ``index.html``.

    Rendered apart from the page, so that a rebuild renders the rows of new
    and changed entries only and reuses the others (``outputs.write_site``).
    """
    view = _entry_view(entry, config, prefix="")
    return _environment().get_template("index_entry.html").render(entry=view)


def render_index_page(config: FeedConfig, rows: Sequence[str]) -> bytes:
    """Return ``index.html`` from its rows (``render_index_row``), newest first."""
    # The rows were rendered by our autoescaping template: markup, not text.
    markup = Markup("".join(rows))  # noqa: S704
    return _render_page(config, "index.html", language=config.language, root="", rows=markup)


def render_article(config: FeedConfig, entry: Entry) -> bytes:
    """Return the page of one article."""
    view = _entry_view(entry, config, prefix="../")
    return _render_page(config, "article.html", language=entry.language, root="../", entry=view)


def render_site(config: FeedConfig, entries: Sequence[Entry]) -> Mapping[str, bytes]:
    """Return every page of the site by its path under the output folder ("/"-separated)."""
    pages: dict[str, bytes] = {INDEX_NAME: render_index(config, entries)}
    for entry in sort_entries(entries):
        pages[page_file(entry.stem)] = render_article(config, entry)
    return pages
