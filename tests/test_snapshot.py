"""A build with nothing to do prints exactly what the full build would, and any change means a full build.

Each test drives the command line. Whether a run took the no-op path is
seen by whether it called ``seedfeed.build.build``; what it printed is
compared, byte for byte and with its exit code, with the full build of the
same state (the snapshot removed, so the command cannot skip).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import seedfeed.build
from conftest import REPO, check_atom
from seedfeed import cli, entry, progress, serve, snapshot, watch
from seedfeed.cache import CACHE_DIR, cache_key, digest_bytes, load_cache
from seedfeed.cli import main
from seedfeed.config import load_config
from seedfeed.ledger import LEDGER_NAME
from seedfeed.progress import ProgressBar

# Dated, with a byline: no notices.
DATED = (
    "Pertemuan menteri di Jakarta\n"
    "Para menteri bertemu pada 18 Oktober 2023 untuk membahas perdagangan.\n"
    "Huyen Le (Menurut AFP)\n"
)
# No byline, so a notice; dated later than EARLY, so it arrives after it although it sorts first.
LATE = "Banjir di Semarang\nBanjir melanda Semarang pada 3 Desember 2023 setelah hujan deras.\n"
EARLY = "Gempa di Cianjur\nGempa mengguncang Cianjur pada 2 Januari 2023 pagi.\n"
# No year anywhere: the year comes from the first-seen time; the id stays when the file is renamed.
NO_YEAR = "---\nid: tag:news.example.org,2023:kept\n---\nRapat di Bandung\nRapat digelar di Bandung pada 5 Maret.\n"
EMPTY = ""  # rejected: no title line

FLAGS = ([], ["--json"], ["--quiet"], ["--json", "--quiet"])


class Runs:
    """The command run over one seeds folder, recording whether each run built."""

    def __init__(self, seeds: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seeds, self.out = seeds, out
        self.builds = 0
        real = seedfeed.build.build

        def counted(*args: object, **kwargs: object) -> seedfeed.build.BuildReport:
            self.builds += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]  # passed through unchanged

        monkeypatch.setattr(seedfeed.build, "build", counted)

    @property
    def snapshot(self) -> Path:
        return self.out / snapshot.CACHE_DIR / snapshot.SNAPSHOT_NAME

    def run(self, *flags: str) -> tuple[Result, bool]:
        """Run ``seedfeed build``; return its result and whether it built."""
        before = self.builds
        result = CliRunner().invoke(main, ["build", str(self.seeds), "--out", str(self.out), *flags])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result, self.builds > before

    def full(self, *flags: str) -> Result:
        """Run a full build of the same state (after it, the snapshot is written again)."""
        self.snapshot.unlink(missing_ok=True)
        result, built = self.run(*flags)
        assert built
        return result

    def assert_noop_matches_full(self) -> None:
        """Assert that, with every flag, the no-op path prints what a full build prints."""
        for flags in FLAGS:
            # The snapshot records the form of report the last build printed: text or JSON.
            full = self.full(*flags)
            fast, built = self.run(*flags)
            assert not built, flags
            assert (fast.stdout_bytes, fast.stderr_bytes, fast.exit_code) == (
                full.stdout_bytes,
                full.stderr_bytes,
                full.exit_code,
            ), flags


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a snapshot be recorded for seeds written a moment ago.

    The margin guards against seeds edited while a build runs; in these tests
    nothing changes during a build, and the margin has its own test.
    """
    monkeypatch.setattr(snapshot, "SETTLE_NS", -3600 * 10**9)


