"""What a subscriber sees across a sequence of builds, read as a feed reader reads."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import FEED_TOML, REFERENCE_SEED
from feedreader import HISTORY_NS, Reader, all_ids, fetch, seed_text
from seedfeed.build import build
from seedfeed.cli import main
from seedfeed.ledger import LEDGER_NAME

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
ID = "tag:news.example.org,2023:"


def at(step: int) -> datetime:
    """Return the moment of build number ``step``: a day apart, never the clock."""
    return T0 + timedelta(days=step)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "feed.toml").write_text(FEED_TOML, encoding="utf-8")
    shutil.copy(REFERENCE_SEED, seeds / REFERENCE_SEED.name)
    for n in range(1, 6):
        (seeds / f"s{n:03}.txt").write_text(seed_text(n, day=n, month=2), encoding="utf-8")
    return seeds, tmp_path / "public"


def test_subscriber_sees_each_change_once_across_builds(folders: tuple[Path, Path]) -> None:
    seeds, out = folders
    reader = Reader(out)
    feed = out / "feed.atom"

    # First build: every seed is new, once.
    build(seeds, out, now=at(1))
    poll = reader.poll()
    assert poll.new == {ID + REFERENCE_SEED.stem} | {f"{ID}s{n:03}" for n in range(1, 6)}
    assert not poll.updated
    assert "prev-archive" not in fetch(feed).links

    # Rebuild with nothing new: the same bytes, the ledger's included; nothing to see.
    before = feed.read_bytes(), (seeds / LEDGER_NAME).read_bytes()
    report = build(seeds, out, now=at(2))
    assert (feed.read_bytes(), (seeds / LEDGER_NAME).read_bytes()) == before
    assert report.written == ()
    poll = reader.poll()
    assert (poll.new, poll.updated, poll.deleted) == (set(), set(), set())

    # New seeds, one back-dated years before the rest: all three reach the reader.
    (seeds / "s006.txt").write_text(seed_text(6, day=6, month=3), encoding="utf-8")
    (seeds / "s007.txt").write_text(seed_text(7, day=7, month=3), encoding="utf-8")
    (seeds / "s008.txt").write_text(seed_text(8, day=1, month=1, year=2019), encoding="utf-8")
    report = build(seeds, out, now=at(3))
    assert report.count("new") == 3
    poll = reader.poll()
    assert poll.new == {f"{ID}s006", f"{ID}s007", f"{ID}s008"}
    assert not poll.updated

    # An edit is an update of the same id, dated by the build that saw it.
    (seeds / "s002.txt").write_text(seed_text(2, day=2, month=2, extra=" Koreksi: jumlah peserta."), encoding="utf-8")
    report = build(seeds, out, now=at(4))
    assert report.count("updated") == 1
    poll = reader.poll()
    assert (poll.new, poll.updated) == (set(), {f"{ID}s002"})
    edited = fetch(feed).entries[f"{ID}s002"]
    assert datetime.fromisoformat(edited.updated) == at(4)
    assert datetime.fromisoformat(edited.published) < at(4)

    # A touch (a fresh checkout) changes no byte and shows nothing.
    before = feed.read_bytes(), (seeds / LEDGER_NAME).read_bytes()
    os.utime(seeds / "s003.txt", (at(9).timestamp(), at(9).timestamp()))
    report = build(seeds, out, now=at(5))
    assert (feed.read_bytes(), (seeds / LEDGER_NAME).read_bytes()) == before
    assert report.count("updated") == 0
    poll = reader.poll()
    assert (poll.new, poll.updated, poll.deleted) == (set(), set(), set())

    # A deleted seed leaves the feed and is announced by a tombstone.
    (seeds / "s004.txt").unlink()
    report = build(seeds, out, now=at(6))
    assert report.removed == (f"{ID}s004",)
    document = fetch(feed)
    assert f"{ID}s004" not in document.entries
    assert datetime.fromisoformat(document.tombstones[f"{ID}s004"]) == at(6)
    root = etree.fromstring(document.data)
    assert datetime.fromisoformat(root.findtext("{http://www.w3.org/2005/Atom}updated") or "") == at(6)
    poll = reader.poll()
    assert (poll.new, poll.updated, poll.deleted) == (set(), set(), {f"{ID}s004"})

    # 120 more seeds: the feed crosses max_entries (50) and grows archive pages.
    added = {f"{ID}b{n:03}" for n in range(120)}
    for n in range(120):
        (seeds / f"b{n:03}.txt").write_text(seed_text(100 + n, day=1 + n % 28, month=4 + n % 6), encoding="utf-8")
    report = build(seeds, out, now=at(7))
    assert report.count("new") == 120
    document = fetch(feed)
    # The 50 newest arrivals, and the entry edited within the announcement period.
    assert set(document.entries) - added == {f"{ID}s002"}
    assert len(document.entries) == 50 + 1
    assert not document.is_archive
    assert "prev-archive" in document.links
    poll = reader.poll()
    assert poll.new == added, "nothing old comes back as new, nothing new is lost"
    assert not poll.updated
    assert len(poll.pages_fetched) == 2  # arrivals 1-50 and 51-100 are full pages
    current_ids = {ID + p.stem for p in seeds.glob("*.txt")}
    assert all_ids(out) == current_ids == set(reader.known)
    assert f"{ID}s004" not in all_ids(out)

    # Later builds leave every full page byte for byte as the reader fetched it.
    build(seeds, out, now=at(8))
    assert reader.pages_unchanged()
    archived = set().union(*(fetch(page).entries for page in reader.pages))
    edit, gone = sorted(i.removeprefix(ID) for i in set(fetch(feed).entries) - archived - {f"{ID}s002"})[:2]
    (seeds / "c000.txt").write_text(seed_text(500, day=9, month=9), encoding="utf-8")
    (seeds / f"{edit}.txt").write_text(seed_text(219, day=3, month=3, extra=" Diperbarui."), encoding="utf-8")
    (seeds / f"{gone}.txt").unlink()
    build(seeds, out, now=at(9))
    assert reader.pages_unchanged()
    poll = reader.poll()
    assert (poll.new, poll.updated, poll.deleted) == ({f"{ID}c000"}, {ID + edit}, {ID + gone})
    assert not poll.pages_fetched
    assert all_ids(out) == {ID + p.stem for p in seeds.glob("*.txt")} == set(reader.known)


def test_subscriber_sees_an_archived_entry_edit_in_the_subscription_document(folders: tuple[Path, Path]) -> None:
    seeds, out = folders
    (seeds / "feed.toml").write_text(FEED_TOML.replace("max_entries = 50", "max_entries = 2"), encoding="utf-8")
    build(seeds, out, now=at(1))  # 6 arrivals: pages 1-2 and 3-4 are full
    reader = Reader(out)
    reader.poll()
    assert set(reader.known) == {ID + p.stem for p in seeds.glob("*.txt")}
    oldest = f"{ID}{REFERENCE_SEED.stem}"
    assert oldest not in fetch(out / "feed.atom").entries

    (seeds / "s001.txt").write_text(seed_text(1, day=1, month=2, extra=" Koreksi."), encoding="utf-8")
    build(seeds, out, now=at(2))
    poll = reader.poll()
    # The reader never refetches a page it has (RFC 5005 §4.2): the edit must be in feed.atom.
    assert poll.updated == {f"{ID}s001"}
    assert f"{ID}s001" in fetch(out / "feed.atom").entries
    assert all_ids(out) == set(reader.known)


def test_archived_entry_edit_or_deletion_changes_only_its_own_page(folders: tuple[Path, Path]) -> None:
    seeds, out = folders
    (seeds / "feed.toml").write_text(FEED_TOML.replace("max_entries = 50", "max_entries = 2"), encoding="utf-8")
    build(seeds, out, now=at(1))  # 6 arrivals: archive/1.atom, archive/2.atom, archive/3.atom
    pages = {p.name: p.read_bytes() for p in (out / "archive").glob("*.atom")}
    assert sorted(pages) == ["1.atom", "2.atom", "3.atom"]
    page_1 = fetch(out / "archive" / "1.atom")
    victim = sorted(page_1.entries)[0].removeprefix(ID)
    (seeds / f"{victim}.txt").unlink()
    build(seeds, out, now=at(2))
    assert {p.name: p.read_bytes() for p in (out / "archive").glob("*.atom")} | {"1.atom": pages["1.atom"]} == pages
    assert set(fetch(out / "archive" / "1.atom").entries) == set(page_1.entries) - {ID + victim}
    assert ID + victim in fetch(out / "feed.atom").tombstones


def test_complete_feed_is_one_document_marked_complete(folders: tuple[Path, Path]) -> None:
    seeds, out = folders
    toml = FEED_TOML.replace("max_entries = 50", "max_entries = 2") + "complete = true\n"
    (seeds / "feed.toml").write_text(toml, encoding="utf-8")
    build(seeds, out, now=at(1))
    (seeds / "s005.txt").unlink()
    build(seeds, out, now=at(2))
    document = fetch(out / "feed.atom")
    assert document.is_complete
    assert not document.is_archive
    assert "prev-archive" not in document.links
    assert set(document.entries) == {ID + p.stem for p in seeds.glob("*.txt")}
    assert set(document.tombstones) == {f"{ID}s005"}
    # The site's pages stay split by arrival (archive/<k>.html); the feed has no archive document.
    assert not list((out / "archive").glob("*.atom"))
    assert etree.fromstring(document.data).find(f"{{{HISTORY_NS}}}complete") is not None


def test_lost_output_folder_is_rebuilt_byte_for_byte(folders: tuple[Path, Path]) -> None:
    seeds, out = folders
    (seeds / "feed.toml").write_text(FEED_TOML.replace("max_entries = 50", "max_entries = 2"), encoding="utf-8")
    build(seeds, out, now=at(1))
    (seeds / "s003.txt").unlink()
    build(seeds, out, now=at(2))
    files = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.atom")}
    shutil.rmtree(out)
    build(seeds, out, now=at(3))
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*.atom")} == files


def test_deleted_article_leaves_the_site_too(folders: tuple[Path, Path]) -> None:
    seeds, out = folders
    build(seeds, out, now=at(1))
    assert (out / "articles" / "s004.html").is_file()
    (out / "articles" / "notes.txt").write_text("not a page of ours", encoding="utf-8")
    (seeds / "s004.txt").unlink()
    build(seeds, out, now=at(2))
    assert not (out / "articles" / "s004.html").exists()
    assert (out / "articles" / "s003.html").is_file()
    assert (out / "articles" / "notes.txt").is_file()


def test_switching_to_a_complete_feed_removes_the_archive_pages(folders: tuple[Path, Path]) -> None:
    seeds, out = folders
    toml = FEED_TOML.replace("max_entries = 50", "max_entries = 2")
    (seeds / "feed.toml").write_text(toml, encoding="utf-8")
    build(seeds, out, now=at(1))
    assert sorted(p.name for p in (out / "archive").glob("*.atom")) == ["1.atom", "2.atom", "3.atom"]
    (seeds / "feed.toml").write_text(toml + "complete = true\n", encoding="utf-8")
    report = build(seeds, out, now=at(2))
    assert not list((out / "archive").glob("*.atom"))
    assert {"archive/1.atom", "archive/2.atom", "archive/3.atom"} <= set(report.written)
    assert all_ids(out) == {ID + p.stem for p in seeds.glob("*.txt")}


def test_tombstone_stays_until_newer_events_outlast_the_period(folders: tuple[Path, Path]) -> None:
    seeds, out = folders
    build(seeds, out, now=at(1))
    (seeds / "s005.txt").unlink()
    build(seeds, out, now=at(2))
    before = (out / "feed.atom").read_bytes()
    # Months later with nothing new: no byte changes, the tombstone included.
    report = build(seeds, out, now=at(200))
    assert (out / "feed.atom").read_bytes() == before
    assert report.written == ()
    # A new arrival more than tombstone_days (30) after the deletion retires it.
    (seeds / "s009.txt").write_text(seed_text(9, day=9, month=9), encoding="utf-8")
    build(seeds, out, now=at(201))
    assert fetch(out / "feed.atom").tombstones == {}


def test_cli_build_json_reports_removals_tombstones_and_documents(folders: tuple[Path, Path]) -> None:
    seeds, out = folders
    (seeds / "feed.toml").write_text(FEED_TOML.replace("max_entries = 50", "max_entries = 4"), encoding="utf-8")
    args = ["build", str(seeds), "--out", str(out), "--json"]
    assert CliRunner().invoke(main, args).exit_code == 0
    (seeds / "s002.txt").unlink()
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["removed"], data["removed_ids"]) == (1, [f"{ID}s002"])
    assert [t["ref"] for t in data["tombstones"]] == [f"{ID}s002"]
    assert data["documents"] == ["archive/1.atom", "feed.atom"]
    assert set(fetch(out / "feed.atom").tombstones) == {f"{ID}s002"}


operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(min_value=0, max_value=3)),  # how many days back it is dated
        st.tuples(st.just("edit"), st.integers(min_value=0, max_value=99)),
        st.tuples(st.just("delete"), st.integers(min_value=0, max_value=99)),
        st.tuples(st.just("touch"), st.integers(min_value=0, max_value=99)),
        st.tuples(st.just("rebuild"), st.just(0)),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
def test_subscriber_sees_any_sequence_of_changes_exactly(tmp_path: Path, steps: list[tuple[str, int]]) -> None:
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    seeds, out = root / "seeds", root / "public"
    seeds.mkdir()
    (seeds / "feed.toml").write_text(FEED_TOML.replace("max_entries = 50", "max_entries = 3"), encoding="utf-8")
    reader = Reader(out)
    serial, versions = 0, {}  # stem -> edit count
    touched_at: dict[str, int] = {}  # id -> the last step that edited or deleted it
    fetched: dict[Path, tuple[int, set[str]]] = {}  # page -> (step fetched, ids it held)
    for step, (action, n) in enumerate(steps, start=1):
        stems = sorted(versions)
        expected_new: set[str] = set()
        expected_updated: set[str] = set()
        expected_deleted: set[str] = set()
        if action in ("edit", "delete", "touch") and not stems:
            action = "add"  # nothing to act on yet
        if action == "add":
            stem = f"x{serial:03}"
            serial += 1
            versions[stem] = 0
            when = at(step) - timedelta(days=n * 400)  # some arrive back-dated
            path = seeds / f"{stem}.txt"
            path.write_text(seed_text(serial, day=when.day, month=when.month, year=when.year), encoding="utf-8")
            expected_new.add(ID + stem)
        elif action == "edit":
            stem = stems[n % len(stems)]
            versions[stem] += 1
            path = seeds / f"{stem}.txt"
            text = path.read_text(encoding="utf-8").replace("\nBudi", f"\nRalat nomor {versions[stem]}.\nBudi")
            path.write_text(text, encoding="utf-8")
            expected_updated.add(ID + stem)
            touched_at[ID + stem] = step
        elif action == "delete":
            stem = stems[n % len(stems)]
            del versions[stem]
            (seeds / f"{stem}.txt").unlink()
            expected_deleted.add(ID + stem)
            touched_at[ID + stem] = step
        elif action == "touch":
            stem = stems[n % len(stems)]
            os.utime(seeds / f"{stem}.txt", (at(step).timestamp(), at(step).timestamp()))
        before = (out / "feed.atom").read_bytes() if (out / "feed.atom").exists() else None
        build(seeds, out, now=at(step))
        if action in ("touch", "rebuild") and before is not None:
            assert (out / "feed.atom").read_bytes() == before
        poll = reader.poll()
        assert (poll.new, poll.updated, poll.deleted) == (expected_new, expected_updated, expected_deleted)
        assert all_ids(out) == {ID + s for s in versions} == set(reader.known)
        for page in poll.pages_fetched:
            fetched[page] = (step, set(fetch(page).entries))
        for page, (when_fetched, ids) in fetched.items():
            if not any(touched_at.get(i, 0) > when_fetched for i in ids):
                assert page.read_bytes() == reader.pages[page], f"{page.name} changed with none of its entries"
