"""The ledger as the parse cache keeps it: the same ledger as parsing the file, or the file is parsed."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import seedfeed.build
import seedfeed.ledger
from conftest import FEED_TOML, check_atom
from feedreader import seed_text
from seedfeed.build import build
from seedfeed.cache import CACHE_DIR, cache_path
from seedfeed.catalog import EntryHead, SeedFacts, fixed_offset
from seedfeed.errors import LedgerError
from seedfeed.ledger import (
    LEDGER_NAME,
    Ledger,
    LedgerFile,
    LedgerRecord,
    LedgerTombstone,
    Observation,
    ledger_file_as_read,
    ledger_from_state,
    ledger_state,
    load_ledger,
    parse_ledger,
    reconcile,
    render_ledger,
    render_ledger_as_read,
)

LEDGER = Path("seeds") / LEDGER_NAME
T1 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)

# Zones a ledger's times may come in: fixed offsets (one of zero that is not UTC's object, one with
# seconds and microseconds), and a zone with a DST fold. Reading a ledger gives each its offset's one
# zone object (catalog.fixed_offset) and fold 0.
ZONES = [
    UTC,
    timezone(timedelta(hours=7)),
    timezone(timedelta(hours=-3, minutes=-30)),
    timezone(timedelta(0), "Z"),
    timezone(timedelta(hours=5, seconds=7, microseconds=3)),
    ZoneInfo("Europe/Paris"),
]
moments = st.builds(
    lambda moment, fold: moment.replace(fold=fold),
    st.datetimes(
        min_value=datetime(1990, 1, 1),  # noqa: DTZ001  # hypothesis adds the zone
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.sampled_from(ZONES),
    ),
    st.sampled_from([0, 1]),
)
stems = st.text(alphabet='abcxyz_-.019éñ語"\\', min_size=1, max_size=10)


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    names = draw(st.lists(stems, unique=True, max_size=8))
    arrivals = draw(st.permutations(range(1, len(names) + 1)))
    records = {}
    for i, (name, arrival) in enumerate(zip(names, arrivals, strict=True)):
        published = draw(moments)
        records[name] = LedgerRecord(
            id=f"tag:x.org,2024:{i}",
            stem=name,
            content_hash=draw(st.text(max_size=20)),
            published=published,
            updated=draw(st.just(published) | moments),
            first_seen=draw(st.just(published) | moments),
            arrival=arrival,
        )
    tombstones = tuple(
        LedgerTombstone(id=f"tag:x.org,2024:gone-{i}", stem=name, when=draw(moments))
        for i, name in enumerate(draw(st.lists(stems, max_size=3)))
    )
    last = draw(st.integers(min_value=len(names), max_value=len(names) + 3))
    return Ledger(records=records, tombstones=tombstones, last_arrival=last)


@dataclass(frozen=True)
class Held:
    """What a build holds of a seed (``ledger.Known``), made here with equal values in objects of its own."""

    facts: SeedFacts
    head: EntryHead | None
    first_seen: datetime


def _copy(text: str) -> str:
    return (text + "!")[:-1]


def _held_for(ledger: Ledger, draw_flags: list[bool]) -> dict[str, Held]:
    """Return, for some of the ledger's stems, equal values in other objects (or other values)."""
    held = {}
    for flag, record in zip(draw_flags, ledger.records.values(), strict=False):
        first_seen = fixed_offset(record.first_seen)
        facts = SeedFacts(
            name=record.stem + ".txt",
            stem=_copy(record.stem),
            front_matter_id=None,
            content_hash=_copy(record.content_hash) if flag else "sha256:other",
            date=fixed_offset(record.published) if flag else None,
            provenance="text" if flag else None,
        )
        head = EntryHead(
            stem=facts.stem, id=_copy(record.id), title="", published=first_seen, updated=first_seen,
            date_source="text", digest=b"", notes=(),
        )  # fmt: skip
        held[record.stem] = Held(facts=facts, head=head if flag else None, first_seen=first_seen)
    return held


def _time_fields(value: datetime) -> tuple[object, ...]:
    return (*value.timetuple()[:6], value.microsecond, value.fold, value.utcoffset())


def _assert_time_as_read(a: datetime, b: datetime) -> None:
    assert _time_fields(a) == _time_fields(b)
    # One zone object per offset: what fixed_offset gives, so that _shared_time and _compact share values.
    assert a.tzinfo is b.tzinfo
    assert a.tzinfo is UTC or a.tzinfo is fixed_offset(a).tzinfo


