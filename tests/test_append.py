"""A build that finds only new seeds appends them, and leaves and prints what the full build would.

``seedfeed build`` asks its no-op snapshot first; when only new seed files
came since the build that recorded it, the append path builds just those.
Every run here goes through the executable (``seedfeed.entry.main``), in a
folder of its own; just before it, a twin folder is made from it (the seeds,
the ledger and the outputs, without the cache), and after it the twin is built
in full, without any cache, at the moment the run used: the time the full
build was given, the first-seen time the append path recorded for its new
seeds, or the updated time the update path recorded for the seeds it found
edited. Every output file, the ledger, what was printed and the exit code must
be the same. Both are built from the same relative paths (``seeds``,
``public``), each from its own working folder, so that the paths the reports
print are the same too.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from types import ModuleType

import feedparser
import lxml.html
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import seedfeed.build
import seedfeed.cli
import seedfeed.websub
from conftest import FEED_TOML, REPO, TESTS, A, check_atom
from seedfeed import entry, parallel, snapshot
from seedfeed.build import BuildReport
from seedfeed.build import build as full_build
from seedfeed.cache import CACHE_DIR
from seedfeed.fsutil import LOCK_NAME
from seedfeed.ledger import LEDGER_NAME, Ledger, load_ledger
from seedfeed.model import Notice
from test_snapshot import EMPTY, LATE

SEEDS = Path("seeds")
OUT = Path("public")
# Seeds written a moment ago may be vouched for: nothing changes while these builds run
# (some builds below are dated weeks back: the margin is counted from a build's own time).
SETTLED = -3650 * 86400 * 10**9
MARGIN = snapshot.SETTLE_NS  # the real one
CORPUS = sorted((TESTS / "data" / "corpus").rglob("*.txt"))
# Multilingual seeds with dates in their text (those with only relative words are dated by their first-seen time).
DATED_CORPUS = [path for path in CORPUS if "relati" not in path.stem]
BAD_PNG = (TESTS / "seeds" / "bad" / "binary_png.txt").read_bytes()
# Later than every dated seed of the corpus: the newest entry of the feed.
NEWEST = (
    "Banjir besar melanda Semarang setelah hujan deras semalaman\n"
    "Banjir besar melanda Semarang pada 20 Agustus 2025 setelah hujan deras semalaman.\n"
    "Ribuan warga mengungsi ke masjid dan sekolah terdekat.\n"
    "Huyen Le (Menurut AFP , Reuters )\n"
)
# No year anywhere: the year comes from the first-seen time, and a notice says so.
NO_YEAR = (
    "Rapat di Bandung\nRapat digelar di Bandung pada 5 Maret untuk membahas anggaran.\nDewi Lestari (Menurut AP )\n"
)
# A front matter id keeps an entry's id across renames: such a seed is never appended.
WITH_ID = "---\nid: tag:news.example.org,2023:kept\n---\n" + NEWEST
# The executable as a process runs it; its last line on stderr says what answered.
PROBE = """
import json, sys
sys.argv = ["seedfeed", *sys.argv[1:]]
from seedfeed import entry
try:
    entry.main()
    code = 0
except SystemExit as exc:
    code = exc.code or 0
print(json.dumps({"code": code, "answered": entry.answered}), file=sys.stderr)
sys.exit(code)
"""
LINE = re.compile(r"(\S+) +(\d{4}-\d{2}-\d{2})  (.*)")


def _load_generator() -> ModuleType:
    """Return benchmarks/generate_corpus.py: realistic seeds in three languages, seed ``i`` a pure function of ``i``."""
    spec = importlib.util.spec_from_file_location("generate_corpus", REPO / "benchmarks" / "generate_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_corpus", module)
    spec.loader.exec_module(module)
    return module


GENERATOR = _load_generator()


def generated(index: int, *, edit: int = 0) -> tuple[str, bytes]:
    """Return the name and bytes of generated seed ``index``."""
    seed = GENERATOR.make_seed(index, edit=edit)
    return seed.name, seed.data


def feed_toml(*, max_entries: int = 5, extra: str = "", off: Iterable[str] = ()) -> str:
    """Return a feed.toml with ``max_entries`` a page, ``extra`` keys, and every format but those ``off``."""
    formats = "".join(f"{name} = {'false' if name in off else 'true'}\n" for name in ("atom", "rss", "json", "html"))
    return FEED_TOML.replace("max_entries = 50", f"max_entries = {max_entries}") + extra + "\n[formats]\n" + formats


def published_files(out: Path) -> dict[str, bytes]:
    """Return every file under the output folder but the cache, by relative path (a stray temp file counts)."""
    if not out.exists():
        return {}
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.relative_to(out).parts[0] != CACHE_DIR
    }


def expected_output(report: BuildReport, flags: Iterable[str]) -> tuple[str, str, int]:
    """Return stdout, stderr and exit code of ``seedfeed build`` for a library build's report, as cli prints it."""
    flags = set(flags)
    printed = snapshot.printed_report(report, is_json="--json" in flags, is_quiet=bool(flags & {"-q", "--quiet"}))
    stderr = "".join(f"{part}\n" for part in (printed.errors, printed.warnings) if part)
    if printed.json:
        stdout = printed.json + "\n"
    else:
        stdout = "".join(f"{part}\n" for part in (printed.lines, f"{printed.summary} -> {OUT / 'feed.atom'}") if part)
    return stdout, stderr, 1 if printed.is_failed else 0


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    return 1  # a message: sys.exit prints it and exits 1


@dataclass(frozen=True)
class Run:
    """One ``seedfeed build`` through the executable, and the twin's full build of the same state."""

    answered: str | None  # entry.answered: "noop", "append", "update", or None for the full build
    stdout: str
    stderr: str
    code: int
    now: datetime  # the moment the twin was built at
    report: BuildReport  # the twin's
    before: Ledger  # the ledger before the run
    after: Ledger  # the ledger the run left

    @property
    def new_stems(self) -> set[str]:
        """Return the stems the run gave a record."""
        return set(self.after.records) - set(self.before.records)

    @property
    def edited_stems(self) -> set[str]:
        """Return the stems whose record the run gave another content hash."""
        return edited_stems(self.before, self.after)

    def lines(self) -> list[tuple[str, str, str]]:
        """Return the entry lines printed on stdout: change, date, title."""
        found = [LINE.fullmatch(line) for line in self.stdout.splitlines()[:-1]]
        assert all(found), self.stdout
        return [match.groups() for match in found if match]


