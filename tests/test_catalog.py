"""Light records: an entry head gives back its entry's notices, path for path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import REFERENCE_SEED
from seedfeed.article import parse_article
from seedfeed.cache import SharedNotes, _is_same, _shared_notes, digest_inputs
from seedfeed.catalog import OWN_FILE, EntryCatalog, EntryHead, SeedFacts, seeds_folder
from seedfeed.config import load_config
from seedfeed.convert import dates_of, to_entry
from seedfeed.model import Entry
from seedfeed.seeds import read_seed

_SEGMENT = st.sampled_from(["a", "b", "seeds", ".", "..", "", "x y", "é", "s100k", "001_ab.txt"])


@given(
    texts=st.lists(
        st.tuples(st.booleans(), st.integers(0, 3), st.lists(_SEGMENT, min_size=0, max_size=4)).map(
            lambda t: "/" * t[1] * t[0] + "/".join(t[2])
        ),
        min_size=1,
        max_size=6,
    )
)
def test_notice_paths_are_the_paths_the_notes_name(texts: list[str]) -> None:
    """Whatever the path strings (as ``str(Path)`` writes them), each notice's path is that Path, equal and alike."""
    written = [str(Path(text)) for text in texts]
    head = _head(tuple((text, index, f"note {index}") for index, text in enumerate(written)))
    shared: dict[str, Path] = {}
    notices = head.notices("seeds/", shared)  # no note of the seed's own file: the folder is not used
    assert [str(n.path) for n in notices] == written
    assert [n.path for n in notices] == [Path(text) for text in written]
    assert [n.path.parts for n in notices] == [Path(text).parts for text in written]
    assert [(n.line, n.message) for n in notices] == [(i, f"note {i}") for i in range(len(written))]
    # A second head's notices share the Paths the first one made.
    again = head.notices("seeds/", shared)
    assert all(a.path is b.path for a, b in zip(notices, again, strict=True))


def test_head_notices_equal_the_entry_notices(seeds_dir: Path) -> None:
    """The reference seed's notices, kept in its head as plain tuples, come back as the entry's own values."""
    config = load_config(seeds_dir)
    first_seen = datetime(2024, 10, 20, 8, 0, tzinfo=UTC)
    article = parse_article(read_seed(seeds_dir / REFERENCE_SEED.name), config, first_seen=first_seen)
    entry = to_entry(article, dates_of(SeedFacts.of(article), first_seen), config)
    assert entry.notices, "the reference seed's year is inferred: a notice"
    head = EntryHead.of(entry, digest_inputs(entry))
    # The head does not hold the seed's own path (a string per seed): it is its folder's and its stem's.
    assert {path for path, _line, _message in head.notes} == {OWN_FILE}
    folder = seeds_folder(seeds_dir)
    assert tuple(head.notices(folder)) == entry.notices
    assert [str(n) for n in head.notices(folder)] == [str(n) for n in entry.notices]
    assert list(head.full_notes(folder)) == [(str(n.path), n.line, n.message) for n in entry.notices]


@pytest.mark.parametrize("folder", [".", "/", "seeds", "./seeds", "a/b/", "/srv/news seeds", "..", "é/ü"])
def test_a_seeds_folder_string_joined_to_a_name_is_the_seeds_path(folder: str) -> None:
    assert seeds_folder(Path(folder)) + "001_a.txt" == str(Path(folder) / "001_a.txt")


def _head(notes: tuple[tuple[str, int | None, str], ...]) -> EntryHead:
    moment = datetime(2024, 10, 18, tzinfo=UTC)
    return EntryHead(
        stem="s",
        id="tag:example.org,2024:s",
        title="t",
        published=moment,
        updated=moment,
        date_source="text",
        digest=b"d",
        notes=notes,
    )