def assert_same_read(got: Ledger, expected: Ledger, held: dict[str, Held] | None = None) -> None:
    """Assert two ledgers as read are the same field by field, their values shared alike."""
    assert list(got.records) == list(expected.records)
    assert got.last_arrival == expected.last_arrival
    for (key, a), (_, b) in zip(got.records.items(), expected.records.items(), strict=True):
        assert key is a.stem
        for field in fields(LedgerRecord):
            x, y = getattr(a, field.name), getattr(b, field.name)
            assert type(x) is type(y)
            assert x == y
            if isinstance(x, datetime):
                _assert_time_as_read(x, y)
        assert (a.updated is a.published) == (b.updated is b.published)
        known = held.get(a.stem) if held is not None else None
        if known is not None:
            shared = (known.facts.stem, known.facts.content_hash, known.first_seen, known.facts.date)
            if known.head is not None:
                shared += (known.head.id,)
            for value in shared:
                assert [v is value for v in (a.stem, a.id, a.content_hash, a.published, a.first_seen)] == [
                    v is value for v in (b.stem, b.id, b.content_hash, b.published, b.first_seen)
                ]
    assert len(got.tombstones) == len(expected.tombstones)
    for a_tomb, b_tomb in zip(got.tombstones, expected.tombstones, strict=True):
        assert (a_tomb.id, a_tomb.stem) == (b_tomb.id, b_tomb.stem)
        _assert_time_as_read(a_tomb.when, b_tomb.when)
    assert (got.source is None) == (expected.source is None)
    if got.source is not None and expected.source is not None:
        assert got.source.data == expected.source.data
        assert got.source.spans == expected.source.spans
        assert got.source.records == tuple(got.records.values())


def _by_hand(data: bytes, layout: str) -> bytes:
    """Return a ledger's bytes laid out as a hand edit might leave them, still one record per line."""
    head, sep, rest = data.partition(b"\n    {")
    first, sep2, others = rest.partition(b"\n    {")
    if layout == "spaces after the first line" and sep2:
        return head + sep + first + sep2 + others.replace(b', "id": ', b',  "id": ')
    if layout == "spaces in every line" and sep:
        return head + sep + (first + sep2 + others).replace(b', "id": ', b',  "id": ')
    return data


@given(
    ledger=ledgers(),
    layout=st.sampled_from(["as written", "spaces after the first line", "spaces in every line"]),
    edited=st.sets(st.integers(min_value=0, max_value=7)),
    added=ledgers(),
    held_flags=st.lists(st.booleans(), max_size=8),
)
def test_ledger_state_read_equals_the_parse_of_the_file_field_by_field(
    ledger: Ledger, layout: str, edited: set[int], added: Ledger, held_flags: list[bool]
) -> None:
    # A ledger read from a file (maybe edited by hand), then changed as a build changes it.
    read = parse_ledger(_by_hand(render_ledger(ledger), layout), LEDGER)
    changed = dict(read.records)
    for index, stem in enumerate(sorted(changed)):
        if index in edited:
            changed[stem] = replace(changed[stem], content_hash="sha256:edited", updated=T1)
    arrival = read.next_arrival
    for record in added.records.values():
        if record.stem not in changed:
            changed[record.stem] = replace(record, id=f"tag:y.org,2024:{arrival}", arrival=arrival)
            arrival += 1
    later = replace(read, records=changed, tombstones=read.tombstones + added.tombstones, last_arrival=arrival - 1)

    data, read_back = render_ledger_as_read(later)
    assert data == render_ledger(later)
    # As a build writes it: in parts, the ledger read back without the bytes.
    made = ledger_file_as_read(later)
    assert b"".join(made.parts) == data
    assert made.read_back() == (
        read_back if read_back.source is None else replace(read_back, source=replace(read_back.source, data=b""))
    )
    parsed = parse_ledger(data, LEDGER)
    assert_same_read(read_back, parsed)
    state = ledger_state(read_back)
    from_state = ledger_from_state(data, state)
    assert from_state is not None
    assert_same_read(from_state, parsed)
    assert render_ledger(from_state) == render_ledger(parsed) == data

    # Changed again and written, the chunks of the state it was taken from kept where they still hold.
    with patch.object(seedfeed.ledger, "_CHUNK_ARRIVALS", 2), patch.object(seedfeed.ledger, "_CHUNK_MAX", 3):
        chunked_state = ledger_state(from_state)
        chunked = ledger_from_state(data, chunked_state)
        assert chunked is not None
        changed = dict(chunked.records)
        for index, stem in enumerate(sorted(changed)):
            if index + 1 in edited:
                changed[stem] = replace(changed[stem], content_hash="sha256:again")
        new = replace(added_record(), arrival=arrival)
        changed[new.stem] = new
        data_again, back_again = render_ledger_as_read(replace(chunked, records=changed, last_arrival=arrival))
        parsed_again = parse_ledger(data_again, LEDGER)
        # Given the state it was taken from, another state (of the same file, chunked otherwise), or none.
        for previous in (chunked_state, state, None):
            from_state_again = ledger_from_state(data_again, ledger_state(back_again, previous))
            assert from_state_again is not None
            assert_same_read(from_state_again, parsed_again)

    # With what the build holds of its seeds, the values are shared as parsing shares them.
    held = _held_for(parsed, held_flags)
    known: Callable[[str], Held | None] = held.get
    parsed_sharing = parse_ledger(data, LEDGER, known=known)
    shared = ledger_from_state(data, ledger_state(parsed_sharing), known=known)
    assert shared is not None
    assert_same_read(shared, parsed_sharing, held)
    # Written back after a change, each gives the same bytes (the lines read, kept alike).
    new = replace(added_record(), arrival=arrival)
    assert render_ledger(replace(shared, records={**shared.records, new.stem: new})) == render_ledger(
        replace(parsed_sharing, records={**parsed_sharing.records, new.stem: new})
    )


