"""The derived language model read and scored without numpy, for a process that detects a few texts.

Importing numpy and loading the model (``langmodel.py``) cost a process
about 0.1 s, which a rebuild after one new seed would pay for one or two
texts. This module reads the same cache files ``langmodel`` writes (the
index ``.npz`` with a small ``.npy`` reader, the weights memory-mapped),
counts a text's features as ``LanguageModel.feature_counts`` does, and sums
the weights of those features in double precision, in a few milliseconds.

Those sums are not numpy's float32 scores bit for bit, so they decide only
what they can prove. numpy's float32 sum of k products differs from the exact
sum by at most about k·2⁻²⁴ of the sum of the products' magnitudes, whatever
the order BLAS adds them in; so each score numpy would compute lies in a
known interval. When ``detect``'s answer (the best candidate, and whether its
share of the candidates' probability reaches the threshold) is the same
anywhere in those intervals, it is the answer numpy gives; otherwise
``decide`` says it is unsure and the caller scores with numpy. The share it
returns is its own estimate, within a few millionths of numpy's.
"""

from __future__ import annotations

import math
import mmap
import os
import re
import struct
import sys
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from operator import itemgetter, mul
from pathlib import Path

# The cache's format, which langmodel writes: bumped whenever what is
# cached changes shape or meaning.
FORMAT = 2
CACHE_ENV = "SEEDFEED_CACHE_DIR"
_U64 = (1 << 64) - 1
_PAD_WINDOW = (1 << 56) - 1  # seven 0xFF bytes before the text, as langmodel pads it
_UNIT = 2.0**-24  # float32 unit roundoff
# Below this many nats under the largest score, float32 exp may lose precision
# (subnormal from about -87.3, zero below about -103.9): nothing is proven there.
_UNDERFLOW = 80.0
# Slack in nats for each float32 exp and its rounding: numpy's are a few ulps.
_EXP_SLACK = 1e-5
_HEADER = re.compile(
    r"\{'descr': '(?P<descr>[^']+)', 'fortran_order': (?P<fortran>True|False), 'shape': \((?P<shape>[\d, ]*)\), \}"
)


class UnsureError(Exception):
    """The quick scores cannot tell what numpy's would decide: score with numpy."""


