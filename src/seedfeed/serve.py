"""A local server for the output folder, rebuilding it as seeds arrive.

``seedfeed serve`` is what a feed reader or a browser on this machine
subscribes to while the seeds are edited: it answers as a good static host
does (the right media types, validators and ``304 Not Modified``, gzip) so
that readers behave here as they will in production. It builds into its own
preview folder, with base URLs that follow the address it serves on, so the
published folder is never touched. It binds to loopback unless told otherwise.
"""

from __future__ import annotations

import gzip
import hashlib
import posixpath
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socket import AF_INET6
from types import TracebackType
from urllib.parse import unquote, urlsplit

import watchfiles

from seedfeed import __version__
from seedfeed.build import BuildReport, build
from seedfeed.config import CONFIG_NAME, load_config
from seedfeed.errors import SeedfeedError
from seedfeed.fsutil import write_if_changed
from seedfeed.ledger import LEDGER_NAME
from seedfeed.seeds import SEED_SUFFIX

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
PREVIEW_LEDGER = ".seedfeed-preview-ledger.json"
INDEX = "index.html"
_UTF8 = "; charset=utf-8"
CONTENT_TYPES = {
    ".atom": "application/atom+xml" + _UTF8,
    ".rss": "application/rss+xml" + _UTF8,
    ".html": "text/html" + _UTF8,
    ".css": "text/css" + _UTF8,
    ".txt": "text/plain" + _UTF8,
    ".xml": "application/xml" + _UTF8,
    ".json": "application/json" + _UTF8,
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".svg": "image/svg+xml",
}
# JSON Feed 1.1 names its own media type; other JSON stays application/json.
NAMED_TYPES = {"feed.json": "application/feed+json" + _UTF8}
_COMPRESSIBLE = ("text/", "application/")
_MIN_GZIP_BYTES = 256  # below this gzip's header costs more than it saves


def content_type(name: str) -> str:
    """Return the Content-Type a file of the output folder is served with."""
    if name in NAMED_TYPES:
        return NAMED_TYPES[name]
    return CONTENT_TYPES.get(posixpath.splitext(name)[1].lower(), "application/octet-stream")


def accepts_gzip(header: str | None) -> bool:
    """Return whether an Accept-Encoding header accepts gzip (RFC 9110 §12.5.3)."""
    if not header:
        return False
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        return quality > 0
    return False


def _etag_matches(header: str, etags: tuple[str, ...]) -> bool:
    # RFC 9110 §13.1.2: If-None-Match uses the weak comparison.
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return "*" in candidates or any(tag in candidates for tag in etags)


def resolve_request_path(root: Path, raw_path: str) -> Path | None:
    """Return the file a request path names inside root, or None if it may not be served.

    Refused: ``..`` segments, NUL bytes and backslashes, hidden files (the
    build's temporary files and lock), anything that resolves outside root
    (symbolic links included). A folder means its ``index.html``; there are
    no directory listings.
    """
    path = unquote(urlsplit(raw_path).path)
    if "\x00" in path or "\\" in path:
        return None
    segments = [s for s in path.split("/") if s not in ("", ".")]
    if any(s == ".." or s.startswith(".") for s in segments):
        return None
    base = root.resolve()
    target = base.joinpath(*segments)
    if target.is_dir():
        target = target / INDEX
    try:
        target = target.resolve(strict=True)
    except (FileNotFoundError, RuntimeError, NotADirectoryError):
        return None
    if not target.is_relative_to(base) or not target.is_file():
        return None
    return target


