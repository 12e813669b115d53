"""JSON Feed 1.1: every field the spec and readers need, in a stable order."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from publish_support import HARBOUR_SEED, entry_from_text, reference_config, reference_entry
from seedfeed.writers.jsonfeed import render_json_feed

CONFIG = reference_config()

ENGLISH = HARBOUR_SEED


def test_json_feed_reference_seed_fields() -> None:
    entry = reference_entry(CONFIG)
    feed = json.loads(render_json_feed(CONFIG, [entry]))
    assert list(feed) == [
        "version",
        "title",
        "home_page_url",
        "feed_url",
        "description",
        "language",
        "authors",
        "items",
    ]
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Berita Dunia"
    assert feed["home_page_url"] == "https://news.example.org/"
    assert feed["feed_url"] == "https://news.example.org/feed.json"
    assert feed["language"] == "id"
    (item,) = feed["items"]
    assert list(item) == [
        "id",
        "url",
        "title",
        "content_html",
        "summary",
        "date_published",
        "date_modified",
        "authors",
        "language",
    ]
    assert item["id"] == "tag:news.example.org,2023:000_e462c374ae22f41e"
    assert item["url"] == "https://news.example.org/articles/000_e462c374ae22f41e.html"
    assert item["title"] == entry.title
    assert item["summary"].startswith("Menteri Luar Negeri Rusia Sergey Lavrov tiba di Pyongyang")
    assert item["date_published"] == "2023-10-18T00:00:00+07:00"
    assert datetime.fromisoformat(item["date_modified"]) == datetime(2023, 10, 17, 17, tzinfo=UTC)
    assert item["authors"] == [{"name": "Huyen Le"}]
    assert item["language"] == "id"


def test_json_feed_hub_and_tags() -> None:
    config = replace(CONFIG, hub="https://hub.example.net/")
    entry = replace(reference_entry(config), categories=("politics", "asia"))
    feed = json.loads(render_json_feed(config, [entry]))
    assert feed["hubs"] == [{"type": "WebSub", "url": "https://hub.example.net/"}]
    assert feed["items"][0]["tags"] == ["politics", "asia"]


def test_json_feed_keeps_text_verbatim_and_newest_first() -> None:
    markup = entry_from_text('Quote "x" <b>&</b>\nLead on 6 March 2024.\n', CONFIG, name="m.txt")
    english = entry_from_text(ENGLISH, CONFIG, name="001_harbour.txt")
    feed = json.loads(render_json_feed(CONFIG, [reference_entry(CONFIG), english, markup]))
    assert [i["title"] for i in feed["items"]] == [
        'Quote "x" <b>&</b>',
        "Harbour reopens after the storm",
        reference_entry(CONFIG).title,
    ]
    assert feed["items"][1]["authors"] == [{"name": "Jane Doe"}]


@settings(max_examples=20, deadline=None)
@given(st.randoms(use_true_random=False))
def test_json_feed_same_bytes_whatever_the_entry_order(rng: random.Random) -> None:
    entries = [reference_entry(CONFIG), entry_from_text(ENGLISH, CONFIG, name="001_h.txt")]
    shuffled = list(entries)
    rng.shuffle(shuffled)
    data = render_json_feed(CONFIG, shuffled)
    assert data == render_json_feed(CONFIG, entries)
    assert data.endswith(b"\n")
    data.decode("utf-8")  # JSON is UTF-8 (RFC 8259 §8.1)
