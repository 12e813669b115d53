"""py3langid's language model in a form that scores a text in a few numpy calls.

py3langid scores a text with a Naive Bayes model over byte n-grams. It
finds the n-grams by walking an Aho-Corasick automaton over the UTF-8
bytes in a Python loop (about 0.1 µs a byte), weighs them with a float16
matrix that numpy converts to float32 on every call (most of its time),
and unpacks its 4.6 MB LZMA model in about half a second per process.

Here the same model gives the same scores, bit for bit, faster:

- Features as strings. Each automaton state outputs the longest feature
  that is a suffix of the state's string (checked when the model is
  derived), and the state after a byte is the longest suffix of the text
  so far that the automaton knows; so the feature counted at each byte is
  the longest feature ending there. Each feature's bytes are recovered
  once from the automaton (a breadth-first walk gives each state's string),
  and a text's features are found by looking up every 2..6-byte window
  ending at each byte in a cuckoo hash table, all windows at once.
- Weights as float32, so the per-text conversion is gone. The rows are
  gathered in the order py3langid meets the features (first occurrence),
  so that the same BLAS call sums them in the same order and the scores are
  identical, not merely close.
- The derived model is cached per user (``SEEDFEED_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/seedfeed``, else ``~/.cache/seedfeed``), keyed by
  py3langid's version and its model file's size and modification time; the
  weight matrix is memory-mapped, so a process that scores one text reads
  only the rows it needs. A cache that is missing, unreadable or corrupt is
  rebuilt; one that cannot be written is skipped: detection still works.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

# The cache's folder and format are langquick's too, which reads it without numpy.
from seedfeed.langquick import CACHE_ENV as CACHE_ENV
from seedfeed.langquick import FORMAT as FORMAT
from seedfeed.langquick import cache_dir as cache_dir

if TYPE_CHECKING:
    from numpy.typing import NDArray

# Windows are read 8 bytes at a time (one uint64) and a key must leave
# room for an impossible one, so features may be at most 7 bytes long;
# py3langid's are 2 to 6.
_MAX_FEATURE_BYTES = 7
# Before the text: a byte that UTF-8 never contains, so a window reaching
# before the first byte matches no feature (checked when deriving).
_PAD = 0xFF
# Multipliers for the two hash functions, tried in order until every
# feature finds a slot (odd 64-bit constants; any fixed ones would do).
_MULTIPLIERS = (
    (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F),
    (0x165667B19E3779F9, 0xD6E8FEB86659FD93),
    (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53),
    (0x94D049BB133111EB, 0xBF58476D1CE4E5B9),
)
_U64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True, eq=False)
class LanguageModel:
    """py3langid's model with its features as byte strings in a hash table."""

    classes: tuple[str, ...]  # one per weight column; a label may repeat (script aliases)
    prior: NDArray[np.float32]  # log prior per column (py3langid's nb_pc)
    weights: NDArray[np.float32]  # features x columns (py3langid's nb_ptc, widened)
    # Two cuckoo hash tables of 2**bits slots. A feature's key is its bytes
    # as a big-endian integer; multiplied by the table's multiplier, the top
    # bits give its slot and the rest are kept with 1 + its number below them
    # (the multiplication is invertible, so slot and rest identify the key).
    tables: NDArray[np.uint64]  # shape (2, 2**bits)
    features: NDArray[np.intp]  # a feature's row in weights, by its number (shortest features first)
    multipliers: tuple[int, int]
    bits: int
    lengths: tuple[int, ...]  # feature lengths in bytes, longest first
    # Worked out once from the above rather than for every text.
    masks: NDArray[np.uint64] = field(init=False, repr=False)  # per length, its low bytes of a window
    labels: tuple[str, ...] = field(init=False, repr=False)  # distinct labels, in column order
    label_columns: tuple[int, ...] = field(init=False, repr=False)  # each label's first column
    aliases: tuple[tuple[int, int], ...] = field(init=False, repr=False)  # (first column, later column) of a label
    # The labels and columns rank() keeps for each ``among`` it was given: the same few every time.
    kept: dict[tuple[str, ...], tuple[tuple[str, ...], list[int]]] = field(init=False, repr=False)
    # The bytes feature_counts was last given and what _longest found in them.
    last_counted: tuple[bytes, NDArray[np.uint64]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        first: dict[str, int] = {}
        aliases = []
        for column, label in enumerate(self.classes):
            kept = first.setdefault(label, column)
            if kept != column:
                aliases.append((kept, column))
        masks = np.array([(1 << (8 * n)) - 1 for n in self.lengths], dtype=np.uint64)[:, np.newaxis]
        object.__setattr__(self, "masks", masks)
        object.__setattr__(self, "labels", tuple(first))
        object.__setattr__(self, "label_columns", tuple(first.values()))
        object.__setattr__(self, "aliases", tuple(aliases))
        object.__setattr__(self, "kept", {})
        object.__setattr__(self, "last_counted", (b"", np.empty(0, dtype=np.uint64)))

    def feature_counts(self, data: bytes) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
        """Return the features counted in UTF-8 bytes and their counts, in order of first occurrence.

        These are the features and counts py3langid's automaton finds, in
        the order its Counter holds them: at each byte, the longest feature
        that ends there.
        """
        # detect.py reads a text's first 600 characters, then, when unsure,
        # its first 2,400: the longest feature ending at a byte depends only
        # on the bytes up to it, so what was found for a shorter start stands.
        previous, found_before = self.last_counted
        skip = len(previous) if len(data) > len(previous) > 0 and data.startswith(previous) else 0
        longest = self._longest(data, skip)
        if skip:
            longest = np.concatenate((found_before, longest))
        object.__setattr__(self, "last_counted", (data, longest))
        limit = np.uint64(1 << self.bits)
        numbers = (longest[longest != 0] - (limit + np.uint64(1))).view(np.int64)
        if numbers.size == 0:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float32)
        # Sorted by number then position: each run is one feature, its first
        # element the feature's first occurrence.
        by_number = np.sort((numbers << 32) | np.arange(numbers.size))
        number = by_number >> 32
        bounds = np.flatnonzero(np.concatenate(([True], number[1:] != number[:-1], [True])))
        starts = bounds[:-1]
        order = np.argsort(by_number[starts] & 0xFFFF_FFFF)
        return self.features[number[starts][order]], (bounds[1:] - starts)[order].astype(np.float32)

    def _longest(self, data: bytes, skip: int) -> NDArray[np.uint64]:
        """Return per byte of data from ``skip`` on: 2**bits + 1 + the longest feature's number ending there, or 0."""
        size = len(data) - skip
        padded = bytes((_PAD,)) * 7 + data
        # Window i holds the 8 bytes ending at data[skip + i], read as one
        # integer; row r of the queries keeps the last lengths[r] of them.
        windows = np.ndarray(shape=(size,), dtype=">u8", buffer=padded, offset=skip, strides=(1,)).astype(np.uint64)
        queries = windows[np.newaxis, :] & self.masks
        shift, bits, limit = np.uint64(64 - self.bits), np.uint64(self.bits), np.uint64(1 << self.bits)
        # An entry xor the query's product shifted up is below 2**bits (and
        # then 1 + the feature's number) exactly when the entry is the query's.
        # np.take: a flat gather, a fifth faster here than indexing with an array.
        product = queries * np.uint64(self.multipliers[0])
        found = np.take(self.tables[0], (product >> shift).view(np.int64)) ^ (product << bits)
        product = queries * np.uint64(self.multipliers[1])
        np.minimum(found, np.take(self.tables[1], (product >> shift).view(np.int64)) ^ (product << bits), out=found)
        # Misses become 0, hits 2**bits + 1 + number; features are numbered
        # shortest first, so the largest hit ending at a byte is the longest.
        np.minimum(found, limit, out=found)
        found ^= limit
        longest: NDArray[np.uint64] = found.max(axis=0)
        return longest

    def scores(self, text: str) -> NDArray[np.float32]:
        """Return the probability of each column, as py3langid's normalised ``_decide`` does."""
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        index, counts = self.feature_counts(data)
        if index.size:
            scores = np.log1p(counts) @ np.take(self.weights, index, axis=0) + self.prior
        else:
            scores = np.zeros(len(self.classes), dtype=np.float32)
        # The same operations in the same order as py3langid, so the same floats.
        scores *= 1.0 / math.sqrt(len(data) or 1)
        np.exp(scores - scores.max(), out=scores)
        scores /= scores.sum()
        # A label's later columns are folded into its first (sr, uz in two scripts).
        for kept, column in self.aliases:
            scores[kept] += scores[column]
            scores[column] = 0.0
        return scores

    def _among(self, among: tuple[str, ...]) -> tuple[tuple[str, ...], list[int]]:
        """Return the labels of ``among`` the model knows, in column order, and their columns (remembered)."""
        known = self.kept.get(among)
        if known is None:
            wanted = set(among)
            pairs = zip(self.labels, self.label_columns, strict=True)
            kept = [(label, column) for label, column in pairs if label in wanted]
            known = self.kept[among] = (tuple(label for label, _ in kept), [column for _, column in kept])
        return known

    def rank(self, text: str, *, among: Collection[str] | None = None) -> list[tuple[str, float]]:
        """Return the languages with their probability, best first: py3langid's ``rank``.

        With ``among``, only those languages, in the order they have in the
        full ranking; the probabilities are still shares of all languages.
        """
        scores = self.scores(text)
        if among is None:
            pairs = zip(self.labels, scores[list(self.label_columns)].tolist(), strict=True)
        else:
            labels, columns = self._among(tuple(among))
            pairs = zip(labels, scores[columns].tolist(), strict=True)
        # sorted() is stable with reverse=True too: ties keep column order, as in py3langid.
        return sorted(pairs, key=itemgetter(1), reverse=True)


