"""A build that finds only removals of published seeds builds just them, as the full build would.

When, since the last snapshot, the only change in the seeds folder is that
some published seeds are gone, ``seedfeed build`` turns their records into
tombstones and rewrites what showed them (``update.py``). Every run here
goes through the executable and is compared with a twin folder built in
full, without any cache, at the moment the run dated the tombstones
(``test_append.Site.run``): every output file, the ledger, what was printed
and the exit code must be the same, whichever answered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

import lxml.html
import pytest

import seedfeed.cli
from conftest import A, check_atom
from seedfeed import entry, snapshot
from seedfeed.ledger import LEDGER_NAME, load_ledger
from test_append import DATED_CORPUS, NEWEST, NO_YEAR, SETTLED, WITH_ID, Site, entry_id, feed_toml, start
from test_snapshot import EMPTY

TOMBSTONE = "{http://purl.org/atompub/tombstones/1.0}deleted-entry"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Site:
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)  # builds vouch for seeds written a moment ago
    return Site(tmp_path, monkeypatch, capsys)


def arrivals(site: Site) -> list[str]:
    """Return the stems of the last run's ledger records, in order of arrival."""
    records = load_ledger(site.seeds / LEDGER_NAME).records
    return sorted(records, key=lambda stem: records[stem].arrival)


def subscription(site: Site) -> tuple[list[str], list[str]]:
    """Return the ids of feed.atom's entries and of its tombstones."""
    root = check_atom((site.out / "feed.atom").read_bytes())
    return [e.findtext(f"{A}id") or "" for e in root.findall(f"{A}entry")], [
        t.get("ref") or "" for t in root.findall(TOMBSTONE)
    ]


@pytest.mark.parametrize("which", [0, 4, 7, 10], ids=["first-arrival", "archive-page-1", "archive-page-2", "newest"])
def test_remove_one_seed_gives_the_full_builds_bytes_and_report(site: Site, which: int) -> None:
    start(site)  # 11 seeds, 5 an archive page: pages 1 and 2 full, the newest 5 in feed.atom
    assert site.run().answered == "noop"
    stem = arrivals(site)[which]
    (site.seeds / f"{stem}.txt").unlink()
    run = site.run()
    assert run.answered == "update"
    assert run.report.removed == (entry_id(stem),)
    assert run.stdout.splitlines()[-1].startswith("10 published: 0 new, 0 updated, 1 removed, 10 unchanged")
    assert stem not in {title for _change, _day, title in run.lines()}
    assert not (site.out / "articles" / f"{stem}.html").exists()
    ids, tombstones = subscription(site)
    assert tombstones == [entry_id(stem)]
    assert entry_id(stem) not in ids
    left = arrivals(site)
    # feed.atom holds the newest five arrivals still there: one that arrived before takes the removed one's place.
    assert set(ids) == {entry_id(s) for s in left[-5:]}
    page = (which // 5) + 1
    if which < 10:
        # The archive page that held it no longer does, in Atom and in HTML.
        root = check_atom((site.out / "archive" / f"{page}.atom").read_bytes())
        held = {e.findtext(f"{A}id") for e in root.findall(f"{A}entry")}
        assert entry_id(stem) not in held
        assert len(held) == 4
        html = lxml.html.fromstring((site.out / "archive" / f"{page}.html").read_bytes())
        assert f"../articles/{stem}.html" not in {link.get("href") for link in html.iter("a")}
    # Nothing new since: the snapshot the removal recorded answers; a new seed is appended on it.
    assert site.run().answered == "noop"
    site.write("zz_newest_flood.txt", NEWEST)
    assert site.run().answered == "append"


def test_remove_several_seeds_and_their_notices(site: Site) -> None:
    start(site)
    site.write("aa_no_year.txt", NO_YEAR)
    site.write("zz_no_year.txt", NO_YEAR.replace("Bandung", "Bogor"))
    assert site.run().answered == "append"
    assert "aa_no_year" in site.run().stderr  # its notice, repeated by every build
    names = ["aa_no_year.txt", "zz_no_year.txt", DATED_CORPUS[3].name]
    for name in names:
        (site.seeds / name).unlink()
    run = site.run()
    assert run.answered == "update"
    assert sorted(run.report.removed) == sorted(entry_id(name) for name in names)
    # The removed seeds' notices are gone from the report, as the full build prints it (Site.run compares).
    assert "aa_no_year" not in run.stderr
    assert "zz_no_year" not in run.stderr
    _ids, tombstones = subscription(site)
    assert sorted(tombstones) == sorted(entry_id(name) for name in names)
    assert site.run().answered == "noop"


def test_remove_more_than_32_seeds_in_a_large_enough_folder(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """A retraction of many articles at once, over many archive pages, built alone (``snapshot.update_limit``)."""
    start(site, config=feed_toml(max_entries=5))
    for batch in (range(30), range(30, 60)):
        site.add_generated(batch)
        assert site.run().answered == "append"
    monkeypatch.setattr(snapshot, "UPDATE_SHARE", 1)  # 71 seeds allow 71, as 14,200 would allow by default
    gone = arrivals(site)[1::2][:34]
    for stem in gone:
        (site.seeds / f"{stem}.txt").unlink()
    run = site.run()  # and the twin's full build: the same bytes, the same report
    assert run.answered == "update"
    assert len(run.report.removed) == 34
    assert not any((site.out / "articles" / f"{stem}.html").exists() for stem in gone)
    assert site.run().answered == "noop"


def test_remove_a_seed_with_a_front_matter_id_announces_that_id(site: Site) -> None:
    start(site)
    site.write("with_id.txt", WITH_ID)
    assert site.run().answered is None  # a front matter id: the full build's
    (site.seeds / "with_id.txt").unlink()
    run = site.run()
    assert run.answered == "update"
    assert run.report.removed == ("tag:news.example.org,2023:kept",)
    _ids, tombstones = subscription(site)
    assert tombstones == ["tag:news.example.org,2023:kept"]
    # The id is a tombstone's now: a new seed claiming it is the full build's to decide.
    site.write("claims_it.txt", WITH_ID)
    assert site.run().answered is None


def test_remove_then_edit_then_remove_again(site: Site) -> None:
    start(site, config=feed_toml(max_entries=3))
    stems = arrivals(site)
    (site.seeds / f"{stems[1]}.txt").unlink()
    assert site.run().answered == "update"
    path = site.seeds / f"{stems[2]}.txt"
    path.write_bytes(path.read_bytes() + b"\nParagraf tambahan dari redaksi.\n")
    assert site.run().answered == "update"
    (site.seeds / f"{stems[2]}.txt").unlink()
    (site.seeds / f"{stems[9]}.txt").unlink()
    run = site.run()
    assert run.answered == "update"
    assert set(run.report.removed) == {entry_id(stems[2]), entry_id(stems[9])}
    _ids, tombstones = subscription(site)
    assert set(tombstones) == {entry_id(stems[s]) for s in (1, 2, 9)}


def test_remove_the_seed_that_holds_the_ledgers_newest_event(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    # No tombstone days: the feed keeps a tombstone only as new as the ledger's newest event.
    start(site, config=feed_toml(extra="tombstone_days = 0\n"))
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)

    class Stopped(datetime):
        """The clock the executable reads, stopped: two edits in one second."""

        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]  # a plain datetime
            return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)

    monkeypatch.setattr(entry, "datetime", Stopped)
    monkeypatch.setattr(seedfeed.cli, "datetime", Stopped)
    stem = arrivals(site)[3]
    path = site.seeds / f"{stem}.txt"
    for extra in (b"\nTambahan.\n", b"\nTambahan lagi.\n"):
        path.write_bytes(path.read_bytes() + extra)
        assert site.run().answered == "update"
    # The second edit in the same second: dated a second ahead of the clock, the ledger's newest event.
    assert load_ledger(site.seeds / LEDGER_NAME).records[stem].updated == moment + timedelta(seconds=1)
    path.unlink()
    # That event leaves with the seed: the next newest is among every record, the full build's to find
    # (run() compares every output with a twin built in full at the same moment).
    run = site.run()
    assert run.answered is None
    assert run.report.removed == (entry_id(stem),)
    assert subscription(site)[1] == [entry_id(stem)]


