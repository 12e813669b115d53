"""The feed a seeds folder makes, as described by its ``feed.toml``."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from urllib.parse import urlsplit

from dateutil import tz

from seedfeed.errors import ConfigError
from seedfeed.languages import LanguageTable, build_tables

CONFIG_NAME = "feed.toml"
FORMATS = ("atom", "rss", "json", "html")
KNOWN_KEYS = (
    "title", "subtitle", "base_url", "author", "author_email", "author_uri", "language", "time_zone",
    "id_authority", "id_date", "max_entries", "max_seed_bytes", "complete", "tombstone_days", "hub",
    "formats", "languages",
)  # fmt: skip
_TAG_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_AUTHORITY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|[^@\s]+@[A-Za-z0-9.-]+")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedConfig:
    """Everything about the feed that is not in the seeds."""

    title: str
    subtitle: str | None = None  # None: the feed has no subtitle
    base_url: str  # absolute http(s) URL ending in "/"; files live under it
    author: str
    author_email: str | None = None
    author_uri: str | None = None
    language: str
    time_zone: tzinfo
    time_zone_name: str  # as written in feed.toml, for messages and JSON
    id_authority: str  # RFC 4151 taggingEntity: a domain or an e-mail address
    id_date: str  # RFC 4151 date: YYYY, YYYY-MM or YYYY-MM-DD
    max_entries: int = 50
    max_seed_bytes: int = 2_000_000
    complete: bool = False
    tombstone_days: int = 30
    hub: str | None = None  # None: no WebSub hub
    formats: frozenset[str] = frozenset(FORMATS)
    languages: Mapping[str, LanguageTable] = field(default_factory=dict)

    @property
    def feed_id(self) -> str:
        """Return the feed's permanent id."""
        return f"tag:{self.id_authority},{self.id_date}:feed"

    def url(self, relative: str) -> str:
        """Return the absolute URL of a file under the output folder."""
        return self.base_url + relative.lstrip("/")


def parse_time_zone(name: str) -> tzinfo:
    """Return a tzinfo for "+07:00", "UTC" or an IANA name.

    Raises ValueError for a name neither form knows: dateutil would only warn.
    """
    match = _OFFSET.fullmatch(name.strip())
    if match:
        sign = 1 if match.group(1) == "+" else -1
        seconds = sign * (int(match.group(2)) * 3600 + int(match.group(3)) * 60)
        return tz.tzoffset(None, seconds) if seconds else tz.UTC
    if name.strip().upper() in ("UTC", "Z"):
        return tz.UTC
    zone = tz.gettz(name.strip())
    if zone is None:
        raise ValueError(f"unknown time zone {name!r} (e.g. '+07:00' or 'Asia/Jakarta')")
    return zone


def check_http_url(value: str) -> str | None:
    """Return a problem with an http(s) URL, or None if it is fine."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{value!r} is not an absolute http(s) URL"
    if any(c.isspace() or ord(c) < 0x20 for c in value):
        return f"{value!r} contains whitespace or control characters"
    return None


def _get(data: Mapping[str, object], key: str, kind: type, path: Path, default: object = None) -> object:
    value = data.get(key, default)
    if value is None:
        return None
    if kind is int and isinstance(value, bool):
        raise ConfigError(f"{path}: {key} must be an integer, not {value!r}")
    if not isinstance(value, kind):
        raise ConfigError(f"{path}: {key} must be a {kind.__name__}, not {value!r}")
    return value


def parse_config(data: Mapping[str, object], path: Path) -> FeedConfig:
    """Return the FeedConfig a parsed feed.toml describes.

    Raises ConfigError naming the file and the key.
    """
    unknown = sorted(set(data) - set(KNOWN_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (known: {', '.join(KNOWN_KEYS)})")
    for key in ("title", "base_url", "author", "language", "time_zone", "id_authority", "id_date"):
        if key not in data:
            raise ConfigError(f"{path}: missing key {key!r}")
    base_url = str(_get(data, "base_url", str, path))
    if not base_url.endswith("/"):
        base_url += "/"
    problem = check_http_url(base_url)
    if problem:
        raise ConfigError(f"{path}: base_url: {problem}")
    tz_name = str(_get(data, "time_zone", str, path))
    try:
        zone = parse_time_zone(tz_name)
    except ValueError as exc:
        raise ConfigError(f"{path}: time_zone: {exc}") from exc
    authority = str(_get(data, "id_authority", str, path))
    if not _AUTHORITY.fullmatch(authority):
        raise ConfigError(f"{path}: id_authority {authority!r} is not a domain name or e-mail address")
    id_date = _get(data, "id_date", str, path)
    if not _TAG_DATE.fullmatch(str(id_date)):
        raise ConfigError(f"{path}: id_date {id_date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    formats_data = _get(data, "formats", dict, path, {})
    assert isinstance(formats_data, dict)  # noqa: S101  # narrowed by _get
    formats = set(FORMATS)
    for name, enabled in formats_data.items():
        if name not in FORMATS or not isinstance(enabled, bool):
            raise ConfigError(f"{path}: [formats] {name} must be one of {', '.join(FORMATS)} = true/false")
        if not enabled:
            formats.discard(name)
    hub = _get(data, "hub", str, path)
    if hub:
        problem = check_http_url(str(hub))
        if problem:
            raise ConfigError(f"{path}: hub: {problem}")
    languages_data = _get(data, "languages", dict, path, {})
    assert isinstance(languages_data, dict)  # noqa: S101  # narrowed by _get
    try:
        languages = build_tables(languages_data)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    ints = {}
    for key, default, low in (
        ("max_entries", 50, 1),
        ("max_seed_bytes", 2_000_000, 1),
        ("tombstone_days", 30, 0),
    ):
        value = _get(data, key, int, path, default)
        assert isinstance(value, int)  # noqa: S101  # narrowed by _get
        if value < low:
            raise ConfigError(f"{path}: {key} must be at least {low}, not {value}")
        ints[key] = value
    complete = _get(data, "complete", bool, path, default=False)
    subtitle = _get(data, "subtitle", str, path)
    email = _get(data, "author_email", str, path)
    uri = _get(data, "author_uri", str, path)
    return FeedConfig(
        title=str(_get(data, "title", str, path)),
        subtitle=str(subtitle) if subtitle else None,
        base_url=base_url,
        author=str(_get(data, "author", str, path)),
        author_email=str(email) if email else None,
        author_uri=str(uri) if uri else None,
        language=str(_get(data, "language", str, path)),
        time_zone=zone,
        time_zone_name=tz_name,
        id_authority=authority,
        id_date=str(id_date),
        max_entries=ints["max_entries"],
        max_seed_bytes=ints["max_seed_bytes"],
        complete=bool(complete),
        tombstone_days=ints["tombstone_days"],
        hub=str(hub) if hub else None,
        formats=frozenset(formats),
        languages=languages,
    )


def load_config(seeds_dir: Path) -> FeedConfig:
    """Read ``feed.toml`` from a seeds folder.

    Raises ConfigError when it is missing, is not TOML or has a bad value.
    """
    path = seeds_dir / CONFIG_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: not found; every seeds folder needs a {CONFIG_NAME}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: is not valid TOML: {exc}") from exc
    return parse_config(data, path)
