"""Build only the seeds that arrived since the last build: what one new article costs a large folder.

The common change to a newsroom's folder is a new article. A full rebuild
then still walks every seed's record a dozen times (the ledger, the parse
cache, the catalog, the plans), which at a hundred thousand seeds is
seconds. Yet what a new seed changes is known in advance: its own page,
``index.html``, the subscription feeds, the ledger (one more line), and
the archive page (Atom and HTML) it fills, if it fills one.

So the no-op snapshot (``snapshot.py``) also keeps an *append base*: what
the next build needs of the feed beyond the new seeds themselves (the
newest arrivals' heads, the recently edited ones, the tombstones, the
arrival counter, the report's order with each entry's arrival number and
digest; ``update.py`` builds edits and removals from it too). When
``seedfeed build`` finds that,
since the snapshot, seeds were only added (every other seed, the output
folder, the ledger and feed.toml as the snapshot has them), it parses just
the new seeds and writes exactly what a full build would write, byte for
byte, prints what it would print, and records the snapshot of the result.

Anything it is not sure of goes to the full build, before a byte is
written: a new seed that is rejected or names its own id (it may claim
another's), the first archive page, tombstones' ids coming back, ``complete``
feeds, a WebSub hub to tell, a ledger not laid out as this code writes it,
a parse cache that is gone, more new seeds than ``snapshot.append_limit`` allows.
"""

from __future__ import annotations

import pickle
from array import array
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import chain
from typing import NamedTuple, TypeVar

from seedfeed.archive import FEED_NAME, Document, SitePage, archive_path, order_entries, site_archive_path
from seedfeed.blobstore import BlobStore
from seedfeed.build import (
    Draft,
    entry_catalog,
    feed_tombstones,
    summary_line,
    write_documents,
    write_other_feeds,
)
from seedfeed.cache import DIGEST_SIZE, ParseCache, cache_key, cache_path, read_cache_slice, save_cache
from seedfeed.catalog import EntryCatalog, EntryHead, seeds_folder
from seedfeed.config import FeedConfig, load_config
from seedfeed.convert import make_entry_id
from seedfeed.errors import OutputError, SeedError, SeedfeedError
from seedfeed.fsutil import StagedFile, discard_staged, write_if_changed
from seedfeed.ledger import Ledger, LedgerRecord, LedgerTombstone, insert_records
from seedfeed.model import Entry, Notice
from seedfeed.outputs import write_site
from seedfeed.parallel import Staging, default_jobs, parse_seed_files
from seedfeed.seeds import SEED_SUFFIX, SeedPaths
from seedfeed.snapshot import (
    AppendPlan,
    PrintedReport,
    entry_json,
    entry_line,
    notice_json,
    save_appended_snapshot,
    tombstone_json,
)
from seedfeed.spliced_json import (
    Parts,
    Span,
    after_marks,
    appended_items,
    joined_fields,
    json_fields,
    kept_value,
    list_count,
    spliced_items,
    value_json,
)
from seedfeed.writers.common import FEED_NAMES, INDEX_NAME
from seedfeed.writers.html import page_file, stencils_made, use_stencils


@dataclass(frozen=True, slots=True)
class AppendBase:
    """What a build that only adds seeds needs of the feed the last build left, beyond the seeds it adds."""

    size: int  # the configuration's max_entries, which the split below follows
    last_arrival: int  # the ledger's arrival counter
    latest_event: datetime | None  # the ledger's
    tombstones: tuple[LedgerTombstone, ...]  # the ledger's, in its order
    # The stem of each record whose id is not its stem's tag, by id: a new seed whose id is one of them
    # is not appended; an archive page's entries are found by id (``update.py``).
    foreign: dict[str, str]
    newest: tuple[EntryHead, ...]  # the newest ``size`` arrivals, in order of arrival
    edited: tuple[EntryHead, ...]  # the entries edited recently enough to be shown again
    order: array[float]  # each published entry's -timestamp, in the report's order (newest first)
    order_ids: tuple[str, ...]  # and its id: the report's order is by both
    arrivals: array[int]  # and its arrival number
    digests: bytes  # and its head's digest (``DIGEST_SIZE`` bytes each)
    # The arrival number of the seed whose notice each line of the report's warnings is (they are by arrival).
    notices: array[int]
    rejected: int  # how many seeds are rejected


