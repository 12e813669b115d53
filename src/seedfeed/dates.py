"""Find an article's date in its text, and infer a year the text leaves out.

Month names come from CLDR through Babel (wide and abbreviated, format and
stand-alone forms, so genitive months such as Russian "октября" are known);
the language tables add what CLDR does not say. No library ever completes a
date: dateutil would take missing parts from today, so every part here comes
from the text, or from a rule recorded in the date's provenance.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from importlib.util import find_spec
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING

from dateutil.parser import isoparse

from seedfeed.displaydate import DisplayNames, Token
from seedfeed.errors import DateError
from seedfeed.languages import LanguageTable
from seedfeed.model import FoundDate

if TYPE_CHECKING:
    from babel.core import Locale

# How many lines after the title may hold the main event's date: the lead and
# the paragraphs right after it. A date further down dates background history.
MAIN_LINES = 3
_FUTURE_WINDOW = 60  # characters before a mention searched for a "coming" cue
_ERA_YEAR_FLOOR = 1900  # an era year minus its offset is at least this
# Years a text date may have: "0001" or "9999" is no news date, and midnight
# of such a day in the feed's zone would not even fit a datetime in UTC.
_FIRST_YEAR, _LAST_YEAR = 1000, 2999


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


# CLDR's month and weekday names of the shipped tables' locales, as this
# module derives them from Babel, with Babel's version: loading a locale's
# CLDR data costs a process about 5 ms a locale (13 ms the first), which a
# rebuild after one new seed would pay for two or three of them. Used only
# when the installed Babel is the one they were taken from (else Babel is
# asked); ``tests/test_dates.py`` checks them against Babel and rewrites
# them with ``--update-golden``.
CLDR_NAMES = Path(__file__).parent / "languages" / "data" / "_cldr_names.json"


@cache
def month_names(locale: str) -> Mapping[str, int]:
    """Return every CLDR month name of a locale, casefolded, mapped to 1..12."""
    known = _cldr_names().get(locale)
    return dict(known[0]) if known is not None else babel_month_names(locale)


@cache
def weekday_names(locale: str) -> tuple[str, ...]:
    """Return every CLDR weekday name of a locale, casefolded, longest first."""
    known = _cldr_names().get(locale)
    return known[1] if known is not None else babel_weekday_names(locale)


def babel_month_names(locale: str) -> dict[str, int]:
    """Return month_names(locale) as Babel's CLDR data gives it."""
    from babel.dates import get_month_names

    names: dict[str, int] = {}
    loc = _locale(locale)
    if loc is None:
        return names
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            for number, name in get_month_names(width, context, loc).items():
                key = name.casefold().rstrip(".")
                # Numeric "names" (zh "10月", vi "tháng 10") are the templates' job.
                if key and not any(ch.isdigit() for ch in key):
                    names.setdefault(key, number)
    # English news style also shortens "September" to "Sept."
    if loc.language == "en":
        names.setdefault("sept", 9)
    return names


def babel_weekday_names(locale: str) -> tuple[str, ...]:
    """Return weekday_names(locale) as Babel's CLDR data gives it."""
    from babel.dates import get_day_names

    loc = _locale(locale)
    if loc is None:
        return ()
    names: set[str] = set()
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            names.update(n.casefold().rstrip(".") for n in get_day_names(width, context, loc).values())
    return tuple(sorted((n for n in names if n), key=lambda n: (-len(n), n)))


def babel_display_names(locale: str) -> DisplayNames | None:
    """Return what ``displaydate`` needs to write a locale's long date and short time, as Babel gives it."""
    from babel.dates import get_era_names, get_month_names, get_period_names, tokenize_pattern

    loc = _locale(locale)
    if loc is None:
        return None

    def tokens(pattern: str) -> tuple[Token, ...]:
        # Literal text as a string, a field as its letter and count.
        return tuple(value for _kind, value in tokenize_pattern(pattern))

    # Field "a" as babel.dates.DateTimeFormat.format_period finds it: the first width that names the period.
    periods = [
        get_period_names(context="format", width="abbreviated", locale=loc),
        get_period_names(context="format", width="wide", locale=loc),
        get_period_names(context="format", width="narrow", locale=loc),
    ]
    am, pm = (next(names[period] for names in periods if period in names) for period in ("am", "pm"))
    eras = get_era_names("abbreviated", locale=loc)
    return DisplayNames(
        date=tokens(loc.date_formats["long"].pattern),
        time=tokens(loc.time_formats["short"].pattern),
        months=tuple(get_month_names("wide", "format", loc)[number] for number in range(1, 13)),
        eras=(eras[0], eras[1]),
        am=am,
        pm=pm,
        is_rtl=loc.character_order == "right-to-left",
    )


