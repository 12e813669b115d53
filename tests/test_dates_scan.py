"""The single-scan date search finds exactly what each date pattern finds alone.

``find_mentions`` looks for the positions where any of a table's date
patterns can match in one scan, then runs each pattern only there. That is
an optimisation, so it must agree with the plain reading: every pattern's
``finditer`` over the whole line, for any line.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from seedfeed.dates import _candidate_starts, _patterns, find_mentions, find_mentions_by
from seedfeed.languages import shipped_tables

TABLES = shipped_tables()
CODES = sorted(code for code in TABLES if not code.startswith("_"))

# Pieces dates are made of in the shipped languages, and the characters
# around them that decide whether a date starts or ends there.
PIECES = st.sampled_from(
    [
        "1", "5", "12", "18", "29", "31", "2023", "2024", "2566", "05", "/", ".", "-", ",", ":", " ", "  ", "(",
        ")", "x", "th", "er", "年", "月", "日", "년", "월", "일", "tháng", "ngày", "năm", "Desember", "Okt.",
        "October", "Sept.", "März", "октября", "Kamis", "Thursday", "Jeudi", "janvier", "de", "del", "akan",
        "pada", "will", "on", "ม.ค.", "มกราคม", "İ", "\u00a0", "Oktober 2023", "Oct. 18, 2023", "Kamis (18/10)",
        "18 October 2023", "Thursday, October 18", "ngày 18 tháng 10", "2023年10月18日", "18. Oktober", "okt 2566",
    ]
)  # fmt: skip


def plain_matches(text: str, code: str, *, is_primary: bool) -> list[tuple[int, int, str]]:
    """Return every match of each of the table's patterns, found with finditer."""
    table = TABLES[code]
    return [(m.start(), m.end(), m.group(0)) for p in _patterns(table, is_primary=is_primary) for m in p.finditer(text)]


def scanned_matches(text: str, codes: list[str]) -> list[tuple[int, int, str]]:
    """Return the same as plain_matches, found the way find_mentions finds them."""
    tables = tuple(TABLES[code] for code in codes)
    starts = _candidate_starts(text, tables)
    found: list[tuple[int, int, str]] = []
    for rank, table in enumerate(tables):
        for pattern in _patterns(table, is_primary=rank == 0):
            after = 0
            for start in starts:
                if start >= after and (match := pattern.match(text, start)) is not None:
                    after = match.end()
                    found.append((match.start(), match.end(), match.group(0)))
    return found


@settings(max_examples=300, deadline=None)
@given(
    st.lists(PIECES, max_size=30).map("".join), st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True)
)
def test_one_scan_finds_what_each_pattern_finds(text: str, codes: list[str]) -> None:
    plain = [m for rank, code in enumerate(codes) for m in plain_matches(text, code, is_primary=rank == 0)]
    assert scanned_matches(text, codes) == plain


@given(
    st.lists(st.lists(PIECES, max_size=30).map("".join), max_size=4),
    st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True),
)
def test_mentions_found_with_or_without_the_scanners_are_the_same(lines: list[str], codes: list[str]) -> None:
    # A process's first few calls run each pattern's finditer; later ones scan.
    tables = [TABLES[code] for code in codes]
    scanned = find_mentions_by(lines, tables, is_scanned=True)
    assert find_mentions_by(lines, tables, is_scanned=False) == scanned
    assert find_mentions(lines, tables) == scanned


def test_mentions_of_the_corpus_are_the_same_with_or_without_the_scanners() -> None:
    corpus = sorted((Path(__file__).parent / "data" / "corpus").glob("*/*.txt"))
    assert len(corpus) > 30
    found = 0
    for path in corpus:
        lines = path.read_text(encoding="utf-8").split("\n")
        for code in CODES:
            tables = [TABLES[code], TABLES["en"], TABLES["_common"]]
            scanned = find_mentions_by(lines, tables, is_scanned=True)
            assert find_mentions_by(lines, tables, is_scanned=False) == scanned
            found += len(scanned)
    assert found > 100


def test_one_scan_keeps_every_reading_of_a_line() -> None:
    # "Kamis (18/10)" matches the weekday template and "18/10" inside it a
    # shorter one; the longer reading wins, and the month-name date after
    # it is found too.
    mentions = find_mentions(["Kamis (18/10) pukul 10.00, 2 Oktober 2023"], [TABLES["id"], TABLES["en"]])
    assert [(m.day, m.month, m.year, m.evidence) for m in mentions] == [
        (18, 10, None, "Kamis (18/10)"),
        (2, 10, 2023, "2 Oktober 2023"),
    ]