@dataclass(frozen=True, slots=True, eq=False)
class QuickModel:
    """The derived model's index in plain memory views; the weights stay on disk, memory-mapped."""

    labels: tuple[str, ...]  # distinct labels, in column order
    label_columns: Mapping[str, tuple[int, ...]]  # each label's columns (a label may have two)
    prior: tuple[float, ...]
    tables: tuple[memoryview, memoryview]  # the two cuckoo tables (uint64)
    features: memoryview  # a feature's row in the weights, by its number (int64)
    multipliers: tuple[int, int]
    bits: int
    lengths: tuple[int, ...]  # feature lengths in bytes, longest first
    weights: mmap.mmap
    weights_offset: int
    row: struct.Struct  # one row of float32 weights

    def feature_counts(self, data: bytes) -> dict[int, int]:
        """Return each feature's row in the weights and its count, in order of first occurrence.

        The same features and counts as ``LanguageModel.feature_counts``,
        one window at a time: at each byte, the longest feature ending there.
        """
        bits, shift = self.bits, 64 - self.bits
        limit = 1 << bits
        table0, table1 = self.tables
        multiplier0, multiplier1 = self.multipliers
        masks = tuple((1 << (8 * n)) - 1 for n in self.lengths)
        counts: dict[int, int] = {}
        window = _PAD_WINDOW
        for byte in data:
            window = ((window << 8) | byte) & _U64
            longest = 0
            for mask in masks:
                query = window & mask
                product = (query * multiplier0) & _U64
                found = table0[product >> shift] ^ ((product << bits) & _U64)
                product = (query * multiplier1) & _U64
                other = table1[product >> shift] ^ ((product << bits) & _U64)
                if other < found:
                    found = other
                if found < limit:
                    found ^= limit
                    if found > longest:
                        longest = found
                        # Numbered shortest first: a hit at this length beats any shorter one.
                        if found > limit:
                            break
            if longest:
                number = longest - limit - 1
                counts[number] = counts.get(number, 0) + 1
        features = self.features
        by_row: dict[int, int] = {}
        for number, count in counts.items():
            row = features[number]
            by_row[row] = by_row.get(row, 0) + count
        return by_row

    def decide(self, text: str, among: Mapping[str, str], min_confidence: float) -> tuple[str, float] | None:
        """Return the best of the labels in ``among`` and its share, or None below ``min_confidence``.

        What ``detect`` decides from numpy's scores, proven from these.
        Raises UnsureError when the scores are too close to tell.
        """
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        counts = self.feature_counts(data)
        candidates = [label for label in self.labels if label in among]
        if not candidates:
            return None
        if not counts:
            raise UnsureError
        # Only the candidates' columns are summed; every column's score is
        # bounded from above by the largest weight of each row, which is what
        # the underflow checks need of the others.
        columns = sorted({column for label in candidates for column in self.label_columns[label]})
        pick = itemgetter(*columns, columns[0])  # always a tuple, even for one column
        unpack, weights, offset, size = self.row.unpack_from, self.weights, self.weights_offset, self.row.size
        factors = [math.log1p(count) for count in counts.values()]
        picked = []
        highest = magnitude = 0.0
        for row, factor in zip(counts, factors, strict=True):
            values = unpack(weights, offset + row * size)
            largest = max(values)
            # Log probabilities: a positive weight would break the error bound below.
            if largest > 0.0:
                raise UnsureError
            highest += factor * largest
            magnitude -= factor * min(values)
            picked.append(pick(values))
        sums = [sum(map(mul, column, factors)) for column in zip(*picked, strict=True)]
        scale = 1.0 / math.sqrt(len(data) or 1)
        # Every weight is negative, so the magnitudes of a column's products
        # add up to minus its sum: numpy's float32 sum is within (k + 8)·u of
        # that, doubled for safety, plus the roundings of adding the prior and scaling.
        bound = 2.0 * (len(counts) + 8) * _UNIT
        scores: dict[int, float] = {}
        errors: dict[int, float] = {}
        for column, total in zip(columns, sums[: len(columns)], strict=True):
            prior = self.prior[column]
            scores[column] = (total + prior) * scale
            errors[column] = (-bound * total + 4 * _UNIT * (abs(total + prior) + abs(prior))) * scale + 1e-12
        largest_prior = max(map(abs, self.prior))
        error = (bound * magnitude + 4 * _UNIT * (magnitude + 2 * largest_prior)) * scale + 1e-12
        top = (max(self.prior) + highest) * scale + error  # no column's score is above this
        return self._judge(candidates, scores, errors, top, min_confidence)

    def _judge(
        self,
        candidates: list[str],
        scores: Mapping[int, float],
        errors: Mapping[int, float],
        top: float,
        min_confidence: float,
    ) -> tuple[str, float] | None:
        estimates = {label: sum(math.exp(scores[c] - top) for c in self.label_columns[label]) for label in candidates}
        best = max(candidates, key=lambda label: estimates[label])
        (column,) = self.label_columns[best][:1]
        if len(self.label_columns[best]) > 1 or scores[column] - errors[column] - top < -_UNDERFLOW:
            raise UnsureError
        low_best, high_best = scores[column] - errors[column], scores[column] + errors[column]
        above = below = 0.0  # the others' probabilities relative to the best's, at most and at least
        for label in candidates:
            if label == best:
                continue
            most = least = 0.0
            for other in self.label_columns[label]:
                slack = _EXP_SLACK + _UNIT * (abs(scores[other] - top) + abs(scores[column] - top)) + 4 * _UNIT
                most += math.exp(scores[other] + errors[other] - low_best + slack) + 1e-9
                if scores[other] - errors[other] - top >= -_UNDERFLOW:
                    least += math.exp(scores[other] - errors[other] - high_best - slack)
            if most >= 1.0:
                raise UnsureError  # it may be the best, or tie with it
            above += most
            below += least
        low, high = 1.0 / (1.0 + above), 1.0 / (1.0 + below)
        if low >= min_confidence:
            return best, estimates[best] / sum(estimates.values())
        if high < min_confidence:
            return None
        raise UnsureError


