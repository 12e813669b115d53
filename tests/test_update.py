"""A build that finds only edits of published seeds updates them, and leaves and prints what the full build would.

When, since the last snapshot, the only change in the seeds folder is that
some published seeds were edited (no seed added or removed; feed.toml, the
ledger and the outputs as the snapshot has them), ``seedfeed build`` parses
just those seeds and rewrites what shows them. Every run here goes through
the executable and is compared with a twin folder built in full, without
any cache, at the moment the run recorded as the edited seeds' updated time
(``test_append.Site.run``): every output file, the ledger, what was printed
and the exit code must be the same, whether the update path answered or the
full build did.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import feedparser
import lxml.html
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml import etree

import seedfeed.cli
from conftest import A, check_atom
from seedfeed import entry, snapshot
from seedfeed.cache import CACHE_DIR
from seedfeed.ledger import LEDGER_NAME, load_ledger
from test_append import (
    BAD_PNG,
    CONFIGS,
    DATED_CORPUS,
    GENERATOR,
    MARGIN,
    NEW_SEEDS,
    NEWEST,
    RELATIVE,
    SEEDS,
    SETTLED,
    WITH_ID,
    Run,
    Site,
    _Clock,
    atom_entries,
    entry_id,
    expected_output,
    feed_toml,
    finish_process,
    same_size_edit,
    start,
)
from test_snapshot import EMPTY

DELETED = "{http://purl.org/atompub/tombstones/1.0}deleted-entry"
# Added to a lead paragraph by an edit: text no seed of the corpus holds.
NOTE = "Catatan redaksi ditambahkan kemudian."


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Site:
    return Site(tmp_path, monkeypatch, capsys)


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a build vouch for seeds written a moment ago; the real margin has its own tests below."""
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)


def use_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the executable read ``_Clock``, which ``_Clock.offset`` moves on by weeks."""
    monkeypatch.setattr(_Clock, "offset", timedelta(0))
    monkeypatch.setattr(entry, "datetime", _Clock)
    monkeypatch.setattr(seedfeed.cli, "datetime", _Clock)


def by_arrival(site: Site) -> list[str]:
    """Return the stems of the ledger's records, in order of arrival."""
    records = load_ledger(site.seeds / LEDGER_NAME).records
    return sorted(records, key=lambda stem: records[stem].arrival)


def seed_path(site: Site, stem: str) -> Path:
    return site.seeds / f"{stem}.txt"