def derive_model(ptc: Any, pc: Any, classes: list[str], nextmove: Any, row: Any, output: list[int]) -> LanguageModel:
    """Turn py3langid's model parts (as its ``load_model`` returns them) into a LanguageModel.

    Raises ValueError if the automaton is not what the fast path assumes:
    a state outputs something other than the longest feature that is a
    suffix of its string, a feature is longer than 8 bytes, starts with a
    NUL byte or holds the byte 0xFF.
    """
    moves = np.asarray(nextmove).reshape(-1, 256)
    rows = np.asarray(row, dtype=np.intp)
    out = np.asarray(output, dtype=np.int64)
    states = rows.size
    depth = np.full(states, -1, dtype=np.int64)
    code = np.zeros(states, dtype=object)  # a state's bytes as an integer; may exceed 64 bits
    parent = np.zeros(states, dtype=np.intp)  # the state of its string less the last byte
    last = np.zeros(states, dtype=np.intp)  # the last byte of its string
    depth[0] = 0
    frontier = np.array([0], dtype=np.intp)
    level = 0
    # Breadth first: a state is first reached by its own string (a path of
    # n bytes ends in a state whose string is a suffix of them, at most n long).
    while frontier.size:
        targets = moves[rows[frontier]].astype(np.intp)
        source = np.repeat(frontier, 256)
        byte = np.tile(np.arange(256, dtype=np.int64), frontier.size)
        flat = targets.ravel()
        new = depth[flat] < 0
        reached, where = np.unique(flat[new], return_index=True)
        level += 1
        depth[reached] = level
        parent[reached] = source[new][where]
        last[reached] = byte[new][where]
        code[reached] = code[parent[reached]] * 256 + last[reached]
        frontier = reached
    if (depth < 0).any():
        raise ValueError("language model: some automaton states are unreachable")
    features = int(np.asarray(ptc).shape[0])
    feature_state = np.full(features, -1, dtype=np.int64)
    by_depth = np.argsort(depth, kind="stable")
    outputs = out[by_depth]
    has = outputs >= 0
    # The shortest state that outputs a feature is the feature's own string.
    _, first = np.unique(outputs[has], return_index=True)
    chosen = by_depth[has][first]
    feature_state[out[chosen]] = chosen
    if (feature_state < 0).any():
        raise ValueError("language model: some features are never output")
    feature_code = [int(code[s]) for s in feature_state]
    feature_length = [int(depth[s]) for s in feature_state]
    feature_of = {
        (value, length): index for index, (value, length) in enumerate(zip(feature_code, feature_length, strict=True))
    }
    _check_outputs(code, depth, out, feature_of)
    _check_moves(moves, rows, code, depth, parent, last)
    for value, length in zip(feature_code, feature_length, strict=True):
        raw = value.to_bytes(length, "big")
        if length > _MAX_FEATURE_BYTES or raw[0] == 0 or _PAD in raw:
            raise ValueError(f"language model: feature {raw!r} cannot be looked up as a window")
    lengths = tuple(sorted(set(feature_length), reverse=True))
    # Numbered shortest first (then by row), which is what lets a maximum pick the longest.
    by_number = sorted(range(features), key=lambda row: (feature_length[row], row))
    tables, multipliers, bits = _hash_features([feature_code[row] for row in by_number], too_long=1 << (8 * lengths[0]))
    return LanguageModel(
        classes=tuple(str(label) for label in classes),
        prior=np.asarray(pc, dtype=np.float32),
        weights=np.asarray(ptc).astype(np.float32),
        tables=tables,
        features=np.array(by_number, dtype=np.intp),
        multipliers=multipliers,
        bits=bits,
        lengths=lengths,
    )