def append_base(report: object, after: Ledger, config: FeedConfig) -> Iterator[bytes]:
    """Yield the append base of a finished build's no-op report (``BuildReport``) and its ledger (``base_parts``).

    Made when the first part is asked for: the snapshot makes it once the report is written.
    """
    heads: tuple[EntryHead, ...] = report.heads  # type: ignore[attr-defined]  # a BuildReport: no import cycle
    rejected: tuple[SeedError, ...] = report.rejected  # type: ignore[attr-defined]
    records = after.records
    size = config.max_entries
    arrivals = array("q", [records[head.stem].arrival for head in heads])
    by_arrival = sorted(range(len(heads)), key=arrivals.__getitem__)
    latest = after.latest_event
    since = latest - timedelta(days=config.tombstone_days) if latest is not None else None
    prefix = f"tag:{config.id_authority},{config.id_date}:"
    base = AppendBase(
        size=size,
        last_arrival=after.next_arrival - 1,
        latest_event=latest,
        tombstones=after.tombstones,
        foreign={r.id: r.stem for r in records.values() if r.id != prefix + r.stem},
        newest=tuple(heads[i] for i in by_arrival[-size:]),
        edited=tuple(h for h in heads if h.updated > h.published and (since is None or h.updated >= since)),
        order=array("d", [-head.published.timestamp() for head in heads]),
        order_ids=tuple(head.id for head in heads),
        arrivals=arrivals,
        digests=b"".join(head.digest for head in heads),
        # As noop_report lists them: by arrival (a ledger gives no two records one number).
        notices=array("q", [arrivals[i] for i in by_arrival for _ in heads[i].notes]),
        rejected=len(rejected),
    )
    yield from base_parts(base)


# Before each part of a stored append base: its length.
_PART_LENGTH = 8


# The report order's ids are pickled this many at a time (``base_parts``).
_IDS_PER_PART = 8192


def base_parts(base: AppendBase) -> Iterator[bytes]:
    """Yield an append base as the snapshot stores it: the base without the report order's ids and digests, then those.

    Each part comes after its length: the base, the ids pickled a run of
    ``_IDS_PER_PART`` at a time, then the digests as their own bytes. The
    ids and digests are most of the base (9 MB at 100,000 entries): pickled
    with the rest, they were held once more, whole, at the end of a full
    build, when it holds the most, and the ids pickled at once were 5 MB
    more for a moment (``read_base`` reads them).
    """
    data = pickle.dumps(replace(base, order_ids=(), digests=b""), protocol=pickle.HIGHEST_PROTOCOL)
    yield len(data).to_bytes(_PART_LENGTH, "little")
    yield data
    del data
    ids = base.order_ids
    for start in range(0, max(len(ids), 1), _IDS_PER_PART):
        data = pickle.dumps(ids[start : start + _IDS_PER_PART], protocol=pickle.HIGHEST_PROTOCOL)
        yield len(data).to_bytes(_PART_LENGTH, "little")
        yield data
        del data
    yield len(base.digests).to_bytes(_PART_LENGTH, "little")
    yield base.digests


def read_base(data: bytes) -> AppendBase | None:
    """Return the append base ``base_parts`` stored; None when the bytes are not one."""
    view = memoryview(data)
    parts: list[memoryview] = []
    position = 0
    while position + _PART_LENGTH <= len(view):
        length = int.from_bytes(view[position : position + _PART_LENGTH], "little")
        position += _PART_LENGTH
        parts.append(view[position : position + length])
        position += length
    if len(parts) < 3 or position != len(view):
        return None
    base = pickle.loads(parts[0])  # noqa: S301  # our own file, checksummed
    runs = [pickle.loads(part) for part in parts[1:-1]]  # noqa: S301
    if not isinstance(base, AppendBase) or not all(isinstance(run, tuple) for run in runs):
        return None
    order_ids = runs[0] if len(runs) == 1 else tuple(chain.from_iterable(runs))
    return replace(base, order_ids=order_ids, digests=bytes(parts[-1]))


# Pages staged where their seeds were parsed, by stem: the entry's digest and the staged file (None: on disk).
Staged = dict[str, tuple[bytes, StagedFile | None]]
M = TypeVar("M", bound="Built")
C = TypeVar("C")


def build_few(
    plan: AppendPlan,
    names: Sequence[str],
    select: Callable[[AppendBase, FeedConfig, bytes], tuple[Sequence[int], C] | None],
    prepare: Callable[[AppendBase, FeedConfig, ParseCache, bytes, C, Staged], M | None],
) -> tuple[AppendBase, FeedConfig, M] | None:
    """Build a few seeds (``names``) onto what the last build left; return the base, configuration and what was made.

    ``select`` is given the append base, the configuration and the ledger
    file's bytes, and returns the archive pages the build may write and
    what ``prepare`` needs, or None; ``prepare`` is given the parse cache's
    slice for those seeds and pages too, and returns what to write, or None.
    None when the full build must run instead: nothing was written then.
    Call under the build lock. Raises OutputError when a file cannot be written.
    """
    staged: Staged = {}
    try:
        base = read_base(plan.sections["base"])
        config = load_config(plan.seeds_dir)
        if base is None:
            return None
        ledger_data = (plan.seeds_dir / plan.names["ledger"]).read_bytes()
        selected = select(base, config, ledger_data)
        if selected is None:
            return None
        parse_cache = open_slice(plan, config, names, selected[0])
        if parse_cache is None:
            return None
        try:
            made = prepare(base, config, parse_cache, ledger_data, selected[1], staged)
            if made is None:
                return None
            made.written.extend(write_built(plan, config, parse_cache, made, staged=staged))
        finally:
            parse_cache.store.close()
    except (SeedfeedError, OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError) as exc:
        if isinstance(exc, OutputError):
            raise
        return None
    finally:
        discard_staged(page for _digest, page in staged.values() if page is not None)
    return base, config, made