def _text_lines(path: Path) -> tuple[list[str], int]:
    """Return a seed's lines and the index of its title line (after its front matter, if any)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return lines, lines.index("---", 1) + 1 if lines[0] == "---" else 0


def add_to_lead(path: Path, sentence: str = NOTE) -> None:
    """Edit a seed: ``sentence`` at the end of its lead paragraph (the line after the title)."""
    lines, title = _text_lines(path)
    lines[title + 1] += " " + sentence
    path.write_text("\n".join(lines), encoding="utf-8")


def retitle(path: Path, new_title: str) -> None:
    """Edit a seed: another title line."""
    lines, title = _text_lines(path)
    lines[title] = new_title
    path.write_text("\n".join(lines), encoding="utf-8")


def meeting(day: str, *, place: str = "Jakarta") -> str:
    """Return a dated Indonesian seed with a byline, of ``day`` ("18 Oktober 2023"; without a year: a notice)."""
    return (
        f"Pertemuan menteri di {place}\n"
        f"Para menteri bertemu di {place} pada {day} untuk membahas perdagangan.\n"
        "Huyen Le (Menurut AFP)\n"
    )


def begin(site: Site, extra_seeds: dict[str, str | bytes], *, max_entries: int = 5, extra: str = "") -> Run:
    """Write 11 dated seeds of the corpus and ``extra_seeds``, and build them in full."""
    site.write_config(feed_toml(max_entries=max_entries, extra=extra))
    site.add_corpus(DATED_CORPUS[:11])
    for name, data in extra_seeds.items():
        site.write(name, data)
    first = site.run()
    assert first.answered is None
    assert first.report.count("new") == 11 + len(extra_seeds)
    return first


def _xml_text(element: etree._Element | None, name: str) -> str:
    """Return the text of an Atom child element, whose HTML content is parsed to its text."""
    assert element is not None
    text = element.findtext(f"{A}{name}") or ""
    return lxml.html.fromstring(text).text_content() if name == "content" else text


def atom_entry(path: Path, id_: str) -> etree._Element | None:
    """Return the entry of this id in an Atom document, or None."""
    root = check_atom(path.read_bytes())
    return next((e for e in root.findall(f"{A}entry") if e.findtext(f"{A}id") == id_), None)


def listing(path: Path, stem: str) -> tuple[str, str] | None:
    """Return the linked title and the lead a site page (index.html, archive/<k>.html) shows of ``stem``; or None."""
    page = lxml.html.fromstring(path.read_bytes())
    for article in page.iter("article"):
        link = article.find(".//h2/a")
        if link is not None and unquote(link.get("href", "")).endswith(f"articles/{stem}.html"):
            return link.text_content(), article.findtext(".//p[@class='lead']") or ""
    return None


def assert_shown(site: Site, run: Run, stem: str, *, title: str, text: str | None = None) -> None:
    """Assert that every page and feed holding ``stem`` shows ``title`` (and ``text`` in its lead), and its new time.

    The article page, the archive page of its arrival (Atom and site), the
    index page when it is among the newest arrivals, feed.atom (an edited
    entry is shown again there), feed.rss and feed.json.
    """
    article = lxml.html.fromstring((site.out / "articles" / f"{stem}.html").read_bytes())
    assert article.findtext(".//h1") == title
    if text is not None:
        assert text in article.find(".//div[@class='content']").text_content()
    record = run.after.records[stem]
    # The edit's moment (the twin's full build was given it, and recorded the same): after the record's last one.
    assert record.updated > run.before.records[stem].updated
    assert record.updated >= record.published
    size = _max_entries(site)
    last = run.after.next_arrival - 1
    page = (record.arrival - 1) // size + 1
    places: list[Path] = [site.out / "feed.atom"]
    if page <= last // size:
        places += [site.out / "archive" / f"{page}.atom", site.out / "archive" / f"{page}.html"]
    if record.arrival > last - size:
        places.append(site.out / "index.html")
    for path in places:
        if path.suffix == ".atom":
            element = atom_entry(path, record.id)
            assert _xml_text(element, "title") == title, path
            assert datetime.fromisoformat(_xml_text(element, "updated")) == record.updated, path
            assert datetime.fromisoformat(_xml_text(element, "published")) == record.published, path
            if text is not None:
                assert text in _xml_text(element, "content"), path
        else:
            shown = listing(path, stem)
            assert shown is not None, path
            assert shown[0] == title, path
            if text is not None:
                assert text in shown[1], path
    # No other archive page holds it.
    for other in sorted((site.out / "archive").glob("*.atom")):
        if other.stem != str(page):
            assert atom_entry(other, record.id) is None, other
    # The other feeds hold the newest of what feed.atom holds: where they hold it, its title.
    items = {item["id"]: item["title"] for item in json.loads((site.out / "feed.json").read_bytes())["items"]}
    rss = feedparser.parse((site.out / "feed.rss").read_bytes())
    assert rss.bozo == 0
    for shown in (items, {e.id: e.title for e in rss.entries}):
        assert set(shown) <= set(dict(atom_entries(site.out)))
        assert shown.get(record.id, title) == title


def _max_entries(site: Site) -> int:
    text = (site.seeds / "feed.toml").read_text(encoding="utf-8")
    (line,) = [line for line in text.splitlines() if line.startswith("max_entries")]
    return int(line.split("=")[1])


def assert_update_report(run: Run, edited: set[str]) -> None:
    """Assert that the update path answered for just these stems, printed "updated", the others "unchanged"."""
    assert run.answered == "update"
    assert run.edited_stems == edited
    assert {stem for stem, change in run.report.changes.items() if change == "updated"} == edited
    titles = {head.stem: head.title for head in run.report.heads}
    changes = [change for change, _day, _title in run.lines()]
    assert sorted(changes) == sorted(["updated"] * len(edited) + ["unchanged"] * (len(titles) - len(edited)))
    assert sorted(title for change, _day, title in run.lines() if change == "updated") == sorted(
        titles[stem] for stem in edited
    )
    summary = run.stdout.splitlines()[-1]
    assert summary.startswith(f"{len(titles)} published: 0 new, {len(edited)} updated, 0 removed, "), summary


def assert_then_noop_and_append(site: Site, run: Run) -> None:
    """Assert that a rebuild is answered by the snapshot the update recorded, and that a new seed is then appended."""
    again = site.run()
    assert again.answered == "noop"
    assert again.lines() == [("unchanged", day, title) for _change, day, title in run.lines()]
    assert again.stderr == run.stderr
    site.write("zz_newest_flood.txt", NEWEST)
    appended = site.run()
    assert appended.answered == "append"
    assert appended.new_stems == {"zz_newest_flood"}


# 1. Equivalence: edits of published seeds, wherever their entries are shown.


@dataclass(frozen=True)
class Edits:
    picks: Callable[[list[str]], list[str]]  # the stems to edit, of the stems in order of arrival
    max_entries: int = 5
    generated: int = 0  # seeds appended after the first build


EDITS = {
    # Eleven arrivals, five a page: archive/1 (arrivals 1-5), archive/2 (6-10), the 11th only in index.html.
    "newest": Edits(lambda stems: stems[-1:]),
    "archived": Edits(lambda stems: stems[:1]),
    "three": Edits(lambda stems: [stems[0], stems[6], stems[-1]]),
    "32-generated": Edits(lambda stems: stems[-32:], max_entries=50, generated=32),
}


@pytest.mark.parametrize("case", EDITS.values(), ids=EDITS.keys())
@pytest.mark.usefixtures("settled")
def test_update_edited_seeds_give_the_full_builds_bytes_and_report(site: Site, case: Edits) -> None:
    start(site, config=feed_toml(max_entries=case.max_entries))
    if case.generated:
        site.add_generated(range(case.generated))
        assert site.run().answered == "append"
    else:
        assert {"archive/1.atom", "archive/2.atom"} <= {p.relative_to(site.out).as_posix() for p in site.out.rglob("*")}
    assert site.run().answered == "noop"
    stems = by_arrival(site)
    edited = case.picks(stems)
    for stem in edited:
        add_to_lead(seed_path(site, stem))
    run = site.run()
    assert_update_report(run, set(edited))
    assert run.code == 0
    titles = {head.stem: head.title for head in run.report.heads}
    for stem in edited:
        assert_shown(site, run, stem, title=titles[stem], text=NOTE)
    # The seeds not edited keep their records and their pages.
    for stem in set(stems) - set(edited):
        assert run.after.records[stem] == run.before.records[stem]
        page = lxml.html.fromstring((site.out / "articles" / f"{stem}.html").read_bytes())
        assert NOTE not in page.text_content()
    assert_then_noop_and_append(site, run)


@pytest.mark.parametrize("flags", [(), ("--json",)], ids=["text", "json"])
@pytest.mark.usefixtures("settled")
def test_update_a_bulk_correction_over_many_archive_pages(
    site: Site, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...]
) -> None:
    """More edits than 32, on most of the archive pages at once: built alone when the folder is large enough."""
    start(site, config=feed_toml(max_entries=5), flags=flags)
    for batch in (range(30), range(30, 60)):
        site.add_generated(batch)
        assert site.run(*flags).answered == "append"
    assert site.run(*flags).answered == "noop"
    # A folder of 71 seeds allows 32 (snapshot.update_limit); here as one a hundred times larger would.
    assert snapshot.update_limit(71) == 32
    monkeypatch.setattr(snapshot, "UPDATE_SHARE", 1)
    stems = by_arrival(site)
    edited = stems[::2][:34]  # every other arrival: 34 seeds, on 14 archive pages
    for stem in edited:
        add_to_lead(seed_path(site, stem))
    run = site.run(*flags)  # and the twin's full build: the same bytes, the same report
    assert run.answered == "update"
    assert run.edited_stems == set(edited)
    if not flags:
        assert_update_report(run, set(edited))
    for stem in edited[:3]:
        assert NOTE in (site.out / "articles" / f"{stem}.html").read_text(encoding="utf-8")
    # One more than the limit: the full build.
    monkeypatch.setattr(snapshot, "UPDATE_SHARE", 200)
    for stem in stems[1::2][:33]:
        add_to_lead(seed_path(site, stem))
    assert site.run(*flags).answered is None


@pytest.mark.parametrize("position", [0, 4, 10], ids=["oldest", "last-of-archive-1", "newest"])
@pytest.mark.usefixtures("settled")
def test_update_a_new_title_shows_everywhere(site: Site, position: int) -> None:
    start(site)
    stem = by_arrival(site)[position]
    old_title = next(head.title for head in site.run().report.heads if head.stem == stem)
    retitle(seed_path(site, stem), "Laporan lengkap diperbarui oleh redaksi")
    run = site.run()
    assert_update_report(run, {stem})
    assert_shown(site, run, stem, title="Laporan lengkap diperbarui oleh redaksi")
    assert old_title not in [title for _change, _day, title in run.lines()]
    assert_then_noop_and_append(site, run)


@pytest.mark.parametrize("day", ["3 Februari 2021", "20 November 2025"], ids=["earlier", "newest-of-all"])
@pytest.mark.usefixtures("settled")
def test_update_a_new_date_moves_the_entry_as_the_full_build(site: Site, day: str) -> None:
    begin(site, {"rapat.txt": meeting("18 Oktober 2023")})
    before = site.run()
    assert before.answered == "noop"
    seed_path(site, "rapat").write_text(meeting(day), encoding="utf-8")
    run = site.run()
    assert_update_report(run, {"rapat"})
    title = "Pertemuan menteri di Jakarta"
    record = run.after.records["rapat"]
    assert record.published != run.before.records["rapat"].published
    assert record.arrival == run.before.records["rapat"].arrival  # its archive page stays
    # Newest published first: the entry's line moved (the full build's stdout is the same, line for line).
    days = [line_day for _change, line_day, _title in run.lines()]
    assert days == sorted(days, reverse=True)
    old_at = [t for _c, _d, t in before.lines()].index(title)
    new_at = [t for _c, _d, t in run.lines()].index(title)
    assert new_at != old_at
    assert (new_at == 0) is (day == "20 November 2025")
    assert_shown(site, run, "rapat", title=title)
    assert_then_noop_and_append(site, run)


def _warned_stems(run: Run) -> list[str]:
    """Return the stem of the seed each warning line on stderr names, in order."""
    return [
        Path(line.removeprefix("warning: ").split(":", 1)[0]).stem
        for line in run.stderr.splitlines()
        if line.startswith("warning: ")
    ]


@pytest.mark.parametrize("name", ["0_rapat.txt", "zz_rapat.txt"], ids=["named-first", "named-last"])
@pytest.mark.usefixtures("settled")
def test_update_adds_and_removes_a_notice_in_arrival_order(site: Site, name: str) -> None:
    # Dated 2 March 2024: its arrival is between the corpus seeds of February and March 2024.
    begin(site, {name: meeting("2 Maret 2024")})
    stem = Path(name).stem
    assert stem not in _warned_stems(site.run())
    for text, has_notice in ((meeting("2 Maret"), True), (meeting("2 Maret 2024"), False)):
        seed_path(site, stem).write_text(text, encoding="utf-8")
        run = site.run()
        assert_update_report(run, {stem})
        notices = [n for n in run.report.notices if n.path.name == name]
        assert any("year inferred" in n.message for n in notices) is has_notice
        warned = [line for line in run.stderr.splitlines() if line.startswith(f"warning: {SEEDS / name}")]
        assert warned == [f"warning: {notice}" for notice in notices]
        # Every seed's notices in order of arrival, the edited seed's at its place.
        arrivals = [run.after.records[warned_stem].arrival for warned_stem in _warned_stems(run)]
        assert arrivals == sorted(arrivals)
        assert (stem in _warned_stems(run)) is has_notice
        assert len(set(_warned_stems(run))) > 3
    assert_then_noop_and_append(site, run)


@pytest.mark.usefixtures("settled")
def test_update_the_same_seed_edited_again_and_again(site: Site) -> None:
    start(site)
    stem = by_arrival(site)[2]
    path = seed_path(site, stem)
    original = path.read_bytes()
    runs = []
    for sentence in (NOTE, "Koreksi kedua dari redaksi."):
        add_to_lead(path, sentence)
        runs.append(site.run())
        assert_update_report(runs[-1], {stem})
        assert_shown(site, runs[-1], stem, title=_title(runs[-1], stem), text=sentence)
    # Back to the bytes it was first published with: an edit too.
    path.write_bytes(original)
    runs.append(site.run())
    assert_update_report(runs[-1], {stem})
    updated = [run.after.records[stem].updated for run in runs]
    # updated only moves forward, by a second at least, however fast the edits come.
    assert all(later - earlier >= timedelta(seconds=1) for earlier, later in itertools.pairwise(updated))
    page = lxml.html.fromstring((site.out / "articles" / f"{stem}.html").read_bytes())
    assert NOTE not in page.text_content()
    assert_then_noop_and_append(site, runs[-1])


def _title(run: Run, stem: str) -> str:
    return next(head.title for head in run.report.heads if head.stem == stem)


def _shown_ids(site: Site) -> tuple[set[str], list[str]]:
    """Return the ids of feed.atom's entries and the refs of its tombstones."""
    root = check_atom((site.out / "feed.atom").read_bytes())
    return {e.findtext(f"{A}id") or "" for e in root.findall(f"{A}entry")}, [
        d.get("ref") or "" for d in root.findall(DELETED)
    ]


