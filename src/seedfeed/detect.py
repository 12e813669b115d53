"""Guess a seed's language from its text, offline and deterministically.

py3langid (a Naive Bayes model over byte n-grams, 4.6 MB, numpy only) ranks
the 97 languages it knows; we keep only the languages that have a table, so
that a guess is always one the parser can use, and renormalise the scores
over them. The same text always gives the same answer: no sampling, no
random seed. It tells Chinese apart from Japanese but not simplified from
traditional, which a count of characters that exist in only one of the two
scripts settles.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from typing import Protocol, cast

# Below this many letters a guess is a coin toss: the feed's language stands in.
MIN_LETTERS = 24
# Below this share of the probability among the candidates, no guess is made.
MIN_CONFIDENCE = 0.80

# Characters written differently in the two Chinese scripts, common in news.
_TRADITIONAL = frozenset("這個國為說們來時會對與發動後經過還選舉學體區與關開軍總統議員義務醫實現無實聯網")
_SIMPLIFIED = frozenset("这个国为说们来时会对与发动后经过还选举学体区关开军总统议员义务医实现无实联网")
_LETTER = re.compile(r"[^\W\d_]")


class _Identifier(Protocol):
    def rank(self, text: str) -> list[tuple[str, float]]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Detection:
    """A guessed language and how sure the guess is."""

    language: str  # a code of one of the candidate tables ("vi", "zh-Hant")
    confidence: float  # share of the probability among the candidates, 0..1


@cache
def _identifier() -> _Identifier:
    # Imported here: loading the model takes about a second, which only a
    # seed without a language in its front matter should pay.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return cast(_Identifier, LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))


def _chinese_script(text: str) -> str:
    traditional = sum(1 for ch in text if ch in _TRADITIONAL)
    simplified = sum(1 for ch in text if ch in _SIMPLIFIED)
    return "zh-Hant" if traditional > simplified else "zh-Hans"


def detect_language(text: str, *, candidates: Collection[str]) -> Detection | None:
    """Return the most likely of the candidate languages, or None when unsure.

    ``candidates`` are language table codes; "zh" and "zh-Hant" (or
    "zh-Hans") both stand for the detector's Chinese. Returns None for a
    text with too few letters or no candidate clearly ahead.
    """
    if len(_LETTER.findall(text[:20_000])) < MIN_LETTERS:
        return None
    by_base: dict[str, str] = {}
    for code in sorted(candidates):
        by_base.setdefault(code.split("-")[0].lower(), code)
    scores = {lang: score for lang, score in _identifier().rank(text[:20_000]) if lang in by_base}
    total = sum(scores.values())
    if not scores or total <= 0:
        return None
    best, score = max(sorted(scores.items()), key=lambda item: item[1])
    confidence = score / total
    if confidence < MIN_CONFIDENCE:
        return None
    language = by_base[best]
    if best == "zh":
        script = _chinese_script(text)
        language = script if script in candidates or script == "zh-Hans" else language
    return Detection(language=language, confidence=confidence)
