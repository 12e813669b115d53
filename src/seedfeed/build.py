"""Orchestrate a build: scan, read, parse, reconcile with the ledger, convert, write.

The only stage that touches the seeds folder, the output folder and the
ledger together, under the folder's build lock. Time comes in as ``now``:
it is recorded only for events (a seed first seen, edited or removed).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from hashlib import blake2b
from pathlib import Path

from seedfeed.archive import ARCHIVE_DIR, FEED_NAME, Document, order_entries, plan_documents, plan_site_pages
from seedfeed.cache import (
    CACHE_DIR,
    ParseCache,
    cache_key,
    digest_hasher,
    digest_inputs,
    file_stat,
    load_cache,
    paused_gc,
    save_cache,
    stat_ctime_ns,
)
from seedfeed.catalog import EntryCatalog, EntryHead, HeadNotices, SeedFacts, seeds_folder
from seedfeed.config import FeedConfig, load_config
from seedfeed.convert import ARTICLES_DIR, EntryDates, dates_of, make_entry_id, to_entry
from seedfeed.errors import LedgerError, SeedError
from seedfeed.fsutil import (
    StagedFile,
    atomic_write,
    build_lock,
    discard_staged,
    remove_files_not_in,
    remove_stale_temp_files,
    write_if_changed,
    write_parts_if_changed,
)
from seedfeed.heap import keep_large_buffers_mapped
from seedfeed.ledger import (
    CORRUPT_SUFFIX,
    LEDGER_NAME,
    Change,
    Ledger,
    LedgerRecord,
    LedgerTombstone,
    Observation,
    ledger_file_as_read,
    load_ledger,
    reconcile,
    state_parts,
)
from seedfeed.model import Article, Entry, Notice, Provenance, Tombstone
from seedfeed.outputs import SitePaths, write_pages, write_rendered, write_site
from seedfeed.parallel import Staging, cached_article, default_jobs, parse_seed_files
from seedfeed.seeds import SEED_SUFFIX, SeedPaths, list_seed_names
from seedfeed.snapshot import REPORT_FORMS, FinishedBuild, save_snapshot, settled_ns
from seedfeed.writers.atom import ATOM_TYPE, FeedLink, feed_updated, render_atom
from seedfeed.writers.common import FEED_NAMES
from seedfeed.writers.html import stencils_made, use_stencils
from seedfeed.writers.jsonfeed import render_json_feed
from seedfeed.writers.rss import render_rss


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildReport:
    """What a build did: the published entries, every rejection and notice."""

    heads: tuple[EntryHead, ...]  # every published entry, newest first, without its text
    changes: Mapping[str, Change]  # by stem
    removed: tuple[str, ...]  # ids of entries whose seed disappeared
    rejected: tuple[SeedError, ...]
    notices: Sequence[Notice]  # a full build's: a HeadNotices, made from its heads as it is read
    written: tuple[str, ...]  # output files whose bytes changed, relative to the output folder
    tombstones: tuple[Tombstone, ...] = ()
    out_dir: Path = field(default_factory=Path)
    hub: str | None = None  # None: no WebSub hub to tell about changed feeds
    changed_feeds: tuple[str, ...] = ()  # URLs of the feed documents whose bytes changed
    documents: tuple[str, ...] = ()  # every Atom document of the feed, relative to out_dir
    subscription: tuple[Entry, ...] = ()  # what the subscription document holds, in order
    is_withheld: bool = False  # True: a strict build found a bad seed and wrote nothing
    catalog: EntryCatalog | None = field(default=None, repr=False, compare=False)
    # Entries by change, counted in one pass when first asked for (``count``): the summary and
    # the snapshot ask for each count, and at 100,000 seeds a pass over the changes is 40 ms.
    _counts: dict[str, int] = field(init=False, default_factory=dict, repr=False, compare=False)

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Return every published entry, newest first (loaded from the parse cache when asked)."""
        if self.catalog is None:
            return ()
        return self.catalog.entries(self.heads)

    def count(self, change: Change) -> int:
        """Return how many published entries had this change."""
        if not self._counts and self.changes:
            self._counts.update(Counter(self.changes.values()))
        return self._counts.get(change, 0)

    def summary(self) -> str:
        """Return the one line a build ends with."""
        if self.is_withheld:
            return f"nothing written (strict): {len(self.rejected)} rejected"
        return summary_line(
            published=len(self.heads),
            new=self.count("new"),
            updated=self.count("updated"),
            removed=len(self.removed),
            unchanged=self.count("unchanged"),
            rejected=len(self.rejected),
        )


