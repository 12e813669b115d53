"""The ``--json`` report of a build of a few seeds, made from the JSON report its snapshot keeps.

A build that only adds seeds (``append.py``) prints what the full build
prints. In text, that is the stored list of entries with the new lines
spliced in; with ``--json``, it is the stored JSON report (``snapshot``'s
``json`` section, the no-op report of the last build) with a few of its
values changed and the new items spliced into two of its lists. At a
hundred thousand entries that JSON is tens of megabytes: decoded and
encoded again, it would cost more than the rest of the build, so it is
handled as the text ``snapshot._json_chunks`` lays out:

- the object's keys are each on a line of their own, indented by two
  spaces, and nothing else is (a list's items are indented by four, an
  item's keys by six, and strings hold no newline), so ``\\n  "`` starts a
  key and nothing else;
- a list is ``[]``, or ``[``, its items each after a newline and four
  spaces, joined by commas, then a newline, two spaces and ``]``; an item
  that is an object starts with ``{`` on its first line, and only there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from seedfeed.snapshot import indented_json

Parts = list[bytes | memoryview]

# The report's keys, in its order (snapshot.report_json).
KEYS = (
    "withheld",
    "published",
    "new",
    "updated",
    "removed",
    "unchanged",
    "removed_ids",
    "tombstones",
    "documents",
    "rejected",
    "notices",
    "written",
    "entries",
)
_KEY = b'\n  "'
_SEPARATOR = b",\n    "  # between two items of a list
_OPENING = b"[\n    "
_CLOSING = b"\n  ]"


Span = tuple[int, int]  # where a value's text starts and ends in the report's


def json_fields(text: bytes) -> dict[str, Span] | None:
    """Return where each value of a JSON report is in its text, by key; None unless it is laid out as the report is."""
    if not text.startswith(b"{" + _KEY) or not text.endswith(b"\n}"):
        return None
    fields: dict[str, Span] = {}
    position = 1  # at the newline before a key
    end = len(text) - 2  # at the newline before the closing brace
    while position >= 0:
        start = position + len(_KEY)
        colon = text.find(b'": ', start, end)
        if colon < 0:
            return None
        key = text[start:colon].decode("ascii", "replace")
        following = text.find(_KEY, colon, end)
        # A value ends at the comma before the next key, or at the object's end.
        stop = end if following < 0 else following - 1
        if following >= 0 and text[stop : stop + 1] != b",":
            return None
        fields[key] = (colon + 3, stop)
        position = following
    return fields if tuple(fields) == KEYS else None


def joined_fields(fields: dict[str, Parts]) -> Parts:
    """Return a JSON report from the text of each of its values, in parts."""
    parts: Parts = [b"{"]
    for number, (key, value) in enumerate(fields.items()):
        parts += [b"," if number else b"", _KEY, key.encode("ascii"), b'": ', *value]
    parts.append(b"\n}")
    return parts


def value_json(value: object) -> Parts:
    """Return a value of the report as its text: ``snapshot.indented_json`` at the report's first level."""
    return [indented_json(value, 1).encode("utf-8")]


def kept_value(text: bytes, span: Span) -> Parts:
    """Return a value of the report as it is."""
    return [memoryview(text)[span[0] : span[1]]]


def list_count(text: bytes, span: Span) -> int:
    """Return how many items a list of objects holds."""
    start, stop = span
    if text[start:stop] == b"[]":
        return 0
    return text.count(_SEPARATOR + b"{", start, stop) + 1


def appended_items(text: bytes, span: Span, items: Iterable[object]) -> Parts:
    """Return a list with these items after its own."""
    start, stop = span
    added = _SEPARATOR.join(indented_json(item, 2).encode("utf-8") for item in items)
    if not added:
        return kept_value(text, span)
    if text[start:stop] == b"[]":
        return [_OPENING, added, _CLOSING]
    return [memoryview(text)[start : stop - len(_CLOSING)], _SEPARATOR, added, _CLOSING]


def spliced_items(text: bytes, span: Span, inserts: Sequence[tuple[int, object]], count: int) -> Parts:
    """Return a list of ``count`` objects with items inserted, each before the old item of its number.

    ``inserts`` are in order; ``count`` puts an item after the last. The
    old items are found by a search per item passed over: a new article is
    mostly the newest, near the start. The items kept between two places
    are one slice of the text.
    """
    if count == 0:
        return appended_items(text, span, (item for _number, item in inserts))
    view = memoryview(text)
    start, stop = span
    end = stop - len(_CLOSING)
    pieces: Parts = []  # items, or runs of old items, to be joined by separators
    offset, number = start + len(_OPENING), 0  # old item ``number`` starts at ``offset``
    for place, item in inserts:
        if number < place:
            first = offset
            while number < place:
                found = text.find(_SEPARATOR + b"{", offset, end)
                offset = end + len(_SEPARATOR) if found < 0 else found + len(_SEPARATOR)
                number += 1
            pieces.append(view[first : offset - len(_SEPARATOR)])
        pieces.append(indented_json(item, 2).encode("utf-8"))
    if number < count:
        pieces.append(view[offset:end])
    parts: Parts = [_OPENING]
    for index, piece in enumerate(pieces):
        if index:
            parts.append(_SEPARATOR)
        parts.append(piece)
    parts.append(_CLOSING)
    return parts
