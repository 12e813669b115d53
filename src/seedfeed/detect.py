"""Guess a seed's language from its text, offline and deterministically.

py3langid (a Naive Bayes model over byte n-grams, 4.6 MB, numpy only) ranks
the 140 languages it knows (scored by langmodel.py, which gives the same
scores faster); we keep only the languages that have a table, so that a
guess is always one the parser can use, and renormalise the scores over
them. The same text always gives the same answer: no sampling, no
random seed. It tells Chinese apart from Japanese but not simplified from
traditional, which a count of characters that exist in only one of the two
scripts settles.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import count
from typing import Any, Protocol, cast

from seedfeed.langquick import UnsureError, default_quick_model

# Below this many letters a guess is a coin toss: the feed's language stands in.
MIN_LETTERS = 24
# Below this share of the probability among the candidates, no guess is made.
MIN_CONFIDENCE = 0.80
# The detector's cost grows with the text: the title and lead (this many
# characters) are read first, the rest only when they leave it unsure, which
# happens mostly between Indonesian and Malay.
SAMPLE_CHARS = 600
MAX_CHARS = 2_400

# Characters written differently in the two Chinese scripts, common in news.
_TRADITIONAL = frozenset("這個國為說們來時會對與發動後經過還選舉學體區與關開軍總統議員義務醫實現無實聯網")
_SIMPLIFIED = frozenset("这个国为说们来时会对与发动后经过还选举学体区关开军总统议员义务医实现无实联网")
# MIN_LETTERS letters, anything between them: letters and the rest are
# disjoint classes, so a failing match gives up in one pass.
_ENOUGH_LETTERS = re.compile(rf"(?:[\W\d_]*[^\W\d_]){{{MIN_LETTERS}}}")
# How many texts a process scores without numpy (langquick) before loading
# it: numpy and its model cost about 0.1 s once, langquick about 5 ms a text.
QUICK_TEXTS = 16
_quick_texts = count()


class _Identifier(Protocol):
    def rank(self, text: str, *, among: Collection[str] | None = None) -> list[tuple[str, float]]: ...


class _Py3langidRanker:
    """py3langid's own scorer behind the interface of langmodel.LanguageModel."""

    def __init__(self, identifier: Any) -> None:
        self._identifier = identifier

    def rank(self, text: str, *, among: Collection[str] | None = None) -> list[tuple[str, float]]:
        ranked = cast(list[tuple[str, float]], self._identifier.rank(text))
        return ranked if among is None else [item for item in ranked if item[0] in among]


@dataclass(frozen=True, slots=True, kw_only=True)
class Detection:
    """A guessed language and how sure the guess is."""

    language: str  # a code of one of the candidate tables ("vi", "zh-Hant")
    confidence: float  # share of the probability among the candidates, 0..1


@cache
def _identifier() -> _Identifier:
    # Imported here: numpy and the model cost a seed without a language in
    # its front matter about 0.1 s, which no other seed should pay.
    from seedfeed.langmodel import default_model

    try:
        return default_model()
    except ValueError:
        # A py3langid whose automaton the fast path does not understand:
        # its own scorer gives the same answers, slower.
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        return _Py3langidRanker(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))


def preload() -> None:
    """Load the language model now, with numpy: this process will score many texts."""
    _identifier()


def _chinese_script(text: str) -> str:
    traditional = sum(1 for ch in text if ch in _TRADITIONAL)
    simplified = sum(1 for ch in text if ch in _SIMPLIFIED)
    return "zh-Hant" if traditional > simplified else "zh-Hans"


def detect_language(text: str, *, candidates: Collection[str]) -> Detection | None:
    """Return the most likely of the candidate languages, or None when unsure.

    ``candidates`` are language table codes; "zh" and "zh-Hant" (or
    "zh-Hans") both stand for the detector's Chinese. The title and lead
    usually settle it; only when they leave the detector unsure is the
    whole text read. Returns None for a text with too few letters or no
    candidate clearly ahead.
    """
    if len(text) > SAMPLE_CHARS:
        detection = _detect(text[:SAMPLE_CHARS], candidates)
        if detection is not None:
            return detection
    return _detect(text[:MAX_CHARS], candidates)


def _detect(text: str, candidates: Collection[str]) -> Detection | None:
    # The match stops at the threshold: a whole-text count costs as much as a guess.
    if _ENOUGH_LETTERS.match(text) is None:
        return None
    by_base = _by_base(tuple(candidates))
    try:
        decided = _decide_quickly(text, by_base)
    except UnsureError:
        decided = _decide(text, by_base)
    if decided is None:
        return None
    best, confidence = decided
    language = by_base[best]
    if best == "zh":
        script = _chinese_script(text)
        language = script if script in candidates or script == "zh-Hans" else language
    return Detection(language=language, confidence=confidence)


@cache
def _by_base(candidates: tuple[str, ...]) -> Mapping[str, str]:
    """Return the candidates by the detector's label ("zh" for "zh-Hant"), the first in sorted order for each."""
    by_base: dict[str, str] = {}
    for code in sorted(candidates):
        by_base.setdefault(code.split("-")[0].lower(), code)
    return by_base


