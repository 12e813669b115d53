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

from collections.abc import Collection, Iterable, Sequence

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
        value = colon + 3
        if text.startswith(_OPENING, value):
            # A list that is not empty: its end, not every line of it, is searched for
            # (``]`` is rarer in a report than ``"``, which every key line holds).
            closing = text.find(_CLOSING, value, end)
            if closing < 0:
                return None
            stop = closing + len(_CLOSING)
        else:
            stop = text.find(b"\n", value, end)
            stop = end if stop < 0 else stop - (text[stop - 1 : stop] == b",")
        # A value ends at the comma before the next key, or at the object's end.
        if stop == end:
            position = -1
        elif text.startswith(b"," + _KEY, stop):
            position = stop + 1
        else:
            return None
        fields[key] = (value, stop)
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


def spliced_items(
    text: bytes, span: Span, inserts: Sequence[tuple[int, object]], count: int, removed: Collection[int] = ()
) -> Parts:
    """Return a list of ``count`` objects with items inserted and items left out, as ``append.spliced`` does lines.

    Each insert goes before the old item of its number (``count``: after
    the last), in order; the old items numbered in ``removed`` are left out.
    The old items are found by counting separators a block at a time
    (``after_marks``). The items kept between two places are one slice of
    the text.
    """
    if count == 0:
        return appended_items(text, span, (item for _number, item in inserts))
    view = memoryview(text)
    start, stop = span
    end = stop - len(_CLOSING)
    places = sorted({number for number, _item in inserts} | {number for number in removed if number < count})
    by_place: dict[int, list[object]] = {}
    for place, item in inserts:
        by_place.setdefault(place, []).append(item)
    pieces: Parts = []  # items, or runs of old items, to be joined by separators
    offset, number = start + len(_OPENING), 0  # old item ``number`` starts at ``offset``
    for place in places:
        if number < place:
            first = offset
            offset = _item_after(text, offset, end, place - number)
            number = place
            pieces.append(view[first : offset - len(_SEPARATOR)])
        pieces += [indented_json(item, 2).encode("utf-8") for item in by_place.get(place, ())]
        if place in removed and number < count:
            offset = _item_after(text, offset, end, 1)
            number += 1
    if number < count:
        pieces.append(view[offset:end])
    if not pieces:
        return [b"[]"]
    parts: Parts = [_OPENING]
    for index, piece in enumerate(pieces):
        if index:
            parts.append(_SEPARATOR)
        parts.append(piece)
    parts.append(_CLOSING)
    return parts


# Bytes counted over at a time when lines or items are skipped.
_BLOCK = 1 << 16
_ITEM = _SEPARATOR + b"{"  # where an object of a list, but its first, starts (after the separator)


def _item_after(text: bytes, offset: int, end: int, skip: int) -> int:
    """Return where the object ``skip`` objects after the one at ``offset`` starts (past ``end``: ``end`` + 6)."""
    return after_marks(text, offset, end, skip, _ITEM, len(_SEPARATOR))


def after_marks(text: bytes, offset: int, end: int, skip: int, mark: bytes, advance: int) -> int:
    """Return ``advance`` bytes past the ``skip``-th ``mark`` from ``offset`` (past ``end``: ``end`` + ``advance``).

    What starts after a mark (a line after a newline, an object after a
    separator) is found by counting the marks of a block of the text at once
    (in C), then searching one by one in the block that holds the one
    sought: a line or entry inserted far down a report of a hundred thousand
    is not a search per line passed over.
    """
    while skip:
        stop = min(offset + _BLOCK, end)
        inside = text.count(mark, offset, stop)
        if inside < skip and stop < end:
            # The next block starts where a mark straddling this one's end would start.
            skip -= inside
            offset = stop - len(mark) + 1
            continue
        while skip:
            found = text.find(mark, offset, end)
            if found < 0:
                return end + advance
            offset = found + advance
            skip -= 1
    return offset
