"""The build writes every enabled format, the same bytes on a rebuild, hub links included."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import lxml.html
from lxml import etree

from conftest import check_atom
from publish_support import SEEDS, reference_config
from seedfeed.build import build

ATOM = "{http://www.w3.org/2005/Atom}"


def _seeds(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in SEEDS.glob("*.txt"):
        shutil.copy(path, seeds / path.name)
    shutil.copy(SEEDS / "feed.toml", seeds / "feed.toml")
    return seeds


def _is_published(path: Path, out: Path) -> bool:
    # Hidden files (the parse cache) are the build's own, never served.
    return path.is_file() and not any(part.startswith(".") for part in path.relative_to(out).parts)


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if _is_published(p, out)}


def test_build_writes_all_formats_identically_on_rebuild(tmp_path: Path) -> None:
    seeds, out = _seeds(tmp_path), tmp_path / "public"
    first = build(seeds, out, now=datetime(2024, 1, 1, tzinfo=UTC))
    files = _snapshot(out)
    assert sorted(files) == [
        "articles/000_e462c374ae22f41e.html",
        "feed.atom",
        "feed.json",
        "feed.rss",
        "index.html",
    ]
    assert set(first.written) >= set(files)
    check_atom(files["feed.atom"])
    for name in ("feed.atom", "feed.rss"):
        parsed = feedparser.parse(files[name])
        assert parsed.bozo == 0, (name, parsed.get("bozo_exception"))
        assert parsed.entries[0].id == "tag:news.example.org,2023:000_e462c374ae22f41e"
    assert json.loads(files["feed.json"])["items"][0]["id"] == parsed.entries[0].id
    again = build(seeds, out, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert again.written == ()
    assert again.changed_feeds == ()
    assert _snapshot(out) == files


def test_build_honours_formats_and_hub(tmp_path: Path) -> None:
    seeds, out = _seeds(tmp_path), tmp_path / "public"
    config = replace(
        reference_config(),
        formats=frozenset({"atom", "rss"}),
        hub="https://hub.example.net/",
    )
    report = build(seeds, out, now=datetime(2024, 1, 1, tzinfo=UTC), config=config)
    assert sorted(p.name for p in out.iterdir() if _is_published(p, out)) == ["feed.atom", "feed.rss"]
    assert report.hub == "https://hub.example.net/"
    assert report.changed_feeds == (
        "https://news.example.org/feed.atom",
        "https://news.example.org/feed.rss",
    )
    atom = check_atom((out / "feed.atom").read_bytes())
    assert [link.get("href") for link in atom.findall(f"{ATOM}link[@rel='hub']")] == ["https://hub.example.net/"]
    rss = etree.parse(str(out / "feed.rss")).getroot()
    assert [link.get("href") for link in rss.findall(f"channel/{ATOM}link[@rel='hub']")] == ["https://hub.example.net/"]


def test_build_site_links_feeds_of_the_build(tmp_path: Path) -> None:
    seeds, out = _seeds(tmp_path), tmp_path / "public"
    build(seeds, out, now=datetime(2024, 1, 1, tzinfo=UTC))
    index = lxml.html.fromstring((out / "index.html").read_bytes())
    (href,) = [a.get("href") for a in index.findall(".//main/article/h2/a")]
    assert (out / href).is_file()
