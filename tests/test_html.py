"""The HTML site: index newest first, one page per article, autodiscovery, lang and dir."""

from __future__ import annotations

from dataclasses import replace

import lxml.html

from publish_support import HARBOUR_SEED, entry_from_text, reference_config, reference_entry
from seedfeed.convert import page_path
from seedfeed.writers.html import page_file, render_site

CONFIG = reference_config()

ENGLISH = HARBOUR_SEED

ARABIC = """\
---
language: ar
date: 2024-03-07T09:30:00+03:00
link: https://example.com/ar/harbour
---
إعادة فتح الميناء بعد العاصفة
أعيد فتح الميناء بعد ثلاثة أيام من العاصفة.
"""


def render_all(config, entries) -> dict:
    """Render the site of entries that arrived in the order given, none deleted."""
    arrivals = {entry.stem: number for number, entry in enumerate(entries, start=1)}
    return render_site(config, entries, arrivals=arrivals, last_arrival=len(entries))


def _site(config=CONFIG) -> dict:
    entries = [
        reference_entry(config),
        entry_from_text(ENGLISH, config, name="001_harbour.txt"),
        entry_from_text(ARABIC, config, name="002_ar.txt"),
    ]
    pages = render_all(config, entries)
    return {path: lxml.html.fromstring(data) for path, data in pages.items()}


def _text(element) -> str:
    return " ".join(element.text_content().split())


def test_html_index_lists_entries_newest_first_with_date_author_lead() -> None:
    index = _site()["index.html"]
    assert index.get("lang") == "id"
    assert index.get("dir") == "ltr"
    articles = index.findall(".//main/article")
    assert [_text(a.find("h2")) for a in articles] == [
        "إعادة فتح الميناء بعد العاصفة",
        "Harbour reopens after the storm",
        reference_entry(CONFIG).title,
    ]
    reference = articles[2]
    assert reference.find(".//time").get("datetime") == "2023-10-18T00:00:00+07:00"
    assert _text(reference.find(".//time")) == "18 Oktober 2023"
    assert _text(reference.find(".//span[@class='author']")) == "Huyen Le"
    assert _text(reference.find(".//p[@class='lead']")).startswith("Menteri Luar Negeri Rusia")
    assert reference.find(".//h2/a").get("href") == "articles/000_e462c374ae22f41e.html"
    # Dates in the feed's time zone (+07:00), whatever zone the seed gave.
    assert articles[0].find(".//time").get("datetime") == "2024-03-07T13:30:00+07:00"


def test_html_every_page_has_autodiscovery_links() -> None:
    site = _site()
    assert sorted(site) == [
        "articles/000_e462c374ae22f41e.html",
        "articles/001_harbour.html",
        "articles/002_ar.html",
        "index.html",
    ]
    for page in site.values():
        links = page.findall(".//head/link[@rel='alternate']")
        assert [(link.get("type"), link.get("href")) for link in links] == [
            ("application/atom+xml", "https://news.example.org/feed.atom"),
            ("application/rss+xml", "https://news.example.org/feed.rss"),
            ("application/feed+json", "https://news.example.org/feed.json"),
        ]
        assert page.findall(".//script") == []
        assert page.find(".//head/meta[@name='viewport']") is not None


def test_html_links_only_the_enabled_formats() -> None:
    config = replace(CONFIG, formats=frozenset({"atom", "html"}))
    for page in _site(config).values():
        links = page.findall(".//head/link[@rel='alternate']")
        assert [link.get("type") for link in links] == ["application/atom+xml"]


def test_html_article_page_has_paragraphs_lang_and_dir() -> None:
    site = _site()
    page = site["articles/000_e462c374ae22f41e.html"]
    assert _text(page.find(".//h1")) == reference_entry(CONFIG).title
    paragraphs = [_text(p) for p in page.findall(".//div[@class='content']//p")]
    assert paragraphs[0].startswith("Menteri Luar Negeri Rusia Sergey Lavrov tiba")
    assert len(paragraphs) >= 5
    assert page.find(".//p[@class='source']") is None  # its own page is its link
    arabic = site["articles/002_ar.html"]
    assert (arabic.get("lang"), arabic.get("dir")) == ("ar", "rtl")
    assert arabic.find(".//p[@class='source']/a").get("href") == "https://example.com/ar/harbour"
    assert _text(site["index.html"].findall(".//main/article")[0].find("h2")) == _text(arabic.find(".//h1"))
    assert site["index.html"].findall(".//main/article")[0].get("dir") == "rtl"


def test_html_escapes_seed_markup() -> None:
    entry = entry_from_text(
        "<script>alert(1)</script><img src=x onerror=alert(2)>\nLead on 5 March 2024.\n",
        CONFIG,
        name="evil.txt",
    )
    pages = render_all(CONFIG, [entry])
    for data in pages.values():
        page = lxml.html.fromstring(data)
        assert page.findall(".//script") == []
        assert page.findall(".//img") == []
    index = lxml.html.fromstring(pages["index.html"])
    assert _text(index.find(".//main/article/h2")) == entry.title


def test_html_page_file_and_link_of_an_odd_stem() -> None:
    entry = entry_from_text("Title\nLead on 5 March 2024.\n", CONFIG, name="a b#1.txt")
    pages = render_all(CONFIG, [entry])
    assert page_file("a b#1") in pages
    assert entry.link == "https://news.example.org/articles/a%20b%231.html"
    index = lxml.html.fromstring(pages["index.html"])
    assert index.find(".//main/article/h2/a").get("href") == page_path("a b#1")
    assert page_path("a b#1") == "articles/a%20b%231.html"


def test_html_empty_site_says_so() -> None:
    pages = render_all(CONFIG, [])
    assert list(pages) == ["index.html"]
    index = lxml.html.fromstring(pages["index.html"])
    assert _text(index.find(".//p[@class='empty']")) == "No articles yet."
