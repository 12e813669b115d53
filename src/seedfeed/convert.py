"""Convert stage: an ``Article`` and its ledger record become a feed ``Entry``.

The entry id is decided here and only from what never changes: the feed's
tag authority and date and the seed file's stem (RFC 4151), unless the seed's
front matter names an id. Nothing a better parser could change goes into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from urllib.parse import quote

from seedfeed.catalog import SeedFacts
from seedfeed.config import FeedConfig, check_http_url
from seedfeed.errors import SeedError
from seedfeed.model import Article, Caption, Entry, Notice, Provenance

ARTICLES_DIR = "articles"
# RFC 3987 scheme, then something: "tag:…", "urn:uuid:…", "https://…".
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")
# RFC 4151 specific = *( pchar / "/" / "?" ); pchar keeps sub-delims, ":" and "@".
_TAG_SAFE = "-._~!$&'()*+,;=:@/?"
# A stem quote() would leave as it is (unreserved characters only): most stems, spared the call.
_PLAIN_STEM = re.compile(r"[A-Za-z0-9._~-]*")


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryDates:
    """What the ledger decided about an entry's dates."""

    published: datetime  # aware
    updated: datetime  # aware, never before published
    provenance: Provenance


def dates_of(facts: SeedFacts, first_seen: datetime) -> EntryDates:
    """Return a parsed seed's dates before any edit: the text's date, else its first-seen time."""
    if facts.date is not None and facts.provenance is not None:
        return EntryDates(published=facts.date, updated=facts.date, provenance=facts.provenance)
    return EntryDates(published=first_seen, updated=first_seen, provenance="first-seen")


def entry_id(article: Article, config: FeedConfig) -> str:
    """Return the entry's permanent id: front matter ``id``, else the tag URI.

    Raises SeedError when front matter gives an id that is not an absolute IRI.
    """
    return make_entry_id(article.id, article.stem, article.source, config)


def make_entry_id(front_matter_id: str | None, stem: str, source: Path, config: FeedConfig) -> str:
    """Return an entry's id from its front matter ``id`` (None: none) and its seed's stem.

    The parse cache keeps only these two, so an unchanged seed's id is found
    without loading its article. Raises SeedError as ``entry_id`` does.
    """
    if front_matter_id is not None:
        if not _ABSOLUTE_IRI.fullmatch(front_matter_id):
            raise SeedError(
                source,
                None,
                f"front matter id {front_matter_id!r} is not an absolute IRI"
                " (e.g. 'tag:example.org,2024:my-article' or 'urn:uuid:…')",
            )
        return front_matter_id
    specific = stem if _PLAIN_STEM.fullmatch(stem) else quote(stem, safe=_TAG_SAFE)
    return f"tag:{config.id_authority},{config.id_date}:{specific}"


def page_path(stem: str) -> str:
    """Return the site path of an entry's own page, relative to the base URL."""
    return f"{ARTICLES_DIR}/{quote(stem, safe='-._~')}.html"


def render_content(article: Article) -> str:
    """Return the entry's HTML content; every piece of seed text is escaped."""
    paragraphs = [f"<p>{escape(paragraph, quote=False)}</p>" for paragraph in article.paragraphs]
    if article.captions:
        # Each caption before the paragraph it precedes (len(paragraphs): after
        # the last), those of one position in their order.
        figures: dict[int, list[str]] = {}
        for caption in article.captions:
            figures.setdefault(caption.position, []).append(_figure(caption))
        parts: list[str] = []
        for index, paragraph in enumerate(paragraphs):
            parts += figures.get(index, ())
            parts.append(paragraph)
        parts += figures.get(len(paragraphs), ())
    else:
        parts = paragraphs
    if article.byline is not None:
        parts.append(f'<p class="byline">{escape(byline_text(article), quote=False)}</p>')
    return "\n".join(parts)


def _figure(caption: Caption) -> str:
    credit = ""
    if caption.credit is not None:
        cue = f"{caption.cue}: " if caption.cue else ""
        credit = f' <span class="credit">{escape(cue + caption.credit, quote=False)}</span>'
    return f"<figure><figcaption>{escape(caption.text, quote=False)}{credit}</figcaption></figure>"


def byline_text(article: Article) -> str:
    """Return the byline as readers see it: "Huyen Le (Menurut AFP, Reuters)"."""
    byline = article.byline
    if byline is None:
        return ""
    agencies = ", ".join(byline.sources)
    inner = f"{byline.cue} {agencies}" if byline.cue else agencies
    if byline.author and inner:
        return f"{byline.author} ({inner})"
    return byline.author or inner


def to_entry(article: Article, dates: EntryDates, config: FeedConfig) -> Entry:
    """Return the feed entry for an article whose dates the ledger decided.

    Raises SeedError when front matter gives an unusable id.
    """
    notices = list(article.notices)
    link = config.url(page_path(article.stem))
    if article.link is not None:
        problem = check_http_url(article.link)
        if problem is None:
            link = article.link
        else:
            notices.append(Notice(path=article.source, line=None, message=f"front matter link ignored: {problem}"))
    tz = config.time_zone
    return Entry(
        id=entry_id(article, config),
        stem=article.stem,
        title=article.title,
        published=dates.published.astimezone(tz),
        updated=max(dates.updated, dates.published).astimezone(tz),
        date_source=dates.provenance,
        author=article.author,
        sources=article.sources,
        summary=article.lead,
        content_html=render_content(article),
        categories=article.tags,
        link=link,
        language=article.language,
        caption=article.captions[0].text if article.captions else None,
        notices=tuple(notices),
    )