@dataclass
class Site:
    """A seeds folder built through the executable, and a twin of it built in full at the same moment."""

    home: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    nows: list[datetime] = field(default_factory=list)  # the time of each library build the command ran
    pings: list[tuple[str, ...]] = field(default_factory=list)  # the feeds each hub ping named
    asked: list[datetime | None] = field(default_factory=list)  # the time each question to the snapshot gave
    last_now: datetime | None = None

    def __post_init__(self) -> None:
        self.seeds.mkdir(parents=True)

        def spied(*args: object, **kwargs: object) -> BuildReport:
            now = kwargs["now"]
            assert isinstance(now, datetime)
            self.nows.append(now)
            return full_build(*args, **kwargs)  # type: ignore[arg-type]  # passed through unchanged

        def ping(hub: str, topics: Iterable[str], **kwargs: object) -> tuple[Notice, ...]:
            self.pings.append(tuple(topics))
            return ()

        def asked(*args: object, **kwargs: object) -> object:
            now = kwargs.get("now")
            assert now is None or isinstance(now, datetime)
            self.asked.append(now)
            return real_load(*args, **kwargs)  # type: ignore[arg-type]  # passed through unchanged

        real_load = snapshot.load_noop_report
        self.monkeypatch.setattr(seedfeed.build, "build", spied)
        self.monkeypatch.setattr(seedfeed.websub, "ping_hub", ping)
        self.monkeypatch.setattr(snapshot, "load_noop_report", asked)

    @property
    def seeds(self) -> Path:
        return self.home / "site" / SEEDS

    @property
    def out(self) -> Path:
        return self.home / "site" / OUT

    @property
    def twin(self) -> Path:
        return self.home / "twin"

    def write(self, name: str, data: str | bytes) -> Path:
        path = self.seeds / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def write_config(self, text: str) -> None:
        self.write("feed.toml", text)

    def add_corpus(self, paths: Iterable[Path]) -> None:
        for path in paths:
            shutil.copyfile(path, self.seeds / path.name)

    def add_generated(self, indexes: Iterable[int]) -> list[str]:
        names = []
        for index in indexes:
            name, data = generated(index)
            self.write(name, data)
            names.append(name)
        return names

    def library_build(self, now: datetime) -> BuildReport:
        """Build with the library at ``now`` (a moment in the past), as a cron job did then."""
        with contextlib.chdir(self.home / "site"):
            report = full_build(SEEDS, OUT, now=now, jobs=1)
        self.last_now = now
        return report

    def ledger_bytes(self, home: Path) -> bytes | None:
        path = home / SEEDS / LEDGER_NAME
        return path.read_bytes() if path.exists() else None

    def run(self, *flags: str, is_compared: bool = True, is_separate: bool = False) -> Run:
        """Run ``seedfeed build seeds --out public FLAGS``; assert the twin's full build leaves and prints the same.

        ``is_compared`` False: only build the twin, for a state a build with
        the parse cache is not meant to see as a build without it would.
        ``is_separate``: run the executable in a process of its own, as a cron
        job does (only an append, an update or a no-op then: a full build's time is not known here).
        """
        self.copy_to_twin()
        before = load_ledger(self.seeds / LEDGER_NAME)
        # As a fresh process starts: nothing answered, nothing asked.
        self.monkeypatch.setattr(entry, "answered", None)
        self.monkeypatch.setattr(entry, "unanswered", None)
        self.monkeypatch.setattr(sys, "argv", ["seedfeed", "build", str(SEEDS), "--out", str(OUT), *flags])
        builds = len(self.nows)
        if is_separate:
            answered, stdout, stderr, code = self._run_process(flags)
            # The time of a full build in another process is not known here.
            assert answered is not None
        else:
            answered, stdout, stderr, code = self._run_here()
            # The full build is the library's build(); the other two answers never call it.
            assert (len(self.nows) > builds) is (answered is None), answered
        after = load_ledger(self.seeds / LEDGER_NAME)
        assert answered in (None, "noop", "append", "update"), answered
        # In this process, the time the snapshot was asked at (the build's, when it answers) is known.
        asked = self.asked[-1] if self.asked and not is_separate and answered is not None else None
        if answered is None:
            now = self.nows[-1]
        elif answered == "update" and set(after.records) != set(before.records):
            # Seeds removed, and nothing else: their records became tombstones, dated at the build's time.
            assert set(after.records) < set(before.records), "an update adds no record"
            assert all(after.records[stem] == before.records[stem] for stem in after.records)
            gone = {before.records[stem].id for stem in set(before.records) - set(after.records)}
            # Dated at the build's time; unless they expired at once (no days kept, and the clock set
            # back behind the ledger's newest event): then the time this process asked at.
            (now,) = {tombstone.when for tombstone in after.tombstones if tombstone.id in gone} or {asked}
            assert now is not None, "a removal's tombstones outlive the build that made them"
            assert asked in (None, now)
        elif answered == "update":
            edited = edited_stems(before, after)
            assert edited, "an update gives the edited seeds' records their new content hash"
            assert {stem for stem in after.records if after.records[stem] != before.records[stem]} == edited
            # The moment the update built at: each edit's updated time, unless the seed's last edit
            # was less than a second earlier (updated then moves on by a second). A full build given
            # it records the same times.
            now = min(after.records[stem].updated for stem in edited)
            assert asked is None or now >= asked
        elif answered == "append":
            new = set(after.records) - set(before.records)
            assert new, "an append gives the new seeds their records"
            # The moment the append built at is the first-seen time of what it added.
            first_seen = {after.records[stem].first_seen for stem in new}
            assert len(first_seen) == 1, first_seen
            now = first_seen.pop()
            assert asked in (None, now)
        else:
            assert self.last_now is not None, "nothing to answer before a first build"
            # Nothing new: a full build at any later moment leaves the very bytes.
            now = self.last_now + timedelta(minutes=1)
        report = self.build_twin(now, is_strict="--strict" in flags)
        self.last_now = now
        if is_compared:
            self.assert_same_as_twin()
            assert (stdout, stderr, code) == expected_output(report, flags)
        for feed in (self.out / "feed.atom", *sorted((self.out / "archive").glob("*.atom"))):
            if feed.exists():
                check_atom(feed.read_bytes())
        return Run(answered, stdout, stderr, code, now, report, before, after)

    def copy_to_twin(self) -> None:
        """Make the twin folder the state of this one: seeds, ledger and outputs, without the cache."""
        shutil.rmtree(self.twin, ignore_errors=True)
        shutil.copytree(self.seeds, self.twin / SEEDS, ignore=shutil.ignore_patterns(LOCK_NAME))
        if self.out.exists():
            shutil.copytree(self.out, self.twin / OUT, ignore=shutil.ignore_patterns(CACHE_DIR))

    def build_twin(self, now: datetime, *, is_strict: bool = False) -> BuildReport:
        """Build the twin in full, without any cache, at ``now``."""
        with contextlib.chdir(self.twin):
            return full_build(SEEDS, OUT, now=now, is_strict=is_strict, jobs=1, use_cache=False)

    def _run_here(self) -> tuple[str | None, str, str, int]:
        """Run ``entry.main()`` in this process; return what answered, stdout, stderr and the exit code."""
        self.capsys.readouterr()
        was_collecting = gc.isenabled()  # the command turns the collector off for the rest of its process
        try:
            with contextlib.chdir(self.home / "site"):
                entry.main()
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc)
        finally:
            if was_collecting:
                gc.enable()
        printed = self.capsys.readouterr()
        return entry.answered, printed.out, printed.err, code

    def _run_process(self, flags: Iterable[str]) -> tuple[str | None, str, str, int]:
        """Run the executable in a process of its own; return what answered, stdout, stderr and the exit code."""
        (process,) = self.start_processes(1, flags)
        return finish_process(process)

    def start_processes(self, count: int, flags: Iterable[str] = ()) -> list[subprocess.Popen[str]]:
        """Start ``count`` processes of the executable at once."""
        return [
            subprocess.Popen(
                [sys.executable, "-c", PROBE, "build", str(SEEDS), "--out", str(OUT), *flags],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": str(REPO / "src")},
                cwd=self.home / "site",
            )
            for _ in range(count)
        ]

    def assert_same_as_twin(self) -> None:
        ours, theirs = published_files(self.out), published_files(self.twin / OUT)
        assert sorted(ours) == sorted(theirs)
        assert [name for name in ours if ours[name] != theirs[name]] == []
        assert self.ledger_bytes(self.home / "site") == self.ledger_bytes(self.twin)


