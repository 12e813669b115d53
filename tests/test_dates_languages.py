"""Date phrases of every shipped language, and language tables extended in feed.toml."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from conftest import FEED_TOML
from seedfeed.article import parse_article
from seedfeed.config import parse_config, parse_time_zone
from seedfeed.dates import find_date, find_mentions, find_relative_words, month_names, weekday_names
from seedfeed.errors import ConfigError
from seedfeed.languages import COMMON, LanguageTable, build_tables, shipped_tables
from seedfeed.seeds import decode_seed

TZ = parse_time_zone("+07:00")
TABLES = shipped_tables()
FIRST_SEEN = datetime(2024, 12, 31, 12, tzinfo=UTC)


def tables(code: str) -> list[LanguageTable]:
    """The tables an article in this language is parsed with (feed language "id")."""
    ordered = [TABLES[code]]
    for other in ("id", "en", COMMON):
        if TABLES[other] not in ordered:
            ordered.append(TABLES[other])
    return ordered


def only_date(code: str, text: str) -> tuple[int | None, int, int | None]:
    mentions = find_mentions([text], tables(code))
    assert len(mentions) == 1, mentions
    return mentions[0].year, mentions[0].month, mentions[0].day


CASES = [
    ("id", "tiba di Pyongyang pada 18 Oktober 2023.", (2023, 10, 18)),
    ("id", "Banjir merendam Jakarta pada Rabu (6/12) pagi.", (None, 12, 6)),
    ("id", "dibuka pada Senin, 15/1 lalu", (None, 1, 15)),
    ("ms", "diumumkan pada 3 Disember 2024 di Putrajaya", (2024, 12, 3)),
    ("ms", "bermula pada 11 Mac", (None, 3, 11)),
    ("en", "The Fed held rates on Sept. 20, 2023.", (2023, 9, 20)),
    ("en", "Officials met on Oct. 18 in Washington.", (None, 10, 18)),
    ("en", "on Saturday, July 22, 2023 the fire spread", (2023, 7, 22)),
    ("en", "on the 1st of the month, March 3rd, they met", (None, 3, 3)),
    ("en", "signed on 10/18/2023 in Geneva", (2023, 10, 18)),
    ("vi", "ngày 18 tháng 10 năm 2023, Ngoại trưởng", (2023, 10, 18)),
    ("vi", "đến Bình Nhưỡng ngày 18/10", (None, 10, 18)),
    ("vi", "chiều thứ Năm (7/11), giá xăng giảm", (None, 11, 7)),
    ("vi", "vào 18 tháng 10", (None, 10, 18)),
    ("fr", "le 1er octobre 2024, le Premier ministre", (2024, 10, 1)),
    ("fr", "mercredi 18 oct. 2023 à Paris", (2023, 10, 18)),
    ("es", "el 18 de octubre de 2023 en Madrid", (2023, 10, 18)),
    ("es", "el martes 12/12/2023 el ministro", (2023, 12, 12)),
    ("pt", "em 11 de dezembro de 2024 o Copom", (2024, 12, 11)),
    ("it", "il 16 ottobre il Consiglio dei ministri", (None, 10, 16)),
    ("it", "venerdì (24/11) sciopero", (None, 11, 24)),
    ("de", "am 18. Oktober 2023 in Berlin", (2023, 10, 18)),
    ("de", "am 25.03.2024 nach langem Streit", (2024, 3, 25)),
    ("de", "am Donnerstag (21.12.) im Norden", (None, 12, 21)),
    ("de", "am 3. Okt. 2023 gefeiert", (2023, 10, 3)),
    ("nl", "op 2 november 2023 in Zeeland", (2023, 11, 2)),
    ("ru", "прибыл в Пхеньян 18 октября", (None, 10, 18)),
    ("ru", "Банк России 15.12.2023 повысил ставку", (2023, 12, 15)),
    ("ru", "визит 18 окт. 2023 года", (2023, 10, 18)),
    ("uk", "4 серпня 2024 року на авіабазі", (2024, 8, 4)),
    ("tr", "21 Mart'ta beklenmedik bir kararla", (None, 3, 21)),
    ("tr", "23 Nisan 2025 tarihinde", (2025, 4, 23)),
    ("ar", "في 6 مارس 2024 أعلن البنك", (2024, 3, 6)),
    ("ar", "في 17 آب بعد توقف", (None, 8, 17)),
    ("ar", "في 18 تشرين الأول 2023", (2023, 10, 18)),
    ("hi", "23 अगस्त 2023 को लैंडिंग", (2023, 8, 23)),
    ("hi", "18 अक्तूबर को", (None, 10, 18)),
    ("th", "เมื่อวันที่ 18 ต.ค. 2566", (2023, 10, 18)),
    ("th", "วันที่ 2 ตุลาคม การจราจร", (None, 10, 2)),
    ("th", "เมื่อวันที่ 12/6/2567 ให้คง", (2024, 6, 12)),
    ("th", "ในวันที่ 18 ตุลาคม 2023 ตามปฏิทินสากล", (2023, 10, 18)),
    ("zh", "中国人民银行2024年9月24日宣布", (2024, 9, 24)),
    ("zh", "拉夫罗夫10月18日抵达平壤", (None, 10, 18)),
    ("zh", "外长于１０月１８日抵达", (None, 10, 18)),
    ("zh-Hant", "捷運12月28號正式通車", (None, 12, 28)),
    ("ja", "日本銀行は2024年3月19日の会合で", (2024, 3, 19)),
    ("ja", "輪島市で、2月1日、入居が始まった", (None, 2, 1)),
    ("ko", "2023년 10월 18일 평양에 도착", (2023, 10, 18)),
    ("ko", "10월 18일 평양에 도착", (None, 10, 18)),
    ("ko", "2023년10월18일 도착", (2023, 10, 18)),
]


@pytest.mark.parametrize(("code", "text", "expected"), CASES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_date_phrase_of_each_language(code: str, text: str, expected: tuple[int | None, int, int | None]) -> None:
    assert only_date(code, text) == expected


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("ru", "в октябре 2022 года", (2022, 10)),
        ("uk", "у жовтні 2022 року", (2022, 10)),
        ("vi", "kể từ tháng 12 năm 2022", (2022, 12)),
        ("vi", "tháng 12/2022", (2022, 12)),
        ("es", "desde diciembre de 2022", (2022, 12)),
        ("zh", "自2022年12月以来", (2022, 12)),
        ("ko", "2022년 12월부터", (2022, 12)),
        ("th", "ธันวาคม 2565", (2022, 12)),
        ("en", "since December 2022", (2022, 12)),
    ],
)
def test_month_and_year_mentions_date_context(code: str, text: str, expected: tuple[int, int]) -> None:
    year, month, day = only_date(code, text)
    assert (year, month) == expected
    assert day is None


def test_numeric_dates_follow_the_article_language() -> None:
    assert only_date("id", "dirilis 05/03/2024 pagi") == (2024, 3, 5)
    assert only_date("en", "released 05/03/2024 in the morning") == (2024, 5, 3)
    assert only_date("ja", "2024/03/05に発表") == (2024, 3, 5)


@pytest.mark.parametrize(
    "text",
    ["skor akhir 2/1 untuk tuan rumah", "rasio 3/4 dari total", "harga naik 18.10 persen", "sekitar 1.000 orang"],
)
def test_numbers_that_are_not_dates_give_no_mention(text: str) -> None:
    assert find_mentions([text], tables("id")) == []


@pytest.mark.parametrize("text", ["pada 1 Januari 0001 di Jakarta", "pada 31 Desember 9999", "0001-01-01"])
def test_years_out_of_any_news_range_give_no_date(text: str) -> None:
    assert find_date("Judul", [text], tables=tables("id"), time_zone=TZ, first_seen=FIRST_SEEN) is None


def test_impossible_dates_give_no_day() -> None:
    mentions = find_mentions(["pada 31 Februari 2023", "pada 32/10/2023", "ngày 18 tháng 13"], tables("vi"))
    # What is left is the month of the first line: a context, never a date.
    assert [(m.year, m.month, m.day) for m in mentions] == [(2023, 2, None)]


@pytest.mark.parametrize(
    ("code", "lead"),
    [
        ("id", "Harga beras naik kemarin di pasar Bandung."),
        ("en", "The council voted yesterday to approve the lanes."),
        ("vi", "Hôm qua, giá xăng giảm mạnh tại Hà Nội."),
        ("ja", "東京都心で昨日、猛暑日となった。"),
        ("fr", "Un incendie a ravagé hier soir un entrepôt."),
        ("ru", "Вчера в Москве выпал рекордный снег."),
    ],
)
def test_relative_words_alone_give_no_date(code: str, lead: str) -> None:
    found = find_date("Judul", [lead], tables=tables(code), time_zone=TZ, first_seen=FIRST_SEEN)
    assert found is None
    assert find_relative_words([lead], tables(code))


def test_main_date_is_the_reported_event_not_a_coming_one() -> None:
    lead = "Menteri akan bertemu lagi pada 25 Oktober, setelah tiba di Pyongyang pada 18 Oktober 2023."
    found = find_date("Judul", [lead], tables=tables("id"), time_zone=TZ, first_seen=FIRST_SEEN)
    assert found is not None
    assert found.value.astimezone(TZ).date() == date(2023, 10, 18)


def test_thai_year_inferred_from_buddhist_era_context() -> None:
    lines = ["น้ำท่วมกรุงเทพฯ เมื่อวันที่ 2 ตุลาคม", "ย้อนไปเมื่อเดือนกันยายน 2566 ก็เกิดเหตุคล้ายกัน"]
    found = find_date("ข่าว", lines, tables=tables("th"), time_zone=TZ, first_seen=FIRST_SEEN)
    assert found is not None
    assert found.provenance == "text+inferred-year"
    assert found.value.astimezone(TZ).date() == date(2023, 10, 2)


def test_cldr_names_include_genitive_abbreviated_and_weekdays() -> None:
    assert month_names("ru")["октября"] == 10
    assert month_names("ru")["октябрь"] == 10
    assert month_names("uk")["жовтня"] == 10
    assert month_names("th")["ต.ค"] == 10
    assert month_names("fr")["oct"] == 10
    assert "rabu" in weekday_names("id")
    assert "thứ tư" in weekday_names("vi")


def _config(extra: str) -> object:
    return parse_config(tomllib.loads(FEED_TOML + extra), Path("feed.toml"))


def test_feed_toml_extends_a_language_without_code() -> None:
    config = _config(
        '[languages.id]\nleftovers = ["Simak juga:.*"]\ndate_patterns = ["tgl {day}-{month}"]\n'
        '[languages.id.month_aliases]\n"okt" = 10\n'
    )
    seed_text = "Judul berita\nAcara digelar tgl 18-okt di Jakarta , kata panitia.\nSimak juga: berita lain\n"
    seed = decode_seed(seed_text.encode(), source=Path("seeds/a.txt"))
    article = parse_article(seed, config, first_seen=FIRST_SEEN)  # type: ignore[arg-type]
    assert article.paragraphs == ("Acara digelar tgl 18-okt di Jakarta, kata panitia.",)
    assert article.date is not None
    assert article.date.evidence.startswith("'tgl 18-okt'")
    assert article.date.value.astimezone(TZ).date() == date(2024, 10, 18)


def test_feed_toml_adds_a_new_language_as_data() -> None:
    extra = (
        '[languages.pl]\nname = "Polish"\nbabel_locale = "pl"\nleftovers = ["Link do źródła"]\n'
        'byline_cues = ["Według"]\ncaption_cues = ["Fot."]\ndate_patterns = ["{day} {month}< {year}>"]\n'
    )
    tables_ = build_tables(tomllib.loads(extra)["languages"])
    mentions = find_mentions(["Sejm uchwalił ustawę 18 października 2023 roku."], [tables_["pl"]])
    assert [(m.year, m.month, m.day) for m in mentions] == [(2023, 10, 18)]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[languages.id]\ndate_patterns = ["{day} {month"]\n', "date_patterns"),
        ('[languages.id]\ndate_patterns = ["<{day} {month}"]\n', "without its '>'"),
        ('[languages.id]\ndate_patterns = ["{day} {foo} {month}"]\n', "unknown placeholder"),
        ("[languages.id.month_aliases]\nokt = 13\n", "month numbers 1..12"),
        ("[languages.id]\nword_boundaries = 1\n", "true or false"),
    ],
)
def test_malformed_language_extension_is_a_config_error(extra: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _config(extra)
    assert "feed.toml" in str(info.value)
    assert message in str(info.value)


def test_inferred_year_is_never_after_the_first_seen_time() -> None:
    # Between a past event (2021) and a coming one (2030) every year fits the
    # text; the seed existed on its first-seen day, so the date is not later.
    lead = "Proyek diresmikan pada 11 Maret, setelah dimulai pada Januari 2021."
    later = "Tahap kedua akan selesai pada Desember 2030."
    found = find_date("Judul", [lead, later], tables=tables("id"), time_zone=TZ, first_seen=FIRST_SEEN)
    assert found is not None
    assert found.provenance == "text+inferred-year"
    assert found.value.astimezone(TZ).date() == date(2024, 3, 11)
