"""Pages filled in from stencils are byte for byte the pages Jinja2 renders.

``render_article`` and ``render_index`` render a template once per shape of
page and fill it in afterwards; ``is_stenciled=False`` renders every page
through Jinja2. Both must give the same bytes for any seed and any config.
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import lxml.html
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from publish_support import entry_from_text, reference_config
from seedfeed.archive import SitePage, site_archive_path
from seedfeed.model import Entry
from seedfeed.writers import html
from seedfeed.writers.html import render_article, render_index, render_index_row, render_site_page, row_prefix

TESTS = Path(__file__).parent
SEED_FILES = sorted((TESTS / "data" / "corpus").glob("*/*.txt")) + sorted((TESTS / "seeds" / "ok").glob("*.txt"))
PLAIN = reference_config()
RICH = reference_config(
    title="Harbour & <Desk>",
    subtitle='News "from" the harbour',
    author="O'Brien & Co",
    hub="https://hub.example.org/",
    formats=frozenset({"atom", "json", "html"}),
    base_url="https://example.org/news/",
)


def _entries(config) -> list[Entry]:
    entries = []
    for number, path in enumerate(SEED_FILES):
        entry = entry_from_text(path.read_text(encoding="utf-8"), config, name=f"{number:03}_{path.name}")
        if number % 3 == 0:
            # An edited entry shows both dates.
            entry = replace(entry, updated=entry.updated + timedelta(days=2, hours=5))
        entries.append(entry)
    return entries


@pytest.mark.parametrize("config", [PLAIN, RICH], ids=["plain", "rich"])
def test_render_stencil_pages_of_the_corpus_are_jinja2s_bytes(config) -> None:
    entries = _entries(config)
    assert {bool(e.categories) for e in entries} == {True, False}
    assert {bool(e.sources) for e in entries} == {True, False}
    for entry in entries:
        stenciled = render_article(config, entry)
        assert stenciled == render_article(config, entry, is_stenciled=False), entry.stem
        page = lxml.html.fromstring(stenciled)
        assert " ".join(page.find(".//h1").text_content().split()) == " ".join(entry.title.split())
    assert render_index(config, entries) == render_index(config, entries, is_stenciled=False)
    assert render_index(config, entries, older=3) == render_index(config, entries, older=3, is_stenciled=False)
    # An archive page: its own template, its rows linking from archive/.
    for number, older in ((1, None), (4, 3)):
        page = SitePage(path=site_archive_path(number), number=number, entries=tuple(entries), older=older)
        rows = [render_index_row(config, e, prefix=row_prefix(page)).encode("utf-8") for e in entries]
        stenciled = b"".join(render_site_page(config, page, rows))
        assert stenciled == b"".join(render_site_page(config, page, rows, is_stenciled=False))
        tree = lxml.html.fromstring(stenciled)
        assert [a.get("href") for a in tree.findall(".//nav[@class='pages']/a")] == (
            ["3.html", "../index.html"] if older else ["../index.html"]
        )


def test_render_stencil_two_configs_in_one_process_keep_their_own_markup() -> None:
    entry = _entries(PLAIN)[0]
    pages = [render_article(config, entry) for config in (PLAIN, RICH, PLAIN)]
    assert pages[0] == pages[2]
    plain, rich = lxml.html.fromstring(pages[0]), lxml.html.fromstring(pages[1])
    assert plain.find(".//title").text == f"{entry.title} · {PLAIN.title}"
    assert rich.find(".//title").text == f"{entry.title} · Harbour & <Desk>"
    assert rich.find(".//p[@class='site-subtitle']").text == 'News "from" the harbour'
    assert plain.find(".//p[@class='site-subtitle']").text == PLAIN.subtitle
    assert [link.get("href") for link in rich.findall(".//head/link[@rel='alternate']")] == [
        "https://example.org/news/feed.atom",
        "https://example.org/news/feed.json",
    ]
    assert len(plain.findall(".//head/link[@rel='alternate']")) == 3


def test_render_stencil_config_text_that_looks_like_a_marker_is_still_text() -> None:
    # The stencil's own markers in the feed's title: the stencil made with them
    # differs from Jinja2's page, so Jinja2 renders this config's pages.
    config = reference_config(title="Desk \x000\x01 \x001\x01")
    entry = _entries(config)[1]
    page = render_article(config, entry)
    assert page == render_article(config, entry, is_stenciled=False)
    # HTML parsers read U+0000 as U+FFFD.
    assert lxml.html.fromstring(page).find(".//p[@class='site-title']/a").text == config.title.replace("\x00", "\ufffd")


TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("&<>'\"\x00\x01 0123"), max_size=30)


@settings(max_examples=200, deadline=None)
# A marker in the site's title numbering a value the page does not have.
@example(title="", author=None, summary="", sources=[], categories=[], site_title="\x0020\x01")
@given(
    title=TEXT,
    author=st.none() | TEXT,
    summary=TEXT,
    sources=st.lists(TEXT, max_size=3),
    categories=st.lists(TEXT, max_size=3),
    site_title=TEXT,
)
def test_render_stencil_any_values_give_jinja2s_bytes(
    title: str, author: str | None, summary: str, sources: list[str], categories: list[str], site_title: str
) -> None:
    config = reference_config(title=site_title)
    entry = replace(
        _REFERENCE,
        title=title,
        author=author,
        summary=summary,
        sources=tuple(sources),
        categories=tuple(categories),
    )
    assert render_article(config, entry) == render_article(config, entry, is_stenciled=False)
    assert render_index(config, [entry]) == render_index(config, [entry], is_stenciled=False)


_REFERENCE = _entries(PLAIN)[0]


def test_render_stencil_kept_for_another_process_gives_jinja2s_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # The parse cache keeps the stencils a build made (pickled): a later process fills them in without Jinja2.
    entries = _entries(PLAIN)[:6]
    expected = [render_article(PLAIN, entry, is_stenciled=False) for entry in entries]
    for entry in entries:
        render_article(PLAIN, entry)
    kept = pickle.loads(pickle.dumps(html.stencils_made()))  # noqa: S301  # made just above
    monkeypatch.setattr(html, "_STENCILS", {})
    html.use_stencils(kept)

    def no_jinja2() -> None:
        raise AssertionError("a kept stencil was not used")

    monkeypatch.setattr(html, "_environment", no_jinja2)
    assert [render_article(PLAIN, entry) for entry in entries] == expected