def stored_heads(
    base: AppendBase,
    config: FeedConfig,
    parse_cache: ParseCache,
    indices: Iterable[int],
    fresh: Mapping[str, EntryHead | None],
    loaded: dict[str, Entry],
) -> list[EntryHead] | None:
    """Return the heads of the published entries at these places of the report's order; None if the store lost one.

    The base has each one's id (and so its stem) and its head's digest.
    ``fresh`` holds, by stem, the heads of entries this build made (None:
    an entry it removed, left out): they stand for the stored ones. The
    others are read from the store, each checked against the digest the
    base has for it, and their entries go into ``loaded``.
    """
    prefix = f"tag:{config.id_authority},{config.id_date}:"
    held: dict[str, bytes] = {}  # stem -> the digest of its head
    for index in indices:
        id_ = base.order_ids[index]
        stem = base.foreign.get(id_)
        if stem is None:
            if not id_.startswith(prefix):
                return None
            stem = id_[len(prefix) :]
        held[stem] = base.digests[DIGEST_SIZE * index : DIGEST_SIZE * index + DIGEST_SIZE]
    rows = parse_cache.store.get_many("entries", [stem + SEED_SUFFIX for stem in held if stem not in fresh])
    heads: list[EntryHead] = []
    for stem, digest in held.items():
        if stem in fresh:
            made = fresh[stem]
            if made is not None:
                heads.append(made)
            continue
        row = rows.get(stem + SEED_SUFFIX)
        if row is None or row[0] != digest:
            return None
        entry = pickle.loads(row[1])  # noqa: S301  # our own store, written for this key
        if not isinstance(entry, Entry) or entry.stem != stem:
            return None
        heads.append(EntryHead.of(entry, digest))
        loaded[stem] = entry
    return heads


