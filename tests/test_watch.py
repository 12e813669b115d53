"""``seedfeed watch``: one line per rebuild, and nothing stops it but a stop."""

from __future__ import annotations

import queue
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import watchfiles
from click.testing import CliRunner

import seedfeed.watch
from conftest import FEED_TOML, REFERENCE_SEED, check_atom
from feedreader import seed_text
from seedfeed import snapshot
from seedfeed.build import build
from seedfeed.cli import main
from seedfeed.ledger import LEDGER_NAME
from seedfeed.model import Notice
from seedfeed.watch import describe_changes, is_seed_event, rebuild, watch_seeds
from seedfeed.writers.common import FEED_NAMES

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
WAIT = 20.0  # seconds a test waits for a rebuild before it fails


class Watch:
    """A watch running in a thread, its lines in queues."""

    def __init__(self, seeds: Path, out: Path) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: queue.Queue[str] = queue.Queue()
        self.stop = threading.Event()
        self._moments = (T0 + timedelta(hours=n) for n in range(1000))
        self.thread = threading.Thread(
            target=watch_seeds,
            args=(seeds, out),
            kwargs={
                "echo": self.lines.put,
                "echo_err": self.errors.put,
                "clock": lambda: next(self._moments),
                "debounce_ms": 100,
                "stop_event": self.stop,
            },
        )

    def next_line(self) -> str:
        return self.lines.get(timeout=WAIT)

    def wait_for(self, text: str) -> str:
        """Return the first line holding ``text``; an event split over two batches gives two lines."""
        while text not in (line := self.next_line()):
            pass
        return line

    def drain_errors(self) -> list[str]:
        found = []
        while not self.errors.empty():
            found.append(self.errors.get_nowait())
        return found


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[tuple[Watch, Path, Path]]:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "feed.toml").write_text(FEED_TOML, encoding="utf-8")
    shutil.copy(REFERENCE_SEED, seeds / REFERENCE_SEED.name)
    out = tmp_path / "public"
    watch = Watch(seeds, out)
    watch.thread.start()
    try:
        yield watch, seeds, out
    finally:
        watch.stop.set()
        watch.thread.join(WAIT)
    assert not watch.thread.is_alive()


def test_watch_rebuilds_once_per_change_and_survives_bad_input(watching: tuple[Watch, Path, Path]) -> None:
    watch, seeds, out = watching
    line = watch.next_line()
    assert "started: 1 published: 1 new" in line
    check_atom((out / "feed.atom").read_bytes())

    (seeds / "a.txt").write_text(seed_text(1), encoding="utf-8")
    line = watch.wait_for("added a.txt")
    assert line.endswith("added a.txt: 2 published: 1 new, 0 updated, 0 removed, 1 unchanged, 0 rejected")

    (seeds / "broken.txt").write_bytes(b"")
    line = watch.wait_for("added broken.txt")
    assert line.endswith("1 rejected")
    assert any(e.startswith(f"rejected: {seeds / 'broken.txt'}") for e in watch.drain_errors())

    (seeds / "broken.txt").unlink()
    line = watch.wait_for("removed broken.txt")
    assert line.endswith("0 rejected")

    # An editor's safe save: a new file renamed over the seed is a change, not an arrival.
    (seeds / ".a.txt.swp").write_text(seed_text(1, extra=" Ralat."), encoding="utf-8")
    (seeds / ".a.txt.swp").replace(seeds / "a.txt")
    line = watch.wait_for("changed a.txt")
    assert line.endswith("changed a.txt: 2 published: 0 new, 1 updated, 0 removed, 1 unchanged, 0 rejected")

    (seeds / "feed.toml").write_text("title = [", encoding="utf-8")
    line = watch.wait_for("changed feed.toml")
    assert "not rebuilt:" in line
    assert "feed.toml" in line.split("not rebuilt:")[1]

    (seeds / "feed.toml").write_text(FEED_TOML, encoding="utf-8")
    watch.wait_for("changed feed.toml: 2 published")
    (seeds / "a.txt").unlink()
    line = watch.wait_for("removed a.txt")
    assert line.endswith("removed a.txt: 1 published: 0 new, 0 updated, 1 removed, 1 unchanged, 0 rejected")
    document = check_atom((out / "feed.atom").read_bytes())
    assert len(document.findall("{http://www.w3.org/2005/Atom}entry")) == 1


def test_watch_ignores_what_the_build_itself_writes() -> None:
    assert is_seed_event(watchfiles.Change.added, "/s/a.txt")
    assert is_seed_event(watchfiles.Change.modified, "/s/feed.toml")
    for name in ("seedfeed-ledger.json", ".seedfeed.lock", ".a.txt.k2j3h4g5.tmp", ".hidden.txt", "notes.md"):
        assert not is_seed_event(watchfiles.Change.added, f"/s/{name}")


