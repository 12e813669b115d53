"""Date finding and year inference (Indonesian and English forms)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from seedfeed import dates
from seedfeed.config import parse_time_zone
from seedfeed.dates import find_date, find_mentions, infer_year, month_names, parse_front_matter_date, weekday_names
from seedfeed.errors import DateError
from seedfeed.languages import shipped_tables

TZ = parse_time_zone("+07:00")
TABLES = [shipped_tables()["id"], shipped_tables()["en"]]
FIRST_SEEN = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


def local_day(found_value: datetime) -> date:
    return found_value.astimezone(TZ).date()


def test_month_names_come_from_cldr() -> None:
    names = month_names("id")
    assert names["oktober"] == 10
    assert names["desember"] == 12
    assert names["agu"] == 8  # CLDR's abbreviation, not a hand-typed list
    assert month_names("en")["sept"] == 9


def test_shipped_cldr_names_are_babels(update_golden: bool) -> None:
    locales = {table.babel_locale for table in shipped_tables().values()}
    expected = dates.render_cldr_names(locales)
    if update_golden:
        dates.CLDR_NAMES.write_text(expected, encoding="utf-8")
    shipped = dates.CLDR_NAMES.read_text(encoding="utf-8")
    if json.loads(shipped)["babel"] == json.loads(expected)["babel"]:
        # Byte for byte what this Babel gives (another one: --update-golden and a reviewed diff).
        assert shipped == expected
    else:
        # Taken from another Babel: never used, Babel is asked.
        assert dates._cldr_names() == {}
    for locale in locales:
        assert list(month_names(locale).items()) == list(dates.babel_month_names(locale).items())
        assert weekday_names(locale) == dates.babel_weekday_names(locale)


def test_cldr_names_of_another_babel_are_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = dates.CLDR_NAMES.read_text(encoding="utf-8")
    snapshot = tmp_path / "names.json"
    # A snapshot that claims other names, taken from another Babel.
    snapshot.write_text(text.replace('"oktober"', '"oktobre"').replace('"babel": "', '"babel": "0.'), encoding="utf-8")
    monkeypatch.setattr(dates, "CLDR_NAMES", snapshot)
    dates._cldr_names.cache_clear()
    try:
        assert dates._cldr_names() == {}
        assert dates.month_names.__wrapped__("id")["oktober"] == 10
        snapshot.write_text(text.replace('"oktober"', '"oktobre"'), encoding="utf-8")
        dates._cldr_names.cache_clear()
        assert dates.month_names.__wrapped__("id").get("oktobre") == 10  # same Babel: the snapshot is used
        snapshot.write_text("{not json", encoding="utf-8")
        dates._cldr_names.cache_clear()
        assert dates.month_names.__wrapped__("id")["oktober"] == 10
    finally:
        dates._cldr_names.cache_clear()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tiba pada 18 Oktober 2023 di Pyongyang", date(2023, 10, 18)),
        ("arrived on October 18, 2023 in Pyongyang", date(2023, 10, 18)),
        ("arrived on 18 October 2023 in Pyongyang", date(2023, 10, 18)),
        ("arrived on Oct. 18, 2023 in Pyongyang", date(2023, 10, 18)),
        ("diumumkan 5 Agu 2024 di Jakarta", date(2024, 8, 5)),
    ],
)
def test_find_date_explicit_year(text: str, expected: date) -> None:
    found = find_date("Judul", [text], tables=TABLES, time_zone=TZ, first_seen=FIRST_SEEN)
    assert found is not None
    assert found.provenance == "text"
    assert local_day(found.value) == expected
    assert found.value.astimezone(TZ).hour == 0  # a date without a time is midnight in the feed's zone
    assert found.evidence in text


def test_find_date_infers_year_from_past_event() -> None:
    found = find_date(
        "Lavrov tiba di Pyongyang",
        ["Lavrov tiba di Pyongyang pada 18 Oktober.", "Hubungan erat sejak konflik pada Desember 2022."],
        tables=TABLES,
        time_zone=TZ,
        first_seen=FIRST_SEEN,
    )
    assert found is not None
    assert found.provenance == "text+inferred-year"
    assert local_day(found.value) == date(2023, 10, 18)
    assert "18 Oktober" in found.evidence
    assert "Desember 2022" in found.evidence


def test_find_date_future_event_bounds_the_year() -> None:
    # The summit is announced as coming in March 2024: the article is before it.
    found = find_date(
        "Summit announced",
        ["Officials met on November 20.", "The leaders will meet again in March 2024, after talks in May 2022."],
        tables=TABLES,
        time_zone=TZ,
        first_seen=FIRST_SEEN,
    )
    assert found is not None
    assert local_day(found.value) == date(2023, 11, 20)


def test_find_date_no_year_and_no_context_uses_first_seen_year() -> None:
    found = find_date(
        "Judul", ["Acara berlangsung pada 18 Oktober di Jakarta."], tables=TABLES, time_zone=TZ, first_seen=FIRST_SEEN
    )
    assert found is not None
    assert found.provenance == "text+inferred-year"
    # 18 October 2026 would be after the first-seen time (March 2026): the latest fitting year is 2025.
    assert local_day(found.value) == date(2025, 10, 18)
    assert "first-seen" in found.evidence


def test_find_date_no_year_no_context_no_first_seen_gives_none() -> None:
    assert find_date("Judul", ["pada 18 Oktober"], tables=TABLES, time_zone=TZ, first_seen=None) is None


def test_find_date_ignores_background_dates_further_down() -> None:
    paragraphs = ["Sesuatu terjadi.", "Lagi.", "Lagi.", "Lagi.", "Dulu, pada 1 Januari 2001, ada perang."]
    assert find_date("Judul", paragraphs, tables=TABLES, time_zone=TZ, first_seen=None) is None


def test_find_date_prefers_title_then_lead() -> None:
    found = find_date(
        "Gempa 3 Maret 2024", ["Pada 4 Maret 2024 bantuan tiba."], tables=TABLES, time_zone=TZ, first_seen=None
    )
    assert found is not None
    assert local_day(found.value) == date(2024, 3, 3)


def test_infer_year_29_february_only_in_leap_years() -> None:
    assert infer_year(2, 29, [], datetime(2026, 5, 1, tzinfo=UTC), TZ) == 2024
    mentions = find_mentions(["sejak Maret 2021"], TABLES)
    assert infer_year(2, 29, mentions, None, TZ) == 2024


def test_find_date_rejects_impossible_day() -> None:
    assert find_date("Judul", ["pada 31 Februari 2024"], tables=TABLES, time_zone=TZ, first_seen=None) is None


def test_infer_year_nearest_to_context_among_fitting_years() -> None:
    mentions = find_mentions(["sejak Desember 2022", "dan pada Januari 2023"], TABLES)
    assert infer_year(10, 18, mentions, None, TZ) == 2023
    assert infer_year(1, 5, mentions, None, TZ) == 2023


def test_parse_front_matter_date_forms() -> None:
    source = Path("seeds/x.txt")
    found = parse_front_matter_date("2024-03-01T09:30:00+07:00", time_zone=TZ, source=source, line=3)
    assert found.value == datetime(2024, 3, 1, 2, 30, tzinfo=UTC)
    assert found.provenance == "front-matter"
    midnight = parse_front_matter_date("2024-03-01", time_zone=TZ, source=source, line=3)
    assert midnight.value == datetime(2024, 2, 29, 17, 0, tzinfo=UTC)


def test_parse_front_matter_date_bad_value_names_file_and_line() -> None:
    with pytest.raises(DateError) as info:
        parse_front_matter_date("Marhc 5", time_zone=TZ, source=Path("seeds/a.txt"), line=3)
    assert str(info.value).startswith("seeds/a.txt:3: 'Marhc 5' is not an ISO 8601 date")
