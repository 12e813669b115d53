"""The README stays true: its commands, its feed.toml keys, its exit codes."""

from __future__ import annotations

import re
import subprocess

from click.testing import CliRunner

from conftest import REPO
from seedfeed.cli import main
from seedfeed.config import KNOWN_KEYS, parse_config

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_docs_ci_runs_the_readme_test_command() -> None:
    command = subprocess.run(
        ["awk", "/<!-- test-command -->/{getline; getline; print; exit}", "README.md"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert command == 'pip install -e ".[test]" && pytest'
    assert "test-command" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_docs_readme_lists_every_feed_toml_key() -> None:
    table = README.split("## feed.toml", 1)[1].split("##", 1)[0]
    documented = set(re.findall(r"`([a-z_]+)`", table))
    known = set(KNOWN_KEYS) - {"formats", "languages"}
    assert known <= documented
    # Each of these is accepted by the parser: an unknown key is an error there.
    data = {
        "title": "t", "base_url": "https://e.org/", "author": "a", "language": "id",
        "time_zone": "UTC", "id_authority": "e.org", "id_date": "2024",
    }  # fmt: skip
    assert parse_config(data, REPO / "feed.toml").base_url == "https://e.org/"


def test_docs_exit_codes_match_group_help() -> None:
    help_text = CliRunner().invoke(main, ["--help"]).stdout
    for code in ("0", "1", "2"):
        assert re.search(rf"^\s+{code}\s+\S", help_text, re.MULTILINE), code
    assert "**0**" in README
    assert "**1**" in README
    assert "**2**" in README