@pytest.mark.usefixtures("settled")
def test_update_across_tombstone_periods_as_the_full_build(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tombstones and edits are announced for tombstone_days (30) after the ledger's newest event.
    use_clock(monkeypatch)
    start(site, config=feed_toml(extra="tombstone_days = 30\n"))
    stems = by_arrival(site)
    seed_path(site, stems[2]).unlink()
    removed = site.run()
    # A removal alone is built alone too: its tombstone is announced from then on.
    assert removed.answered == "update"
    assert removed.report.removed == (entry_id(stems[2]),)
    newest = {entry_id(stem) for stem in stems[-5:]}
    expected: list[tuple[int, str, set[str], list[str]]] = [
        # days later, the seed edited, the archived entries feed.atom shows then, its tombstones
        (0, stems[0], {stems[0]}, [stems[2]]),
        (20, stems[1], {stems[0], stems[1]}, [stems[2]]),
        # 40 days on: the first edit and the removal are past the period, the second edit is not.
        (20, stems[3], {stems[1], stems[3]}, []),
    ]
    for days, stem, shown, deleted in expected:
        _Clock.offset += timedelta(days=days)
        add_to_lead(seed_path(site, stem))
        run = site.run()
        assert_update_report(run, {stem})
        ids, refs = _shown_ids(site)
        assert ids == newest | {entry_id(s) for s in shown}
        assert refs == [entry_id(s) for s in deleted]
        assert len(run.after.tombstones) == len(deleted)
    _Clock.offset += timedelta(days=40)
    assert site.run().answered == "noop"
    # A new arrival, 80 days on: no edit is recent enough any more.
    site.write("zz_newest_flood.txt", NEWEST)
    assert site.run().answered == "append"
    ids, refs = _shown_ids(site)
    assert ids == {entry_id(stem) for stem in [*stems[-4:], "zz_newest_flood"]}
    assert refs == []


@pytest.mark.usefixtures("settled")
def test_update_beside_a_rejected_seed_reports_it_and_exits_1(site: Site) -> None:
    site.write("zz_empty.txt", EMPTY)
    start(site)
    stem = by_arrival(site)[5]
    add_to_lead(seed_path(site, stem))
    run = site.run()
    assert_update_report(run, {stem})
    assert run.code == 1
    assert run.stderr.splitlines()[0] == f"rejected: {SEEDS / 'zz_empty.txt'}: {run.report.rejected[0].problem}"
    assert site.run().answered == "noop"


@pytest.mark.parametrize("flags", [("--quiet",), ("--strict",), ("-q", "--strict")], ids=["quiet", "strict", "both"])
@pytest.mark.usefixtures("settled")
def test_update_with_flags_that_only_change_what_is_printed(site: Site, flags: tuple[str, ...]) -> None:
    start(site)
    stem = by_arrival(site)[0]
    add_to_lead(seed_path(site, stem))
    run = site.run(*flags)
    assert run.answered == "update"
    assert run.edited_stems == {stem}
    assert (run.lines() == []) is ("-q" in flags or "--quiet" in flags)
    assert site.run().answered == "noop"


@pytest.mark.parametrize("flags", [("--json",), ("--json", "-q")], ids=["json", "json-quiet"])
@pytest.mark.usefixtures("settled")
def test_update_with_json_prints_the_full_builds_json_report(site: Site, flags: tuple[str, ...]) -> None:
    name = "0_rapat.txt"
    stem = Path(name).stem
    begin(site, {name: meeting("2 Maret 2024")})
    assert site.run(*flags).answered is None  # the text report was recorded: the JSON one is built once
    assert site.run(*flags).answered == "noop"
    # Edited to a date without a year: a notice now, and the entry moves to this year's place.
    seed_path(site, stem).write_text(meeting("2 Maret"), encoding="utf-8")
    run = site.run(*flags)  # compared byte for byte with the full build's JSON (Site.run)
    assert run.answered == "update"
    report = json.loads(run.stdout)
    assert (report["new"], report["updated"], report["removed"], report["published"]) == (0, 1, 0, 12)
    assert [item["id"] for item in report["entries"] if item["change"] == "updated"] == [entry_id(name)]
    assert report["entries"][0]["id"] == entry_id(name)
    assert any(n["path"].endswith(name) and "year inferred" in n["message"] for n in report["notices"])
    assert f"articles/{stem}.html" in report["written"]
    assert site.run(*flags).answered == "noop"
    # Removed: its id and tombstone listed, its notices gone, its page deleted.
    seed_path(site, stem).unlink()
    run = site.run(*flags)
    assert run.answered == "update"
    report = json.loads(run.stdout)
    assert (report["removed"], report["removed_ids"], report["published"]) == (1, [entry_id(name)], 11)
    assert entry_id(name) in {tombstone["ref"] for tombstone in report["tombstones"]}
    assert not any(n["path"].endswith(name) for n in report["notices"])
    assert f"articles/{stem}.html" in report["written"]
    assert site.run(*flags).answered == "noop"


@pytest.mark.parametrize("is_from", [False, True], ids=["to-it", "from-it"])
@pytest.mark.parametrize("name_data", NEW_SEEDS.values(), ids=NEW_SEEDS.keys())
@pytest.mark.usefixtures("settled")
def test_update_any_kind_of_seed_text(
    site: Site, monkeypatch: pytest.MonkeyPatch, name_data: tuple[str, bytes], is_from: bool
) -> None:
    # A published seed edited to a text of another kind (front matter, no date, a legacy encoding,
    # markup, control characters, a BOM), or from it to a plain dated text.
    use_clock(monkeypatch)
    name, data = name_data
    plain = meeting("18 Oktober 2023").encode("utf-8")
    begin(site, {name: plain if not is_from else data})
    # An hour on: a seed dated by its first-seen time is not dated at the edit's very second.
    _Clock.offset = timedelta(hours=1)
    site.write(name, data if not is_from else plain)
    run = site.run()
    stem = Path(name).stem
    record = run.after.records[stem]
    # Dated after the build, an edit is the full build's to record (its updated time is its published one).
    assert run.answered == (None if record.published > run.now else "update")
    assert run.edited_stems == {stem}
    assert run.report.changes[stem] == "updated"
    if run.answered == "update":
        assert_shown(site, run, stem, title=_title(run, stem))
    assert site.run().answered == "noop"


def test_update_weeks_later_dates_by_the_first_seen_time(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    # A seed without a year, or with only relative dates, is dated by its record's first-seen time:
    # an edit weeks later (past the new year) must not date it by the clock.
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)
    use_clock(monkeypatch)
    begin(site, {"rapat.txt": meeting("20 Desember"), RELATIVE[0].name: RELATIVE[0].read_bytes()})
    relative = RELATIVE[0].stem
    for days in (40, 400):
        _Clock.offset = timedelta(days=days)
        add_to_lead(seed_path(site, "rapat"), f"Catatan redaksi setelah {days} hari.")
        add_to_lead(seed_path(site, relative), f"Catatan redaksi setelah {days} hari.")
        run = site.run()
        assert_update_report(run, {"rapat", relative})
        for stem in ("rapat", relative):
            assert run.after.records[stem].published == run.before.records[stem].published
            assert run.after.records[stem].first_seen == run.before.records[stem].first_seen
    assert site.run().answered == "noop"


@pytest.mark.usefixtures("settled")
def test_update_after_the_clock_was_set_back(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    # A removal recorded at a later time than the edit: the ledger's newest event is not the edit.
    use_clock(monkeypatch)
    start(site)
    stems = by_arrival(site)
    _Clock.offset = timedelta(days=20)
    seed_path(site, stems[3]).unlink()
    assert site.run().answered == "update"
    add_to_lead(seed_path(site, stems[1]))
    assert_update_report(site.run(), {stems[1]})
    _Clock.offset = timedelta(0)
    # One seed edited last at the later time (its updated time moves on by a second), one not.
    add_to_lead(seed_path(site, stems[0]))
    add_to_lead(seed_path(site, stems[1]), "Koreksi kedua dari redaksi.")
    run = site.run()
    assert_update_report(run, {stems[0], stems[1]})
    assert run.after.records[stems[1]].updated == run.before.records[stems[1]].updated + timedelta(seconds=1)
    assert run.after.records[stems[0]].updated < run.after.records[stems[1]].updated
    ids, refs = _shown_ids(site)
    assert {entry_id(stems[0]), entry_id(stems[1])} <= ids
    assert refs == [entry_id(stems[3])]
    assert site.run().answered == "noop"


@pytest.mark.parametrize("name", ["aa_rapat.txt", "zz_rapat.txt"], ids=["id-sorted-first", "id-sorted-last"])
@pytest.mark.usefixtures("settled")
def test_update_to_the_moment_of_another_entry_orders_by_id(site: Site, name: str) -> None:
    # es_numerico is dated 12 December 2023: the two entries then share their published time.
    begin(site, {name: meeting("18 Oktober 2023")})
    stem = Path(name).stem
    site.write(name, meeting("12 Desember 2023"))
    run = site.run()
    assert_update_report(run, {stem})
    heads = {head.stem: head for head in run.report.heads}
    assert heads[stem].published == heads["es_numerico"].published
    titles = [title for _change, _day, title in run.lines()]
    mine, theirs = titles.index(heads[stem].title), titles.index(heads["es_numerico"].title)
    assert abs(mine - theirs) == 1
    assert (mine < theirs) is (entry_id(name) < entry_id("es_numerico"))
    assert site.run().answered == "noop"


@pytest.mark.parametrize("config", [config for config, _has_html in CONFIGS.values()], ids=CONFIGS.keys())
@pytest.mark.usefixtures("settled")
def test_update_under_other_configurations(site: Site, config: str) -> None:
    start(site, count=7, config=config)
    stems = by_arrival(site)
    seed_path(site, stems[6]).unlink()  # a tombstone, unless they expire at once
    assert site.run().answered == "update"
    add_to_lead(seed_path(site, stems[0]))
    assert site.run().answered == "update"
    retitle(seed_path(site, stems[5]), "Laporan lengkap diperbarui oleh redaksi")
    add_to_lead(seed_path(site, stems[1]))
    run = site.run()
    assert_update_report(run, {stems[1], stems[5]})
    assert site.run().answered == "noop"


def test_update_in_a_process_of_its_own(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    # The process has the real margin: the edits below are too recent for their stat alone.
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)
    start(site)
    monkeypatch.setattr(snapshot, "SETTLE_NS", MARGIN)
    stems = by_arrival(site)
    add_to_lead(seed_path(site, stems[0]))
    first = site.run(is_separate=True)
    assert_update_report(first, {stems[0]})
    retitle(seed_path(site, stems[0]), "Laporan lengkap diperbarui oleh redaksi")
    add_to_lead(seed_path(site, stems[8]))
    second = site.run("--quiet", is_separate=True)
    assert second.answered == "update"
    assert second.edited_stems == {stems[0], stems[8]}
    noop = site.run(is_separate=True)
    assert noop.answered == "noop"


def test_update_by_two_processes_at_once_builds_once(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two cron jobs overlap: one updates under the build lock, the other then finds nothing to do.
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)
    start(site)
    stem = by_arrival(site)[2]
    add_to_lead(seed_path(site, stem))
    site.copy_to_twin()
    before = load_ledger(site.seeds / LEDGER_NAME)
    finished = sorted(
        (finish_process(process) for process in site.start_processes(2)),
        key=lambda result: str(result[0]),
    )
    assert [answered for answered, *_rest in finished] == ["noop", "update"]
    after = load_ledger(site.seeds / LEDGER_NAME)
    now = after.records[stem].updated
    assert now > before.records[stem].updated
    report = site.build_twin(now)
    site.assert_same_as_twin()
    assert finished[1][1:] == expected_output(report, ())
    assert report.changes[stem] == "updated"
    # What the other printed is what a rebuild with nothing new prints.
    assert finished[0][1:] == expected_output(site.build_twin(now + timedelta(minutes=1)), ())
    site.assert_same_as_twin()


@pytest.mark.usefixtures("settled")
def test_update_in_an_archive_page_an_append_filled(site: Site) -> None:
    # Nine arrivals, five a page: two more fill archive/2, which the append path writes.
    start(site, count=9)
    site.add_generated([40, 41])
    assert site.run().answered == "append"
    assert (site.out / "archive" / "2.atom").is_file()
    stems = by_arrival(site)
    for stem in (stems[6], stems[9]):
        add_to_lead(seed_path(site, stem))
    run = site.run()
    assert_update_report(run, {stems[6], stems[9]})
    for stem in (stems[6], stems[9]):
        assert_shown(site, run, stem, title=_title(run, stem), text=NOTE)
    assert_then_noop_and_append(site, run)


@pytest.mark.usefixtures("settled")
def test_update_beside_a_removed_entry_of_the_same_archive_page(site: Site) -> None:
    start(site)
    stems = by_arrival(site)
    seed_path(site, stems[1]).unlink()
    assert site.run().answered == "update"
    add_to_lead(seed_path(site, stems[0]))
    add_to_lead(seed_path(site, stems[2]))
    run = site.run()
    assert_update_report(run, {stems[0], stems[2]})
    assert atom_entry(site.out / "archive" / "1.atom", entry_id(stems[1])) is None
    assert_shown(site, run, stems[0], title=_title(run, stems[0]), text=NOTE)
    assert_then_noop_and_append(site, run)


@pytest.mark.usefixtures("settled")
def test_update_moves_a_notice_to_another_line(site: Site) -> None:
    # Seeds whose year is inferred: the notice names the date's line, which a new line above moves.
    start(site)
    noted = sorted({n.path.stem for n in site.run().report.notices if "year inferred" in n.message})
    assert len(noted) >= 3
    for stem in noted[:3]:
        lines, title = _text_lines(seed_path(site, stem))
        lines.insert(title + 1, NOTE)
        seed_path(site, stem).write_text("\n".join(lines), encoding="utf-8")
    run = site.run()
    assert_update_report(run, set(noted[:3]))
    for stem in noted[:3]:
        (line,) = [n.line for n in run.report.notices if n.path.stem == stem and "year inferred" in n.message]
        assert line == 3
    arrivals = [run.after.records[stem].arrival for stem in _warned_stems(run)]
    assert arrivals == sorted(arrivals)
    assert_then_noop_and_append(site, run)


@pytest.mark.usefixtures("settled")
def test_update_same_text_in_other_line_endings(site: Site) -> None:
    # CRLF line endings: other bytes; whatever the content hash makes of them, the full build's answer.
    start(site)
    path = seed_path(site, by_arrival(site)[3])
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    run = site.run()
    assert run.answered in ("update", None)
    assert (run.answered == "update") is bool(run.edited_stems)
    assert site.run().answered == "noop"


# 2. Seeds written a moment ago: the real margin.


def test_update_chain_over_seeds_just_written(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)
    start(site, config=feed_toml(max_entries=10))
    # From here on the real margin: every seed below is written just before the build that reads it.
    monkeypatch.setattr(snapshot, "SETTLE_NS", MARGIN)
    (name,) = site.add_generated([5])
    stem = Path(name).stem
    assert site.run().answered == "append"
    # The seed just appended, edited at once, then again.
    for edit in (1, 2):
        seed_path(site, stem).write_bytes(GENERATOR.make_seed(5, edit=edit).data)
        run = site.run()
        assert_update_report(run, {stem})
        assert f"({edit})" in lxml.html.fromstring((site.out / "articles" / f"{stem}.html").read_bytes()).text_content()
    # An older seed and the new one at once; then the older one again.
    old = by_arrival(site)[3]
    add_to_lead(seed_path(site, old))
    seed_path(site, stem).write_bytes(GENERATOR.make_seed(5, edit=3).data)
    assert_update_report(site.run(), {old, stem})
    add_to_lead(seed_path(site, old), "Koreksi kedua dari redaksi.")
    assert_update_report(site.run(), {old})
    assert site.run().answered == "noop"
    site.add_generated([6])
    assert site.run().answered == "append"


@pytest.mark.parametrize("is_just_appended", [False, True], ids=["settled-seed", "seed-just-appended"])
def test_update_same_size_edit_that_keeps_the_mtime_is_built(
    site: Site, monkeypatch: pytest.MonkeyPatch, is_just_appended: bool
) -> None:
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)
    start(site)
    if is_just_appended:
        monkeypatch.setattr(snapshot, "SETTLE_NS", MARGIN)
        (name,) = site.add_generated([5])
        assert site.run().answered == "append"
        path = site.seeds / name
    else:
        assert site.run().answered == "noop"
        path = site.seeds / "en_weekday_full_date.txt"
    stat = path.stat()
    path.write_bytes(same_size_edit(path.read_bytes()))
    # Size, mtime and inode as the last build saw them: the ctime, which no program sets back, tells.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns, path.stat().st_ino) == (
        stat.st_size,
        stat.st_mtime_ns,
        stat.st_ino,
    )
    run = site.run()
    assert run.answered in ("update", None)
    assert run.report.changes[path.stem] == "updated"
    assert run.edited_stems == {path.stem}


