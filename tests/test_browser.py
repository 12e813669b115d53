"""A real browser: headless Chromium renders the site as a reader sees it.

Chromium loads the pages from a server on loopback, dumps the DOM it built
and takes screenshots, which are kept as test artifacts (in tmp_path, or in
the folder ``SEEDFEED_TEST_ARTIFACTS`` names, as CI may set).
"""

from __future__ import annotations

import os
import struct
import subprocess
import threading
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from publish_support import REFERENCE, copy_seeds, require_program
from seedfeed.build import build
from seedfeed.serve import OutputServer

ARABIC = """\
---
language: ar
date: 2024-03-07T09:30:00+03:00
---
إعادة فتح الميناء بعد العاصفة
أعيد فتح الميناء بعد ثلاثة أيام من العاصفة.
وكانت قوارب الصيد أول من غادر.
"""
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    seeds = copy_seeds(tmp_path / "seeds")
    (seeds / "002_ar.txt").write_text(ARABIC, encoding="utf-8")
    out = tmp_path / "public"
    build(seeds, out, now=datetime(2024, 4, 1, tzinfo=UTC))
    server = OutputServer(out, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.base_url
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def artifacts(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    folder = Path(os.environ.get("SEEDFEED_TEST_ARTIFACTS") or tmp_path / "test-artifacts")
    folder = folder / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def chromium(tmp_path: Path, *args: str) -> str:
    binary = require_program("chromium")
    profile = tmp_path / "chromium-profile"
    result = subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def render(tmp_path: Path, artifacts: Path, url: str, name: str) -> lxml.html.HtmlElement:
    """Return the DOM Chromium built for a page, and save its screenshot."""
    dom = chromium(tmp_path, "--dump-dom", url)
    (artifacts / f"{name}.html").write_text(dom, encoding="utf-8")
    shot = artifacts / f"{name}.png"
    chromium(tmp_path, "--window-size=1024,900", f"--screenshot={shot}", url)
    assert_not_blank(shot)
    # A phone-sized viewport too, for whoever reviews the artifacts.
    chromium(tmp_path, "--window-size=390,844", f"--screenshot={artifacts / f'{name}-narrow.png'}", url)
    assert_not_blank(artifacts / f"{name}-narrow.png")
    return lxml.html.fromstring(dom)


def assert_not_blank(png: Path) -> None:
    """Assert that a PNG file holds an image with more than one colour in it."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 0
    assert height > 0
    idat, offset = b"", 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    pixels = zlib.decompress(idat)
    assert len(set(pixels[: 1 << 20])) > 8, f"{png} looks blank"


def text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def test_browser_renders_index_and_article(site: str, tmp_path: Path, artifacts: Path) -> None:
    index = render(tmp_path, artifacts, site, "index")
    assert text(index.find(".//h1")) == "Berita Dunia"
    articles = index.findall(".//main/article")
    reference_title = REFERENCE.read_text(encoding="utf-8").split("\n")[0]
    assert [text(a.find("h2")) for a in articles] == ["إعادة فتح الميناء بعد العاصفة", reference_title]
    assert text(articles[1].find(".//time")) == "18 Oktober 2023"
    assert text(articles[1].find(".//span[@class='author']")) == "Huyen Le"
    assert articles[0].get("dir") == "rtl"
    assert index.findall(".//script") == []

    href = articles[1].find(".//h2/a").get("href")
    page = render(tmp_path, artifacts, site + href, "article")
    assert text(page.find(".//h1")) == reference_title
    assert text(page.find(".//time")) == "18 Oktober 2023"
    paragraphs = [text(p) for p in page.findall(".//div[@class='content']/p")]
    assert paragraphs[0].startswith("Menteri Luar Negeri Rusia Sergey Lavrov tiba di Pyongyang pada 18 Oktober")
    assert len(paragraphs) >= 5
    assert not any("Komentar" in p or "[iklan" in p for p in paragraphs)


def test_browser_renders_arabic_right_to_left(site: str, tmp_path: Path, artifacts: Path) -> None:
    page = render(tmp_path, artifacts, site + "articles/002_ar.html", "article-ar")
    assert (page.get("lang"), page.get("dir")) == ("ar", "rtl")
    assert text(page.find(".//h1")) == "إعادة فتح الميناء بعد العاصفة"
    assert page.find(".//time").get("datetime") == "2024-03-07T13:30:00+07:00"
    assert [text(p) for p in page.findall(".//div[@class='content']/p")] == [
        "أعيد فتح الميناء بعد ثلاثة أيام من العاصفة.",
        "وكانت قوارب الصيد أول من غادر.",
    ]


def test_browser_follows_older_articles_to_the_archive_page(tmp_path: Path, artifacts: Path) -> None:
    # One article a page: the reference seed arrives first and is on archive/1.html.
    seeds = copy_seeds(tmp_path / "seeds")
    toml = seeds / "feed.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("max_entries = 50", "max_entries = 1"), "utf-8")
    out = tmp_path / "public"
    build(seeds, out, now=datetime(2024, 4, 1, tzinfo=UTC))
    (seeds / "002_ar.txt").write_text(ARABIC, encoding="utf-8")
    build(seeds, out, now=datetime(2024, 4, 2, tzinfo=UTC))
    server = OutputServer(out, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        index = lxml.html.fromstring(chromium(tmp_path, "--dump-dom", server.base_url))
        assert [text(a.find("h2")) for a in index.findall(".//main/article")] == ["إعادة فتح الميناء بعد العاصفة"]
        (older,) = index.findall(".//nav[@class='pages']/a[@class='older']")
        assert text(older) == "Older articles"
        # Two arrivals, two full pages: the newest, archive/2.html, shows what the index shows.
        assert older.get("href") == "archive/2.html"
        second = lxml.html.fromstring(chromium(tmp_path, "--dump-dom", server.base_url + older.get("href")))
        assert [text(a.find("h2")) for a in second.findall(".//main/article")] == ["إعادة فتح الميناء بعد العاصفة"]
        (older,) = second.findall(".//nav[@class='pages']/a[@class='older']")
        page = render(tmp_path, artifacts, server.base_url + "archive/" + older.get("href"), "archive-1")
        assert page.findall(".//nav[@class='pages']/a[@class='older']") == []
        reference_title = REFERENCE.read_text(encoding="utf-8").split("\n")[0]
        assert [text(a.find("h2")) for a in page.findall(".//main/article")] == [reference_title]
        # The browser resolved the links against the archive page: they lead to real pages.
        (newest,) = page.findall(".//nav[@class='pages']/a[@class='newest']")
        assert text(newest) == "Newest articles"
        assert (out / "archive" / newest.get("href")).resolve() == (out / "index.html").resolve()
        href = page.find(".//main/article/h2/a").get("href")
        article = lxml.html.fromstring(chromium(tmp_path, "--dump-dom", server.base_url + "archive/" + href))
        assert text(article.find(".//h1")) == reference_title
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