def _check_moves(moves: Any, rows: Any, code: Any, depth: Any, parent: Any, last: Any) -> None:
    """Check that the automaton is Aho-Corasick's: after a byte, the longest suffix it knows.

    By induction on depth it suffices that each state's move on a byte is
    to its child by that byte if it has one, else the move of the state of
    its longest proper known suffix (the root: to itself).
    """
    state_of = {(int(value), int(length)): state for state, (value, length) in enumerate(zip(code, depth, strict=True))}
    fallback = np.zeros(depth.size, dtype=np.intp)
    for state in range(1, depth.size):
        value, length = int(code[state]), int(depth[state])
        for n in range(length - 1, 0, -1):
            known = state_of.get((value & ((1 << (8 * n)) - 1), n))
            if known is not None:
                fallback[state] = known
                break
    children = np.full(depth.size * 256, -1, dtype=np.int64)
    children[parent[1:] * 256 + last[1:]] = np.arange(1, depth.size)
    children = children.reshape(-1, 256)
    chunk = 8192
    for start in range(0, depth.size, chunk):
        states = np.arange(start, min(start + chunk, depth.size))
        actual = moves[rows[states]].astype(np.int64)
        inherited = moves[rows[fallback[states]]].astype(np.int64)
        inherited[states == 0] = 0
        expected = np.where(children[states] >= 0, children[states], inherited)
        if not np.array_equal(actual, expected):
            raise ValueError("language model: the automaton does not move to the longest known suffix")


