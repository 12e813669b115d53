"""RSS 2.0: same entries, ids, dates and authors as the Atom feed, byte-identical on rebuild."""

from __future__ import annotations

import locale
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from publish_support import HARBOUR_SEED, entry_from_text, reference_config, reference_entry
from seedfeed.writers.rss import render_rss

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONFIG = reference_config()

ENGLISH = HARBOUR_SEED


def _entries() -> list:
    base = reference_entry(CONFIG)
    english = entry_from_text(ENGLISH, CONFIG, name="001_harbour.txt")
    return [base, english]


def test_rss_reference_seed_parses_with_its_fields() -> None:
    entry = reference_entry(CONFIG)
    data = render_rss(CONFIG, [entry])
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Berita Dunia"
    assert parsed.feed.language == "id"
    (item,) = parsed.entries
    assert item.title == entry.title
    assert item.id == "tag:news.example.org,2023:000_e462c374ae22f41e"
    assert item.author == "Huyen Le"
    assert item.link == "https://news.example.org/articles/000_e462c374ae22f41e.html"
    assert "Komentar" not in item.content[0].value


def test_rss_guid_dates_and_self_link_in_the_xml() -> None:
    entry = reference_entry(CONFIG)
    channel = etree.fromstring(render_rss(CONFIG, [entry])).find("channel")
    guid = channel.find("item/guid")
    assert guid.text == entry.id
    assert guid.get("isPermaLink") == "false"
    assert channel.find(f"item/{DC}creator").text == "Huyen Le"
    assert channel.find("item/author") is None  # RSS author must be an e-mail address
    pub = channel.find("item/pubDate").text
    assert parsedate_to_datetime(pub) == datetime(2023, 10, 17, 17, tzinfo=UTC)
    assert pub.endswith("+0700")  # in the feed's time zone
    assert parsedate_to_datetime(channel.find("lastBuildDate").text) == entry.updated
    (self_link,) = channel.findall(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "https://news.example.org/feed.rss"
    assert channel.findall(f"{ATOM}link[@rel='hub']") == []


def test_rss_url_id_of_the_page_itself_is_a_permalink() -> None:
    entry = reference_entry(CONFIG)
    entry = replace(entry, id=entry.link)
    guid = etree.fromstring(render_rss(CONFIG, [entry])).find("channel/item/guid")
    assert guid.get("isPermaLink") == "true"


def test_rss_hub_link_when_configured() -> None:
    config = replace(CONFIG, hub="https://hub.example.net/")
    data = render_rss(config, [reference_entry(config)])
    channel = etree.fromstring(data).find("channel")
    (hub,) = channel.findall(f"{ATOM}link[@rel='hub']")
    assert hub.get("href") == "https://hub.example.net/"
    assert feedparser.parse(data).bozo == 0


def test_rss_never_switches_the_process_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> str:
        raise AssertionError(f"locale.setlocale{args} called")

    monkeypatch.setattr(locale, "setlocale", refuse)
    channel = etree.fromstring(render_rss(CONFIG, _entries())).find("channel")
    assert [i.find("pubDate").text for i in channel.findall("item")] == [
        "Tue, 05 Mar 2024 00:00:00 +0700",
        "Wed, 18 Oct 2023 00:00:00 +0700",
    ]


def test_rss_newest_first_and_capped_at_max_entries() -> None:
    entries = _entries()
    config = replace(CONFIG, max_entries=1)
    items = etree.fromstring(render_rss(config, entries)).findall("channel/item")
    assert [i.find("title").text for i in items] == ["Harbour reopens after the storm"]


def test_rss_escapes_markup_in_seed_text() -> None:
    text = "A <script>alert(1)</script> & <b>title</b>\nThe lead on 5 March 2024.\n"
    entry = entry_from_text(text, CONFIG, name="002_markup.txt")
    parsed = feedparser.parse(render_rss(CONFIG, [entry]))
    assert parsed.bozo == 0
    item = etree.fromstring(render_rss(CONFIG, [entry])).find("channel/item")
    assert item.find("title").text == entry.title
    assert list(item.find("title")) == []


@settings(max_examples=20, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=10_000))
def test_rss_same_bytes_whatever_the_entry_order(rng: random.Random, shift: int) -> None:
    entries = _entries()
    shuffled = list(entries)
    rng.shuffle(shuffled)
    assert render_rss(CONFIG, shuffled) == render_rss(CONFIG, entries)
    # An entry's later edit moves lastBuildDate, and only that.
    edited = [replace(entries[1], updated=entries[1].updated + timedelta(minutes=shift))]
    channel = etree.fromstring(render_rss(CONFIG, edited)).find("channel")
    assert parsedate_to_datetime(channel.find("lastBuildDate").text) == edited[0].updated


def test_rss_empty_feed_is_valid_and_undated() -> None:
    data = render_rss(CONFIG, [])
    assert feedparser.parse(data).bozo == 0
    channel = etree.fromstring(data).find("channel")
    assert channel.find("lastBuildDate") is None
    assert channel.findall("item") == []
