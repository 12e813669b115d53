"""The command line: exit codes, JSON on stdout, one-line errors on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REFERENCE_SEED, check_atom
from seedfeed.cli import main

INSPECT_KEYS = {
    "id", "title", "published", "date_source", "author", "sources", "language",
    "summary", "caption", "content_html", "warnings",
}  # fmt: skip


def test_cli_build_writes_feed_and_prints_summary(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    result = CliRunner().invoke(main, ["build", str(seeds_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 published: 1 new, 0 updated, 0 removed, 0 unchanged, 0 rejected" in result.stdout
    check_atom((out / "feed.atom").read_bytes())


def test_cli_build_json_report(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    CliRunner().invoke(main, ["build", str(seeds_dir), "--out", str(out)])
    result = CliRunner().invoke(main, ["build", str(seeds_dir), "--out", str(out), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["published"] == 1
    assert report["unchanged"] == 1
    assert report["new"] == 0
    assert report["written"] == []
    assert report["entries"][0]["published"] == "2023-10-18T00:00:00+07:00"


def test_cli_build_rejected_seed_exits_1_and_names_file(seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / "zz_broken.txt").write_bytes(b"")
    out = tmp_path / "public"
    result = CliRunner().invoke(main, ["build", str(seeds_dir), "--out", str(out), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["published"] == 1
    assert report["rejected"] == [
        {"path": str(seeds_dir / "zz_broken.txt"), "line": None, "problem": "is empty (no title line)"}
    ]
    assert f"rejected: {seeds_dir / 'zz_broken.txt'}: is empty" in result.stderr
    check_atom((out / "feed.atom").read_bytes())


def test_cli_build_missing_config_is_one_line_error(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    result = CliRunner().invoke(main, ["build", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {folder / 'feed.toml'}: not found; every seeds folder needs a feed.toml"
    ]
    assert "Traceback" not in result.output


def test_cli_build_bad_config_value_names_key(seeds_dir: Path, tmp_path: Path) -> None:
    config = seeds_dir / "feed.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('"+07:00"', '"Mars/Olympus"'), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(seeds_dir), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "time_zone: unknown time zone 'Mars/Olympus'" in result.stderr


def test_cli_inspect_json_has_documented_keys(seeds_dir: Path) -> None:
    result = CliRunner().invoke(main, ["inspect", "--json", str(seeds_dir / REFERENCE_SEED.name)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= INSPECT_KEYS
    assert data["published"] == "2023-10-18T00:00:00+07:00"
    assert data["date_source"] == "text+inferred-year"
    assert data["author"] == "Huyen Le"
    assert data["sources"] == ["AFP", "Reuters"]
    assert data["language"] == "id"
    assert data["caption"].endswith("pada pesta penyambutan di Pyongyang pada 18 Oktober.")
    assert isinstance(data["warnings"], list)


def test_cli_inspect_bad_seed_exits_1_with_path(seeds_dir: Path) -> None:
    bad = seeds_dir / "bad.txt"
    bad.write_text("---\ndate: tomorrow\n---\nTitle\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["inspect", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}:2: 'tomorrow' is not an ISO 8601 date")


@pytest.mark.parametrize("command", [[], ["build"], ["inspect"]])
def test_cli_help_short_and_long(command: list[str]) -> None:
    long = CliRunner().invoke(main, [*command, "--help"])
    short = CliRunner().invoke(main, [*command, "-h"])
    assert long.exit_code == 0
    assert long.stdout == short.stdout
    assert "Usage:" in long.stdout


def test_cli_usage_error_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(tmp_path / "missing")])
    assert result.exit_code == 2