# 3. Anything but edits the update path is sure of: the full build.


def _edit_one(site: Site) -> None:
    add_to_lead(seed_path(site, by_arrival(site)[1]))


def _edit_and_add(site: Site) -> None:
    _edit_one(site)
    site.add_generated([7])


def _edit_and_remove(site: Site) -> None:
    _edit_one(site)
    seed_path(site, by_arrival(site)[4]).unlink()


def _edit_and_rename(site: Site) -> None:
    stem = by_arrival(site)[4]
    add_to_lead(seed_path(site, stem))
    seed_path(site, stem).rename(site.seeds / f"{stem}_renamed.txt")


def _edit_33(site: Site) -> None:
    for index in range(100, 133):
        name, data = GENERATOR.make_seed(index, edit=1).name, GENERATOR.make_seed(index, edit=1).data
        site.write(name, data)


def _now_empty(site: Site) -> None:
    seed_path(site, by_arrival(site)[1]).write_text(EMPTY, encoding="utf-8")


def _now_binary(site: Site) -> None:
    seed_path(site, by_arrival(site)[1]).write_bytes(BAD_PNG)


def _rejected_now_good(site: Site) -> None:
    site.write("zz_empty.txt", meeting("18 Oktober 2023", place="Medan"))


def _rejected_still(site: Site) -> None:
    site.write("zz_empty.txt", BAD_PNG)


