"""Property: with no new seeds, a rebuild at any later moment gives the same bytes."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FEED_TOML, REPO, TESTS
from seedfeed.build import build
from seedfeed.cache import CACHE_DIR

FIRST = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SEED_FILES = [REPO / "seeds" / "000_e462c374ae22f41e.txt", *sorted((TESTS / "seeds" / "ok").glob("*.txt"))]


def _snapshot(*folders: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder.parent)): p.read_bytes()
        for folder in folders
        for p in sorted(folder.rglob("*"))
        # The cache folder is disposable, and a build may leave a new no-op snapshot in it.
        if p.is_file() and not p.name.startswith(".") and CACHE_DIR not in p.parts
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(later=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=3650)))
def test_rebuild_with_nothing_new_gives_same_bytes(tmp_path: Path, later: timedelta) -> None:
    work = tmp_path / f"run{later.total_seconds():.0f}"
    seeds = work / "seeds"
    seeds.mkdir(parents=True)
    # Three a page: the Atom archive and the site's archive pages are among the bytes compared.
    (seeds / "feed.toml").write_text(FEED_TOML.replace("max_entries = 50", "max_entries = 3"), encoding="utf-8")
    for path in SEED_FILES:
        shutil.copy(path, seeds / path.name)
    out = work / "public"
    build(seeds, out, now=FIRST)
    before = _snapshot(seeds, out)
    assert {"public/archive/2.html", "public/archive/2.atom"} <= set(before)
    report = build(seeds, out, now=FIRST + later)
    assert _snapshot(seeds, out) == before
    assert report.written == ()
    assert report.count("unchanged") == len(SEED_FILES)
