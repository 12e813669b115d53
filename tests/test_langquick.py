"""Scoring without numpy (langquick) decides as numpy's scores do, or says it cannot tell.

A process that detects one or two languages (a rebuild after one new seed)
reads the derived model's cache without numpy. Its sums are in double
precision, so these tests hold its feature counts to langmodel's exactly and
its decisions (best language, confident or not) to detect's with numpy, on
real seed text, single paragraphs and generated text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

from seedfeed import detect, langmodel, langquick
from seedfeed.detect import MAX_CHARS, MIN_CONFIDENCE, SAMPLE_CHARS
from test_detect_fast import MIXED

TESTS = Path(__file__).parent
SEED_FILES = sorted((TESTS / "data" / "corpus").glob("*/*.txt")) + sorted((TESTS / "seeds" / "ok").glob("*.txt"))
CANDIDATE_SETS = (
    sorted(p.stem for p in (TESTS.parent / "src" / "seedfeed" / "languages" / "data").glob("[!_]*.toml")),
    ["en", "id", "ms"],
    ["ja", "zh", "zh-Hant"],
)


@pytest.fixture(scope="module")
def model() -> langmodel.LanguageModel:
    """numpy's model from the session's cache folder (derived there once)."""
    return langmodel.default_model()


@pytest.fixture(scope="module")
def quick(model: langmodel.LanguageModel) -> langquick.QuickModel:
    """The same cache read without numpy."""
    return langquick.read_quick_model(langmodel.cache_dir())


def _texts() -> list[str]:
    texts: list[str] = []
    for path in SEED_FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        texts += [text[:SAMPLE_CHARS], text[:MAX_CHARS], text[:300].upper()]
        texts += [line for line in text.split("\n") if len(line) >= 40]
    return texts


def _by_base(candidates: list[str]) -> dict[str, str]:
    by_base: dict[str, str] = {}
    for code in sorted(candidates):
        by_base.setdefault(code.split("-")[0].lower(), code)
    return by_base


def test_quick_model_counts_the_features_langmodel_counts(
    model: langmodel.LanguageModel, quick: langquick.QuickModel
) -> None:
    for text in _texts():
        data = text.encode("utf-8", errors="surrogatepass")
        features, counts = model.feature_counts(data)
        expected: dict[int, int] = {}
        for row, count in zip(features.tolist(), counts.tolist(), strict=True):
            expected[row] = expected.get(row, 0) + int(count)
        assert list(quick.feature_counts(data).items()) == list(expected.items())


def test_quick_model_decides_as_numpy_or_says_it_cannot_tell(quick: langquick.QuickModel) -> None:
    decided = unsure = 0
    for candidates in CANDIDATE_SETS:
        by_base = _by_base(candidates)
        for text in _texts():
            expected = detect._decide(text, by_base)
            try:
                got = quick.decide(text, by_base, MIN_CONFIDENCE)
            except langquick.UnsureError:
                unsure += 1
                continue
            decided += 1
            if expected is None:
                assert got is None, text
            else:
                assert got is not None, text
                assert got[0] == expected[0], text
                assert got[1] == pytest.approx(expected[1], abs=1e-4)
    # It must decide most texts itself to be worth having.
    assert unsure < 0.1 * (decided + unsure)


@settings(max_examples=150)
@given(MIXED)
def test_quick_model_decides_any_text_as_numpy(
    model: langmodel.LanguageModel, quick: langquick.QuickModel, text: str
) -> None:
    data = text.encode("utf-8", errors="surrogatepass")
    features, _ = model.feature_counts(data)
    assert list(quick.feature_counts(data)) == list(dict.fromkeys(features.tolist()))
    for candidates in CANDIDATE_SETS:
        by_base = _by_base(candidates)
        try:
            got = quick.decide(text, by_base, MIN_CONFIDENCE)
        except langquick.UnsureError:
            continue
        expected = detect._decide(text, by_base)
        assert (got is None) == (expected is None)
        if got is not None and expected is not None:
            assert got[0] == expected[0]


def test_read_quick_model_refuses_a_missing_or_damaged_cache(tmp_path: Path, model: langmodel.LanguageModel) -> None:
    with pytest.raises(FileNotFoundError):
        langquick.read_quick_model(tmp_path)
    source = langmodel.cache_dir()
    for path in source.glob("*.np?"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    assert langquick.read_quick_model(tmp_path).labels == model.labels
    weights = next(tmp_path.glob("*-weights.npy"))
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ValueError, match="weights"):
        langquick.read_quick_model(tmp_path)


def test_quick_model_finds_the_cache_langmodel_writes(model: langmodel.LanguageModel) -> None:
    index, weights = langmodel._cache_paths(langmodel.cache_dir())
    assert index.name == f"{langquick._model_key()}.npz"
    assert weights.exists()


def test_a_process_detecting_one_seed_does_not_import_numpy(model: langmodel.LanguageModel) -> None:
    # The session's cache holds the derived model; a fresh process reads it without numpy.
    code = (
        "import sys; from seedfeed.detect import detect_language; "
        "found = detect_language(sys.stdin.read(), candidates=['id', 'en', 'vi']); "
        "print(found.language if found else None, 'numpy' in sys.modules)"
    )
    text = (TESTS.parent / "seeds" / "000_e462c374ae22f41e.txt").read_text(encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env, check=True
    )
    found = detect.detect_language(text, candidates=["id", "en", "vi"])
    assert found is not None
    assert result.stdout.split() == [found.language, "False"]