def _npy(data: bytes | mmap.mmap, descr: str) -> tuple[tuple[int, ...], int]:
    """Return the shape and the data's offset of a .npy file's bytes, checking its element type."""
    if bytes(data[:6]) != b"\x93NUMPY":
        raise ValueError("not a .npy file")
    major = data[6]
    if major == 1:
        size, start = int.from_bytes(data[8:10], "little"), 10
    elif major in (2, 3):
        size, start = int.from_bytes(data[8:12], "little"), 12
    else:
        raise ValueError(f".npy version {major} unknown")
    match = _HEADER.match(bytes(data[start : start + size]).decode("latin-1"))
    if match is None or match.group("fortran") != "False" or match.group("descr") != descr:
        raise ValueError(f".npy header is not one of {descr} in C order")
    shape = tuple(int(n) for n in match.group("shape").replace(" ", "").split(",") if n)
    return shape, start + size


def _member(archive: zipfile.ZipFile, name: str, descr: str) -> tuple[tuple[int, ...], memoryview]:
    data = archive.read(f"{name}.npy")
    shape, offset = _npy(data, descr)
    return shape, memoryview(data)[offset:]


def _model_key() -> str:
    """Return the stem langmodel names its cache files with, without importing py3langid (it imports numpy)."""
    spec = find_spec("py3langid")
    if spec is None or spec.origin is None:
        raise ValueError("py3langid is not installed")
    package = Path(spec.origin).parent
    found = re.search(r"""^__version__ = ['"]([^'"]+)['"]""", (package / "__init__.py").read_text("utf-8"), re.M)
    if found is None:
        raise ValueError("py3langid's version is not where it used to be")
    stat = (package / "data" / "model.npz.xz").stat()
    return f"langid-{FORMAT}-{found.group(1)}-{stat.st_size}-{stat.st_mtime_ns}"


def read_quick_model(folder: Path) -> QuickModel:
    """Return the model from langmodel's cache in ``folder``.

    Raises OSError, ValueError, KeyError or zipfile.BadZipFile when the cache
    is missing or not what this reader understands: the caller uses numpy.
    """
    if sys.byteorder != "little":
        raise ValueError("the cache's arrays are little-endian")
    stem = _model_key()
    with zipfile.ZipFile(folder / f"{stem}.npz") as archive:
        (count,), classes = _member(archive, "classes", "<U3")
        _, prior_data = _member(archive, "prior", "<f4")
        tables_shape, tables = _member(archive, "tables", "<u8")
        (features_count,), features = _member(archive, "features", "<i8")
        _, multipliers = _member(archive, "multipliers", "<u8")
        _, lengths = _member(archive, "lengths", "<i8")
    text = bytes(classes).decode("utf-32-le")
    names = [text[i * 3 : (i + 1) * 3].rstrip("\x00") for i in range(count)]
    prior = tuple(prior_data.cast("f"))
    if len(prior) != count or len(tables_shape) != 2 or tables_shape[0] != 2:
        raise ValueError("language model index not understood")
    columns: dict[str, list[int]] = {}
    for column, label in enumerate(names):
        columns.setdefault(label, []).append(column)
    slots = tables_shape[1]
    flat = tables.cast("Q")
    handle = (folder / f"{stem}-weights.npy").open("rb")
    with handle:
        weights = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    shape, offset = _npy(weights, "<f4")
    if shape != (features_count, count) or len(weights) != offset + features_count * count * 4:
        weights.close()
        raise ValueError("language model weights not understood")
    factors = tuple(multipliers.cast("Q"))
    return QuickModel(
        labels=tuple(columns),
        label_columns={label: tuple(c) for label, c in columns.items()},
        prior=prior,
        tables=(flat[:slots], flat[slots:]),
        features=features.cast("q"),
        multipliers=(factors[0], factors[1]),
        bits=slots.bit_length() - 1,
        lengths=tuple(lengths.cast("q")),
        weights=weights,
        weights_offset=offset,
        row=struct.Struct(f"<{count}f"),
    )


def cache_dir() -> Path:
    """Return the folder langmodel caches the derived model in (not created here)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "seedfeed"


def is_model_cached(folder: Path | None = None) -> bool:
    """Return whether langmodel's cache (default: ``cache_dir()``) holds the derived model, without numpy."""
    try:
        stem = _model_key()
    except (OSError, ValueError):
        return False
    folder = cache_dir() if folder is None else folder
    return (folder / f"{stem}.npz").is_file() and (folder / f"{stem}-weights.npy").is_file()


@cache
def default_quick_model() -> QuickModel | None:
    """Return the model from langmodel's default cache, or None when it is not there or not understood."""
    try:
        return read_quick_model(cache_dir())
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