class OutputHandler(BaseHTTPRequestHandler):
    """GET and HEAD over the output folder, as a careful static host answers them."""

    server: OutputServer
    protocol_version = "HTTP/1.1"
    server_version = f"seedfeed/{__version__}"

    def version_string(self) -> str:
        """Return the Server header: seedfeed's version, not Python's."""
        return self.server_version

    def do_GET(self) -> None:
        """Send a file, or 304 when the client's copy is current."""
        self._respond(with_body=True)

    def do_HEAD(self) -> None:
        """Send a file's headers only."""
        self._respond(with_body=False)

    def _refuse_method(self) -> None:
        self._send_error(HTTPStatus.METHOD_NOT_ALLOWED, allow=True)

    # http.server dispatches on these names.
    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse_method  # noqa: N815

    def _send_error(self, status: HTTPStatus, *, allow: bool = False, with_body: bool = True) -> None:
        body = f"{status.value} {status.phrase}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" + _UTF8)
        self.send_header("Content-Length", str(len(body)))
        if allow:
            self.send_header("Allow", "GET, HEAD")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def _respond(self, *, with_body: bool) -> None:
        path = urlsplit(self.path).path
        if ".." in unquote(path).split("/") or "\x00" in unquote(path):
            self._send_error(HTTPStatus.FORBIDDEN, with_body=with_body)
            return
        target = resolve_request_path(self.server.root, self.path)
        if target is None:
            self._send_error(HTTPStatus.NOT_FOUND, with_body=with_body)
            return
        if target.name == INDEX and not path.endswith(("/", INDEX)):
            # "/articles" names a folder: send the client where relative links resolve.
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            data = target.read_bytes()
            mtime = target.stat().st_mtime
        except OSError:
            self._send_error(HTTPStatus.NOT_FOUND, with_body=with_body)
            return
        kind = content_type(target.name)
        digest = hashlib.sha256(data).hexdigest()[:32]
        plain_tag, gzip_tag = f'"{digest}"', f'"{digest}-gzip"'
        use_gzip = (
            kind.startswith(_COMPRESSIBLE)
            and len(data) >= _MIN_GZIP_BYTES
            and accepts_gzip(self.headers.get("Accept-Encoding"))
        )
        etag = gzip_tag if use_gzip else plain_tag
        last_modified = formatdate(int(mtime), usegmt=True)
        if self._is_not_modified(int(mtime), (plain_tag, gzip_tag)):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._send_validators(etag, last_modified)
            self.end_headers()
            return
        # mtime=0: the same file gives the same gzip bytes, so the ETag holds.
        body = gzip.compress(data, mtime=0) if use_gzip else data
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        if use_gzip:
            self.send_header("Content-Encoding", "gzip")
        self._send_validators(etag, last_modified)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def _send_validators(self, etag: str, last_modified: str) -> None:
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        # Revalidate on every poll: a preview changes whenever a seed does.
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Vary", "Accept-Encoding")

    def _is_not_modified(self, mtime: int, etags: tuple[str, ...]) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            # RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since.
            return _etag_matches(if_none_match, etags)
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since is None:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return mtime <= since.timestamp()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002  # the base's name
        """Pass the access log to the server's ``log`` callable, if any."""
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")