def edited_stems(before: Ledger, after: Ledger) -> set[str]:
    """Return the stems whose record's content hash changed from ``before`` to ``after``."""
    return {
        stem
        for stem, record in after.records.items()
        if stem in before.records and record.content_hash != before.records[stem].content_hash
    }


def finish_process(process: subprocess.Popen[str]) -> tuple[str | None, str, str, int]:
    """Wait for a process of the executable; return what answered, stdout, stderr and the exit code."""
    stdout, stderr_text = process.communicate(timeout=120)
    *stderr, last = stderr_text.splitlines(keepends=True)
    status = json.loads(last)
    assert status["code"] == process.returncode
    return status["answered"], stdout, "".join(stderr), process.returncode


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Site:
    return Site(tmp_path, monkeypatch, capsys)


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a build vouch for seeds written a moment ago; the real margin has its own tests below."""
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)


def atom_entries(out: Path) -> list[tuple[str, str]]:
    """Return the id and title of each entry of the subscription document, in its order."""
    root = check_atom((out / "feed.atom").read_bytes())
    return [(e.findtext(f"{A}id") or "", e.findtext(f"{A}title") or "") for e in root.findall(f"{A}entry")]


def entry_id(name: str) -> str:
    return f"tag:news.example.org,2023:{Path(name).stem}"


def start(site: Site, *, count: int = 11, config: str | None = None, flags: tuple[str, ...] = ()) -> Run:
    """Write ``count`` dated seeds of the corpus and build them; a rebuild is then answered from the snapshot."""
    site.write_config(feed_toml() if config is None else config)
    site.add_corpus(DATED_CORPUS[:count])
    first = site.run(*flags)
    assert first.answered is None
    assert first.report.count("new") == count
    return first


# 1. Equivalence.


@pytest.mark.parametrize(("count", "max_entries"), [(1, 5), (3, 5), (32, 50)])
@pytest.mark.usefixtures("settled")
def test_append_new_seeds_gives_the_full_builds_bytes_and_report(site: Site, count: int, max_entries: int) -> None:
    start(site, config=feed_toml(max_entries=max_entries))
    assert site.run().answered == "noop"
    if max_entries == 5:
        assert {"archive/1.atom", "archive/2.atom", "archive/1.html", "archive/2.html"} <= set(
            published_files(site.out)
        )
    if count == 1:
        names = ["newest_flood.txt"]
        site.write(names[0], NEWEST)
    else:
        names = site.add_generated(range(count))
    run = site.run()
    assert run.answered == "append"
    assert run.code == 0
    assert run.new_stems == {Path(name).stem for name in names}
    assert run.report.count("new") == count
    assert run.report.count("unchanged") == 11
    # The new seeds' lines say "new", the others "unchanged".
    changes = [change for change, _day, _title in run.lines()]
    assert sorted(changes) == sorted(["new"] * count + ["unchanged"] * 11)
    new_titles = {title for change, _day, title in run.lines() if change == "new"}
    entries = atom_entries(site.out)
    by_id = dict(entries)
    assert {by_id[entry_id(name)] for name in names} == new_titles
    if count == 1:
        # Dated after every other seed: the first entry of each feed.
        assert entries[0] == (entry_id(names[0]), "Banjir besar melanda Semarang setelah hujan deras semalaman")
        items = json.loads((site.out / "feed.json").read_bytes())["items"]
        assert items[0]["id"] == entry_id(names[0])
        assert items[0]["date_published"].startswith("2025-08-20")
        rss = feedparser.parse((site.out / "feed.rss").read_bytes())
        assert rss.bozo == 0
        assert rss.entries[0].title == entries[0][1]
    for name in names:
        page = lxml.html.fromstring((site.out / "articles" / f"{Path(name).stem}.html").read_bytes())
        assert page.findtext(".//h1") == by_id[entry_id(name)]
    index = lxml.html.fromstring((site.out / "index.html").read_bytes())
    linked = {link.get("href") for link in index.iter("a")}
    assert {f"articles/{Path(name).stem}.html" for name in names} <= linked
    # Nothing new since: the snapshot the append recorded answers.
    again = site.run()
    assert again.answered == "noop"
    assert again.lines() == [("unchanged", day, title) for _change, day, title in run.lines()]


@pytest.mark.usefixtures("settled")
def test_append_beside_a_rejected_seed_reports_it_and_exits_1(site: Site) -> None:
    site.write("zz_empty.txt", EMPTY)
    first = start(site)
    assert first.code == 1
    (name,) = site.add_generated([9])
    run = site.run()
    assert run.answered == "append"
    assert run.code == 1
    assert run.stderr.splitlines()[0] == f"rejected: {SEEDS / 'zz_empty.txt'}: {run.report.rejected[0].problem}"
    assert [change for change, _day, _title in run.lines() if change == "new"] == ["new"]
    assert run.new_stems == {Path(name).stem}


OK_SEEDS = sorted((TESTS / "seeds" / "ok").glob("*.txt"))
LEGACY = (
    "Harga beras naik di Jakarta\nHarga beras di pasar Jakarta naik pada 4 Februari 2024, kata pedagang – «mahal».\n"
)
NEW_SEEDS: dict[str, tuple[str, bytes]] = {
    **{path.stem: (path.name, path.read_bytes()) for path in OK_SEEDS},
    # Dated by their first-seen time: the newest entries, and a notice.
    "relative-only": ("id_relative_only.txt", (TESTS / "data" / "corpus" / "id" / "id_relative_only.txt").read_bytes()),
    "legacy-encoding": ("legacy.txt", LEGACY.encode("cp1252")),
    "non-ascii-name": ("berita-ñandú-東京.txt", NEWEST.encode("utf-8")),
    "first-by-name": ("0000_first.txt", NEWEST.replace("Semarang", "Solo").encode("utf-8")),
    # Characters XML cannot carry, and markup: stripped and escaped as the full build does.
    "control-characters": ("kontrol.txt", NEWEST.replace("Ribuan", "Ribuan\x01 <b>warga</b>\x0b").encode("utf-8")),
}


@pytest.mark.parametrize("name_data", NEW_SEEDS.values(), ids=NEW_SEEDS.keys())
@pytest.mark.usefixtures("settled")
def test_append_any_kind_of_good_new_seed(site: Site, name_data: tuple[str, bytes]) -> None:
    name, data = name_data
    start(site, count=6)
    site.write(name, data)
    run = site.run()
    assert run.answered == "append"
    assert run.new_stems == {Path(name).stem}
    (new,) = [head for head in run.report.heads if head.stem == Path(name).stem]
    assert (new.id, new.title) in atom_entries(site.out)
    assert site.run().answered == "noop"


@pytest.mark.parametrize("days", [10, 40], ids=["kept", "expired-by-the-new-arrival"])
@pytest.mark.usefixtures("settled")
def test_append_after_a_removal_keeps_or_expires_its_tombstone_as_the_full_build(site: Site, days: int) -> None:
    # Tombstones last tombstone_days (30) from the ledger's newest event: a new arrival is one.
    now = datetime.now(UTC).replace(microsecond=0)
    site.write_config(feed_toml())
    site.add_corpus(DATED_CORPUS[:11])
    site.library_build(now - timedelta(days=days + 5))
    (site.seeds / DATED_CORPUS[10].name).unlink()
    removed = site.library_build(now - timedelta(days=days))
    assert len(removed.removed) == 1
    assert site.run().answered == "noop"
    site.add_generated([11])
    run = site.run()
    assert run.answered == "append"
    root = check_atom((site.out / "feed.atom").read_bytes())
    deleted = root.findall("{http://purl.org/atompub/tombstones/1.0}deleted-entry")
    assert [element.get("ref") for element in deleted] == ([entry_id(DATED_CORPUS[10].name)] if days < 30 else [])


@pytest.mark.parametrize("days", [10, 40], ids=["still-announced", "announced-no-more"])
@pytest.mark.usefixtures("settled")
def test_append_after_an_edit_of_an_archived_entry_as_the_full_build(site: Site, days: int) -> None:
    # An archived entry edited lately is carried in the subscription document, for a while.
    now = datetime.now(UTC).replace(microsecond=0)
    site.write_config(feed_toml())
    site.add_corpus(DATED_CORPUS[:11])
    site.library_build(now - timedelta(days=days + 5))
    oldest = site.seeds / DATED_CORPUS[0].name
    oldest.write_bytes(oldest.read_bytes() + b"\nParagraf tambahan dari redaksi.\n")
    edited = site.library_build(now - timedelta(days=days))
    assert edited.count("updated") == 1
    assert entry_id(oldest.name) in dict(atom_entries(site.out))
    assert site.run().answered == "noop"
    site.add_generated([11])
    run = site.run()
    assert run.answered == "append"
    shown = dict(atom_entries(site.out))
    assert (entry_id(oldest.name) in shown) is (days < 30)


CONFIGS = {
    "no-json-no-html": (feed_toml(off=("json", "html")), False),
    "no-rss": (feed_toml(off=("rss",)), True),
    "html-only": (feed_toml(off=("atom", "rss", "json")), True),
    "zone-with-summer-time": (
        feed_toml(
            extra='subtitle = "Kabar"\nauthor_email = "desk@news.example.org"\nauthor_uri = "https://news.example.org/d"\n'
        ).replace('time_zone = "+07:00"', 'time_zone = "America/Sao_Paulo"'),
        True,
    ),
    "tombstones-expire-at-once": (feed_toml(extra="tombstone_days = 0\n"), True),
}


@pytest.mark.parametrize(("config", "has_html"), CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.usefixtures("settled")
def test_append_under_other_configurations(site: Site, config: str, has_html: bool) -> None:
    start(site, count=7, config=config)
    (site.seeds / DATED_CORPUS[6].name).unlink()  # a tombstone, unless they expire at once
    assert site.run().answered == "update"
    site.add_generated([20])
    assert site.run().answered == "append"
    (name,) = site.add_generated([21])
    assert site.run().answered == "append"
    assert (site.out / "articles" / f"{Path(name).stem}.html").exists() is has_html
    assert site.run().answered == "noop"


@pytest.mark.usefixtures("settled")
def test_append_orders_entries_of_the_same_moment_by_id_as_the_full_build(site: Site) -> None:
    # Seeds with only relative dates are dated by their first-seen time: all of a
    # build's such seeds share one moment, and may share it with the build before.
    relative = [path for path in CORPUS if "relati" in path.stem]
    start(site, count=3, config=feed_toml(max_entries=50))
    site.add_corpus(relative[:4])
    assert site.run().answered == "append"
    for path in relative[4:7]:
        site.write(f"aa_{path.name}", path.read_bytes())
        site.write(f"zz_{path.name}", path.read_bytes())
    # The same text and date under names sorted before and after the first copies.
    site.write(f"aa_{DATED_CORPUS[1].name}", DATED_CORPUS[1].read_bytes())
    site.write(f"zz_{DATED_CORPUS[1].name}", DATED_CORPUS[1].read_bytes())
    run = site.run()
    assert run.answered == "append"
    assert len(run.new_stems) == 8
    heads = run.report.heads
    keys = [(-head.published.timestamp(), head.id) for head in heads]
    assert keys == sorted(keys)
    assert len({head.published for head in heads}) < len(heads)


@pytest.mark.usefixtures("settled")
def test_append_a_seed_back_under_a_removed_name_as_the_full_build(site: Site) -> None:
    start(site)
    gone = site.seeds / DATED_CORPUS[3].name
    data = gone.read_bytes()
    gone.unlink()
    assert site.run().report.removed == (entry_id(gone.name),)
    gone.write_bytes(data)
    run = site.run()
    # The full build decides what an id that has a tombstone becomes.
    assert run.answered is None
    assert site.run().answered == "noop"


@pytest.mark.usefixtures("settled")
def test_append_a_seed_whose_id_another_seed_claims_as_the_full_build(site: Site) -> None:
    site.write_config(feed_toml())
    site.add_corpus(DATED_CORPUS[:6])
    site.write("claims.txt", WITH_ID)  # id tag:news.example.org,2023:kept
    assert site.run().report.count("new") == 7
    site.write("kept.txt", NEWEST.replace("Semarang", "Kudus"))
    run = site.run()
    assert run.answered is None
    assert run.code == (1 if run.report.rejected else 0)


@pytest.mark.usefixtures("settled")
def test_append_then_full_builds_over_the_cache_it_left(site: Site) -> None:
    start(site)
    added = site.add_generated([30, 31])
    assert site.run().answered == "append"
    # A full build next, with the parse cache the append saved: the new seeds as parsed then.
    _touch_old(site)
    assert site.run().answered is None
    new = site.seeds / added[0]
    new.write_bytes(GENERATOR.make_seed(30, edit=1).data)
    # An edit alone is built alone (update.py), from the records the full build left.
    run = site.run()
    assert run.answered == "update"
    assert run.report.changes[new.stem] == "updated"
    assert site.run().answered == "noop"


@pytest.mark.parametrize("flags", [("--json",), ("--json", "-q")], ids=["json", "json-quiet"])
@pytest.mark.usefixtures("settled")
def test_append_with_json_prints_the_full_builds_json_report(site: Site, flags: tuple[str, ...]) -> None:
    start(site, flags=flags)
    assert site.run(*flags).answered == "noop"
    site.write("newest_flood.txt", NEWEST)
    site.write("no_year.txt", NO_YEAR)
    run = site.run(*flags)  # compared byte for byte with the full build's JSON (Site.run)
    assert run.answered == "append"
    report = json.loads(run.stdout)
    assert (report["published"], report["new"], report["unchanged"], report["updated"]) == (13, 2, 11, 0)
    changes = {item["id"]: item["change"] for item in report["entries"]}
    assert {item_id for item_id, change in changes.items() if change == "new"} == {
        entry_id("newest_flood.txt"),
        entry_id("no_year.txt"),
    }
    # Newest first: the seed without a year takes this year's, then the flood of 2025, then the rest.
    assert [item["id"] for item in report["entries"][:2]] == [entry_id("no_year.txt"), entry_id("newest_flood.txt")]
    assert {"seedfeed-ledger.json", "articles/newest_flood.html", "feed.atom"} <= set(report["written"])
    # The new seed's notice (no year in its text) comes after the others', as a build lists them.
    assert report["notices"][-1]["path"] == str(SEEDS / "no_year.txt")
    # Recorded as JSON: the same command has nothing to do, and appends again.
    assert site.run(*flags).answered == "noop"
    site.add_generated([70])
    again = site.run(*flags)
    assert again.answered == "append"
    assert json.loads(again.stdout)["new"] == 1
    # An edit is spliced into the JSON report too (update.py); with a new seed as well, the full build runs.
    old = _old_seed(site)
    old.write_bytes(same_size_edit(old.read_bytes()))
    assert site.run(*flags).answered == "update"
    _edit_old_same_size(site)  # and one more new seed
    assert site.run(*flags).answered is None
    # The text report was not recorded: a build without --json runs in full once.
    assert site.run().answered is None
    assert site.run().answered == "noop"


# 2. A chain of appends over seeds written a moment ago.


def test_append_chain_over_seeds_just_written_then_noop(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)
    # Ten a page: the five arrivals below fill none (the eleventh to the sixteenth).
    start(site, config=feed_toml(max_entries=10))
    assert (site.out / "archive" / "1.atom").is_file()
    # From here on the real margin: every seed below is written just before the build that reads it.
    monkeypatch.setattr(snapshot, "SETTLE_NS", MARGIN)
    added: list[str] = []
    for index in range(3):
        added += site.add_generated([index])
        run = site.run()
        assert run.answered == "append", index
        assert run.new_stems == {Path(added[-1]).stem}
        assert [title for change, _day, title in run.lines() if change == "new"] == [GENERATOR.make_seed(index).title]
        ids = dict(atom_entries(site.out))
        assert {entry_id(name) for name in added} <= set(ids)
    # Only what is printed differs with these flags; --strict with nothing rejected is a plain build.
    for index, flags in ((3, ("--quiet",)), (4, ("--strict",))):
        added += site.add_generated([index])
        run = site.run(*flags)
        assert run.answered == "append", flags
        assert run.new_stems == {Path(added[-1]).stem}
        # Quiet: the summary line alone.
        assert (len(run.lines()) == 0) is ("--quiet" in flags)
    noop = site.run()
    assert noop.answered == "noop"
    assert noop.report.count("unchanged") == 11 + len(added)
    assert {change for change, _day, _title in noop.lines()} == {"unchanged"}
    quiet = site.run("-q")
    assert quiet.answered == "noop"
    assert quiet.stdout == noop.stdout.splitlines(keepends=True)[-1]


def test_append_in_a_process_of_its_own(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    # The process has the real margin: the seeds below are too recent for their stat alone.
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)
    start(site)
    monkeypatch.setattr(snapshot, "SETTLE_NS", MARGIN)
    site.write("zz_late.txt", LATE)  # a notice, printed as the full build prints it: the newest arrival's, last
    first = site.run(is_separate=True)
    assert first.answered == "append"
    assert first.stderr.splitlines()[-1].startswith(f"warning: {SEEDS / 'zz_late.txt'}: ")
    site.add_generated([40, 41])
    second = site.run("--quiet", is_separate=True)
    assert second.answered == "append"
    assert second.new_stems == {GENERATOR.make_seed(40).name[:-4], GENERATOR.make_seed(41).name[:-4]}
    noop = site.run(is_separate=True)
    assert noop.answered == "noop"
    assert noop.report.count("unchanged") == 14


def test_append_by_two_processes_at_once_builds_once(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two cron jobs overlap: one appends under the build lock, the other then finds nothing to do.
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)
    start(site)
    site.add_generated([60, 61])
    site.copy_to_twin()
    before = load_ledger(site.seeds / LEDGER_NAME)
    finished = sorted(
        (finish_process(process) for process in site.start_processes(2)),
        key=lambda result: str(result[0]),
    )
    assert [answered for answered, *_rest in finished] == ["append", "noop"]
    after = load_ledger(site.seeds / LEDGER_NAME)
    (now,) = {after.records[stem].first_seen for stem in set(after.records) - set(before.records)}
    report = site.build_twin(now)
    site.assert_same_as_twin()
    assert finished[0][1:] == expected_output(report, ())
    assert report.count("new") == 2
    # What the other printed is what a rebuild with nothing new prints.
    assert finished[1][1:] == expected_output(site.build_twin(now + timedelta(minutes=1)), ())
    site.assert_same_as_twin()


# 3. Anything but new good seeds: the full build.


def _add_one(site: Site) -> None:
    site.add_generated([7])


def _add_bad(site: Site) -> None:
    site.write("zz_empty.txt", EMPTY)


def _add_bad_and_good(site: Site) -> None:
    site.write("zz_binary.txt", BAD_PNG)
    _add_one(site)


def _add_with_id(site: Site) -> None:
    site.write("with_id.txt", WITH_ID)


def _add_oversized(site: Site) -> None:
    site.write("oversized.txt", NEWEST + "Paragraf panjang dari redaksi.\n" * 100)


def _add_two(site: Site) -> None:
    site.add_generated([7, 8])


def _add_33(site: Site) -> None:
    # A folder of 44 seeds then: 32 new ones may be appended (snapshot.append_limit), not 33.
    assert snapshot.append_limit(11 + 33) == 32
    site.add_generated(range(100, 133))


def _old_seed(site: Site) -> Path:
    return site.seeds / DATED_CORPUS[0].name


def _edit_old(site: Site) -> None:
    path = _old_seed(site)
    path.write_bytes(path.read_bytes() + b"\nSebuah paragraf tambahan.\n")
    _add_one(site)


def _edit_old_same_size(site: Site) -> None:
    path = _old_seed(site)
    path.write_bytes(same_size_edit(path.read_bytes()))
    _add_one(site)


def _touch_old(site: Site) -> None:
    path = _old_seed(site)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    _add_one(site)


def _remove_old(site: Site) -> None:
    _old_seed(site).unlink()
    _add_one(site)


def _edit_config(site: Site) -> None:
    config = site.seeds / "feed.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("Test feed", "Another feed"), encoding="utf-8")
    _add_one(site)


def _edit_output(site: Site) -> None:
    with (site.out / "articles" / f"{DATED_CORPUS[1].stem}.html").open("ab") as fh:
        fh.write(b"<p>defaced</p>")
    _add_one(site)


def _delete_output(site: Site) -> None:
    (site.out / "feed.rss").unlink()
    _add_one(site)


def _temp_output(site: Site) -> None:
    (site.out / ".feed.atom.abcd1234.tmp").write_bytes(b"half")
    _add_one(site)


def _relay_ledger(site: Site) -> None:
    # The same records laid out otherwise: a ledger not as the last build left it.
    ledger = site.seeds / LEDGER_NAME
    ledger.write_text(json.dumps(json.loads(ledger.read_bytes()), indent=1), encoding="utf-8")
    _add_one(site)


def same_size_edit(data: bytes) -> bytes:
    """Return ``data`` with its first ASCII letter or digit changed to another: same size, other bytes.

    Every seed here holds one (a Cyrillic text, its digits): the edit stays UTF-8.
    """
    match = re.search(rb"[A-Za-z0-9]", data)
    assert match is not None
    index = match.start()
    old = data[index : index + 1]
    new = {b"a": b"b", b"7": b"8"}.get(old, b"7" if old.isdigit() else b"a")
    return data[:index] + new + data[index + 1 :]


@dataclass(frozen=True)
class Fallback:
    change: Callable[[Site], None]
    flags: tuple[str, ...] = ()
    initial_flags: tuple[str, ...] = ()
    extra: str = ""  # feed.toml keys
    max_entries: int = 5
    count: int = 11  # seeds of the first build
    rejected: bool = False  # a seed of the first build is rejected


FALLBACKS = {
    "strict-over-a-rejection": Fallback(_add_one, flags=("--strict",), rejected=True),
    "complete": Fallback(_add_one, extra="complete = true\n"),
    "hub": Fallback(_add_one, extra='hub = "https://hub.example.org/"\n'),
    "new-seed-rejected": Fallback(_add_bad),
    "new-seeds-one-rejected": Fallback(_add_bad_and_good),
    "new-seed-with-front-matter-id": Fallback(_add_with_id),
    "new-seed-too-large": Fallback(_add_oversized, extra="max_seed_bytes = 2000\n"),
    # The first archive page is born in a full build, with its folder (later ones are appended: below).
    "first-archive-page-exactly-full": Fallback(_add_one, count=4),
    "first-archive-page": Fallback(_add_two, count=4),
    "more-new-seeds-than-the-limit": Fallback(_add_33, max_entries=50),
    "old-seed-edited": Fallback(_edit_old),
    "old-seed-edited-same-size": Fallback(_edit_old_same_size),
    "old-seed-touched": Fallback(_touch_old),
    "old-seed-removed": Fallback(_remove_old),
    "config-edited": Fallback(_edit_config),
    "output-edited": Fallback(_edit_output),
    "output-deleted": Fallback(_delete_output),
    "output-temp-file": Fallback(_temp_output),
    "ledger-changed": Fallback(_relay_ledger),
}


@pytest.mark.parametrize("case", FALLBACKS.values(), ids=FALLBACKS.keys())
@pytest.mark.usefixtures("settled")
def test_append_falls_back_to_the_full_build(site: Site, case: Fallback) -> None:
    if case.rejected:
        site.write("zz_empty.txt", EMPTY)
    first = start(
        site,
        count=case.count,
        config=feed_toml(max_entries=case.max_entries, extra=case.extra),
        flags=case.initial_flags,
    )
    assert first.code == (1 if case.rejected else 0)
    # A rebuild with nothing new is answered: the snapshot is there to be used.
    assert site.run(*case.initial_flags).answered == "noop"
    case.change(site)
    pings = len(site.pings)
    run = site.run(*case.flags)
    assert run.answered is None
    if case.extra.startswith("hub"):
        # The full build tells the hub, as the append path could not.
        (told,) = site.pings[pings:]
        assert "https://news.example.org/feed.atom" in told
    if case.count == 4 and case.change in (_add_one, _add_two):
        assert (site.out / "archive" / "1.atom").is_file()
        assert (site.out / "archive" / "1.html").is_file()
    if "--strict" in case.flags:
        assert run.report.is_withheld
        assert run.after == run.before


@pytest.mark.parametrize("flags", [(), ("--json",)], ids=["text", "json"])
@pytest.mark.usefixtures("settled")
def test_append_of_a_batch_of_a_tenth_of_a_large_folder(
    site: Site, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...]
) -> None:
    """A morning's batch, more than 32 new seeds, is appended alone in a folder ten times its size; one more is not."""
    site.write_config(feed_toml(max_entries=50))
    site.add_generated(range(360))
    assert site.run(*flags).answered is None
    # Parsed over two processes, as a batch of hundreds is.
    monkeypatch.setattr(parallel, "MIN_PARALLEL_SEEDS", 2)
    monkeypatch.setattr(parallel, "_can_fork", lambda: True)
    assert snapshot.append_limit(400) == 40
    names = site.add_generated(range(1000, 1040))
    run = site.run(*flags)  # and the twin's full build: the same bytes, the same report
    assert run.answered == "append"
    assert run.new_stems == {Path(name).stem for name in names}
    assert run.report.count("new") == 40
    # Filled: archive page 8 (arrivals 351 to 400), which the 40 new seeds completed.
    assert (site.out / "archive" / "8.atom").is_file()
    assert snapshot.append_limit(441) == 44
    site.add_generated(range(2000, 2045))
    assert site.run(*flags).answered is None


