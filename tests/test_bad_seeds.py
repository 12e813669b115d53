"""A bad seed never breaks the feed: builds, --strict and ``seedfeed check`` over broken folders."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import feedparser
from click.testing import CliRunner

from conftest import DATA, A, check_atom
from seedfeed.build import build
from seedfeed.check import check_seeds
from seedfeed.cli import main
from seedfeed.ledger import LEDGER_NAME

MakeSeeds = Callable[[dict[str, str | bytes]], Path]
NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
CORPUS = DATA / "corpus"
GOOD = {
    "vi.txt": (CORPUS / "vi" / "vi_ngay_thang.txt").read_bytes(),
    "fr.txt": (CORPUS / "fr" / "fr_premier_avec_annee.txt").read_bytes(),
    "ja.txt": (CORPUS / "ja" / "ja_full_date.txt").read_bytes(),
}
BROKEN: dict[str, bytes] = {
    "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    "empty.txt": b"",
    "blank.txt": b" \n\t\n\r\n",
    "huge.txt": b"Title\n" + b"word " * 500_000,
    "bad_utf16.txt": b"\xff\xfeT\x00i\x00\x00\xd8",
    "bad_front_matter.txt": b"---\ndate: next tuesday\n---\nTitle\nBody.\n",
}


def make_folder(make_seeds: MakeSeeds, broken: str) -> Path:
    return make_seeds({**GOOD, broken: BROKEN[broken]})


def test_build_with_each_kind_of_broken_seed_publishes_all_others(make_seeds: MakeSeeds, tmp_path: Path) -> None:
    for name in BROKEN:
        folder = make_folder(make_seeds, name)
        out = tmp_path / f"out-{name}"
        report = build(folder, out, now=NOW)
        assert [e.path.name for e in report.rejected] == [name]
        assert {e.stem for e in report.entries} == {"vi", "fr", "ja"}
        root = check_atom((out / "feed.atom").read_bytes())
        assert len(root.findall(f"{A}entry")) == 3
        (folder / name).unlink()


def test_cli_build_reports_the_broken_seed_and_exits_1(make_seeds: MakeSeeds, tmp_path: Path) -> None:
    folder = make_folder(make_seeds, "binary.txt")
    out = tmp_path / "public"
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(out), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["published"] == 3
    assert [(Path(r["path"]).name, r["line"]) for r in data["rejected"]] == [("binary.txt", None)]
    assert "binary.txt" in result.stderr
    assert "Traceback" not in result.output
    parsed = feedparser.parse((out / "feed.atom").read_bytes())
    assert parsed.bozo == 0
    assert len(parsed.entries) == 3


def test_strict_build_writes_nothing_when_a_seed_is_bad(make_seeds: MakeSeeds, tmp_path: Path) -> None:
    folder = make_folder(make_seeds, "bad_front_matter.txt")
    out = tmp_path / "public"
    report = build(folder, out, now=NOW, is_strict=True)
    assert report.is_withheld
    assert report.written == ()
    assert [e.path.name for e in report.rejected] == ["bad_front_matter.txt"]
    assert report.rejected[0].line == 2
    assert not (out / "feed.atom").exists()
    assert not (folder / LEDGER_NAME).exists()
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(out), "--strict", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["withheld"], data["published"], data["written"]) == (True, 0, [])
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(out), "--strict"])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].startswith("nothing written (strict): 1 rejected")
    assert not (out / "feed.atom").exists()


def test_strict_build_of_a_clean_folder_publishes(make_seeds: MakeSeeds, tmp_path: Path) -> None:
    folder = make_seeds(GOOD)
    out = tmp_path / "public"
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(out), "--strict"])
    assert result.exit_code == 0, result.output
    assert len(check_atom((out / "feed.atom").read_bytes()).findall(f"{A}entry")) == 3


def test_check_lists_found_fields_and_warnings(make_seeds: MakeSeeds) -> None:
    latin1 = "Café de Paris ferme ses portes après cent ans\nLe célèbre café a fermé le 3 mars 2024 , après un siècle."
    folder = make_seeds({**GOOD, "legacy.txt": latin1.encode("cp1252"), "binary.txt": BROKEN["binary.txt"]})
    report = check_seeds(folder)
    by_name = {c.path.name: c for c in report.seeds}
    assert [c.path.name for c in report.rejected] == ["binary.txt"]
    vi = by_name["vi.txt"]
    assert vi.entry is not None
    assert vi.entry.language == "vi"
    messages = [n.message for n in vi.notices]
    assert any(m.startswith("year inferred") for m in messages)
    assert any("differs from the feed's 'id'" in m for m in messages)
    legacy = by_name["legacy.txt"]
    assert legacy.entry is not None
    assert legacy.entry.title == "Café de Paris ferme ses portes après cent ans"
    assert any("not UTF-8" in n.message for n in legacy.notices)
    assert any("no byline" in n.message for n in legacy.notices)


def test_cli_check_prints_problems_and_exits_1_on_a_rejected_seed(make_seeds: MakeSeeds) -> None:
    folder = make_folder(make_seeds, "empty.txt")
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{folder / 'empty.txt'}: is empty (no title line)" in lines
    assert any(line.startswith(f"{folder / 'vi.txt'}:") and "year inferred" in line for line in lines)
    assert "4 checked: 1 rejected" in result.stderr


def test_cli_check_json_is_stable_and_exits_0_when_clean(make_seeds: MakeSeeds) -> None:
    folder = make_seeds(GOOD)
    result = CliRunner().invoke(main, ["check", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["checked"], data["rejected"]) == (3, 0)
    seeds = {Path(s["path"]).name: s for s in data["seeds"]}
    assert seeds["ja.txt"]["language"] == "ja"
    assert seeds["ja.txt"]["published"] == "2024-03-19T00:00:00+07:00"
    assert seeds["ja.txt"]["date_source"] == "text"
    assert seeds["fr.txt"]["author"] == "Julien Dubois"
    assert seeds["fr.txt"]["sources"] == ["Reuters", "AFP"]
    assert all(s["ok"] for s in seeds.values())
