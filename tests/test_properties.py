"""Properties over any input: bytes never break a feed, text and dates survive the round trip.

The documented normalisation of seed text (README, "The seed format"):
CRLF and CR become LF; characters XML 1.0 forbids are removed; the text is
put in Unicode NFC; in each line, runs of spaces become one space, the ends
are trimmed, and the space scraping leaves before ``, . ) ] }`` and after
``( [ {`` is removed. Nothing else changes: markup stays text.
"""

from __future__ import annotations

import tomllib
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from babel.dates import get_month_names
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lxml import etree, html

from conftest import FEED_TOML, A, check_atom
from seedfeed.article import _line_patterns, parse_article, tables_for
from seedfeed.build import entry_dates
from seedfeed.config import parse_config
from seedfeed.convert import to_entry
from seedfeed.errors import SeedError
from seedfeed.seeds import decode_seed
from seedfeed.text import repair_spacing, strip_xml_illegal
from seedfeed.writers.atom import render_atom

CONFIG = parse_config(tomllib.loads(FEED_TOML), Path("feed.toml"))
SEED = Path("seeds/property.txt")
FIRST_SEEN = datetime(2024, 12, 31, 12, tzinfo=UTC)
EXAMPLES = settings(max_examples=500, deadline=None)
BYLINE = "Huyen Le (Menurut AFP , Reuters )"
LEFTOVER, _, CAPTION = _line_patterns(tables_for("id", CONFIG))


def feed_of(data: bytes) -> bytes:
    article = parse_article(decode_seed(data, source=SEED), CONFIG, first_seen=FIRST_SEEN)
    entry = to_entry(article, entry_dates(article, None, FIRST_SEEN), CONFIG)
    return render_atom(CONFIG, [entry])


def normalised(line: str) -> str:
    return repair_spacing(unicodedata.normalize("NFC", strip_xml_illegal(line)[0]))


# Bytes that look like seeds often enough to reach the parser: text in many
# scripts with markup and control characters, in several encodings, or noise.
_SEEDISH = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from("<>&]]>\n\r\x00\x0b\x1b (),.:"),
    max_size=300,
)
_ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252", "cp1251", "gb18030"])
ANY_BYTES = (
    st.binary(max_size=2048)
    | st.builds(lambda t, e: t.encode(e, errors="ignore"), _SEEDISH, _ENCODINGS)
    | st.builds(lambda t: ("---\nlanguage: vi\n---\n" + t).encode(), _SEEDISH)
)


@EXAMPLES
@given(ANY_BYTES)
def test_any_seed_bytes_give_a_valid_feed_or_a_seed_error(data: bytes) -> None:
    try:
        feed = feed_of(data)
    except SeedError as exc:
        assert exc.path == SEED
        assert str(exc).startswith(f"{SEED}")
        return
    root = check_atom(feed)  # RELAX NG-valid, RFC 4287 rules, feedparser bozo == 0
    assert len(root.findall(f"{A}entry")) == 1


# No NUL: a NUL byte makes a file binary, by design. Other control characters
# are kept; a line of mostly control characters is rejected as binary.
_LINE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\n\r\x85\u2028\u2029")
    | st.sampled_from("<script>&amp;]]>\x0b\x1b\t ()[]{},."),
    min_size=1,
    max_size=120,
)


