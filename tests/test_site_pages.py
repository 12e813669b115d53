"""The site paginated by arrival: index.html holds the newest, archive/<k>.html the rest, linked backwards.

Listing pages are split as the Atom archive is: page ``k`` holds the arrivals
``(k-1)*size+1 … k*size`` once the ledger has passed ``k*size``. The tests
build real seeds from the corpus with a small page size, follow the links
of the rendered HTML (parsed with lxml) and check that a full page keeps its
bytes while new seeds arrive.
"""

from __future__ import annotations

import posixpath
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest

from conftest import FEED_TOML, TESTS
from publish_support import entry_from_text, reference_config
from seedfeed import outputs, parallel
from seedfeed.build import BuildReport, build
from seedfeed.cache import INDEX_ROW, ParseCache, cache_key, load_cache
from seedfeed.config import FeedConfig, load_config
from seedfeed.ledger import LEDGER_NAME, load_ledger
from seedfeed.model import Entry
from seedfeed.writers.html import page_file, render_site

CORPUS = TESTS / "data" / "corpus"
START = datetime(2024, 3, 1, 8, tzinfo=UTC)
SIZE = 3
ATOM = "application/atom+xml"


def _corpus(count: int) -> list[Path]:
    seeds = sorted(CORPUS.rglob("*.txt"))
    assert len(seeds) >= count
    return seeds[:count]


def _published(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)
    }


def _listings(files: dict[str, bytes]) -> dict[str, lxml.html.HtmlElement]:
    return {
        path: lxml.html.fromstring(data)
        for path, data in files.items()
        if path == "index.html" or (path.startswith("archive/") and path.endswith(".html"))
    }


def _older(page: lxml.html.HtmlElement) -> str | None:
    links = page.findall(".//nav[@class='pages']/a[@class='older']")
    assert len(links) <= 1
    return links[0].get("href") if links else None


def _article_links(page: lxml.html.HtmlElement) -> list[str]:
    return [a.get("href") for a in page.findall(".//main/article/h2/a")]


def _resolve(page: str, href: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), href))


def _walk(files: dict[str, bytes]) -> list[str]:
    """Return the listing pages met following "Older articles" from index.html, in order."""
    listings = _listings(files)
    met = ["index.html"]
    while (href := _older(listings[met[-1]])) is not None:
        met.append(_resolve(met[-1], href))
        assert met[-1] in files, f"{met[-2]} links to {href}, which is not there"
    return met


@pytest.fixture
def seeds(make_seeds: Callable[[dict[str, str | bytes]], Path]) -> Path:
    folder = make_seeds({p.name: p.read_bytes() for p in _corpus(8)})
    (folder / "feed.toml").write_text(FEED_TOML.replace("max_entries = 50", f"max_entries = {SIZE}"), "utf-8")
    return folder


def _check_against_reference(seeds: Path, out: Path, report: BuildReport) -> None:
    """Assert the site on disk is what the pure renderer makes of the report's entries and the ledger."""
    ledger = load_ledger(seeds / LEDGER_NAME)
    arrivals = {record.stem: record.arrival for record in ledger.records.values()}
    expected = render_site(load_config(seeds), report.entries, arrivals=arrivals, last_arrival=ledger.next_arrival - 1)
    site = {path: data for path, data in _published(out).items() if path.endswith(".html")}
    assert site == dict(expected)