def _check_outputs(code: Any, depth: Any, out: Any, feature_of: dict[tuple[int, int], int]) -> None:
    for state in range(len(out)):
        value, length, expected = int(code[state]), int(depth[state]), -1
        for n in range(length, 0, -1):
            found = feature_of.get((value & ((1 << (8 * n)) - 1), n))
            if found is not None:
                expected = found
                break
        if expected != int(out[state]):
            raise ValueError(f"language model: state {state} does not output its longest feature suffix")


def _hash_features(codes: list[int], *, too_long: int) -> tuple[NDArray[np.uint64], tuple[int, int], int]:
    """Place the feature keys in two cuckoo tables; return them, the multipliers and the bits.

    ``too_long`` is a key no window can have; an empty slot holds the rest
    of such a key, so that no query matches it.
    """
    bits = max(4, (len(codes) + 1).bit_length())  # each table at most half full
    size, rest = 1 << bits, (1 << (64 - bits)) - 1
    for multipliers in _MULTIPLIERS:
        slots: list[list[int | None]] = [[None] * size, [None] * size]

        def slot(key: int, table: int, multipliers: tuple[int, int] = multipliers) -> int:
            return ((key * multipliers[table]) & _U64) >> (64 - bits)

        for index in range(len(codes)):
            item, table = index, 0
            for _ in range(1000):
                at = slot(codes[item], table)
                evicted = slots[table][at]
                slots[table][at] = item
                if evicted is None:
                    break
                item = evicted
                # The evicted feature sat in its slot of this table: it moves to the other.
                table = 1 - table
            else:
                break
        else:
            tables = np.empty((2, size), dtype=np.uint64)
            for table in range(2):
                inverse = pow(multipliers[table], -1, 1 << 64)
                for at, held in enumerate(slots[table]):
                    if held is None:
                        # The rest of a key past any window's length: never a match.
                        rem = 0
                        while ((((at << (64 - bits)) | rem) * inverse) & _U64) < too_long:
                            rem += 1
                        tables[table, at] = rem << bits
                    else:
                        product = (codes[held] * multipliers[table]) & _U64
                        tables[table, at] = ((product & rest) << bits) | (held + 1)
            return tables, multipliers, bits
    raise ValueError("language model: its features do not fit a cuckoo table")