def added_record() -> LedgerRecord:
    return LedgerRecord(
        id="tag:z.org,2024:new", stem="zz-new", content_hash="sha256:new", published=T1, updated=T1,
        first_seen=T1, arrival=1,
    )  # fmt: skip


@given(st.binary(max_size=256))
def test_ledger_state_damaged_or_foreign_is_refused(state: bytes) -> None:
    data = render_ledger(Ledger(records={"a": replace(added_record(), stem="a")}, last_arrival=1))
    assert ledger_from_state(data, state) is None


def test_ledger_state_of_another_layout_version_or_truncated_is_refused() -> None:
    data, read_back = render_ledger_as_read(Ledger(records={"a": replace(added_record(), stem="a")}, last_arrival=1))
    state = ledger_state(read_back)
    assert ledger_from_state(data, state) is not None
    assert ledger_from_state(data, state[: len(state) // 2]) is None
    newer = state.replace(b"K\x01", b"K\x63", 1)  # the first small int pickled: the state's layout version
    assert newer != state
    assert ledger_from_state(data, newer) is None


# The build-level tests below: a small seeds folder, built as a user builds it.


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "feed.toml").write_text(FEED_TOML, encoding="utf-8")
    for n in range(1, 5):
        (folder / f"berita-{n}.txt").write_text(seed_text(n, day=n, month=3), encoding="utf-8")
    return folder


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Return the bytes of each ledger file parsed as JSON from now on."""
    seen: list[bytes] = []
    real = seedfeed.ledger.parse_ledger

    def spy(data: bytes, path: Path, **kwargs: object) -> Ledger:
        seen.append(data)
        return real(data, path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(seedfeed.ledger, "parse_ledger", spy)
    return seen


def _build(seeds: Path, out: Path, day: int) -> bytes:
    build(seeds, out, now=datetime(2024, 4, day, tzinfo=UTC), jobs=1)
    check_atom((out / "feed.atom").read_bytes())
    return (seeds / LEDGER_NAME).read_bytes()


def _outputs(out: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(out)): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and CACHE_DIR not in path.parts
    }


def _fresh_build(seeds: Path, tmp_path: Path, day: int) -> tuple[bytes, dict[str, bytes]]:
    """Return the ledger and outputs a build without any cache makes, from a copy of the folder as it is."""
    copy = tmp_path / f"copy-{day}"
    copy.mkdir()
    for path in seeds.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    ledger = _build(copy, tmp_path / f"fresh-{day}", day)
    return ledger, _outputs(tmp_path / f"fresh-{day}")


def test_build_rebuild_takes_the_ledger_from_the_cache_and_writes_the_same(
    seeds: Path, tmp_path: Path, parses: list[bytes]
) -> None:
    out = tmp_path / "out"
    _build(seeds, out, 1)
    (seeds / "berita-5.txt").write_text(seed_text(5, day=5, month=3), encoding="utf-8")
    expected = _fresh_build(seeds, tmp_path, 2)
    parses.clear()
    ledger = _build(seeds, out, 2)
    assert parses == []  # the ledger the first build wrote came from the cache
    assert (ledger, _outputs(out)) == expected
    assert len(parse_ledger(ledger, LEDGER).records) == 5


def _damage_state(out: Path) -> None:
    with sqlite3.connect(cache_path(out)) as db:
        (data,) = db.execute("SELECT data FROM ledger WHERE name = 'state'").fetchone()
        damaged = bytes(data[:-40]) + bytes(b ^ 0x55 for b in data[-40:])
        db.execute("UPDATE ledger SET data = ? WHERE name = 'state'", (damaged,))
    db.close()


def test_build_with_a_damaged_ledger_state_parses_the_file(seeds: Path, tmp_path: Path, parses: list[bytes]) -> None:
    out = tmp_path / "out"
    _build(seeds, out, 1)
    _damage_state(out)
    (seeds / "berita-5.txt").write_text(seed_text(5, day=5, month=3), encoding="utf-8")
    expected = _fresh_build(seeds, tmp_path, 2)
    parses.clear()
    ledger = _build(seeds, out, 2)
    assert len(parses) == 1
    assert (ledger, _outputs(out)) == expected


def test_build_ledger_edited_to_the_same_size_and_stat_is_parsed_not_taken_from_the_cache(
    seeds: Path, tmp_path: Path, parses: list[bytes]
) -> None:
    out = tmp_path / "out"
    data = _build(seeds, out, 1)
    path = seeds / LEDGER_NAME
    stat = path.stat()
    # The same size, and the same mtime: only the bytes tell the edit.
    edited = data.replace(b'"first_seen": "2024-04-01T00:00:00+00:00"', b'"first_seen": "2024-03-30T00:00:00+00:00"', 1)
    assert len(edited) == len(data)
    assert edited != data
    path.write_bytes(edited)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    expected = _fresh_build(seeds, tmp_path, 2)
    parses.clear()
    assert _build(seeds, out, 2) == expected[0]
    assert parses == [edited]
    assert _outputs(out) == expected[1]
    assert datetime(2024, 3, 30, tzinfo=UTC) in {r.first_seen for r in load_ledger(path).records.values()}


def test_build_ledger_laid_out_by_hand_is_read_then_kept_as_read(
    seeds: Path, tmp_path: Path, parses: list[bytes]
) -> None:
    out = tmp_path / "out"
    data = _build(seeds, out, 1)
    path = seeds / LEDGER_NAME
    # Indented otherwise, every record over several lines: not the layout render_ledger writes.
    by_hand = data.replace(b'{"stem"', b'{\n      "stem"').replace(b', "id"', b',\n      "id"')
    path.write_bytes(by_hand)
    expected = _fresh_build(seeds, tmp_path, 2)
    parses.clear()
    assert _build(seeds, out, 2) == expected[0]
    assert parses == [by_hand]
    assert _outputs(out) == expected[1]
    # The next build takes what reading the hand-laid file gave from the cache.
    (seeds / "berita-5.txt").write_text(seed_text(5, day=5, month=3), encoding="utf-8")
    expected = _fresh_build(seeds, tmp_path, 3)
    parses.clear()
    assert _build(seeds, out, 3) == expected[0]
    assert parses == []
    assert _outputs(out) == expected[1]


# reconcile: what it decides, for any ledger and observations (its passes over every record are in C).

published_times = st.sampled_from([T1, T1 + timedelta(hours=1), T1.astimezone(timezone(timedelta(hours=7)))])


@given(
    ledger=ledgers(),
    seen=st.lists(st.tuples(st.integers(min_value=0, max_value=9), st.booleans(), published_times), max_size=10),
    new=st.lists(st.tuples(stems, published_times), max_size=5),
    kept_indexes=st.sets(st.integers(min_value=0, max_value=9)),
)
def test_reconcile_numbers_new_entries_by_published_then_id_and_keeps_or_tombstones_the_rest(
    ledger: Ledger,
    seen: list[tuple[int, bool, datetime]],
    new: list[tuple[str, datetime]],
    kept_indexes: set[int],
) -> None:
    old = list(ledger.records.values())
    observed: dict[str, Observation] = {}
    for index, is_edited, published in seen:
        if index < len(old):
            r = old[index]
            observed[r.stem] = Observation(
                stem=r.stem, id=r.id, content_hash=r.content_hash + ("!" if is_edited else ""), published=published
            )
    for n, (stem, published) in enumerate(new):
        if stem not in ledger.records:
            observed[stem] = Observation(stem=stem, id=f"tag:new.org,2024:{n}", content_hash="h", published=published)
    kept = {old[i].stem for i in kept_indexes if i < len(old) and old[i].stem not in observed}
    now = T1 + timedelta(days=3)
    result = reconcile(ledger, list(observed.values()), kept=kept, now=now, tombstone_period=timedelta(days=30))
    order = sorted(observed.values(), key=lambda o: (o.published, o.id))
    assert list(result.changes) == [o.stem for o in order]
    fresh = [o for o in order if o.stem not in ledger.records]
    assert [result.ledger.records[o.stem].arrival for o in fresh] == list(
        range(ledger.next_arrival, ledger.next_arrival + len(fresh))
    )
    assert all(result.changes[o.stem] == "new" for o in fresh)
    for o in order:
        if o.stem in ledger.records:
            record, before = result.ledger.records[o.stem], ledger.records[o.stem]
            assert result.changes[o.stem] == ("updated" if o.content_hash != before.content_hash else "unchanged")
            assert (record.id, record.arrival, record.first_seen) == (before.id, before.arrival, before.first_seen)
    assert set(result.ledger.records) == set(observed) | kept
    gone = [r for r in old if r.stem not in observed and r.stem not in kept]
    assert result.removed == tuple(r.id for r in sorted(gone, key=lambda r: (r.arrival, r.id)))


def test_build_ledger_touched_while_the_build_runs_is_written_from_its_records(
    seeds: Path, tmp_path: Path, parses: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger's unchanged lines are read back from its file when written; a file changed since is not used."""
    out = tmp_path / "out"
    _build(seeds, out, 1)
    path = seeds / LEDGER_NAME
    real = seedfeed.build.reconcile
    touched: list[int] = []

    def touching(*args: object, **kwargs: object) -> object:
        # Between reading the ledger and writing it: the same bytes, another stat.
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        touched.append(stat.st_size)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    written_from: list[bool] = []  # whether the ledger written had the file as read to copy lines from
    real_file = seedfeed.build.ledger_file_as_read

    def spy(ledger: Ledger) -> LedgerFile:
        written_from.append(ledger.source is not None)
        return real_file(ledger)

    (seeds / "berita-5.txt").write_text(seed_text(5, day=5, month=3), encoding="utf-8")
    expected = _fresh_build(seeds, tmp_path, 2)
    monkeypatch.setattr(seedfeed.build, "reconcile", touching)
    monkeypatch.setattr(seedfeed.build, "ledger_file_as_read", spy)
    parses.clear()
    assert _build(seeds, out, 2) == expected[0]
    assert touched
    assert written_from == [False]
    assert parses == []
    assert _outputs(out) == expected[1]
    # Its lines formatted afresh are the lines as read: the state kept serves the next build.
    monkeypatch.setattr(seedfeed.build, "reconcile", real)
    (seeds / "berita-6.txt").write_text(seed_text(6, day=6, month=3), encoding="utf-8")
    expected = _fresh_build(seeds, tmp_path, 3)
    parses.clear()
    written_from.clear()
    assert _build(seeds, out, 3) == expected[0]
    assert parses == []
    assert written_from == [True]  # not touched this time: the lines as read were copied
    assert _outputs(out) == expected[1]


def test_build_ledger_cut_short_while_its_lines_are_written_back_fails_and_keeps_the_file(
    seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    before = _build(seeds, out, 1)
    real = os.pread

    def short(descriptor: int, size: int, offset: int) -> bytes:
        return real(descriptor, size, offset)[:-1]

    monkeypatch.setattr(seedfeed.build.os, "pread", short)
    (seeds / "berita-5.txt").write_text(seed_text(5, day=5, month=3), encoding="utf-8")
    with pytest.raises(LedgerError, match="changed while its lines were written back"):
        build(seeds, out, now=datetime(2024, 4, 2, tzinfo=UTC), jobs=1)
    assert (seeds / LEDGER_NAME).read_bytes() == before