def render_cldr_names(locales: Iterable[str]) -> str:
    """Return the text of CLDR_NAMES for these locales, from the installed Babel."""
    import babel

    # One locale a line, so that a new Babel's changes read as a short diff.
    lines = [
        f"  {json.dumps(locale)}: "
        + json.dumps(
            {
                "months": list(babel_month_names(locale).items()),
                "weekdays": babel_weekday_names(locale),
                "display": babel_display_names(locale),
            },
            ensure_ascii=False,
        )
        for locale in sorted(locales)
    ]
    return f'{{\n "babel": {json.dumps(babel.__version__)},\n "locales": {{\n' + ",\n".join(lines) + "\n }\n}\n"


@cache
def _cldr_names() -> Mapping[str, tuple[tuple[tuple[str, int], ...], tuple[str, ...], DisplayNames | None]]:
    try:
        data = json.loads(CLDR_NAMES.read_text(encoding="utf-8"))
        if data["babel"] != _babel_version():
            return {}
        return {
            locale: (
                tuple((str(name), int(number)) for name, number in names["months"]),
                tuple(names["weekdays"]),
                _display_names(names["display"]),
            )
            for locale, names in data["locales"].items()
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # Babel is asked instead


def _display_names(data: object) -> DisplayNames | None:
    """Return the display names CLDR_NAMES keeps for a locale (a JSON array), or None. Raises TypeError, ValueError."""
    if data is None:
        return None
    if not isinstance(data, list) or len(data) != len(DisplayNames._fields):
        raise ValueError("not display names")
    date_tokens, time_tokens, months, eras, am, pm, is_rtl = data

    def tokens(items: list[object]) -> tuple[Token, ...]:
        return tuple(item if isinstance(item, str) else (str(item[0]), int(item[1])) for item in items)  # type: ignore[index]

    return DisplayNames(
        date=tokens(date_tokens),
        time=tokens(time_tokens),
        months=tuple(map(str, months)),
        eras=(str(eras[0]), str(eras[1])),
        am=str(am),
        pm=str(pm),
        is_rtl=bool(is_rtl),
    )


def display_names(locale: str) -> DisplayNames | None:
    """Return a shipped locale's display names when the installed Babel is the one they were taken from; else None."""
    known = _cldr_names().get(locale)
    return known[2] if known is not None else None


def _babel_version() -> str | None:
    """Return the installed Babel's version without importing it (its import costs a few ms)."""
    spec = find_spec("babel")
    if spec is None or spec.origin is None:
        return None
    try:
        source = Path(spec.origin).read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(r"""^__version__ = ['"]([^'"]+)['"]""", source, re.MULTILINE)
    return found.group(1) if found else None


_DIGIT = re.compile(r"\d")


def _locale(locale: str) -> Locale | None:
    from babel.core import Locale, UnknownLocaleError

    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def _table_months(table: LanguageTable) -> Mapping[str, int]:
    return {**month_names(table.babel_locale), **dict(table.month_aliases)}


# Numeric forms every language of an order writes. Only the article's own
# language contributes them: "05/03/2024" means 5 March in Indonesian and
# May 3 in American English, and the article's language decides.
NUMERIC_TEMPLATES: Mapping[str, tuple[str, ...]] = {
    "dmy": ("{day}/{mon}/{year}", "{day}.{mon}.{year}", "{day}-{mon}-{year}", "{weekday}<,> ({day}/{mon})",
            "{weekday}, {day}/{mon}", "{weekday}<,> ({day}.{mon}.)", "{weekday}, {day}.{mon}."),
    "mdy": ("{mon}/{day}/{year}", "{weekday}<,> ({mon}/{day})", "{weekday}, {mon}/{day}"),
    "ymd": ("{year}/{mon}/{day}", "{year}.{mon}.{day}", "{year}-{mon}-{day}"),
}  # fmt: skip
_ISO_TEMPLATE = "{year}-{mon}-{day}"
_PLACEHOLDER = re.compile(r"\{(day|mon|month|year|weekday)\}|<|>|\[([^\]]+)\]| |[^{}<>\[\] ]+")


def compile_template(template: str, table: LanguageTable) -> re.Pattern[str] | None:
    """Return the regular expression a date template stands for in a language.

    The syntax: ``{day}``, ``{mon}`` (a month number), ``{month}`` (a month
    name of the language, CLDR or alias, optionally abbreviated with "."),
    ``{year}``, ``{weekday}`` (any CLDR weekday name); ``<…>`` is optional,
    ``[,.]`` is one optional character of the set, a space is a run of
    spaces (optional where words are not spaced), anything else is literal.
    Returns None for a template needing names the language does not have.
    Raises ValueError for a malformed template.
    """
    body = _template_body(template, table, named=True)
    if body is None:
        return None
    return re.compile(_head(table) + body + _TAIL, re.IGNORECASE)


def _head(table: LanguageTable) -> str:
    # A date does not start inside a number ("1.18/10") or, in spaced
    # scripts, inside a word; it does not end inside a longer number.
    return r"(?<![\d/])(?<!\d[.,:-])" + (r"(?<!\w)" if table.word_boundaries else "")


_TAIL = r"(?![/.:-]?\d)"


def _template_body(template: str, table: LanguageTable, *, named: bool) -> str | None:
    """Return a template's expression without its head and tail, or None (see compile_template).

    ``named=False`` leaves the groups unnamed, so that the bodies of several
    templates can stand in one alternation.
    """
    if not re.search(r"\{(?:mon|month)\}", template) or ("{day}" not in template and "{year}" not in template):
        raise ValueError(f"date template {template!r} needs {{day}} or {{year}} and {{mon}} or {{month}}")
    parts: list[str] = []
    depth = 0
    position = 0
    space = r"\s+" if table.word_boundaries else r"\s*"
    for match in _PLACEHOLDER.finditer(template):
        if match.start() != position:
            break
        position = match.end()
        piece = match.group(0)
        name = match.group(1)
        if name == "day":
            suffix = "|".join(re.escape(s) for s in sorted(table.day_suffixes, key=len, reverse=True))
            parts.append(_group("day", named=named) + r"\d{1,2})" + (f"(?:{suffix})?" if suffix else "") + r"(?!\d)")
        elif name == "mon":
            parts.append(_group("mon", named=named) + r"\d{1,2})(?!\d)")
        elif name == "year":
            parts.append(_group("year", named=named) + r"\d{4})(?!\d)")
        elif name == "month":
            months = _table_months(table)
            if not months:
                return None
            alternation = "|".join(re.escape(n) for n in sorted(months, key=lambda n: (-len(n), n)))
            # The dot of an abbreviation ("Oct. 18", "18 Okt. 2023") only where
            # a number follows: a sentence's full stop is not part of the date.
            end = r"(?!\w)" if table.word_boundaries else ""
            parts.append(_group("month", named=named) + rf"{alternation})(?:\.(?=\s*\d)|{end})")
        elif name == "weekday":
            days = weekday_names(table.babel_locale)
            if not days:
                return None
            alternation = "|".join(re.escape(n) for n in days)
            end = r"(?!\w)" if table.word_boundaries else ""
            parts.append(rf"(?:{alternation})(?:\.|{end})")
        elif piece == "<":
            depth += 1
            parts.append("(?:")
        elif piece == ">":
            depth -= 1
            if depth < 0:
                break
            parts.append(")?")
        elif match.group(2) is not None:
            parts.append(f"[{re.escape(match.group(2))}]?")
        elif piece == " ":
            parts.append(space)
        else:
            parts.append(re.escape(piece))
    if position != len(template) or depth != 0:
        raise ValueError(f"date template {template!r} is malformed near column {position + 1}")
    return "".join(parts)


def _group(name: str, *, named: bool) -> str:
    return f"(?P<{name}>" if named else "(?:"


def _templates(table: LanguageTable, *, is_primary: bool) -> list[str]:
    templates = list(table.date_patterns)
    if is_primary:
        templates += [_ISO_TEMPLATE, *NUMERIC_TEMPLATES.get(table.numeric_order, ())]
    return templates


@cache
def _patterns(table: LanguageTable, *, is_primary: bool) -> tuple[re.Pattern[str], ...]:
    compiled = (compile_template(t, table) for t in _templates(table, is_primary=is_primary))
    return tuple(p for p in compiled if p is not None)


_NO_NUMBER_BEFORE = r"(?<![\d/])(?<!\d[.,:-])"


@cache
def _scanners(tables: tuple[LanguageTable, ...]) -> tuple[re.Pattern[str] | None, tuple[re.Pattern[str], ...]]:
    """Return the patterns that find where any of the tables' date patterns may start.

    Each date pattern starts with look-behinds, which keep the regular
    expression engine from skipping ahead: a search tries every position of
    the line, and a dozen patterns per table meant a dozen such scans. Here
    the patterns' bodies of every table stand in one alternation inside a
    look-ahead, which succeeds where any alternative would (and only there),
    so one scan finds every position a date may start at; the date patterns
    then run only there, with ``match``, which sees the text before the
    position as a search would. In spaced scripts a date starts after a
    character that is not part of a word, so that pattern begins by
    consuming such a character: the engine skips to those quickly.
    """
    # Bodies by whether their table spaces words, then by the class of their first character.
    groups: dict[bool, dict[str, list[str]]] = {True: {}, False: {}}
    for rank, table in enumerate(tables):
        for template in _templates(table, is_primary=rank == 0):
            body = _template_body(template, table, named=False)
            if body is not None:
                groups[table.word_boundaries].setdefault(_first_character(template, table), []).append(body)
    # Trying a body is costly (month names are long alternations); testing
    # its first character first ends most tries at once.
    spaced, unspaced = (
        [f"(?={first}){_alternatives(bodies)}" if first else _alternatives(bodies) for first, bodies in g.items()]
        for g in (groups[True], groups[False])
    )
    at_start: re.Pattern[str] | None = None
    scanners: list[re.Pattern[str]] = []
    if spaced:
        bodies = "|".join(spaced)
        # Position 0 has nothing before it: a date there needs no non-word character.
        at_start = re.compile(rf"(?=(?:{bodies}){_TAIL})", re.IGNORECASE)
        # Most non-word characters are followed by no character any date
        # starts with: one class of all the first characters ends those tries
        # before the look-behinds and the alternation.
        firsts = groups[True].keys()
        guard = f"(?=[{''.join(_class_inside(first) for first in firsts)}])" if all(firsts) else ""
        scanners.append(re.compile(rf"\W{guard}(?={_NO_NUMBER_BEFORE}(?:{bodies}){_TAIL})", re.IGNORECASE))
    if unspaced:
        scanners.append(re.compile(rf"(?={_NO_NUMBER_BEFORE}(?:{'|'.join(unspaced)}){_TAIL})", re.IGNORECASE))
    return at_start, tuple(scanners)


def _class_inside(first: str) -> str:
    """Return what a _first_character class holds ("\\d" or the inside of "[…]"), to join classes into one."""
    return first[1:-1] if first.startswith("[") else first


def _alternatives(bodies: list[str]) -> str:
    return f"(?:{'|'.join(bodies)})"


def _first_character(template: str, table: LanguageTable) -> str:
    """Return a character class every match of the template starts with, or "" when that is not simple to say."""
    first = _PLACEHOLDER.match(template)
    if first is None:
        return ""
    name = first.group(1)
    words: Iterable[str]
    if name in ("day", "mon", "year"):
        return r"\d"
    if name == "month":
        words = _table_months(table)
    elif name == "weekday":
        words = weekday_names(table.babel_locale)
    elif name is None and first.group(2) is None and first.group(0) not in ("<", ">", " "):
        words = (first.group(0),)
    else:
        return ""
    initials = {word[:1] for word in words}
    if "" in initials:  # an empty name: the match starts with what follows it
        return ""
    # Under IGNORECASE a one-character class matches what the character
    # itself matches, so the class admits every start the words admit.
    return "[" + "".join(re.escape(c) for c in sorted(initials)) + "]"


def _candidate_starts(text: str, tables: tuple[LanguageTable, ...]) -> list[int]:
    """Return, in order, every position where one of the tables' date patterns may match (and a few more)."""
    return _starts_in(text, *_scanners(tables))


def _starts_in(text: str, at_start: re.Pattern[str] | None, scanners: tuple[re.Pattern[str], ...]) -> list[int]:
    # Each scanner's match ends where a date may start: the "\W" one consumes
    # the character before it, the other is empty.
    found = {match.end() for scanner in scanners for match in scanner.finditer(text)}
    if at_start is not None and at_start.match(text):
        found.add(0)
    return sorted(found)


@cache
def _plan(
    tables: tuple[LanguageTable, ...],
) -> tuple[tuple[int, LanguageTable, Mapping[str, int], tuple[re.Pattern[str], ...]], ...]:
    # What find_mentions needs of each table, looked up once per table list
    # rather than per line: hashing a table hashes every field.
    return tuple(
        (rank, table, _table_months(table), _patterns(table, is_primary=rank == 0)) for rank, table in enumerate(tables)
    )


def _is_valid(year: int | None, month: int, day: int | None) -> bool:
    if not 1 <= month <= 12:
        return False
    if year is not None and not _FIRST_YEAR <= year <= _LAST_YEAR:
        return False
    if day is None or 1 <= day <= 28:  # every month has 28 days: no calendar look-up
        return True
    # Without a year, 29 February stays possible; infer_year then keeps to leap years.
    limit = calendar.monthrange(year if year is not None else 2000, month)[1]
    return 1 <= day <= limit


_CLAUSE_END = re.compile(r"[.!?;,。！？；，、]\s?")


@cache
def _future_pattern(cues: tuple[str, ...], *, word_boundaries: bool) -> re.Pattern[str] | None:
    # One alternation finds a cue exactly when one of the cues would alone.
    if not cues:
        return None
    edge, tail = (r"(?<!\w)", r"(?!\w)") if word_boundaries else ("", "")
    return re.compile(rf"{edge}(?:{'|'.join(re.escape(cue) for cue in cues)}){tail}", re.IGNORECASE)


def _to_year(written: str, table: LanguageTable) -> int:
    year = int(written)
    # An era year (Thai Buddhist era: 2566 is 2023) is recognised by being
    # too late to be a Gregorian year of news; the same text may use both.
    if table.year_offset and year >= _ERA_YEAR_FLOOR + table.year_offset:
        return year - table.year_offset
    return year


def _has_future_cue(text: str, start: int, table: LanguageTable) -> bool:
    pattern = _future_pattern(table.future_cues, word_boundaries=table.word_boundaries)
    if pattern is None:
        return False
    window = text[max(0, start - _FUTURE_WINDOW) : start]
    # Only the clause the mention belongs to: stop at the last sentence or clause end.
    window = _CLAUSE_END.split(window)[-1]
    return pattern.search(window) is not None


# The scanners cost a process about 5 ms to compile and save a seed about
# 50 µs: the first calls in a process (a rebuild after one new seed parses
# one seed) run each date pattern over the line instead, which finds the same.
SCAN_AFTER = 8
_calls = count()


def find_mentions(lines: Sequence[str], tables: Sequence[LanguageTable]) -> list[DateMention]:
    """Return every date and month-year mention in the lines, in text order.

    The first table is the article's language; the others are tried too, so an
    English date in an Indonesian article is still found. Where two readings
    overlap, the more complete one wins (day and year), then the longer, then
    the earlier, then the article's language.
    """
    return find_mentions_by(lines, tables, is_scanned=next(_calls) >= SCAN_AFTER)


def find_mentions_by(lines: Sequence[str], tables: Sequence[LanguageTable], *, is_scanned: bool) -> list[DateMention]:
    """Return find_mentions(lines, tables), found with the scanners or with each pattern's finditer."""
    mentions: list[DateMention] = []
    plan = _plan(tuple(tables))
    at_start, scanners = _scanners(tuple(tables)) if is_scanned else (None, ())
    for index, text in enumerate(lines):
        # Every form has a day or a year in digits; most lines have none, and
        # one search for a digit costs less than the month-name patterns.
        if not _DIGIT.search(text):
            continue
        candidates: list[tuple[int, int, int, int, DateMention]] = []
        starts = _starts_in(text, at_start, scanners) if is_scanned else []
        if is_scanned and not starts:
            continue
        for rank, table, months, patterns in plan:
            for pattern in patterns:
                if not is_scanned:
                    for match in pattern.finditer(text):
                        _add_candidate(candidates, match, rank, table, months, text, index)
                    continue
                # What pattern.finditer(text) would give: the first match at
                # or after the previous match's end, and so on. No pattern
                # matches empty (each needs a digit).
                after = 0
                for start in starts:
                    if start < after:
                        continue
                    found = pattern.match(text, start)
                    if found is None:
                        continue
                    after = found.end()
                    _add_candidate(candidates, found, rank, table, months, text, index)
        taken: list[DateMention] = []
        for *_, mention in sorted(candidates, key=lambda c: c[:4]):
            if not any(mention.start < t.end and t.start < mention.end for t in taken):
                taken.append(mention)
        mentions.extend(sorted(taken, key=lambda m: m.start))
    return mentions


def _add_candidate(
    candidates: list[tuple[int, int, int, int, DateMention]],
    match: re.Match[str],
    rank: int,
    table: LanguageTable,
    months: Mapping[str, int],
    text: str,
    index: int,
) -> None:
    mention = _to_mention(match, table, months, text, index)
    if mention is not None:
        known = (mention.year is not None) + (mention.day is not None)
        candidates.append((-known, -(match.end() - match.start()), match.start(), rank, mention))


def _to_mention(
    match: re.Match[str], table: LanguageTable, months: Mapping[str, int], text: str, index: int
) -> DateMention | None:
    groups = match.groupdict()
    if groups.get("mon") is not None:
        month = int(groups["mon"])
    else:
        month = months.get(groups["month"].casefold().rstrip("."), 0)
    day = int(groups["day"]) if groups.get("day") else None
    year = _to_year(groups["year"], table) if groups.get("year") else None
    if not _is_valid(year, month, day):
        return None
    return DateMention(
        year=year, month=month, day=day, line=index, start=match.start(), end=match.end(),
        evidence=match.group(0), is_future=_has_future_cue(text, match.start(), table),
    )  # fmt: skip


def find_relative_words(lines: Sequence[str], tables: Sequence[LanguageTable]) -> tuple[str, ...]:
    """Return the relative date words ("kemarin", "hôm qua") the lines use, in table order."""
    found: list[str] = []
    for table in tables:
        edge = r"(?<!\w)" if table.word_boundaries else ""
        tail = r"(?!\w)" if table.word_boundaries else ""
        for word in table.relative_words:
            pattern = re.compile(rf"{edge}{re.escape(word)}{tail}", re.IGNORECASE)
            if word not in found and any(pattern.search(line) for line in lines):
                found.append(word)
    return tuple(found)


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
    years that fit, nearest to those events; above all, it is not later than
    the seed's first-seen time, when that is known (it existed by then).
    Without dated events: the latest year that does not put the date after
    the seed's first-seen time.
    """
    events = [m for m in context if m.year is not None]
    if events:
        years = [m.year for m in events if m.year is not None]
        # Eight years either side always holds two leap years for 29 February.
        candidates = [y for y in range(min(years) - 8, max(years) + 9) if _is_valid(y, month, day)]
        # Each event's span once, not once per candidate year: this runs for most seeds.
        spans = [(m.first_day, m.last_day, m.is_future) for m in events]
        seen_by = first_seen.astimezone(time_zone).date() if first_seen is not None else None

        def score(year: int) -> tuple[bool, int, int, int]:
            when = date(year, month, day)
            broken = distance = 0
            for first, last, is_future in spans:
                if (when > last) if is_future else (when < first):
                    broken += 1
                if when < first:
                    distance += (first - when).days
                elif when > last:
                    distance += (when - last).days
            return seen_by is not None and when > seen_by, broken, distance, -year

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
    in_main = [m for m in mentions if m.day is not None and m.line <= MAIN_LINES]
    # An event the lead announces as coming is not the day of the report.
    main = next((m for m in in_main if not m.is_future), in_main[0] if in_main else None)
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