def _decide(text: str, by_base: Mapping[str, str]) -> tuple[str, float] | None:
    """Return the best candidate label and its share of the candidates' probability, or None below MIN_CONFIDENCE."""
    scores = dict(_identifier().rank(text, among=by_base))
    total = sum(scores.values())
    if not scores or total <= 0:
        return None
    best, score = max(sorted(scores.items()), key=lambda item: item[1])
    confidence = score / total
    return (best, confidence) if confidence >= MIN_CONFIDENCE else None


def _decide_quickly(text: str, by_base: Mapping[str, str]) -> tuple[str, float] | None:
    """Return what _decide would, without numpy (langquick).

    Only while numpy is not imported (once it is, loading its model costs
    about as much as a few texts here, and each text is faster there) and
    for the first QUICK_TEXTS texts of a process. Raises UnsureError when
    it cannot tell, or is not to be used.
    """
    if "numpy" in sys.modules or next(_quick_texts) >= QUICK_TEXTS:
        raise UnsureError
    model = default_quick_model()
    if model is None:
        raise UnsureError
    return model.decide(text, by_base, MIN_CONFIDENCE)


# Encodings a legacy seed is tried in, most common first: among decodings that
# read equally well, the earlier wins (cp1252 over cp1254 for French).
LEGACY_ENCODINGS = (
    "cp1252", "cp1251", "cp1250", "koi8_r", "cp1254", "cp1256", "cp1253", "cp874",
    "gb18030", "big5", "shift_jis", "euc_kr", "cp1257", "cp1258", "euc_jp",
    "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_9",
)  # fmt: skip
# The code page each language's legacy texts are usually in; any other
# language's is cp1252. Among decodings that read equally well, one in the
# home code page of the language it reads as wins: Turkish is as readable
# in cp1252 ("Bankasý") as in cp1254 ("Bankası"), but only one is right.
HOME_ENCODINGS = {
    "tr": "cp1254", "az": "cp1254", "ru": "cp1251", "uk": "cp1251", "bg": "cp1251", "be": "cp1251",
    "sr": "cp1251", "mk": "cp1251", "ar": "cp1256", "fa": "cp1256", "ur": "cp1256", "el": "cp1253",
    "th": "cp874", "pl": "cp1250", "cs": "cp1250", "sk": "cp1250", "hu": "cp1250", "sl": "cp1250",
    "hr": "cp1250", "ro": "cp1250", "lt": "cp1257", "lv": "cp1257", "et": "cp1257", "vi": "cp1258",
    "zh": "gb18030", "ja": "shift_jis", "ko": "euc_kr",
}  # fmt: skip
_ODD_CATEGORIES = frozenset(("Cc", "Co", "Cn", "Cs", "So", "Sk", "Sm"))
_ODD_PENALTY = 0.05  # per character that text in a wrong encoding is full of
_TIE = 0.002


def _is_odd(prev: str, ch: str) -> bool:
    """Tell whether a character is one a right decoding rarely has and a wrong one often does.

    Symbols and unassigned code points; combining marks with nothing to
    combine with; and the Thai shapes a wrong decoding makes of Chinese or
    Cyrillic bytes (a leading vowel before a non-consonant, a following
    vowel after one, a Thai digit inside a word).
    """
    category, prev_category = unicodedata.category(ch), unicodedata.category(prev)
    if category in _ODD_CATEGORIES:
        return ch not in "\n\r\t"
    if category == "Mn":
        if not prev_category.startswith(("L", "M")):
            return True
        return prev_category == "Mn" and not "\u0e48" <= ch <= "\u0e4c"
    if "\u0e40" <= prev <= "\u0e44":
        return not "\u0e01" <= ch <= "\u0e2e"
    if ch in "\u0e30\u0e32\u0e33\u0e45":
        return not ("\u0e01" <= prev <= "\u0e2e" or prev_category == "Mn")
    return "\u0e50" <= ch <= "\u0e59" and "\u0e01" <= prev <= "\u0e4f"


def _odd_characters(text: str) -> int:
    return sum(1 for prev, ch in zip(" " + text, text, strict=False) if _is_odd(prev, ch))


def score_decoding(text: str) -> tuple[float, str]:
    """Return how much a decoded text reads like a language (about 0..1) and which language."""
    sample = text[:20_000]
    language, confidence = max(_identifier().rank(sample), key=lambda item: item[1])
    return confidence - _ODD_PENALTY * _odd_characters(sample), language


def guess_legacy_encoding(data: bytes) -> tuple[str, str] | None:
    """Return (text, encoding) for bytes that are not UTF-8, or None if no candidate decodes them.

    Each of LEGACY_ENCODINGS that decodes the bytes is scored by how much the
    result reads like a language (the detector's confidence, less odd
    characters); among the best, one in the home code page of the language
    it reads as wins, then the most common. charset-normalizer, tried first,
    took short French for Central European and Cyrillic for Japanese.
    """
    scored: list[tuple[float, str, int, str, str]] = []
    for rank, encoding in enumerate(LEGACY_ENCODINGS):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score, language = score_decoding(text)
        scored.append((score, language, rank, encoding, text))
    if not scored:
        return None
    best = max(s[0] for s in scored)
    near = [s for s in scored if s[0] >= best - _TIE]

    def preference(item: tuple[float, str, int, str, str]) -> tuple[bool, int]:
        _, language, rank, encoding, _ = item
        return HOME_ENCODINGS.get(language, "cp1252") != encoding, rank

    _, _, _, encoding, text = min(near, key=preference)
    return text, encoding