def page_indices(base: AppendBase, numbers: Iterable[int]) -> dict[int, list[int]]:
    """Return, for each full archive page of these numbers, the places in the report's order of its entries.

    A page's entries are the published entries of its arrival numbers: found
    for every page in one pass over the arrival numbers, not one per page (a
    correction of a hundred articles may touch a hundred pages).
    """
    found: dict[int, list[int]] = {number: [] for number in numbers}
    size = base.size
    for index, arrival in enumerate(base.arrivals):
        places = found.get((arrival - 1) // size + 1)
        if places is not None:
            places.append(index)
    return found


def page_heads(
    base: AppendBase,
    config: FeedConfig,
    parse_cache: ParseCache,
    indices: Sequence[int],
    fresh: Mapping[str, EntryHead | None],
    loaded: dict[str, Entry],
) -> tuple[EntryHead, ...] | None:
    """Return the entries of a full archive page, in order (``stored_heads``); None if the store lost one.

    ``indices`` are their places in the report's order (``page_indices``).
    """
    heads = stored_heads(base, config, parse_cache, indices, fresh, loaded)
    return None if heads is None else order_entries(heads)


def build_appended(
    plan: AppendPlan, *, now: datetime, is_quiet: bool, progress: Callable[[int, int], None] | None = None
) -> PrintedReport | None:
    """Build the plan's new seeds onto what the last build left, at ``now``; return what it prints.

    None when the full build must run instead: nothing was written then.
    ``progress(done, total)`` is told how many new seeds are read.
    Call under the build lock. Raises OutputError when a file cannot be written.
    """

    def select(base: AppendBase, config: FeedConfig, _ledger: bytes) -> tuple[Sequence[int], None] | None:
        return (_filled_pages(base, len(plan.new)), None) if _is_appendable(plan, base, config) else None

    def prepare(
        base: AppendBase, config: FeedConfig, parse_cache: ParseCache, ledger: bytes, _context: None, staged: Staged
    ) -> _Made | None:
        return _prepare(plan, base, config, parse_cache, ledger, now=now, staged=staged, progress=progress)

    built = build_few(plan, plan.new, select, prepare)
    if built is None:
        return None
    base, config, made = built
    return _report(plan, base, made, config, now=now, is_quiet=is_quiet)


def open_slice(plan: AppendPlan, config: FeedConfig, names: Sequence[str], pages: Iterable[int]) -> ParseCache | None:
    """Return the parse cache's buckets a build of these seeds reads and writes; None when the cache is lost.

    Those of the seeds' records and of the outputs it may write: the
    seeds' pages, ``index.html``, the subscription document and the
    archive pages of these numbers. The stencils its pages were made with
    are taken up.
    """
    key = cache_key(plan.seeds_dir, config)
    store = BlobStore(cache_path(plan.out_dir), repr(key))
    parse_cache = read_cache_slice(
        key,
        store,
        seeds=names,
        outputs=[
            INDEX_NAME,
            FEED_NAME,
            *(page_file(name[: -len(SEED_SUFFIX)]) for name in names),
            *(path for number in pages for path in (archive_path(number), site_archive_path(number))),
        ],
    )
    if parse_cache is None:
        # Closed now: a connection left to the collector (which a build pauses) would hold
        # SQLite's lock, and the full build that follows would wait for it, then drop the cache.
        store.close()
        return None
    use_stencils(parse_cache.stencils())
    return parse_cache


def _is_appendable(plan: AppendPlan, base: AppendBase, config: FeedConfig) -> bool:
    """Return whether this folder's new seeds may be appended, before they are read."""
    size = config.max_entries
    if "json" in plan.sections:
        # The --json report, whose lists are spliced as it is laid out (spliced_json.py).
        fields = json_fields(plan.sections["json"])
        listed = -1 if fields is None else list_count(plan.sections["json"], fields["entries"])
    else:
        # The report lists every entry, a line each (a title holds no newline).
        lines = plan.sections["lines"]
        listed = lines.count(b"\n") + 1 if lines else 0
    return (
        not config.complete
        and config.hub is None
        and base.size == size
        # The first archive page is born in a full build (its folder with it); later ones are appended.
        and (base.last_arrival >= size or (base.last_arrival + len(plan.new)) // size == 0)
        and listed == len(base.order)
    )


def _filled_pages(base: AppendBase, count: int) -> range:
    """Return the numbers of the archive pages that ``count`` more arrivals fill."""
    return range(base.last_arrival // base.size + 1, (base.last_arrival + count) // base.size + 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Built:
    """What a build of a few seeds (new ones here, edited ones in ``update.py``) makes, before anything is written."""

    ledger: list[bytes | memoryview]  # the ledger file, in parts
    heads: tuple[EntryHead, ...]  # the entries of the seeds built
    newest: tuple[EntryHead, ...]  # the newest arrivals, in order of arrival
    edited: tuple[EntryHead, ...]  # the recently edited entries still announced
    subscription: tuple[EntryHead, ...]  # what the subscription document holds, in order
    archived: dict[int, tuple[EntryHead, ...]]  # the archive pages to write, by number: their entries, in order
    catalog: EntryCatalog  # every entry written, loaded
    tombstones: tuple[LedgerTombstone, ...]  # the ledger's, kept
    latest_event: datetime
    full_pages: int  # how many full archive pages there are now
    gone_pages: tuple[str, ...] = ()  # the pages of removed seeds, deleted once the feeds no longer link to them
    written: list[str] = field(default_factory=list)  # once written: what changed, as ``BuildReport.written`` says


@dataclass(frozen=True, slots=True, kw_only=True)
class _Made(Built):
    """What appending the new seeds makes: their heads are in order of arrival."""

    notices: tuple[Notice, ...]  # the new seeds', in the order a build lists them
    last_arrival: int


def _prepare(
    plan: AppendPlan,
    base: AppendBase,
    config: FeedConfig,
    parse_cache: ParseCache,
    ledger_data: bytes,
    *,
    now: datetime,
    staged: dict[str, tuple[bytes, StagedFile | None]],
    progress: Callable[[int, int], None] | None = None,
) -> _Made | None:
    """Parse the new seeds and make everything the build writes; None when the full build must decide."""
    seeds_dir, out_dir = plan.seeds_dir, plan.out_dir
    paths = SeedPaths(seeds_dir)
    done = 0

    def tick(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, len(plan.new))

    scan = parse_seed_files(
        seeds_dir,
        plan.new,
        config,
        lambda _name: now,
        parse_cache=parse_cache,
        # A batch of hundreds (a morning's scrape) over the cores, as a full build parses.
        workers=default_jobs(),
        progress=tick,
        staging=Staging(out_dir=out_dir, is_site="html" in config.formats),
        pages=staged,
    )
    taken = {t.id for t in base.tombstones} | base.foreign.keys()
    drafts: list[Draft] = []
    for facts in scan.outcomes:
        if isinstance(facts, SeedError) or facts.front_matter_id is not None:
            return None  # rejected, or an id of its own that another entry may hold
        id_ = make_entry_id(None, facts.stem, seeds_dir, config)
        if id_ in taken:
            return None  # a deleted entry's, or one another entry took
        if facts.date is not None and facts.provenance is not None:
            drafts.append((facts, id_, facts.date, facts.provenance))
        else:
            drafts.append((facts, id_, now, "first-seen"))
    # ledger.reconcile's order of arrival: by published, then id.
    arriving = sorted(sorted(drafts, key=lambda d: d[1]), key=lambda d: d[2])
    added = [
        LedgerRecord(
            id=id_,
            stem=facts.stem,
            content_hash=facts.content_hash,
            published=published,
            updated=published,
            first_seen=now,
            arrival=base.last_arrival + number,
        )
        for number, (facts, id_, published, _provenance) in enumerate(arriving, start=1)
    ]
    latest = now if base.latest_event is None else max(base.latest_event, now)
    since = latest - timedelta(days=config.tombstone_days)
    kept = tuple(t for t in base.tombstones if t.when >= since)
    ledger = insert_records(
        ledger_data, last_arrival=base.last_arrival, tombstones=base.tombstones, added=added, kept=kept
    )
    if ledger is None:
        return None
    # The drafts in the order a build lists them (claim_ids: new seeds by stem): so print their notices.
    notices: list[Notice] = []
    made = entry_catalog(
        sorted(drafts, key=lambda d: d[0].stem),
        Ledger(records={record.stem: record for record in added}),
        parse_cache,
        paths,
        config,
        notices,
    )
    fresh = {head.stem: head for head in made.heads}
    heads = tuple(fresh[record.stem] for record in added)
    newest = (*base.newest, *heads)[-config.max_entries :]
    edited = tuple(head for head in base.edited if head.updated >= since)
    archived = _archived(base, heads)
    planned = plan_catalog(parse_cache, {head.stem: made.entry(head) for head in heads}, newest, edited, archived)
    if planned is None:
        return None
    subscription, catalog = planned
    return _Made(
        archived=archived,
        ledger=ledger,
        heads=heads,
        notices=tuple(notices),
        newest=newest,
        edited=edited,
        subscription=subscription,
        catalog=catalog,
        tombstones=kept,
        latest_event=latest,
        last_arrival=base.last_arrival + len(added),
        full_pages=(base.last_arrival + len(added)) // base.size,
    )


def plan_catalog(
    parse_cache: ParseCache,
    loaded: dict[str, Entry],
    newest: Sequence[EntryHead],
    edited: Sequence[EntryHead],
    archived: dict[int, tuple[EntryHead, ...]],
) -> tuple[tuple[EntryHead, ...], EntryCatalog] | None:
    """Return what the subscription document holds, in order, and a catalog of every entry written; None if one is lost.

    The subscription document holds the newest arrivals and the recently
    edited entries not among them (``archive.plan_documents``). Every entry
    written is loaded before the first write, from ``loaded`` (by stem) or
    the store: one the store lost means a full build.
    """
    shown = {head.id for head in newest}
    subscription = order_entries([*newest, *(head for head in edited if head.id not in shown)])
    written = [*subscription, *(head for page in archived.values() for head in page)]
    for head in written:
        if head.stem not in loaded:
            entry = parse_cache.stored_entry(head.stem + SEED_SUFFIX, head.digest)
            if entry is None:
                return None
            loaded[head.stem] = entry
    return subscription, EntryCatalog(written, lambda head: loaded[head.stem])


def _archived(base: AppendBase, heads: Sequence[EntryHead]) -> dict[int, tuple[EntryHead, ...]]:
    """Return the entries of each archive page the new arrivals (``heads``, in order of arrival) fill, in order.

    A page that fills holds the arrivals since the last full page: all of
    them among the newest arrivals and the new ones (``archive.split_by_arrival``).
    """
    pages = _filled_pages(base, len(heads))
    if not pages:
        return {}
    low = (pages[0] - 1) * base.size
    # The arrival number of each published entry past the last full page: a few among all of them.
    numbers = {base.order_ids[i]: number for i, number in enumerate(base.arrivals) if number > low}
    numbers.update((head.id, number) for number, head in enumerate(heads, start=base.last_arrival + 1))
    return {
        page: order_entries(
            [h for h in (*base.newest, *heads) if (page - 1) * base.size < numbers.get(h.id, 0) <= page * base.size]
        )
        for page in pages
    }


def write_built(
    plan: AppendPlan,
    config: FeedConfig,
    parse_cache: ParseCache,
    made: Built,
    *,
    staged: dict[str, tuple[bytes, StagedFile | None]],
) -> list[str]:
    """Write what ``build.build`` writes for these seeds, in its order: the ledger first, pages before feeds.

    Return the paths whose bytes changed, as the full build reports them
    (the ledger's file name, then paths relative to the output folder).
    """
    seeds_dir, out_dir = plan.seeds_dir, plan.out_dir
    ledger_path = seeds_dir / plan.names["ledger"]
    written: list[str] = []
    if write_if_changed(ledger_path.parent, ledger_path.name, made.ledger):
        written.append(ledger_path.name)
    parse_cache.wrote_ledger(ledger_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    full_pages = made.full_pages
    if "html" in config.formats:
        listings = site_pages(made.archived)
        index = SitePage(path=INDEX_NAME, number=None, entries=order_entries(made.newest), older=full_pages or None)
        _site, site_written = write_site(
            out_dir,
            config,
            made.catalog,
            pages=[*listings, index],
            outputs=parse_cache,
            staged=staged,
            ordered=order_entries(made.heads),
        )
        written += site_written
    tombstones = feed_tombstones(made.tombstones, config)
    if "atom" in config.formats:
        documents = archive_documents(made.archived)
        documents.append(
            Document(
                path=FEED_NAME,
                kind="subscription",
                entries=made.subscription,
                tombstones=tombstones,
                prev_archive=archive_path(full_pages) if full_pages else None,
                current=None,
            )
        )
        written += write_documents(out_dir, config, documents, made.catalog, outputs=parse_cache)
    written += write_other_feeds(out_dir, config, made.catalog.entries(made.subscription), tombstones)
    # A removed seed's page goes as the full build removes it: by name, once the feeds are written.
    for relative in sorted(made.gone_pages):
        if (out_dir / relative).exists():
            written.append(relative)
        (out_dir / relative).unlink(missing_ok=True)
    parse_cache.keep_stencils(stencils_made())
    save_cache(out_dir, parse_cache)
    for head in made.heads:
        record = parse_cache.get(head.stem + SEED_SUFFIX)
        if record is not None:
            plan.unsettled[head.stem + SEED_SUFFIX] = record.digest.hex()  # checked again while unsettled
    return written


def archive_documents(archived: dict[int, tuple[EntryHead, ...]]) -> list[Document[EntryHead]]:
    """Return the Atom archive pages of these numbers and entries, as ``archive.plan_documents`` plans them."""
    return [
        Document(
            path=archive_path(number),
            kind="archive",
            entries=held,
            tombstones=(),
            prev_archive=archive_path(number - 1) if number > 1 else None,
            current=FEED_NAME,
        )
        for number, held in archived.items()
    ]


def site_pages(archived: dict[int, tuple[EntryHead, ...]]) -> list[SitePage[EntryHead]]:
    """Return the site's archive pages of these numbers and entries, as ``archive.plan_site_pages`` plans them."""
    return [
        SitePage(path=site_archive_path(number), number=number, entries=held, older=number - 1 or None)
        for number, held in archived.items()
    ]


def _report(
    plan: AppendPlan, base: AppendBase, made: _Made, config: FeedConfig, *, now: datetime, is_quiet: bool
) -> PrintedReport:
    """Record the snapshot of what this build left, and return what it prints."""
    numbered = list(enumerate(made.heads, start=base.last_arrival + 1))  # the new heads' arrival numbers
    order, before = reordered(base, (), numbered)
    count = len(base.order)
    published, new = len(order.ids), len(made.heads)
    warnings = plan.sections["warnings"]
    errors = plan.sections["errors"]
    next_base = replace(
        base,
        last_arrival=made.last_arrival,
        latest_event=made.latest_event,
        tombstones=made.tombstones,
        newest=made.newest,
        edited=made.edited,
        order=order.keys,
        order_ids=tuple(order.ids),
        arrivals=order.arrivals,
        digests=bytes(order.digests),
        notices=base.notices + array("q", [number for number, head in numbered for _ in head.notes]),
    )
    del order
    # A rebuild lists notices by arrival (snapshot.noop_report); this build, as a build does, the new seeds' by stem.
    folder = seeds_folder(plan.seeds_dir)
    arrived = [notice for head in made.heads for notice in head.notices(folder)]
    by_arrival = [f"warning: {notice}" for notice in arrived]
    section, printed, json = stdout_parts(
        plan,
        before,
        count,
        change="new",
        is_quiet=is_quiet,
        json=lambda: _json_reports(plan, base, made, config, before, arrived),
    )
    save_appended_snapshot(
        plan,
        base_parts(next_base),
        written_paths(config, [head.stem for head in made.heads], archived_paths(config, made.archived)),
        now=now,
        sections={"errors": [errors], "warnings": joined_parts(warnings, by_arrival), **section},
        summary=summary_line(
            published=published, new=0, updated=0, removed=0, unchanged=published, rejected=base.rejected
        ),
        forms=["json" if "json" in section else "text"],
    )
    return PrintedReport(
        errors=errors,
        warnings=b"" if is_quiet else b"".join(joined_parts(warnings, [f"warning: {n}" for n in made.notices])),
        lines=printed,
        summary=summary_line(
            published=published, new=new, updated=0, removed=0, unchanged=published - new, rejected=base.rejected
        ),
        json=json,
        is_failed=plan.is_failed,
        answered_by="append",
    )


def stdout_parts(
    plan: AppendPlan,
    before: Sequence[tuple[int, EntryHead]],
    count: int,
    *,
    change: str,
    is_quiet: bool,
    json: Callable[[], tuple[Parts, Parts]],
    removed: Collection[int] = (),
) -> tuple[dict[str, Iterable[bytes | memoryview]], bytes | Parts, bytes | Parts]:
    """Return the stdout part of a build of a few seeds' report, in the form the snapshot holds.

    That is the next snapshot's section of it (as a rebuild prints it), and
    what this build prints: its entry lines, or its JSON (``json()`` makes
    both JSON reports, this build's and the rebuild's). The lines are the
    stored ones with the built entries' lines (``change``, their places in
    ``before``) put in and the old lines numbered in ``removed`` left out.
    """
    if "json" in plan.sections:
        printed, rebuilt = json()
        return {"json": rebuilt}, b"", printed
    lines = plan.sections["lines"]
    section: dict[str, Iterable[bytes | memoryview]] = {
        "lines": spliced(lines, [(k, entry_line("unchanged", head)) for k, head in before], count, removed)
    }
    if is_quiet:
        return section, b"", b""
    return section, spliced(lines, [(k, entry_line(change, head)) for k, head in before], count, removed), b""


def _json_reports(
    plan: AppendPlan,
    base: AppendBase,
    made: _Made,
    config: FeedConfig,
    before: Sequence[tuple[int, EntryHead]],
    arrived: Sequence[Notice],
) -> tuple[list[bytes | memoryview], list[bytes | memoryview]]:
    """Return the ``--json`` report this build prints, and the one a rebuild with nothing to do would print.

    Both are the stored report (the last build's rebuild's) with the new
    entries spliced into its entries and their notices after its own (as
    this build lists them, and by arrival), and the values that changed
    made again: counts, tombstones, documents, what was written.
    """
    text, fields, common = json_common(plan, made, config)
    published, new, count = len(base.order) + len(made.heads), len(made.heads), len(base.order)
    printed = {
        **common,
        "published": value_json(published),
        "new": value_json(new),
        "unchanged": value_json(published - new),
        "notices": appended_items(text, fields["notices"], map(notice_json, made.notices)),
        "written": value_json(made.written),
        "entries": spliced_items(text, fields["entries"], [(k, entry_json(h, "new")) for k, h in before], count),
    }
    rebuilt = {
        **common,
        "published": value_json(published),
        "unchanged": value_json(published),
        "notices": appended_items(text, fields["notices"], map(notice_json, arrived)),
        "entries": spliced_items(text, fields["entries"], [(k, entry_json(h, "unchanged")) for k, h in before], count),
    }
    return joined_fields(printed), joined_fields(rebuilt)


def json_common(plan: AppendPlan, made: Built, config: FeedConfig) -> tuple[bytes, dict[str, Span], dict[str, Parts]]:
    """Return the stored JSON report, where its values are, and what both reports a build of a few seeds makes share.

    That is every stored value, with the tombstones and documents made
    again (the build may have let a tombstone expire, or filled a page).
    """
    text = plan.sections["json"]
    fields = json_fields(text)
    if fields is None:  # never: checked before anything was built
        raise ValueError("the stored JSON report is not laid out as a report")
    documents = [*(archive_path(number) for number in range(1, made.full_pages + 1)), FEED_NAME]
    common = {
        **{key: kept_value(text, span) for key, span in fields.items()},
        "tombstones": value_json([tombstone_json(t) for t in feed_tombstones(made.tombstones, config)]),
        "documents": value_json(documents),
    }
    return text, fields, common


class ReportOrder(NamedTuple):
    """The report's order as the append base keeps it (``AppendBase.order`` and the arrays beside it), being changed."""

    keys: array[float]  # each entry's -timestamp
    ids: list[str]
    arrivals: array[int]
    digests: bytearray


def reordered(
    base: AppendBase, removed: Sequence[int], inserted: Sequence[tuple[int, EntryHead]]
) -> tuple[ReportOrder, list[tuple[int, EntryHead]]]:
    """Return the report's order without the entries at ``removed`` (places in it), with ``inserted`` (arrival, head).

    Also where each inserted line goes among the old lines (the number of
    the old line it goes before, in order), for ``spliced``: past the old
    lines kept before it, and those left out among them.
    """
    order = ReportOrder(
        keys=array("d", base.order),
        ids=list(base.order_ids),
        arrivals=array("q", base.arrivals),
        digests=bytearray(base.digests),
    )
    removed = sorted(removed)
    for position in reversed(removed):
        del order.keys[position], order.ids[position], order.arrivals[position]
        del order.digests[DIGEST_SIZE * position : DIGEST_SIZE * position + DIGEST_SIZE]
    for arrival, head in inserted:
        key = -head.published.timestamp()
        position = report_position(order.keys, order.ids, key, head.id)
        order.keys.insert(position, key)
        order.ids.insert(position, head.id)
        order.arrivals.insert(position, arrival)
        order.digests[DIGEST_SIZE * position : DIGEST_SIZE * position] = head.digest
    before: list[tuple[int, EntryHead]] = []
    # Each inserted entry's final place, found as it was placed (a search, not a pass over every id).
    finals = sorted(
        (report_position(order.keys, order.ids, -head.published.timestamp(), head.id), head)
        for _arrival, head in inserted
    )
    for rank, (position, head) in enumerate(finals):
        old = position - rank
        for gone in removed:
            if gone <= old:
                old += 1
        before.append((old, head))
    return order, before


def report_position(order: array[float], ids: Sequence[str], key: float, id_: str) -> int:
    """Return where an entry goes in the report's order (``order`` and ``ids``): ``archive.order_entries``'s.

    Newest published first, then by id; ``order`` holds each entry's
    -timestamp (``key`` is this one's), ascending, so a binary search
    finds its moment. Where the entry is, if it is there.
    """
    position = bisect_left(order, key)
    while position < len(ids) and order[position] == key and ids[position] < id_:
        position += 1
    return position


def spliced(
    text: bytes, inserts: Sequence[tuple[int, str]], count: int, removed: Collection[int] = ()
) -> list[bytes | memoryview]:
    """Return ``count`` lines joined by newlines (``text``) with lines inserted and lines left out, in parts.

    Each insert goes before the old line of its number (``count``: after the
    last), in order; the old lines numbered in ``removed`` are left out. The
    places are found by counting newlines a block at a time
    (``spliced_json.after_marks``). The lines kept between two places are
    one slice of ``text``.
    """
    view = memoryview(text)
    pieces: list[bytes | memoryview] = []  # the lines, or runs of old lines, to be joined by newlines
    places = sorted({number for number, _line in inserts} | {number for number in removed if number < count})
    by_place: dict[int, list[str]] = {}
    for number, inserted in inserts:
        by_place.setdefault(number, []).append(inserted)
    offset = line = 0  # old line ``line`` starts at ``offset``
    for place in places:
        if line < place:
            start = offset
            offset = after_marks(text, offset, len(text), place - line, b"\n", 1)
            line = place
            pieces.append(view[start : offset - 1])
        pieces += [inserted.encode("utf-8") for inserted in by_place.get(place, ())]
        if place in removed and line < count:
            end = text.find(b"\n", offset)
            offset = len(text) + 1 if end < 0 else end + 1
            line += 1
    if line < count:
        pieces.append(view[offset:])
    parts: list[bytes | memoryview] = []
    for piece in pieces:
        if parts:
            parts.append(b"\n")
        parts.append(piece)
    return parts


def joined_parts(text: bytes, lines: Sequence[str]) -> list[bytes]:
    """Return lines joined by newlines (``text``) with more lines after them, in parts."""
    more = "\n".join(lines).encode("utf-8")
    return [text, b"\n", more] if text and more else [text or more]


def archived_paths(config: FeedConfig, archived: Iterable[int]) -> list[str]:
    """Return the paths of the archive pages of these numbers, in the formats made."""
    numbers = list(archived)
    paths = [archive_path(number) for number in numbers if "atom" in config.formats]
    return paths + [site_archive_path(number) for number in numbers if "html" in config.formats]


def written_paths(config: FeedConfig, stems: Iterable[str], pages: Iterable[str] = ()) -> list[str]:
    """Return every output path a build of these seeds may have written, relative to the output folder.

    ``stems`` are the seeds whose article pages it wrote, ``pages`` the archive pages (of the formats made).
    """
    paths = [FEED_NAMES[kind] for kind in ("rss", "json") if kind in config.formats]
    if "atom" in config.formats:
        paths.append(FEED_NAME)
    if "html" in config.formats:
        paths += [INDEX_NAME, *(page_file(stem) for stem in stems)]
    return [*paths, *pages]
