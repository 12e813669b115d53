"""The no-op snapshot: what a build left, so that a build with nothing to do can skip itself.

Most builds change nothing: a cron job or a CI step runs ``seedfeed build``
over a folder nobody touched. Such a build still reads ten thousand cached
parses and renders nothing, and importing the library alone costs more than
the answer is worth. So every successful build that is not withheld records,
under the build lock and after everything is written, a snapshot in
``OUT/.seedfeed-cache/noop``: everything the outputs depend on (the stats
themselves, compared whole: cheaper than hashing them, and no two states
collide), and the report the command prints for a rebuild that finds nothing
new, as the text it prints.
The ``build`` command reads it before importing the library (only
:func:`load_noop_report` and this module's light imports run), under the same
lock, and when every part still matches prints the stored report and exits as
the full build would. Library callers of ``build()`` never read it.

What the snapshot covers, and why that is everything a build reads:

- seedfeed's own files (name, size, mtime, inode of every file of the
  package: code, templates, language data) and the interpreter (version,
  prefix): a superset of the parse cache's code fingerprint;
- the seeds folder as given (reports and rejections name seeds by it);
- feed.toml's bytes (the snapshot is recorded only when they parse to the
  configuration the build used: not for a preview's own base URL);
- the ledger's stat (recorded only for the ledger beside the seeds);
- name, size, mtime_ns, inode and ctime_ns of every file ``list_seeds`` lists, the
  test the parse cache trusts to skip reading a seed; a stale temporary file
  of a killed build in the seeds folder counts as a change, since a build
  would remove it;
- path, size, mtime_ns, inode and ctime_ns of every file under the output folder but
  in hidden folders (the cache, a checkout's ``.git``): a deleted, edited or
  extra output (a killed build's temp file) means a full build, which
  repairs it;
- whether any seed was rejected: a ``--strict`` build then writes nothing
  and reports otherwise, so it takes the full path.

``--jobs`` and ``--no-cache`` change no byte of the output; ``--no-cache``
skips the snapshot anyway. ``--quiet`` only chooses what of the stored
report is printed. The report is stored in the form the build printed (text,
or JSON with ``--json``): a command asking for the other form takes the full
build once, which stores that form. The progress bar a slow build shows on a terminal
is not part of the report: a build with nothing to do is not slow.

Why the stored report is what a rebuild would print. A rebuild reads the same
seeds, configuration and ledger the build left, so it computes the same
thing, except where the build's own writes and its clock come in:

- ``now`` is recorded only for events: a seed first seen, edited or gone.
  Given the ledger the build wrote, the rebuild finds no event: every
  published seed has its record (so it is ``unchanged``, its published and
  updated times come from the record), nothing is gone, the tombstones are
  those the ledger keeps, and their expiry is measured from the ledger's
  newest event, not from the clock. Nothing is written, so ``written`` is
  empty and no hub is told.
- A seed is parsed with its first-seen time, which may supply a missing
  year. The rebuild parses with the first-seen time of the record the build
  wrote; that is the time the build parsed with, except for a seed renamed
  with its front matter id kept, or one whose id changed under the same
  name. For those the snapshot is not recorded (:func:`noop_report`).
- A rejected seed that was never published has no record, and is parsed
  again with a new first-seen time; a rejection never depends on it (a seed
  is rejected for its bytes, its title, its front matter or its id, never
  for a date the text lacks).
- Notices repeat, except the ledger's own (a corrupt ledger is replaced once).
  The rebuild lists each entry's notices in the order of the ledger's arrival
  numbers, which a first build had yet to give: the stored report does so.
  Any notice of another origin means no snapshot.

Races. The snapshot is taken at the end of a build, but the build read its
inputs at the start: a seed edited in between would be recorded with its
new stat beside a report of its old text. So a seed's stat vouches for it
only when it was last changed at least :data:`SETTLE_NS` before the build's
``now``, by its ctime, which no program can set back. A seed changed later
than that is recorded with the digest of the bytes the build read
(``unsettled``, at most :data:`UNSETTLED_MAX` of them), and the next build
reads it again and compares, until it settles: a build right after an
arrival (watch mode, a steady feed of new seeds) still leaves a snapshot.
The ledger, unless the build wrote it, must have settled; and the seeds
listed at the end must be the seeds the report accounts for (a seed deleted
during the build leaves no ctime). This trusts the clock not to be stepped
back by more than that margin, and nothing but seedfeed to write the output
folder during a build.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import islice
from json.encoder import encode_basestring as _encode_string  # C, as json.dumps uses
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from seedfeed.fsutil import build_lock

if TYPE_CHECKING:
    from seedfeed.build import BuildReport
    from seedfeed.catalog import EntryHead
    from seedfeed.config import FeedConfig
    from seedfeed.ledger import Change, Ledger
    from seedfeed.model import Notice, Tombstone

# The parse cache's folder (seedfeed.cache.CACHE_DIR, which a test keeps equal):
# importing that module would cost the fast path what it saves.
CACHE_DIR = ".seedfeed-cache"
SNAPSHOT_NAME = "noop"
# Bump when the layout of the snapshot changes.
FORMAT = 7
# The header's length, after it at the end of the file.
_TRAILER = 8
# How long before a build's `now` its inputs must have last changed: more than
# the coarsest timestamp granularity in use (FAT: 2 s) and the kernel's coarse
# clock lag (a jiffy), so that a change after `now` never looks older.
SETTLE_NS = 2_000_000_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The printed parts a snapshot keeps, in the order they follow its header line.
_SECTIONS = ("errors", "warnings", "lines", "json", "base")
# The forms of the report the command prints, and the parts each form needs.
REPORT_FORMS = ("text", "json")
_FORM_SECTIONS = {"text": ("errors", "warnings", "lines"), "json": ("errors", "warnings", "json")}


class FinishedBuild(NamedTuple):
    """What a finished build read and wrote, beside its report: what its snapshot is made from."""

    seeds_dir: Path
    out_dir: Path
    config: FeedConfig
    ledger_path: Path
    before: Ledger  # the ledger the build read
    after: Ledger  # the ledger it wrote
    now: datetime  # the build's time
    # The latest ctime of a seed the build saw (0: unknown): a seed that
    # changed too near ``now`` spares the scan, unless ``recent`` vouches for it.
    newest_seed_change_ns: int = 0
    # The forms of the report recorded (``REPORT_FORMS``): the command records
    # the one it printed, since rendering the JSON report of ten thousand
    # entries costs a third of a rebuild; a later command asking for a form
    # not recorded takes the full build, which records it.
    forms: Collection[str] = REPORT_FORMS
    # The hex digests of the bytes the build read of the seeds it saw changed
    # too near ``now`` (``recent_digests``): the snapshot has the next build
    # check those seeds by their bytes until they settle, as an append does.
    recent: Mapping[str, str] | None = None
    # False: a build without the parse cache (``--no-cache``), which leaves none of it, this snapshot included.
    is_cached: bool = True


# At most this many seeds are checked by their bytes (``unsettled``); a build that saw more changed
# too near its time records no snapshot (a folder just copied in: the next build records it).
UNSETTLED_MAX = 1000


def settled_ns(now: datetime) -> int:
    """Return the time (ns since the epoch) after which a change is too near ``now`` to trust a stat."""
    return (now - _EPOCH) // timedelta(microseconds=1) * 1000 - SETTLE_NS


# A part of a printed report as the pieces of its UTF-8 bytes, printed one after another.
Parts = list[bytes | memoryview]


class PrintedReport(NamedTuple):
    """What ``seedfeed build`` prints for a report, as the text it writes: the same stored or fresh.

    Each part is the lines it prints joined, without the last newline, and
    empty when there are none or the command's flags do not print them: as
    text, or as its UTF-8 bytes when it was read so (a snapshot's sections,
    megabytes at a hundred thousand entries, are printed without being
    decoded and encoded again), or as pieces of those bytes (the report of a
    build of a few seeds, spliced: never joined).
    """

    errors: str | bytes  # stderr: one "rejected: ..." line per rejected seed, by path
    warnings: str | bytes  # stderr: one "warning: ..." line per notice, unless --quiet
    lines: str | bytes | Parts  # stdout: one line per published entry, newest first, unless --quiet or --json
    summary: str  # stdout: the closing line, without the feed's path (unless --json)
    json: str | bytes | Parts  # stdout: the --json object as printed
    is_failed: bool  # a seed was rejected: exit code 1
    # What made it: "build" (a build), "noop" (the snapshot of a build with nothing
    # to do), "append" (a build of only the new seeds, ``append.py``).
    answered_by: str = "build"


def report_json(report: BuildReport, *, is_lazy: bool = False) -> dict[str, object]:
    """Return the stable JSON object ``build --json`` prints.

    ``is_lazy``: its lists as iterators, made item by item as they are read.
    """
    lazy: Callable[[Iterable[object]], object] = iter if is_lazy else list
    changes = report.changes
    return {
        "withheld": report.is_withheld,
        "published": len(report.heads),
        "new": report.count("new"),
        "updated": report.count("updated"),
        "removed": len(report.removed),
        "unchanged": report.count("unchanged"),
        "removed_ids": lazy(report.removed),
        "tombstones": lazy(map(tombstone_json, report.tombstones)),
        "documents": lazy(report.documents),
        "rejected": lazy({"path": str(e.path), "line": e.line, "problem": e.problem} for e in report.rejected),
        "notices": lazy(_notices_json(report.notices)),
        "written": lazy(report.written),
        "entries": lazy(entry_json(e, changes.get(e.stem)) for e in report.heads),
    }


def tombstone_json(tombstone: Tombstone) -> dict[str, object]:
    """Return a tombstone as the JSON report lists it."""
    return {"ref": tombstone.ref, "when": tombstone.when.isoformat()}


def notice_json(notice: Notice) -> dict[str, object]:
    """Return a notice as the JSON report lists it."""
    return {"path": str(notice.path), "line": notice.line, "message": notice.message}


def _notices_json(notices: Sequence[Notice]) -> Iterator[dict[str, object]]:
    """Yield a report's notices as the JSON report lists them (a full build's from its heads' notes)."""
    from seedfeed.catalog import HeadNotices  # the fast path never gets here

    if isinstance(notices, HeadNotices):
        return ({"path": path, "line": line, "message": message} for path, line, message in notices.plain())
    return map(notice_json, notices)