@pytest.mark.parametrize(
    ("count", "added", "max_entries"),
    [(9, 1, 5), (9, 2, 5), (6, 4, 5), (5, 12, 3), (7, 3, 5)],
    ids=["fills-exactly", "fills-and-one-more", "fills-from-one", "fills-four-pages", "fills-none"],
)
@pytest.mark.parametrize("flags", [(), ("--json",)], ids=["text", "json"])
@pytest.mark.usefixtures("settled")
def test_append_that_fills_archive_pages_writes_them_as_the_full_build(
    site: Site, count: int, added: int, max_entries: int, flags: tuple[str, ...]
) -> None:
    start(site, count=count, config=feed_toml(max_entries=max_entries), flags=flags)
    assert site.run(*flags).answered == "noop"
    pages_before = {path.name for path in (site.out / "archive").iterdir()}
    names = site.add_generated(range(60, 60 + added))
    run = site.run(*flags)
    assert run.answered == "append"
    if flags:
        # The documents the JSON report lists: every archive page, then the subscription document.
        full_pages = (count + added) // max_entries
        assert json.loads(run.stdout)["documents"] == [
            *(f"archive/{number}.atom" for number in range(1, full_pages + 1)),
            "feed.atom",
        ]
    full = (count + added) // max_entries
    assert {path.name for path in (site.out / "archive").iterdir()} == {
        f"{number}.{kind}" for number in range(1, full + 1) for kind in ("atom", "html")
    }
    filled = range(count // max_entries + 1, full + 1)
    assert len(pages_before) == 2 * (count // max_entries)
    for number in filled:
        # A new page: the arrivals it numbers, linked to the one before it and to the subscription document.
        root = check_atom((site.out / "archive" / f"{number}.atom").read_bytes())
        ids = {entry.findtext(f"{A}id") for entry in root.findall(f"{A}entry")}
        arrived = {
            record.id
            for record in run.after.records.values()
            if (number - 1) * max_entries < record.arrival <= number * max_entries
        }
        assert ids == arrived
        assert len(ids) == max_entries
        rels = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
        assert rels["current"] == "https://news.example.org/feed.atom"
        if number > 1:
            assert rels["prev-archive"] == f"https://news.example.org/archive/{number - 1}.atom"
        page = lxml.html.fromstring((site.out / "archive" / f"{number}.html").read_bytes())
        linked = {link.get("href") for link in page.iter("a")}
        assert {f"../articles/{record_id.rsplit(':', 1)[1]}.html" for record_id in ids} <= linked
    subscription = check_atom((site.out / "feed.atom").read_bytes())
    rels = {link.get("rel"): link.get("href") for link in subscription.findall(f"{A}link")}
    assert rels.get("prev-archive") == f"https://news.example.org/archive/{full}.atom"
    assert {Path(name).stem for name in names} == run.new_stems
    # The snapshot the append recorded covers the new pages: nothing new, nothing built.
    assert site.run(*flags).answered == "noop"
    site.add_generated([90])
    assert site.run(*flags).answered == "append"


@pytest.mark.parametrize("appends_since", [0, 1, 2], ids=["just-appended", "appended-one-build-before", "two-before"])
@pytest.mark.parametrize("is_mtime_kept", [False, True], ids=["edited", "edited-mtime-kept"])
def test_append_then_same_size_edit_of_a_new_seed_is_built_again(
    site: Site, monkeypatch: pytest.MonkeyPatch, is_mtime_kept: bool, appends_since: int
) -> None:
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)
    start(site)
    monkeypatch.setattr(snapshot, "SETTLE_NS", MARGIN)
    (name,) = site.add_generated([5])
    assert site.run().answered == "append"
    path = site.seeds / name
    stat = path.stat()
    # More appends while the seed is still too recent for its stat alone: each snapshot must remember it.
    for index in range(appends_since):
        site.add_generated([50 + index])
        assert site.run().answered == "append"
    path.write_bytes(same_size_edit(GENERATOR.make_seed(5).data))
    if is_mtime_kept:
        # Size, mtime and inode as the append saw them: only the bytes tell the edit.
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert (path.stat().st_size, path.stat().st_mtime_ns, path.stat().st_ino) == (
            stat.st_size,
            stat.st_mtime_ns,
            stat.st_ino,
        )
    # The ctime, which no program sets back, tells the snapshot of the edit: the seed alone is built again.
    run = site.run()
    assert run.answered == "update"
    assert run.report.changes[Path(name).stem] == "updated"


# 4. Notices of a new seed are printed as the full build prints them.


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (NO_YEAR, "year inferred"),
        (LATE, "byline"),
        (TESTS / "data" / "corpus" / "fr" / "fr_jour_mois_contexte.txt", "language"),
    ],
    ids=["year-inferred", "no-byline", "other-language"],
)
@pytest.mark.parametrize("name", ["0_notice.txt", "zz_notice.txt"], ids=["named-first", "named-last"])
@pytest.mark.usefixtures("settled")
def test_append_prints_a_new_seeds_notices_as_the_full_build(
    site: Site, text: str | Path, problem: str, name: str
) -> None:
    start(site)
    site.write(name, text.read_bytes() if isinstance(text, Path) else text)
    run = site.run()
    assert run.answered == "append"
    notices = [n for n in run.report.notices if n.path.name == name]
    assert any(problem in n.message for n in notices), notices
    warned = [line for line in run.stderr.splitlines() if line.startswith(f"warning: {SEEDS / name}")]
    assert warned == [f"warning: {notice}" for notice in notices]
    if text == NO_YEAR:
        item = next(i for i in json.loads((site.out / "feed.json").read_bytes())["items"] if i["id"] == entry_id(name))
        assert item["date_published"][5:10] == "03-05"
    # The snapshot the append recorded repeats the notice.
    again = site.run()
    assert again.answered == "noop"
    assert [line for line in again.stderr.splitlines() if line.startswith(f"warning: {SEEDS / name}")] == warned


