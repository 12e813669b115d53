"""The executable answers a plain no-op build before click is imported, and prints what click's path prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import REPO
from seedfeed import cli, entry, snapshot
from test_snapshot import DATED, EMPTY, LATE, Runs

# Whether a run imported click is what tells the two paths apart.
PROBE = """
import json, sys
sys.argv = ["seedfeed", *sys.argv[1:]]
from seedfeed.{module} import main
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code or 0
print(json.dumps({{"code": code, "click": "click" in sys.modules}}), file=sys.stderr)
"""


def _run(module: str, *args: str, cwd: Path) -> tuple[str, list[str], dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
    )
    *stderr, last = done.stderr.splitlines()
    return done.stdout, stderr, json.loads(last)


@pytest.fixture
def runs(make_seeds: Callable[[dict[str, str | bytes]], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runs:
    # Seeds written a moment ago may be snapshotted here: nothing changes during these builds.
    monkeypatch.setattr(snapshot, "SETTLE_NS", -3600 * 10**9)
    seeds = make_seeds({"a_dated.txt": DATED, "b_late.txt": LATE, "c_empty.txt": EMPTY})
    return Runs(seeds, tmp_path / "public", monkeypatch)


@pytest.mark.parametrize("flags", [[], ["--json"], ["-q"], ["--quiet", "--json"], ["--strict"]])
def test_entry_answers_a_noop_without_click_and_prints_what_click_prints(runs: Runs, flags: list[str]) -> None:
    runs.run(*[f for f in flags if f != "--strict"])
    assert runs.snapshot.is_file()
    args = ["build", str(runs.seeds), "--out", str(runs.out), *flags]
    fast = _run("entry", *args, cwd=runs.seeds.parent)
    slow = _run("cli", *args, cwd=runs.seeds.parent)
    # --strict with a rejected seed takes the full path both ways (the snapshot is not used).
    assert fast[2]["click"] is ("--strict" in flags)
    assert slow[2]["click"] is True
    assert fast == (slow[0], slow[1], {**slow[2], "click": fast[2]["click"]})
    assert fast[2]["code"] == 1  # a seed is rejected, the build says so either way
    if "--json" in flags:
        assert json.loads(fast[0])["rejected"][0]["path"].endswith("c_empty.txt")


def test_entry_uses_the_defaults_of_the_command_line(runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    # Run from the folder that holds seeds/ and public/, with no arguments but the command.
    assert (runs.seeds.name, runs.out.name) == (entry.DEFAULT_SEEDS, entry.DEFAULT_OUT)
    monkeypatch.chdir(runs.seeds.parent)
    assert CliRunner().invoke(cli.main, ["build"]).exit_code == 1
    assert runs.snapshot.is_file()
    stdout, _stderr, status = _run("entry", "build", "--quiet", cwd=runs.seeds.parent)
    assert status == {"code": 1, "click": False}
    assert stdout.strip().endswith(f"-> {Path(entry.DEFAULT_OUT) / 'feed.atom'}")
    params = {p.name: p for p in cli.main.commands["build"].params}
    assert params["seeds_dir"].default == entry.DEFAULT_SEEDS
    assert params["out_dir"].default == entry.DEFAULT_OUT
    assert params["lock_timeout"].default == entry.DEFAULT_WAIT
    assert isinstance(params["out_dir"], click.Option)
    assert set(params["out_dir"].opts) | set(params["quiet"].opts) | set(params["as_json"].opts) | set(
        params["strict"].opts
    ) == {"--out", "-o", "--quiet", "-q", "--json", "--strict"}


@pytest.mark.parametrize(
    ("args", "plain"),
    [
        (["build"], True),
        (["build", "SEEDS", "--out", "x", "-q", "--json", "--strict"], True),
        (["build", "--out=x", "SEEDS"], True),
        (["build", "-o", "x", "SEEDS"], True),
        (["build", "SEEDS", "--jobs", "2"], False),
        (["build", "SEEDS", "--no-cache"], False),
        (["build", "SEEDS", "--wait", "1"], False),
        (["build", "--help"], False),
        (["build", "SEEDS", "SEEDS"], False),
        (["build", "SEEDS", "--out"], False),
        (["build", "SEEDS", "--out", "a", "--out", "b"], False),
        (["build", "SEEDS", "--out="], False),
        (["build", "missing-folder"], False),
        (["check", "SEEDS"], False),
        ([], False),
    ],
)
def test_entry_reads_only_plain_build_command_lines(
    args: list[str], plain: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "SEEDS").mkdir()
    (tmp_path / "seeds").mkdir()
    monkeypatch.chdir(tmp_path)
    assert (entry.plain_build(args) is not None) is plain


def test_entry_asks_the_snapshot_once_when_it_has_no_answer(
    runs: Runs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runs.run("--json")
    assert runs.snapshot.is_file()
    (runs.seeds / "d_new.txt").write_text(DATED.replace("Jakarta", "Surabaya"), encoding="utf-8")
    # A new seed and an edited one: no build of just those answers (the full build runs).
    late = runs.seeds / "b_late.txt"
    late.write_text(late.read_text(encoding="utf-8") + "Sebuah paragraf tambahan.\n", encoding="utf-8")
    asked: list[Path] = []
    real = snapshot.load_noop_report

    def counted(seeds_dir: Path, out_dir: Path, **flags: bool | float) -> snapshot.PrintedReport | None:
        asked.append(seeds_dir)
        return real(seeds_dir, out_dir, **flags)  # type: ignore[arg-type]  # passed through unchanged

    monkeypatch.setattr(snapshot, "load_noop_report", counted)
    monkeypatch.setattr(entry, "unanswered", None)
    monkeypatch.setattr(sys, "argv", ["seedfeed", "build", str(runs.seeds), "--out", str(runs.out), "--json"])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        entry.main()
    # The executable asked and found the new seed; the command line built without asking again.
    assert asked == [runs.seeds]
    assert exit_info.value.code == 1  # c_empty.txt is still rejected
    assert entry.unanswered is not None
    assert entry.unanswered[:2] == (runs.seeds, runs.out)
    report = json.loads(capsys.readouterr().out)
    assert report["new"] == 1
    assert [e["title"] for e in report["entries"] if e["change"] == "new"] == ["Pertemuan menteri di Surabaya"]
