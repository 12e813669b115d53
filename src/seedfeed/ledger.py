"""The ledger: the small committed record that keeps regeneration stable.

It lives in the seeds folder and is committed with the seeds. It records
moments of events (first seen, edited, deleted), never of builds, so a build
with nothing new leaves its bytes untouched. Entries are written one JSON
object per line, sorted by stem, so a diff shows one line per changed entry.
"""

from __future__ import annotations

import io
import json
import operator
import pickle
import struct
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import accumulate, chain, compress, count, filterfalse, pairwise, repeat
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) writes, in C
from operator import attrgetter
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

from seedfeed.catalog import EntryHead, SeedFacts, fixed_offset
from seedfeed.errors import LedgerError

LEDGER_NAME = "seedfeed-ledger.json"
LEDGER_FORMAT = 1
# A corrupt ledger is copied to this name before a new one is started.
CORRUPT_SUFFIX = ".corrupt"

Change = Literal["new", "updated", "unchanged"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerRecord:
    """What the ledger keeps of one entry."""

    id: str
    stem: str
    content_hash: str
    published: datetime  # aware
    updated: datetime  # aware: the moment of the last content change seen
    first_seen: datetime  # aware: the build that first saw the seed
    arrival: int  # 1, 2, …: order of first arrival, for archives


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerTombstone:
    """A deleted entry, announced until ``when`` plus the configured period."""

    id: str
    stem: str
    when: datetime  # aware: the build that found the seed gone


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerSource:
    """A ledger file as read: its bytes, and where each record's line is in them.

    The bytes and two offsets per record, not a string per line: at a
    hundred thousand records the lines' own objects were megabytes.
    """

    data: bytes
    records: tuple[LedgerRecord, ...]  # as read, in the file's order (by stem)
    spans: array[int]  # start and end of each record's line in ``data``, without its comma
    # The state the records were taken from (``ledger_from_state``): a chunk of it whose
    # records are all still as read is kept as it is by the next ``ledger_state``. None:
    # they were parsed from the JSON.
    state: StateChunks | None = None
    # Where ``data`` was let go: ``read(start, stop)`` yields those bytes of the file, in pieces.
    read: Callable[[int, int], Iterable[bytes]] | None = None


@dataclass(frozen=True, slots=True)
class StateChunks:
    """Where each chunk of a ledger's records is in the state (``ledger_state``) they were taken from.

    Not the state itself: its caller keeps it until the next state is made.
    """

    # The state's start, up to its first chunk: its layout, and where each chunk is.
    header: bytes
    records: tuple[LedgerRecord, ...]  # as taken from it, in its order
    # By the id() of a chunk's first record (in ``records``, which keeps it alive): its
    # position there, its number of records, and its bytes' start and end in the state.
    chunks: dict[int, tuple[int, int, int, int]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Ledger:
    """Every entry's record, by stem, the tombstones, and the arrival counter."""

    records: Mapping[str, LedgerRecord] = field(default_factory=dict)
    tombstones: tuple[LedgerTombstone, ...] = ()
    # The last arrival number ever given, deleted entries included: a number
    # is never reused, so an archive page's slots never shift. 0: none yet.
    last_arrival: int = 0
    # The file the records were read from: a record still the same object is
    # written back as its line there instead of being formatted again (at ten
    # thousand records, most of a rebuild's ledger time). Not part of the
    # ledger's value. None: nothing to write back.
    source: LedgerSource | None = field(default=None, compare=False, repr=False)

    @property
    def next_arrival(self) -> int:
        """Return the arrival number the next new seed gets."""
        return max(self.last_arrival, max(map(_ARRIVAL, self.records.values()), default=0)) + 1

    @property
    def latest_event(self) -> datetime | None:
        """Return the moment of the newest event the ledger records; None when empty.

        Events are a seed first seen, edited or deleted: moments of builds that
        found something new. (``updated`` counts only after an edit; before, it
        is the published date, which may lie anywhere.) Periods that end "now"
        end here instead, so a build with nothing new changes nothing, however
        late it runs.
        """
        moments = list(map(_FIRST_SEEN, self.records.values()))
        moments += [
            r.updated for r in self.records.values() if r.updated is not r.published and r.updated > r.published
        ]
        moments += [t.when for t in self.tombstones]
        return max(moments, default=None)


def _time(value: datetime) -> str:
    return value.isoformat()


def _parse_time(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"{what} is not a string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{what} {value!r} has no UTC offset")
    return _as_read(parsed)


def _as_read(value: datetime) -> datetime:
    """Return an aware time as reading it from the ledger gives it: in its offset's one zone object."""
    # One zone object per offset (fromisoformat makes one per time but UTC's, three per record).
    return value if value.tzinfo is UTC else fixed_offset(value)


def _parse_arrival(value: object) -> int:
    # bool is an int to Python, and "3" or 3.5 would be a hand edit gone wrong.
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"arrival {value!r} is not a whole number from 1")
    return value


def render_ledger(ledger: Ledger) -> bytes:
    """Return the ledger's file bytes: stable order, one record per line."""
    return _joined(_render_parts(ledger, last_arrival=ledger.next_arrival - 1, read_back=None, spans=array("q")))


def _joined(parts: Iterable[bytes | memoryview]) -> bytes:
    """Return parts as one bytes object, written into one buffer (no list of them joined, no copy handed over)."""
    buffer = io.BytesIO()
    buffer.writelines(parts)
    return buffer.getvalue()


def render_ledger_as_read(ledger: Ledger) -> tuple[bytes, Ledger]:
    """Return the ledger's file bytes and the ledger reading them gives (``parse_ledger`` without ``known``).

    What a build writes is what the next one reads: its state
    (``ledger_state``) is kept without the file being parsed again.
    """
    made = ledger_file_as_read(ledger)
    data = _joined(made.parts)
    read_back = made.read_back()
    if read_back.source is not None:
        read_back = replace(read_back, source=replace(read_back.source, data=data))
    return data, read_back


class LedgerFile(NamedTuple):
    """A ledger's file made as it is written (``ledger_file_as_read``)."""

    parts: Iterator[bytes | memoryview]  # the file's bytes, one part after another
    # Once every part is made: the ledger reading them gives, its source without the bytes.
    read_back: Callable[[], Ledger]


def ledger_file_as_read(ledger: Ledger) -> LedgerFile:
    """Return the ledger's file as parts made as they are taken, and the ledger reading them gives.

    The file is not held whole (35 MB at 100,000 records, where a full build
    holds the most): written as it is made (``fsutil.write_parts_if_changed``).
    What ``render_ledger_as_read`` returns, the bytes aside. A run of lines
    still as read is a slice of the file the ledger was read from, which is
    held until the parts are taken.
    """
    read_back: list[LedgerRecord] = []
    spans = array("q")
    last_arrival = ledger.next_arrival - 1
    first: list[bytes | memoryview] = []  # the first record's part: its line starts it

    def parts() -> Iterator[bytes | memoryview]:
        made = _render_parts(ledger, last_arrival=last_arrival, read_back=read_back, spans=spans)
        for number, part in enumerate(made):
            if number == 1:
                first.append(part)
            yield part
        if first and len(spans) >= 2:
            # made() compares the first line alone: the part may be a slice of the whole file as read.
            first[0] = bytes(first[0][: spans[1] - spans[0]])

    # What made() needs of the ledger, not the ledger: its source holds the file it was read from
    # (35 MB at 100,000 records), which can go once the parts are taken.
    kept = ledger.tombstones
    # The state the records written back were taken from, if any: its chunks still hold for them.
    state = ledger.source.state if ledger.source is not None else None

    def made() -> Ledger:
        tombstones = tuple(
            t if t.when is (when := _time_as_read(t.when)) else replace(t, when=when)
            for t in sorted(kept, key=lambda t: (t.when, t.id))
        )
        source = None
        # _source: a file is written back line by line only if its first line is as this code formats it.
        if read_back and bytes(first[0][: spans[1] - spans[0]]) == _record_line(read_back[0]).encode():
            source = LedgerSource(data=b"", records=tuple(read_back), spans=spans, state=state)
        records = dict(zip(map(_STEM, read_back), read_back, strict=True))
        return Ledger(records=records, tombstones=tombstones, last_arrival=last_arrival, source=source)

    return LedgerFile(parts(), made)


def _time_as_read(value: datetime) -> datetime:
    """Return what reading a time written as ``value.isoformat()`` gives: its offset's zone object, fold 0."""
    value = _as_read(value)
    return value.replace(fold=0) if value.fold else value


def _record_as_read(r: LedgerRecord) -> LedgerRecord:
    published, updated, first_seen = _time_as_read(r.published), _time_as_read(r.updated), _time_as_read(r.first_seen)
    updated = _shared_time(updated, published)
    if published is r.published and updated is r.updated and first_seen is r.first_seen:
        return r
    return replace(r, published=published, updated=updated, first_seen=first_seen)


def _render_parts(
    ledger: Ledger, *, last_arrival: int, read_back: list[LedgerRecord] | None, spans: array[int]
) -> Iterator[bytes | memoryview]:
    """Yield the ledger's file bytes in parts: the opening, each record's line or run of lines as read, the rest.

    With ``read_back``, the records as reading the bytes gives them are
    appended to it, in the file's order, and where each one's line is to
    ``spans`` (``_record_parts``); the first record's part, when there is
    one, is the second. The file's last arrival is given, made once.
    """
    tombstones = [
        _line({"stem": t.stem, "id": t.id, "when": _time(t.when)})
        for t in sorted(ledger.tombstones, key=lambda t: (t.when, t.id))
    ]
    head = f'{{\n  "format": {LEDGER_FORMAT},\n  "last_arrival": {last_arrival},\n  "entries": '
    tail = f',\n  "tombstones": {_array(tombstones)}\n}}\n'
    records = sorted(ledger.records.values(), key=_STEM)
    if not records:
        yield (head + "[]" + tail).encode()
        return
    opening = (head + "[\n").encode()
    yield opening
    yield from _record_parts(ledger.source, records, read_back, spans, len(opening))
    yield ("\n  ]" + tail).encode()


def _record_parts(
    source: LedgerSource | None,
    records: list[LedgerRecord],
    read_back: list[LedgerRecord] | None,
    spans: array[int],
    offset: int,
) -> Iterator[bytes | memoryview]:
    """Yield the records' lines joined by ``,\\n``; each run of records still as read is one slice of the file.

    With ``read_back``, the records as read back are appended to it and the
    lines' places, counted from ``offset``, to ``spans``.
    """
    read = source.records if source is not None else ()
    # Runs of records as read (first and last position in ``read``), and records formatted afresh.
    items: list[tuple[int, int] | LedgerRecord] = []
    position = 0  # in ``read``, which is in stem order as ``records`` is
    count = len(read)
    run = -1  # where in ``read`` the run being extended starts (it ends before ``position``); -1: none
    for record in records:
        if position < count and read[position] is record:
            # The next record as read: most of them, on most builds.
            if run < 0:
                run = position
            position += 1
            continue
        if run >= 0:
            items.append((run, position - 1))
            run = -1
        while position < count and read[position].stem < record.stem:
            position += 1
        if position < count and read[position] is record:
            run = position
            position += 1
        else:
            items.append(record)
    if run >= 0:
        items.append((run, position - 1))
    view = memoryview(source.data) if source is not None else None
    for number, item in enumerate(items):
        if number:
            yield b",\n"
            offset += 2
        if isinstance(item, LedgerRecord):
            line = _record_line(item).encode()
            yield line
            if read_back is not None:
                read_back.append(_record_as_read(item))
                spans.extend((offset, offset + len(line)))
            offset += len(line)
        elif source is not None and view is not None:
            # The lines between are joined in the file as render_ledger joins them.
            start, stop = source.spans[2 * item[0]], source.spans[2 * item[1] + 1]
            if source.read is not None:
                yield from source.read(start, stop)
            else:
                yield view[start:stop]
            if read_back is not None:
                read_back.extend(read[item[0] : item[1] + 1])
                moved = source.spans[2 * item[0] : 2 * item[1] + 2]
                # Where the lines were, shifted by what was added or left out before them (mostly nothing).
                spans.extend(moved if offset == start else map((offset - start).__add__, moved))
            offset += stop - start


def _record_line(r: LedgerRecord) -> str:
    return _line(
        {
            "stem": r.stem, "id": r.id, "arrival": r.arrival, "content_hash": r.content_hash,
            "published": _time(r.published), "updated": _time(r.updated), "first_seen": _time(r.first_seen),
        }
    )  # fmt: skip


def _line(item: Mapping[str, object]) -> str:
    return "    " + json.dumps(item, ensure_ascii=False)


def _array(lines: Sequence[str]) -> str:
    if not lines:
        return "[]"
    return "[\n" + ",\n".join(lines) + "\n  ]"


def _skeleton(last_arrival: int, tombstones: Iterable[LedgerTombstone]) -> tuple[bytes, bytes]:
    """Return what ``_render`` writes before and after the records' lines of a ledger that has some."""
    lines = [
        _line({"stem": t.stem, "id": t.id, "when": _time(t.when)})
        for t in sorted(tombstones, key=lambda t: (t.when, t.id))
    ]
    head = f'{{\n  "format": {LEDGER_FORMAT},\n  "last_arrival": {last_arrival},\n  "entries": [\n'
    return head.encode(), f'\n  ],\n  "tombstones": {_array(lines)}\n}}\n'.encode()


_STEM_OPENING = '    {"stem": '
_DECODER = json.JSONDecoder()


def _line_stem(data: bytes, start: int, end: int) -> tuple[str, int] | None:
    """Return the stem of the record line at ``start`` (lines end by ``end``), and where it ends; None if not ours."""
    stop = data.find(b"\n", start, end)
    stop = end if stop < 0 else stop - 1  # before the comma that joins it to the next
    line = data[start:stop].decode("utf-8", "surrogateescape")
    if not line.startswith(_STEM_OPENING):
        return None
    try:
        stem, _after = _DECODER.raw_decode(line, len(_STEM_OPENING))
    except ValueError:
        return None
    return (stem, stop) if isinstance(stem, str) else None


def _bounds(data: bytes, last_arrival: int, tombstones: Sequence[LedgerTombstone]) -> tuple[int, int] | None:
    """Return where the records' lines of a ledger file this code wrote begin and end; None if unsure.

    The file must have records, its last arrival ``last_arrival`` and
    ``tombstones``, and its first line exactly as ``_record_line`` formats
    the record reading it gives: a build then writes back each record it
    read as its line in the file (``_record_parts``).
    """
    head, tail = _skeleton(last_arrival, tombstones)
    begin, end = len(head), len(data) - len(tail)
    if not (data.startswith(head) and data.endswith(tail)) or end <= begin:
        return None
    first = _line_stem(data, begin, end)
    if first is None or not _is_our_line(data[begin : first[1]]):
        return None  # a build would write the file afresh, every line as this code formats it
    return begin, end


def _place(data: bytes, begin: int, end: int, stem: str) -> tuple[int, int | None] | None:
    """Return where the line of ``stem`` is, or would go, in the lines from ``begin`` to ``end``; None if unsure.

    A binary search over byte offsets, each probe reading the stem of the
    line it lands in: the start of the stem's line and where it ends
    (before its comma), or the start of the first line whose stem sorts
    after it and None. None when a line probed is not one of this code's.
    """
    low, high = begin, end
    while low < high:
        middle = (low + high) // 2
        start = data.rfind(b"\n", begin, middle) + 1 or begin
        found = _line_stem(data, start, end)
        if found is None:
            return None
        if found[0] == stem:
            return start, found[1]
        if found[0] < stem:
            low = found[1] + 2  # past the comma and the newline
        else:
            high = start
    return min(low, end), None


def insert_records(
    data: bytes,
    *,
    last_arrival: int,
    tombstones: Sequence[LedgerTombstone],
    added: Sequence[LedgerRecord],
    kept: Sequence[LedgerTombstone],
) -> list[bytes | memoryview] | None:
    """Return the ledger file ``data`` with records added, as a build that adds them writes it; None if unsure.

    ``data`` must be a file this code wrote (``_bounds``), with its last
    arrival ``last_arrival`` and ``tombstones``; ``kept`` are the tombstones
    the new file keeps. A build writes each record it read back as its
    line in the file, and a new one as ``_record_line`` formats it, in order
    of stem: so do the lines here, found by a binary search rather than
    parsed, which a build adding one seed to a hundred thousand cannot
    afford. The file's parts are returned as slices of ``data`` and the new
    lines, not joined: thirty megabytes at a hundred thousand entries,
    copied for nothing. None when the file is laid out otherwise, or a stem
    added is already there.
    """
    bounds = _bounds(data, last_arrival, tombstones)
    if bounds is None:
        return None
    begin, end = bounds
    places: list[tuple[int, bytes]] = []
    for record in sorted(added, key=_STEM):
        found = _place(data, begin, end, record.stem)
        if found is None or found[1] is not None:
            return None
        places.append((found[0], _record_line(record).encode()))
    view = memoryview(data)
    new_head, new_tail = _skeleton(max(last_arrival, *map(_ARRIVAL, added)), kept)
    parts: list[bytes | memoryview] = [new_head]
    position = begin
    for place, line in places:
        parts.append(view[position:place])
        position = place
        parts.append(line + b",\n" if place < end else b",\n" + line)
    parts += [view[position:end], new_tail]
    return parts


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """A record of a ledger file, and where its line is in the file (without the comma after it)."""

    record: LedgerRecord
    start: int
    stop: int


def read_lines(
    data: bytes, *, last_arrival: int, tombstones: Sequence[LedgerTombstone], stems: Iterable[str]
) -> dict[str, LedgerLine] | None:
    """Return the records of some stems in a ledger file this code wrote, by stem, each with its line's place.

    Found by a binary search (``_place``), and only their lines parsed: a
    build that edits one seed of a hundred thousand reads one record. None
    when the file is laid out otherwise (``_bounds``) or a stem has no record.
    """
    bounds = _bounds(data, last_arrival, tombstones)
    if bounds is None:
        return None
    begin, end = bounds
    found: dict[str, LedgerLine] = {}
    for stem in stems:
        place = _place(data, begin, end, stem)
        if place is None:
            return None
        start, stop = place
        if stop is None:
            return None
        try:
            (record,) = _parse_records([json.loads(data[start:stop].decode("utf-8"))]).values()
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
            return None
        if record.stem != stem:
            return None
        found[stem] = LedgerLine(record, start, stop)
    return found


def replace_lines(
    data: bytes,
    *,
    last_arrival: int,
    tombstones: Sequence[LedgerTombstone],
    replaced: Iterable[tuple[LedgerLine, LedgerRecord | None]],
    kept: Sequence[LedgerTombstone],
) -> list[bytes | memoryview] | None:
    """Return the ledger file ``data`` with the lines of some records (``read_lines``) replaced or left out.

    As a build that changed those records (or dropped them: None) writes
    it: each other record written back as its line in the file, each
    changed one as ``_record_line`` formats it, in its place (the same
    stem); ``kept`` the tombstones the new file keeps, of the file's
    ``tombstones``. In parts, as ``insert_records`` returns them. None when
    no record is left: an empty ledger is laid out otherwise.
    """
    head, tail = _skeleton(last_arrival, tombstones)
    new_head, new_tail = _skeleton(last_arrival, kept)
    begin, end = len(head), len(data) - len(tail)
    view = memoryview(data)
    # The lines as the file joins them: each but the last followed by a comma and a newline.
    lines: list[bytes | memoryview] = []
    position = begin
    for line, record in sorted(replaced, key=lambda item: item[0].start):
        lines.append(view[position : line.start])
        if record is None:
            position = line.stop + 2 if line.stop < end else line.stop  # the line, and what joins it to the next
        else:
            lines.append(_record_line(record).encode())
            position = line.stop
    lines.append(view[position:end])
    lines = [part for part in lines if part]
    if not lines:
        return None
    if bytes(lines[-1][-2:]) == b",\n":
        lines[-1] = lines[-1][:-2]  # the last line left out: the one before it is the last now
    return [new_head, *lines, new_tail]


def _is_our_line(line: bytes) -> bool:
    """Return whether a record's line is exactly as ``_record_line`` formats the record reading it gives."""
    try:
        records = _parse_records([json.loads(line.decode("utf-8"))])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        return False
    return all(_record_line(record).encode() == line for record in records.values())


_ENTRIES_OPEN = b'\n  "entries": [\n'
_ENTRIES_CLOSE = b'\n  ],\n  "tombstones": '


def _parse_laid_out(
    data: bytes, known: Callable[[str], Known | None] | None = None
) -> tuple[dict[str, object], dict[str, LedgerRecord], LedgerSource | None] | None:
    """Return the document (entries aside), the records and the source of a ledger laid out as ``render_ledger`` writes.

    None when it is laid out otherwise (or is not a ledger): the whole
    document is then parsed as JSON. Each record's line is parsed on its
    own, so the document's hundred thousand objects are never held at once;
    a line holds no raw newline (JSON escapes it), so the lines are the
    array's items.
    """
    start = data.find(_ENTRIES_OPEN)
    end = data.find(_ENTRIES_CLOSE, start)
    if start < 0 or end < 0 or not data.startswith(b"{"):
        return None
    try:
        skeleton = _check_format(json.loads((data[:start] + b'\n  "entries": []' + data[end + 4 :]).decode("utf-8")))
        spans = array("q")
        records = _parse_records(_laid_out_items(data, start + len(_ENTRIES_OPEN), end, spans), known)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        return None  # the whole document's parse says what is wrong
    return skeleton, records, _source(data, records, spans)


def _laid_out_items(data: bytes, position: int, end: int, spans: array[int]) -> Iterator[object]:
    """Yield the parsed object of each line from ``position`` to ``end``, noting where each line is in ``spans``.

    Lines are parsed a batch at a time, as one JSON array each: a call per
    line would cost more than the whole document's parse. Raises ValueError
    when a line is not one item of the array (a line but the last must end
    with its comma).
    """
    while position <= end:
        first = position
        count = 0
        while True:
            newline = data.find(b"\n", position, end)
            stop = end if newline < 0 else newline - 1  # without the comma, but for the last line
            if newline >= 0 and data[stop] != ord(","):
                raise ValueError("a line that is not an item of the entries")
            spans.extend((position, stop))
            count += 1
            position = end + 1 if newline < 0 else newline + 1
            if newline < 0 or count == _LINES_PER_PARSE:
                break
        items = json.loads((b"[" + data[first:stop] + b"]").decode("utf-8"))
        if not isinstance(items, list) or len(items) != count:
            raise ValueError("a line that is not one item of the entries")
        yield from items


# Ledger lines parsed together: the document's objects are never all held at once.
_LINES_PER_PARSE = 1000


def _source(data: bytes, records: dict[str, LedgerRecord], spans: array[int]) -> LedgerSource | None:
    """Return the source of records read from these lines; None when the lines are not as this code writes them.

    A file laid out otherwise (edited by hand) is written afresh when it is
    next written. The first line must be exactly as this code formats it;
    each other must at least start with its own stem (one record per line).
    """
    read = tuple(records.values())
    for index, record in enumerate(read):
        line = data[spans[2 * index] : spans[2 * index + 1]]
        if index == 0:
            is_ours = line == _record_line(record).encode()
        else:
            is_ours = line.startswith(b'    {"stem": ' + encode_basestring(record.stem).encode() + b",")
        if not is_ours:
            return None
    return LedgerSource(data=data, records=read, spans=spans)


def _shared_time(value: datetime, known: datetime) -> datetime:
    """Return ``known`` when it is ``value`` in the same zone object (so written the same), else ``value``.

    Only the same zone object is compared: comparing times in two zone
    objects calls into each, three times slower than parsing the time.
    """
    return known if value.tzinfo is known.tzinfo and value == known and value.fold == known.fold else value


def _check_format(doc: object) -> dict[str, object]:
    if not isinstance(doc, dict) or doc.get("format") != LEDGER_FORMAT:
        raise ValueError(f"not a seedfeed ledger of format {LEDGER_FORMAT}")
    for key in ("entries", "tombstones"):
        if not isinstance(doc.get(key), list) or not all(isinstance(i, dict) for i in doc[key]):
            raise ValueError(f"{key!r} is not a list of objects")
    return doc


class Known(Protocol):
    """What a build already holds of a seed (the parse cache's record): values a ledger record may share."""

    @property
    def facts(self) -> SeedFacts: ...

    @property
    def head(self) -> EntryHead | None: ...

    @property
    def first_seen(self) -> datetime: ...


def _parse_records(items: object, known: Callable[[str], Known | None] | None = None) -> dict[str, LedgerRecord]:
    records: dict[str, LedgerRecord] = {}
    ids: set[str] = set()
    arrivals: set[int] = set()
    for item in items:  # type: ignore[attr-defined]  # checked to be a list of dicts
        record = _shared_record(
            known,
            str(item["stem"]), str(item["id"]), str(item["content_hash"]),
            _parse_time(item["published"], "published"), _parse_time(item["updated"], "updated"),
            _parse_time(item["first_seen"], "first_seen"), _parse_arrival(item["arrival"]),
        )  # fmt: skip
        if record.stem in records or record.id in ids or record.arrival in arrivals:
            raise ValueError(f"entry {record.stem!r} repeats a stem, id or arrival number")
        records[record.stem] = record
        ids.add(record.id)
        arrivals.add(record.arrival)
    return records


def _shared_record(
    known: Callable[[str], Known | None] | None,
    stem: str, id_: str, content_hash: str, published: datetime, updated: datetime, first_seen: datetime, arrival: int,
) -> LedgerRecord:  # fmt: skip
    """Return the record of these values as read, sharing the values the build already holds alike."""
    cached = known(stem) if known is not None else None
    if cached is not None:
        # The same values as one object each: at a hundred thousand seeds, tens of megabytes.
        facts, head = cached.facts, cached.head
        stem = facts.stem if facts.stem == stem else stem
        content_hash = facts.content_hash if facts.content_hash == content_hash else content_hash
        if head is not None and head.id == id_:
            id_ = head.id
        first_seen = _shared_time(first_seen, cached.first_seen)
        published = _shared_time(published, facts.date if facts.date is not None else first_seen)
    updated = _shared_time(updated, published)
    return LedgerRecord(
        id=id_, stem=stem, content_hash=content_hash, published=published, updated=updated,
        first_seen=first_seen, arrival=arrival,
    )  # fmt: skip


def parse_ledger(data: bytes, path: Path, *, known: Callable[[str], Known | None] | None = None) -> Ledger:
    """Return the ledger a file's bytes hold.

    ``known`` gives, by stem, what the build already holds of a seed: a
    record shares the values that are the same.

    Raises LedgerError naming the file when it is not a ledger of a known
    format, or when two records claim one stem, one id or one arrival number.
    """
    laid_out = _parse_laid_out(data, known)
    source = None
    try:
        if laid_out is None:
            doc = _check_format(json.loads(data.decode("utf-8")))
            records = _parse_records(doc["entries"], known)
        else:
            doc, records, source = laid_out
        tombstones = tuple(
            LedgerTombstone(id=str(t["id"]), stem=str(t["stem"]), when=_parse_time(t["when"], "when"))
            for t in doc["tombstones"]  # type: ignore[attr-defined]  # checked to be a list of dicts
        )
        last = doc.get("last_arrival", 0)
        last_arrival = 0 if last == 0 else _parse_arrival(last)
    # RecursionError: json refuses nesting deeper than the interpreter's stack.
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise LedgerError(f"{path}: is corrupt ({exc})") from exc
    return Ledger(records=records, tombstones=tombstones, last_arrival=last_arrival, source=source)


class LedgerStates(Protocol):
    """Where a build keeps what reading a ledger file gave, by the file's bytes (the parse cache)."""

    def ledger_state(self, data: bytes) -> bytes | None:
        """Return the state kept for a file of these bytes; None if there is none."""

    def keep_ledger_state(self, data: bytes, state: Callable[[StateReader | None], StateParts]) -> None:
        """Keep the state reading these bytes gives (``state(previous)``), called only if it is kept.

        ``previous`` reads the state last returned by ``ledger_state``, if any.
        """


# Reads the bytes from ``start`` to ``stop`` of a state made earlier (``ledger_state``): a new
# state copies the chunks that still hold from it, so it need not be held whole for that.
StateReader = Callable[[int, int], bytes | memoryview]


def state_reader(state: bytes) -> StateReader:
    """Return a reader of a state held as bytes."""
    view = memoryview(state)
    return lambda start, stop: view[start:stop]


class StateParts(NamedTuple):
    """A ledger's state (``ledger_state``) as it is made: its chunks, then its header.

    The header lists where each chunk ends, so it is known only once every
    chunk is made; the chunks (some 20 MB at 100,000 records) can be written
    away as they come rather than held until then.
    """

    body: Iterator[bytes | memoryview]  # the chunks of records, made as they are read
    header: Callable[[], list[bytes]]  # the parts that come before the body, once it is read whole


# Bump when the layout of a ledger's state (ledger_state) changes: an older one is then not used.
_STATE_FORMAT = 2
# The state's records are pickled in chunks, loaded a chunk at a time like the file's lines. A
# chunk starts at a record whose arrival number is a multiple of this (or after _CHUNK_MAX
# records): an entry added or changed changes one chunk, the others are kept as they were.
_CHUNK_ARRIVALS = 256
_CHUNK_MAX = 2048
_STATE_ROW = attrgetter("stem", "id", "content_hash", "published", "updated", "first_seen", "arrival")
_ARRIVAL = attrgetter("arrival")
_FIRST_SEEN = attrgetter("first_seen")
# Before the state's header: its length.
_HEADER_SIZE = struct.Struct("<Q")


def _chunk_starts(records: Sequence[LedgerRecord]) -> list[int]:
    """Return where each chunk of the records starts, and their number (where the last one ends)."""
    if not records:
        return []
    # The positions of arrival numbers divisible by _CHUNK_ARRIVALS, found in C.
    marks = compress(count(), map(operator.not_, map(_CHUNK_ARRIVALS.__rmod__, map(_ARRIVAL, records))))
    starts = [0]
    for index in chain(marks, [len(records)]):
        while index - starts[-1] > _CHUNK_MAX:
            starts.append(starts[-1] + _CHUNK_MAX)
        if index > starts[-1]:
            starts.append(index)
    return starts


def ledger_state(ledger: Ledger, previous: bytes | None = None) -> bytes:
    """Return what reading a ledger file gave, pickled as plain tuples: it loads in C (``ledger_from_state``).

    ``state_parts`` joined: its header, then its chunks.
    """
    made = state_parts(ledger, state_reader(previous) if previous is not None else None)
    body = _joined(made.body)
    return b"".join(made.header()) + body


def state_parts(ledger: Ledger, previous: StateReader | None = None) -> StateParts:
    """Return ``ledger_state``'s bytes as they are made: a part per chunk of records, then the header's parts.

    Stored as they are (``BlobStore.write_parts``), never joined: at 100,000
    records the state is some 20 MB, which a join would hold twice.

    ``ledger`` must be as read (``load_ledger``, ``render_ledger_as_read``):
    its records in the file's order, its source that file's. Not the
    records themselves: a slots dataclass pickles through Python code, a
    tuple of strings, times and ints does not. A chunk of records that are
    all still as read from the state ``previous`` reads is copied from it,
    not pickled again.
    """
    records = tuple(ledger.records.values())
    source = ledger.source
    lengths = None
    if source is not None:
        # Each line's length: where the lines are follows, the file's layout being fixed between them.
        lengths = array("q", map(operator.sub, source.spans[1::2], source.spans[::2]))
    chunks = source.state if source is not None else None
    if chunks is not None and (previous is None or bytes(previous(0, len(chunks.header))) != chunks.header):
        chunks = None  # not the state the records were taken from
    table: list[int] = []  # where each chunk ends in the body

    def header() -> list[bytes]:
        if len(table) != max(len(starts) - 1, 0):
            raise RuntimeError("the state's header asked for before its body was read")
        made = pickle.dumps(
            (
                _STATE_FORMAT, LEDGER_FORMAT, ledger.last_arrival, len(records),
                tuple((t.id, t.stem, t.when) for t in ledger.tombstones),
                source.spans[0] if source is not None and records else None, tuple(table),
            ),
            protocol=pickle.HIGHEST_PROTOCOL,
        )  # fmt: skip
        return [_HEADER_SIZE.pack(len(made)), made]

    starts = _chunk_starts(records)
    return StateParts(body=_state_body(records, starts, lengths, chunks, previous, table), header=header)


def _state_body(
    records: Sequence[LedgerRecord],
    starts: list[int],
    lengths: array[int] | None,
    chunks: StateChunks | None,
    previous: StateReader | None,
    table: list[int],
) -> Iterator[bytes | memoryview]:
    """Yield the state's chunk of each run of records (``starts``), noting in ``table`` where each ends."""
    size = 0
    for start, stop in pairwise(starts):
        kept = chunks.chunks.get(id(records[start])) if chunks is not None else None
        if (
            previous is not None
            and chunks is not None
            and kept is not None
            and kept[1] == stop - start
            and all(map(operator.is_, records[start:stop], chunks.records[kept[0] : kept[0] + kept[1]]))
        ):
            # The same records as read, so the same lines: the same chunk, lengths and all.
            chunk = previous(kept[2], kept[3])
        else:
            rows = tuple(map(_STATE_ROW, records[start:stop]))
            chunk = pickle.dumps(
                (rows, lengths[start:stop].tobytes() if lengths is not None else None), protocol=pickle.HIGHEST_PROTOCOL
            )
        size += len(chunk)
        table.append(size)
        yield chunk


def ledger_from_state(
    data: bytes, state: bytes, *, known: Callable[[str], Known | None] | None = None
) -> Ledger | None:
    """Return the ledger a file of bytes ``data`` holds, from the state ``ledger_state`` gave of reading them.

    The same ledger as ``parse_ledger(data, path, known=known)`` gives, the
    same values shared alike, without parsing the JSON. None when the state
    cannot be used (another layout, damaged): the file is then parsed.
    """
    view = memoryview(state)
    try:
        (header_size,) = _HEADER_SIZE.unpack_from(state)
        body = _HEADER_SIZE.size + header_size  # where the chunks start; the table counts from there
        header = pickle.loads(view[_HEADER_SIZE.size : body])  # noqa: S301  # checksummed
        if not isinstance(header, tuple) or len(header) != 7 or header[:2] != (_STATE_FORMAT, LEDGER_FORMAT):
            return None
        _, _, last_arrival, count, tombstone_rows, first_span, table = header
        records: dict[str, LedgerRecord] = {}
        lengths = array("q")
        chunks: dict[int, tuple[int, int, int, int]] = {}
        position = body
        for end in table:
            rows, chunk_lengths = pickle.loads(view[position : body + end])  # noqa: S301
            first = len(records)
            for index, (stem, id_, content_hash, published, updated, first_seen, arrival) in enumerate(rows):
                # _as_read, inline: this runs for every record on every build.
                record = _shared_record(
                    known, stem, id_, content_hash,
                    published if published.tzinfo is UTC else fixed_offset(published),
                    updated if updated.tzinfo is UTC else fixed_offset(updated),
                    first_seen if first_seen.tzinfo is UTC else fixed_offset(first_seen),
                    arrival,
                )  # fmt: skip
                records[record.stem] = record
                if index == 0:
                    chunks[id(record)] = (first, len(rows), position, body + end)
            if chunk_lengths is not None:
                lengths.frombytes(chunk_lengths)
            position = body + end
        tombstones = tuple(
            LedgerTombstone(id=id_, stem=stem, when=_as_read(when)) for id_, stem, when in tombstone_rows
        )
    # OverflowError, MemoryError: a damaged length in a pickle asks for more than there is.
    except (
        pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError, IndexError,
        OverflowError, MemoryError, struct.error,
    ):  # fmt: skip
        return None
    if len(records) != count:
        return None
    source = None
    if first_span is not None:
        # A line ends where its length says; the next starts after its comma and newline.
        steps = chain.from_iterable(zip(lengths, repeat(2)))
        spans = array("q", accumulate(steps, initial=first_span))
        del spans[-1]
        if len(spans) != 2 * count or spans[-1] > len(data):
            return None
        read = tuple(records.values())
        header = state[:body]
        source = LedgerSource(data=data, records=read, spans=spans, state=StateChunks(header, read, chunks))
    return Ledger(records=records, tombstones=tombstones, last_arrival=last_arrival, source=source)


def load_ledger(
    path: Path, *, known: Callable[[str], Known | None] | None = None, states: LedgerStates | None = None
) -> Ledger:
    """Read the ledger; a missing file is an empty ledger.

    ``states`` keeps what reading the file gave: a file as a build left it
    is taken from there, not parsed again.

    Raises LedgerError when the file exists but cannot be read or parsed.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Ledger()
    except OSError as exc:
        raise LedgerError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    state = states.ledger_state(data) if states is not None else None
    ledger = ledger_from_state(data, state, known=known) if state is not None else None
    if ledger is None:
        ledger = parse_ledger(data, path, known=known)
        if states is not None:
            read = ledger
            states.keep_ledger_state(data, lambda previous: state_parts(read, previous))
    return ledger


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """What a build found for one published seed."""

    stem: str
    id: str
    content_hash: str
    published: datetime  # aware: from front matter or text; first-seen stands in otherwise


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconciliation:
    """The ledger after a build, and what the build changed."""

    ledger: Ledger
    changes: Mapping[str, Change]  # by stem, for every observed seed
    removed: tuple[str, ...]  # ids this build found gone (and announced by a tombstone)


def _is_same_time(a: datetime, b: datetime) -> bool:
    # The same moment written the same way: the ledger keeps each time's own offset.
    # (Mostly the same object: a record read shares its published time with the seed's facts.)
    return a is b or (a == b and a.utcoffset() == b.utcoffset())


_PUBLISHED = attrgetter("published")
_STEM = attrgetter("stem")
_ID = attrgetter("id")


def reconcile(
    ledger: Ledger,
    observed: Iterable[Observation],
    *,
    kept: Iterable[str],
    now: datetime,
    tombstone_period: timedelta,
) -> Reconciliation:
    """Return the ledger after a build and what changed for each observed stem.

    ``kept`` names seeds that exist but were rejected: their records stay, so a
    seed that is broken for one build neither vanishes nor comes back as new.
    A seed renamed with its front matter id kept is the same entry, moved.
    A vanished id becomes a tombstone, kept while it is within
    ``tombstone_period`` of the ledger's latest event (not of ``now``: a
    build with nothing new must not change the feed).
    The caller guarantees that no two observations share an id.
    """
    # New entries get arrival numbers in this order: by published, then id. Sorted by id, then stably by
    # published: a key of both costs a tuple each, compared twice where seeds share a published time.
    observed = sorted(sorted(observed, key=_ID), key=_PUBLISHED)
    kept = set(kept)
    present = set(map(_STEM, observed)) | kept
    # Passes over every record are made in C where they can be: at 100,000 entries, each Python one counts.
    old_records = ledger.records
    old_by_id = {r.id: r for r in map(old_records.__getitem__, old_records.keys() - present)}
    # Each set of every seed's stems or ids (4 MB at 100,000) goes once used: a full
    # build holds the most while it reconciles and at its end.
    del present
    records: dict[str, LedgerRecord] = {}
    if kept:
        # A rejected seed keeps its record, unless a published seed now claims its id.
        observed_ids = set(map(_ID, observed))
        records = {s: r for s, r in old_records.items() if s in kept and r.id not in observed_ids}
        del observed_ids
    changes: dict[str, Change] = {}
    arrival = ledger.next_arrival
    for obs in observed:
        stem = obs.stem
        old = old_records.get(stem)
        if old is None or old.id != obs.id:
            # A renamed seed whose front matter keeps its id is the same entry (old_by_id is by id).
            old = old_by_id.pop(obs.id, None)
        if old is None:
            records[stem] = LedgerRecord(
                id=obs.id, stem=stem, content_hash=obs.content_hash, published=obs.published,
                updated=obs.published, first_seen=now, arrival=arrival,
            )  # fmt: skip
            arrival += 1
            changes[stem] = "new"
        elif old.content_hash != obs.content_hash:
            # A clock set back must not hide an edit: updated only moves forward.
            updated = max(now, obs.published, old.updated + timedelta(seconds=1))
            records[stem] = replace(
                old, stem=stem, content_hash=obs.content_hash, published=obs.published, updated=updated
            )
            changes[stem] = "updated"
        else:
            if _is_same_time(old.published, obs.published) and old.stem == stem and old.updated >= obs.published:
                # The record as it was (most of them, on most builds): no copy to make.
                records[stem] = old
            else:
                records[stem] = replace(
                    old, stem=stem, published=obs.published, updated=max(old.updated, obs.published)
                )
            changes[stem] = "unchanged"
    # Only old records and tombstones are looked up in it: a first build makes none.
    live_ids = set(map(_ID, records.values())) if old_records or ledger.tombstones else set()
    # Filtered as they are made, in C: not a set of every old id first.
    gone_ids = set(filterfalse(live_ids.__contains__, map(_ID, old_records.values())))
    gone = sorted(
        {r.id: r for r in old_records.values() if r.id in gone_ids}.values() if gone_ids else (),
        key=lambda r: (r.arrival, r.id),
    )
    tombstones = [t for t in ledger.tombstones if t.id not in live_ids]
    tombstones.extend(LedgerTombstone(id=r.id, stem=r.stem, when=now) for r in gone)
    # In the order the file keeps them, so a ledger read back equals the one written.
    tombstones.sort(key=lambda t: (t.when, t.id))
    new_ledger = Ledger(records=records, tombstones=tuple(tombstones), last_arrival=arrival - 1, source=ledger.source)
    latest = new_ledger.latest_event
    if latest is not None:
        current = tuple(t for t in tombstones if t.when >= latest - tombstone_period)
        new_ledger = replace(new_ledger, tombstones=current)
    return Reconciliation(ledger=new_ledger, changes=changes, removed=tuple(r.id for r in gone))