# 5. Any history: each build gives what the full build of the same history gives.


class _Clock(datetime):
    """The clock the executable reads, moved on by ``later``: weeks pass between two builds."""

    offset = timedelta(0)

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]  # a plain datetime, later
        return datetime.now(tz) + cls.offset


# Adding and building most often: a build that only adds is what this path is for.
OPERATIONS = st.tuples(
    st.sampled_from(
        [
            "add",
            "add",
            "add",
            "relative",
            "build",
            "build",
            "bad",
            "edit",
            "resize",
            "delete",
            "readd",
            "later",
            "flags",
        ]
    ),
    st.integers(0, 99),
)
FLAG_SETS = [(), ("-q",), ("--strict",), ("--json",)]
RELATIVE = [path for path in CORPUS if "relati" in path.stem]
PAGE = 8  # max_entries of the property's feed


@settings(max_examples=20)
# A seed edited twice within a second (its updated time a second ahead of the clock), then
# removed: the ledger's newest event leaves with it, and the full build must date what stays.
@example(
    is_settled=False,
    tombstone_days=0,
    steps=[("add", 0), ("add", 0), ("edit", 0), ("build", 0), ("edit", 0), ("build", 0), ("resize", 0), ("delete", 0)],
)
# Every seed removed, then one added: the ledger left has no records.
@example(
    is_settled=True, tombstone_days=0, steps=[("delete", 0), ("delete", 0), ("delete", 0), ("build", 0), ("add", 0)]
)
@given(
    is_settled=st.booleans(),
    tombstone_days=st.sampled_from([0, 3, 30]),
    steps=st.lists(OPERATIONS, min_size=1, max_size=10),
)
def test_append_any_history_builds_as_the_full_build(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    is_settled: bool,
    tombstone_days: int,
    steps: list[tuple[str, int]],
) -> None:
    monkeypatch.setattr(_Clock, "offset", timedelta(0))
    monkeypatch.setattr(entry, "datetime", _Clock)
    monkeypatch.setattr(seedfeed.cli, "datetime", _Clock)
    site = Site(Path(tempfile.mkdtemp(dir=tmp_path)), monkeypatch, capsys)
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED)
    site.write_config(feed_toml(max_entries=PAGE, extra=f"tombstone_days = {tombstone_days}\n"))
    site.add_generated(range(1000, 1003))
    site.run()
    # Settled: every build may vouch for what it read. Otherwise only the
    # first: then each seed below is written just before the build that reads it.
    monkeypatch.setattr(snapshot, "SETTLE_NS", SETTLED if is_settled else MARGIN)
    recorded: str | None = "text"  # the form of report the snapshot holds; None: none, or not known
    pending: list[str] = []  # what changed in the seeds folder since the last build
    removed: dict[str, bytes] = {}
    flags: tuple[str, ...] = ()
    added = 0
    serial = 1003
    for operation, number in [*steps, ("build", 0)]:
        present = sorted(path.name for path in site.seeds.glob("*.txt"))
        good = [name for name in present if not name.startswith("bad_")]
        if operation == "add":
            count = 1 + number % 3
            site.add_generated(range(serial, serial + count))
            serial += count
            added += count
        elif operation == "relative":
            # Dated by its first-seen time: the newest entry, sharing its moment with any other such.
            site.write(
                f"r{serial}_{RELATIVE[number % len(RELATIVE)].name}", RELATIVE[number % len(RELATIVE)].read_bytes()
            )
            serial += 1
            added += 1
        elif operation == "bad":
            site.write(f"bad_{serial}.txt", BAD_PNG if serial % 2 else EMPTY)
            serial += 1
        elif operation in ("edit", "resize") and good:
            path = site.seeds / good[number % len(good)]
            data = path.read_bytes()
            path.write_bytes(same_size_edit(data) if operation == "edit" else data + b"\nParagraf tambahan.\n")
        elif operation == "delete" and present:
            path = site.seeds / present[number % len(present)]
            removed[path.name] = path.read_bytes()
            path.unlink()
        elif operation == "readd" and removed:
            name = sorted(removed)[number % len(removed)]
            site.write(name, removed.pop(name))
        elif operation == "later":
            # Tombstones and edits age out, measured from the newest event: a new arrival is one.
            _Clock.offset += timedelta(days=1 + number % 40)
            continue
        elif operation == "flags":
            flags = FLAG_SETS[number % len(FLAG_SETS)]
            continue
        elif operation == "build":
            has_bad = any(name.startswith("bad_") for name in present)
            ledger = load_ledger(site.seeds / LEDGER_NAME)
            last_arrival = ledger.last_arrival
            is_append = (
                recorded == ("json" if "--json" in flags else "text")
                # A ledger without records (every seed removed) is written afresh by the full build.
                and bool(ledger.records)
                and bool(pending)
                and set(pending) <= {"add", "relative"}
                and last_arrival // PAGE == (last_arrival + added) // PAGE
                and not ("--strict" in flags and has_bad)
            )
            run = site.run(*flags)
            assert run.code == (1 if has_bad else 0)
            if is_append:
                assert run.answered == "append", pending
            if not pending:
                assert run.answered in ("noop", None)
            if run.answered in ("append", "update"):
                recorded = "json" if "--json" in flags else "text"
            elif run.answered is None:
                is_recorded = is_settled and not run.report.is_withheld and "readd" not in pending
                recorded = ("json" if "--json" in flags else "text") if is_recorded else None
            pending, added = [], 0
            continue
        else:
            continue
        pending.append(operation)
    if recorded is not None:
        assert site.run(*(("--json",) if recorded == "json" else ())).answered == "noop"


