"""Read stage: a seed file's bytes become a ``Seed`` (text and front matter)."""

from __future__ import annotations

import codecs
import os
import re
import unicodedata
from pathlib import Path

from seedfeed.detect import guess_legacy_encoding
from seedfeed.errors import SeedError
from seedfeed.model import FrontMatter, Notice, Seed
from seedfeed.text import strip_xml_illegal

SEED_SUFFIX = ".txt"
_FRONT_KEYS = ("title", "date", "author", "link", "tags", "id", "language")
_KEY_VALUE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)\s*:\s*(.*)")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


def _decode_bytes(data: bytes, source: Path) -> tuple[str, str, tuple[Notice, ...]]:
    """Return text, encoding name and notices; raise SeedError for binary data."""
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8-sig", data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        # Before UTF-16: the UTF-32 little-endian mark starts with the UTF-16 one.
        encoding, body = "utf-32", data
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data
    else:
        encoding, body = "utf-8", data
    if encoding not in ("utf-16", "utf-32") and b"\x00" in body:
        raise SeedError(source, None, "is a binary file (it contains NUL bytes), not a text seed")
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding in ("utf-16", "utf-32"):
            name = encoding.upper()
            raise SeedError(source, None, f"is not valid {name} despite its byte order mark: {exc.reason}") from exc
        return _decode_legacy(body, source, exc)
    if _looks_binary(text):
        # Valid UTF-8 or UTF-16 can still be mostly control characters.
        raise SeedError(source, None, "is a binary file (mostly control characters), not a text seed")
    return text, encoding, ()


_MIXED_RATIO = 4  # valid non-ASCII characters per stray byte for a "UTF-8 with strays" file


def _decode_stray_byte(error: UnicodeError) -> tuple[str, int]:
    # A byte that is not UTF-8 in a file that otherwise is: an editor or a
    # scraper pasted Windows-1252 text into UTF-8. Its five unassigned bytes
    # become C1 controls through Latin-1, which strip_xml_illegal then removes.
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    text = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad)
    return text, error.end


codecs.register_error("seedfeed-stray-cp1252", _decode_stray_byte)


def _decode_legacy(body: bytes, source: Path, utf8_error: UnicodeDecodeError) -> tuple[str, str, tuple[Notice, ...]]:
    line = body[: utf8_error.start].count(b"\n") + 1
    valid = body.decode("utf-8", errors="ignore")
    stray = body.decode("utf-8", errors="replace").count("\ufffd") - valid.count("\ufffd")
    # Mostly valid multi-byte UTF-8 with a few stray bytes: a UTF-8 file with
    # pasted Windows-1252, where a legacy code page would garble all the rest.
    # Legacy text makes valid UTF-8 sequences only by chance, far fewer.
    if sum(1 for c in valid if ord(c) > 0x7F) >= _MIXED_RATIO * stray:
        mixed = body.decode("utf-8", errors="seedfeed-stray-cp1252")
        message = f"not valid UTF-8: {stray} stray byte(s) decoded as cp1252 (re-save it as UTF-8)"
        return mixed, "utf-8", (Notice(path=source, line=line, message=message),)
    # Which legacy encoding a file is in, its bytes cannot say for sure: the
    # decoding that reads most like a language is a guess, so the seed carries a notice.
    guess = guess_legacy_encoding(body)
    if guess is None:
        raise SeedError(
            source,
            line,
            f"is neither UTF-8 nor a recognisable legacy encoding ({utf8_error.reason})",
        )
    text, encoding = guess
    if _looks_binary(text):
        raise SeedError(source, None, "is a binary file, not a text seed")
    notice = Notice(
        path=source,
        line=line,
        message=f"not UTF-8; decoded as {encoding} (a guess: re-save it as UTF-8)",
    )
    return text, encoding, (notice,)


# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F; a
# character class counts them far faster than a category look-up per character.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    controls = len(_CONTROL.findall(text))
    return controls > max(2, len(text) // 100)


def _parse_tags(value: str) -> tuple[str, ...]:
    inner = value.strip()
    if inner.startswith("[") and inner.endswith("]"):
        inner = inner[1:-1]
    tags = (t.strip().strip("\"'").strip() for t in inner.split(","))
    return tuple(dict.fromkeys(t for t in tags if t))


def _split_front_matter(text: str, source: Path) -> tuple[FrontMatter, str, int, tuple[Notice, ...]]:
    """Return front matter, body, the body's first line number and notices."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return FrontMatter(), text, 1, ()
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise SeedError(source, 1, "front matter starts with '---' but has no closing '---' line") from None
    values: dict[str, str] = {}
    lines_of: dict[str, int] = {}
    notices: list[Notice] = []
    for number, raw in enumerate(lines[1:end], start=2):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = _KEY_VALUE.fullmatch(raw.strip())
        if not match:
            raise SeedError(source, number, f"front matter line {raw.strip()!r} is not 'key: value'")
        key, value = match.group(1).lower(), match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key not in _FRONT_KEYS:
            notices.append(
                Notice(
                    path=source,
                    line=number,
                    message=f"unknown front matter key {key!r} ignored (known: {', '.join(_FRONT_KEYS)})",
                )
            )
            continue
        values[key], lines_of[key] = value, number
    language = values.get("language") or None
    if language is not None and not _LANGUAGE_TAG.fullmatch(language):
        raise SeedError(
            source,
            lines_of["language"],
            f"language {language!r} is not a language tag (e.g. 'id', 'en', 'zh-Hant')",
        )
    front = FrontMatter(
        title=values.get("title") or None,
        date=values.get("date") or None,
        date_line=lines_of.get("date"),
        author=values.get("author") or None,
        link=values.get("link") or None,
        tags=_parse_tags(values.get("tags", "")),
        id=values.get("id") or None,
        language=language,
    )
    return front, "\n".join(lines[end + 1 :]), end + 2, tuple(notices)


def decode_seed(data: bytes, *, source: Path, max_bytes: int = 2_000_000) -> Seed:
    """Decode a seed's bytes: encoding, newlines, NFC, XML safety, front matter.

    Raises SeedError for an oversized, binary, empty or undecodable seed and
    for malformed front matter.
    """
    if len(data) > max_bytes:
        raise SeedError(
            source,
            None,
            f"is {len(data):,} bytes, over the {max_bytes:,}-byte limit (max_seed_bytes)",
        )
    text, encoding, notices = _decode_bytes(data, source)
    # Illegal characters go before NFC: removed after it, one could leave a
    # base letter and its combining mark side by side, uncomposed.
    text, removed = strip_xml_illegal(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = unicodedata.normalize("NFC", text)
    if removed:
        notices += (
            Notice(
                path=source,
                line=None,
                message=f"{removed} control character(s) that XML forbids were removed",
            ),
        )
    if not text.strip():
        raise SeedError(source, None, "is empty (no title line)")
    front, body, first_line, front_notices = _split_front_matter(text, source)
    if not body.strip() and front.title is None:
        raise SeedError(source, None, "has front matter but no article text")
    return Seed(
        source=source,
        text=body,
        first_line=first_line,
        front_matter=front,
        encoding=encoding,
        notices=notices + front_notices,
    )


def read_seed_bytes(path: Path, *, max_bytes: int = 2_000_000) -> tuple[bytes, os.stat_result]:
    """Read one seed file's bytes, with the stat of the file they were read from.

    The stat is taken on the open file before reading, so a seed written
    again during a build never looks unchanged to the next one. Raises
    SeedError when the file cannot be read or is over the size limit.
    """
    try:
        with path.open("rb") as fh:
            stat = os.fstat(fh.fileno())
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise SeedError(path, None, f"cannot be read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise SeedError(path, None, f"is over the {max_bytes:,}-byte limit (max_seed_bytes)")
    return data, stat


def read_seed(path: Path, *, max_bytes: int = 2_000_000) -> Seed:
    """Read and decode one seed file.

    Raises SeedError when the file cannot be read or decoded.
    """
    data, _stat = read_seed_bytes(path, max_bytes=max_bytes)
    return decode_seed(data, source=path, max_bytes=max_bytes)


class SeedPaths(dict[str, Path]):
    """The Path of each seed file of a folder by file name, made when first asked for.

    A rebuild needs the Paths of few seeds (those it parses, those it names
    in a message); making one for each of a hundred thousand costs more
    than the stat of each.
    """

    def __init__(self, seeds_dir: Path) -> None:
        super().__init__()
        self.seeds_dir = seeds_dir

    def __missing__(self, name: str) -> Path:
        path = self[name] = self.seeds_dir / name
        return path


def list_seeds(seeds_dir: Path) -> list[Path]:
    """Return the seed files of a folder, sorted by name (hidden files skipped)."""
    return [seeds_dir / name for name in list_seed_names(seeds_dir)]


def list_seed_names(seeds_dir: Path) -> list[str]:
    """Return the file names of ``list_seeds``, without making a Path of each."""
    # scandir knows each entry's type without a stat, and names sort faster
    # than paths: this runs on every build, over every seed.
    with os.scandir(seeds_dir) as entries:
        return sorted(
            e.name for e in entries if e.name.endswith(SEED_SUFFIX) and not e.name.startswith(".") and e.is_file()
        )
