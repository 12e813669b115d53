"""The snapshot's JSON encoder writes exactly what ``json.dumps(..., indent=2)`` writes."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from seedfeed.snapshot import indented_json

# JSON's own values, with keys of every type json.dumps accepts and text of any code point.
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
KEYS = st.text() | st.integers() | st.booleans() | st.none()
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=30,
)


@given(VALUES)
def test_indented_json_is_json_dumps_with_indent(value: object) -> None:
    assert indented_json(value) == json.dumps(value, ensure_ascii=False, indent=2)


def test_indented_json_of_a_report_shape() -> None:
    report = {
        "published": 2,
        "withheld": False,
        "removed_ids": [],
        "entries": [
            {"id": "tag:news.example.org,2023:a", "title": 'Banjir "besar" di\u2028Semarang', "change": None},
            {"id": "tag:news.example.org,2023:b", "title": "日本語", "change": "new"},
        ],
    }
    text = indented_json(report)
    assert json.loads(text) == report
    assert text == json.dumps(report, ensure_ascii=False, indent=2)
