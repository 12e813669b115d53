"""Incremental and parallel builds give exactly the bytes of a plain build.

Each step of a seeds folder's life (first build, nothing new, additions,
edits, a touch, deletions, a lost ledger) is built twice from the same seeds
and the same ledger: once with the parse cache the previous steps left, once
without any cache. The two output folders and ledgers must be byte-identical.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner

from conftest import REFERENCE_SEED, TESTS, check_atom
from seedfeed import blobstore, parallel
from seedfeed import build as build_module
from seedfeed import cache as cache_module
from seedfeed import outputs as outputs_module
from seedfeed.build import BuildReport, build
from seedfeed.cache import CACHE_DIR, cache_key, cache_path, load_cache
from seedfeed.cli import main
from seedfeed.config import FeedConfig, load_config
from seedfeed.ledger import LEDGER_NAME
from seedfeed.model import Article, Entry, Seed
from seedfeed.parallel import ParseJob, parse_many
from seedfeed.seeds import list_seeds

CORPUS = TESTS / "data" / "corpus"
BAD_SEED = TESTS / "seeds" / "bad" / "binary_png.txt"
START = datetime(2024, 3, 1, 8, tzinfo=UTC)
# No year anywhere in the text: the year comes from the seed's first-seen time.
NO_YEAR = "Pertemuan menteri di Jakarta\nPara menteri bertemu di Jakarta pada 18 Oktober untuk membahas perdagangan.\n"


def _published(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)
    }


def _report_facts(report: BuildReport) -> tuple[object, ...]:
    return (
        report.entries,
        report.changes,
        report.removed,
        [str(e) for e in report.rejected],
        report.notices,
        report.tombstones,
    )


def _corpus_seeds(count: int) -> list[Path]:
    seeds = sorted(CORPUS.rglob("*.txt"))
    assert len(seeds) >= count
    return seeds[:count]


class Twins:
    """One seeds folder built twice per step: with the parse cache, and without any."""

    def __init__(self, tmp_path: Path) -> None:
        self.seeds = tmp_path / "seeds"
        self.cached = tmp_path / "cached"
        self.fresh = tmp_path / "fresh"
        self.ledger = self.seeds / LEDGER_NAME

    def step(self, now: datetime) -> BuildReport:
        """Build both ways from the same ledger; assert the same bytes; return the cached build's report."""
        before = self.ledger.read_bytes() if self.ledger.exists() else None
        shutil.rmtree(self.fresh, ignore_errors=True)
        if self.cached.exists():
            shutil.copytree(self.cached, self.fresh, ignore=shutil.ignore_patterns(CACHE_DIR))
        cached = build(self.seeds, self.cached, now=now, jobs=1)
        ledger_cached = self.ledger.read_bytes()
        if before is None:
            self.ledger.unlink()
        else:
            self.ledger.write_bytes(before)
        fresh = build(self.seeds, self.fresh, now=now, jobs=1, use_cache=False)
        assert self.ledger.read_bytes() == ledger_cached
        assert _published(self.cached) == _published(self.fresh)
        assert _report_facts(cached) == _report_facts(fresh)
        assert not (self.fresh / CACHE_DIR).exists()
        check_atom((self.cached / "feed.atom").read_bytes())
        return cached


@pytest.fixture
def twins(tmp_path: Path, make_seeds: Callable[[dict[str, str | bytes]], Path]) -> Twins:
    files: dict[str, str | bytes] = {p.name: p.read_bytes() for p in _corpus_seeds(8)}
    files[REFERENCE_SEED.name] = REFERENCE_SEED.read_bytes()
    files["no_year.txt"] = NO_YEAR
    files["bad.txt"] = BAD_SEED.read_bytes()
    make_seeds(files)
    return Twins(tmp_path)


