"""Dates for readers in the shipped languages, as Babel writes them, without loading Babel.

A page shows its article's date as CLDR's long date (and short time) of the
page's language. Babel gives it, but a process pays for importing Babel and
loading each locale's data (some 25 ms for the first page), which is a tenth
of a rebuild after one new seed. For the languages seedfeed ships, the
patterns (already split into fields by Babel's own ``tokenize_pattern``) and
the names they use are kept with the month names in
``languages/data/_cldr_names.json``, taken from the installed Babel and used
only with that same version (``dates.display_names``). This module fills
them in as Babel's ``DateTimeFormat`` does. A field it does not know (a
flexible day period, a week-based year…) gives None, and the caller asks
Babel: ``tests/test_displaydate.py`` checks every shipped language against
Babel over many moments.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import NamedTuple

# A pattern as Babel tokenises it: literal text, or a field (its letter and how many times it is repeated).
Token = str | tuple[str, int]


class DisplayNames(NamedTuple):
    """What a locale's long date and short time patterns need, as the installed Babel gives it."""

    date: tuple[Token, ...]  # the long date pattern
    time: tuple[Token, ...]  # the short time pattern
    months: tuple[str, ...]  # wide, format context, January first
    eras: tuple[str, str]  # abbreviated: before the common era, then in it
    am: str  # the period names field "a" gives (Babel's fallback through the widths applied)
    pm: str
    is_rtl: bool  # CLDR's character order is right-to-left


def format_display(value: date | time, tokens: Sequence[Token], names: DisplayNames) -> str | None:
    """Return ``value`` written by the tokens of a pattern; None when a field is not one this module writes."""
    parts: list[str] = []
    for token in tokens:
        if isinstance(token, str):
            parts.append(token)
            continue
        text = _field(value, token[0], token[1], names)
        if text is None:
            return None
        parts.append(text)
    return "".join(parts)


def _field(value: date | time, char: str, num: int, names: DisplayNames) -> str | None:
    """Return one field as ``babel.dates.DateTimeFormat`` writes it (numbers zero-padded to ``num``)."""
    if isinstance(value, date):
        if char == "d":
            return f"{value.day:0{num}d}"
        if char == "M":
            if num <= 2:
                return f"{value.month:0{num}d}"
            return names.months[value.month - 1] if num == 4 else None
        if char == "y":
            year = f"{value.year:0{num}d}"
            return year[-2:] if num == 2 else year
        if char == "G" and num <= 3:
            return names.eras[int(value.year >= 0)]
        return None
    if char == "H":
        return f"{value.hour:0{num}d}"
    if char == "h":
        return f"{value.hour % 12 or 12:0{num}d}"
    if char == "m":
        return f"{value.minute:0{num}d}"
    if char == "a" and num <= 3:
        return names.pm if value.hour >= 12 else names.am
    return None
