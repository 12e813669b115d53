"""The --json report spliced as text (spliced_json.py) is the report rendered whole, for any values."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

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
    entries=st.lists(ENTRY, max_size=8),
    inserted=st.lists(st.tuples(st.integers(0, 8), ENTRY), max_size=4),
    notices=st.lists(NOTICE, max_size=4),
    more=st.lists(NOTICE, max_size=3),
)
def test_report_with_items_spliced_in_is_the_report_rendered_with_them(
    entries: list[dict[str, object]],
    inserted: list[tuple[int, dict[str, object]]],
    notices: list[dict[str, object]],
    more: list[dict[str, object]],
) -> None:
    # Each new item before the old item of its number (in order): where it is in the whole list.
    places = sorted((min(place, len(entries)), index) for index, (place, _item) in enumerate(inserted))
    inserts = [(place, inserted[index][1]) for place, index in places]
    whole: list[dict[str, object]] = []
    for number, entry in enumerate([*entries, None]):
        whole += [item for place, item in inserts if place == number]
        if entry is not None:
            whole.append(entry)
    stored = rendered(report(entries, notices, len(entries)))
    fields = json_fields(stored)
    assert fields is not None
    assert tuple(fields) == KEYS
    assert list_count(stored, fields["entries"]) == len(entries)
    assert b"".join(joined_fields({key: kept_value(stored, span) for key, span in fields.items()})) == stored
    spliced = {key: kept_value(stored, span) for key, span in fields.items()}
    spliced["published"] = spliced["unchanged"] = value_json(len(whole))
    spliced["entries"] = spliced_items(stored, fields["entries"], inserts, len(entries))
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
