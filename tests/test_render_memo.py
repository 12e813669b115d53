"""What the writers remember between pages never leaks from one feed's config into another's."""

from __future__ import annotations

import lxml.html

from publish_support import entry_from_text, reference_config
from seedfeed.config import parse_time_zone
from seedfeed.writers.html import render_article, render_index

EVENING = """\
---
language: en
date: 2024-03-07T21:30:00+00:00
---
Harbour reopens after the storm
The harbour reopened after three days of storm.
"""


def _times(page: bytes) -> list[tuple[str | None, str]]:
    root = lxml.html.fromstring(page)
    return [(t.get("datetime"), t.text_content()) for t in root.iter("time")]


def test_render_dates_follow_each_configs_time_zone_in_one_process() -> None:
    utc = reference_config(time_zone=parse_time_zone("UTC"), time_zone_name="UTC")
    jakarta = reference_config(time_zone=parse_time_zone("+07:00"), time_zone_name="+07:00")
    entry = entry_from_text(EVENING, utc)
    # UTC first, then Jakarta, then UTC again: a memo keyed by the instant alone
    # would show the first zone's wall-clock time in the others.
    first = _times(render_article(utc, entry))
    second = _times(render_article(jakarta, entry))
    third = _times(render_article(utc, entry))
    assert first == [("2024-03-07T21:30:00+00:00", "March 7, 2024 9:30\u202fPM")]
    assert second == [("2024-03-08T04:30:00+07:00", "March 8, 2024 4:30\u202fAM")]
    assert third == first
    assert _times(render_index(jakarta, [entry])) == second


def test_render_dates_follow_the_pages_language() -> None:
    config = reference_config()
    english = entry_from_text(EVENING, config)
    german = entry_from_text(EVENING.replace("language: en", "language: de"), config)
    assert _times(render_article(config, english))[0][1] == "March 8, 2024 4:30\u202fAM"
    assert _times(render_article(config, german))[0][1] == "8. März 2024 04:30"