def test_an_append_base_stored_in_parts_reads_back_whole() -> None:
    from array import array

    from seedfeed.append import AppendBase, base_parts, read_base
    from seedfeed.ledger import LedgerTombstone

    moment = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    base = AppendBase(
        size=5,
        last_arrival=3,
        latest_event=moment,
        tombstones=(LedgerTombstone(id="tag:x,2026:gone", stem="gone", when=moment),),
        foreign={"urn:other": "b"},
        newest=(),
        edited=(),
        order=array("d", [-3.0, -2.0, -1.0]),
        order_ids=("tag:x,2026:a", "urn:other", "tag:x,2026:c"),
        arrivals=array("q", [1, 2, 3]),
        digests=bytes(range(96)),
        notices=array("q", [2, 3, 3]),
        rejected=1,
    )
    data = b"".join(base_parts(base))
    assert read_base(data) == base
    # The ids and the digests are stored apart from the rest: the digests as their own bytes.
    assert bytes(range(96)) in data
    assert read_base(data[:-1]) is None  # cut short
    assert read_base(data + b"\0") is None  # something after it
    assert read_base(b"") is None


def test_an_append_base_of_many_ids_is_stored_a_run_at_a_time_and_reads_back_whole() -> None:
    import pickle
    from array import array

    from seedfeed.append import _IDS_PER_PART, _PART_LENGTH, AppendBase, base_parts, read_base

    count = 2 * _IDS_PER_PART + 5
    moment = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    base = AppendBase(
        size=count,
        last_arrival=count,
        latest_event=moment,
        tombstones=(),
        foreign={},
        newest=(),
        edited=(),
        order=array("d", [-float(n) for n in range(count)]),
        order_ids=tuple(f"tag:x,2026:{n:06d}" for n in range(count)),
        arrivals=array("q", range(1, count + 1)),
        digests=bytes(32 * count),
        notices=array("q", [0] * count),
        rejected=0,
    )
    parts = list(base_parts(base))
    data = b"".join(parts)
    assert read_base(data) == base
    # The base, three runs of ids, the digests: each after its length.
    assert len(parts) == 2 * (1 + 3 + 1)
    assert [len(pickle.loads(part)) for part in parts[3:9:2]] == [_IDS_PER_PART, _IDS_PER_PART, 5]  # noqa: S301
    # A snapshot stored with the ids in one part (as before they were split) still reads.
    one_run = pickle.dumps(base.order_ids, protocol=pickle.HIGHEST_PROTOCOL)
    older = b"".join([*parts[:2], len(one_run).to_bytes(_PART_LENGTH, "little"), one_run, *parts[-2:]])
    assert read_base(older) == base
    # A run that is not a tuple of ids is not a base.
    wrong = pickle.dumps(["tag:x,2026:000000"])
    assert read_base(b"".join([*parts[:2], len(wrong).to_bytes(_PART_LENGTH, "little"), wrong, *parts[-2:]])) is None