def summary_line(*, published: int, new: int, updated: int, removed: int, unchanged: int, rejected: int) -> str:
    """Return the line a build that wrote its outputs ends with."""
    return (
        f"{published} published: {new} new, {updated} updated, "
        f"{removed} removed, {unchanged} unchanged, {rejected} rejected"
    )


def first_seen_of(record: LedgerRecord | None, now: datetime) -> datetime:
    """Return when a seed was first seen: its ledger record, else this build."""
    return record.first_seen if record is not None else now


def record_of(ledger: Ledger, stem: str, id_: str, stems: set[str]) -> LedgerRecord | None:
    """Return the ledger's record of an entry: by its seed's stem, else by its id.

    A seed renamed with its front matter ``id`` kept is the same entry, and
    its first-seen time (the published date of an undated seed) moves with it.
    """
    record = ledger.records.get(stem)
    if record is not None and record.id == id_:
        return record
    moved = next((r for r in ledger.records.values() if r.id == id_), None)
    return moved if moved is not None and moved.stem not in stems else None


def entry_dates(article: Article, record: LedgerRecord | None, now: datetime) -> EntryDates:
    """Return an article's published date as the text gives it, else first-seen."""
    return facts_dates(SeedFacts.of(article), record, now)


def facts_dates(facts: SeedFacts, record: LedgerRecord | None, now: datetime) -> EntryDates:
    """Return a parsed seed's published date as the text gives it, else first-seen."""
    return dates_of(facts, first_seen_of(record, now))


def parse_seeds(
    seeds_dir: Path,
    names: Sequence[str],
    config: FeedConfig,
    ledger: Ledger,
    now: datetime,
    *,
    parse_cache: ParseCache,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
    staging: Staging | None = None,
    pages: dict[str, tuple[bytes, StagedFile | None]] | None = None,
) -> tuple[list[SeedFacts], list[SeedError], int]:
    """Read and parse every seed; a bad seed becomes a SeedError, the rest go on.

    ``names`` are the seed files' names in ``seeds_dir``. Only new and
    changed seeds are parsed (their articles go into ``parse_cache``);
    ``jobs`` > 1 parses many seeds in that many processes. Neither changes
    the result. Also returns the latest ctime (ns) of the seeds, 0 if none.
    """
    parsed: list[SeedFacts] = []
    rejected: list[SeedError] = []
    records = ledger.records
    suffix = len(SEED_SUFFIX)

    def first_seen(name: str) -> datetime:
        # The stem from the name: a Path per seed is Python code, once per seed.
        record = records.get(name[:-suffix])
        return record.first_seen if record is not None else now

    scan = parse_seed_files(
        seeds_dir,
        names,
        config,
        first_seen,
        parse_cache=parse_cache,
        workers=jobs,
        progress=progress,
        staging=staging,
        pages=pages,
        # Where the records of every seed are large, what parsing loads (numpy and the language
        # model, some 25 MiB) would be held to the end, on top of them: it stays in a worker.
        is_isolated=len(names) >= ISOLATED_PARSE_SEEDS,
    )
    for outcome in scan.outcomes:
        if isinstance(outcome, SeedError):
            rejected.append(outcome)
        else:
            parsed.append(outcome)
    return parsed, rejected, scan.newest_change_ns


# A parsed seed on its way to an entry: its facts, its id, its published date and
# where that came from (``convert.dates_of`` as a plain tuple: one per seed per build).
Draft = tuple[SeedFacts, str, datetime, Provenance]


