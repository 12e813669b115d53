"""Language knowledge as data: one TOML table per language, extendable in feed.toml.

The parser never branches on a language code. What differs between the
site's editions (page leftovers, byline and caption cues, words that mark
an event as coming, how numeric dates are ordered) lives in
``languages/data/<code>.toml``; month and weekday names come from CLDR
through Babel. A new language is a new file, and a user adds words to any
table under ``[languages.<code>]`` in ``feed.toml``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Literal

NumericOrder = Literal["dmy", "mdy", "ymd"]
COMMON = "_common"

_LIST_KEYS = (
    "leftovers", "byline_cues", "caption_cues", "future_cues", "relative_words", "date_patterns", "day_suffixes",
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class LanguageTable:
    """What the parser knows of one language."""

    code: str
    name: str
    babel_locale: str
    numeric_order: NumericOrder = "dmy"
    direction: Literal["ltr", "rtl"] = "ltr"
    year_offset: int = 0  # added to a written year: 543 for Thai Buddhist-era years
    leftovers: tuple[str, ...] = ()
    byline_cues: tuple[str, ...] = ()
    caption_cues: tuple[str, ...] = ()
    future_cues: tuple[str, ...] = ()
    relative_words: tuple[str, ...] = ()
    # Date templates beyond the numeric ones numeric_order implies, e.g.
    # "{day} de {month}< de {year}>": see dates.compile_template for the syntax.
    date_patterns: tuple[str, ...] = ()
    day_suffixes: tuple[str, ...] = ()  # written after a day number: "18th", "1er"
    # Month forms CLDR lacks (Russian prepositional "октябре"), casefolded, to 1..12.
    month_aliases: tuple[tuple[str, int], ...] = ()
    # False for scripts written without spaces between words (Thai, Chinese,
    # Japanese, Korean): a date there may touch the words around it.
    word_boundaries: bool = True


_TEMPLATE_PIECE = re.compile(r"\{(?:day|mon|month|year|weekday)\}|<|>|\[[^\]]+\]| |[^{}<>\[\] ]+")


def template_problem(template: str) -> str | None:
    """Return what is wrong with a date template (see dates.compile_template), or None."""
    if not re.search(r"\{(?:mon|month)\}", template) or ("{day}" not in template and "{year}" not in template):
        return "needs {day} or {year}, and {mon} or {month}"
    depth = position = 0
    for match in _TEMPLATE_PIECE.finditer(template):
        if match.start() != position:
            break
        position = match.end()
        depth += {"<": 1, ">": -1}.get(match.group(0), 0)
        if depth < 0:
            return f"has a '>' without its '<' at column {position}"
    if position != len(template):
        return f"has an unknown placeholder or stray bracket at column {position + 1}"
    if depth:
        return "has a '<' without its '>'"
    for name in ("day", "mon", "month", "year"):
        if template.count("{" + name + "}") > 1:
            return f"uses {{{name}}} twice"
    return None


def _table_from_mapping(code: str, data: Mapping[str, object], base: LanguageTable | None) -> LanguageTable:
    table = base or LanguageTable(code=code, name=code, babel_locale=code)
    changes: dict[str, object] = {}
    for key, value in data.items():
        if key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"[languages.{code}] {key} must be a list of strings")
            # Extending, not replacing: a user adds words to the shipped table.
            changes[key] = (
                *getattr(table, key),
                *(v for v in value if v not in getattr(table, key)),
            )
        elif key in ("name", "babel_locale", "numeric_order", "direction"):
            if not isinstance(value, str):
                raise ValueError(f"[languages.{code}] {key} must be a string")
            changes[key] = value
        elif key == "month_aliases":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 12
                for k, v in value.items()
            ):
                raise ValueError(f"[languages.{code}] month_aliases must map words to month numbers 1..12")
            aliases = dict(table.month_aliases)
            aliases.update((k.casefold(), v) for k, v in value.items())
            changes[key] = tuple(sorted(aliases.items()))
        elif key == "word_boundaries":
            if not isinstance(value, bool):
                raise ValueError(f"[languages.{code}] word_boundaries must be true or false")
            changes[key] = value
        elif key == "year_offset":
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"[languages.{code}] year_offset must be an integer")
            changes[key] = value
        else:
            raise ValueError(f"[languages.{code}] has an unknown key {key!r}")
    if changes.get("numeric_order", table.numeric_order) not in ("dmy", "mdy", "ymd"):
        raise ValueError(f"[languages.{code}] numeric_order must be dmy, mdy or ymd")
    if changes.get("direction", table.direction) not in ("ltr", "rtl"):
        raise ValueError(f"[languages.{code}] direction must be ltr or rtl")
    for template in changes.get("date_patterns", ()):  # type: ignore[attr-defined]  # tuple of str
        problem = template_problem(template)
        if problem:
            raise ValueError(f"[languages.{code}] date_patterns: {template!r} {problem}")
    for key in ("leftovers",):
        for pattern in changes.get(key, ()):  # type: ignore[attr-defined]  # tuple of str
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"[languages.{code}] {key}: {pattern!r} is not a regular expression: {exc}") from exc
    return replace(table, **changes)  # type: ignore[arg-type]  # keys checked above


@cache
def shipped_tables() -> Mapping[str, LanguageTable]:
    """Return the tables shipped with the package, by language code."""
    tables: dict[str, LanguageTable] = {}
    folder = resources.files(__package__).joinpath("data")
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".toml"):
            continue
        code = item.name.removesuffix(".toml")
        data = tomllib.loads(item.read_text(encoding="utf-8"))
        tables[code] = _table_from_mapping(code, data, None)
    return tables


def build_tables(extra: Mapping[str, Mapping[str, object]]) -> Mapping[str, LanguageTable]:
    """Return the shipped tables extended by ``[languages.*]`` of feed.toml.

    Raises ValueError naming the table and key when an extension is malformed.
    """
    tables = dict(shipped_tables())
    for code, data in sorted(extra.items()):
        tables[code] = _table_from_mapping(code, data, tables.get(code))
    return tables


def table_for(tables: Mapping[str, LanguageTable], language: str) -> LanguageTable | None:
    """Return the table for a BCP 47 tag, trying "zh-Hant-TW", then "zh-Hant", then "zh"."""
    parts = language.split("-")
    for n in range(len(parts), 0, -1):
        table = tables.get("-".join(parts[:n]))
        if table is not None:
            return table
    return None
