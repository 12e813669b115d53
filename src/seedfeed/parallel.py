"""Read and parse seeds, over several processes when there are many.

Parsing is pure and CPU-bound (date patterns, language detection), so a cold
build of thousands of seeds spreads it over a process pool. Results come back
in the order the seeds were given, whatever the number of workers, so the
build's output is byte-identical with one worker or many.

The pool forks: workers inherit the loaded configuration, compiled patterns
and the language model instead of loading them again. Where fork is not
available, or the process runs other threads (forking those is unsafe), the
seeds are parsed in this process.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from seedfeed.article import parse_article
from seedfeed.cache import CachedSeed, ParseCache, digest_bytes, digest_inputs, file_stat, paused_gc
from seedfeed.catalog import EntryHead, SeedFacts
from seedfeed.config import FeedConfig
from seedfeed.convert import dates_of, to_entry
from seedfeed.detect import preload as preload_language_model
from seedfeed.errors import SeedError
from seedfeed.fsutil import StagedFile, load_libc, stage_file
from seedfeed.langquick import is_model_cached
from seedfeed.model import Article
from seedfeed.seeds import decode_seed, read_seed_bytes
from seedfeed.writers.html import page_file, render_article, render_index_row

# Below this many seeds to parse, starting workers costs more than it saves.
MIN_PARALLEL_SEEDS = 200
_MAX_CHUNK = 64
# prctl option: the signal a process gets when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class ParseJob:
    """One seed to read, and parse unless its bytes are what the cache knows.

    The seed is named by its folder (one object for every job) and its file
    name: a cold build of a hundred thousand seeds holds its jobs while they
    are parsed, and a Path per seed would be tens of megabytes there.
    """

    folder: Path
    name: str  # the seed's file name in ``folder``
    first_seen: datetime
    known_digest: bytes | None  # None: nothing cached to reuse

    @property
    def path(self) -> Path:
        """Return the seed file's path (made on each call: asked for once per parse)."""
        return self.folder / self.name


@dataclass(frozen=True, slots=True)
class Staging:
    """Where a parse prepares its entry's outputs: the output folder, and whether it has a site."""

    out_dir: Path
    is_site: bool


class Prepared(NamedTuple):
    """An entry made where its seed was parsed, on the guess that the ledger gives it its first dates.

    True for a new seed, which is most of the work of a cold build: the
    build checks the guess (``catalog.head_matches``) and uses what was
    prepared, else makes the entry again from the article.
    """

    head: EntryHead
    article_blob: bytes  # the article, pickled
    entry_blob: bytes  # the entry, pickled
    row: str | None  # its row on an archive page of the site; None: no site
    page: StagedFile | None  # its page, staged; None: no site, or the file already holds it


@dataclass(frozen=True, slots=True)
class ParseOutcome:
    """What reading and parsing one seed gave."""

    stat: bytes | None  # ``cache.file_stat``; None: the file could not be read
    digest: bytes | None  # None: the file could not be read
    article: Article | None  # None: rejected, unchanged (digest == known_digest), or prepared
    error: SeedError | None  # None: read, and parsed or unchanged
    facts: SeedFacts | None = None  # of the article, parsed or prepared
    prepared: Prepared | None = None  # None: not asked for, or the entry could not be made


