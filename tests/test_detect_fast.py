"""The fast language model gives py3langid's answers, and its cache survives damage.

langmodel.py re-derives py3langid's model in a form numpy scores quickly;
these tests hold it to py3langid's own ``rank`` on real seed text and on
generated text, float for float, and check that a missing, corrupt or
unwritable cache only costs time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedfeed import detect, langmodel
from seedfeed.detect import MAX_CHARS, SAMPLE_CHARS, detect_language
from seedfeed.errors import SeedError
from seedfeed.languages import COMMON
from seedfeed.seeds import decode_seed

TESTS = Path(__file__).parent
SEED_FILES = sorted((TESTS / "data" / "corpus").glob("*/*.txt")) + sorted((TESTS / "seeds").glob("*/*.txt"))
CANDIDATES = sorted(p.stem for p in (TESTS.parent / "src" / "seedfeed" / "languages" / "data").glob("*.toml"))
CANDIDATES = [code for code in CANDIDATES if code != COMMON]


@pytest.fixture(scope="module")
def reference() -> Any:
    """py3langid's own scorer, as detect.py used it before the fast model."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@pytest.fixture(scope="module")
def model() -> langmodel.LanguageModel:
    """The fast model from the session's cache folder (derived there once)."""
    return langmodel.default_model()


def _seed_texts() -> Iterator[str]:
    for path in SEED_FILES:
        try:
            text = decode_seed(path.read_bytes(), source=path).text
        except SeedError:
            continue  # bad seeds are tested elsewhere; only readable text matters here
        yield text


def _visit_counts(reference: Any, data: bytes) -> Counter[int]:
    from py3langid.langid import visit_counts

    return visit_counts(reference.tk_nextmove, reference._rowbase, reference.tk_output, data) or Counter()


def test_langmodel_ranks_real_seeds_exactly_as_py3langid(reference: Any, model: langmodel.LanguageModel) -> None:
    texts = list(_seed_texts())
    assert len(texts) > 30
    for text in texts:
        for sample in (text[:SAMPLE_CHARS], text[:MAX_CHARS], text, text.upper()):
            assert model.rank(sample) == reference.rank(sample)


def test_langmodel_counts_the_features_py3langid_counts(reference: Any, model: langmodel.LanguageModel) -> None:
    for text in _seed_texts():
        data = text.encode("utf-8")
        features, counts = model.feature_counts(data)
        expected = _visit_counts(reference, data)
        # Same features, same counts, same order: the order fixes how BLAS sums the rows.
        assert features.tolist() == list(expected)
        assert counts.tolist() == [float(c) for c in expected.values()]


def test_langmodel_counts_a_longer_text_after_its_start_as_py3langid(
    reference: Any, model: langmodel.LanguageModel
) -> None:
    # detect.py reads a text's start, then more of it: what was found for the start is reused.
    for text in _seed_texts():
        for data in (
            text[:SAMPLE_CHARS].encode(),
            text[:MAX_CHARS].encode(),
            text[:50].encode(),
            text[:MAX_CHARS].encode(),
        ):
            features, counts = model.feature_counts(data)
            expected = _visit_counts(reference, data)
            assert features.tolist() == list(expected)
            assert counts.tolist() == [float(c) for c in expected.values()]


MIXED = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from("aeiou nstrlk,.'\"\n\x00ÿ日本語中文한국어ไทยрусскийعربيहिन्दीTiếng Việt"),
    ),
    max_size=400,
)


@settings(max_examples=150)
@given(MIXED)
def test_langmodel_ranks_any_text_exactly_as_py3langid(
    reference: Any, model: langmodel.LanguageModel, text: str
) -> None:
    ranked = reference.rank(text)
    assert model.rank(text) == ranked
    among = {"id", "ms", "en", "zh", "sr", "uz", "vi"}
    assert model.rank(text, among=among) == [item for item in ranked if item[0] in among]
    data = text.encode("utf-8", errors="surrogatepass")
    features, _ = model.feature_counts(data)
    assert features.tolist() == list(_visit_counts(reference, data))


