"""Build only the seeds edited, or removed, since the last build: what a correction costs a large folder.

After new articles, the common change to a newsroom's folder is a
correction, now and then a retraction. A full rebuild then walks every
seed's record as for any other change, seconds at a hundred thousand
seeds, yet an edit changes little: the seed's ledger line, its page, the
archive page (Atom and HTML) that holds it, ``index.html`` when it is
among the newest, and the subscription feeds, which announce a recent edit
again. A removal changes the same, its page deleted and its record turned
into a tombstone that the subscription feeds announce.

So when ``seedfeed build`` finds that, since the snapshot, the only change
is that some seeds' files changed, or that some are gone (feed.toml, the
ledger and every output as the snapshot has them), it parses just those
seeds, reads their ledger lines and the entries of the archive pages that
hold them, and writes exactly what a full build would write, byte for
byte, prints what it would print, and records the snapshot of the result.
It starts from the append base (``append.AppendBase``) the snapshot keeps.

Anything it is not sure of goes to the full build, before a byte is
written: an edited seed that is now rejected, or that was not published, or
that names its own id; an edit that keeps the content hash (a touch: the
full build's answer is a no-op's, whose report this path does not make); an
edit dated after the build (its updated time is then its published one,
which the ledger does not count as an event); a removed seed that was not
published, or the last one; edits and removals together; anything the
append path also refuses.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from seedfeed.append import (
    AppendBase,
    Built,
    Staged,
    archived_paths,
    base_parts,
    build_few,
    json_common,
    page_heads,
    page_indices,
    plan_catalog,
    reordered,
    report_position,
    spliced,
    stdout_parts,
    stored_heads,
    written_paths,
)
from seedfeed.build import Draft, entry_catalog, summary_line
from seedfeed.cache import DIGEST_SIZE, ParseCache
from seedfeed.catalog import EntryHead, seeds_folder
from seedfeed.config import FeedConfig
from seedfeed.convert import make_entry_id
from seedfeed.errors import SeedError
from seedfeed.fsutil import StagedFile
from seedfeed.ledger import Ledger, LedgerLine, LedgerRecord, LedgerTombstone, read_lines, replace_lines
from seedfeed.model import Entry, Notice
from seedfeed.parallel import Staging, default_jobs, parse_seed_files
from seedfeed.seeds import SEED_SUFFIX, SeedPaths
from seedfeed.snapshot import (
    AppendPlan,
    PrintedReport,
    entry_json,
    notice_json,
    save_appended_snapshot,
)
from seedfeed.spliced_json import joined_fields, json_fields, list_count, spliced_items, value_json
from seedfeed.writers.html import page_file


def build_updated(plan: AppendPlan, *, now: datetime, is_quiet: bool) -> PrintedReport | None:
    """Build the plan's edited (or removed) seeds into what the last build left, at ``now``; return what it prints.

    None when the full build must run instead: nothing was written then.
    Call under the build lock. Raises OutputError when a file cannot be written.
    """
    names = plan.edited or plan.removed
    stems = [name[: -len(SEED_SUFFIX)] for name in names]

    def select(base: AppendBase, config: FeedConfig, ledger: bytes) -> tuple[Sequence[int], _Found] | None:
        if not _is_updatable(plan, base, config):
            return None
        lines = read_lines(ledger, last_arrival=base.last_arrival, tombstones=base.tombstones, stems=stems)
        if lines is None:
            return None
        pages = _archive_pages(base, (line.record.arrival for line in lines.values()))
        return pages, (lines, pages)

    def prepare(
        base: AppendBase, config: FeedConfig, parse_cache: ParseCache, ledger: bytes, found: _Found, staged: Staged
    ) -> _Made | None:
        lines, pages = found
        if plan.removed:
            return _prepare_removal(base, config, parse_cache, (ledger, lines), pages, now=now)
        return _prepare(plan, base, config, parse_cache, (ledger, lines), pages, now=now, staged=staged)

    built = build_few(plan, names, select, prepare)
    if built is None:
        return None
    base, config, made = built
    return _report(plan, base, made, config, now=now, is_quiet=is_quiet)


# The seeds' ledger lines, by stem, and the archive pages that hold their entries.
_Found = tuple[dict[str, LedgerLine], list[int]]


def _is_updatable(plan: AppendPlan, base: AppendBase, config: FeedConfig) -> bool:
    """Return whether this folder's edited (or removed) seeds may be built on their own, before they are read."""
    warnings = plan.sections["warnings"]
    if "json" in plan.sections:
        # The --json report: its entries and notices, an object each, are spliced as lines are (spliced_json.py).
        text = plan.sections["json"]
        fields = json_fields(text)
        if fields is None or list_count(text, fields["notices"]) != len(base.notices):
            return False
        listed = list_count(text, fields["entries"])
    else:
        # The report lists every entry and every notice, a line each (neither holds a newline).
        lines = plan.sections["lines"]
        listed = lines.count(b"\n") + 1 if lines else 0
    return (
        not plan.new
        and bool(plan.edited) != bool(plan.removed)
        and not config.complete
        and config.hub is None
        and base.size == config.max_entries
        and len(base.arrivals) == len(base.order) == len(base.order_ids)
        and len(base.digests) == DIGEST_SIZE * len(base.order)
        and listed == len(base.order)
        and (warnings.count(b"\n") + 1 if warnings else 0) == len(base.notices)
    )