def _front_matter_own_id(site: Site) -> None:
    path = seed_path(site, stem := by_arrival(site)[1])
    path.write_bytes(f"---\nid: {entry_id(stem)}\n---\n".encode() + path.read_bytes())


def _front_matter_other_id(site: Site) -> None:
    path = seed_path(site, by_arrival(site)[1])
    path.write_bytes(b"---\nid: tag:news.example.org,2023:another\n---\n" + path.read_bytes())


def _edit_with_id(site: Site) -> None:
    add_to_lead(site.seeds / "with_id.txt")


def _now_too_large(site: Site) -> None:
    add_to_lead(seed_path(site, by_arrival(site)[1]), "Paragraf panjang dari redaksi. " * 100)


def _touch(site: Site) -> None:
    path = seed_path(site, by_arrival(site)[1])
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def _rewrite_same(site: Site) -> None:
    path = seed_path(site, by_arrival(site)[1])
    path.write_bytes(path.read_bytes())


def _future_date_in_text(site: Site) -> None:
    site.write("rapat.txt", meeting("18 Oktober 2031"))


def _future_date_in_front_matter(site: Site) -> None:
    site.write("rapat.txt", "---\ndate: 2031-06-01T09:30:00+07:00\n---\n" + meeting("18 Oktober 2023"))


