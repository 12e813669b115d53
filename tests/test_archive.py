"""The archive planner: complete coverage, full pages that never change, valid documents."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FEED_TOML, check_atom
from seedfeed.archive import (
    FEED_NAME,
    Document,
    archive_path,
    plan_documents,
    plan_site_pages,
    site_archive_path,
)
from seedfeed.config import FeedConfig, parse_config
from seedfeed.model import Entry, Tombstone
from seedfeed.writers.atom import render_atom

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def config_with(**values: object) -> FeedConfig:
    data = tomllib.loads(FEED_TOML)
    data.update(values)
    return parse_config(data, Path("feed.toml"))


def entry(n: int, *, published_days: int, edited: bool = False) -> Entry:
    published = T0 + timedelta(days=published_days)
    return Entry(
        id=f"tag:news.example.org,2023:e{n}",
        stem=f"e{n}",
        title=f"Entry {n}",
        published=published,
        updated=published + timedelta(days=1) if edited else published,
        date_source="text",
        author="Budi",
        sources=(),
        summary="Lead.",
        content_html="<p>Lead.</p>",
        categories=(),
        link=f"https://news.example.org/articles/e{n}.html",
        language="id",
        caption=None,
    )


@st.composite
def feeds(draw: st.DrawFn) -> tuple[int, list[Entry], dict[str, int], int]:
    """A page size, entries with dates, arrival numbers with holes (deletions), and the counter."""
    size = draw(st.integers(min_value=1, max_value=6))
    last = draw(st.integers(min_value=0, max_value=30))
    alive = draw(st.lists(st.booleans(), min_size=last, max_size=last))
    entries, arrivals = [], {}
    for number, is_alive in enumerate(alive, start=1):
        if is_alive:
            e = entry(number, published_days=draw(st.integers(min_value=0, max_value=400)))
            entries.append(e)
            arrivals[e.stem] = number
    return size, entries, arrivals, last


def by_path(documents: tuple[Document, ...]) -> dict[str, Document]:
    return {d.path: d for d in documents}


@given(feeds())
def test_archive_plan_holds_every_entry_and_only_full_pages(feed: tuple[int, list[Entry], dict[str, int], int]) -> None:
    size, entries, arrivals, last = feed
    config = config_with(max_entries=size)
    documents = plan_documents(config, entries, arrivals=arrivals, last_arrival=last)
    assert documents[-1].path == FEED_NAME
    pages = documents[:-1]
    assert [d.path for d in pages] == [archive_path(k) for k in range(1, last // size + 1)]
    held = [e.id for d in documents for e in d.entries]
    assert set(held) == {e.id for e in entries}
    for k, page in enumerate(pages, start=1):
        assert all((k - 1) * size < arrivals[e.stem] <= k * size for e in page.entries)
        assert page.prev_archive == (archive_path(k - 1) if k > 1 else None)
        assert page.current == FEED_NAME
    newest = sorted(entries, key=lambda e: arrivals[e.stem])[-size:]
    assert set(documents[-1].entries) == set(newest)
    assert [e.published for e in documents[-1].entries] == sorted((e.published for e in newest), reverse=True)


@given(feeds(), st.lists(st.booleans()))
def test_archive_site_pages_split_as_the_atom_pages(
    feed: tuple[int, list[Entry], dict[str, int], int], edits: list[bool]
) -> None:
    size, entries, arrivals, last = feed
    # Some edited a day after they were published: the subscription document shows them too.
    entries = [
        replace(e, updated=e.published + timedelta(days=1)) if is_edited else e
        for e, is_edited in zip(entries, edits + [False] * len(entries), strict=False)
    ]
    documents = plan_documents(config_with(max_entries=size), entries, arrivals=arrivals, last_arrival=last)
    pages = plan_site_pages(entries, arrivals=arrivals, last_arrival=last, size=size)
    *archive, index = pages
    assert index.path == "index.html"
    assert index.number is None
    assert index.older == (len(archive) or None)
    assert [(p.path, p.number, p.older) for p in archive] == [
        (site_archive_path(k), k, k - 1 if k > 1 else None) for k in range(1, last // size + 1)
    ]
    # Each archive page holds what the Atom page of its number holds, in the same order.
    assert [p.entries for p in archive] == [d.entries for d in documents[:-1]]
    # The index: the newest arrivals, without the subscription document's recently edited extras.
    newest = sorted(entries, key=lambda e: arrivals[e.stem])[-size:]
    assert set(index.entries) == set(newest)
    assert [e.published for e in index.entries] == sorted((e.published for e in newest), reverse=True)
    assert {e.id for p in pages for e in p.entries} == {e.id for e in entries}
    # Taken from the Atom plan, with or without recently edited extras, the pages are the same.
    assert plan_site_pages(entries, arrivals=arrivals, last_arrival=last, size=size, documents=documents) == pages


@given(feeds(), st.integers(min_value=1, max_value=15))
def test_archive_full_pages_do_not_change_when_more_arrive(
    feed: tuple[int, list[Entry], dict[str, int], int], more: int
) -> None:
    size, entries, arrivals, last = feed
    config = config_with(max_entries=size)
    before = by_path(plan_documents(config, entries, arrivals=arrivals, last_arrival=last))
    later = [entry(last + i, published_days=-i) for i in range(1, more + 1)]
    grown = dict(arrivals) | {e.stem: last + i for i, e in enumerate(later, start=1)}
    after = by_path(plan_documents(config, [*entries, *later], arrivals=grown, last_arrival=last + more))
    for path, document in before.items():
        if path != FEED_NAME:
            assert after[path] == document


@settings(max_examples=20, deadline=None)
@given(feeds())
def test_archive_documents_render_as_valid_atom(feed: tuple[int, list[Entry], dict[str, int], int]) -> None:
    size, entries, arrivals, last = feed
    config = config_with(max_entries=size)
    tombstones = (Tombstone(ref="tag:news.example.org,2023:gone", when=T0),)
    for document in plan_documents(config, entries, arrivals=arrivals, last_arrival=last, tombstones=tombstones):
        kind = None if document.kind == "subscription" else document.kind
        check_atom(render_atom(config, document.entries, tombstones=document.tombstones, kind=kind))


def test_archive_complete_feed_is_one_document_with_everything() -> None:
    config = config_with(max_entries=2, complete=True)
    entries = [entry(n, published_days=n) for n in range(1, 6)]
    (document,) = plan_documents(
        config, entries, arrivals={e.stem: i for i, e in enumerate(entries, 1)}, last_arrival=5
    )
    assert document.kind == "complete"
    assert [e.id for e in document.entries] == [e.id for e in reversed(entries)]


def test_archive_recent_edit_of_an_archived_entry_is_also_in_the_subscription_document() -> None:
    config = config_with(max_entries=2)
    entries = [entry(1, published_days=1, edited=True), *(entry(n, published_days=n) for n in range(2, 6))]
    arrivals = {e.stem: i for i, e in enumerate(entries, 1)}
    documents = by_path(plan_documents(config, entries, arrivals=arrivals, last_arrival=5))
    assert {e.stem for e in documents[FEED_NAME].entries} == {"e1", "e4", "e5"}
    assert {e.stem for e in documents[archive_path(1)].entries} == {"e1", "e2"}
    stale = by_path(
        plan_documents(config_with(max_entries=2, tombstone_days=0), entries, arrivals=arrivals, last_arrival=5)
    )
    assert {e.stem for e in stale[FEED_NAME].entries} == {"e4", "e5"}