@EXAMPLES
@given(title=_LINE, paragraph=_LINE)
def test_any_text_survives_the_round_trip_through_the_feed(title: str, paragraph: str) -> None:
    expected_title, expected_paragraph = normalised(title), normalised(paragraph)
    for line in (expected_title, expected_paragraph):
        assume(line and not LEFTOVER.fullmatch(line))
    assume(CAPTION is None or not CAPTION.fullmatch(expected_paragraph))
    seed = f"---\nlanguage: id\n---\n{title}\n{paragraph}\n{BYLINE}\n"
    controls = sum(1 for c in seed if unicodedata.category(c) == "Cc" and c not in "\n\t")
    assume(controls <= max(2, len(seed) // 100))
    feed = feed_of(seed.encode("utf-8"))
    root = check_atom(feed)
    entry = root.find(f"{A}entry")
    assert entry is not None
    assert entry.findtext(f"{A}title") == expected_title
    assert entry.findtext(f"{A}summary") == expected_paragraph
    content = entry.findtext(f"{A}content")
    assert content is not None
    paragraphs = [p.text_content() for p in html.fragments_fromstring(content) if p.tag == "p"]
    # Markup in the text is text: one paragraph of it, then the byline.
    assert paragraphs[0] == expected_paragraph
    assert len(paragraphs) == 2
    # feedparser itself "repairs" what looks like mojibake ("Â¡" becomes "¡"),
    # so the feed's own bytes are the reference: check_atom has parsed them
    # with feedparser for well-formedness (bozo == 0).


def _render_date(code: str, day: date) -> str:
    month = get_month_names("wide", "format", locale=code.replace("-", "_"))[day.month]
    forms = {
        "id": f"{day.day} {month} {day.year}",
        "en": f"{month} {day.day}, {day.year}",
        "de": f"{day.day}. {month} {day.year}",
        "es": f"{day.day} de {month} de {day.year}",
        "pt": f"{day.day} de {month} de {day.year}",
        "ru": f"{day.day} {month} {day.year} года",
        "tr": f"{day.day} {month} {day.year}",
        "ar": f"{day.day} {month} {day.year}",
        "th": f"{day.day} {month} {day.year + 543}",
        "vi": f"ngày {day.day} tháng {day.month} năm {day.year}",
        "zh": f"{day.year}年{day.month}月{day.day}日",
        "ja": f"{day.year}年{day.month}月{day.day}日",
        "ko": f"{day.year}년 {day.month}월 {day.day}일",
        "fr": f"{day.day} {month} {day.year}",
    }
    return forms[code]


LEADS = {
    "id": "Menteri tiba di Pyongyang pada {date} untuk kunjungan dua hari.",
    "en": "The minister arrived in Pyongyang on {date} for a two-day visit.",
    "de": "Der Minister traf am {date} in Pjöngjang ein.",
    "es": "El ministro llegó a Pyongyang el {date} para una visita.",
    "pt": "O ministro chegou a Pyongyang em {date} para uma visita.",
    "ru": "Министр прибыл в Пхеньян {date} с визитом.",
    "tr": "Bakan {date} tarihinde Pyongyang'a geldi.",
    "ar": "وصل الوزير إلى بيونغ يانغ في {date} في زيارة.",
    "th": "รัฐมนตรีเดินทางถึงเปียงยางเมื่อวันที่ {date} เพื่อเยือน",
    "vi": "Bộ trưởng đến Bình Nhưỡng {date} để thăm hai ngày.",
    "zh": "外长于{date}抵达平壤，开始为期两天的访问。",
    "ja": "外相は{date}に平壌に到着した。",
    "ko": "장관은 {date} 평양에 도착했다.",
    "fr": "Le ministre est arrivé à Pyongyang le {date} pour une visite.",
}


@EXAMPLES
@given(
    code=st.sampled_from(sorted(LEADS)),
    day=st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31)),
)
def test_text_dates_round_trip_exactly(code: str, day: date) -> None:
    seed = f"---\nlanguage: {code}\n---\nJudul\n{LEADS[code].format(date=_render_date(code, day))}\n"
    article = parse_article(decode_seed(seed.encode(), source=SEED), CONFIG, first_seen=FIRST_SEEN)
    assert article.date is not None
    assert article.date.provenance == "text"
    local = article.date.value.astimezone(CONFIG.time_zone)
    assert (local.date(), local.time().isoformat()) == (day, "00:00:00")
    entry = to_entry(article, entry_dates(article, None, FIRST_SEEN), CONFIG)
    root = etree.fromstring(render_atom(CONFIG, [entry]))
    published = root.findtext(f"{A}entry/{A}published")
    assert published == f"{day.isoformat()}T00:00:00+07:00"


@EXAMPLES
@given(
    moment=st.datetimes(min_value=datetime(1901, 1, 2), max_value=datetime(2099, 12, 30)),  # noqa: DTZ001  # naive bounds are what st.datetimes takes
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_front_matter_dates_round_trip_exactly(moment: datetime, offset_minutes: int) -> None:
    written = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    seed = f"---\ndate: {written.isoformat()}\n---\nJudul\nIsi berita.\n"
    feed = feed_of(seed.encode())
    published = etree.fromstring(feed).findtext(f"{A}entry/{A}published")
    assert published is not None
    assert datetime.fromisoformat(published) == written


_TOKENS = st.sampled_from(
    [
        "0", "00", "1", "18", "29", "31", "32", "0001", "1999", "2023", "2566", "9999", "１８", "๑๘", "١٨",
        "Oktober", "Okt.", "Feb", "октября", "ต.ค.", "ngày", "tháng", "năm", "de", "年", "月", "日", "년", "월",
        "일", "Rabu", "Wednesday", "(", ")", "/", ".", "-", ",", " ", "  ", "akan", "kemarin", "since",
    ]
)  # fmt: skip


@EXAMPLES
@given(code=st.sampled_from(sorted(LEADS)), lines=st.lists(st.lists(_TOKENS, max_size=12).map("".join), max_size=5))
def test_date_shaped_text_never_breaks_date_finding(code: str, lines: list[str]) -> None:
    seed = "---\nlanguage: " + code + "\n---\nJudul " + " ".join(lines[:1]) + "\n" + "\n".join(lines[1:]) + "\nIsi.\n"
    article = parse_article(decode_seed(seed.encode(), source=SEED), CONFIG, first_seen=FIRST_SEEN)
    if article.date is not None:
        assert article.date.value.tzinfo is not None
        assert 1000 <= article.date.value.astimezone(CONFIG.time_zone).year <= 2999
    entry = to_entry(article, entry_dates(article, None, FIRST_SEEN), CONFIG)
    check_atom(render_atom(CONFIG, [entry]))
