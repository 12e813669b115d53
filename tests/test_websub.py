"""WebSub publish pings against a small hub running on loopback."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner

from seedfeed.cli import main
from seedfeed.websub import ping_hub

SOURCE = Path("seeds/feed.toml")
TOPIC = "https://news.example.org/feed.atom"


class Hub(ThreadingHTTPServer):
    """A hub that answers each ping with the next status of a script."""

    daemon_threads = True

    def __init__(self, statuses: list[int], *, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), HubHandler)
        self.statuses = statuses
        self.delay = delay
        self.pings: list[tuple[str, dict[str, list[str]]]] = []
        self.stopped = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hub"


class HubHandler(BaseHTTPRequestHandler):
    server: Hub

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode("ascii"))
        self.server.pings.append((self.headers.get("Content-Type", ""), form))
        if self.server.delay:
            self.server.stopped.wait(self.server.delay)
        status = self.server.statuses.pop(0) if self.server.statuses else 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002  # the base's name
        pass


@pytest.fixture
def hub_factory() -> Iterator:
    hubs: list[Hub] = []

    def start(statuses: list[int], *, delay: float = 0.0) -> Hub:
        hub = Hub(statuses, delay=delay)
        threading.Thread(target=hub.serve_forever, args=(0.05,), daemon=True).start()
        hubs.append(hub)
        return hub

    yield start
    for hub in hubs:
        hub.stopped.set()
        hub.shutdown()
        hub.server_close()


def _no_sleep(seconds: float) -> None:
    assert seconds > 0


def test_websub_ping_is_a_form_post_per_topic(hub_factory) -> None:
    hub = hub_factory([])
    topics = [TOPIC, "https://news.example.org/feed.rss"]
    assert ping_hub(hub.url, topics, source=SOURCE, sleep=_no_sleep) == ()
    assert hub.pings == [
        ("application/x-www-form-urlencoded", {"hub.mode": ["publish"], "hub.url": [TOPIC]}),
        (
            "application/x-www-form-urlencoded",
            {"hub.mode": ["publish"], "hub.url": ["https://news.example.org/feed.rss"]},
        ),
    ]


def test_websub_retries_a_busy_hub(hub_factory) -> None:
    hub = hub_factory([503, 502])
    waits: list[float] = []
    assert ping_hub(hub.url, [TOPIC], source=SOURCE, attempts=3, sleep=waits.append) == ()
    assert len(hub.pings) == 3
    assert waits == [1.0, 2.0]


def test_websub_gives_up_after_bounded_attempts_with_a_notice(hub_factory) -> None:
    hub = hub_factory([503] * 10)
    (notice,) = ping_hub(hub.url, [TOPIC], source=SOURCE, attempts=3, sleep=_no_sleep)
    assert len(hub.pings) == 3
    assert notice.path == SOURCE
    assert "HTTP 503" in notice.message
    assert TOPIC in notice.message


def test_websub_does_not_retry_a_refusal(hub_factory) -> None:
    hub = hub_factory([400])
    (notice,) = ping_hub(hub.url, [TOPIC], source=SOURCE, attempts=3, sleep=_no_sleep)
    assert len(hub.pings) == 1
    assert "HTTP 400" in notice.message


def test_websub_timeout_is_a_notice(hub_factory) -> None:
    hub = hub_factory([], delay=5.0)
    notices = ping_hub(hub.url, [TOPIC], source=SOURCE, timeout=0.2, attempts=2, sleep=_no_sleep)
    assert len(notices) == 1
    assert len(hub.pings) == 2


def test_websub_unreachable_hub_is_a_notice() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now: the connection is refused.
    url = f"http://127.0.0.1:{port}/hub"
    (notice,) = ping_hub(url, [TOPIC], source=SOURCE, attempts=2, sleep=_no_sleep)
    assert notice.path == SOURCE
    assert "after 2 attempt(s)" in notice.message


def test_websub_refuses_a_non_http_hub() -> None:
    (notice,) = ping_hub("file:///etc/passwd", [TOPIC], source=SOURCE)
    assert "not an absolute http(s) URL" in notice.message


def test_websub_build_pings_for_changed_feeds_only(hub_factory, tmp_path: Path) -> None:
    hub = hub_factory([])
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    repo_seeds = Path(__file__).resolve().parent.parent / "seeds"
    shutil.copy(repo_seeds / "000_e462c374ae22f41e.txt", seeds)
    toml = (repo_seeds / "feed.toml").read_text(encoding="utf-8") + f'hub = "{hub.url}"\n'
    (seeds / "feed.toml").write_text(toml, encoding="utf-8")
    args = ["build", str(seeds), "--out", str(tmp_path / "public"), "--quiet"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert sorted(form["hub.url"][0] for _, form in hub.pings) == [
        "https://news.example.org/feed.atom",
        "https://news.example.org/feed.json",
        "https://news.example.org/feed.rss",
    ]
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0
    assert len(hub.pings) == 3


def test_websub_failed_ping_is_a_warning_not_a_failed_build(hub_factory, tmp_path: Path) -> None:
    hub = hub_factory([400, 400, 400])
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    repo_seeds = Path(__file__).resolve().parent.parent / "seeds"
    shutil.copy(repo_seeds / "000_e462c374ae22f41e.txt", seeds)
    toml = (repo_seeds / "feed.toml").read_text(encoding="utf-8") + f'hub = "{hub.url}"\n'
    (seeds / "feed.toml").write_text(toml, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(seeds), "--out", str(tmp_path / "public"), "--quiet"])
    assert result.exit_code == 0
    assert result.stderr.count("warning: ") >= 3
    assert "HTTP 400" in result.stderr
    assert (tmp_path / "public" / "feed.atom").is_file()