def claim_ids(drafts: Sequence[Draft], ledger: Ledger, seeds_dir: Path) -> tuple[list[Draft], list[SeedError]]:
    """Return the drafts whose ids are unique, and a SeedError for each other.

    RFC 4287 §4.2.6: an id names one entry. When two seeds claim one (front
    matter ``id``), the one the ledger knew first keeps it, else the first by name.
    """
    next_arrival = ledger.next_arrival
    records = ledger.records
    # Seniority: the arrival number of the record that holds the id, else after
    # every record; then the stem, unique in a folder. The drafts are sorted by
    # position, by the stem and then stably by the arrival number, without a key
    # function or a key tuple per draft (6 MB at 100,000 seeds, where a full build holds the most).
    stems = [facts.stem for facts, _id, _published, _provenance in drafts]
    arrivals = [
        record.arrival if record is not None and record.id == id_ else next_arrival
        for (_facts, id_, _published, _provenance), record in zip(drafts, map(records.get, stems), strict=True)
    ]
    order = sorted(range(len(drafts)), key=stems.__getitem__)
    del stems
    order.sort(key=arrivals.__getitem__)
    del arrivals
    owners: dict[str, SeedFacts] = {}
    kept: list[Draft] = []
    rejected: list[SeedError] = []
    for index in order:
        draft = drafts[index]
        facts, id_, _published, _provenance = draft
        owner = owners.setdefault(id_, facts)
        if owner is facts:
            kept.append(draft)
        else:
            rejected.append(SeedError(seeds_dir / facts.name, None, f"id {id_!r} is already the id of {owner.name}"))
    return kept, rejected


def _load_ledger(path: Path, notices: list[Notice], parse_cache: ParseCache | None = None) -> Ledger:
    """Return the ledger, or an empty one with a notice when it is corrupt.

    A corrupt ledger is copied aside first, so nothing it held is lost.
    """
    try:
        return load_ledger(path, known=parse_cache.known if parse_cache is not None else None, states=parse_cache)
    except LedgerError as exc:
        message = str(exc).removeprefix(f"{path}: ")
        aside = path.with_name(path.name + CORRUPT_SUFFIX)
        try:
            atomic_write(aside, path.read_bytes())
        except OSError as copy_exc:
            message += f"; it could not be set aside ({copy_exc.strerror or copy_exc})"
        else:
            message += f"; set aside as {aside.name}"
        notices.append(Notice(path=path, line=None, message=message + "; a new ledger was started"))
        return Ledger()


# From this many seeds, a full build parses even one changed seed in a worker process (``parse_seeds``).
ISOLATED_PARSE_SEEDS = 20_000
# The ledger file's unchanged lines are read back from it in pieces of this size.
_LEDGER_PIECE = 1 << 20
# Archive pages rendered before they are written together: some megabytes.
_ARCHIVE_BATCH = 40