def _relay_ledger(site: Site) -> None:
    ledger = site.seeds / LEDGER_NAME
    ledger.write_text(json.dumps(json.loads(ledger.read_bytes()), indent=1), encoding="utf-8")
    _edit_one(site)


def _lose_cache(site: Site) -> None:
    # Everything of the cache but the snapshot itself.
    for path in sorted((site.out / CACHE_DIR).iterdir()):
        if path.name != snapshot.SNAPSHOT_NAME:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    _edit_one(site)


def _edit_config(site: Site) -> None:
    config = site.seeds / "feed.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("Test feed", "Another feed"), encoding="utf-8")
    _edit_one(site)


def _deface_edited_page(site: Site) -> None:
    stem = by_arrival(site)[1]
    with (site.out / "articles" / f"{stem}.html").open("ab") as fh:
        fh.write(b"<p>defaced</p>")
    _edit_one(site)


@dataclass(frozen=True)
class Fallback:
    change: Callable[[Site], None]
    flags: tuple[str, ...] = ()
    initial_flags: tuple[str, ...] = ()
    extra: str = ""  # feed.toml keys
    max_entries: int = 5
    seeds: dict[str, str | bytes] = field(default_factory=dict)  # of the first build, beside 11 of the corpus
    generated: int = 0  # seeds 100, 101, … of the first build
    rejected: bool = False  # a seed of the first build is rejected
    # The full build records its snapshot; not when an id changed under the same name (a rebuild
    # would parse the seed with the new record's first-seen time, which this build did not).
    is_recorded: bool = True