def test_site_pages_split_by_arrival_link_backwards_and_reach_every_article(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = build(seeds, out, now=START, jobs=1)
    files = _published(out)
    # Eight arrivals, three a page: two full pages; the index holds the newest three.
    assert sorted(p for p in files if p.startswith("archive/") and p.endswith(".html")) == [
        "archive/1.html",
        "archive/2.html",
    ]
    assert _walk(files) == ["index.html", "archive/2.html", "archive/1.html"]
    listings = _listings(files)
    arrivals = {r.stem: r.arrival for r in load_ledger(seeds / LEDGER_NAME).records.values()}
    reached: list[str] = []
    for path, page in listings.items():
        assert (page.get("lang"), page.get("dir")) == ("id", "ltr")
        links = _article_links(page)
        for href in links:
            assert _resolve(path, href) in files
        stems = [posixpath.basename(href).removesuffix(".html") for href in links]
        numbers = sorted(arrivals[stem] for stem in stems)
        if path == "index.html":
            assert numbers == [6, 7, 8]
        else:
            k = int(posixpath.basename(path).removesuffix(".html"))
            assert numbers == list(range((k - 1) * SIZE + 1, k * SIZE + 1))
            # Back to the newest, never forward to the next page.
            (newest,) = page.findall(".//nav[@class='pages']/a[@class='newest']")
            assert _resolve(path, newest.get("href")) == "index.html"
            assert [a.get("class") for a in page.findall(".//nav[@class='pages']/a")] == (
                ["older", "newest"] if k > 1 else ["newest"]
            )
            # Its own Atom archive page, beside it, for feed readers.
            own = [
                link.get("href")
                for link in page.findall(".//head/link[@rel='alternate']")
                if link.get("href").endswith(f"archive/{k}.atom")
            ]
            assert own == [f"https://news.example.org/archive/{k}.atom"]
            assert f"archive/{k}.atom" in files
        # Newest published first on every page.
        times = [t.get("datetime") for t in page.findall(".//main/article//time")]
        assert times == sorted(times, reverse=True)
        reached.extend(stems)
    # The newest full page and the index may share arrivals (6 here): together they hold every one.
    assert set(reached) == {head.stem for head in report.heads}
    assert len(reached) == len(report.heads) + 1
    _check_against_reference(seeds, out, report)


def test_site_full_pages_keep_their_bytes_as_seeds_arrive(
    seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    build(seeds, out, now=START, jobs=1)
    before = _published(out)
    asked: list[list[str]] = []
    original = ParseCache.index_rows

    def spy(self: ParseCache, stems: list[str]) -> dict[str, tuple[bytes, bytes]]:
        asked.append(list(stems))
        return original(self, stems)

    monkeypatch.setattr(ParseCache, "index_rows", spy)
    rendered: list[str] = []  # the rows the listing pages rendered rather than took from the store
    render_row = outputs.render_index_row

    def count(config: FeedConfig, entry: Entry, *, prefix: str = "", is_stenciled: bool = True) -> str:
        rendered.append(prefix + entry.stem)
        return render_row(config, entry, prefix=prefix, is_stenciled=is_stenciled)

    monkeypatch.setattr(outputs, "render_index_row", count)
    extra = _corpus(11)[8:]
    shutil.copy(extra[0], seeds / extra[0].name)
    report = build(seeds, out, now=START + timedelta(hours=1), jobs=1)
    assert report.count("new") == 1
    # Arrival 9 fills page 3; pages 1 and 2 are neither rendered nor written again.
    assert "index.html" in report.written
    assert "archive/3.html" in report.written
    assert not {"archive/1.html", "archive/2.html"} & set(report.written)
    after = _published(out)
    assert after["archive/1.html"] == before["archive/1.html"]
    assert after["archive/2.html"] == before["archive/2.html"]
    # Only the new page's rows were asked of the store, by name, then the index's, by their own key.
    index = _article_stems(after["index.html"])
    assert [sorted(stems) for stems in asked] == [
        sorted(_article_stems(after["archive/3.html"])),
        sorted(INDEX_ROW + stem for stem in index),
    ]
    # The new seed's index row is the one row rendered; its archive row was made where it was parsed.
    new_stem = extra[0].stem
    assert rendered == [new_stem]
    _check_against_reference(seeds, out, report)

    asked.clear()
    rendered.clear()
    shutil.copy(extra[1], seeds / extra[1].name)
    report = build(seeds, out, now=START + timedelta(hours=2), jobs=1)
    assert report.count("new") == 1
    # Arrival 10 fills no page: the index alone, only its rows read, and only the new one rendered.
    assert [p for p in report.written if p.endswith(".html") and not p.startswith("articles/")] == ["index.html"]
    assert [sorted(stems) for stems in asked] == [
        sorted(INDEX_ROW + stem for stem in _article_stems(_published(out)["index.html"]))
    ]
    assert rendered == [extra[1].stem]
    assert _walk(_published(out)) == ["index.html", "archive/3.html", "archive/2.html", "archive/1.html"]
    _check_against_reference(seeds, out, report)


def test_site_store_keeps_the_index_rows_of_the_index_alone(seeds: Path, tmp_path: Path) -> None:
    """As seeds arrive one by one, the stored index rows are those of the entries index.html shows."""
    out = tmp_path / "out"
    extra = _corpus(12)[8:]
    build(seeds, out, now=START, jobs=1)
    for hour, seed in enumerate(extra, start=1):
        shutil.copy(seed, seeds / seed.name)
        report = build(seeds, out, now=START + timedelta(hours=hour), jobs=1)
        assert report.count("new") == 1
        store = load_cache(out, cache_key(seeds, load_config(seeds))).store
        stored = set(store.get_all("rows"))
        store.close()  # the store keeps SQLite's lock while open: the next build needs it
        index = _article_stems(_published(out)["index.html"])
        assert len(index) == SIZE
        assert {key for key in stored if key.startswith(INDEX_ROW)} == {INDEX_ROW + stem for stem in index}
        # Every entry keeps its archive row, under its stem.
        assert {key for key in stored if not key.startswith(INDEX_ROW)} == {p.stem for p in seeds.glob("*.txt")}
    _check_against_reference(seeds, out, report)


def test_site_store_drops_the_rows_of_removed_seeds(seeds: Path, tmp_path: Path) -> None:
    """A removed seed's rows leave the store, its archive row and its index row; every other seed's stay."""
    out = tmp_path / "out"
    build(seeds, out, now=START, jobs=1)
    index = _article_stems(_published(out)["index.html"])
    archived_only = sorted({p.stem for p in seeds.glob("*.txt")} - set(index))
    gone = [index[0], archived_only[0]]  # one with an index row, one without
    for stem in gone:
        (seeds / f"{stem}.txt").unlink()
    report = build(seeds, out, now=START + timedelta(hours=1), jobs=1)
    assert len(report.removed) == 2
    store = load_cache(out, cache_key(seeds, load_config(seeds))).store
    stored = set(store.get_all("rows"))
    store.close()
    left = {p.stem for p in seeds.glob("*.txt")}
    assert {key for key in stored if not key.startswith(INDEX_ROW)} == left
    shown = _article_stems(_published(out)["index.html"])
    assert {key for key in stored if key.startswith(INDEX_ROW)} <= {INDEX_ROW + stem for stem in shown}
    assert not {INDEX_ROW + stem for stem in gone} & stored
    _check_against_reference(seeds, out, report)


def _article_stems(data: bytes) -> list[str]:
    page = lxml.html.fromstring(data)
    return [posixpath.basename(href).removesuffix(".html") for href in _article_links(page)]


def test_site_edit_and_deletion_change_only_their_page(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(seeds, out, now=START, jobs=1)
    before = _published(out)
    on_page_one = _article_stems(before["archive/1.html"])
    on_page_two = _article_stems(before["archive/2.html"])
    (seeds / f"{on_page_one[0]}.txt").unlink()
    # An article of page 2 that the index does not show (arrival 6 is on both).
    archived_only = sorted(set(on_page_two) - set(_article_stems(before["index.html"])))
    assert len(archived_only) == 2
    edited = seeds / f"{archived_only[0]}.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nSatu paragraf lagi.\n", encoding="utf-8")
    report = build(seeds, out, now=START + timedelta(hours=1), jobs=1)
    assert report.count("updated") == 1
    assert len(report.removed) == 1
    after = _published(out)
    assert sorted(_article_stems(after["archive/1.html"])) == sorted(on_page_one[1:])
    assert sorted(_article_stems(after["archive/2.html"])) == sorted(on_page_two)
    assert after["archive/2.html"] != before["archive/2.html"]  # the edited article's lead
    assert after["index.html"] == before["index.html"]
    _check_against_reference(seeds, out, report)
    # A page whose every article was removed stays, empty, so the chain holds.
    for stem in on_page_one[1:]:
        (seeds / f"{stem}.txt").unlink()
    report = build(seeds, out, now=START + timedelta(hours=2), jobs=1)
    emptied = lxml.html.fromstring((out / "archive" / "1.html").read_bytes())
    assert _article_links(emptied) == []
    assert emptied.find(".//p[@class='empty']") is not None
    assert _walk(_published(out)) == ["index.html", "archive/2.html", "archive/1.html"]
    _check_against_reference(seeds, out, report)


def test_site_stale_pages_go_with_a_lost_ledger_and_complete_keeps_the_split(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(seeds, out, now=START, jobs=1)
    for path in sorted(seeds.glob("*.txt"))[:4]:
        path.unlink()
    build(seeds, out, now=START + timedelta(hours=1), jobs=1)
    # The ledger still counts eight arrivals: both pages stay.
    assert {"archive/1.html", "archive/2.html"} <= set(_published(out))
    (seeds / LEDGER_NAME).unlink()
    report = build(seeds, out, now=START + timedelta(hours=2), jobs=1)
    files = _published(out)
    # Numbered anew, four arrivals make one full page: page 2 goes, as its Atom page does.
    assert "archive/2.html" not in files
    assert "archive/2.atom" not in files
    assert "archive/2.html" in report.written
    assert _walk(files) == ["index.html", "archive/1.html"]
    _check_against_reference(seeds, out, report)

    # complete = true: one Atom document, but the site is still split by arrival.
    toml = seeds / "feed.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "complete = true\n", encoding="utf-8")
    report = build(seeds, out, now=START + timedelta(hours=3), jobs=1)
    files = _published(out)
    assert not [p for p in files if p.endswith(".atom") and p.startswith("archive/")]
    assert _walk(files) == ["index.html", "archive/1.html"]
    page = lxml.html.fromstring(files["archive/1.html"])
    # No Atom archive page to point to any more.
    assert [link.get("href") for link in page.findall(".//head/link[@type='application/atom+xml']")] == [
        "https://news.example.org/feed.atom"
    ]
    _check_against_reference(seeds, out, report)


def test_site_cached_and_parallel_builds_match_a_plain_build(
    seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_PARALLEL_SEEDS", 2)
    for hour in range(3):
        if hour == 1:  # four new seeds: page 3 fills
            for path in _corpus(12)[8:]:
                shutil.copy(path, seeds / path.name)
        if hour == 2:  # one removed from page 1
            sorted(seeds.glob("*.txt"))[2].unlink()
        now = START + timedelta(hours=hour)
        ledger = (seeds / LEDGER_NAME).read_bytes() if (seeds / LEDGER_NAME).exists() else None
        cached = build(seeds, tmp_path / "cached", now=now, jobs=2)
        if ledger is None:
            (seeds / LEDGER_NAME).unlink()
        else:
            (seeds / LEDGER_NAME).write_bytes(ledger)
        shutil.rmtree(tmp_path / "fresh", ignore_errors=True)
        build(seeds, tmp_path / "fresh", now=now, jobs=1, use_cache=False)
        assert _published(tmp_path / "cached") == _published(tmp_path / "fresh")
        _check_against_reference(seeds, tmp_path / "cached", cached)


def test_site_render_of_entries_links_resolve() -> None:
    config = reference_config(max_entries=2)
    texts = [p.read_text(encoding="utf-8") for p in _corpus(5)]
    entries = [entry_from_text(text, config, name=f"{n:03}.txt") for n, text in enumerate(texts)]
    # Arrivals 1..6 with 3 deleted: pages 1 (arrivals 1, 2) and 2 (arrival 4), the index 5 and 6.
    arrivals = {e.stem: number for e, number in zip(entries, (1, 2, 4, 5, 6), strict=True)}
    pages = render_site(config, entries, arrivals=arrivals, last_arrival=6)
    assert sorted(p for p in pages if not p.startswith("articles/")) == [
        "archive/1.html",
        "archive/2.html",
        "archive/3.html",
        "index.html",
    ]
    assert [sorted(_article_stems(pages[f"archive/{k}.html"])) for k in (1, 2, 3)] == [
        ["000", "001"],
        ["002"],
        ["003", "004"],
    ]
    assert _article_stems(pages["index.html"]) == _article_stems(pages["archive/3.html"])
    for path, data in pages.items():
        page = lxml.html.fromstring(data)
        for a in page.findall(".//a"):
            href = a.get("href")
            if not href.startswith("https://"):
                assert _resolve(path, href) in pages, (path, href)


def test_site_pages_removed_or_edited_by_hand_are_written_again(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(seeds, out, now=START, jobs=1)
    before = _published(out)
    (out / "archive" / "1.html").unlink()
    (out / "archive" / "2.html").write_bytes(b"<p>defaced</p>")
    (out / "archive" / "3.html").write_bytes(b"<p>a page no plan has</p>")
    report = build(seeds, out, now=START + timedelta(hours=1), jobs=1)
    assert {"archive/1.html", "archive/2.html", "archive/3.html"} <= set(report.written)
    assert _published(out) == before


def test_site_paths_hold_each_published_articles_page_and_the_listing_pages_alone() -> None:
    paths = outputs.SitePaths({"berita-1", "a b", "x.html"}, {"index.html", "archive/1.html"})
    for stem in ("berita-1", "a b", "x.html"):
        assert page_file(stem) in paths
    assert "index.html" in paths
    assert "archive/1.html" in paths
    assert page_file("berita-2") not in paths
    assert "archive/2.html" not in paths
    # Only the exact path of a page: not its stem, another suffix or another folder.
    for near in ("berita-1", "articles/berita-1.htm", "articles/berita-1", "other/berita-1.html", "articles/x"):
        assert near not in paths
    assert 1 not in paths
    assert paths
    assert not outputs.SitePaths(set(), set())