def entry_catalog(
    drafts: Sequence[Draft],
    ledger: Ledger,
    parse_cache: ParseCache,
    paths: Mapping[str, Path],
    config: FeedConfig,
    notices: list[Notice] | None = None,
) -> EntryCatalog:
    """Return the published entries as heads, each made again only when the ledger gave it other dates.

    A head the cache has, with the dates the ledger now gives, stands for its
    entry; otherwise (a new or edited seed) the entry is made from its
    article. Each head's notices are appended to ``notices``, if given (a
    full build's report reads them from the heads: ``catalog.HeadNotices``).
    ``paths`` maps the seeds' file names to their paths.
    """
    heads: list[EntryHead] = []
    note_paths: dict[str, Path] = {}
    records = ledger.records
    cached_seeds = parse_cache.seeds
    for facts, _id, published, provenance in drafts:
        record = records[facts.stem]
        cached = cached_seeds.get(facts.name)
        head = cached.head if cached is not None else None
        # catalog.head_matches, inline: this runs for every seed on every build.
        if (
            head is None
            or head.published != published
            or head.updated != max(record.updated, published)
            or head.date_source != provenance
        ):
            entry = to_entry(
                cached_article(parse_cache, paths[facts.name], config),
                EntryDates(published=published, updated=record.updated, provenance=provenance),
                config,
            )
            head = EntryHead.of(entry, digest_inputs(entry))
            parse_cache.put_entry(facts.name, head, entry)
        heads.append(head)
        if head.notes and notices is not None:
            # One Path per seed, made from the notes' own string (the seed's path as
            # the entry was made), shared by its notices.
            notices.extend(head.notices(seeds_folder(paths[facts.name].parent), note_paths))

    def load(head: EntryHead) -> Entry:
        name = head.stem + SEED_SUFFIX  # a seed's stem is its file name without the suffix
        # By the head's digest once the cache has let its records go (a report's entries, after the build).
        entry = parse_cache.entry(name)
        if entry is None:
            entry = parse_cache.stored_entry(name, head.digest)
        if entry is None:
            # The store lost it: made again, the same, from the article and the head's dates.
            dates = EntryDates(published=head.published, updated=head.updated, provenance=head.date_source)
            record = records.get(head.stem)
            first_seen = record.first_seen if record is not None else None
            entry = to_entry(cached_article(parse_cache, paths[name], config, first_seen), dates, config)
            if name in parse_cache.seeds:
                parse_cache.put_entry(name, head, entry)
        return entry

    return EntryCatalog(heads, load)


def recent_digests(parse_cache: ParseCache, now: datetime) -> dict[str, str]:
    """Return the hex digests of the bytes a build read of the seeds its stat saw changed too near ``now``.

    A seed may have changed again after it was read: the snapshot that
    vouches for it has the next build compare these bytes (``snapshot.FinishedBuild.recent``).
    """
    settled = settled_ns(now)
    seeds = parse_cache.seeds
    return {name: record.digest.hex() for name, record in seeds.items() if stat_ctime_ns(record.stat) > settled}


def _digested(parts: Iterable[bytes | memoryview], hasher: blake2b) -> Iterator[bytes | memoryview]:
    """Yield the parts, each added to ``hasher`` on the way: once all are taken, it digests their bytes."""
    for part in parts:
        hasher.update(part)
        yield part


def _bytes_released(ledger: Ledger, path: Path) -> tuple[Ledger, bytes | None]:
    """Return the ledger without the bytes of the file it was read from, and the file's stat to read them again by.

    The bytes serve only to write unchanged lines back (``_bytes_restored``).
    The stat is None when nothing was released.
    """
    source = ledger.source
    if source is None or not source.data:
        return ledger, None
    try:
        found = path.stat()
    except OSError:
        return ledger, None
    if found.st_size != len(source.data):
        return ledger, None  # changed since it was read: kept as read
    return replace(ledger, source=replace(source, data=b"")), file_stat(found)


@contextmanager
def _bytes_restored(ledger: Ledger, path: Path, stat: bytes | None) -> Iterator[Ledger]:
    """Yield the ledger with the bytes ``_bytes_released`` let go, read again from its file as they are written back.

    Read in pieces (``LedgerSource.read``), not whole: by then a full build
    holds its records and the outputs'. If the file is not as it was (its
    stat: a hand edit during the build), the ledger loses its source: every
    line is then formatted afresh. Raises LedgerError if it is cut short
    while its lines are read.
    """
    source = ledger.source
    if stat is None or source is None or source.data or source.read is not None:
        yield ledger
        return
    try:
        file = path.open("rb")
    except OSError:
        yield replace(ledger, source=None)
        return
    with file:
        if file_stat(os.fstat(file.fileno())) != stat:
            yield replace(ledger, source=None)
            return
        descriptor = file.fileno()

        def read(start: int, stop: int) -> Iterator[bytes]:
            for at in range(start, stop, _LEDGER_PIECE):
                size = min(_LEDGER_PIECE, stop - at)
                piece = os.pread(descriptor, size, at)
                if len(piece) != size:
                    raise LedgerError(f"{path}: changed while its lines were written back")
                yield piece

        yield replace(ledger, source=replace(source, read=read))