def _py3langid_model() -> tuple[Path, str]:
    from py3langid import __version__
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return Path(MODEL_DIR) / MODEL_FILE, str(__version__)


def read_py3langid_model() -> LanguageModel:
    """Derive the model from py3langid's own file (about a second).

    Raises ValueError if the model is not what the fast path assumes.
    """
    from py3langid.modelio import load_model as load_py3langid

    path, _ = _py3langid_model()
    return derive_model(*load_py3langid(path))


def _cache_paths(folder: Path) -> tuple[Path, Path]:
    path, version = _py3langid_model()
    stat = path.stat()
    stem = f"langid-{FORMAT}-{version}-{stat.st_size}-{stat.st_mtime_ns}"
    return folder / f"{stem}.npz", folder / f"{stem}-weights.npy"


def load_model(folder: Path | None = None) -> LanguageModel:
    """Return the derived model from the cache in ``folder`` (default: cache_dir()), deriving it if need be.

    A cache that is missing or corrupt is rebuilt; one that cannot be
    written only costs the next process the derivation again.
    Raises ValueError if py3langid's model is not what the fast path assumes.
    """
    index_path, weights_path = _cache_paths(cache_dir() if folder is None else folder)
    try:
        return _read_cache(index_path, weights_path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass  # missing or corrupt: derived again below
    model = read_py3langid_model()
    # A read-only or full disk: this process keeps its model in memory.
    with contextlib.suppress(OSError):
        _write_cache(model, index_path, weights_path)
    return model


def _read_cache(index_path: Path, weights_path: Path) -> LanguageModel:
    with np.load(index_path, allow_pickle=False) as index:
        classes = tuple(str(label) for label in index["classes"].tolist())
        prior = index["prior"]
        tables = index["tables"]
        features = index["features"]
        multipliers = tuple(int(v) for v in index["multipliers"].tolist())
        lengths = tuple(int(n) for n in index["lengths"].tolist())
    # Memory-mapped: a process that scores a few texts reads a few pages.
    weights = np.load(weights_path, mmap_mode="r", allow_pickle=False)
    bits = int(tables.shape[-1]).bit_length() - 1
    if (
        prior.dtype != np.float32
        or weights.dtype != np.float32
        or tables.dtype != np.uint64
        or prior.shape != (len(classes),)
        or weights.ndim != 2
        or weights.shape[1] != len(classes)
        or tables.shape != (2, 1 << bits)
        or len(multipliers) != 2
        or not lengths
        or int((tables & np.uint64((1 << bits) - 1)).max()) > weights.shape[0]
        or features.dtype != np.intp
        or features.shape != (weights.shape[0],)
        or int(features.min()) < 0
        or int(features.max()) >= weights.shape[0]
    ):
        raise ValueError(f"{index_path}: not a language model of this version")
    return LanguageModel(
        classes=classes,
        prior=prior,
        weights=np.asarray(weights),
        tables=tables,
        features=features,
        multipliers=(multipliers[0], multipliers[1]),
        bits=bits,
        lengths=lengths,
    )


def _write_cache(model: LanguageModel, index_path: Path, weights_path: Path) -> None:
    index_path.parent.mkdir(parents=True, exist_ok=True)
    # The weights first: a reader finding an index without its weights
    # derives both again.
    _write_atomically(weights_path, lambda fh: np.save(fh, model.weights, allow_pickle=False))
    _write_atomically(
        index_path,
        lambda fh: np.savez(
            fh,
            classes=np.array(model.classes, dtype=str),
            prior=model.prior,
            tables=model.tables,
            features=model.features,
            multipliers=np.array(model.multipliers, dtype=np.uint64),
            lengths=np.array(model.lengths, dtype=np.int64),
        ),
    )


def _write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@cache
def default_model() -> LanguageModel:
    """Return the model from the default cache, loaded once per process."""
    return load_model()
