"""The --json report spliced as text (spliced_json.py) is the report rendered whole, for any values."""

from __future__ import annotations

import json
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from seedfeed import spliced_json
from seedfeed.append import spliced
from seedfeed.snapshot import indented_json
from seedfeed.spliced_json import (
    KEYS,
    appended_items,
    joined_fields,
    json_fields,
    kept_value,
    list_count,
    spliced_items,
    value_json,
)

# Titles, ids and messages as seeds give them: any text, newlines, quotes and braces included.
TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
ENTRY = st.fixed_dictionaries(
    {"id": TEXT, "title": TEXT, "published": TEXT, "change": st.sampled_from(["new", "unchanged", "updated"])}
)
NOTICE = st.fixed_dictionaries({"path": TEXT, "line": st.none() | st.integers(1, 99), "message": TEXT})


def report(entries: list[dict[str, object]], notices: list[dict[str, object]], published: int) -> dict[str, object]:
    """Return a JSON report as snapshot.report_json makes it, with these lists."""
    return {
        "withheld": False,
        "published": published,
        "new": 0,
        "updated": 0,
        "removed": 0,
        "unchanged": published,
        "removed_ids": [],
        "tombstones": [{"ref": "tag:x,2023:gone", "when": "2024-01-01T00:00:00+07:00"}],
        "documents": ["archive/1.atom", "feed.atom"],
        "rejected": [],
        "notices": notices,
        "written": [],
        "entries": entries,
    }


def rendered(value: dict[str, object]) -> bytes:
    text = indented_json(value).encode("utf-8")
    assert text == json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")
    return text


@given(
    entries=st.lists(ENTRY, max_size=30),
    inserted=st.lists(st.tuples(st.integers(0, 30), ENTRY), max_size=4),
    removed=st.sets(st.integers(0, 30), max_size=4),
    notices=st.lists(NOTICE, max_size=4),
    more=st.lists(NOTICE, max_size=3),
    # Items are skipped a block of bytes at a time: blocks shorter than an item, and one that holds them all.
    block=st.sampled_from([7, 8, 40, 150, 1 << 16]),
)
def test_report_with_items_spliced_in_is_the_report_rendered_with_them(
    entries: list[dict[str, object]],
    inserted: list[tuple[int, dict[str, object]]],
    removed: set[int],
    notices: list[dict[str, object]],
    more: list[dict[str, object]],
    block: int,
) -> None:
    # Each new item before the old item of its number (in order): where it is in the whole list.
    places = sorted((min(place, len(entries)), index) for index, (place, _item) in enumerate(inserted))
    inserts = [(place, inserted[index][1]) for place, index in places]
    gone = {number for number in removed if number < len(entries)}
    whole: list[dict[str, object]] = []
    for number, entry in enumerate([*entries, None]):
        whole += [item for place, item in inserts if place == number]
        if entry is not None and number not in gone:
            whole.append(entry)
    stored = rendered(report(entries, notices, len(entries)))
    fields = json_fields(stored)
    assert fields is not None
    assert tuple(fields) == KEYS
    assert list_count(stored, fields["entries"]) == len(entries)
    assert b"".join(joined_fields({key: kept_value(stored, span) for key, span in fields.items()})) == stored
    spliced = {key: kept_value(stored, span) for key, span in fields.items()}
    spliced["published"] = spliced["unchanged"] = value_json(len(whole))
    with mock.patch.object(spliced_json, "_BLOCK", block):
        spliced["entries"] = spliced_items(stored, fields["entries"], inserts, len(entries), gone)
    spliced["notices"] = appended_items(stored, fields["notices"], more)
    assert b"".join(joined_fields(spliced)) == rendered(report(whole, [*notices, *more], len(whole)))


@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_text_that_is_not_a_report_is_refused_or_split_into_its_keys(data: bytes) -> None:
    fields = json_fields(data)
    assert fields is None or tuple(fields) == KEYS


def test_report_missing_a_key_or_with_one_more_is_refused() -> None:
    value = report([], [], 0)
    assert json_fields(rendered(value)) is not None
    del value["written"]
    assert json_fields(rendered(value)) is None
    value["written"] = []
    value["extra"] = 1
    assert json_fields(rendered(value)) is None


def test_entries_spliced_far_down_a_list_of_many_megabytes() -> None:
    entries: list[dict[str, object]] = [
        {"id": f"tag:x,2023:{n}", "title": f"Berita {n} " + "x" * (n % 90), "published": "2024", "change": "unchanged"}
        for n in range(30_000)
    ]
    stored = rendered(report(entries, [], len(entries)))
    assert len(stored) > 3 * spliced_json._BLOCK  # several blocks are skipped whole
    fields = json_fields(stored)
    assert fields is not None
    new = {"id": "tag:x,2023:new", "title": "Baru", "published": "2025", "change": "new"}
    inserts = [(0, new), (12_345, new), (29_999, new), (30_000, new)]
    parts = spliced_items(stored, fields["entries"], inserts, len(entries))
    whole = [new, *entries[:12_345], new, *entries[12_345:29_999], new, entries[29_999], new]
    assert json.loads(b"".join(parts)) == whole


@given(
    lines=st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=6), max_size=30),
    inserted=st.lists(st.tuples(st.integers(0, 30), TEXT.map(lambda text: text.replace("\n", " "))), max_size=4),
    removed=st.sets(st.integers(0, 30), max_size=4),
    block=st.sampled_from([1, 2, 5, 1 << 16]),
)
def test_report_lines_spliced_are_the_lines_with_inserts_and_without_those_left_out(
    lines: list[str], inserted: list[tuple[int, str]], removed: set[int], block: int
) -> None:
    # The text report's lines (append.spliced), skipped a block of bytes at a time as a report's items are.
    count = len(lines)
    inserts = sorted(((min(place, count), line) for place, line in inserted), key=lambda pair: pair[0])
    gone = {number for number in removed if number < count}
    expected: list[str] = []
    for number, line in enumerate([*lines, None]):
        expected += [new for place, new in inserts if place == number]
        if line is not None and number not in gone:
            expected.append(line)
    with mock.patch.object(spliced_json, "_BLOCK", block):
        parts = spliced("\n".join(lines).encode("utf-8"), inserts, count, gone)
    assert b"".join(parts) == "\n".join(expected).encode("utf-8")