def _unsourced(ledger: Ledger) -> Ledger:
    """Return the ledger without its source (the records as read, their places in the file), once written back."""
    return ledger if ledger.source is None else replace(ledger, source=None)


def _is_same_ledger(old: Ledger, new: Ledger) -> bool:
    """Return whether reconciling kept every record as it was (not a copy): nothing to write."""
    return (
        len(old.records) == len(new.records)
        and old.last_arrival == new.last_arrival
        and old.tombstones == new.tombstones
        and all(old.records.get(stem) is record for stem, record in new.records.items())
    )


def build(
    seeds_dir: Path,
    out_dir: Path,
    *,
    now: datetime,
    config: FeedConfig | None = None,
    lock_timeout: float = 60.0,
    is_strict: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
    ledger_path: Path | None = None,
    report_forms: Collection[str] = REPORT_FORMS,
) -> BuildReport:
    """Build the feed of a seeds folder into an output folder.

    ``ledger_path`` defaults to the ledger beside the seeds; a preview passes
    its own copy so that looking at a draft records nothing in the real one.

    ``jobs`` is how many processes parse seeds (default: one per core);
    ``use_cache`` keeps a disposable parse cache in the output folder so that
    only new and changed seeds are parsed; ``progress(done, total)`` is told
    how many seeds are read. None of these changes a byte of the output.
    ``report_forms`` are the forms of the report (``"text"``, ``"json"``) the
    snapshot a ``seedfeed build`` with nothing to do answers from records.

    Raises ConfigError for a bad feed.toml, LockError when another build holds
    the lock too long, OutputError when an output file cannot be written. A
    bad seed is not an error here: it is reported in BuildReport.rejected;
    with ``is_strict``, one bad seed means nothing is written, the ledger
    included, and the report says so (``is_withheld``).
    """
    config = config or load_config(seeds_dir)
    keep_large_buffers_mapped()  # see heap.py: part of a large build's peak is its allocator's
    # The cyclic collector is paused for the build: it would walk every record
    # of a large folder several times over and find nothing to collect (a build
    # makes no cycles worth waiting for; reference counting frees the rest).
    with build_lock(seeds_dir, timeout=lock_timeout), paused_gc():
        # Under the lock no other build writes: a temp file now is a killed build's.
        remove_stale_temp_files(seeds_dir, out_dir, out_dir / ARCHIVE_DIR, out_dir / ARTICLES_DIR, out_dir / CACHE_DIR)
        notices: list[Notice] = []
        ledger_path = ledger_path or seeds_dir / LEDGER_NAME
        key = cache_key(seeds_dir, config)
        # Without the cache, an empty one that is never saved: every seed is parsed, every output rendered.
        parse_cache = load_cache(out_dir, key) if use_cache else ParseCache(key)
        # Stencils of pages kept by the last build: Jinja2 is then not even imported.
        use_stencils(parse_cache.stencils())
        # After the cache: a record shares the strings and times the cache holds alike.
        ledger = _load_ledger(ledger_path, notices, parse_cache)
        # Read again when the unchanged lines are written back: held from here to
        # there, the file (35 MB at 100,000 records) was part of the build's peak.
        ledger, ledger_stat = _bytes_released(ledger, ledger_path)
        # The cache's own strings for the names it has (its records' keys): the listing's
        # are 8 MB more at 100,000 seeds, held while the build holds the most.
        known = parse_cache.seeds
        listed = list_seed_names(seeds_dir)
        names = [seen.facts.name if (seen := known.get(name)) is not None else name for name in listed]
        del listed, known
        total = len(names)
        # A seed's Path is made only when something needs it: a parse, a message.
        paths = SeedPaths(seeds_dir)
        done = 0

        def tick(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(done, total)

        # Each new seed's entry and page are prepared where it is parsed (over the
        # cores); a page stays staged, in a temporary file, until the ledger is
        # written. A strict build may write nothing, so it prepares nothing.
        staged: dict[str, tuple[bytes, StagedFile | None]] = {}
        staging = None if is_strict else Staging(out_dir=out_dir, is_site="html" in config.formats)
        try:
            parsed, rejected, newest_seed_change = parse_seeds(
                seeds_dir,
                names,
                config,
                ledger,
                now,
                parse_cache=parse_cache,
                jobs=jobs or default_jobs(),
                progress=tick,
                staging=staging,
                pages=staged,
            )

            drafts: list[Draft] = []
            stems: set[str] | None = None  # every seed's stem, made if a record may have moved
            records = ledger.records
            cached_seeds = parse_cache.seeds
            for facts in parsed:
                try:
                    # The path only names a bad front matter id: no Path per seed otherwise.
                    source = paths[facts.name] if facts.front_matter_id is not None else seeds_dir
                    id_ = make_entry_id(facts.front_matter_id, facts.stem, source, config)
                except SeedError as exc:
                    rejected.append(exc)
                    continue
                cached = cached_seeds.get(facts.name)
                if cached is not None and cached.head is not None and cached.head.id == id_:
                    id_ = cached.head.id  # one string for the head, the draft and the record: 10 MB at 100,000
                record = records.get(facts.stem)
                if record is None or record.id != id_:
                    # A new seed, or an id that changed: a renamed seed's record may hold it.
                    if stems is None:
                        stems = {name[: -len(SEED_SUFFIX)] for name in names}
                    record = record_of(ledger, facts.stem, id_, stems)
                # convert.dates_of: the text's date, else first-seen.
                if facts.date is not None and facts.provenance is not None:
                    drafts.append((facts, id_, facts.date, facts.provenance))
                else:
                    drafts.append((facts, id_, record.first_seen if record is not None else now, "first-seen"))
            drafts, duplicates = claim_ids(drafts, ledger, seeds_dir)
            rejected.extend(duplicates)
            observed = [
                Observation(stem=f.stem, id=id_, content_hash=f.content_hash, published=published)
                for f, id_, published, _provenance in drafts
            ]
            if is_strict and rejected:
                return BuildReport(
                    heads=(),
                    changes={},
                    removed=(),
                    rejected=tuple(sorted(rejected, key=lambda e: str(e.path))),
                    notices=tuple(notices),
                    written=(),
                    out_dir=out_dir,
                    hub=config.hub,
                    is_withheld=True,
                )
            result = reconcile(
                ledger,
                observed,
                kept={e.path.stem for e in rejected},
                now=now,
                tombstone_period=timedelta(days=config.tombstone_days),
            )
            new_ledger = result.ledger
            changes, removed = result.changes, result.removed
            del result  # its ledger holds the file as read: let go with the others' once written back

            catalog = entry_catalog(drafts, new_ledger, parse_cache, paths, config)
            # What was made per seed to reach the heads goes before the outputs are
            # written, where a build holds the most: at 100,000 seeds, megabytes.
            del names, parsed, drafts, observed, stems
            tombstones = feed_tombstones(new_ledger.tombstones, config)

            # The ledger goes first: every output is a function of the seeds and the
            # ledger, so a build killed after this point is completed, byte for byte,
            # by the next one; written last, a killed build would let the next one
            # decide first-seen and edit times anew for entries readers already have.
            written: list[str] = []
            if not (_is_same_ledger(ledger, new_ledger) and parse_cache.is_ledger_current(ledger_path)):
                # Written as it is made, never whole (35 MB at 100,000 records), digested on the way.
                hasher = digest_hasher()
                with _bytes_restored(new_ledger, ledger_path, ledger_stat) as restored:
                    ledger_file = ledger_file_as_read(restored)
                    if write_parts_if_changed(
                        ledger_path.parent, ledger_path.name, _digested(ledger_file.parts, hasher)
                    ):
                        written.append(ledger_path.name)
                # Written back: the records as read and their places in the file are not needed again.
                ledger, new_ledger = _unsourced(ledger), _unsourced(new_ledger)
                parse_cache.wrote_ledger(ledger_path)
                read_back = ledger_file.read_back()
                del ledger_file
                parse_cache.keep_ledger_state_of(hasher.digest(), partial(state_parts, read_back))
                del read_back
            else:
                parse_cache.release_ledger_state()  # the file and its stored state stay as they are
            ledger, new_ledger = _unsourced(ledger), _unsourced(new_ledger)
            out_dir.mkdir(parents=True, exist_ok=True)
            arrivals = {r.stem: r.arrival for r in new_ledger.records.values()}
            documents = plan_documents(
                config,
                catalog.heads,
                arrivals=arrivals,
                last_arrival=new_ledger.next_arrival - 1,
                tombstones=tombstones,
                latest_event=new_ledger.latest_event,
            )
            published = next(d for d in documents if d.path == FEED_NAME)
            # Pages before the feeds that link to them: a reader never follows a link to nothing.
            ordered = order_entries(catalog.heads)
            site: SitePaths | None = None
            if "html" in config.formats:
                # Split by arrival as the Atom documents are, in complete mode too.
                listings = plan_site_pages(
                    catalog.heads,
                    arrivals=arrivals,
                    last_arrival=new_ledger.next_arrival - 1,
                    size=config.max_entries,
                    documents=documents,
                )
                del arrivals  # planned: a table of every seed (5 MB at 100,000) not held while pages are written
                site, site_written = write_site(
                    out_dir, config, catalog, pages=listings, outputs=parse_cache, staged=staged, ordered=ordered
                )
                del listings
                written.extend(site_written)
            # Every page staged for a published entry is committed by now: the rest (a seed whose id
            # was refused) go, and with them the table of every seed's (4 MB at 100,000).
            discard_staged(page for _digest, page in staged.values() if page is not None)
            staged.clear()
            if "atom" in config.formats:
                written.extend(write_documents(out_dir, config, documents, catalog, outputs=parse_cache))
                # Pages no document links to any more (complete = true, a lost ledger) go.
                pages = {d.path for d in documents}
                written.extend(remove_files_not_in(out_dir, ARCHIVE_DIR, ".atom", pages))
            shown = catalog.entries(published.entries)
            written.extend(write_other_feeds(out_dir, config, shown, tombstones))
            changed_feeds = tuple(config.url(name) for name in FEED_NAMES.values() if name in written)
            if site:
                # A removed seed's page goes with it, once no feed links to it; its tombstone tells the feed readers.
                written.extend(remove_files_not_in(out_dir, ARTICLES_DIR, ".html", site))
                # Archive pages past the ledger's count (a lost ledger numbers anew) go too.
                written.extend(remove_files_not_in(out_dir, ARCHIVE_DIR, ".html", site))
            # Before the records go: the snapshot has the next build check these seeds by their bytes.
            recent = recent_digests(parse_cache, now) if use_cache and newest_seed_change > settled_ns(now) else None
            if use_cache:
                parse_cache.keep_stencils(stencils_made())
                save_cache(out_dir, parse_cache)
                # Saved: the records of every seed and output (60 MB at 100,000 seeds) are not
                # held while the report and the snapshot are made.
                parse_cache.release_records()
            parse_cache.store.close()
            report = BuildReport(
                heads=ordered,
                changes=changes,  # reconcile's own dict: a copy was 5 MB at 100,000 seeds
                removed=removed,
                rejected=tuple(sorted(rejected, key=lambda e: str(e.path))),
                # The entries' notices made from their heads as the report is read: not held.
                notices=HeadNotices(notices, catalog.heads, seeds_dir),
                written=tuple(written),
                tombstones=tombstones,
                out_dir=out_dir,
                hub=config.hub,
                changed_feeds=changed_feeds,
                documents=tuple(d.path for d in documents),
                subscription=shown,
                catalog=catalog,
            )
            # What the report does not hold goes before the snapshot is made, where a build
            # holds the most: the lists of every page written and planned (a list each, and
            # the site's paths, at 100,000 seeds) and the entries last loaded with their text.
            del written, site, documents
            catalog.forget_loaded()

        finally:
            discard_staged(page for _digest, page in staged.values() if page is not None)
        # Last, still under the lock, once no staged page is left: what the next `seedfeed build` may skip to.
        return save_snapshot(
            report,
            FinishedBuild(
                seeds_dir=seeds_dir,
                out_dir=out_dir,
                config=config,
                ledger_path=ledger_path,
                before=ledger,
                after=new_ledger,
                now=now,
                newest_seed_change_ns=newest_seed_change,
                forms=report_forms,
                recent=recent,
                is_cached=use_cache,
            ),
        )


def feed_tombstones(tombstones: Iterable[LedgerTombstone], config: FeedConfig) -> tuple[Tombstone, ...]:
    """Return the ledger's tombstones as the feeds announce them: each moment in the feed's zone."""
    return tuple(Tombstone(ref=t.id, when=t.when.astimezone(config.time_zone)) for t in tombstones)


def write_other_feeds(
    out_dir: Path, config: FeedConfig, shown: Sequence[Entry], tombstones: Sequence[Tombstone]
) -> list[str]:
    """Write the RSS and JSON feeds the configuration asks for; return those whose bytes changed.

    They hold what the Atom subscription document holds (``shown``); RSS says
    when the feed last changed as Atom does: its latest event, never the clock.
    Raises OutputError when a file cannot be written.
    """
    written: list[str] = []
    last = feed_updated(shown, tombstones, config) if shown or tombstones else None
    if "rss" in config.formats and write_if_changed(
        out_dir, FEED_NAMES["rss"], render_rss(config, shown, updated=last)
    ):
        written.append(FEED_NAMES["rss"])
    if "json" in config.formats and write_if_changed(out_dir, FEED_NAMES["json"], render_json_feed(config, shown)):
        written.append(FEED_NAMES["json"])
    return written


def write_documents(
    out_dir: Path,
    config: FeedConfig,
    documents: Sequence[Document[EntryHead]],
    catalog: EntryCatalog,
    *,
    outputs: ParseCache | None = None,
) -> list[str]:
    """Render and write each Atom document in order; return the paths whose bytes changed.

    With ``outputs``, a document whose inputs and file are as a previous build
    left them is not rendered again (nor are its entries loaded). Raises
    OutputError when a file cannot be written.
    """
    written: list[str] = []
    pages: list[tuple[str, bytes, bytes]] = []  # archive pages to write: path, inputs, bytes
    for document in documents:
        links: list[FeedLink] = []
        if document.current is not None:
            links.append(FeedLink(href=config.url(document.current), rel="current", type=ATOM_TYPE))
        if document.prev_archive is not None:
            links.append(FeedLink(href=config.url(document.prev_archive), rel="prev-archive", type=ATOM_TYPE))
        inputs = digest_inputs(
            document.path,
            document.kind,
            document.prev_archive,
            document.current,
            document.tombstones,
            [head.digest for head in document.entries],
        )

        def render(document: Document[EntryHead] = document, links: Sequence[FeedLink] = links) -> bytes:
            return render_atom(
                config,
                catalog.entries(document.entries),
                tombstones=document.tombstones,
                self_url=config.url(document.path),
                links=links,
                kind=None if document.kind == "subscription" else document.kind,
            )

        if document.kind == "archive":
            # Archive pages go in batches flushed with one syncfs, as article pages do.
            if outputs is None or not outputs.is_current(out_dir, document.path, inputs):
                pages.append((document.path, inputs, render()))
            if len(pages) >= _ARCHIVE_BATCH:
                written.extend(write_pages(out_dir, pages, outputs))
            continue
        # Every page it links to is on disk before the subscription document.
        written.extend(write_pages(out_dir, pages, outputs))
        if write_rendered(out_dir, document.path, inputs, render, outputs):
            written.append(document.path)
    written.extend(write_pages(out_dir, pages, outputs))
    return written