def test_incremental_build_matches_a_build_without_cache(twins: Twins) -> None:
    seeds = twins.seeds
    first = twins.step(START)
    assert first.count("new") == 10
    assert [e.path.name for e in first.rejected] == ["bad.txt"]
    assert _cached_names(twins.cached, cache_key(seeds, load_config(seeds))) == 10

    assert twins.step(START + timedelta(hours=1)).count("unchanged") == 10

    extra = _corpus_seeds(12)[8:]
    for path in extra:
        shutil.copy(path, seeds / path.name)
    assert twins.step(START + timedelta(hours=2)).count("new") == len(extra)

    edited = seeds / REFERENCE_SEED.name
    edited.write_text(REFERENCE_SEED.read_text(encoding="utf-8").replace("Lavrov", "Lavrov Sergeyevich"), "utf-8")
    touched = seeds / extra[0].name
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    report = twins.step(START + timedelta(hours=3))
    assert report.count("updated") == 1
    assert report.changes[touched.stem] == "unchanged"

    (seeds / extra[1].name).unlink()
    (seeds / "bad.txt").unlink()
    report = twins.step(START + timedelta(hours=4))
    assert len(report.removed) == 1
    assert report.rejected == ()

    # Outputs changed or removed behind the build's back are written again.
    page = twins.cached / "articles" / f"{REFERENCE_SEED.stem}.html"
    page.unlink()
    (twins.cached / "index.html").write_bytes(b"<p>defaced</p>")
    report = twins.step(START + timedelta(hours=5))
    assert {"index.html", f"articles/{REFERENCE_SEED.stem}.html"} <= set(report.written)
    assert page.is_file()

    # A lost ledger gives the seed without a year another first-seen time,
    # so its cached parse (made with the old one) must not be reused.
    (seeds / LEDGER_NAME).unlink()
    no_year_before = next(e for e in report.entries if e.stem == "no_year")
    report = twins.step(START + timedelta(days=400))
    no_year_after = next(e for e in report.entries if e.stem == "no_year")
    assert no_year_after.published.year == no_year_before.published.year + 1