@pytest.fixture
def runs(
    make_seeds: Callable[[dict[str, str | bytes]], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settled: None
) -> Runs:
    seeds = make_seeds({"a_dated.txt": DATED, "b_late.txt": LATE, "c_early.txt": EARLY, "d_gone.txt": DATED})
    return Runs(seeds, tmp_path / "public", monkeypatch)


def test_snapshot_noop_prints_what_the_full_build_prints(runs: Runs) -> None:
    first, built = runs.run()
    assert built
    assert first.exit_code == 0
    (runs.seeds / "d_gone.txt").unlink()
    (runs.seeds / "e_empty.txt").write_text(EMPTY, encoding="utf-8")
    second, built = runs.run("--json")
    assert built
    report = json.loads(second.stdout)
    assert report["removed"] == 1
    assert report["new"] == 0
    assert [r["path"] for r in report["rejected"]] == [str(runs.seeds / "e_empty.txt")]
    # The build that removed a seed recorded what a rebuild prints: its
    # tombstone, the rejection, exit code 1, and the notices in arrival order.
    runs.assert_noop_matches_full()
    fast, built = runs.run("--json")
    assert not built
    assert fast.exit_code == 1
    noop = json.loads(fast.stdout)
    assert noop["unchanged"] == 3
    assert noop["removed"] == 0
    assert noop["written"] == []
    assert len(noop["tombstones"]) == 1
    assert {e["change"] for e in noop["entries"]} == {"unchanged"}
    check_atom((runs.out / "feed.atom").read_bytes())


def test_snapshot_after_new_seeds_lists_notices_in_arrival_order(runs: Runs) -> None:
    first, built = runs.run("--json")
    assert built
    assert json.loads(first.stdout)["new"] == 4
    # b_late sorts before c_early but arrived after it: a rebuild lists c_early's notice first.
    fast, built = runs.run("--json")
    assert not built
    warned = [line.removeprefix("warning: ").split(": ", 1)[0] for line in fast.stderr.splitlines()]
    assert warned == [str(runs.seeds / "c_early.txt"), str(runs.seeds / "b_late.txt")]
    runs.assert_noop_matches_full()


def test_snapshot_records_the_form_of_report_the_build_printed(runs: Runs) -> None:
    _first, built = runs.run()
    assert built
    header = snapshot_header(runs.snapshot)
    assert header["forms"] == ["text"]
    assert header["sections"][snapshot._SECTIONS.index("json")] == [0, 0]
    # A JSON report was not recorded: asked for, it takes the full build, which records it.
    as_json, built = runs.run("--json")
    assert built
    assert snapshot_header(runs.snapshot)["forms"] == ["json"]
    again, built = runs.run("--json")
    assert not built
    assert (again.stdout, again.stderr, again.exit_code) == (as_json.stdout, as_json.stderr, as_json.exit_code)
    assert json.loads(again.stdout)["unchanged"] == 4


def snapshot_header(path: Path) -> dict[str, object]:
    """Return a snapshot file's header: JSON at its end, its length in the last 8 bytes."""
    data = path.read_bytes()
    length = int.from_bytes(data[-8:], "little")
    header = json.loads(data[-8 - length : -8])
    assert isinstance(header, dict)
    return header


def _touch(seeds: Path, out: Path) -> None:
    path = seeds / "a_dated.txt"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def _edit(seeds: Path, out: Path) -> None:
    (seeds / "a_dated.txt").write_text(DATED.replace("perdagangan", "pertanian"), encoding="utf-8")


def _add(seeds: Path, out: Path) -> None:
    (seeds / "f_new.txt").write_text(DATED.replace("Jakarta", "Medan"), encoding="utf-8")


def _remove(seeds: Path, out: Path) -> None:
    (seeds / "b_late.txt").unlink()


def _edit_config(seeds: Path, out: Path) -> None:
    config = seeds / "feed.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("Test feed", "Another feed"), encoding="utf-8")


def _delete_output(seeds: Path, out: Path) -> None:
    (out / "feed.atom").unlink()


def _edit_output(seeds: Path, out: Path) -> None:
    with (out / "feed.atom").open("ab") as fh:
        fh.write(b"<!-- edited -->")


def _add_temp_output(seeds: Path, out: Path) -> None:
    (out / ".feed.atom.abcd1234.tmp").write_bytes(b"half")


def _change_ledger(seeds: Path, out: Path) -> None:
    ledger = seeds / LEDGER_NAME
    ledger.write_bytes(ledger.read_bytes().replace(b'"arrival": 1,', b'"arrival": 9,'))


@pytest.mark.parametrize(
    "change",
    [_touch, _edit, _add, _remove, _edit_config, _delete_output, _edit_output, _add_temp_output, _change_ledger],
)
def test_snapshot_any_change_means_a_full_build_that_repairs(runs: Runs, change: Callable[[Path, Path], None]) -> None:
    runs.run()
    clean = {p.relative_to(runs.out): p.read_bytes() for p in (runs.out / "archive").rglob("*") if p.is_file()}
    feed = (runs.out / "feed.atom").read_bytes()
    _fast, built = runs.run()
    assert not built
    change(runs.seeds, runs.out)
    result, built = runs.run()
    # A new seed and nothing else (append.py), or an edit or a removal and nothing else (update.py),
    # is built alone, as the full build would build it.
    assert built is (change not in (_add, _edit, _remove))
    assert result.exit_code == 0
    root = check_atom((runs.out / "feed.atom").read_bytes())
    if change is _add:
        assert "new       " in result.stdout
        atom = "{http://www.w3.org/2005/Atom}"
        titles = [entry.findtext(f"{atom}title") for entry in root.iter(f"{atom}entry")]
        assert len(titles) == 5
        assert "Pertemuan menteri di Medan" in titles
    assert not list(runs.out.glob(".*.tmp"))
    if change in (_delete_output, _edit_output, _add_temp_output, _touch):
        # Nothing a reader sees changed: the full build put back the very bytes.
        assert (runs.out / "feed.atom").read_bytes() == feed
        assert {p.relative_to(runs.out): p.read_bytes() for p in (runs.out / "archive").rglob("*") if p.is_file()} == (
            clean
        )
    runs.assert_noop_matches_full()


def test_snapshot_edit_is_published_not_skipped(runs: Runs) -> None:
    runs.run()
    _edit(runs.seeds, runs.out)
    result, built = runs.run("--json")
    assert built
    report = json.loads(result.stdout)
    assert report["updated"] == 1
    root = check_atom((runs.out / "feed.atom").read_bytes())
    assert any("pertanian" in (content.text or "") for content in root.iter("{http://www.w3.org/2005/Atom}content"))


def test_snapshot_not_used_with_no_cache_or_strict_over_a_rejection(runs: Runs) -> None:
    (runs.seeds / "e_empty.txt").write_text(EMPTY, encoding="utf-8")
    first, built = runs.run()
    assert built
    assert first.exit_code == 1
    assert runs.snapshot.is_file()
    _result, built = runs.run("--no-cache")
    assert built
    assert not runs.snapshot.exists()  # a build without the cache leaves none of it
    strict, built = runs.run("--strict", "--json")
    assert built
    assert strict.exit_code == 1
    assert json.loads(strict.stdout)["withheld"] is True
    # A strict build with nothing rejected prints what any build prints.
    (runs.seeds / "e_empty.txt").unlink()
    runs.run()
    clean, built = runs.run("--strict")
    assert not built
    assert clean.exit_code == 0


def test_snapshot_damaged_means_a_full_build(runs: Runs) -> None:
    runs.run()
    data = runs.snapshot.read_bytes()
    line = data.index(b"unchanged 2023-")  # in the entry lines the command prints
    damaged_line = data[:line] + b"unchangex" + data[line + 9 :]
    for damaged in (data[: len(data) // 2], b"", b"{}\n", damaged_line):
        runs.snapshot.write_bytes(damaged)
        result, built = runs.run()
        assert built
        assert result.exit_code == 0
        assert "unchangex" not in result.stdout
    _result, built = runs.run()
    assert not built


def test_snapshot_not_recorded_for_a_seed_renamed_with_its_id(runs: Runs) -> None:
    (runs.seeds / "g_no_year.txt").write_text(NO_YEAR, encoding="utf-8")
    # First seen long before the next build, which sees it under a new name.
    seedfeed.build.build(runs.seeds, runs.out, now=datetime.now(UTC) - timedelta(days=400))
    (runs.seeds / "g_no_year.txt").rename(runs.seeds / "h_renamed.txt")
    result, built = runs.run()
    assert built
    assert result.exit_code == 0
    # Parsed with this build's time, recorded with the old first-seen time: a
    # rebuild may infer another year, so no snapshot vouches for it.
    assert not runs.snapshot.exists()
    _result, built = runs.run()
    assert built
    runs.assert_noop_matches_full()


def _unsettled(path: Path) -> dict[str, str]:
    data = path.read_bytes()
    length = int.from_bytes(data[-8:], "little")
    header = json.loads(data[-8 - length : -8])
    unsettled = header["unsettled"]
    assert isinstance(unsettled, dict)
    return unsettled


def test_snapshot_of_seeds_changed_just_before_the_build_checks_their_bytes(
    make_seeds: Callable[[dict[str, str | bytes]], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real margin: these seeds were written a moment ago, perhaps after the build read them.
    # Their stat vouches for nothing yet: the snapshot has the next build compare their bytes
    # with those this build read, as long as they are that recent.
    seeds = make_seeds({"a_dated.txt": DATED, "b_late.txt": LATE})
    runs = Runs(seeds, tmp_path / "public", monkeypatch)
    result, built = runs.run()
    assert built
    assert result.exit_code == 0
    assert set(_unsettled(runs.snapshot)) == {"a_dated.txt", "b_late.txt"}
    again, built = runs.run()
    assert not built  # the bytes are those the build read: answered
    assert again.stdout.count("unchanged ") == 2
    full = runs.full()  # what a full build prints now: the same
    assert (again.stdout_bytes, again.stderr_bytes, again.exit_code) == (
        full.stdout_bytes,
        full.stderr_bytes,
        full.exit_code,
    )


def test_snapshot_of_a_seed_rewritten_while_the_build_ran_is_not_trusted(
    make_seeds: Callable[[dict[str, str | bytes]], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rewritten after the build read it, before the snapshot's scan: the scan's stat is the new file's,
    # the build's report the old text's. The bytes the build read tell them apart.
    seeds = make_seeds({"a_dated.txt": DATED, "b_late.txt": LATE})
    runs = Runs(seeds, tmp_path / "public", monkeypatch)
    original = seedfeed.build.parse_seeds

    def read_then_rewritten(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        (seeds / "a_dated.txt").write_text(DATED.replace("perdagangan", "perikanan"), encoding="utf-8")
        return found

    monkeypatch.setattr(seedfeed.build, "parse_seeds", read_then_rewritten)
    _result, built = runs.run()
    assert built
    monkeypatch.setattr(seedfeed.build, "parse_seeds", original)
    assert "a_dated.txt" in _unsettled(runs.snapshot)
    again, built = runs.run()
    assert built  # the snapshot's seed is not the one on disk: a full build, which sees the edit
    assert again.stdout.count("updated ") == 1
    assert "perikanan" in (runs.out / "articles" / "a_dated.html").read_text(encoding="utf-8")


def test_snapshot_not_recorded_for_a_library_build_with_its_own_config(
    runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs.run()
    assert runs.snapshot.is_file()
    config = replace(load_config(runs.seeds), base_url="http://127.0.0.1:8000/")
    seedfeed.build.build(runs.seeds, runs.out, now=datetime.now(UTC), config=config)
    assert not runs.snapshot.exists()
    _result, built = runs.run()
    assert built


def test_snapshot_cli_defaults_match_the_library() -> None:
    assert cli.DEFAULT_HOST == serve.DEFAULT_HOST
    assert cli.DEFAULT_PORT == serve.DEFAULT_PORT
    assert cli.DEBOUNCE_MS == watch.DEBOUNCE_MS
    assert snapshot.CACHE_DIR == CACHE_DIR
    assert len(digest_bytes(b"seed")) == snapshot.SEED_DIGEST_SIZE


HEAVY = ("seedfeed.build", "seedfeed.serve", "seedfeed.watch", "seedfeed.websub", "lxml", "feedgen", "jinja2", "babel")
HEAVY += ("http.server", "ssl", "seedfeed.check", "seedfeed.inspect", "seedfeed.config", "seedfeed.cache")

PROBE = """
import json, sys
from seedfeed.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.startswith(tuple(json.loads(sys.argv[1]))))
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def _probe(*args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY), *args], capture_output=True, text=True, env=env, check=False
    )
    result = json.loads(done.stderr.splitlines()[-1])
    assert isinstance(result, dict)
    return result


def test_snapshot_help_and_noop_import_no_library(runs: Runs) -> None:
    assert _probe("--help") == {"code": 0, "heavy": []}
    runs.run()
    assert runs.snapshot.is_file()
    # Another process, which only reads the snapshot this one recorded.
    assert _probe("build", str(runs.seeds), "--out", str(runs.out), "--quiet") == {"code": 0, "heavy": []}


def test_snapshot_output_state_made_by_folder_is_the_whole_scans(tmp_path: Path) -> None:
    # The state's output part is made a folder at a time, its names joined around their prefix:
    # the same bytes as the scan of every path, whatever the folders hold.
    out = tmp_path / "public"
    for relative in (
        "feed.atom",
        "index.html",
        "articles/a.html",
        "articles/ä b.html",
        "archive/1.atom",
        "archive/x/y.html",
        "archive/x/z/deep.html",
        ".cache/hidden.db",  # a hidden folder is no output
        ".index.html.tmp",  # a hidden file is
    ):
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(relative, encoding="utf-8")
    (out / "empty").mkdir()
    (out / "archive" / "empty").mkdir()
    whole = snapshot._scan_outputs(out)
    assert whole is not None
    assert "archive/x/z/deep.html" in whole.names
    assert not any(name.startswith(".cache") for name in whole.names)
    assert snapshot._output_bytes(out) == snapshot._scan_bytes(whole)
    # Only the folder's own files: one folder without any subfolder.
    assert snapshot._output_bytes(out / "articles") == snapshot._scan_bytes(snapshot._scan_outputs(out / "articles"))
    assert snapshot._output_bytes(out / "empty") == (b"", b"")
    assert snapshot._output_bytes(tmp_path / "gone") is None


@pytest.mark.parametrize("seed", range(12))
def test_snapshot_patched_scan_after_batches_in_several_folders_is_the_scan(tmp_path: Path, seed: int) -> None:
    # Batches of pages written, rewritten and removed across folders, in any order (where each
    # folder's files start is remembered between them): the patched scan is a new scan's.
    chooser = random.Random(seed)  # noqa: S311  # a test's reproducible choices
    out = tmp_path / "public"
    folders = ["", "archive/", "articles/", "archive/x/", "zz/"]
    for folder in folders:
        for name in ("b.html", "m.html", "y.html"):
            (out / folder).mkdir(parents=True, exist_ok=True)
            (out / folder / name).write_text(folder + name, encoding="utf-8")
    scan = snapshot._scan_outputs(out)
    assert scan is not None
    written: list[str] = []
    for _ in range(40):
        folder = chooser.choice(folders)
        relative = f"{folder}{chooser.choice('abmnyz')}{chooser.randrange(3)}.html"
        path = out / relative
        if path.exists() and chooser.random() < 0.3:
            path.unlink()
        else:
            path.write_text(relative * chooser.randrange(1, 4), encoding="utf-8")
        written.append(relative)
    assert snapshot._patched(scan, out, written) == snapshot._scan_outputs(out)


def test_snapshot_patched_scan_of_written_outputs_is_the_scan_of_the_folder(tmp_path: Path) -> None:
    # The append path patches the output folder's scan with what it wrote instead of scanning again.
    out = tmp_path / "public"
    for relative in (
        "feed.atom",
        "index.html",
        "articles/a.html",
        "articles/c.html",
        "archive/1.atom",
        "archive/x/y.html",
    ):
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(relative, encoding="utf-8")
    scan = snapshot._scan_outputs(out)
    assert scan is not None
    (out / "articles" / "b.html").write_text("new", encoding="utf-8")
    (out / "articles" / "d.html").write_text("new, last", encoding="utf-8")
    (out / ".feed.atom.tmp").write_text("rewritten, longer", encoding="utf-8")
    (out / ".feed.atom.tmp").replace(out / "feed.atom")
    (out / "feed.json").write_text("{}", encoding="utf-8")
    written = ["feed.json", "feed.atom", "articles/d.html", "articles/b.html", "index.html", "feed.rss"]
    assert snapshot._patched(scan, out, written) == snapshot._scan_outputs(out)
    # A file in a folder that had none: where its folder goes among the others is the scan's to say.
    (out / "news").mkdir()
    (out / "news" / "n.html").write_text("n", encoding="utf-8")
    assert snapshot._patched(scan, out, ["news/n.html"]) is None


def test_snapshot_build_keeps_its_page_stencils_in_the_parse_cache(runs: Runs) -> None:
    from seedfeed.config import load_config
    from seedfeed.writers import html

    runs.run()
    kept = load_cache(runs.out, cache_key(runs.seeds, load_config(runs.seeds))).stencils()
    assert {key[0] for key in kept} >= {"article.html", "index_entry.html"}
    assert set(kept) <= set(html.stencils_made())


def _new_seeds(seeds: Path, count: int) -> None:
    for number in range(count):
        text = f"Banjir di kota {number}\nBanjir melanda kota {number} pada 3 Desember 2023 setelah hujan deras.\n"
        (seeds / f"z_new_{number}.txt").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("flags", [[], ["--json"]], ids=["text", "json"])
def test_snapshot_batch_appended_shows_the_progress_bar_on_a_terminal(
    runs: Runs, monkeypatch: pytest.MonkeyPatch, flags: list[str]
) -> None:
    # A batch of new seeds built alone may take seconds: the bar the full build shows
    # (here at once, and on a terminal), never under --json.
    runs.run(*flags)
    monkeypatch.setattr(ProgressBar, "DELAY", 0.0)
    monkeypatch.setattr(cli, "is_terminal", lambda _stream: True)
    _new_seeds(runs.seeds, 5)
    result, built = runs.run(*flags)
    assert not built  # appended
    assert result.exit_code == 0
    assert ("Reading seeds" in result.stderr) is (not flags)


def test_snapshot_batch_appended_by_the_executable_shows_the_progress_bar(
    runs: Runs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runs.run()
    monkeypatch.setattr(ProgressBar, "DELAY", 0.0)
    monkeypatch.setattr(progress, "is_terminal", lambda _stream: True)
    monkeypatch.setattr(entry, "answered", None)
    _new_seeds(runs.seeds, 5)
    monkeypatch.setattr(sys, "argv", ["seedfeed", "build", str(runs.seeds), "--out", str(runs.out)])
    entry.main()
    assert entry.answered == "append"
    captured = capsys.readouterr()
    assert "Reading seeds" in captured.err
    assert captured.out.count("new ") == 5
