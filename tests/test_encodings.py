"""Encodings: the same article, whatever bytes it arrives in; damaged bytes are rejected clearly."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import pytest

from seedfeed.article import parse_article
from seedfeed.config import parse_config
from seedfeed.errors import SeedError
from seedfeed.model import Article
from seedfeed.seeds import decode_seed
from test_corpus import CONFIG, CORPUS

# The legacy code page each language's older sites used.
LEGACY = {
    "id": "cp1252", "ms": "cp1252", "en": "cp1252", "fr": "cp1252", "es": "cp1252", "pt": "cp1252",
    "it": "cp1252", "de": "cp1252", "nl": "cp1252", "ru": "cp1251", "uk": "cp1251", "tr": "cp1254",
    "ar": "cp1256", "th": "cp874", "zh-Hans": "gb18030", "zh-Hant": "big5", "ja": "shift_jis", "ko": "euc_kr",
}  # fmt: skip
# Equal under any decoding: the same text, the same parse.
UNICODE_FORMS = {
    "utf-8-sig": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    "utf-16-le-bom": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
    "utf-16-be-bom": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
    "utf-32-bom": lambda t: t.encode("utf-32"),
    "crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    "cr": lambda t: t.replace("\n", "\r").encode("utf-8"),
}


def _legacy_cases() -> list[tuple[Path, str]]:
    cases = []
    for language, encoding in sorted(LEGACY.items()):
        for path in sorted((CORPUS / language).glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            try:
                text.encode(encoding)
            except UnicodeEncodeError:
                continue
            if text.isascii():  # the same bytes in every encoding: nothing to detect
                continue
            cases.append((path, encoding))
            break
    return cases


LEGACY_CASES = _legacy_cases()
SOME = [sorted((CORPUS / lang).glob("*.txt"))[0] for lang in ("id", "vi", "ar", "th", "zh-Hant", "hi")]


BOM_SAYS = "despite its byte order mark"


def _fields(article: Article) -> tuple[object, ...]:
    return (article.title, article.paragraphs, article.captions, article.byline, article.language, article.date)


def _parse(data: bytes, path: Path) -> Article:
    return parse_article(decode_seed(data, source=path), CONFIG)


def test_legacy_cases_cover_most_languages() -> None:
    assert len({p.parent.name for p, _ in LEGACY_CASES}) >= 15


@pytest.mark.parametrize(("path", "encoding"), LEGACY_CASES, ids=[f"{p.parent.name}-{e}" for p, e in LEGACY_CASES])
def test_legacy_encoding_is_detected_with_a_notice(path: Path, encoding: str) -> None:
    text = path.read_text(encoding="utf-8")
    seed = decode_seed(text.encode(encoding), source=path)
    assert seed.text == text
    assert codecs.lookup(seed.encoding).name == codecs.lookup(encoding).name
    notice = f"not UTF-8; decoded as {seed.encoding} (a guess: re-save it as UTF-8)"
    assert [n.message for n in seed.notices] == [notice]
    assert _fields(_parse(text.encode(encoding), path)) == _fields(_parse(text.encode("utf-8"), path))


@pytest.mark.parametrize("form", sorted(UNICODE_FORMS))
@pytest.mark.parametrize("path", SOME, ids=[p.parent.name for p in SOME])
def test_unicode_forms_give_the_same_article(path: Path, form: str) -> None:
    text = path.read_text(encoding="utf-8")
    seed = decode_seed(UNICODE_FORMS[form](text), source=path)
    assert seed.notices == ()
    assert _fields(_parse(UNICODE_FORMS[form](text), path)) == _fields(_parse(text.encode("utf-8"), path))


def test_nfd_text_is_normalised_to_nfc() -> None:
    path = CORPUS / "vi" / "vi_ngay_thang.txt"
    text = path.read_text(encoding="utf-8")
    decomposed = unicodedata.normalize("NFD", text).encode("utf-8")
    assert _fields(_parse(decomposed, path)) == _fields(_parse(text.encode("utf-8"), path))


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "is empty (no title line)"),
        (b"\n \t\r\n\xc2\xa0\n", "is empty (no title line)"),
        (codecs.BOM_UTF8, "is empty (no title line)"),
        (codecs.BOM_UTF16_LE + "\n\n".encode("utf-16-le"), "is empty (no title line)"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "is a binary file (it contains NUL bytes), not a text seed"),
        (codecs.BOM_UTF16_LE + b"T\x00i\x00\x00\xd8", f"is not valid UTF-16 {BOM_SAYS}: unexpected end of data"),
        (
            codecs.BOM_UTF16_LE + "\x01\x02\x03\x04\x05\x06\x07\x08".encode("utf-16-le") * 8,
            "is a binary file (mostly control characters), not a text seed",
        ),
    ],
    ids=["empty", "whitespace", "bom_only", "utf16_blank", "elf", "utf16_truncated", "utf16_controls"],
)
def test_unusable_bytes_are_rejected_naming_the_file(data: bytes, problem: str) -> None:
    path = Path("seeds/broken.txt")
    with pytest.raises(SeedError) as info:
        decode_seed(data, source=path)
    assert info.value.path == path
    assert info.value.problem == problem
    assert str(info.value) == f"{path}: {problem}"


def test_oversize_seed_is_rejected_before_decoding() -> None:
    config = parse_config({**_config_data(), "max_seed_bytes": 1000}, Path("feed.toml"))
    path = Path("seeds/big.txt")
    with pytest.raises(SeedError) as info:
        decode_seed(b"Title\n" + b"x" * 2000, source=path, max_bytes=config.max_seed_bytes)
    assert info.value.problem == "is 2,006 bytes, over the 1,000-byte limit (max_seed_bytes)"


def _config_data() -> dict[str, object]:
    return {
        "title": "T", "base_url": "https://news.example.org/", "author": "A", "language": "id",
        "time_zone": "+07:00", "id_authority": "news.example.org", "id_date": "2023",
    }  # fmt: skip


def test_utf8_with_stray_cp1252_bytes_keeps_the_utf8_text() -> None:
    path = CORPUS / "vi" / "vi_ngay_thang.txt"
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    # A scraper pasted a Windows-1252 "café" into line 3 of a UTF-8 file.
    data = "\n".join(lines[:2]).encode("utf-8") + "\nQuán cà phê café ".encode("cp1252") + "\n".join(lines[2:]).encode()
    seed = decode_seed(data, source=path)
    assert seed.text.split("\n")[:2] == lines[:2]
    assert seed.text.split("\n")[2].startswith("Quán cà phê café")
    assert seed.encoding == "utf-8"
    assert [(n.line, n.message) for n in seed.notices] == [
        (3, "not valid UTF-8: 4 stray byte(s) decoded as cp1252 (re-save it as UTF-8)")
    ]
