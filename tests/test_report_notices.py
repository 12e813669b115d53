"""A full build's notices, as the report of the rebuild that follows lists them: by arrival, the same objects."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from seedfeed.build import BuildReport, build
from seedfeed.catalog import HeadNotices, seeds_folder
from seedfeed.ledger import LEDGER_NAME, Ledger, load_ledger
from seedfeed.snapshot import (
    _arrival_order,
    _notices_by_arrival,
    _notices_counted,
    _notices_json,
    _warning_lines,
    noop_report,
    notice_json,
)

NOW = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
# No byline and no year: two notices each, and the year comes from first-seen.
UNDATED = "Rapat di Bandung {n}\nRapat digelar di Bandung pada {day} Maret.\n"
# Dated, no byline: one notice. Named to sort first, dated to arrive last.
LATE = "Banjir di Semarang\nBanjir melanda Semarang pada 3 Desember 2023 setelah hujan deras.\n"
DATED = "Pertemuan menteri\nPara menteri bertemu pada 18 Oktober 2023.\nHuyen Le (Menurut AFP)\n"


def _report_of(seeds: Path, out: Path) -> tuple[BuildReport, Ledger, Path]:
    report = build(seeds, out, now=NOW)
    ledger_path = seeds / LEDGER_NAME
    return report, load_ledger(ledger_path), ledger_path


def test_full_build_notices_are_listed_by_arrival_as_counting_them_would(
    make_seeds: Callable[[dict[str, str | bytes]], Path], tmp_path: Path
) -> None:
    files: dict[str, str | bytes] = {"a_late.txt": LATE, "m_dated.txt": DATED}
    files |= {f"z{n}.txt": UNDATED.format(n=n, day=n + 1) for n in range(5)}
    seeds = make_seeds(files)
    # A corrupt ledger: its own notice comes first, and is not an entry's.
    (seeds / LEDGER_NAME).write_text("{not json", encoding="utf-8")
    report, after, ledger_path = _report_of(seeds, tmp_path / "out")
    assert report.notices[0].path == ledger_path
    by_arrival = _notices_by_arrival(report, after, ledger_path)
    heads = sorted(report.heads, key=lambda head: (after.records[head.stem].arrival, head.stem))
    assert by_arrival is not None
    assert by_arrival == _notices_counted(report, heads, ledger_path)
    # Every entry's notice, none twice, from the heads' notes (no notice made), in another order than the build's.
    assert isinstance(report.notices, HeadNotices)
    assert isinstance(by_arrival, HeadNotices)
    notes = [note for head in report.heads for note in head.full_notes(seeds_folder(seeds))]
    assert sorted(map(repr, by_arrival.plain())) == sorted(map(repr, notes))
    assert list(by_arrival.plain()) != list(report.notices.plain())[1:]
    assert by_arrival[-1].path.name == "a_late.txt"
    assert report.notices[1].path.name == "a_late.txt"
    assert len(by_arrival) >= 11


def test_notices_not_the_catalogs_in_its_order_are_counted_instead(
    make_seeds: Callable[[dict[str, str | bytes]], Path], tmp_path: Path
) -> None:
    seeds = make_seeds({"a_late.txt": LATE, "z0.txt": UNDATED.format(n=0, day=1)})
    report, after, ledger_path = _report_of(seeds, tmp_path / "out")
    swapped = replace(report, notices=tuple(reversed(report.notices)))
    assert _notices_by_arrival(swapped, after, ledger_path) is None
    heads = sorted(report.heads, key=lambda head: (after.records[head.stem].arrival, head.stem))
    counted = _notices_counted(swapped, heads, ledger_path)
    assert counted == _notices_by_arrival(report, after, ledger_path)
    # One notice more than the entries give: of another origin, so no rebuild report can be vouched for.
    extra = replace(report, notices=(*report.notices, report.notices[0]))
    assert _notices_by_arrival(extra, after, ledger_path) is None
    assert noop_report(report, before=after, after=after, ledger_path=ledger_path, now=NOW) is not None
    assert noop_report(extra, before=after, after=after, ledger_path=ledger_path, now=NOW) is None


def test_arrival_order_is_by_number_then_stem() -> None:
    # Numbers alone when each is once (a ledger's), with the stems to break ties otherwise.
    heads = [SimpleNamespace(stem=stem) for stem in ("d", "c", "b", "a")]
    assert _arrival_order(array("q", [4, 2, 3, 1]), heads) == [3, 1, 2, 0]  # type: ignore[arg-type]
    assert _arrival_order(array("q", [2, 1, 2, 1]), heads) == [3, 1, 2, 0]  # type: ignore[arg-type]
    assert _arrival_order(array("q", [5, 5, 5, 5]), heads) == [3, 2, 1, 0]  # type: ignore[arg-type]
    assert _arrival_order(array("q"), []) == []


def test_head_notices_print_as_notices_do(make_seeds: Callable[[dict[str, str | bytes]], Path], tmp_path: Path) -> None:
    """The report's lines and JSON items, made from the notes' strings, are those of the Notice objects."""
    files: dict[str, str | bytes] = {"a_late.txt": LATE, "m_dated.txt": DATED}
    files |= {f"z{n}.txt": UNDATED.format(n=n, day=n + 1) for n in range(3)}
    seeds = make_seeds(files)
    (seeds / LEDGER_NAME).write_text("{not json", encoding="utf-8")  # a notice of the build's own, first
    report, _after, _ledger_path = _report_of(seeds, tmp_path / "out")
    assert isinstance(report.notices, HeadNotices)
    made = tuple(report.notices)
    assert len(made) == len(report.notices) >= 8
    assert any(n.line is None for n in made)
    assert any(n.line is not None for n in made)
    assert list(_warning_lines(report)) == [f"warning: {n}" for n in made]
    assert list(_notices_json(report.notices)) == [notice_json(n) for n in made]
    assert [report.notices[i] for i in range(-len(made), len(made))] == [*made, *made]
    assert report.notices[2:4] == made[2:4]
    assert report.notices == made
    assert made == report.notices
    assert report.notices != made[1:]