def test_incremental_edit_that_keeps_size_and_puts_the_mtime_back_is_published(twins: Twins) -> None:
    # Size, mtime and inode as before (tar, rsync --times, touch -r): the ctime still tells.
    twins.step(START)
    edited = twins.seeds / REFERENCE_SEED.name
    before = edited.stat()
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("Lavrov", "Lavrof"), encoding="utf-8")
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (edited.stat().st_size, edited.stat().st_mtime_ns, edited.stat().st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    report = twins.step(START + timedelta(hours=1))
    assert report.changes[edited.stem] == "updated"
    assert "Lavrof" in (twins.cached / "articles" / f"{edited.stem}.html").read_text(encoding="utf-8")


def _spy_on_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return the list of the names of the seeds read from now on, as they are read."""
    read: list[str] = []
    original = parallel.read_seed_bytes

    def spy(path: Path, *, max_bytes: int) -> tuple[bytes, os.stat_result]:
        read.append(path.name)
        return original(path, max_bytes=max_bytes)

    monkeypatch.setattr(parallel, "read_seed_bytes", spy)
    return read


def test_incremental_build_reads_only_changed_seeds(twins: Twins, monkeypatch: pytest.MonkeyPatch) -> None:
    twins.step(START)
    seeds = twins.seeds
    new = _corpus_seeds(9)[8]
    shutil.copy(new, seeds / new.name)
    read = _spy_on_reads(monkeypatch)
    build(seeds, twins.cached, now=START + timedelta(hours=1), jobs=1)
    # The rejected seed is not cached: it is read again, and rejected again.
    assert sorted(read) == sorted([new.name, "bad.txt"])


def _damage_light_rows(path: Path, data: Callable[[bytes], bytes]) -> None:
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT name, data FROM light").fetchall()
        db.executemany("UPDATE light SET data = ? WHERE name = ?", [(data(bytes(d)), name) for name, d in rows])
        db.commit()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(b"not a cache at all"), id="garbage"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:2048]), id="truncated"),
        pytest.param(lambda path: path.write_bytes(b""), id="empty"),
        pytest.param(lambda path: _damage_light_rows(path, lambda d: d[: len(d) // 2]), id="truncated-rows"),
        pytest.param(lambda path: _damage_light_rows(path, lambda d: d[:-10] + bytes(10)), id="flipped-bytes"),
    ],
)
def test_corrupt_cache_is_rebuilt_silently(twins: Twins, damage: Callable[[Path], None]) -> None:
    twins.step(START)
    path = cache_path(twins.cached)
    damage(path)
    key = cache_key(twins.seeds, load_config(twins.seeds))
    assert _cached_names(twins.cached, key) == 0
    report = twins.step(START + timedelta(hours=1))
    assert report.count("unchanged") == 10
    assert not any("cache" in n.message for n in report.notices)
    assert _cached_names(twins.cached, key) == 10


def test_cache_locked_by_another_program_is_kept_for_the_next_build(
    twins: Twins, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store another program holds locked is not damaged: the build goes on without it and leaves it be."""
    twins.step(START)
    key = cache_key(twins.seeds, load_config(twins.seeds))
    edited = twins.seeds / REFERENCE_SEED.name
    edited.write_text(REFERENCE_SEED.read_text(encoding="utf-8").replace("Lavrov", "Lavrov Sergeyevich"), "utf-8")
    monkeypatch.setattr(blobstore, "BUSY_SECONDS", 0.05)
    read = _spy_on_reads(monkeypatch)
    with closing(sqlite3.connect(cache_path(twins.cached))) as other:
        other.execute("BEGIN EXCLUSIVE")  # as an sqlite3 shell writing, or a backup, holds it
        report = twins.step(START + timedelta(hours=1))  # the same bytes as a build without any cache
        assert report.count("updated") == 1
        assert len(read) >= 11  # every seed read: the store could not be
        other.rollback()
    # Kept as it was: every seed's record, from the first build.
    assert cache_path(twins.cached).exists()
    assert _cached_names(twins.cached, key) == 10
    read.clear()
    report = twins.step(START + timedelta(hours=2))
    assert report.count("unchanged") == 10
    # The cached build read only what changed since the store's build (the edited seed) and the rejected seed;
    # the build without cache, every seed.
    assert sorted(read[: len(read) - 11]) == sorted([REFERENCE_SEED.name, "bad.txt"])


def _cached_names(out: Path, key: cache_module.CacheKey) -> int:
    # Closed at once: the store keeps SQLite's lock while it is open, as a build does.
    loaded = load_cache(out, key)
    loaded.store.close()
    return len(loaded.names)


def test_cache_of_another_configuration_is_not_used(twins: Twins) -> None:
    twins.step(START)
    toml = twins.seeds / "feed.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"+07:00"', '"+09:00"'), "utf-8")
    report = twins.step(START + timedelta(hours=1))
    # A date without a time is midnight in the feed's time zone, decided while parsing.
    reference = next(e for e in report.entries if e.stem == REFERENCE_SEED.stem)
    assert reference.published == datetime(2023, 10, 18, tzinfo=timezone(timedelta(hours=9)))


def test_parse_many_gives_the_same_outcomes_with_two_workers(
    tmp_path: Path, make_seeds: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    files: dict[str, str | bytes] = {p.name: p.read_bytes() for p in _corpus_seeds(30)}
    files["bad.txt"] = BAD_SEED.read_bytes()
    seeds = make_seeds(files)
    config = load_config(seeds)
    jobs = [ParseJob(folder=p.parent, name=p.name, first_seen=START, known_digest=None) for p in list_seeds(seeds)]
    pools: list[int] = []

    class CountingPool(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, *args: object, **kwargs: object) -> None:
            pools.append(1)
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "MIN_PARALLEL_SEEDS", 2)
    # parallel.py imports the pool where it starts one: a one-seed rebuild never does.
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", CountingPool)
    monkeypatch.setattr(parallel, "_can_fork", lambda: True)
    one = parse_many(jobs, config, workers=1)
    two = parse_many(jobs, config, workers=2)
    assert pools == [1]
    assert [o.article for o in one] == [o.article for o in two]
    assert [str(o.error) for o in one] == [str(o.error) for o in two]
    assert [(o.stat, o.digest) for o in one] == [(o.stat, o.digest) for o in two]
    (bad,) = [o.error for o in two if o.error is not None]
    assert bad.path == seeds / "bad.txt"
    assert [o.article.stem for o in two if o.article is not None] == [
        p.stem for p in sorted(CORPUS.rglob("*.txt"))[:30]
    ]


def test_build_with_two_workers_is_byte_identical(
    tmp_path: Path, make_seeds: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    files: dict[str, str | bytes] = {p.name: p.read_bytes() for p in _corpus_seeds(24)}
    seeds = make_seeds(files)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_SEEDS", 2)
    monkeypatch.setattr(parallel, "_can_fork", lambda: True)
    outputs = []
    ledgers = []
    for jobs, out in ((1, tmp_path / "one"), (2, tmp_path / "two")):
        (seeds / LEDGER_NAME).unlink(missing_ok=True)
        report = build(seeds, out, now=START, jobs=jobs, use_cache=False)
        assert report.count("new") == 24
        outputs.append(_published(out))
        ledgers.append((seeds / LEDGER_NAME).read_bytes())
    assert outputs[0] == outputs[1]
    assert ledgers[0] == ledgers[1]


def test_cli_build_jobs_and_no_cache(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    result = CliRunner().invoke(main, ["build", str(seeds_dir), "--out", str(out), "--jobs", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["new"] == 1
    # stderr is not a terminal here: no progress bar, whatever the build's length.
    assert "Reading seeds" not in result.stderr
    assert cache_path(out).is_file()
    cache_path(out).unlink()
    result = CliRunner().invoke(main, ["build", str(seeds_dir), "--out", str(out), "--no-cache", "-q"])
    assert result.exit_code == 0, result.output
    assert not cache_path(out).exists()


def test_cli_build_refuses_zero_jobs(seeds_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(seeds_dir), "--out", str(tmp_path / "public"), "--jobs", "0"])
    assert result.exit_code == 2
    assert "--jobs" in result.stderr


def test_incremental_build_renders_only_pages_whose_entry_changed(
    twins: Twins, monkeypatch: pytest.MonkeyPatch
) -> None:
    twins.step(START)
    rendered: list[str] = []
    original = outputs_module.render_article

    def spy(config: FeedConfig, entry: Entry) -> bytes:
        rendered.append(entry.stem)
        return original(config, entry)

    monkeypatch.setattr(outputs_module, "render_article", spy)
    report = build(twins.seeds, twins.cached, now=START + timedelta(hours=1), jobs=1)
    assert rendered == []
    assert report.written == ()
    edited = twins.seeds / REFERENCE_SEED.name
    edited.write_text(REFERENCE_SEED.read_text(encoding="utf-8").replace("Pyongyang", "Pjöngjang"), "utf-8")
    report = build(twins.seeds, twins.cached, now=START + timedelta(hours=2), jobs=1)
    assert rendered == [REFERENCE_SEED.stem]
    assert f"articles/{REFERENCE_SEED.stem}.html" in report.written


def test_cold_build_streaming_prepared_entries_to_the_store_is_byte_identical(
    tmp_path: Path, make_seeds: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pickles prepared by the workers go to the store every few seeds, as at scale (every 500):
    # the build reads them back from there for the feeds, and the next build for what changed.
    seeds = make_seeds({p.name: p.read_bytes() for p in _corpus_seeds(24)})
    monkeypatch.setattr(parallel, "MIN_PARALLEL_SEEDS", 2)
    monkeypatch.setattr(parallel, "_can_fork", lambda: True)
    monkeypatch.setattr(cache_module, "_PENDING_MAX", 3)
    streamed = build(seeds, tmp_path / "streamed", now=START, jobs=2)
    ledger = (seeds / LEDGER_NAME).read_bytes()
    (seeds / LEDGER_NAME).unlink()  # the same start: no ledger
    fresh = build(seeds, tmp_path / "fresh", now=START, jobs=1, use_cache=False)
    assert (seeds / LEDGER_NAME).read_bytes() == ledger
    assert _published(tmp_path / "streamed") == _published(tmp_path / "fresh")
    assert _report_facts(streamed) == _report_facts(fresh)
    loaded = cache_module.load_cache(tmp_path / "streamed", cache_key(seeds, load_config(seeds)))
    stems = [path.stem for path in seeds.glob("*.txt")]
    rows = loaded.index_rows(stems)
    loaded.store.close()
    assert len(rows) == 24
    # Stored as an archive page shows them: linking to the article from archive/.
    for stem, (_digest, row) in rows.items():
        assert lxml.html.fromstring(row).find(".//h2/a").get("href") == f"../articles/{stem}.html"
    # An edit after the streamed build: only its seed is parsed again, the rest come from the store.
    edited = sorted(seeds.glob("*.txt"))[5]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nSatu paragraf lagi.\n", encoding="utf-8")
    later = START + timedelta(hours=1)
    again = build(seeds, tmp_path / "streamed", now=later, jobs=2)
    assert again.count("updated") == 1
    (seeds / LEDGER_NAME).write_bytes(ledger)
    fresh = build(seeds, tmp_path / "fresh", now=later, jobs=1, use_cache=False)
    assert _published(tmp_path / "streamed") == _published(tmp_path / "fresh")


def test_report_entries_after_the_build_come_from_the_store_then_from_the_seeds(
    tmp_path: Path, make_seeds: Callable[[dict[str, str | bytes]], Path]
) -> None:
    """The cache lets its records go once saved; a report's entries are still read, and made again if lost."""
    seeds = make_seeds({p.name: p.read_bytes() for p in _corpus_seeds(6)} | {"no_year.txt": NO_YEAR})
    out = tmp_path / "out"
    report = build(seeds, out, now=START, jobs=1)
    ledger = (seeds / LEDGER_NAME).read_bytes()
    (seeds / LEDGER_NAME).unlink()
    fresh = build(seeds, tmp_path / "fresh", now=START, jobs=1, use_cache=False)
    assert (seeds / LEDGER_NAME).read_bytes() == ledger
    expected = fresh.entries
    assert len(expected) == 7
    # Read from the store by the heads' digests.
    assert report.entries == expected
    # The store gone too: each entry is parsed again, its year still from the ledger's first-seen time.
    shutil.rmtree(out / CACHE_DIR)
    assert report.catalog is not None
    report.catalog._loaded.clear()
    assert report.entries == expected
    # "18 Oktober" before a first-seen time of March 2024.
    assert next(e for e in report.entries if e.stem == "no_year").published.year == START.year - 1


def test_large_folder_parses_its_few_changed_seeds_in_a_worker_with_the_same_bytes(
    twins: Twins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What parsing loads (numpy and the language model) stays out of a large folder's build process."""
    twins.step(START)
    monkeypatch.setattr(build_module, "ISOLATED_PARSE_SEEDS", 1)  # every folder counts as large
    monkeypatch.setattr(parallel, "_can_fork", lambda: True)
    pids = tmp_path / "parsed-in"
    real = parallel.parse_article

    def spy(seed: Seed, config: FeedConfig, **kwargs: Any) -> Article:
        with pids.open("a", encoding="utf-8") as file:
            file.write(f"{os.getpid()}\n")
        return real(seed, config, **kwargs)

    monkeypatch.setattr(parallel, "parse_article", spy)
    new = _corpus_seeds(9)[8]
    shutil.copy(new, twins.seeds / new.name)
    edited = sorted(twins.seeds.glob("*.txt"))[1]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nSatu paragraf lagi.\n", encoding="utf-8")
    report = twins.step(START + timedelta(hours=1))  # the same bytes as a build without the cache
    assert (report.count("new"), report.count("updated")) == (1, 1)
    parsed_in = pids.read_text(encoding="utf-8").split()
    assert parsed_in
    assert str(os.getpid()) not in parsed_in
