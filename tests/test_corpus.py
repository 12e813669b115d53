"""The multilingual corpus: real seed text in, parsed fields out.

Each ``tests/data/corpus/<language>/<case>.txt`` is a scraped article; the
``<case>.json`` beside it holds the fields a reader must see. The seeds carry
no front matter, so the language is detected, as it would be in a build.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import FEED_TOML, A, check_atom
from seedfeed.article import parse_article
from seedfeed.build import build
from seedfeed.config import FeedConfig, parse_config
from seedfeed.detect import detect_language
from seedfeed.languages import COMMON
from seedfeed.seeds import decode_seed

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CORPUS = Path(__file__).parent / "data" / "corpus"
CASES = sorted(CORPUS.glob("*/*.txt"))
# When every corpus seed first arrived: a date whose year nothing in the text
# tells takes the latest year not after it.
FIRST_SEEN = datetime(2024, 12, 31, 12, tzinfo=UTC)
CONFIG: FeedConfig = parse_config(
    {
        "title": "World desk",
        "base_url": "https://news.example.org/",
        "author": "World desk",
        "language": "id",
        "time_zone": "+07:00",
        "id_authority": "news.example.org",
        "id_date": "2023",
    },
    Path("feed.toml"),
)


def _expected(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_corpus_seed_gives_expected_fields(path: Path) -> None:
    expected = _expected(path)
    seed = decode_seed(path.read_bytes(), source=path)
    article = parse_article(seed, CONFIG, first_seen=FIRST_SEEN)

    assert article.title == expected["title"]
    assert article.author == expected["author"]
    assert list(article.sources) == expected["sources"]
    assert article.language == expected["language"]
    assert article.language_source == "detected"
    if expected["date"] is None:
        assert article.date is None
        assert any("no date found" in n.message for n in article.notices)
    else:
        assert article.date is not None
        local = article.date.value.astimezone(CONFIG.time_zone)
        assert local.date().isoformat() == expected["date"]
        assert (local.hour, local.minute) == (0, 0)
        assert article.date.provenance == expected["date_source"]
    caption_credits = [c.credit for c in article.captions]
    assert caption_credits == [expected["caption_credit"]]
    for text in (article.title, *article.paragraphs, *(c.text for c in article.captions)):
        # Scraping artifacts repaired in every script: no space before closing marks.
        assert not re.search(r"\s[,.)](?:\s|$)|\s[。，、！？।،؟]", text), text
    seen = "\n".join((article.title, *article.paragraphs, *(c.text for c in article.captions)))
    for leftover in expected["absent"]:
        assert leftover not in seen


def test_corpus_has_three_seeds_per_language() -> None:
    languages = {p.parent.name for p in CASES}
    assert len(languages) >= 20
    for language in languages:
        assert len(list((CORPUS / language).glob("*.txt"))) >= 3, language


def test_corpus_builds_one_valid_feed_with_each_entry_in_its_language(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    # One complete feed (RFC 5005 §2) rather than archive pages: all 60 in one document.
    (folder / "feed.toml").write_text(FEED_TOML + "complete = true\n", encoding="utf-8")
    for path in CASES:
        shutil.copy(path, folder / f"{path.parent.name}-{path.name}")
    report = build(folder, tmp_path / "public", now=FIRST_SEEN)
    assert report.rejected == ()
    root = check_atom((tmp_path / "public" / "feed.atom").read_bytes())
    assert root.get(XML_LANG) == "id"
    languages = {}
    for entry in root.findall(f"{A}entry"):
        link = entry.find(f"{A}link")
        assert link is not None
        stem = link.get("href", "").rsplit("/", 1)[-1].removesuffix(".html")
        languages[stem.split("-", 1)[0] if not stem.startswith("zh-") else stem[:7]] = entry.get(XML_LANG)
    assert len(root.findall(f"{A}entry")) == len(CASES)
    # An entry in the feed's language inherits it; every other one says its own.
    assert languages.pop("id") is None
    assert languages == {code: code for code in languages}
    assert len(languages) == 19


def test_detection_is_right_or_unsure_on_every_corpus_paragraph() -> None:
    # The figures docs/languages.md states: every seed right; single paragraphs
    # of 60+ characters at least 90 % right, and never a wrong language (an
    # unsure guess falls back to the feed's language, a wrong one would not).
    candidates = [code for code in CONFIG.languages if code != COMMON]
    right = unsure = 0
    for path in CASES:
        text = path.read_text(encoding="utf-8")
        found = detect_language(text, candidates=candidates)
        assert found is not None
        assert found.language == path.parent.name
        for paragraph in (p for p in text.split("\n") if len(p) >= 60):
            guess = detect_language(paragraph, candidates=candidates)
            if guess is None:
                unsure += 1
            else:
                assert guess.language == path.parent.name, paragraph
                right += 1
    assert right / (right + unsure) >= 0.9


def test_docs_describe_every_shipped_language() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "languages.md").read_text(encoding="utf-8")
    for code, table in CONFIG.languages.items():
        if code != COMMON:
            assert f"| `{code}` | {table.name} |" in doc, code
