"""Parse stage: a ``Seed`` becomes an ``Article`` (title, body, caption, byline, date).

The scraped format is positional: title first, body paragraphs, a caption
somewhere among them, a byline near the end, then page leftovers. Everything
that differs between languages comes from the language tables.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import datetime
from functools import cache

from seedfeed.config import FeedConfig
from seedfeed.dates import MAIN_LINES, find_date, find_relative_words, parse_front_matter_date
from seedfeed.detect import detect_language
from seedfeed.errors import SeedError
from seedfeed.languages import COMMON, LanguageTable, table_for
from seedfeed.model import Article, Byline, Caption, FoundDate, LanguageSource, Notice, Seed
from seedfeed.text import repair_spacing

_MAX_AUTHOR_WORDS = 6
_MAX_CREDIT_CHARS = 60
_AGENCY_SPLIT = re.compile(r"\s*(?:,|/|&|;|\band\b|\bdan\b|\bvà\b|\bet\b|\by\b|\bund\b|、|，)\s*", re.IGNORECASE)


def _alternation(words: Sequence[str]) -> str:
    return "|".join(re.escape(w.rstrip(":")) for w in sorted(set(words), key=len, reverse=True))


@cache
def _line_patterns(
    tables: tuple[LanguageTable, ...],
) -> tuple[re.Pattern[str], re.Pattern[str] | None, re.Pattern[str] | None]:
    leftovers = [p for t in tables for p in t.leftovers]
    leftover = re.compile("|".join(f"(?:{p})" for p in leftovers) or r"(?!)", re.IGNORECASE)
    byline_cues = [c for t in tables for c in t.byline_cues]
    caption_cues = [c for t in tables for c in t.caption_cues]
    byline = None
    if byline_cues:
        byline = re.compile(
            rf"(?P<author>[^()]*?)\s*[(（]\s*(?:(?P<cue>{_alternation(byline_cues)})\s*:?\s+)?(?P<agencies>[^()（）]+?)\s*[)）]",
            re.IGNORECASE,
        )
    caption = None
    if caption_cues:
        caption = re.compile(
            rf"(?P<text>.*?)[\s.,]*(?<!\w)(?P<cue>{_alternation(caption_cues)})\s*[:：]\s*(?P<credit>[^:：]{{1,{_MAX_CREDIT_CHARS}}}?)[.。]?",
            re.IGNORECASE,
        )
    return leftover, byline, caption


def tables_for(language: str, config: FeedConfig) -> tuple[LanguageTable, ...]:
    """Return the tables to parse an article with: its language first, then English and the common one."""
    ordered: list[LanguageTable] = []
    for code in (language, config.language, "en", COMMON):
        table = table_for(config.languages, code)
        if table is not None and table not in ordered:
            ordered.append(table)
    return tuple(ordered)


def _parse_byline(line: str, pattern: re.Pattern[str] | None) -> Byline | None:
    if pattern is None:
        return None
    match = pattern.fullmatch(line)
    if not match:
        return None
    author = match.group("author").strip(" -–—,") or None
    if author is not None and (len(author.split()) > _MAX_AUTHOR_WORDS or re.search(r"[.!?;:\"“”]", author)):
        return None
    agencies = tuple(a.strip() for a in _AGENCY_SPLIT.split(match.group("agencies")) if a.strip())
    if not agencies or any(len(a.split()) > _MAX_AUTHOR_WORDS for a in agencies):
        return None
    if match.group("cue") is None and author is None:
        return None
    cue = match.group("cue")
    return Byline(author=author, sources=agencies, cue=cue.strip() if cue else None)


def _parse_caption(line: str, pattern: re.Pattern[str] | None, position: int) -> Caption | None:
    # Every credit follows a colon; most lines have none, and the caption
    # pattern is slow to fail on a long paragraph.
    if pattern is None or (":" not in line and "：" not in line):
        return None
    match = pattern.fullmatch(line)
    if not match or not match.group("text").strip():
        return None
    credit = match.group("credit").strip()
    if len(credit.split()) > _MAX_AUTHOR_WORDS:
        return None
    text = match.group("text").strip()
    if text[-1] not in ".!?。":
        text += "."
    return Caption(text=text, credit=credit, cue=match.group("cue").strip(), position=position)


def compute_content_hash(
    title: str,
    paragraphs: Sequence[str],
    captions: Sequence[Caption],
    byline: Byline | None,
    seed: Seed,
) -> str:
    """Return a hash of what readers see: a touch keeps it, an edit changes it."""
    front = seed.front_matter
    payload = {
        "title": title,
        "paragraphs": list(paragraphs),
        "captions": [[c.text, c.credit, c.cue, c.position] for c in captions],
        "byline": [byline.author, list(byline.sources), byline.cue] if byline else None,
        "front": [front.date, front.author, front.link, list(front.tags), front.id, front.language],
    }
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return "sha256:" + hashlib.sha256(data).hexdigest()


def choose_language(seed: Seed, config: FeedConfig) -> tuple[str, LanguageSource]:
    """Return a seed's language and where it came from: front matter, else detection, else the feed."""
    if seed.front_matter.language:
        return seed.front_matter.language, "front-matter"
    detection = detect_language(seed.text, candidates=[code for code in config.languages if code != COMMON])
    if detection is not None:
        return detection.language, "detected"
    return config.language, "feed"


