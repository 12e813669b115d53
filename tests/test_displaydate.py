"""Dates for readers in the shipped languages: the kept CLDR data writes what Babel writes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import babel
import pytest
from babel import Locale
from babel.dates import format_date, format_time
from hypothesis import given, settings
from hypothesis import strategies as st

from seedfeed import dates
from seedfeed.config import load_config
from seedfeed.displaydate import format_display
from seedfeed.languages import shipped_tables
from seedfeed.writers import html

LOCALES = sorted({table.babel_locale for table in shipped_tables().values() if table.babel_locale != "_common"})
LANGUAGES = sorted(code for code in shipped_tables() if code != "_common")
# A flexible day period ("in the morning"), which displaydate leaves to Babel.
BABEL_TIMES = {"zh_Hant"}
# The kept data is used only with the Babel it was taken from (tests/test_dates.py rewrites it).
SAME_BABEL = json.loads(dates.CLDR_NAMES.read_text(encoding="utf-8"))["babel"] == babel.__version__

_DATES = st.dates(min_value=date(1000, 1, 1), max_value=date(2999, 12, 31))
_TIMES = st.times()


def test_every_shipped_language_has_its_display_names() -> None:
    for locale in LOCALES:
        fresh = dates.babel_display_names(locale)
        assert fresh is not None, locale
        # Another Babel's data is never used: Babel is asked instead.
        assert dates.display_names(locale) == (fresh if SAME_BABEL else None)


@settings(max_examples=60, deadline=None)
@given(day=_DATES, clock=_TIMES)
def test_dates_and_times_are_written_as_babel_writes_them(day: date, clock: time) -> None:
    for locale in LOCALES:
        known = dates.babel_display_names(locale)
        assert known is not None
        assert format_display(day, known.date, known) == format_date(day, format="long", locale=locale), locale
        written = format_display(clock, known.time, known)
        if locale in BABEL_TIMES:
            assert written is None  # left to Babel, not guessed
        else:
            assert written == format_time(clock, format="short", locale=locale), locale


@pytest.mark.parametrize("moment", [time(0, 5), time(11, 59), time(12, 0), time(12, 30), time(23, 1)])
def test_the_hours_around_noon_and_midnight_are_babels(moment: time) -> None:
    for locale in sorted(set(LOCALES) - BABEL_TIMES):
        known = dates.babel_display_names(locale)
        assert known is not None
        assert format_display(moment, known.time, known) == format_time(moment, format="short", locale=locale)


def test_a_field_displaydate_does_not_write_gives_none() -> None:
    known = dates.babel_display_names("en")
    assert known is not None
    assert format_display(date(2024, 10, 18), ("week ", ("w", 1)), known) is None
    assert format_display(date(2024, 10, 18), (("M", 3),), known) is None  # abbreviated: not kept
    assert format_display(time(9, 0), (("B", 1),), known) is None
    assert format_display(date(2024, 10, 18), ("'", ("d", 2), "."), known) == "'18."


@pytest.mark.parametrize("language", [*LANGUAGES, "sw", "en-US", "zz"])
def test_pages_show_the_dates_and_directions_babel_gives(language: str, seeds_dir: Path) -> None:
    config = load_config(seeds_dir)
    moments = [
        datetime(2024, 10, 18, tzinfo=UTC),
        datetime(2024, 10, 18, 9, 41, tzinfo=timezone(timedelta(hours=7))),
        datetime(1999, 1, 2, 23, 59, 30, tzinfo=UTC),
    ]
    for moment in moments:
        local = moment.astimezone(config.time_zone)
        has_time = (local.hour, local.minute) != (0, 0)
        expected = html._babel_display_date(local, language, has_time=has_time)
        assert html.format_display_date(moment, config, language) == expected
    by_babel = "rtl" if html._locale(language).character_order == "right-to-left" else "ltr"
    table = shipped_tables().get(language)
    assert html.find_direction(config, language) == (
        "rtl" if table is not None and table.direction == "rtl" else by_babel
    )
    # Babel's own locale data says the same (Arabic is written right to left).
    if language == "ar":
        assert Locale.parse("ar").character_order == "right-to-left"


def test_a_page_in_a_shipped_language_does_not_load_babel(seeds_dir: Path) -> None:
    """What saves a rebuild the import of Babel and its locale data: checked in a fresh interpreter."""
    script = (
        "import sys\n"
        "from datetime import datetime, timezone, timedelta\n"
        "from pathlib import Path\n"
        "from seedfeed.config import load_config\n"
        "from seedfeed.writers import html\n"
        f"config = load_config(Path({str(seeds_dir)!r}))\n"
        "moment = datetime(2024, 10, 18, 9, 41, tzinfo=timezone(timedelta(hours=7)))\n"
        "texts = [html.format_display_date(moment, config, lang) for lang in ('id', 'en', 'vi', 'ar')]\n"
        "directions = [html.find_direction(config, lang) for lang in ('id', 'ar')]\n"
        "print('babel' in sys.modules, texts[0], directions)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded, *rest = done.stdout.split(" ", 1)
    assert loaded == str(not SAME_BABEL), done.stdout
    assert "Oktober 2024" in rest[0]
    assert "['ltr', 'rtl']" in rest[0]
