"""The ledger: round trip, corruption, loss, first-seen, edits and touches."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import FEED_TOML, REFERENCE_SEED, check_atom
from feedreader import seed_text
from seedfeed.build import build
from seedfeed.errors import LedgerError
from seedfeed.ledger import (
    CORRUPT_SUFFIX,
    LEDGER_NAME,
    Ledger,
    LedgerRecord,
    LedgerTombstone,
    Observation,
    insert_records,
    load_ledger,
    parse_ledger,
    read_lines,
    reconcile,
    render_ledger,
    replace_lines,
)

T1 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
T2 = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
T3 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
ID = "tag:news.example.org,2023:"
LEDGER = Path("seeds") / LEDGER_NAME
NO_DATE = "Warga membersihkan sungai bersama\nWarga desa bergotong royong membersihkan sungai.\n"
UUID = "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"
FRONT_MATTER = f"---\ndate: 2024-03-01T09:30:00+07:00\nid: {UUID}\n---\nJudul\nIsi.\n"
NO_YEAR_WITH_CONTEXT = "Judul tanpa tahun\nPresiden tiba pada 5 Maret, sejak Desember 2022 konflik berlangsung.\n"


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "feed.toml").write_text(FEED_TOML, encoding="utf-8")
    shutil.copy(REFERENCE_SEED, folder / REFERENCE_SEED.name)
    (folder / "dated.txt").write_text(seed_text(1, day=5, month=3), encoding="utf-8")
    (folder / "front.txt").write_text(FRONT_MATTER, encoding="utf-8")
    (folder / "context.txt").write_text(NO_YEAR_WITH_CONTEXT, encoding="utf-8")
    (folder / "undated.txt").write_text(NO_DATE, encoding="utf-8")
    return folder


def entries_of(out: Path) -> dict[str, feedparser.FeedParserDict]:
    data = (out / "feed.atom").read_bytes()
    check_atom(data)
    return {e.id: e for e in feedparser.parse(data).entries}


moments = st.datetimes(
    min_value=datetime(1990, 1, 1),  # noqa: DTZ001  # hypothesis adds the zone
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-3, minutes=-30))]),
)
stems = st.text(alphabet="abcxyz_-.019éñ語", min_size=1, max_size=12)


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    names = draw(st.lists(stems, unique=True, max_size=8))
    arrivals = draw(st.permutations(range(1, len(names) + 1)))
    records = {
        name: LedgerRecord(
            id=f"tag:x.org,2024:{i}",
            stem=name,
            content_hash=draw(st.text(max_size=70)),
            published=draw(moments),
            updated=draw(moments),
            first_seen=draw(moments),
            arrival=arrival,
        )
        for i, (name, arrival) in enumerate(zip(names, arrivals, strict=True))
    }
    tombstones = tuple(
        LedgerTombstone(id=f"tag:x.org,2024:gone-{i}", stem=name, when=draw(moments))
        for i, name in enumerate(draw(st.lists(stems, max_size=4)))
    )
    last = draw(st.integers(min_value=len(names), max_value=len(names) + 5))
    return Ledger(records=records, tombstones=tombstones, last_arrival=last)


@given(ledgers())
def test_ledger_round_trip_gives_the_same_ledger_and_bytes(ledger: Ledger) -> None:
    data = render_ledger(ledger)
    parsed = parse_ledger(data, LEDGER)
    assert dict(parsed.records) == dict(ledger.records)
    assert sorted(parsed.tombstones, key=repr) == sorted(ledger.tombstones, key=repr)
    assert parsed.next_arrival == ledger.next_arrival
    assert render_ledger(parsed) == data


@given(st.binary(max_size=2048) | st.text(max_size=512).map(str.encode))
def test_ledger_parse_of_any_bytes_is_a_ledger_or_a_ledger_error(data: bytes) -> None:
    try:
        parse_ledger(data, LEDGER)
    except LedgerError as exc:
        assert str(exc).startswith(f"{LEDGER}: is corrupt")


@pytest.mark.parametrize(
    "text",
    [
        '{"format": 1, "entries": [], "tombstones": [3]}',
        '{"format": 1, "entries": {}, "tombstones": []}',
        '{"format": 2, "entries": [], "tombstones": []}',
        '{"format": 1, "entries": [{"stem": "a"}], "tombstones": []}',
        "[" * 100_000,
    ],
    ids=["tombstone_not_object", "entries_not_list", "unknown_format", "record_missing_keys", "deep_nesting"],
)
def test_ledger_parse_names_the_file_when_corrupt(text: str) -> None:
    with pytest.raises(LedgerError, match="is corrupt"):
        parse_ledger(text.encode(), LEDGER)


def test_ledger_parse_refuses_two_records_with_one_id() -> None:
    record = LedgerRecord(
        id="tag:x.org,2024:a", stem="a", content_hash="h", published=T1, updated=T1, first_seen=T1, arrival=1
    )
    data = render_ledger(Ledger(records={"a": record, "b": replace(record, stem="b", arrival=2)}))
    with pytest.raises(LedgerError, match="repeats"):
        parse_ledger(data, LEDGER)


def test_ledger_corrupt_is_reported_set_aside_and_rebuilt(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    (seeds / LEDGER_NAME).write_bytes(b'{"format": 1, "entries": [{"oops"')
    report = build(seeds, out, now=T1)
    messages = [n for n in report.notices if n.path == seeds / LEDGER_NAME]
    assert len(messages) == 1
    assert "is corrupt" in messages[0].message
    assert (seeds / (LEDGER_NAME + CORRUPT_SUFFIX)).read_bytes() == b'{"format": 1, "entries": [{"oops"'
    assert report.count("new") == 5
    assert not report.rejected
    ledger = load_ledger(seeds / LEDGER_NAME)
    assert set(ledger.records) == {REFERENCE_SEED.stem, "dated", "front", "context", "undated"}
    assert len(entries_of(out)) == 5


def test_ledger_lost_gives_same_ids_and_published_for_text_dated_seeds(seeds: Path, tmp_path: Path) -> None:
    build(seeds, tmp_path / "a", now=T1)
    first = entries_of(tmp_path / "a")
    (seeds / LEDGER_NAME).unlink()
    build(seeds, tmp_path / "b", now=T3)
    second = entries_of(tmp_path / "b")
    assert set(first) == set(second)
    for stem in (REFERENCE_SEED.stem, "dated", "context"):
        assert first[ID + stem].published == second[ID + stem].published, stem
    assert first[UUID].published == second[UUID].published == "2024-03-01T09:30:00+07:00"
    # Only first-seen dates are gone with the ledger.
    assert datetime.fromisoformat(second[ID + "undated"].published) == T3


def test_ledger_undated_seed_keeps_its_first_seen_time(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build(seeds, out, now=T1)
    build(seeds, out, now=T2)
    (seeds / "other.txt").write_text(seed_text(9), encoding="utf-8")
    build(seeds, out, now=T3)
    entry = entries_of(out)[ID + "undated"]
    assert datetime.fromisoformat(entry.published) == T1
    assert load_ledger(seeds / LEDGER_NAME).records["undated"].first_seen == T1


def test_ledger_updated_moves_only_on_content_change(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build(seeds, out, now=T1)
    published = entries_of(out)[ID + "dated"].published
    (seeds / "dated.txt").write_text(seed_text(1, day=5, month=3, extra=" Ralat."), encoding="utf-8")
    report = build(seeds, out, now=T2)
    assert report.changes["dated"] == "updated"
    assert {s for s, c in report.changes.items() if c != "unchanged"} == {"dated"}
    build(seeds, out, now=T3)
    entry = entries_of(out)[ID + "dated"]
    assert datetime.fromisoformat(entry.updated) == T2
    assert entry.published == published
    assert load_ledger(seeds / LEDGER_NAME).records["dated"].updated == T2


def test_ledger_touch_changes_nothing(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build(seeds, out, now=T1)
    before = (seeds / LEDGER_NAME).read_bytes(), (out / "feed.atom").read_bytes()
    for path in seeds.glob("*.txt"):
        os.utime(path, (T3.timestamp(), T3.timestamp()))
        path.write_bytes(path.read_bytes())  # rewritten with the same bytes, as a checkout does
    report = build(seeds, out, now=T2)
    assert report.written == ()
    assert report.count("unchanged") == 5
    assert ((seeds / LEDGER_NAME).read_bytes(), (out / "feed.atom").read_bytes()) == before


def test_ledger_file_is_one_line_per_entry_sorted_by_stem(seeds: Path, tmp_path: Path) -> None:
    build(seeds, tmp_path / "public", now=T1)
    text = (seeds / LEDGER_NAME).read_text(encoding="utf-8")
    doc = json.loads(text)
    assert [e["stem"] for e in doc["entries"]] == sorted(e["stem"] for e in doc["entries"])
    entry_lines = [line for line in text.splitlines() if line.strip().startswith('{"stem"')]
    assert len(entry_lines) == 5
    assert sorted(e["arrival"] for e in doc["entries"]) == [1, 2, 3, 4, 5]


def _obs(stem: str, *, id_: str | None = None, content: str = "h", published: datetime = T1) -> Observation:
    return Observation(stem=stem, id=id_ or ID + stem, content_hash=content, published=published)


def test_reconcile_never_reuses_an_arrival_number() -> None:
    first = reconcile(Ledger(), [_obs("a"), _obs("b")], kept=(), now=T1, tombstone_period=timedelta(days=30))
    second = reconcile(first.ledger, [_obs("a")], kept=(), now=T2, tombstone_period=timedelta(days=30))
    third = reconcile(second.ledger, [_obs("a"), _obs("c")], kept=(), now=T3, tombstone_period=timedelta(days=30))
    assert first.ledger.records["b"].arrival == 2
    assert second.removed == (ID + "b",)
    assert third.ledger.records["c"].arrival == 3
    assert parse_ledger(render_ledger(second.ledger), LEDGER).next_arrival == 3


def test_reconcile_follows_a_seed_renamed_with_its_front_matter_id() -> None:
    first = reconcile(Ledger(), [_obs("old", id_="urn:x:1")], kept=(), now=T1, tombstone_period=timedelta(0))
    moved = reconcile(first.ledger, [_obs("new", id_="urn:x:1")], kept=(), now=T2, tombstone_period=timedelta(0))
    assert moved.changes == {"new": "unchanged"}
    assert moved.removed == ()
    record = moved.ledger.records["new"]
    assert (record.arrival, record.first_seen) == (1, T1)
    assert not moved.ledger.tombstones


def test_reconcile_tombstones_the_old_id_when_front_matter_changes_it() -> None:
    first = reconcile(Ledger(), [_obs("a", id_="urn:x:1")], kept=(), now=T1, tombstone_period=timedelta(0))
    changed = reconcile(first.ledger, [_obs("a", id_="urn:x:2")], kept=(), now=T2, tombstone_period=timedelta(0))
    assert changed.changes == {"a": "new"}
    assert [(t.id, t.when) for t in changed.ledger.tombstones] == [("urn:x:1", T2)]


def test_reconcile_keeps_a_rejected_seeds_record_and_expires_old_tombstones() -> None:
    first = reconcile(Ledger(), [_obs("a"), _obs("b"), _obs("c")], kept=(), now=T1, tombstone_period=timedelta(0))
    second = reconcile(first.ledger, [_obs("a")], kept={"b"}, now=T2, tombstone_period=timedelta(days=30))
    assert set(second.ledger.records) == {"a", "b"}
    assert second.removed == (ID + "c",)
    day = timedelta(days=1)
    third = reconcile(second.ledger, [_obs("a"), _obs("b")], kept=(), now=T3, tombstone_period=day)
    assert third.changes == {"a": "unchanged", "b": "unchanged"}
    # Nothing new happened since the deletion: however late the build, the tombstone stays.
    assert [t.id for t in third.ledger.tombstones] == [ID + "c"]
    assert render_ledger(third.ledger) == render_ledger(second.ledger)
    fourth = reconcile(third.ledger, [_obs("a"), _obs("b"), _obs("d")], kept=(), now=T3, tombstone_period=day)
    assert fourth.ledger.tombstones == ()  # a newer event, more than a day after the deletion


def test_reconcile_edit_after_a_clock_set_back_still_moves_updated_forward() -> None:
    first = reconcile(Ledger(), [_obs("a")], kept=(), now=T2, tombstone_period=timedelta(0))
    edited = reconcile(
        first.ledger, [_obs("a", content="h2")], kept=(), now=T1 - timedelta(days=400), tombstone_period=timedelta(0)
    )
    assert edited.changes == {"a": "updated"}
    assert edited.ledger.records["a"].updated > first.ledger.records["a"].updated


def test_build_rejects_a_second_seed_claiming_the_same_id(seeds: Path, tmp_path: Path) -> None:
    build(seeds, tmp_path / "public", now=T1)
    (seeds / "copy.txt").write_text(FRONT_MATTER, encoding="utf-8")
    report = build(seeds, tmp_path / "public", now=T2)
    assert [(e.path.name, e.problem) for e in report.rejected] == [
        ("copy.txt", f"id {UUID!r} is already the id of front.txt")
    ]
    assert len(entries_of(tmp_path / "public")) == 5


def test_build_undated_seed_renamed_with_its_front_matter_id_keeps_its_date(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    (seeds / "old-name.txt").write_text(f"---\nid: urn:x:undated\n---\n{NO_DATE}", encoding="utf-8")
    build(seeds, out, now=T1)
    (seeds / "old-name.txt").rename(seeds / "new-name.txt")
    report = build(seeds, out, now=T2)
    assert report.changes["new-name"] == "unchanged"
    assert report.removed == ()
    entry = entries_of(out)["urn:x:undated"]
    assert datetime.fromisoformat(entry.published) == T1
    assert load_ledger(seeds / LEDGER_NAME).records["new-name"].first_seen == T1


def _three_records() -> Ledger:
    records = {
        stem: LedgerRecord(
            id=ID + stem, stem=stem, content_hash=f"sha256:{n}", published=T1, updated=T1, first_seen=T2, arrival=n
        )
        for n, stem in enumerate(("alpha", "beta", "gamma"), start=1)
    }
    return Ledger(records=records, last_arrival=3)


def test_ledger_lines_of_unchanged_records_are_written_back_and_a_changed_one_afresh() -> None:
    data = render_ledger(_three_records())
    read = parse_ledger(data, LEDGER)
    assert read.source is not None
    assert [r.stem for r in read.source.records] == ["alpha", "beta", "gamma"]
    assert render_ledger(read) == data
    # Reconciling with the same observations keeps each record as it was read: nothing to rewrite.
    same = reconcile(
        read,
        [
            Observation(stem=r.stem, id=r.id, content_hash=r.content_hash, published=r.published)
            for r in read.records.values()
        ],
        kept=(),
        now=T3,
        tombstone_period=timedelta(days=30),
    ).ledger
    assert all(same.records[stem] is read.records[stem] for stem in read.records)
    # An edit replaces one record: its line is made again, the others are the lines read.
    edited = reconcile(
        read,
        [
            Observation(
                stem=r.stem,
                id=r.id,
                content_hash="sha256:new" if r.stem == "beta" else r.content_hash,
                published=r.published,
            )
            for r in read.records.values()
        ],
        kept=(),
        now=T3,
        tombstone_period=timedelta(days=30),
    ).ledger
    written = render_ledger(edited)
    assert parse_ledger(written, LEDGER) == edited
    doc = json.loads(written)
    beta = next(e for e in doc["entries"] if e["stem"] == "beta")
    assert (beta["content_hash"], beta["updated"]) == ("sha256:new", T3.isoformat())
    fresh = render_ledger(replace(edited, source=None))
    assert written == fresh


def test_ledger_laid_out_by_hand_is_read_the_same_and_written_in_its_own_layout() -> None:
    ledger = _three_records()
    by_hand = json.dumps(json.loads(render_ledger(ledger)), indent=4).encode()
    read = parse_ledger(by_hand, LEDGER)
    assert read == ledger
    assert read.source is None
    assert render_ledger(read) == render_ledger(ledger)


@given(
    stems=st.lists(st.text(alphabet='abcxyz_-.\u00e9\u4e2d"\\', min_size=1, max_size=6), unique=True, max_size=8),
    edited=st.sets(st.integers(min_value=0, max_value=7)),
    added=st.lists(st.text(alphabet="abmz\u00e9", min_size=1, max_size=4), unique=True, max_size=3),
)
def test_ledger_written_back_in_runs_of_lines_read_is_the_ledger_formatted_afresh(
    stems: list[str], edited: set[int], added: list[str]
) -> None:
    records = {
        stem: LedgerRecord(
            id=ID + str(n), stem=stem, content_hash=f"sha256:{n}", published=T1, updated=T1, first_seen=T2, arrival=n
        )
        for n, stem in enumerate(stems, start=1)
    }
    read = parse_ledger(render_ledger(Ledger(records=records, last_arrival=len(stems))), LEDGER)
    assert read.records == records
    # Some records replaced, some added: every other record is written back as the line it was read from.
    changed = dict(read.records)
    for index, stem in enumerate(sorted(changed)):
        if index in edited:
            changed[stem] = replace(changed[stem], content_hash="sha256:edited", updated=T3)
    for n, stem in enumerate(added, start=len(stems) + 1):
        if stem not in changed:
            changed[stem] = LedgerRecord(
                id=ID + str(n), stem=stem, content_hash="sha256:new", published=T3, updated=T3, first_seen=T3, arrival=n
            )
    later = replace(read, records=changed, last_arrival=len(stems) + len(added))
    written = render_ledger(later)
    assert written == render_ledger(replace(later, source=None))
    assert parse_ledger(written, LEDGER) == later


@given(
    ledger=ledgers(),
    added=st.lists(stems, unique=True, min_size=1, max_size=4),
    dates=st.lists(moments, min_size=4, max_size=4),
    kept=st.integers(min_value=0, max_value=4),
)
def test_ledger_with_records_inserted_is_the_file_a_build_writes(
    ledger: Ledger, added: list[str], dates: list[datetime], kept: int
) -> None:
    # What the append path writes (insert_records) is what a build writes for the same records.
    written = render_ledger(ledger)
    read = parse_ledger(written, LEDGER)
    new = [
        LedgerRecord(
            id=f"tag:x.org,2024:new-{n}",
            stem=stem,
            content_hash="sha256:new",
            published=dates[n],
            updated=dates[n],
            first_seen=dates[-1],
            arrival=read.next_arrival + n,
        )
        for n, stem in enumerate(added)
    ]
    tombstones = tuple(sorted(read.tombstones, key=lambda t: (t.when, t.id)))[kept:]
    inserted = insert_records(
        written, last_arrival=read.next_arrival - 1, tombstones=read.tombstones, added=new, kept=tombstones
    )
    if not read.records or any(stem in read.records for stem in added):
        assert inserted is None  # an empty ledger's layout, or a stem already there: the full build decides
        return
    after = replace(read, records={**read.records, **{r.stem: r for r in new}}, tombstones=tombstones)
    assert b"".join(inserted) == render_ledger(after)
    assert parse_ledger(b"".join(inserted), LEDGER) == replace(after, last_arrival=read.next_arrival - 1 + len(new))


@given(
    ledger=ledgers(),
    picks=st.lists(st.integers(min_value=0, max_value=99), unique=True, min_size=1, max_size=4),
    dates=st.lists(moments, min_size=4, max_size=4),
    kept=st.integers(min_value=0, max_value=4),
)
def test_ledger_with_records_replaced_or_dropped_is_the_file_a_build_writes(
    ledger: Ledger, picks: list[int], dates: list[datetime], kept: int
) -> None:
    # What the update path writes (read_lines, then replace_lines) is what a build writes for the same edits.
    written = render_ledger(ledger)
    read = parse_ledger(written, LEDGER)
    last = read.next_arrival - 1
    stems = sorted(read.records)
    edited = sorted({stems[pick % len(stems)] for pick in picks}) if stems else ["nothing"]
    lines = read_lines(written, last_arrival=last, tombstones=read.tombstones, stems=edited)
    if not read.records:
        assert lines is None  # an empty ledger's layout: the full build decides
        return
    assert lines is not None
    assert {stem: line.record for stem, line in lines.items()} == {stem: read.records[stem] for stem in edited}
    # An even pick edits its record, an odd one drops it (as a build that finds the seed gone).
    changed: dict[str, LedgerRecord | None] = {
        stem: None
        if picks[n] % 2
        else replace(line.record, content_hash="sha256:x", published=dates[n], updated=dates[n] + timedelta(days=1))
        for n, (stem, line) in enumerate(lines.items())
    }
    tombstones = tuple(sorted(read.tombstones, key=lambda t: (t.when, t.id)))[kept:]
    parts = replace_lines(
        written,
        last_arrival=last,
        tombstones=read.tombstones,
        replaced=[(lines[stem], record) for stem, record in changed.items()],
        kept=tombstones,
    )
    records = {stem: changed.get(stem, record) for stem, record in read.records.items()}
    left = {stem: record for stem, record in records.items() if record is not None}
    if not left:
        assert parts is None  # an empty ledger's layout: the full build decides
        return
    assert parts is not None
    after = replace(read, records=left, tombstones=tombstones, last_arrival=last)
    assert b"".join(parts) == render_ledger(after)
    assert parse_ledger(b"".join(parts), LEDGER) == after


def test_ledger_lines_read_only_when_laid_out_as_written() -> None:
    ledger = _three_records()
    by_hand = json.dumps(json.loads(render_ledger(ledger)), indent=4).encode()
    assert read_lines(by_hand, last_arrival=3, tombstones=(), stems=["beta"]) is None
    written = render_ledger(ledger)
    assert read_lines(written, last_arrival=4, tombstones=(), stems=["beta"]) is None
    assert read_lines(written, last_arrival=3, tombstones=(), stems=["bravo"]) is None  # no such record
    lines = read_lines(written, last_arrival=3, tombstones=(), stems=["gamma", "alpha"])
    assert lines is not None
    assert {stem: line.record.arrival for stem, line in lines.items()} == {"gamma": 3, "alpha": 1}
    assert written[lines["alpha"].start : lines["alpha"].stop].startswith(b'    {"stem": "alpha",')


def test_ledger_inserted_into_only_when_laid_out_as_written() -> None:
    ledger = _three_records()
    record = LedgerRecord(
        id=ID + "new", stem="bravo", content_hash="sha256:n", published=T3, updated=T3, first_seen=T3, arrival=9
    )
    by_hand = json.dumps(json.loads(render_ledger(ledger)), indent=4).encode()
    assert insert_records(by_hand, last_arrival=3, tombstones=(), added=[record], kept=()) is None
    written = render_ledger(ledger)
    # Another last arrival or other tombstones than the file's: not the file the caller thinks it is.
    assert insert_records(written, last_arrival=4, tombstones=(), added=[record], kept=()) is None
    assert insert_records(written, last_arrival=3, tombstones=(), added=[record], kept=()) is not None
