"""A real feed reader end to end: newsboat subscribes to ``seedfeed serve``.

newsboat runs with a throwaway config, URL list and cache in tmp_path; the
test reads newsboat's own SQLite cache, which is what its user would see.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.request import urlopen

import feedparser
import pytest

import seedfeed
from publish_support import HARBOUR_SEED, REFERENCE, copy_seeds, require_program

SRC = Path(seedfeed.__file__).resolve().parent.parent
NEW_SEED = HARBOUR_SEED
REFERENCE_TITLE = REFERENCE.read_text(encoding="utf-8").split("\n")[0]


@dataclass
class Served:
    url: str
    seeds: Path
    log: list[str]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """Run ``seedfeed serve`` as its user does, on a free loopback port."""
    seeds = copy_seeds(tmp_path / "seeds")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "seedfeed", "serve", str(seeds), "--port", "0", "--out", str(tmp_path / "preview")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log: list[str] = []
    ready = threading.Event()
    found: list[str] = []

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            log.append(line.rstrip("\n"))
            match = re.match(r"Serving (http://127\.0\.0\.1:\d+/)", line)
            if match:
                found.append(match.group(1))
                ready.set()
        ready.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert ready.wait(60), log
        assert found, f"seedfeed serve did not start: {log}"
        yield Served(url=found[0], seeds=seeds, log=log)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def fetch_entries(url: str) -> list[str]:
    with urlopen(url, timeout=10) as response:  # noqa: S310  # a loopback http URL of the test
        return [e.id for e in feedparser.parse(response.read()).entries]


def wait_for_entries(url: str, count: int) -> None:
    """Poll the served feed until the rebuild shows ``count`` entries (the watcher's debounce)."""
    deadline = time.monotonic() + 60
    while len(fetch_entries(url)) != count:
        assert time.monotonic() < deadline, f"{url} never showed {count} entries"
        time.sleep(0.1)


def reload(newsboat: str, home: Path, feed_url: str) -> list[dict[str, object]]:
    """Run ``newsboat -x reload`` with a throwaway profile; return the cached articles."""
    home.mkdir(exist_ok=True)
    (home / "urls").write_text(feed_url + "\n", encoding="utf-8")
    (home / "config").write_text("", encoding="utf-8")
    cache = home / "cache.db"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config.d"),
        "XDG_DATA_HOME": str(home / "data.d"),
        "XDG_CACHE_HOME": str(home / "cache.d"),
    }
    subprocess.run(
        [newsboat, "-u", str(home / "urls"), "-C", str(home / "config"), "-c", str(cache), "-x", "reload"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    with closing(sqlite3.connect(cache)) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT guid, title, author, url, feedurl, pubDate FROM rss_item WHERE deleted = 0 ORDER BY pubDate DESC"
        ).fetchall()
        return [dict(row) for row in rows]


@pytest.mark.parametrize("feed_name", ["feed.atom", "feed.rss"])
def test_newsboat_reads_the_feed_and_one_new_seed(served: Served, tmp_path: Path, feed_name: str) -> None:
    newsboat = require_program("newsboat")
    feed_url = served.url + feed_name
    home = tmp_path / "newsboat"

    (article,) = reload(newsboat, home, feed_url)
    assert article["guid"] == "tag:news.example.org,2023:000_e462c374ae22f41e"
    assert article["title"] == REFERENCE_TITLE
    assert article["author"] == "Huyen Le"
    assert article["url"] == served.url + "articles/000_e462c374ae22f41e.html"
    assert article["feedurl"] == feed_url
    assert datetime.fromtimestamp(int(article["pubDate"]), UTC) == datetime(2023, 10, 17, 17, tzinfo=UTC)

    (served.seeds / "001_harbour.txt").write_text(NEW_SEED, encoding="utf-8")
    wait_for_entries(feed_url, 2)
    articles = reload(newsboat, home, feed_url)
    guids = [a["guid"] for a in articles]
    assert len(guids) == len(set(guids)) == 2, articles
    new = articles[0]
    assert new["guid"] == "tag:news.example.org,2023:001_harbour"
    assert new["title"] == "Harbour reopens after the storm"
    assert new["author"] == "Jane Doe"
    assert new["url"] == served.url + "articles/001_harbour.html"
    assert datetime.fromtimestamp(int(new["pubDate"]), UTC) == datetime(2024, 3, 4, 17, tzinfo=UTC)

    # A reload with nothing new adds nothing, and newsboat's conditional GET gets a 304.
    requests_before = len(served.log)
    assert [a["guid"] for a in reload(newsboat, home, feed_url)] == guids
    deadline = time.monotonic() + 10  # the server's log reaches us through a pipe
    while not any(f'"GET /{feed_name} HTTP/1.1" 304' in line for line in served.log[requests_before:]):
        assert time.monotonic() < deadline, served.log
        time.sleep(0.05)