def default_jobs() -> int:
    """Return how many worker processes a build uses unless told: one per usable core."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def parse_one(
    job: ParseJob,
    config: FeedConfig,
    staging: Staging | None = None,
    folders: dict[str, Path] | None = None,
) -> ParseOutcome:
    """Read one seed and parse it, unless its bytes hash to ``job.known_digest``.

    With ``staging``, a parsed seed's entry is made, pickled and its page
    staged here (``Prepared``) instead of its article being returned.
    """
    path = job.path
    try:
        data, stat = read_seed_bytes(path, max_bytes=config.max_seed_bytes)
    except SeedError as exc:
        return ParseOutcome(stat=None, digest=None, article=None, error=exc)
    digest = digest_bytes(data)
    if digest == job.known_digest:
        return ParseOutcome(stat=file_stat(stat), digest=digest, article=None, error=None)
    try:
        seed = decode_seed(data, source=path, max_bytes=config.max_seed_bytes)
        article = parse_article(seed, config, first_seen=job.first_seen)
    except SeedError as exc:
        return ParseOutcome(stat=file_stat(stat), digest=digest, article=None, error=exc)
    facts = SeedFacts.of(article)
    prepared = None
    if staging is not None:
        prepared = prepare(article, facts, job.first_seen, config, staging, {} if folders is None else folders)
    if prepared is None:
        return ParseOutcome(stat=file_stat(stat), digest=digest, article=article, error=None, facts=facts)
    return ParseOutcome(stat=file_stat(stat), digest=digest, article=None, error=None, facts=facts, prepared=prepared)


def prepare(
    article: Article,
    facts: SeedFacts,
    first_seen: datetime,
    config: FeedConfig,
    staging: Staging,
    folders: dict[str, Path],
) -> Prepared | None:
    """Make a parsed seed's entry with its first dates, pickle it, stage its page; None when it has no entry.

    Raises OutputError when the page cannot be staged.
    """
    try:
        entry = to_entry(article, dates_of(facts, first_seen), config)
    except SeedError:
        return None  # a bad front matter id: the build rejects the seed
    head = EntryHead.of(entry, digest_inputs(entry))
    row: str | None = None
    page: StagedFile | None = None
    if staging.is_site:
        # Its row as an archive page shows it, where every entry ends up; its
        # row on index.html, a page's worth, is rendered where the index is.
        row = render_index_row(config, entry, prefix="../")
        page = stage_file(staging.out_dir, page_file(entry.stem), render_article(config, entry), folders)
    return Prepared(
        head=head,
        article_blob=pickle.dumps(article, protocol=pickle.HIGHEST_PROTOCOL),
        entry_blob=pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL),
        row=row,
        page=page,
    )


# Set in each worker by _start_worker; a worker parses for one build only.
_worker_config: FeedConfig | None = None
_worker_staging: Staging | None = None
_worker_folders: dict[str, Path] = {}


def _start_worker(config: FeedConfig, staging: Staging | None, parent: int) -> None:
    # One per worker process, set once at its start.
    global _worker_config, _worker_staging
    _die_with(parent)
    _worker_config = config
    _worker_staging = staging
    _worker_folders.clear()
    preload_language_model()


def _die_with(parent: int) -> None:
    """Have this worker end when the build that forked it ends, however it ends.

    A build killed outright (SIGKILL, the OOM killer) cannot shut its pool
    down, and a forked worker waits on a queue whose other end its siblings
    still hold open: it would sit in memory for good. On Linux the kernel
    sends it SIGTERM when its parent dies; a parent already gone before the
    request was made is caught by the parent pid check.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = load_libc()
    if libc is not None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _parse_chunk(jobs: Sequence[ParseJob]) -> list[ParseOutcome]:
    config = _worker_config
    if config is None:  # only _start_worker runs before this
        raise RuntimeError("parse worker started without a configuration")
    return [parse_one(job, config, _worker_staging, _worker_folders) for job in jobs]