def parse_article(seed: Seed, config: FeedConfig, *, first_seen: datetime | None = None) -> Article:
    """Return the article a seed holds.

    ``first_seen`` is when the seed first arrived (from the ledger); it only
    matters for a date whose year nothing in the text tells. Raises SeedError
    when the seed has no title or its front matter date is malformed.
    """
    front = seed.front_matter
    notices: list[Notice] = list(seed.notices)
    language, language_source = choose_language(seed, config)
    if language.casefold() != config.language.casefold():
        message = f"language {language!r} ({language_source}) differs from the feed's {config.language!r}"
        notices.append(Notice(path=seed.source, line=None, message=message))
    tables = tables_for(language, config)
    leftover, byline_pattern, caption_pattern = _line_patterns(tables)

    numbered = [(seed.first_line + i, repair_spacing(raw)) for i, raw in enumerate(seed.text.split("\n"))]
    numbered = [(n, line) for n, line in numbered if line and not leftover.fullmatch(line)]
    title_line: int | None = None
    if numbered:
        # Line 1 is the title slot even when front matter overrides its text.
        title_line, title = numbered.pop(0)
    if front.title is not None:
        title, title_line = repair_spacing(front.title), None
    elif title_line is None:
        raise SeedError(seed.source, None, "has no title line")
    if not title:
        raise SeedError(seed.source, title_line, "has an empty title")

    byline: Byline | None = None
    if numbered:
        byline = _parse_byline(numbered[-1][1], byline_pattern)
        if byline is not None:
            numbered.pop()
    if front.author is not None:
        byline = Byline(
            author=repair_spacing(front.author),
            sources=byline.sources if byline else (),
            cue=byline.cue if byline else None,
        )

    paragraphs: list[str] = []
    paragraph_lines: list[int] = []
    captions: list[Caption] = []
    for number, line in numbered:
        caption = _parse_caption(line, caption_pattern, len(paragraphs))
        if caption is not None:
            captions.append(caption)
        else:
            paragraphs.append(line)
            paragraph_lines.append(number)

    found: FoundDate | None
    if front.date is not None:
        found = parse_front_matter_date(
            front.date, time_zone=config.time_zone, source=seed.source, line=front.date_line
        )
    else:
        found = find_date(
            title, paragraphs, tables=tables, time_zone=config.time_zone, first_seen=first_seen,
            line_numbers=[title_line, *paragraph_lines],
        )  # fmt: skip
        if found is None:
            relative = find_relative_words([title, *paragraphs[:MAIN_LINES]], tables)
            why = f" (only relative words: {', '.join(repr(w) for w in relative[:3])})" if relative else ""
            message = f"no date found in the title or first paragraphs{why}; the first-seen time stands in"
            notices.append(Notice(path=seed.source, line=None, message=message))
        elif found.provenance == "text+inferred-year":
            notices.append(Notice(path=seed.source, line=found.line, message=f"year inferred: {found.evidence}"))
    if byline is None:
        notices.append(Notice(path=seed.source, line=None, message="no byline found; the feed's author stands in"))

    return Article(
        source=seed.source,
        stem=seed.source.stem,
        title=title,
        paragraphs=tuple(paragraphs),
        captions=tuple(captions),
        byline=byline,
        language=language,
        language_source=language_source,
        date=found,
        link=front.link,
        tags=front.tags,
        id=front.id,
        content_hash=compute_content_hash(title, paragraphs, captions, byline, seed),
        notices=tuple(notices),
    )