def test_watch_describes_the_net_change_of_a_batch() -> None:
    added, modified, deleted = watchfiles.Change.added, watchfiles.Change.modified, watchfiles.Change.deleted
    events = [
        (added, "/s/new.txt"),
        (modified, "/s/new.txt"),
        (deleted, "/s/old.txt"),
        (added, "/s/saved.txt"),  # renamed over the old file by an editor
        (added, "/s/brief.txt"),
        (deleted, "/s/brief.txt"),
    ]
    changes = describe_changes(events, before={"old.txt", "saved.txt"}, now={"new.txt", "saved.txt"})
    assert (changes.added, changes.changed, changes.removed) == (("new.txt",), ("saved.txt",), ("old.txt",))
    assert changes.describe() == "added new.txt; changed saved.txt; removed old.txt"


def test_cli_watch_help_shows_an_example() -> None:
    result = CliRunner().invoke(main, ["watch", "-h"])
    assert result.exit_code == 0
    assert "seedfeed watch seeds --out public" in result.stdout


def test_watch_rebuild_pings_the_hub_for_changed_feeds_only(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "feed.toml").write_text(FEED_TOML + 'hub = "https://hub.example.org/"\n', encoding="utf-8")
    shutil.copy(REFERENCE_SEED, seeds / REFERENCE_SEED.name)
    pings: list[tuple[str, tuple[str, ...]]] = []

    def ping(hub: str, topics: tuple[str, ...], *, source: Path) -> tuple[Notice, ...]:
        pings.append((hub, tuple(topics)))
        return (Notice(path=source, line=None, message="hub said 503"),)

    line, messages = rebuild(seeds, tmp_path / "out", now=T0, what="started", ping=ping)
    assert line.endswith("started: 1 published: 1 new, 0 updated, 0 removed, 0 unchanged, 0 rejected")
    assert pings == [("https://hub.example.org/", tuple(f"https://news.example.org/{n}" for n in FEED_NAMES.values()))]
    assert f"warning: {seeds / 'feed.toml'}: hub said 503" in messages
    rebuild(seeds, tmp_path / "out", now=T0 + timedelta(hours=1), what="changed nothing", ping=ping)
    assert len(pings) == 1


def _published(out: Path) -> dict[str, bytes]:
    """Return every output file but the cache, by relative path."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".seedfeed-cache" not in p.parts
    }


def test_watch_rebuild_builds_added_and_edited_seeds_alone_as_the_full_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Builds may vouch for seeds written a moment ago (the margin has its own tests in test_append.py).
    monkeypatch.setattr(snapshot, "SETTLE_NS", -(10**18))
    full: list[datetime] = []

    def spied(*args: object, **kwargs: object) -> object:
        full.append(kwargs["now"])  # type: ignore[arg-type]  # a datetime, as rebuild passes it
        return build(*args, **kwargs)  # type: ignore[arg-type]  # passed through unchanged

    monkeypatch.setattr(seedfeed.watch, "build", spied)
    seeds, out = tmp_path / "seeds", tmp_path / "public"
    seeds.mkdir()
    (seeds / "feed.toml").write_text(FEED_TOML, encoding="utf-8")
    shutil.copy(REFERENCE_SEED, seeds / REFERENCE_SEED.name)
    for number in range(1, 4):
        (seeds / f"{number}.txt").write_text(seed_text(number, day=number), encoding="utf-8")
    moment = datetime.now(UTC).replace(microsecond=0)
    line, _messages = rebuild(seeds, out, now=moment, what="started", involved=frozenset())
    assert line.endswith("started: 4 published: 4 new, 0 updated, 0 removed, 0 unchanged, 0 rejected")
    assert len(full) == 1
    steps = [
        # A seed without a year: its notice is shown, as the full build shows the notices of the files involved.
        ("added z.txt", "z.txt", "Rapat di Bandung\nRapat digelar di Bandung pada 5 Maret.\nDewi (Menurut AP )\n"),
        ("changed 2.txt", "2.txt", seed_text(2, day=2, extra=" Ralat: angka diperbaiki.")),
        ("changed z.txt", "z.txt", "Rapat di Bogor\nRapat digelar di Bogor pada 6 Maret.\nDewi (Menurut AP )\n"),
    ]
    for number, (what, name, text) in enumerate(steps, start=1):
        twin = tmp_path / f"twin{number}"
        shutil.copytree(seeds, twin / "seeds")
        shutil.copytree(out, twin / "public", ignore=shutil.ignore_patterns(".seedfeed-cache"))
        (seeds / name).write_text(text, encoding="utf-8")
        (twin / "seeds" / name).write_text(text, encoding="utf-8")
        now = moment + timedelta(minutes=number)
        line, messages = rebuild(seeds, out, now=now, what=what, involved=frozenset({name}))
        assert len(full) == 1, "built alone, not by the full build"
        report = build(twin / "seeds", twin / "public", now=now, use_cache=False)
        assert line == f"{now.astimezone().strftime('%H:%M:%S')} {what}: {report.summary()}"
        assert _published(out) == _published(twin / "public")
        assert (seeds / LEDGER_NAME).read_bytes() == (twin / "seeds" / LEDGER_NAME).read_bytes()
        # The twin names its seeds by its own folder: the same notices, under this one's.
        expected = [f"warning: {n}" for n in report.notices if n.path.name == name]
        assert messages == [m.replace(str(twin / "seeds"), str(seeds)) for m in expected]
        if name == "z.txt":
            assert any("year inferred" in m for m in messages), messages
    # The last full build's outputs validate as any build's do.
    check_atom((out / "feed.atom").read_bytes())
