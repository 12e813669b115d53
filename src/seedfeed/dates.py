"""Find an article's date in its text, and infer a year the text leaves out.

Month names come from CLDR through Babel (wide and abbreviated, format and
stand-alone forms, so genitive months such as Russian "октября" are known);
the language tables add what CLDR does not say. No library ever completes a
date: dateutil would take missing parts from today, so every part here comes
from the text, or from a rule recorded in the date's provenance.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from pathlib import Path

from babel.core import Locale, UnknownLocaleError
from babel.dates import get_month_names
from dateutil.parser import isoparse

from seedfeed.errors import DateError
from seedfeed.languages import LanguageTable
from seedfeed.model import FoundDate

# How many lines after the title may hold the main event's date: the lead and
# the paragraphs right after it. A date further down dates background history.
MAIN_LINES = 3
_FUTURE_WINDOW = 60  # characters before a mention searched for a "coming" cue


@dataclass(frozen=True, slots=True, kw_only=True)
class DateMention:
    """A date or a month written in the text."""

    year: int | None  # None: the text gives no year
    month: int
    day: int | None  # None: a month-and-year mention ("Desember 2022")
    line: int  # index into the lines searched
    start: int
    end: int
    evidence: str
    is_future: bool  # announced as coming ("akan … pada Maret 2024")

    @property
    def first_day(self) -> date:
        """Return the first day the mention can mean (its year must be known)."""
        return date(self.year or 1, self.month, self.day or 1)

    @property
    def last_day(self) -> date:
        """Return the last day the mention can mean (its year must be known)."""
        year = self.year or 1
        return date(year, self.month, self.day or calendar.monthrange(year, self.month)[1])


@cache
def month_names(locale: str) -> Mapping[str, int]:
    """Return every CLDR month name of a locale, casefolded, mapped to 1..12."""
    names: dict[str, int] = {}
    try:
        loc = Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return names
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            for number, name in get_month_names(width, context, loc).items():
                key = name.casefold().rstrip(".")
                # Numeric "names" (zh "10月") are matched by dedicated patterns.
                if key and not any(ch.isdigit() for ch in key):
                    names.setdefault(key, number)
    # English news style also shortens "September" to "Sept."
    if loc.language == "en":
        names.setdefault("sept", 9)
    return names


@cache
def _patterns(locale: str) -> tuple[re.Pattern[str], ...]:
    names = month_names(locale)
    if not names:
        return ()
    month = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    m = rf"(?P<month>{month})\.?"
    day = r"(?P<day>[0-3]?\d)"
    year = r"(?P<year>\d{4})"
    return (
        # 18 Oktober 2023 / 18 October 2023 / 18 Oktober
        re.compile(rf"(?<![\w.]){day}\.?\s+{m}(?:,?\s+{year})?(?![\w])", re.IGNORECASE),
        # October 18, 2023 / Oct. 18
        re.compile(rf"(?<![\w]){m}\s+{day}(?:st|nd|rd|th)?(?![\w])(?:,?\s+{year}(?!\d))?", re.IGNORECASE),
        # Desember 2022 / December 2022
        re.compile(rf"(?<![\w]){m},?\s+{year}(?!\d)", re.IGNORECASE),
    )


_DIGIT = re.compile(r"\d")
_ISO = re.compile(r"(?<![\d-])(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?![\d-])")


def _is_valid(year: int | None, month: int, day: int | None) -> bool:
    if not 1 <= month <= 12:
        return False
    if day is None or 1 <= day <= 28:  # every month has 28 days: no calendar look-up
        return True
    # Without a year, 29 February stays possible; infer_year then keeps to leap years.
    limit = calendar.monthrange(year if year is not None else 2000, month)[1]
    return 1 <= day <= limit


_CLAUSE_END = re.compile(r"[.!?;,。！？；，、]\s?")


@cache
def _future_pattern(cues: tuple[str, ...]) -> re.Pattern[str] | None:
    # One alternation finds a cue exactly when one of the cues would alone.
    if not cues:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(cue) for cue in cues)})(?!\w)", re.IGNORECASE)


def _has_future_cue(text: str, start: int, table: LanguageTable) -> bool:
    pattern = _future_pattern(table.future_cues)
    if pattern is None:
        return False
    window = text[max(0, start - _FUTURE_WINDOW) : start]
    # Only the clause the mention belongs to: stop at the last sentence or clause end.
    window = _CLAUSE_END.split(window)[-1]
    return pattern.search(window) is not None


def find_mentions(lines: Sequence[str], tables: Sequence[LanguageTable]) -> list[DateMention]:
    """Return every date and month-year mention in the lines, in text order.

    The first table is the article's language; the others are tried too, so an
    English date in an Indonesian article is still found.
    """
    mentions: list[DateMention] = []
    patterns: list[tuple[re.Pattern[str], LanguageTable]] = [(_ISO, tables[0])] if tables else []
    for table in tables:
        patterns.extend((p, table) for p in _patterns(table.babel_locale))
    for index, text in enumerate(lines):
        # Every form has a day or a year in digits; most lines have none, and
        # one search for a digit costs less than the month-name patterns.
        if not _DIGIT.search(text):
            continue
        taken: list[tuple[int, int]] = []
        found: list[DateMention] = []
        for pattern, table in patterns:
            names = month_names(table.babel_locale)
            for match in pattern.finditer(text):
                if any(match.start() < e and s < match.end() for s, e in taken):
                    continue
                groups = match.groupdict()
                raw_month = groups["month"]
                month = int(raw_month) if raw_month.isdigit() else names.get(raw_month.casefold().rstrip("."), 0)
                day = int(groups["day"]) if groups.get("day") else None
                year = int(groups["year"]) - table.year_offset if groups.get("year") else None
                if not _is_valid(year, month, day):
                    continue
                taken.append((match.start(), match.end()))
                found.append(
                    DateMention(
                        year=year, month=month, day=day, line=index, start=match.start(), end=match.end(),
                        evidence=match.group(0), is_future=_has_future_cue(text, match.start(), table),
                    )
                )  # fmt: skip
        mentions.extend(sorted(found, key=lambda m: m.start))
    return mentions


def infer_year(
    month: int,
    day: int,
    context: Iterable[DateMention],
    first_seen: datetime | None,
    time_zone: tzinfo,
) -> int | None:
    """Return the year a day-and-month most likely means, or None if nothing tells.

    With dated events in the text: the article is not older than an event it
    reports as past, not later than one it announces as coming, and among the
    years that fit, nearest to those events. Without them: the latest year
    that does not put the date after the seed's first-seen time.
    """
    events = [m for m in context if m.year is not None]
    if events:
        years = [m.year for m in events if m.year is not None]
        # Eight years either side always holds two leap years for 29 February.
        candidates = [y for y in range(min(years) - 8, max(years) + 9) if _is_valid(y, month, day)]
        # Each event's span once, not once per candidate year: this runs for most seeds.
        spans = [(m.first_day, m.last_day, m.is_future) for m in events]

        def score(year: int) -> tuple[int, int, int]:
            when = date(year, month, day)
            broken = distance = 0
            for first, last, is_future in spans:
                if (when > last) if is_future else (when < first):
                    broken += 1
                if when < first:
                    distance += (first - when).days
                elif when > last:
                    distance += (when - last).days
            return broken, distance, -year

        return min(candidates, key=score)
    if first_seen is None:
        return None
    local = first_seen.astimezone(time_zone)
    for year in range(local.year, local.year - 9, -1):
        if _is_valid(year, month, day) and datetime.combine(date(year, month, day), time(), time_zone) <= first_seen:
            return year
    return None


def to_instant(day: date, time_zone: tzinfo) -> datetime:
    """Return midnight of a day in the feed's time zone, as UTC."""
    return datetime.combine(day, time(), time_zone).astimezone(UTC)