def entry_json(head: EntryHead, change: str | None) -> dict[str, object]:
    """Return a published entry (its head) and its change as the JSON report lists them."""
    return {"id": head.id, "title": head.title, "published": head.published.isoformat(), "change": change}


def indented_json(value: object, level: int = 0) -> str:
    """Return ``json.dumps(value, ensure_ascii=False, indent=2)`` for JSON's own types, faster.

    The standard library encodes with indentation in Python, value by value
    through generators: for the report of ten thousand entries, a third of a
    second on every build that records a snapshot. This encodes each string
    in C (``json.encoder``'s own function) and joins the rest; a test checks
    it against ``json.dumps`` on arbitrary values.
    """
    if isinstance(value, str):
        return _encode_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return json.dumps(value)
    inner = "\n" + "  " * (level + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (f"{_encode_string(_key(key))}: {indented_json(item, level + 1)}" for key, item in value.items())
        return "{" + inner + ("," + inner).join(items) + "\n" + "  " * level + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return (
            "["
            + inner
            + ("," + inner).join(indented_json(item, level + 1) for item in value)
            + "\n"
            + "  " * level
            + "]"
        )
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _key(key: object) -> str:
    # json.dumps's own rules for keys that are not strings.
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if key is True or key is False:
        return "true" if key else "false"
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return json.dumps(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _error_lines(report: BuildReport) -> Iterator[str]:
    return (f"rejected: {error}" for error in report.rejected)


def _warning_lines(report: BuildReport) -> Iterator[str]:
    from seedfeed.catalog import HeadNotices  # the fast path never gets here
    from seedfeed.model import located

    notices = report.notices
    if isinstance(notices, HeadNotices):
        # As str(Notice) writes them, from the notes' strings: no Path per notice.
        return (f"warning: {located(*note)}" for note in notices.plain())
    return (f"warning: {notice}" for notice in notices)


def _entry_lines(report: BuildReport) -> Iterator[str]:
    changes = report.changes
    return (entry_line(changes.get(entry.stem, "unchanged"), entry) for entry in report.heads)


def entry_line(change: str, head: EntryHead) -> str:
    """Return an entry's line of the printed report."""
    return f"{change:9} {head.published.date()}  {head.title}"


def printed_report(report: BuildReport, *, is_json: bool, is_quiet: bool) -> PrintedReport:
    """Return what the build command prints for a report with these flags."""
    parts = printed_parts(report, is_json=is_json, is_quiet=is_quiet)
    return PrintedReport(
        errors="".join(parts.errors),
        warnings="".join(parts.warnings),
        lines="".join(parts.lines),
        summary=parts.summary,
        json="".join(parts.json),
        is_failed=parts.is_failed,
    )


class PrintedParts(NamedTuple):
    """``PrintedReport``'s parts as pieces of text, made as they are read: joined, they are its parts."""

    errors: Iterator[str]
    warnings: Iterator[str]
    lines: Iterator[str]
    summary: str
    json: Iterator[str]
    is_failed: bool


def printed_parts(report: BuildReport, *, is_json: bool, is_quiet: bool) -> PrintedParts:
    """Return what the build command prints for a report, in pieces (``printed_report`` joins them).

    A build of a hundred thousand seeds prints tens of megabytes: printed a
    piece at a time, the whole text is never held (nor its encoded copy).
    """
    return PrintedParts(
        errors=_joined_chunks(_error_lines(report)),
        warnings=iter(()) if is_quiet else _joined_chunks(_warning_lines(report)),
        lines=iter(()) if is_quiet or is_json else _joined_chunks(_entry_lines(report)),
        summary=report.summary(),
        json=_json_chunks(report) if is_json else iter(()),
        is_failed=bool(report.rejected),
    )


# Lines or JSON items joined per chunk before they are encoded and written:
# a snapshot of a hundred thousand entries is never held whole.
_CHUNK = 2000


def _joined_chunks(lines: Iterator[str]) -> Iterator[str]:
    """Yield ``"\n".join(lines)`` in pieces."""
    separator = ""
    while chunk := list(islice(lines, _CHUNK)):
        yield separator + "\n".join(chunk)
        separator = "\n"


def _json_chunks(report: BuildReport) -> Iterator[str]:
    """Yield ``indented_json(report_json(report))`` in pieces, its long lists item by item."""
    inner = "\n  "
    separator = "{" + inner
    for key, value in report_json(report, is_lazy=True).items():
        head = f"{separator}{_encode_string(key)}: "
        separator = "," + inner
        if not isinstance(value, Iterator):
            yield head + indented_json(value, 1)
            continue
        first = next(value, _NOTHING)
        if first is _NOTHING:
            yield head + "[]"
            continue
        yield head + "[\n    " + indented_json(first, 2)
        while chunk := list(islice(value, _CHUNK)):
            yield ",\n    " + ",\n    ".join(indented_json(item, 2) for item in chunk)
        yield "\n  ]"
    yield "\n}"


_NOTHING = object()


def noop_report(
    report: BuildReport, *, before: Ledger, after: Ledger, ledger_path: Path, now: datetime
) -> BuildReport | None:
    """Return the report a rebuild of what this build left would give; None when that is not certain.

    ``before`` is the ledger the build read, ``after`` the one it wrote, and
    ``now`` the build's time. See the module's docstring for why the result
    is that report.
    """
    from dataclasses import replace  # the fast path never gets here

    if report.is_withheld:
        return None
    for stem in report.changes:
        record = after.records.get(stem)
        old = before.records.get(stem)
        # This build parsed the seed with the first-seen time of the record
        # of its name, or its own time; a rebuild parses with the new record's.
        if record is None or record.first_seen != (old.first_seen if old is not None else now):
            return None
    notices: Sequence[Notice] | None = _notices_by_arrival(report, after, ledger_path)
    if notices is None:
        heads = sorted(report.heads, key=lambda head: (after.records[head.stem].arrival, head.stem))
        counted = _notices_counted(report, heads, ledger_path)
        notices = None if counted is None else tuple(counted)
    if notices is None:
        return None
    return replace(
        report,
        changes=_Unchanged(report.changes),
        removed=(),
        written=(),
        changed_feeds=(),
        notices=notices,
    )


class _Unchanged(Mapping[str, "Change"]):
    """The changes a rebuild with nothing to do reports: each of a build's stems, unchanged.

    A view of the build's own changes, not a dict of its own: a table of
    every seed (5 MB at 100,000) made when the snapshot is, where a build
    holds the most.
    """

    def __init__(self, stems: Mapping[str, object]) -> None:
        self._stems = stems

    def __getitem__(self, stem: str) -> Change:
        if stem not in self._stems:
            raise KeyError(stem)
        return "unchanged"

    def __iter__(self) -> Iterator[str]:
        return iter(self._stems)

    def __len__(self) -> int:
        return len(self._stems)


def _notices_by_arrival(report: BuildReport, after: Ledger, ledger_path: Path) -> Sequence[Notice] | None:
    """Return the report's notices of its entries by the entries' arrival; None unless they are its catalog's.

    A full build's report holds the notes of its catalog's heads, in the
    catalog's order, after the ledger's own (``HeadNotices``): the same
    heads are put in arrival order, and no notice is made (at 100,000
    seeds, tens of megabytes where a build holds the most). A report whose
    notices are listed otherwise is checked notice by notice against the
    heads' notes, and the same notice objects are put in arrival order.
    """
    from seedfeed.catalog import HeadNotices, seeds_folder  # the fast path never gets here

    catalog = report.catalog
    if catalog is None:
        return None
    records = after.records
    heads = catalog.heads
    notices = report.notices
    if isinstance(notices, HeadNotices) and notices.heads is heads:
        if any(notice.path != ledger_path for notice in notices.own):
            return None  # a notice of another origin
        order = _arrival_order(array("q", [records[head.stem].arrival for head in heads]), heads)
        return HeadNotices((), [heads[index] for index in order], notices.seeds_dir)
    own = [notice for notice in notices if notice.path != ledger_path]
    starts = array("q")  # where each head's notices start in ``own``, in the catalog's order
    position = 0
    folder = seeds_folder(ledger_path.parent)
    for head in catalog.heads:
        starts.append(position)
        for path, line, message in head.full_notes(folder):
            if position == len(own):
                return None
            notice = own[position]
            if notice.line != line or notice.message != message or str(notice.path) != path:
                return None
            position += 1
    if position != len(own):
        return None
    starts.append(position)
    order = _arrival_order(array("q", [records[head.stem].arrival for head in heads]), heads)
    return [notice for index in order for notice in own[starts[index] : starts[index + 1]]]


def _arrival_order(arrivals: array[int], heads: Sequence[EntryHead]) -> list[int]:
    """Return the indexes of ``heads`` by their arrival numbers (``arrivals``, by index), then by stem.

    Sorted by the numbers alone, no tuple per head, when no two are the
    same (a ledger numbers each arrival once); by both otherwise.
    """
    from itertools import pairwise  # the fast path never gets here

    order = sorted(range(len(heads)), key=arrivals.__getitem__)
    if any(arrivals[a] == arrivals[b] for a, b in pairwise(order)):
        order.sort(key=lambda index: (arrivals[index], heads[index].stem))
    return order


def _notices_counted(report: BuildReport, heads: Sequence[EntryHead], ledger_path: Path) -> list[Notice] | None:
    """Return the heads' notices in their order; None unless the report's notices are theirs (and the ledger's).

    For a report without the catalog it was made from.
    """
    from collections import Counter  # the fast path never gets here

    from seedfeed.catalog import seeds_folder

    # Each notice is taken off the count of the heads' notes, the ledger's own
    # aside: one left over, or one not counted, is of another origin. Compared
    # as plain tuples (a Notice hashes in Python), made one at a time.
    folder = seeds_folder(ledger_path.parent)
    expected = Counter(note for head in heads for note in head.full_notes(folder))
    for notice in report.notices:
        if notice.path == ledger_path:
            continue
        key = (str(notice.path), notice.line, notice.message)
        left = expected.get(key, 0)
        if not left:
            return None
        expected[key] = left - 1
    if any(expected.values()):
        return None
    del expected
    paths = {str(n.path): n.path for n in report.notices}
    return [notice for head in heads for notice in head.notices(folder, paths)]


def save_snapshot(report: BuildReport, build: FinishedBuild) -> BuildReport:
    """Record what a finished build left, for the next ``seedfeed build``; return the report unchanged.

    Call under the build lock, after every write. When a rebuild's report
    cannot be known for sure, any earlier snapshot is removed instead. Never
    raises for the file system: a snapshot is only ever a shortcut.
    """
    path = build.out_dir / CACHE_DIR / SNAPSHOT_NAME
    try:
        parts = _render_snapshot(report, build)
        if parts is None:
            path.unlink(missing_ok=True)
        else:
            from seedfeed.fsutil import write_disposable  # the fast path never gets here

            path.parent.mkdir(parents=True, exist_ok=True)
            # Written as it is made: the report of a hundred thousand entries is never held whole.
            write_disposable(path, parts)
    except OSError:
        # A snapshot that cannot be written must not outlive the state it described;
        # one that cannot even be removed holds stats this build's writes changed.
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
    return report


def _render_snapshot(report: BuildReport, build: FinishedBuild) -> Iterator[bytes | memoryview] | None:
    """Return the snapshot file's bytes as parts made as they are read; None when this state must not be snapshotted."""
    seeds_dir, out_dir, config, ledger_path, before, after, now, newest_seed_change_ns, forms, recent, is_cached = build
    import tomllib  # the fast path never gets here

    from seedfeed.config import CONFIG_NAME, parse_config
    from seedfeed.errors import ConfigError
    from seedfeed.ledger import LEDGER_NAME
    from seedfeed.seeds import SEED_SUFFIX, list_seed_names

    if ledger_path != seeds_dir / LEDGER_NAME or not is_cached:
        return None  # a preview's own ledger, which the command never builds with; or no cache kept
    settled = settled_ns(now)
    if newest_seed_change_ns > settled and not recent:
        return None  # a seed the build saw changed too near its start: no scan needed to say so
    # The cheap refusals first: a build right after a new or edited seed (the
    # common case of a changing build) pays one scan of the seeds, no more.
    scanned = _scan_seeds(seeds_dir, SEED_SUFFIX)
    if scanned is None or scanned.names != list_seed_names(seeds_dir):
        return None
    ledger_stat = _stat_row(ledger_path)
    if ledger_path.name not in report.written and ledger_stat is not None and ledger_path.stat().st_ctime_ns > settled:
        return None  # changed too near the build's start: perhaps after it read it
    # Changed too near the build's start, perhaps after it read them: the next build reads them
    # again and compares their bytes with those this build read (none known: no snapshot).
    unsettled: dict[str, str] = {}
    for name, ctime in zip(scanned.names, scanned.ctimes, strict=True):
        if ctime > settled:
            digest = recent.get(name) if recent else None
            if digest is None or len(unsettled) >= UNSETTLED_MAX:
                return None
            unsettled[name] = digest
    if not _is_accounted(report, scanned.names, SEED_SUFFIX):
        return None  # a seed came or went during the build
    noop = noop_report(report, before=before, after=after, ledger_path=ledger_path, now=now)
    if noop is None:
        return None
    config_path = seeds_dir / CONFIG_NAME
    config_bytes = config_path.read_bytes()
    try:
        if parse_config(tomllib.loads(config_bytes.decode("utf-8")), config_path) != config:
            return None  # a configuration of the caller's, or feed.toml edited during the build
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, ConfigError):
        return None
    names = {"config": CONFIG_NAME, "ledger": LEDGER_NAME, "suffix": SEED_SUFFIX}
    state = _state(seeds_dir, out_dir, names, config_bytes=config_bytes, seeds=scanned, ledger=ledger_stat)
    if state is None:
        return None
    from seedfeed.append import append_base

    # Made when its turn comes, once the state and the report are written: not held with them.
    return _snapshot_parts(noop, names, state, forms, append_base(noop, after, config), unsettled=unsettled)


def _is_accounted(report: BuildReport, names: Sequence[str], suffix: str) -> bool:
    """Return whether the report accounts for exactly the seed files ``names`` (unique), each once.

    By counts and look-ups, not by comparing sorted lists of stems: those
    were two new strings per seed when a large build holds the most.
    """
    changes = report.changes
    rejected = {error.path.stem for error in report.rejected}
    if len(changes) + len(report.rejected) != len(names) or len(rejected) != len(report.rejected):
        return False
    return all((stem in changes) != (stem in rejected) for name in names for stem in (name[: -len(suffix)],))


def _snapshot_parts(
    noop: BuildReport,
    names: dict[str, str],
    state: Iterator[bytes],
    forms: Collection[str],
    base: Iterable[bytes],
    *,
    unsettled: Mapping[str, str],
) -> Iterator[bytes | memoryview]:
    """Yield the snapshot file of a build: the state, each printed section, the append base (``base``), the header."""
    makers: dict[str, Callable[[], Iterator[str]]] = {
        "errors": lambda: _joined_chunks(_error_lines(noop)),
        "warnings": lambda: _joined_chunks(_warning_lines(noop)),
        "lines": lambda: _joined_chunks(_entry_lines(noop)),
        "json": lambda: _json_chunks(noop),
    }
    recorded = [form for form in REPORT_FORMS if form in forms]
    needed = {name for form in recorded for name in _FORM_SECTIONS[form]}
    sections: dict[str, Iterable[bytes | memoryview]] = {
        name: (piece.encode("utf-8") for piece in make()) for name, make in makers.items() if name in needed
    }
    sections["base"] = base
    return file_parts(
        state,
        sections,
        names=names,
        summary=noop.summary(),
        is_failed=bool(noop.rejected),
        forms=recorded,
        unsettled=unsettled,
    )


def file_parts(
    state: list[bytes] | Iterator[bytes],
    sections: Mapping[str, Iterable[bytes | memoryview]],
    *,
    names: Mapping[str, str],
    summary: str,
    is_failed: bool,
    forms: Sequence[str],
    unsettled: Mapping[str, str],
) -> Iterator[bytes | memoryview]:
    """Yield a snapshot file: the state, each section (``_SECTIONS``), then the header and its length.

    ``unsettled`` maps seeds changed too near the build's time to trust
    their stat (by name) to the hex digest of the bytes the build read: the
    check reads them again.
    """
    state_length = 0
    if isinstance(state, list):
        state = _emptied(state)
    for part in state:
        state_length += len(part)
        yield part
    lengths: list[list[int]] = []
    for name in _SECTIONS:
        length = crc = 0
        for blob in sections.get(name, ()):
            length += len(blob)
            crc = zlib.crc32(blob, crc)
            yield blob
        lengths.append([length, crc])
    header = {
        "format": FORMAT,
        "names": dict(names),
        "state": state_length,
        "summary": summary,
        "is_failed": is_failed,
        "sections": lengths,
        "forms": list(forms),
        "unsettled": dict(unsettled),
    }
    encoded = json.dumps(header, ensure_ascii=False).encode("utf-8")
    yield encoded + len(encoded).to_bytes(_TRAILER, "little")


def _emptied(parts: list[bytes]) -> Iterator[bytes]:
    """Yield each part, letting go of it in the list: megabytes not held while the rest of the file is made."""
    for index, part in enumerate(parts):
        parts[index] = b""
        yield part


def load_noop_report(
    seeds_dir: Path,
    out_dir: Path,
    *,
    is_strict: bool,
    is_json: bool,
    is_quiet: bool,
    lock_timeout: float,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PrintedReport | None:
    """Return what a build would print, when nothing it reads changed since the snapshot; else None.

    With ``now``, a folder where since then only new seeds arrived, or
    only some were edited, or only some removed, is built here, at that
    time, by building just those (``append.py``, ``update.py``), and what
    that build prints is returned (``answered_by`` says which);
    ``progress(done, total)`` is told how many new seeds are read.

    Reads the snapshot under the seeds folder's build lock, as a build
    would; raises LockError when the lock is not free within
    ``lock_timeout`` seconds. A missing, damaged or stale snapshot is None.
    """
    path = out_dir / CACHE_DIR / SNAPSHOT_NAME
    if not path.is_file():
        return None  # nothing to check: the build takes the lock itself
    # Twenty thousand stat results, all garbage a moment later: the cyclic
    # collector would walk them again and again for nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        with build_lock(seeds_dir, timeout=lock_timeout):
            try:
                found = _read_snapshot(path, seeds_dir, out_dir, is_json=is_json, can_append=now is not None)
            except (OSError, ValueError, KeyError, TypeError):
                return None
            if isinstance(found, AppendPlan):
                if now is None or (is_strict and found.is_failed):
                    return None
                if found.edited or found.removed:
                    from seedfeed.update import build_updated  # the library: only when there is something to build

                    return build_updated(found, now=now, is_quiet=is_quiet)
                from seedfeed.append import build_appended

                return build_appended(found, now=now, is_quiet=is_quiet, progress=progress)
    finally:
        if was_enabled:
            gc.enable()
    if found is None:
        return None
    text, summary, is_failed = found
    if is_strict and is_failed:
        return None  # a strict build would write nothing, and say so
    if is_quiet:
        text["lines"] = text["warnings"] = ""
    return PrintedReport(summary=summary, is_failed=is_failed, answered_by="noop", **text)


class _Aside:
    """The output folder's part of the state (``_state_outputs``), scanned in a child process beside the seeds'.

    Each scan is a stat per file, and a stat in Python is mostly the
    interpreter's time: a thread would wait for the other's lock, a forked
    process scans on another core (at a hundred thousand pages, half a
    second). Where there is no fork, or threads that a fork would leave
    broken, the folder is scanned here when asked.
    """

    def __init__(self, out_dir: Path) -> None:
        self._out_dir = out_dir
        self._pid = 0
        self._fd = -1
        threading = sys.modules.get("threading")
        if not hasattr(os, "fork") or (threading is not None and threading.active_count() > 1):
            return
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: scan, write, and go without running anything of the parent's
            status = 1
            try:
                os.close(read)
                found = _state_outputs(out_dir)
                view = memoryview(b"\0" if found is None else b"\1" + found)
                while view:
                    view = view[os.write(write, view) :]
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pid, self._fd = pid, read

    def result(self) -> bytes | None:
        """Return the output folder's part of the state; None when the folder is gone. Raises OSError."""
        if not self._pid:
            return _state_outputs(self._out_dir)
        chunks = []
        while chunk := os.read(self._fd, 1 << 20):
            chunks.append(chunk)
        os.close(self._fd)
        status = os.waitpid(self._pid, 0)[1]
        self._pid = 0
        found = b"".join(chunks)
        if status or not found:
            raise OSError("the output folder could not be scanned")
        return None if found[:1] == b"\0" else found[1:]

    def close(self) -> None:
        """Stop the scan if its result was not asked for."""
        if self._pid:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            os.close(self._fd)
            self._pid = 0


class AppendPlan(NamedTuple):
    """A snapshot whose folder has only new, edited or removed seeds since: what building just them starts from."""

    path: Path  # the snapshot file
    seeds_dir: Path
    out_dir: Path
    names: dict[str, str]  # the snapshot's names of the configuration, the ledger and the seeds' suffix
    config_bytes: bytes
    seeds: _Scan  # the seeds folder now
    new: list[str]  # the names of the seeds not in the snapshot, sorted
    edited: list[str]  # the names of the snapshot's seeds whose stat changed, sorted (never with ``new``)
    removed: list[str]  # the names of the snapshot's seeds that are gone, sorted (never with the others)
    outputs: _Scan  # the output folder, as the snapshot has it (and as it is)
    sections: dict[str, bytes]  # the snapshot's sections of the text report, and the append base
    unsettled: dict[str, str]  # the snapshot's seeds checked by digest (``file_parts``)
    is_failed: bool  # a seed was rejected


_Found = tuple[dict[str, str | bytes], str, bool] | AppendPlan | None


def _read_snapshot(path: Path, seeds_dir: Path, out_dir: Path, *, is_json: bool, can_append: bool) -> _Found:
    """Return the snapshot's printed sections, summary and failure when nothing changed; an AppendPlan; or None."""
    with path.open("rb") as fh:
        # The header is last, with its length after it: the snapshot is written as it is made.
        size = fh.seek(0, os.SEEK_END)
        if size < _TRAILER:
            return None
        fh.seek(size - _TRAILER)
        length = int.from_bytes(fh.read(_TRAILER), "little")
        if length > size - _TRAILER:
            return None
        fh.seek(size - _TRAILER - length)
        header = json.loads(fh.read(length))
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            return None
        fh.seek(0)
        aside = _Aside(out_dir)
        try:
            return _compare(path, fh, header, aside, seeds_dir, out_dir, is_json=is_json, can_append=can_append)
        finally:
            aside.close()


def _compare(
    path: Path,
    fh: BinaryIO,
    header: dict[str, Any],
    aside: _Aside,
    seeds_dir: Path,
    out_dir: Path,
    *,
    is_json: bool,
    can_append: bool,
) -> _Found:
    """Compare the snapshot (open at its start, with its header) with the folders; see ``_read_snapshot``."""
    names = header["names"]
    seeds = _scan_seeds(seeds_dir, names["suffix"])
    if seeds is None:
        return None
    config_bytes = (seeds_dir / names["config"]).read_bytes()
    head = _state_head(
        seeds_dir, names, config_bytes=config_bytes, seeds=seeds, ledger=_stat_row(seeds_dir / names["ledger"])
    )
    state_length = header["state"]
    # The seeds compared before the output folder's scan is waited for: a build
    # after an edited seed does not wait for it.
    stored = fh.read(len(head))
    plan: _Changed | None = None
    if stored != head:
        if not can_append:
            return None
        fh.seek(0)
        plan = _changed_seeds(fh.read(state_length), head, seeds)
        if plan is None:
            return None
    outputs = aside.result()
    if outputs is None:
        return None
    if plan is not None:
        if plan.outputs != outputs:
            return None
    elif len(head) + len(outputs) != state_length or fh.read(len(outputs)) != outputs:
        return None
    unsettled = header["unsettled"]
    # Seeds edited or removed since are built again, or gone: their digests are not compared.
    changed = {*plan.edited, *plan.removed} if plan is not None else set()
    if not isinstance(unsettled, dict) or not all(
        name in changed or _is_as_read(seeds_dir / name, digest) for name, digest in unsettled.items()
    ):
        return None
    form = "json" if is_json else "text"
    if form not in header["forms"]:
        return None  # the last build printed the other form: this one records it
    wanted = {"errors", "warnings", "json" if is_json else "lines"}
    if plan is not None:
        wanted.add("base")
    blobs: dict[str, bytes] = {}
    start = state_length
    for name, (length, crc) in zip(_SECTIONS, header["sections"], strict=True):
        if name in wanted:
            fh.seek(start)
            blob = fh.read(length)
            if len(blob) != length or zlib.crc32(blob) != crc:
                return None
            blobs[name] = blob
        start += length
    summary, is_failed = header["summary"], header["is_failed"]
    if not isinstance(summary, str) or not isinstance(is_failed, bool):
        return None
    if plan is not None:
        return AppendPlan(
            path=path,
            seeds_dir=seeds_dir,
            out_dir=out_dir,
            names=names,
            config_bytes=config_bytes,
            seeds=seeds,
            new=plan.new,
            edited=plan.edited,
            removed=plan.removed,
            outputs=_Scan(*_parse_scan(outputs)),
            sections=blobs,
            unsettled=unsettled,
            is_failed=is_failed,
        )
    text: dict[str, str | bytes] = dict.fromkeys(_SECTIONS[:4], "")
    text.update(blobs)
    return text, summary, is_failed


# Edited or removed seeds built alone (update.py): up to a two-hundredth of the folder, at least
# UPDATE_MIN and at most UPDATE_MAX. Each costs the update path its archive page, read and written
# again (a full build writes none): at 100,000 seeds, 500 edits take about what a full build does.
UPDATE_MIN = 32
UPDATE_MAX = 500
UPDATE_SHARE = 200


def update_limit(count: int) -> int:
    """Return how many edited (or removed) seeds a folder of ``count`` seeds may have built alone."""
    return min(UPDATE_MAX, max(UPDATE_MIN, count // UPDATE_SHARE))


# New seeds built alone (append.py): up to a tenth of the folder, at least APPEND_MIN and at most
# APPEND_MAX. Appending costs each new seed its own parse and splices, a full build a pass over
# every seed: at 100,000 seeds a thousand new ones append in under 3 s, a full build takes 7 s.
APPEND_MIN = 32
APPEND_MAX = 1000
APPEND_SHARE = 10


def append_limit(count: int) -> int:
    """Return how many new seeds a folder of ``count`` seeds may have appended alone."""
    return min(APPEND_MAX, max(APPEND_MIN, count // APPEND_SHARE))


class _Changed(NamedTuple):
    """What changed in the seeds folder since the snapshot, when a build of just those seeds may do."""

    new: list[str]  # names of seeds the snapshot does not list, sorted
    edited: list[str]  # names of seeds it lists with another stat, sorted; empty when there are new ones
    removed: list[str]  # names of seeds it lists that are gone, sorted; empty when there are other changes
    outputs: bytes  # the snapshot's part of the output folder


def _changed_seeds(state: bytes, head: bytes, seeds: _Scan) -> _Changed | None:
    """Return the new, the edited or the removed seeds, when only one kind of change came since the snapshot; else None.

    ``state`` is the snapshot's state, ``head`` the state's head now (of
    ``seeds``, the seeds folder now). Everything in the head but the seeds'
    rows must be the same; then either the seeds there were are all there
    with the same stat and new ones came (``new``), or the same seeds are
    there and some of them have another stat (``edited``), or some are
    gone and the others are there with the same stat (``removed``).
    """
    stored = _unprefixed(state)
    now = _unprefixed(head)
    if len(stored) != 6 or len(now) != 4 or stored[:2] != now[:2] or not isinstance(seeds.numbers, array):
        return None  # another configuration, code, folder or ledger (or a stat that overflowed)
    outputs = b"".join(_prefixed(stored[4:]))
    if now[3] == stored[3]:
        edited = _changed_rows(stored[2], seeds.numbers.tobytes(), update_limit(len(seeds.names)))
        if not edited:
            return None
        return _Changed([], [seeds.names[row] for row in edited], [], outputs)
    count = len(stored[2]) // (_ROW * _NUMBER_SIZE)
    limit = append_limit(len(seeds.names))
    if 0 < len(seeds.names) - count <= limit and now[3].startswith(stored[3] + b"\0" if count else b""):
        # The new names sort after every other (names that begin with a number or a date): the
        # seeds there were are the first ``count``, compared as the bytes they are.
        if seeds.numbers[: _ROW * count].tobytes() != stored[2]:
            return None
        return _Changed(seeds.names[count:], [], [], outputs)
    names = stored[3].decode("utf-8", "surrogateescape").split("\0") if stored[3] else []
    numbers = array("q")
    numbers.frombytes(stored[2])
    if len(names) > len(seeds.names):
        # Seeds that are gone, every other there with the same stat.
        present = set(seeds.names)
        removed = [name for name in names if name not in present]
        if len(removed) > update_limit(len(names)) or len(names) - len(removed) != len(seeds.names):
            return None
        if _without_rows(numbers, names, removed) != seeds.numbers:
            return None
        return _Changed([], [], removed, outputs)
    known = set(names)
    new = [name for name in seeds.names if name not in known]
    if not new or len(new) > limit or len(names) + len(new) != len(seeds.names):
        return None
    # The numbers of the seeds there were, in order: the scan's without the new seeds' rows.
    if _without_rows(seeds.numbers, seeds.names, new) != numbers:
        return None
    return _Changed(new, [], [], outputs)


def _without_rows(numbers: array[int], names: list[str], left_out: Sequence[str]) -> array[int]:
    """Return a scan's numbers (of ``names``, sorted) without the rows of some of its names (sorted)."""
    kept = array("q")
    position = 0
    for name in left_out:
        row = _ROW * bisect_left(names, name)
        kept.extend(numbers[position:row])
        position = row + _ROW
    kept.extend(numbers[position:])
    return kept


# The rows of a scan compared at once, as bytes: a slice each, most of them equal.
_ROWS_COMPARED = 256


def _changed_rows(stored: bytes, now: bytes, limit: int) -> list[int] | None:
    """Return the numbers of the rows that differ between two scans of the same files; None past ``limit``.

    Compared a block of rows at a time (bytes compare in C), and row by row
    only in a block that differs: at a hundred thousand seeds, well under a
    millisecond.
    """
    if len(stored) != len(now):
        return None
    row = _ROW * _NUMBER_SIZE
    block = row * _ROWS_COMPARED
    changed: list[int] = []
    for start in range(0, len(now), block):
        end = start + block
        if now[start:end] == stored[start:end]:
            continue
        for offset in range(start, min(end, len(now)), row):
            if now[offset : offset + row] != stored[offset : offset + row]:
                changed.append(offset // row)
        if len(changed) > limit:
            return None
    return changed


# The size of a scan's number, as its array stores it.
_NUMBER_SIZE = array("q").itemsize
# A file's numbers in a scan: size, mtime_ns, inode and ctime_ns. The ctime, which no
# program can set back, tells an edit that kept the size and put the mtime back.
_ROW = 4


def _unprefixed(data: bytes) -> list[bytes]:
    """Return the parts ``_prefixed`` joined (each after its length)."""
    parts: list[bytes] = []
    position = 0
    while position < len(data):
        length = int.from_bytes(data[position : position + 8], "little")
        parts.append(data[position + 8 : position + 8 + length])
        position += 8 + length
    return parts


def _parse_scan(prefixed: bytes) -> tuple[list[str], array[int]]:
    """Return the names and numbers of a scan as ``_scan_bytes`` gives it, prefixed; ValueError if not numbers."""
    numbers_part, names_part = _unprefixed(prefixed)
    numbers = array("q")
    numbers.frombytes(numbers_part)  # ValueError: a repr, not an array's bytes
    names = names_part.decode("utf-8", "surrogateescape").split("\0") if names_part else []
    return names, numbers


def _is_as_read(path: Path, digest: str) -> bool:
    """Return whether a file holds the bytes of this hex digest (the parse cache's hash of a seed's bytes)."""
    import hashlib

    try:
        data = path.read_bytes()
    except OSError:
        return False
    return hashlib.blake2b(data, digest_size=SEED_DIGEST_SIZE).hexdigest() == digest


# The size of the parse cache's hash of a seed's bytes (cache.DIGEST_SIZE, which a test keeps equal).
SEED_DIGEST_SIZE = 32


class _Scan(NamedTuple):
    """The files of a folder, by name, with what their stat says."""

    names: list[str]  # sorted
    numbers: array[int] | list[int]  # size, mtime_ns, inode and ctime_ns of each (_ROW), in the order of names

    @property
    def ctimes(self) -> array[int] | list[int]:
        """Return each file's ctime_ns, in the order of names."""
        return self.numbers[_ROW - 1 :: _ROW]


def _state(
    seeds_dir: Path,
    out_dir: Path,
    names: dict[str, str],
    *,
    config_bytes: bytes,
    seeds: _Scan,
    ledger: list[int] | None,
) -> Iterator[bytes] | None:
    """Return everything a build reads, as the snapshot stores it, in parts; None when the output folder is gone.

    Not a digest: the bytes themselves, compared whole, are cheaper than
    hashing them, and no two states can collide. Parts, not joined: they are
    written one after another, and megabytes need not be copied to be joined;
    each is made as the file is written (``_state_parts``).
    """
    if not out_dir.is_dir():
        return None
    return _state_parts(seeds_dir, out_dir, names, config_bytes=config_bytes, seeds=[seeds], ledger=ledger)


def _state_parts(
    seeds_dir: Path,
    out_dir: Path,
    names: dict[str, str],
    *,
    config_bytes: bytes,
    seeds: list[_Scan],
    ledger: list[int] | None,
) -> Iterator[bytes]:
    """Yield ``_state``'s parts as they are made, the seeds' before the output folder is scanned.

    ``seeds`` holds the seeds' scan, let go of once its part is made: its
    names (a string per seed) and then the scan of the output folder (a
    string per page) are never held together. Raises FileNotFoundError
    when the output folder goes away meanwhile: no snapshot is written.
    """
    head = _head_parts(seeds_dir, names, config_bytes=config_bytes, seeds=seeds.pop(), ledger=ledger)
    yield from _prefixed(head)
    del head
    outputs = _output_bytes(out_dir)
    if outputs is None:
        raise FileNotFoundError(out_dir)
    yield from _prefixed(list(outputs))


def _head_parts(
    seeds_dir: Path, names: dict[str, str], *, config_bytes: bytes, seeds: _Scan, ledger: list[int] | None
) -> list[bytes]:
    small = repr((code_fingerprint(), str(seeds_dir), sorted(names.items()), ledger)).encode("utf-8", "surrogateescape")
    return [small, config_bytes, *_scan_bytes(seeds)]


def _state_head(
    seeds_dir: Path, names: dict[str, str], *, config_bytes: bytes, seeds: _Scan, ledger: list[int] | None
) -> bytes:
    """Return the first part of ``_state``: everything but the output folder."""
    return b"".join(_prefixed(_head_parts(seeds_dir, names, config_bytes=config_bytes, seeds=seeds, ledger=ledger)))


def _state_outputs(out_dir: Path) -> bytes | None:
    """Return the last part of ``_state``: the output folder's files; None when the folder is gone."""
    outputs = _output_bytes(out_dir)
    return None if outputs is None else b"".join(_prefixed(list(outputs)))


def _prefixed(parts: list[bytes]) -> list[bytes]:
    # Each part after its length, so that no two states give the same bytes.
    return [piece for part in parts for piece in (len(part).to_bytes(8, "little"), part)]


def _scan_bytes(scan: _Scan) -> tuple[bytes, bytes]:
    numbers = scan.numbers
    data = numbers.tobytes() if isinstance(numbers, array) else repr(numbers).encode("ascii")
    return data, "\0".join(scan.names).encode("utf-8", "surrogateescape")


def _stat_numbers(fd: int, names: list[str], numbers: array[int] | list[int]) -> array[int] | list[int]:
    """Append size, mtime_ns, inode and ctime_ns of each file to ``numbers`` (``_ROW`` each); return it.

    Numbers, not stat results: at a hundred thousand files those would be
    tens of megabytes. The loop's names are bound locally: it runs once per
    seed and per page, and the stat itself is most of its time.
    """
    stat, extend = os.stat, numbers.extend
    for name in names:
        found = stat(name, dir_fd=fd)
        row = (found.st_size, found.st_mtime_ns, found.st_ino, found.st_ctime_ns)
        try:
            extend(row)
        except OverflowError:  # an inode past 2**63: plain ints from here on
            numbers = [*numbers, *row]
            extend = numbers.extend
    return numbers


def _stat_row(path: Path) -> list[int] | None:
    """Return size, mtime_ns and inode of a file; None when there is none."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def code_fingerprint() -> str:
    """Return what identifies seedfeed's installed files and the interpreter running them."""
    # Name, size, mtime and inode of every file of the package: a superset of
    # what the parse cache's fingerprint reads, for a tenth of its cost (no
    # rglob, no Path objects).
    rows: list[tuple[str, int, int, int]] = []
    folders = [("", str(Path(__file__).parent))]
    while folders:
        prefix, folder = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        folders.append((f"{prefix}{entry.name}/", entry.path))
                else:
                    stat = entry.stat()
                    rows.append((prefix + entry.name, stat.st_size, stat.st_mtime_ns, stat.st_ino))
    rows.sort()
    return repr((sys.version, sys.prefix, rows))


def _scan_seeds(seeds_dir: Path, suffix: str) -> _Scan | None:
    """Return the seed files ``list_seeds`` lists, with their stat.

    None when the folder holds a temporary file a killed build left: a
    build would remove it.
    """
    # Through the folder's descriptor, each stat looks up one name, not a whole path.
    fd = os.open(seeds_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        names: list[str] = []
        with os.scandir(fd) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    if name.endswith(".tmp"):
                        return None
                elif name.endswith(suffix) and entry.is_file():
                    names.append(name)
        names.sort()
        numbers = _stat_numbers(fd, names, array("q"))
    finally:
        os.close(fd)
    return _Scan(names=names, numbers=numbers)


def _scan_outputs(out_dir: Path) -> _Scan | None:
    """Return every file under the output folder but in hidden folders, by relative path, with its stat.

    Hidden folders hold no output: the cache (this snapshot among it), or a
    checkout's ``.git``. A hidden file is a killed build's temporary file.
    """
    names: list[str] = []
    numbers: array[int] | list[int] = array("q")
    try:
        for prefix, files, found in _output_folders(out_dir):
            if isinstance(numbers, array) and isinstance(found, array):
                numbers += found
            else:  # an inode past 2**63: plain ints from here on, as _stat_numbers makes them
                numbers = [*numbers, *found]
            names += [prefix + name for name in files]
    except FileNotFoundError:
        return None
    return _Scan(names=names, numbers=numbers)


def _output_bytes(out_dir: Path) -> tuple[bytes, bytes] | None:
    """Return ``_scan_bytes(_scan_outputs(out_dir))``, made a folder at a time; None when the folder is gone.

    The scan's list of every output's path (a string per page, some 10 MB
    at 100,000 pages) is never made: a folder's names are joined with its
    prefix between them.
    """
    numbers: list[bytes] = []
    names: list[bytes] = []
    try:
        for prefix, files, found in _output_folders(out_dir):
            if not isinstance(found, array):
                return _whole_output_bytes(out_dir)  # an inode past 2**63: the scan's list, written whole
            numbers.append(found.tobytes())
            if files:
                joined = prefix + f"\0{prefix}".join(files)
                names.append(joined.encode("utf-8", "surrogateescape"))
    except FileNotFoundError:
        return None
    return b"".join(numbers), b"\0".join(names)


def _whole_output_bytes(out_dir: Path) -> tuple[bytes, bytes] | None:
    """Return the output scan's bytes through the whole scan (numbers past 2**63 are written as a list)."""
    outputs = _scan_outputs(out_dir)
    return None if outputs is None else _scan_bytes(outputs)


def _output_folders(out_dir: Path) -> Iterator[tuple[str, list[str], array[int] | list[int]]]:
    """Yield each folder of the output scan, in its order: its prefix, its files' names (sorted), their stat numbers.

    Raises FileNotFoundError when the output folder (or one of its folders) goes away.
    """
    folders = [("", str(out_dir))]
    while folders:
        prefix, folder = folders.pop()
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            files: list[str] = []
            found: list[str] = []
            with os.scandir(fd) as entries:
                for entry in entries:
                    if not entry.is_dir(follow_symlinks=False):
                        files.append(entry.name)
                    elif not entry.name.startswith("."):
                        found.append(entry.name)
            files.sort()
            folders += [(f"{prefix}{name}/", f"{folder}/{name}") for name in sorted(found)]
            yield prefix, files, _stat_numbers(fd, files, array("q"))
        finally:
            os.close(fd)


def save_appended_snapshot(
    plan: AppendPlan,
    base: Iterable[bytes],
    written: Sequence[str],
    *,
    now: datetime,
    sections: Mapping[str, Iterable[bytes | memoryview]],
    summary: str,
    forms: Sequence[str] = ("text",),
) -> None:
    """Write the snapshot of the folder a build of new seeds only (``append.py``) left.

    ``base`` is the base of the next such build (``append.base_parts``), ``written`` every
    output path the build may have written, ``sections`` its report in
    ``forms`` as a rebuild prints it, ``summary`` that rebuild's summary line.

    Never raises for the file system: a snapshot is only a shortcut, and one
    that cannot be written is removed.
    """
    seeds_dir, out_dir = plan.seeds_dir, plan.out_dir
    seeds = plan.seeds
    settled = settled_ns(now)
    # Seeds changed too near the build's time are checked by their bytes: the new ones, as this build read
    # them, and those the last snapshot so checked, until they settle.
    unsettled = {
        name: digest
        for name, digest in plan.unsettled.items()
        if (position := bisect_left(seeds.names, name)) < len(seeds.names)
        and seeds.names[position] == name
        and seeds.numbers[_ROW * position + _ROW - 1] > settled  # its ctime
    }
    try:
        outputs = _patched(plan.outputs, out_dir, written)
        if outputs is None:
            plan.path.unlink(missing_ok=True)
            return
        head = _head_parts(
            seeds_dir,
            plan.names,
            config_bytes=plan.config_bytes,
            seeds=seeds,
            ledger=_stat_row(seeds_dir / plan.names["ledger"]),
        )
        state = [*_prefixed(head), *_prefixed(list(_scan_bytes(outputs)))]
        from seedfeed.fsutil import write_disposable  # the fast path never gets here

        parts = file_parts(
            state,
            {
                **sections,
                "base": base,
            },
            names=plan.names,
            summary=summary,
            is_failed=plan.is_failed,
            forms=forms,
            unsettled=unsettled,
        )
        write_disposable(plan.path, parts)
    except OSError:
        with contextlib.suppress(OSError):
            plan.path.unlink(missing_ok=True)


def _patched(scan: _Scan, out_dir: Path, written: Sequence[str]) -> _Scan | None:
    """Return the output folder's scan (``_scan_outputs``) after these files were written; None if unsure.

    Patched in place, not scanned again: a scan stats every page. Under the
    build lock nothing else writes the folder.
    """
    names, numbers = scan.names, scan.numbers
    # Where each folder's files start, once found: a batch of new pages is in one folder.
    firsts: dict[str, int | None] = {}
    for relative in written:
        try:
            stat = (out_dir / relative).stat()
        except FileNotFoundError:
            stat = None  # removed: a deleted seed's page
        row = array("q", (stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns)) if stat else None
        folder = relative.rpartition("/")[0]
        prefix = folder + "/" if folder else ""

        def is_past(name: str, prefix: str = prefix) -> bool:
            # After the folder's own files (sorted) come its subfolders' files, then other folders'.
            return not name.startswith(prefix) or "/" in name[len(prefix) :]

        # The folder's files are together, sorted by name: found by a search, not a pass over every page.
        if prefix in firsts:
            first = firsts[prefix]
        else:
            first = firsts[prefix] = next((i for i, name in enumerate(names) if not is_past(name)), None)
        if first is None:
            if row is None:
                continue  # neither there before nor now
            return None  # a folder that had no file: the scan's order of folders is not patched here
        last = bisect_left(names, True, first, key=is_past)  # noqa: FBT003  # the first name past them
        index = bisect_left(names, relative, first, last)
        is_there = index < last and names[index] == relative
        if row is None:
            if is_there:
                del names[index], numbers[_ROW * index : _ROW * index + _ROW]
                firsts.clear()  # a folder may be left without a file
        elif is_there:
            numbers[_ROW * index : _ROW * index + _ROW] = row
        else:
            names.insert(index, relative)
            numbers[_ROW * index : _ROW * index] = row
            # The folders whose files come after it start one place later.
            for other, start in firsts.items():
                if other != prefix and start is not None and start >= index:
                    firsts[other] = start + 1
    return scan