def test_detect_language_answers_as_with_py3langid(reference: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = list(_seed_texts())
    fast = [detect_language(text, candidates=CANDIDATES) for text in texts]
    monkeypatch.setattr(detect, "_identifier", lambda: detect._Py3langidRanker(reference))
    slow = [detect_language(text, candidates=CANDIDATES) for text in texts]
    assert sum(found is not None for found in fast) > 20
    for got, expected in zip(fast, slow, strict=True):
        if expected is None:
            assert got is None
        else:
            assert got is not None
            assert got.language == expected.language
            assert got.confidence == pytest.approx(expected.confidence, abs=1e-9)


@pytest.fixture
def derived(model: langmodel.LanguageModel, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Derive from py3langid by handing back the session's model, counting how often it is asked for."""
    calls: list[int] = []

    def read_py3langid_model() -> langmodel.LanguageModel:
        calls.append(1)
        return model

    monkeypatch.setattr(langmodel, "read_py3langid_model", read_py3langid_model)
    return calls


SAMPLE = "Presiden Joko Widodo meresmikan jalan tol baru di Jawa Tengah pada Rabu, 18 Oktober."


def test_load_model_writes_the_cache_and_reads_it_back(tmp_path: Path, model: Any, derived: list[int]) -> None:
    first = langmodel.load_model(tmp_path)
    assert len(derived) == 1
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".npy", ".npz"]
    again = langmodel.load_model(tmp_path)
    assert len(derived) == 1  # read from the cache, not derived again
    assert again.rank(SAMPLE) == first.rank(SAMPLE) == model.rank(SAMPLE)
    assert again.rank(SAMPLE)[0][0] == "id"


@pytest.mark.parametrize("damage", ["garbage_index", "truncated_weights", "missing_weights", "wrong_shape"])
def test_load_model_rebuilds_a_corrupt_cache(tmp_path: Path, model: Any, derived: list[int], damage: str) -> None:
    langmodel.load_model(tmp_path)
    index = next(tmp_path.glob("*.npz"))
    weights = next(tmp_path.glob("*.npy"))
    if damage == "garbage_index":
        index.write_bytes(b"not a zip file at all")
    elif damage == "truncated_weights":
        weights.write_bytes(weights.read_bytes()[:100_000])
    elif damage == "missing_weights":
        weights.unlink()
    else:
        import numpy as np

        np.save(weights, np.zeros((3, 3), dtype=np.float32))
    rebuilt = langmodel.load_model(tmp_path)
    assert len(derived) == 2
    assert rebuilt.rank(SAMPLE) == model.rank(SAMPLE)
    # The rebuilt cache is whole again: the next load reads it.
    assert langmodel.load_model(tmp_path).rank(SAMPLE) == model.rank(SAMPLE)
    assert len(derived) == 2


def test_load_model_works_when_the_cache_cannot_be_written(tmp_path: Path, model: Any, derived: list[int]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    loaded = langmodel.load_model(blocker / "cache")
    assert loaded.rank(SAMPLE) == model.rank(SAMPLE)
    assert blocker.read_text(encoding="utf-8") == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDFEED_CACHE_DIR", str(tmp_path / "explicit"))
    assert langmodel.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("SEEDFEED_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert langmodel.cache_dir() == tmp_path / "xdg" / "seedfeed"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert langmodel.cache_dir() == tmp_path / "home" / ".cache" / "seedfeed"


def test_session_cache_is_not_the_users(
    model: langmodel.LanguageModel, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The whole suite derives into a folder of its own (conftest), never into the home cache.
    folder = langmodel.cache_dir()
    assert folder.is_relative_to(tmp_path_factory.getbasetemp())
    assert list(folder.glob("*.npz"))


@pytest.fixture(scope="module")
def py3langid_parts() -> tuple[Any, ...]:
    """py3langid's model as its own loader returns it: (ptc, pc, classes, nextmove, row, output)."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE
    from py3langid.modelio import load_model

    return tuple(load_model(MODEL_DIR / MODEL_FILE))


def test_derive_model_refuses_an_automaton_that_skips_a_longer_suffix(py3langid_parts: tuple[Any, ...]) -> None:
    import numpy as np

    ptc, pc, classes, nextmove, row, output = py3langid_parts
    moves = np.array(nextmove)
    # State 500 on "a" now falls back to the root, forgetting what it had read.
    moves[int(row[500]) * 256 + ord("a")] = 0
    with pytest.raises(ValueError, match="longest known suffix"):
        langmodel.derive_model(ptc, pc, classes, moves, row, output)


def test_derive_model_refuses_a_state_that_forgets_its_feature(py3langid_parts: tuple[Any, ...]) -> None:
    ptc, pc, classes, nextmove, row, output = py3langid_parts
    owners: dict[int, int] = {}
    for state, feature in enumerate(output):
        if feature >= 0 and owners.setdefault(feature, state) != state:
            break  # a state that outputs a feature some shorter state owns
    changed = list(output)
    changed[state] = -1
    with pytest.raises(ValueError, match="longest feature suffix"):
        langmodel.derive_model(ptc, pc, classes, nextmove, row, changed)


def test_detect_language_falls_back_to_py3langid(monkeypatch: pytest.MonkeyPatch) -> None:
    text = next(t for t in _seed_texts() if len(t) > 400)
    expected = detect_language(text, candidates=CANDIDATES)

    def refuse() -> langmodel.LanguageModel:
        raise ValueError("language model: not understood")

    monkeypatch.setattr(langmodel, "default_model", refuse)
    detect._identifier.cache_clear()
    try:
        assert isinstance(detect._identifier(), detect._Py3langidRanker)
        assert detect_language(text, candidates=CANDIDATES) == expected
    finally:
        detect._identifier.cache_clear()
    assert expected is not None