def _can_fork() -> bool:
    import multiprocessing  # only where a pool may start: a one-seed rebuild never imports it

    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _chunks(jobs: Sequence[ParseJob], workers: int) -> Iterator[Sequence[ParseJob]]:
    # Small enough that the workers finish together, big enough that the
    # round trips do not dominate.
    size = max(1, min(_MAX_CHUNK, len(jobs) // (workers * 8) or 1))
    for start in range(0, len(jobs), size):
        yield jobs[start : start + size]


def parse_many(
    jobs: Sequence[ParseJob],
    config: FeedConfig,
    *,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    staging: Staging | None = None,
) -> list[ParseOutcome]:
    """Return the outcome of each job, in the order of the jobs (see ``iter_parse``)."""
    return list(iter_parse(jobs, config, workers=workers, progress=progress, staging=staging))


def iter_parse(
    jobs: Sequence[ParseJob],
    config: FeedConfig,
    *,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    staging: Staging | None = None,
    is_isolated: bool = False,
) -> Iterator[ParseOutcome]:
    """Yield the outcome of each job, in the order of the jobs, as they are ready.

    ``workers`` > 1 parses in that many processes when there are enough
    seeds; ``progress`` is told how many more seeds are done, as they are;
    ``staging`` prepares each parsed seed's entry and page (``Prepared``).
    ``is_isolated`` parses even a few seeds in a worker process (where a
    process can fork): what parsing loads (numpy and the language model,
    some 25 MiB, for a text whose language the quick scores leave unsure)
    then stays out of this process.
    """
    is_pooled = (workers > 1 and len(jobs) >= MIN_PARALLEL_SEEDS) or (is_isolated and bool(jobs))
    if not is_pooled or not _can_fork():
        folders: dict[str, Path] = {}
        for job in jobs:
            yield parse_one(job, config, staging, folders)
            if progress is not None:
                progress(1)
        return
    # Each worker loads the language model as it starts (its weights memory-mapped, their pages
    # shared): the build's own process, which holds every seed's record, never imports numpy
    # (15 MB). A model not yet derived on this machine is derived here once, before the fork.
    if not is_model_cached():
        preload_language_model()
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with (
        ProcessPoolExecutor(
            max_workers=max(1, min(workers, len(jobs))),
            mp_context=context,
            initializer=_start_worker,
            initargs=(config, staging, os.getpid()),
        ) as pool,
        paused_gc(),
    ):
        for chunk in pool.map(_parse_chunk, _chunks(jobs, workers)):
            yield from chunk
            if progress is not None:
                progress(len(chunk))


class SeedScan(NamedTuple):
    """What ``parse_seed_files`` found: each seed's facts or rejection, and when a seed last changed."""

    outcomes: list[SeedFacts | SeedError]  # in the order of the names given
    newest_change_ns: int  # the latest ctime (ns) of the seeds stat-ed; 0: none was


def parse_seed_files(
    seeds_dir: Path,
    names: Sequence[str],
    config: FeedConfig,
    first_seen: Callable[[str], datetime],
    *,
    parse_cache: ParseCache,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    staging: Staging | None = None,
    pages: dict[str, tuple[bytes, StagedFile | None]] | None = None,
    is_isolated: bool = False,
) -> SeedScan:
    """Return each seed's facts, or the error that rejects it, in the order of ``names``.

    ``names`` are file names in ``seeds_dir``; ``first_seen`` gives a seed's
    first-seen time by file name. A seed whose stat and first-seen time match its cached parse is
    not read; one whose bytes match is not parsed. The cache learns every
    new parse (its article is there for the asking) and forgets seeds that
    are gone; an empty cache that is never saved makes every seed parsed.
    With ``staging``, each parsed seed's entry is prepared where it is parsed
    (the cache learns it too) and its staged page goes into ``pages``
    (stem -> (entry digest, staged page or None when the file holds it)).
    ``is_isolated`` parses them in worker processes however few they are
    (``iter_parse``).
    """
    results: list[SeedFacts | SeedError | None] = [None] * len(names)
    reusable: dict[int, CachedSeed] = {}
    jobs: list[ParseJob] = []
    positions: list[int] = []
    newest = 0
    get = parse_cache.seeds.get
    # Each seed stat-ed by name through the folder's descriptor, and compared
    # packed: this loop runs over every seed on every build, so it makes no
    # Path and no record per seed.
    folder = os.open(seeds_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for index, name in enumerate(names):
            found: os.stat_result | None
            try:
                found = os.stat(name, dir_fd=folder)
            except OSError:
                found = None  # read_seed_bytes reports it
            else:
                if found.st_ctime_ns > newest:
                    newest = found.st_ctime_ns
            cached = get(name)
            # A parse made with another first-seen time may have inferred another year.
            if cached is not None and cached.first_seen == first_seen(name):
                if found is not None and file_stat(found) == cached.stat:
                    results[index] = cached.facts
                    continue
                reusable[index] = cached
            jobs.append(
                ParseJob(
                    folder=seeds_dir,
                    name=name,
                    first_seen=first_seen(name),
                    known_digest=reusable[index].digest if index in reusable else None,
                )
            )
            positions.append(index)
    finally:
        os.close(folder)
    if progress is not None and len(jobs) < len(names):
        progress(len(names) - len(jobs))
    outcomes = iter_parse(jobs, config, workers=workers, progress=progress, staging=staging, is_isolated=is_isolated)
    for index, job, outcome in zip(positions, jobs, outcomes, strict=True):
        if outcome.error is not None:
            results[index] = outcome.error
            continue
        if outcome.stat is None or outcome.digest is None:  # never: a seed read without error has both
            results[index] = SeedError(job.path, None, "could not be read")
            continue
        name = names[index]
        if outcome.facts is None:
            # The bytes are the cached ones, only the stat moved.
            record = reusable[index]._replace(stat=outcome.stat)
            parse_cache.put(name, record)
        else:
            record = CachedSeed(
                stat=outcome.stat, digest=outcome.digest, first_seen=job.first_seen, facts=outcome.facts, head=None
            )
            if outcome.prepared is not None:
                prepared = outcome.prepared
                parse_cache.put_prepared(
                    name, record, prepared.head, prepared.article_blob, prepared.entry_blob, prepared.row
                )
                if pages is not None and staging is not None and staging.is_site:
                    pages[prepared.head.stem] = (prepared.head.digest, prepared.page)
            else:
                parse_cache.put(name, record, outcome.article)
        # The facts the cache keeps, which share more than the ones unpickled (``cache._compact``).
        results[index] = parse_cache.seeds[name].facts
    parse_cache.keep_only(set(names))
    return SeedScan(outcomes=[result for result in results if result is not None], newest_change_ns=newest)


def cached_article(
    parse_cache: ParseCache, path: Path, config: FeedConfig, first_seen: datetime | None = None
) -> Article:
    """Return the article of a seed the cache has a record of, parsing it again if the store lost it.

    ``first_seen`` stands in for the record once the cache has let its
    records go (``ParseCache.release_records``); the article parsed again is
    then returned, not kept. Raises SeedError when the seed must be parsed
    again and cannot be, and KeyError for a seed the cache has no record of
    without ``first_seen``.
    """
    article = parse_cache.article(path.name)
    if article is not None:
        return article
    record = parse_cache.seeds.get(path.name)
    if record is not None:
        known = record.first_seen
    elif first_seen is not None:
        known = first_seen
    else:
        raise KeyError(path.name)
    outcome = parse_one(ParseJob(folder=path.parent, name=path.name, first_seen=known, known_digest=None), config)
    if outcome.error is not None:
        raise outcome.error
    if outcome.article is None or outcome.stat is None or outcome.digest is None:  # never without an error
        raise SeedError(path, None, "could not be read")
    if record is not None:
        parse_cache.put(path.name, record._replace(stat=outcome.stat, digest=outcome.digest), outcome.article)
    return outcome.article
