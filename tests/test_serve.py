"""``seedfeed serve``: real HTTP against a server on a free loopback port."""

from __future__ import annotations

import gzip
import http.client
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from publish_support import HARBOUR_SEED, SEEDS
from seedfeed.build import build
from seedfeed.cli import main
from seedfeed.ledger import LEDGER_NAME
from seedfeed.serve import OutputServer, PreviewServer, accepts_gzip

NEW_SEED = HARBOUR_SEED


def copy_seeds(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in [*SEEDS.glob("*.txt"), SEEDS / "feed.toml"]:
        shutil.copy(path, seeds / path.name)
    return seeds


@pytest.fixture
def served(tmp_path: Path) -> Iterator[OutputServer]:
    out = tmp_path / "public"
    build(copy_seeds(tmp_path), out, now=datetime(2024, 1, 1, tzinfo=UTC))
    (tmp_path / "secret.txt").write_text("outside the output folder", encoding="utf-8")
    server = OutputServer(out, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def request(
    server: OutputServer, path: str, *, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    host, port = server.server_address[0], server.server_address[1]
    connection = http.client.HTTPConnection(str(host), port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for key, value in (headers or {}).items():
            connection.putheader(key, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/feed.atom", "application/atom+xml; charset=utf-8"),
        ("/feed.rss", "application/rss+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/articles/000_e462c374ae22f41e.html", "text/html; charset=utf-8"),
    ],
)
def test_serve_content_types(served: OutputServer, path: str, content_type: str) -> None:
    status, headers, body = request(served, path)
    assert status == 200
    assert headers["content-type"] == content_type
    assert int(headers["content-length"]) == len(body)
    name = "index.html" if path == "/" else path.lstrip("/")
    assert body == (served.root / name).read_bytes()


def test_serve_feeds_parse(served: OutputServer) -> None:
    for path in ("/feed.atom", "/feed.rss"):
        parsed = feedparser.parse(request(served, path)[2])
        assert parsed.bozo == 0
        assert parsed.entries[0].author == "Huyen Le"
    assert json.loads(request(served, "/feed.json")[2])["items"][0]["authors"] == [{"name": "Huyen Le"}]


def test_serve_conditional_get_gives_304(served: OutputServer) -> None:
    status, headers, _ = request(served, "/feed.atom")
    assert status == 200
    etag, last_modified = headers["etag"], headers["last-modified"]
    status, again, body = request(served, "/feed.atom", headers={"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert again["etag"] == etag
    status, _, body = request(served, "/feed.atom", headers={"If-Modified-Since": last_modified})
    assert (status, body) == (304, b"")
    status, _, _ = request(served, "/feed.atom", headers={"If-None-Match": '"other"'})
    assert status == 200
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert request(served, "/feed.atom", headers={"If-Modified-Since": old})[0] == 200


def test_serve_gzip_when_accepted(served: OutputServer) -> None:
    status, headers, body = request(served, "/feed.rss", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == (served.root / "feed.rss").read_bytes()
    status, _, _ = request(served, "/feed.rss", headers={"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]})
    assert status == 304
    _, plain, body = request(served, "/feed.rss", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in plain
    assert body == (served.root / "feed.rss").read_bytes()


def test_serve_head_has_headers_and_no_body(served: OutputServer) -> None:
    status, headers, body = request(served, "/feed.json", method="HEAD")
    assert status == 200
    assert body == b""
    assert int(headers["content-length"]) == (served.root / "feed.json").stat().st_size
    assert headers["content-type"] == "application/feed+json; charset=utf-8"


@pytest.mark.parametrize(
    "path",
    ["/../secret.txt", "/%2e%2e/secret.txt", "/articles/..%2f..%2fsecret.txt", "/a/../../secret.txt"],
)
def test_serve_refuses_path_traversal(served: OutputServer, path: str) -> None:
    status, _, body = request(served, path)
    assert status in (403, 404)
    assert b"outside the output folder" not in body


def test_serve_no_directory_listing_nor_hidden_files(served: OutputServer) -> None:
    assert request(served, "/articles/")[0] == 404
    (served.root / ".feed.atom.x.tmp").write_text("half", encoding="utf-8")
    assert request(served, "/.feed.atom.x.tmp")[0] == 404
    assert request(served, "/missing.html")[0] == 404
    status, headers, _ = request(served, "/feed.atom", method="POST")
    assert (status, headers["allow"]) == (405, "GET, HEAD")


def test_serve_binds_loopback_by_default(served: OutputServer) -> None:
    assert served.server_address[0] == "127.0.0.1"
    result = CliRunner().invoke(main, ["serve", "-h"])
    assert result.exit_code == 0
    assert "--host TEXT" in result.output
    assert "[default: 127.0.0.1]" in result.output
    assert "seedfeed serve seeds --port 8000" in result.output


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, False), ("gzip", True), ("GZIP;q=0.5", True), ("gzip;q=0", False), ("br", False), ("*", True)],
)
def test_serve_accepts_gzip(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_serve_preview_rebuilds_on_a_new_seed(tmp_path: Path) -> None:
    seeds = copy_seeds(tmp_path)
    published = tmp_path / "public"
    lines: list[str] = []
    preview = PreviewServer(seeds_dir=seeds, out_dir=tmp_path / "preview", host="127.0.0.1", port=0, log=lines.append)
    with preview:
        assert preview.url.startswith("http://127.0.0.1:")
        server = preview._http
        assert server is not None
        feed = feedparser.parse(request(server, "/feed.atom")[2])
        reference_title = (SEEDS / "000_e462c374ae22f41e.txt").read_text(encoding="utf-8").split("\n")[0]
        assert [e.title for e in feed.entries] == [reference_title]
        # Links follow the served address, so a reader's clicks stay local.
        assert feed.entries[0].link.startswith(preview.url)
        assert preview.rebuilt is not None
        preview.rebuilt.clear()
        (seeds / "001_harbour.txt").write_text(NEW_SEED, encoding="utf-8")
        assert preview.rebuilt.wait(30), lines
        feed = feedparser.parse(request(server, "/feed.atom")[2])
        assert [e.title for e in feed.entries] == ["Harbour reopens after the storm", reference_title]
    assert not published.exists()


def test_serve_port_taken_is_one_clear_error(tmp_path: Path) -> None:
    seeds = copy_seeds(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", str(seeds), "--port", str(port), "--out", str(tmp_path / "p")])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in result.stderr


def test_serve_removed_seed_takes_its_page_along(tmp_path: Path) -> None:
    seeds, out = copy_seeds(tmp_path), tmp_path / "public"
    (seeds / "001_harbour.txt").write_text(NEW_SEED, encoding="utf-8")
    build(seeds, out, now=datetime(2024, 4, 1, tzinfo=UTC))
    assert (out / "articles" / "001_harbour.html").is_file()
    (seeds / "001_harbour.txt").unlink()
    report = build(seeds, out, now=datetime(2024, 4, 2, tzinfo=UTC))
    assert "articles/001_harbour.html" in report.written
    assert sorted(p.name for p in (out / "articles").iterdir()) == ["000_e462c374ae22f41e.html"]


def test_serve_preview_records_nothing_in_the_real_ledger(tmp_path: Path) -> None:
    seeds = copy_seeds(tmp_path)
    build(seeds, tmp_path / "public", now=datetime(2024, 4, 1, tzinfo=UTC))
    ledger = seeds / LEDGER_NAME
    before = ledger.read_bytes()
    preview = PreviewServer(seeds_dir=seeds, out_dir=tmp_path / "preview", host="127.0.0.1", port=0)
    with preview:
        assert preview.rebuilt is not None
        preview.rebuilt.clear()
        (seeds / "001_harbour.txt").write_text(NEW_SEED, encoding="utf-8")
        assert preview.rebuilt.wait(30)
        server = preview._http
        assert server is not None
        feed = feedparser.parse(request(server, "/feed.atom")[2])
        assert len(feed.entries) == 2
        # The preview's own copy records the draft; it is hidden, so never served.
        copy = json.loads(preview.ledger_path.read_text(encoding="utf-8"))
        assert sorted(e["stem"] for e in copy["entries"]) == ["000_e462c374ae22f41e", "001_harbour"]
        assert request(server, "/" + preview.ledger_path.name)[0] == 404
    assert ledger.read_bytes() == before
