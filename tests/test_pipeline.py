"""End to end: a seeds folder becomes a valid, stable Atom feed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import feedparser

from conftest import REFERENCE_SEED, A, check_atom
from seedfeed.build import build
from seedfeed.ledger import LEDGER_NAME

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
LATER = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
LEFTOVERS = ("[iklan_2]", "Tautan sumber", "Komentar (0)")


def test_build_reference_seed_gives_expected_entry(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    report = build(seeds_dir, out, now=NOW)
    assert report.rejected == ()
    root = check_atom((out / "feed.atom").read_bytes())
    entries = root.findall(f"{A}entry")
    assert len(entries) == 1
    entry = entries[0]
    title_line = REFERENCE_SEED.read_text(encoding="utf-8").split("\n")[0]
    assert entry.findtext(f"{A}title") == title_line
    assert entry.findtext(f"{A}published") == "2023-10-18T00:00:00+07:00"
    assert entry.findtext(f"{A}updated") == "2023-10-18T00:00:00+07:00"
    assert entry.findtext(f"{A}author/{A}name") == "Huyen Le"
    assert entry.findtext(f"{A}id") == "tag:news.example.org,2023:000_e462c374ae22f41e"
    content = entry.findtext(f"{A}content") or ""
    assert all(leftover not in content for leftover in LEFTOVERS)
    assert root.findtext(f"{A}updated") == "2023-10-18T00:00:00+07:00"


def test_build_feed_parses_in_feedparser_as_readers_see_it(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build(seeds_dir, out, now=NOW)
    parsed = feedparser.parse((out / "feed.atom").read_bytes())
    assert parsed.bozo == 0
    assert parsed.feed.title == "Test feed"
    [self_link] = [link for link in parsed.feed.links if link.rel == "self"]
    assert self_link.href == "https://news.example.org/feed.atom"
    [entry] = parsed.entries
    assert entry.author == "Huyen Le"
    assert entry.published_parsed[:3] == (2023, 10, 17)  # feedparser gives UTC: 00:00+07:00 is 17:00Z
    assert entry.link == "https://news.example.org/articles/000_e462c374ae22f41e.html"
    assert entry.links[0].rel == "alternate"
    assert entry.links[0].type == "text/html"
    assert entry.summary.startswith("Menteri Luar Negeri Rusia Sergey Lavrov tiba di Pyongyang pada 18 Oktober")
    assert "AFP" in entry.content[0].value


def test_build_again_with_nothing_new_is_byte_identical(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build(seeds_dir, out, now=NOW)
    feed = (out / "feed.atom").read_bytes()
    ledger = (seeds_dir / LEDGER_NAME).read_bytes()
    mtime = (out / "feed.atom").stat().st_mtime_ns
    report = build(seeds_dir, out, now=LATER)
    assert (out / "feed.atom").read_bytes() == feed
    assert (seeds_dir / LEDGER_NAME).read_bytes() == ledger
    assert report.written == ()
    assert (out / "feed.atom").stat().st_mtime_ns == mtime


def test_build_after_body_edit_keeps_id_and_moves_updated(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build(seeds_dir, out, now=NOW)
    before = check_atom((out / "feed.atom").read_bytes()).find(f"{A}entry")
    assert before is not None
    seed = seeds_dir / REFERENCE_SEED.name
    lines = seed.read_text(encoding="utf-8").split("\n")
    lines[3] = lines[3] + " Kalimat tambahan."
    seed.write_text("\n".join(lines), encoding="utf-8")
    report = build(seeds_dir, out, now=LATER)
    assert report.count("updated") == 1
    after = check_atom((out / "feed.atom").read_bytes()).find(f"{A}entry")
    assert after is not None
    assert after.findtext(f"{A}id") == before.findtext(f"{A}id")
    assert after.findtext(f"{A}published") == before.findtext(f"{A}published")
    assert after.findtext(f"{A}updated") == "2027-06-01T19:00:00+07:00"


def test_build_rejects_bad_seed_and_publishes_the_others(seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / "broken.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (seeds_dir / "empty.txt").write_text("  \n\n", encoding="utf-8")
    out = tmp_path / "public"
    report = build(seeds_dir, out, now=NOW)
    assert sorted(e.path.name for e in report.rejected) == ["broken.txt", "empty.txt"]
    assert all(str(e).startswith(str(e.path)) for e in report.rejected)
    root = check_atom((out / "feed.atom").read_bytes())
    assert [e.findtext(f"{A}id") for e in root.findall(f"{A}entry")] == [
        "tag:news.example.org,2023:000_e462c374ae22f41e"
    ]


def test_build_orders_entries_newest_first(make_seeds, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seeds = make_seeds(
        {
            "a.txt": "Old news\nIt happened on 3 March 2021 in Jakarta.\n",
            "b.txt": "New news\nIt happened on 5 May 2024 in Bandung.\n",
            "c.txt": "Middle news\nIt happened on 1 January 2023 in Medan.\n",
        }
    )
    out = tmp_path / "public"
    build(seeds, out, now=NOW)
    root = check_atom((out / "feed.atom").read_bytes())
    assert [e.findtext(f"{A}title") for e in root.findall(f"{A}entry")] == ["New news", "Middle news", "Old news"]
    assert root.findtext(f"{A}updated") == "2024-05-05T00:00:00+07:00"


def test_build_undated_seed_uses_first_seen_time_stably(make_seeds, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seeds = make_seeds({"undated.txt": "No date here\nSomething happened somewhere, some time.\n"})
    out = tmp_path / "public"
    report = build(seeds, out, now=NOW)
    [entry] = report.entries
    assert entry.date_source == "first-seen"
    assert entry.published == NOW
    assert any("no date found" in n.message for n in report.notices)
    build(seeds, out, now=LATER)
    root = check_atom((out / "feed.atom").read_bytes())
    assert root.findtext(f"{A}entry/{A}published") == "2026-01-05T15:00:00+07:00"


def test_build_entry_in_other_language_carries_xml_lang(make_seeds, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seeds = make_seeds(
        {"en.txt": "---\nlanguage: en\n---\nEnglish headline\nIt happened on October 18, 2023 in London.\n"}
    )
    out = tmp_path / "public"
    build(seeds, out, now=NOW)
    root = check_atom((out / "feed.atom").read_bytes())
    entry = root.find(f"{A}entry")
    assert entry is not None
    assert entry.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert entry.findtext(f"{A}published") == "2023-10-18T00:00:00+07:00"
    link = entry.find(f"{A}link")
    assert link is not None
    assert link.get("hreflang") == "en"