class OutputServer(ThreadingHTTPServer):
    """A threaded HTTP server over one output folder."""

    daemon_threads = True

    def __init__(self, root: Path, host: str, port: int, *, log: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.log = log
        if ":" in host:
            self.address_family = AF_INET6
        super().__init__((host, port), OutputHandler)

    @property
    def base_url(self) -> str:
        """Return the URL this server answers on, ending in "/"."""
        address, port = self.server_address[0], self.server_address[1]
        host = address.decode() if isinstance(address, bytes) else address
        if host in ("0.0.0.0", "::"):  # noqa: S104  # naming, not binding, the wildcard address
            host = DEFAULT_HOST if host == "0.0.0.0" else "::1"  # noqa: S104  # as above
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"


def _is_seed_event(_change: watchfiles.Change, path: str) -> bool:
    name = Path(path).name
    # The build writes the ledger and the lock into the seeds folder: not a reason to rebuild.
    return not name.startswith(".") and (name.endswith(SEED_SUFFIX) or name == CONFIG_NAME)


@dataclass(slots=True)
class PreviewServer:
    """Serve a preview build of a seeds folder and rebuild it when seeds change.

    Use as a context manager, or call ``start`` and ``close``. ``log`` gets
    one line per event (build summary, notice, access) for the CLI to print.
    """

    seeds_dir: Path
    out_dir: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    log: Callable[[str], None] | None = None
    debounce_ms: int = 300
    clock: Callable[[], datetime] = lambda: datetime.now(UTC).replace(microsecond=0)
    _http: OutputServer | None = None
    _threads: tuple[threading.Thread, ...] = ()
    _stop: threading.Event | None = None
    rebuilt: threading.Event | None = None  # set after each finished rebuild

    @property
    def url(self) -> str:
        """Return the base URL the preview answers on."""
        if self._http is None:
            raise RuntimeError("the preview server is not started")
        return self._http.base_url

    def start(self) -> str:
        """Bind, build once, then serve and watch in background threads; return the URL.

        Raises ConfigError for a bad feed.toml, SeedfeedError when the address
        cannot be bound (the port is taken, the host is not this machine's).
        """
        load_config(self.seeds_dir)  # a bad feed.toml stops here, before anything is bound
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._start_preview_ledger()
        try:
            self._http = OutputServer(self.out_dir, self.host, self.port, log=self.log)
        except OSError as exc:
            raise SeedfeedError(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}") from exc
        self._stop = threading.Event()
        self.rebuilt = threading.Event()
        try:
            report = self.rebuild()
        except BaseException:
            self._http.server_close()
            raise
        if report is None:
            self._http.server_close()
            raise SeedfeedError(f"{self.seeds_dir}: the preview could not be built")
        serving = threading.Thread(target=self._http.serve_forever, args=(0.1,), daemon=True)
        watching = threading.Thread(target=self._watch, daemon=True)
        self._threads = (serving, watching)
        for thread in self._threads:
            thread.start()
        return self.url

    @property
    def ledger_path(self) -> Path:
        """Return the preview's own ledger: hidden, so never served."""
        return self.out_dir / PREVIEW_LEDGER

    def _start_preview_ledger(self) -> None:
        # The preview starts from what is published and records its own events
        # (a draft seen for the first time) only in its copy: previewing a seed
        # must not fix the first-seen time that the real build will record.
        try:
            data = (self.seeds_dir / LEDGER_NAME).read_bytes()
        except FileNotFoundError:
            self.ledger_path.unlink(missing_ok=True)
            return
        except OSError as exc:
            raise SeedfeedError(f"{self.seeds_dir / LEDGER_NAME}: cannot be read: {exc.strerror or exc}") from exc
        write_if_changed(self.out_dir, PREVIEW_LEDGER, data)

    def rebuild(self) -> BuildReport | None:
        """Build the preview; a failed build is logged and the last good one stays served."""
        try:
            config = replace(load_config(self.seeds_dir), base_url=self.url)
            report = build(self.seeds_dir, self.out_dir, now=self.clock(), config=config, ledger_path=self.ledger_path)
        except SeedfeedError as exc:
            self._log(f"error: {exc}")
            return None
        for error in report.rejected:
            self._log(f"rejected: {error}")
        for notice in report.notices:
            self._log(f"warning: {notice}")
        self._log(report.summary())
        if self.rebuilt is not None:
            self.rebuilt.set()
        return report

    def _watch(self) -> None:
        if self._stop is None:
            return
        for _changes in watchfiles.watch(
            self.seeds_dir,
            watch_filter=_is_seed_event,
            debounce=self.debounce_ms,
            step=50,
            stop_event=self._stop,
            raise_interrupt=False,
            recursive=False,
        ):
            self.rebuild()

    def _log(self, message: str) -> None:
        if self.log is not None:
            self.log(message)

    def serve_until_interrupted(self) -> None:
        """Block until Ctrl-C, then close."""
        try:
            if self._stop is not None:
                while not self._stop.wait(0.5):
                    pass
        except KeyboardInterrupt:
            self._log("stopped")
        finally:
            self.close()

    def close(self) -> None:
        """Stop watching and serving; close the socket."""
        if self._stop is not None:
            self._stop.set()
        if self._http is not None:
            if self._threads:
                self._http.shutdown()
            self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = ()

    def __enter__(self) -> PreviewServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