def test_a_cached_time_stands_for_another_only_with_the_same_fields_and_a_zone_alike() -> None:
    # Each worker process unpickles its own zone objects: alike, they may be shared.
    seven = datetime(2024, 3, 5, 7, 30, tzinfo=timezone(timedelta(hours=7)))
    alike = datetime(2024, 3, 5, 7, 30, tzinfo=timezone(timedelta(hours=7)))
    assert seven.tzinfo is not alike.tzinfo
    assert _is_same(seven, alike)
    # A named zone prints its name (%Z): not alike.
    assert not _is_same(seven, alike.replace(tzinfo=timezone(timedelta(hours=7), "WIB")))
    assert not _is_same(seven, seven.astimezone(UTC))  # the same moment at another wall time
    assert not _is_same(seven, seven.replace(fold=1))
    assert not _is_same(seven, seven + timedelta(seconds=1))


def test_shared_notes_keep_their_values_with_one_path_string_and_interned_messages() -> None:
    # As a worker's pickle gives them: equal strings, each its own object.
    path = "/site/seeds/a.txt"
    message = "language 'en' (detected) differs from the feed's 'id'"
    notes = ((path + "", None, message[:10] + message[10:]), ("".join(path), 2, "".join(message)))
    assert notes[0][0] is not notes[1][0]
    assert notes[0][2] is not notes[1][2]
    shared = _shared_notes(notes)
    assert shared == notes
    assert shared[0][0] is shared[1][0]
    assert shared[0][2] is shared[1][2]
    # A head of another seed with the same message shares it too; already shared notes are returned as they are.
    other = _shared_notes((("/site/seeds/b.txt", None, "".join(message)),))
    assert other[0][2] is shared[0][2]
    assert _shared_notes(shared) is shared
    assert _shared_notes(()) == ()
    # Notes of another file (a caption's source) keep their own path.
    mixed = _shared_notes(((path, 1, "x"), ("/elsewhere.txt", 2, "y")))
    assert [note[0] for note in mixed] == [path, "/elsewhere.txt"]


def test_shared_notes_make_equal_notes_on_no_line_one_tuple_among_seeds() -> None:
    seen = SharedNotes({}, {})
    language = "language 'en' (detected) differs from the feed's 'id'"
    # Two seeds' notes as their workers' pickles give them: equal, each its own tuple.
    first = ((OWN_FILE, None, "".join(language)),)
    second = (("".join([OWN_FILE]), None, language[:9] + language[9:]),)
    assert first == second
    assert first is not second
    a, b = _shared_notes(first, seen), _shared_notes(second, seen)
    assert a == first
    assert b == second
    assert a is b  # the set of notes, and so its one note
    # A note on a line (a year inferred from a date in the text) is left to its seed;
    # a note on no line beside it is still the one tuple.
    year = (OWN_FILE, 2, "year inferred: '3 September' (year inferred from 'November 2024')")
    c = _shared_notes(((OWN_FILE, None, "".join(language)), year), seen)
    d = _shared_notes(((OWN_FILE, None, "".join(language)), (year[0], year[1], year[2][:5] + year[2][5:])), seen)
    assert c == d
    assert c is not d
    assert c[0] is a[0]
    assert d[0] is a[0]
    assert c[1] is not d[1]
    assert all(key[1] is None for key in seen.notes)


def test_a_catalog_that_forgot_its_loaded_entries_loads_them_again(seeds_dir: Path) -> None:
    config = load_config(seeds_dir)
    first_seen = datetime(2024, 10, 20, 8, 0, tzinfo=UTC)
    article = parse_article(read_seed(seeds_dir / REFERENCE_SEED.name), config, first_seen=first_seen)
    entry = to_entry(article, dates_of(SeedFacts.of(article), first_seen), config)
    head = EntryHead.of(entry, digest_inputs(entry))
    loads: list[str] = []

    def load(wanted: EntryHead) -> Entry:
        loads.append(wanted.stem)
        return entry

    catalog = EntryCatalog([head], load)
    assert catalog.entry(head) is entry
    assert catalog.entry(head) is entry
    assert loads == [head.stem]
    catalog.forget_loaded()
    assert catalog.entry(head) == entry
    assert loads == [head.stem, head.stem]
