"""Golden feed of the reference seed, compared in canonical XML form."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from conftest import TESTS, check_atom
from seedfeed.build import build

GOLDEN = TESTS / "golden" / "reference.atom"


def test_golden_reference_feed(seeds_dir: Path, tmp_path: Path, update_golden: bool) -> None:
    out = tmp_path / "public"
    build(seeds_dir, out, now=datetime(2026, 1, 5, tzinfo=UTC))
    data = (out / "feed.atom").read_bytes()
    check_atom(data)
    if update_golden:
        GOLDEN.write_bytes(data)
    expected = ET.canonicalize(GOLDEN.read_text(encoding="utf-8"), strip_text=True)
    assert ET.canonicalize(data.decode("utf-8"), strip_text=True) == expected