REJECTED = {"zz_empty.txt": EMPTY}
RAPAT = {"rapat.txt": meeting("18 Oktober 2023")}
FALLBACKS = {
    "strict-over-a-rejection": Fallback(_edit_one, flags=("--strict",), seeds=REJECTED, rejected=True),
    "complete": Fallback(_edit_one, extra="complete = true\n"),
    "hub": Fallback(_edit_one, extra='hub = "https://hub.example.org/"\n'),
    "edited-and-added": Fallback(_edit_and_add),
    "edited-and-removed": Fallback(_edit_and_remove),
    "edited-and-renamed": Fallback(_edit_and_rename),
    "more-than-32-edited": Fallback(_edit_33, max_entries=50, generated=33),
    "edited-now-empty": Fallback(_now_empty),
    "edited-now-binary": Fallback(_now_binary),
    "edited-now-too-large": Fallback(_now_too_large, extra="max_seed_bytes = 3000\n"),
    "rejected-before-now-good": Fallback(_rejected_now_good, seeds=REJECTED, rejected=True),
    "rejected-before-still-rejected": Fallback(_rejected_still, seeds=REJECTED, rejected=True),
    "front-matter-id-of-its-own": Fallback(_front_matter_own_id),
    "front-matter-id-of-another": Fallback(_front_matter_other_id, is_recorded=False),
    "front-matter-id-kept": Fallback(_edit_with_id, seeds={"with_id.txt": WITH_ID}),
    "touched": Fallback(_touch),
    "rewritten-identically": Fallback(_rewrite_same),
    "future-date-in-text": Fallback(_future_date_in_text, seeds=RAPAT),
    "future-date-in-front-matter": Fallback(_future_date_in_front_matter, seeds=RAPAT),
    "ledger-changed": Fallback(_relay_ledger),
    "cache-lost": Fallback(_lose_cache),
    "config-edited": Fallback(_edit_config),
    "output-edited": Fallback(_deface_edited_page),
}


@pytest.mark.parametrize("case", FALLBACKS.values(), ids=FALLBACKS.keys())
@pytest.mark.usefixtures("settled")
def test_update_falls_back_to_the_full_build(site: Site, case: Fallback) -> None:
    site.write_config(feed_toml(max_entries=case.max_entries, extra=case.extra))
    site.add_corpus(DATED_CORPUS[:11])
    site.add_generated(range(100, 100 + case.generated))
    for name, data in case.seeds.items():
        site.write(name, data)
    first = site.run(*case.initial_flags)
    assert first.answered is None
    assert first.code == (1 if case.rejected else 0)
    # A rebuild with nothing new is answered: the snapshot is there to be used.
    assert site.run(*case.initial_flags).answered == "noop"
    case.change(site)
    pings = len(site.pings)
    run = site.run(*case.flags)
    assert run.answered is None
    if case.extra.startswith("hub"):
        # The full build tells the hub, as the update path could not.
        (told,) = site.pings[pings:]
        assert "https://news.example.org/feed.atom" in told
    if "--strict" in case.flags:
        assert run.report.is_withheld
        assert run.after == run.before
    # What was not answered was recorded: the next rebuild is (unless the build withheld everything).
    if case.is_recorded and not run.report.is_withheld:
        assert site.run(*case.flags).answered == "noop"


@pytest.mark.parametrize("change", ["edit", "add"])
@pytest.mark.usefixtures("settled")
def test_update_full_build_after_the_cache_was_lost_saves_a_new_one(site: Site, change: str) -> None:
    # The fast path finds no parse cache and leaves the build to the full build, which makes a new one.
    start(site)
    assert site.run().answered == "noop"
    for path in sorted((site.out / CACHE_DIR).iterdir()):
        if path.name != snapshot.SNAPSHOT_NAME:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    if change == "edit":
        add_to_lead(seed_path(site, by_arrival(site)[1]))
    else:
        site.add_generated([7])
    assert site.run().answered is None
    # The next edit is built alone, from the cache that full build saved.
    add_to_lead(seed_path(site, by_arrival(site)[4]))
    assert site.run().answered == "update"


# 4. Any history of edits: each build gives what the full build of the same history gives.