def find_date(
    title: str,
    paragraphs: Sequence[str],
    *,
    tables: Sequence[LanguageTable],
    time_zone: tzinfo,
    first_seen: datetime | None,
    line_numbers: Sequence[int | None] = (),
) -> FoundDate | None:
    """Return the date of the main event, from the title and the first paragraphs.

    ``line_numbers`` gives the seed-file line of each searched line (title
    first) so that the date's evidence can point at it. Returns None when the
    main lines hold no complete day, or when its year cannot be inferred.
    """
    lines = [title, *paragraphs]
    mentions = find_mentions(lines, tables)
    main = next((m for m in mentions if m.day is not None and m.line <= MAIN_LINES), None)
    if main is None or main.day is None:
        return None
    number = line_numbers[main.line] if main.line < len(line_numbers) else None
    if main.year is not None:
        value = to_instant(date(main.year, main.month, main.day), time_zone)
        return FoundDate(value=value, provenance="text", evidence=main.evidence, line=number)
    context = [m for m in mentions if m.year is not None and m is not main]
    year = infer_year(main.month, main.day, context, first_seen, time_zone)
    if year is None:
        return None
    if context:
        reason = "year inferred from " + ", ".join(f"'{m.evidence}'" for m in context[:3])
    else:
        reason = "year inferred from the first-seen time"
    value = to_instant(date(year, main.month, main.day), time_zone)
    return FoundDate(
        value=value,
        provenance="text+inferred-year",
        evidence=f"'{main.evidence}' ({reason})",
        line=number,
    )


def parse_front_matter_date(raw: str, *, time_zone: tzinfo, source: Path, line: int | None) -> FoundDate:
    """Return the date a front matter ``date:`` gives (ISO 8601 / RFC 3339).

    A date without a time is midnight in the feed's time zone; a time without
    an offset is in the feed's time zone. Raises DateError for anything else.
    """
    try:
        parsed = isoparse(raw.strip())
    except (ValueError, OverflowError) as exc:
        raise DateError(
            source,
            line,
            f"{raw!r} is not an ISO 8601 date (e.g. 2024-03-01 or 2024-03-01T09:30:00+07:00)",
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=time_zone)
    try:
        value = parsed.astimezone(UTC)
    except OverflowError as exc:
        raise DateError(source, line, f"date {raw!r} is out of range") from exc
    if value.year < 1 or value + timedelta(days=1) < value:
        raise DateError(source, line, f"date {raw!r} is out of range")
    return FoundDate(value=value, provenance="front-matter", evidence=f"date: {raw.strip()}", line=line)