def _archive_pages(base: AppendBase, arrivals: Iterable[int]) -> list[int]:
    """Return the numbers of the full archive pages that hold these arrival numbers, in order."""
    full = base.last_arrival // base.size
    return sorted({(arrival - 1) // base.size + 1 for arrival in arrivals if arrival <= full * base.size})


@dataclass(frozen=True, slots=True, kw_only=True)
class _Made(Built):
    """What building the edited seeds makes: their heads are in the order of ``records``."""

    records: tuple[LedgerRecord, ...]  # the edited seeds' new records
    positions: tuple[int, ...]  # where each one's entry was in the report's order, in the same order
    gone: tuple[LedgerRecord, ...] = ()  # the removed seeds' records (their entries' places are in ``positions``)


def _prepare(
    plan: AppendPlan,
    base: AppendBase,
    config: FeedConfig,
    parse_cache: ParseCache,
    ledger: tuple[bytes, dict[str, LedgerLine]],
    pages: Sequence[int],
    *,
    now: datetime,
    staged: dict[str, tuple[bytes, StagedFile | None]],
) -> _Made | None:
    """Parse the edited seeds and make everything the build writes; None when the full build must decide.

    ``ledger`` is the ledger file's bytes and the edited seeds' lines in it (``ledger.read_lines``).
    """
    seeds_dir, out_dir = plan.seeds_dir, plan.out_dir
    ledger_data, lines = ledger
    paths = SeedPaths(seeds_dir)
    suffix = len(SEED_SUFFIX)
    scan = parse_seed_files(
        seeds_dir,
        plan.edited,
        config,
        # Parsed as a build parses a known seed: with its record's first-seen time (which may give a year).
        lambda name: lines[name[:-suffix]].record.first_seen,
        parse_cache=parse_cache,
        workers=default_jobs(),  # a bulk correction of hundreds over the cores, as a full build parses
        staging=Staging(out_dir=out_dir, is_site="html" in config.formats),
        pages=staged,
    )
    drafts: list[Draft] = []
    records: list[LedgerRecord] = []
    positions: list[int] = []
    for facts in scan.outcomes:
        if isinstance(facts, SeedError) or facts.front_matter_id is not None:
            return None  # rejected, or an id of its own that another entry may hold
        old = lines[facts.stem].record
        id_ = make_entry_id(None, facts.stem, seeds_dir, config)
        if id_ != old.id or facts.content_hash == old.content_hash:
            return None  # another entry's id; or no edit to the ledger (a touch), a no-op's report
        position = report_position(base.order, base.order_ids, -old.published.timestamp(), id_)
        if position >= len(base.order_ids) or base.order_ids[position] != id_:
            return None  # not published (rejected by the last build): the full build decides
        if facts.date is not None and facts.provenance is not None:
            draft: Draft = (facts, id_, facts.date, facts.provenance)
        else:
            draft = (facts, id_, old.first_seen, "first-seen")
        published = draft[2]
        # ledger.reconcile's edit: a clock set back must not hide it, updated only moves forward.
        updated = max(now, published, old.updated + timedelta(seconds=1))
        if not updated > published:
            return None  # dated after the build: the ledger would not count the edit as an event
        drafts.append(draft)
        records.append(replace(old, content_hash=facts.content_hash, published=published, updated=updated))
        positions.append(position)
    latest = max(r.updated for r in records)
    latest = latest if base.latest_event is None else max(base.latest_event, latest)
    since = latest - timedelta(days=config.tombstone_days)
    made = entry_catalog(
        drafts, Ledger(records={record.stem: record for record in records}), parse_cache, paths, config, []
    )
    fresh = {head.stem: head for head in made.heads}
    heads = tuple(fresh[record.stem] for record in records)
    newest = tuple(fresh.get(head.stem, head) for head in base.newest)
    # The recently edited: the edited seeds' new heads stand for their old ones.
    recent = (*(head for head in base.edited if head.stem not in fresh), *heads)
    edited = tuple(head for head in recent if head.updated >= since)
    loaded: dict[str, Entry] = {head.stem: made.entry(head) for head in heads}
    archived = _archived(base, config, parse_cache, pages, fresh, loaded)
    planned = None if archived is None else plan_catalog(parse_cache, loaded, newest, edited, archived)
    if archived is None or planned is None:
        return None
    subscription, catalog = planned
    kept = tuple(t for t in base.tombstones if t.when >= since)
    ledger_parts = replace_lines(
        ledger_data,
        last_arrival=base.last_arrival,
        tombstones=base.tombstones,
        replaced=[(lines[record.stem], record) for record in records],
        kept=kept,
    )
    if ledger_parts is None:
        return None  # never: every record is kept
    return _Made(
        records=tuple(records),
        positions=tuple(positions),
        heads=heads,
        newest=newest,
        edited=edited,
        subscription=subscription,
        archived=archived,
        catalog=catalog,
        tombstones=kept,
        latest_event=latest,
        full_pages=base.last_arrival // base.size,
        ledger=ledger_parts,
    )


def _prepare_removal(
    base: AppendBase,
    config: FeedConfig,
    parse_cache: ParseCache,
    ledger: tuple[bytes, dict[str, LedgerLine]],
    pages: Sequence[int],
    *,
    now: datetime,
) -> _Made | None:
    """Make everything a build that finds these seeds gone writes; None when the full build must decide.

    ``reconcile``'s removal: each record leaves the ledger for a tombstone
    dated ``now``; its entry leaves the report, the newest arrivals (the
    one before them takes its place), the archive page that held it and
    the recently edited; its page is deleted once the feeds are written.
    """
    ledger_data, lines = ledger
    gone = tuple(line.record for line in lines.values())
    positions: list[int] = []
    for record in gone:
        position = report_position(base.order, base.order_ids, -record.published.timestamp(), record.id)
        if position >= len(base.order_ids) or base.order_ids[position] != record.id:
            return None  # not published (rejected by the last build): the full build decides
        positions.append(position)
    left_out = set(positions)
    removed: dict[str, EntryHead | None] = dict.fromkeys((record.stem for record in gone), None)
    if base.latest_event is not None and base.latest_event > now and any(_event(r) >= base.latest_event for r in gone):
        # The ledger's newest event (an edit dated a second ahead of a clock behind it) leaves with
        # a removed seed: the next newest, which dates what the feed keeps, is among every record.
        return None
    latest = now if base.latest_event is None else max(base.latest_event, now)
    since = latest - timedelta(days=config.tombstone_days)
    tombstones = sorted(
        [*base.tombstones, *(LedgerTombstone(id=r.id, stem=r.stem, when=now) for r in gone)],
        key=lambda t: (t.when, t.id),
    )
    kept = tuple(t for t in tombstones if t.when >= since)
    loaded: dict[str, Entry] = {}
    # The newest arrivals: the entry before them takes a removed one's place.
    known = {head.id: head for head in base.newest if head.stem not in removed}
    places = heapq.nlargest(
        base.size, ((arrival, index) for index, arrival in enumerate(base.arrivals) if index not in left_out)
    )
    more = stored_heads(
        base, config, parse_cache, [i for _a, i in places if base.order_ids[i] not in known], removed, loaded
    )
    if more is None:
        return None
    known.update((head.id, head) for head in more)
    newest = tuple(known[base.order_ids[index]] for _arrival, index in sorted(places))
    edited = tuple(head for head in base.edited if head.stem not in removed and head.updated >= since)
    archived = _archived(base, config, parse_cache, pages, removed, loaded)
    planned = None if archived is None else plan_catalog(parse_cache, loaded, newest, edited, archived)
    ledger_parts = replace_lines(
        ledger_data,
        last_arrival=base.last_arrival,
        tombstones=base.tombstones,
        replaced=[(lines[record.stem], None) for record in gone],
        kept=kept,
    )
    if archived is None or planned is None or ledger_parts is None:
        return None  # an entry the store lost; or no record left, a ledger laid out otherwise
    subscription, catalog = planned
    gone_pages = tuple(page_file(record.stem) for record in gone) if "html" in config.formats else ()
    parse_cache.forget([record.stem + SEED_SUFFIX for record in gone], gone_pages)
    return _Made(
        records=(),
        positions=tuple(positions),
        gone=gone,
        heads=(),
        newest=newest,
        edited=edited,
        subscription=subscription,
        archived=archived,
        catalog=catalog,
        tombstones=kept,
        latest_event=latest,
        full_pages=base.last_arrival // base.size,
        ledger=ledger_parts,
        gone_pages=gone_pages,
    )


def _event(record: LedgerRecord) -> datetime:
    """Return the newest event of a record as ``Ledger.latest_event`` counts them: first seen, or an edit after it."""
    edited = record.updated is not record.published and record.updated > record.published
    return max(record.first_seen, record.updated) if edited else record.first_seen


def _archived(
    base: AppendBase,
    config: FeedConfig,
    parse_cache: ParseCache,
    pages: Sequence[int],
    fresh: Mapping[str, EntryHead | None],
    loaded: dict[str, Entry],
) -> dict[int, tuple[EntryHead, ...]] | None:
    """Return the entries of each archive page to write again, in order, their entries loaded; None if one is lost.

    ``fresh``: the heads this build made, by stem, which stand for the stored ones (None: removed).
    """
    archived: dict[int, tuple[EntryHead, ...]] = {}
    for number, indices in page_indices(base, pages).items():
        heads = page_heads(base, config, parse_cache, indices, fresh, loaded)
        if heads is None:
            return None
        archived[number] = heads
    return archived


def _report(
    plan: AppendPlan, base: AppendBase, made: _Made, config: FeedConfig, *, now: datetime, is_quiet: bool
) -> PrintedReport:
    """Record the snapshot of what this build left, and return what it prints."""
    # Each edited entry's line leaves its place and goes where its date now puts it; a removed one's leaves.
    removed = sorted(made.positions)
    moved = [(record.arrival, head) for record, head in zip(made.records, made.heads, strict=True)]
    order, before = reordered(base, removed, moved)
    count = len(base.order)
    notice_inserts, notice_removed, notices = _notice_changes(base.notices, made, seeds_folder(plan.seeds_dir))
    warnings = spliced(
        plan.sections["warnings"], [(k, f"warning: {n}") for k, n in notice_inserts], len(base.notices), notice_removed
    )
    published, updated = len(order.ids), len(made.heads)
    gone_ids = {record.id for record in made.gone}
    next_base = replace(
        base,
        foreign={id_: stem for id_, stem in base.foreign.items() if id_ not in gone_ids},
        latest_event=made.latest_event,
        tombstones=made.tombstones,
        newest=made.newest,
        edited=made.edited,
        order=order.keys,
        order_ids=tuple(order.ids),
        arrivals=order.arrivals,
        digests=bytes(order.digests),
        notices=notices,
    )
    del order
    section, printed, json = stdout_parts(
        plan,
        before,
        count,
        change="updated",
        is_quiet=is_quiet,
        json=lambda: _json_reports(plan, base, made, config, before, removed, (notice_inserts, notice_removed)),
        removed=removed,
    )
    save_appended_snapshot(
        plan,
        base_parts(next_base),
        written_paths(
            config,
            [*(head.stem for head in made.heads), *(record.stem for record in made.gone)],
            archived_paths(config, made.archived),
        ),
        now=now,
        sections={"errors": [plan.sections["errors"]], "warnings": warnings, **section},
        summary=summary_line(
            published=published, new=0, updated=0, removed=0, unchanged=published, rejected=base.rejected
        ),
        forms=["json" if "json" in section else "text"],
    )
    return PrintedReport(
        errors=plan.sections["errors"],
        warnings=b"" if is_quiet else b"".join(warnings),
        lines=printed,
        summary=summary_line(
            published=published,
            new=0,
            updated=updated,
            removed=len(made.gone),
            unchanged=published - updated,
            rejected=base.rejected,
        ),
        json=json,
        is_failed=plan.is_failed,
        answered_by="update",
    )


def _json_reports(
    plan: AppendPlan,
    base: AppendBase,
    made: _Made,
    config: FeedConfig,
    before: Sequence[tuple[int, EntryHead]],
    removed: Sequence[int],
    notices: tuple[Sequence[tuple[int, Notice]], Sequence[int]],
) -> tuple[list[bytes | memoryview], list[bytes | memoryview]]:
    """Return the ``--json`` report this build prints, and the one a rebuild with nothing to do would print.

    Both are the stored report (the last build's rebuild's) with the edited
    entries moved to their place and the removed ones left out, the changed
    seeds' notices in their place (by arrival, in both: a build lists every
    entry's notices so), and the values that changed made again: counts,
    removed ids, tombstones, documents, what was written.
    """
    text, fields, stored = json_common(plan, made, config)
    count = len(base.order)
    published, updated, gone = count - len(made.gone), len(made.heads), len(made.gone)
    inserts, left_out = notices
    common = {
        **stored,
        "published": value_json(published),
        "notices": spliced_items(
            text, fields["notices"], [(k, notice_json(n)) for k, n in inserts], len(base.notices), left_out
        ),
    }
    printed = {
        **common,
        "updated": value_json(updated),
        "removed": value_json(gone),
        "unchanged": value_json(published - updated),
        "removed_ids": value_json([record.id for record in sorted(made.gone, key=lambda r: (r.arrival, r.id))]),
        "written": value_json(made.written),
        "entries": spliced_items(
            text, fields["entries"], [(k, entry_json(h, "updated")) for k, h in before], count, removed
        ),
    }
    rebuilt = {
        **common,
        "unchanged": value_json(published),
        "entries": spliced_items(
            text, fields["entries"], [(k, entry_json(h, "unchanged")) for k, h in before], count, removed
        ),
    }
    return joined_fields(printed), joined_fields(rebuilt)


def _notice_changes(
    numbers: array[int], made: _Made, folder: str
) -> tuple[list[tuple[int, Notice]], list[int], array[int]]:
    """Return where the changed seeds' notices go among the report's (``spliced``), and the next base's ``notices``.

    ``numbers`` is the arrival number of the seed of each notice of the
    report: a build lists every entry's notices by arrival
    (``snapshot.noop_report``), so each edited seed's notices go where its
    arrival number's were, or would be, and a removed seed's leave. Returns
    the notices inserted (before the old notice of each number), the old
    notices' numbers left out, and the arrival number of each notice after.
    """
    removed: list[int] = []
    inserts: list[tuple[int, Notice]] = []
    after = array("q")
    position = 0
    changed: list[tuple[LedgerRecord, EntryHead | None]] = [*zip(made.records, made.heads, strict=True)]
    changed += [(record, None) for record in made.gone]
    for record, head in sorted(changed, key=lambda pair: pair[0].arrival):
        start = bisect_left(numbers, record.arrival)
        end = bisect_right(numbers, record.arrival, start)
        notes = head.notices(folder) if head is not None else []
        removed += range(start, end)
        inserts += [(end, note) for note in notes]
        after += numbers[position:start]
        after += array("q", [record.arrival] * len(notes))
        position = end
    after += numbers[position:]
    return inserts, removed, after