OPERATIONS = st.tuples(
    st.sampled_from(
        ["add", "edit", "edit", "edit-several", "retitle", "redate", "delete", "build", "build", "later", "earlier"]
    ),
    st.integers(0, 99),
)
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober")
PAGE = 4  # max_entries of the history's feed: archive pages come soon
EDIT_OPERATIONS = frozenset({"edit", "edit-several", "retitle", "redate"})
# Plain nouns: no word of a date or of a time of day.
WORDS = ("kopi", "teh", "beras", "jagung", "gula", "garam", "kapal", "kereta", "jembatan", "pasar")


def _words(number: int) -> str:
    """Return a title made of words only (no digits: a title holds no date) for ``number``."""
    digits = [WORDS[int(d)] for d in str(number)]
    return "Laporan " + " ".join(digits)


def play(
    site: Site,
    monkeypatch: pytest.MonkeyPatch,
    steps: list[tuple[str, int]],
    *,
    tombstone_days: int,
    is_settled: bool,
    flags: tuple[str, ...] = (),
) -> list[tuple[str, str | None]]:
    """Play a history of operations over a folder, each build compared with the full build; return what answered each.

    Every build is run with ``flags``.

    Each build's entry: what changed since the build before ("edits" of seeds it
    built, and nothing else; "removals" of seeds it built, and nothing else;
    "nothing"; or "other": a seed added, or edits and removals together), and
    what answered.
    """
    use_clock(monkeypatch)
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)
    site.write_config(feed_toml(max_entries=PAGE, extra=f"tombstone_days = {tombstone_days}\n"))
    versions = {
        name: (index, 0) for index, name in zip(range(2000, 2006), site.add_generated(range(2000, 2006)), strict=True)
    }
    assert site.run(*flags).answered is None
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED if is_settled else MARGIN)
    serial = 2006
    built = set(versions)  # the seeds of the last build
    edited: set[str] = set()  # the seeds edited since
    answers: list[tuple[str, str | None]] = []
    for operation, number in [*steps, ("build", 0)]:
        present = sorted(versions)
        if operation == "add":
            for name in site.add_generated(range(serial, serial + 1 + number % 2)):
                versions[name] = (serial, 0)
                serial += 1
        elif operation in EDIT_OPERATIONS and present:
            count = 2 + number % 3 if operation == "edit-several" else 1
            for name in {present[(number + k) % len(present)] for k in range(count)}:
                index, edits = versions[name]
                versions[name] = (index, edits + 1)
                edited.add(name)
                if operation == "retitle":
                    retitle(site.seeds / name, _words(serial))
                    serial += 1
                elif operation == "redate":
                    # Another date (it may be another seed's too), and a meeting's title.
                    day = f"{1 + number % 28} {MONTHS[number % 10]} {2019 + edits % 6}"
                    site.write(name, meeting(day, place=_words(serial).removeprefix("Laporan ").title()))
                    serial += 1
                else:
                    site.write(name, GENERATOR.make_seed(index, edit=edits + 1).data)
        elif operation == "delete" and present:
            name = present[number % len(present)]
            (site.seeds / name).unlink()
            del versions[name]
        elif operation == "later":
            _Clock.offset += timedelta(days=1 + number % 40)
        elif operation == "earlier":
            # The clock set back: events recorded later than the next build's time.
            _Clock.offset -= timedelta(days=1 + number % 10)
        elif operation == "build":
            kind = "other" if set(versions) != built else "edits" if edited & built else "nothing"
            if set(versions) < built and not edited & set(versions):
                kind = "removals"
            run = site.run(*flags)
            assert run.code == 0
            if kind == "nothing":
                assert run.answered in ("noop", None)
            if run.answered == "update" and kind == "removals":
                assert set(run.after.records) == {Path(name).stem for name in versions}
            elif run.answered == "update":
                assert kind == "edits"
                assert run.edited_stems == {Path(name).stem for name in edited & built}
            if run.answered == "append":
                assert kind == "other"
                assert built < set(versions)
            answers.append((kind, run.answered))
            built, edited = set(versions), set()
    return answers


@settings(max_examples=15)
# A seed added and removed again before a build: only the edit is left to build.
@example(is_settled=False, tombstone_days=0, steps=[("add", 0), ("edit", 0), ("delete", 6)], is_json=False)
# A removal whose tombstone expires at once: no days kept, and the clock set back behind the last build.
@example(
    is_settled=False,
    tombstone_days=0,
    steps=[("edit", 0), ("delete", 0), ("earlier", 0), ("build", 0), ("add", 0)],
    is_json=True,
)
@given(
    is_settled=st.booleans(),
    tombstone_days=st.sampled_from([0, 3, 30]),
    steps=st.lists(OPERATIONS, min_size=1, max_size=10),
    is_json=st.booleans(),
)
def test_update_any_history_of_edits_builds_as_the_full_build(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    is_settled: bool,
    tombstone_days: int,
    steps: list[tuple[str, int]],
    is_json: bool,
) -> None:
    site = Site(Path(tempfile.mkdtemp(dir=tmp_path)), monkeypatch, capsys)
    flags = ("--json",) if is_json else ()
    play(site, monkeypatch, steps, tombstone_days=tombstone_days, is_settled=is_settled, flags=flags)


HISTORY = [
    ("edit", 0),
    ("build", 0),
    ("edit-several", 3),
    ("build", 0),
    ("retitle", 5),
    ("redate", 7),
    ("build", 0),
    ("later", 12),
    ("edit", 2),
    ("build", 0),
    ("add", 0),
    ("build", 0),
    ("edit", 6),
    ("retitle", 6),
    ("build", 0),
    ("delete", 1),
    ("build", 0),
    ("later", 39),
    ("edit-several", 8),
    ("build", 0),
    ("edit", 4),
]


@pytest.mark.parametrize("flags", [(), ("--json",)], ids=["text", "json"])
@pytest.mark.parametrize("is_settled", [True, False], ids=["settled", "real-margin"])
def test_update_answers_histories_of_edits(
    site: Site, monkeypatch: pytest.MonkeyPatch, is_settled: bool, flags: tuple[str, ...]
) -> None:
    answers = play(site, monkeypatch, HISTORY, tombstone_days=30, is_settled=is_settled, flags=flags)
    edits_only = [answered for kind, answered in answers if kind == "edits"]
    assert len(edits_only) == 7
    assert "update" in edits_only
    if is_settled:
        # Every build vouched for what it read: each build of edits alone is answered.
        assert edits_only == ["update"] * 7