def _remove_rejected(site: Site) -> None:
    (site.seeds / "zz_empty.txt").unlink()


def _remove_all(site: Site) -> None:
    for path in site.seeds.glob("*.txt"):
        path.unlink()


def _remove_33(site: Site) -> None:
    for path in sorted(site.seeds.glob("*.txt"))[:33]:
        path.unlink()


def _remove_and_edit(site: Site) -> None:
    paths = sorted(site.seeds.glob("*.txt"))
    paths[0].unlink()
    paths[1].write_bytes(paths[1].read_bytes() + b"\nTambahan.\n")


@pytest.mark.parametrize(
    ("change", "extra", "count"),
    [
        (_remove_rejected, "", 11),
        (_remove_all, "", 11),
        (_remove_33, "", 34),
        (_remove_and_edit, "", 11),
        (lambda site: next(iter(sorted(site.seeds.glob("*.txt")))).unlink(), 'hub = "https://hub.example.org/"\n', 11),
    ],
    ids=["a-rejected-seed", "every-seed", "more-than-32", "with-an-edit", "hub"],
)
def test_remove_falls_back_to_the_full_build(site: Site, change: object, extra: str, count: int) -> None:
    site.write("zz_empty.txt", EMPTY)
    if count > len(DATED_CORPUS):
        site.write_config(feed_toml(max_entries=50, extra=extra))
        site.add_generated(range(count))
        assert site.run().answered is None
    else:
        start(site, config=feed_toml(extra=extra))
    assert site.run().answered == "noop"
    assert callable(change)
    change(site)
    run = site.run()
    assert run.answered is None
    if change is _remove_rejected:
        # Never published: nothing to remove, and its rejection is gone with it.
        assert run.report.removed == ()
        assert run.report.rejected == ()
    else:
        assert run.report.removed
