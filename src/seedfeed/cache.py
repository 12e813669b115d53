"""A disposable parse cache, so that a build reads and parses only new or changed seeds.

The cache lives in the output folder (``.seedfeed-cache/``, hidden, so the
preview server never serves it), apart from the committed ledger: deleting it
costs one slow build and changes no byte of any output. It maps each seed's
file name to what parsing it gave, with what the result depended on:

- the file's size, mtime_ns, inode and ctime_ns (which no program sets back,
  so an edit that keeps the size and puts the mtime back still shows): when
  all four match, the seed is not even read;
- a hash of the file's bytes: when the stat differs (a ``touch``, a fresh
  checkout), the seed is read and hashed, and parsed only if the bytes changed;
- the first-seen time the parse was given, since a year missing from the text
  may be inferred from it.

It also records, for each output file a build wrote, a digest of what the
file was rendered from and the stat the write left (see ``outputs.py``).

The whole cache is dropped when anything else a parse depends on changes: the
feed's configuration, the seeds folder as given, or seedfeed's own code and
data (a fingerprint of the package's files).

Everything lives in one SQLite file (``blobstore.py``). The light records
and the output records are kept in buckets of many, by a hash of their
name, each bucket one row with a checksum of its pickled dict: a build reads
every bucket once, and writes again only the buckets holding a record it
changed. Nothing is kept in memory to save an unchanged record (at a hundred
thousand seeds, their pickled bytes were a hundred megabytes), and a damaged
bucket is recognised before it is unpickled: the cache is then rebuilt,
silently.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
import pickle
import sqlite3
import struct
import sys
import tempfile
import zlib
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache, partial
from itertools import chain
from pathlib import Path
from typing import NamedTuple, get_args

from seedfeed.blobstore import BLOBS_FILE, BlobStore
from seedfeed.catalog import EntryHead, SeedFacts, fixed_offset
from seedfeed.config import FeedConfig
from seedfeed.ledger import StateParts, StateReader
from seedfeed.model import Article, Entry, Provenance
from seedfeed.seeds import SEED_SUFFIX

CACHE_DIR = ".seedfeed-cache"
# The light half's own file before format 5: removed when a cache is saved.
_OLD_CACHE_FILE = "parse.pickle"
# Bump when the layout of the cache changes.
FORMAT = 9
DIGEST_SIZE = 32
# Before a stem, the key of its row as index.html shows it (a stem, a file's, holds no "/").
INDEX_ROW = "/"
# Light records and output records go in this many buckets: a rebuild of a few
# seeds rewrites a bucket of each per seed, some 25 records at 100,000 seeds
# (a batch of a hundred new seeds, a hundred buckets, not every record).
_BUCKETS = 4096
# The light table's row for the ledger's stat, beside the buckets.
_LEDGER_ROW = "ledger"
# The ledger table's rows: what reading the ledger file gave (``ledger.ledger_state``), and its checksum.
_LEDGER_STATE_ROW = "state"
_LEDGER_CHECKSUM_ROW = "checksum"
# How much of a ledger state's temporary file is read at a time.
_SPOOL_BLOCK = 1 << 20
# The stencils table's one row.
_STENCILS_ROW = "made"
# An output record: the digest of its inputs, then its size, mtime_ns and inode.
_OUTPUT_STAT = struct.Struct("<QqQ")


# What a stat says about a file, as the cache keeps it: size, mtime_ns, inode and ctime_ns, the
# ctime being what no program can set back (an edit that kept the size and put the mtime back shows).
_FILE_STAT = struct.Struct("<qqQq")


def file_stat(result: os.stat_result) -> bytes:
    """Return what a stat says about a file, packed: equal bytes mean an unchanged file.

    Packed rather than a tuple of four ints: a record per seed holds one for
    a whole build, and a tuple of four large ints is 200 bytes where these
    are 65 (13 MB at a hundred thousand seeds), and unpickles slower.
    """
    return _FILE_STAT.pack(result.st_size, result.st_mtime_ns, result.st_ino, result.st_ctime_ns)


def stat_ctime_ns(stat: bytes) -> int:
    """Return the ctime (ns) of a stat packed by ``file_stat``."""
    ctime_ns: int = _FILE_STAT.unpack(stat)[3]
    return ctime_ns


class CachedSeed(NamedTuple):
    """One seed's parse, light: what it depended on, its facts, and the head of its entry."""

    stat: bytes  # ``file_stat``
    digest: bytes  # blake2b of the file's bytes
    first_seen: datetime
    facts: SeedFacts
    head: EntryHead | None  # the entry last made from it; None: none yet


# Prepared pickles held before they go to the store: a few megabytes.
_PENDING_MAX = 500


def digest_bytes(data: bytes) -> bytes:
    """Return the hash the cache keeps of a seed's bytes."""
    return digest_hasher(data).digest()


def digest_hasher(data: bytes = b"") -> hashlib.blake2b:
    """Return the hash of ``digest_bytes``, to be fed more bytes (a file made in parts)."""
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE)


@cache
def code_fingerprint() -> str:
    """Return a fingerprint of seedfeed's installed files (code, templates, language data).

    A parse depends on the code that made it: a changed parser must not
    reuse a parse of the old one, whatever the version number says.
    """
    package = Path(__file__).parent
    parts: list[str] = []
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".toml", ".html", ".css", ".json", ".txt") and "__pycache__" not in path.parts:
            stat = path.stat()
            parts.append(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.blake2b("\n".join(parts).encode("utf-8"), digest_size=16).hexdigest()


def config_fingerprint(config: FeedConfig) -> str:
    """Return a fingerprint of a configuration, the same in every process."""
    # repr() of a frozenset follows string hashing, which differs between
    # processes; every other field's repr is stable.
    values = [
        (field.name, sorted(value) if isinstance(value, frozenset) else value)
        for field in dataclasses.fields(config)
        for value in (getattr(config, field.name),)
    ]
    return hashlib.blake2b(repr(values).encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class CacheKey:
    """Everything that, changed, makes every cached parse useless."""

    format: int
    code: str
    config: str
    seeds_dir: str  # as given: parsed articles carry their seed's path


def cache_key(seeds_dir: Path, config: FeedConfig) -> CacheKey:
    """Return the key a build's cache must have to be used."""
    return CacheKey(format=FORMAT, code=code_fingerprint(), config=config_fingerprint(config), seeds_dir=str(seeds_dir))


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while many long-lived objects are made."""
    # Unpickling ten thousand articles makes the collector run again and
    # again over objects that all survive; pausing it halves the load time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# An output file as a build left it: a digest of what it was rendered from,
# then its size, mtime_ns and inode, packed in one bytes object (a tuple of a
# digest and three ints costs three times as much, at one per page).
WrittenOutput = bytes


def _written(inputs: bytes, found: os.stat_result) -> WrittenOutput:
    return inputs + _OUTPUT_STAT.pack(found.st_size, found.st_mtime_ns, found.st_ino)


def _bucket(name: str) -> str:
    """Return the bucket of a record's name: the same in every process."""
    return format(zlib.crc32(name.encode("utf-8", "surrogateescape")) % _BUCKETS, "03x")


def _checksum(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def digest_inputs(*parts: object) -> bytes:
    """Return a digest of what an output is rendered from (values with a stable repr)."""
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=DIGEST_SIZE).digest()


class ParseCache:
    """The cached parses of one seeds folder, and the ones this build adds.

    Each seed has a light record (``CachedSeed``), all of them read at the
    start of a build and written back by the bucket, only the buckets that
    changed, and two heavy values read one by one when asked for: its article
    and the entry last made from it. A build that changes one seed reads and
    writes a few rows.

    It also remembers which output files this cache's builds wrote from which
    inputs, so that a page whose inputs did not change, and whose file is as
    it was left, is not rendered again.
    """

    def __init__(
        self,
        key: CacheKey,
        seeds: dict[str, CachedSeed] | None = None,
        outputs: dict[str, WrittenOutput] | None = None,
        *,
        ledger: tuple[str, bytes] | None = None,  # the ledger file's path and ``file_stat``
        store: BlobStore | None = None,
        outputs_rows: Callable[[], Iterable[tuple[str, bytes, bytes]]] | None = None,
    ) -> None:
        self.key = key
        self.seeds: dict[str, CachedSeed] = dict(seeds or {})
        # With ``outputs_rows``, the output records are read when first asked for (``outputs``).
        self._outputs: dict[str, WrittenOutput] | None = dict(outputs or {}) if outputs_rows is None else None
        self._outputs_rows = outputs_rows
        # The ledger file's path and stat as the last build left it.
        self.ledger = ledger
        self.store = store if store is not None else BlobStore(None, repr(key))
        self._articles: dict[str, Article] = {}
        self._entries: dict[str, Entry] = {}
        self._new_articles: set[str] = set()
        self._new_entries: set[str] = set()
        # Pickled values prepared where seeds were parsed, on their way to the store:
        # name -> (digest, bytes), and stem -> (entry digest, index row).
        self._pending: dict[str, dict[str, tuple[bytes, bytes]]] = {"articles": {}, "entries": {}, "rows": {}}
        # Equal notes of the seeds put here, as one tuple each (``_shared_notes``).
        self._notes = SharedNotes({}, {})
        # Rows of seeds this cache does not know are dropped at the next save.
        self._is_pruned = not self.seeds
        # Names of the records changed or removed since they were read: their buckets are written again.
        # None: every bucket is (nothing was read).
        self._dirty: dict[str, set[str] | None] = {"light": None, "outputs": None}
        self._is_ledger_dirty = True
        # The digest of the ledger file whose state ledger_state last returned: None once another
        # is kept. Not the state (20 MB at 100,000 entries): read again when the next one is made.
        self._read_ledger_digest: bytes | None = None
        self.changed = False
        # The keys of the stencils the store holds, as ``stencils`` read them.
        self._stencil_keys: set[tuple[object, ...]] = set()

    @property
    def outputs(self) -> dict[str, WrittenOutput]:
        """Return the output records: which file was rendered from what, and the stat its write left.

        A full build asks for them only once its ledger is written: read at
        the start, a record per page (20 MB at 100,000 seeds) would be held
        through reconciling, where such a build holds the most. Rows found
        damaged then: no record, and every bucket is written again.
        """
        outputs = self._outputs
        if outputs is None:
            rows, self._outputs_rows = self._outputs_rows, None
            try:
                read = _read_rows(lambda table: rows() if table == "outputs" and rows is not None else ())
            except sqlite3.Error:
                read = None
            if read is None:
                self._dirty["outputs"] = None
            found: dict[str, WrittenOutput] = read.records["outputs"] if read is not None else {}  # type: ignore[assignment]  # written by save_light from such records
            self._outputs = outputs = found
        return outputs

    @outputs.setter
    def outputs(self, records: dict[str, WrittenOutput]) -> None:
        self._outputs, self._outputs_rows = records, None

    def mark_read(self) -> None:
        """Note that the records held now are what the store holds: only those changed later are written."""
        self._dirty = {"light": set(), "outputs": set()}
        self._is_ledger_dirty = False

    def _touch(self, table: str, name: str) -> None:
        dirty = self._dirty[table]
        if dirty is not None:
            dirty.add(name)
        self.changed = True

    @property
    def names(self) -> set[str]:
        """Return the file names of the seeds with a cached parse."""
        return set(self.seeds)

    def is_current(self, out_dir: Path, relative: str, inputs: bytes) -> bool:
        """Return whether ``out_dir/relative`` is what rendering these inputs wrote, untouched since."""
        known = self.outputs.get(relative)
        if known is None or not known.startswith(inputs):
            return False
        try:
            # A string, not a Path per page: making it costs more than the stat, at ten thousand pages.
            found = os.stat(f"{out_dir}/{relative}")  # noqa: PTH116
        except OSError:
            return False
        return known == _written(inputs, found)

    def wrote(self, out_dir: Path, relative: str, inputs: bytes) -> None:
        """Remember that ``out_dir/relative`` now holds the rendering of these inputs."""
        try:
            found = os.stat(os.path.join(out_dir, relative))  # noqa: PTH116, PTH118
        except OSError:
            if self.outputs.pop(relative, None) is not None:
                self._touch("outputs", relative)
            return
        output = _written(inputs, found)
        if self.outputs.get(relative) != output:
            self.outputs[relative] = output
            self._touch("outputs", relative)

    def is_ledger_current(self, path: Path) -> bool:
        """Return whether the ledger file is as this cache's last build wrote or checked it."""
        if self.ledger is None or self.ledger[0] != str(path):
            return False
        try:
            return file_stat(path.stat()) == self.ledger[1]
        except OSError:
            return False

    def wrote_ledger(self, path: Path) -> None:
        """Remember the ledger file's stat after it was written (or found to hold these bytes)."""
        try:
            known = (str(path), file_stat(path.stat()))
        except OSError:
            known = None
        if known != self.ledger:
            self.ledger = known
            self._is_ledger_dirty = True
            self.changed = True

    def ledger_state(self, data: bytes) -> bytes | None:
        """Return what reading a ledger file of these bytes gave, as kept by ``keep_ledger_state``; None if not kept.

        Opaque here: ``ledger.py`` alone knows the ledger's format. The next
        ``keep_ledger_state`` reads it again and may reuse its chunks; the
        caller lets it go once the ledger is made from it.
        """
        digest = digest_bytes(data)
        state = self._stored_state(digest)
        if state is not None:
            self._read_ledger_digest = digest
        return state

    def _stored_state(self, digest: bytes) -> bytes | None:
        """Return the stored state of the ledger file whose bytes have this digest; None if not kept or damaged."""
        state = self.store.get("ledger", _LEDGER_STATE_ROW, digest)
        checksum = self.store.get("ledger", _LEDGER_CHECKSUM_ROW, digest)
        if state is None or checksum is None or checksum != _checksum(state):
            return None
        return state

    def _is_sound(self, read: Callable[[int, int], bytes], digest: bytes) -> bool:
        """Return whether the state ``read`` reads is the one stored for this digest, checksum and all."""
        checksum = self.store.get("ledger", _LEDGER_CHECKSUM_ROW, digest)
        hasher = hashlib.blake2b(digest_size=16)  # _checksum's, a block at a time
        start = 0
        while block := read(start, start + _SPOOL_BLOCK):
            hasher.update(block)
            start += len(block)
        return checksum is not None and hasher.digest() == checksum

    def release_ledger_state(self) -> None:
        """Forget the state ``ledger_state`` returned: no new one will be made from it."""
        self._read_ledger_digest = None

    def keep_ledger_state(self, data: bytes, state: Callable[[StateReader | None], StateParts]) -> None:
        """Store what reading a ledger file of these bytes gives, for the next build (``keep_ledger_state_of``)."""
        self.keep_ledger_state_of(digest_bytes(data), state)

    def keep_ledger_state_of(self, digest: bytes, state: Callable[[StateReader | None], StateParts]) -> None:
        """Store what reading the ledger file whose bytes have this digest (``digest_bytes``) gives.

        ``state`` is called only if the store keeps what it writes, with a
        reader of the state ``ledger_state`` last returned (None if none, or
        if the store no longer holds it as it was), and returns the
        state as it is made (``ledger.StateParts``). Stored at once, so that
        no build holds two states while it writes its outputs; its chunks go
        to a temporary file as they are made, so that the state is not held
        whole either (20 MB at 100,000 entries, where a cold build holds the
        most): its header, which comes first, is known only after them.
        """
        was, self._read_ledger_digest = self._read_ledger_digest, None
        if not self.store.is_persistent:
            return
        with tempfile.TemporaryFile() as spool:
            try:
                # The chunks of the state read at the start, read again from the store as they are
                # copied: never held whole, where a full build holds the most (the store is this
                # build's alone, under its lock). Lost or damaged meanwhile: the state is made whole.
                with (
                    self.store.opened("ledger", _LEDGER_STATE_ROW, was) if was is not None else nullcontext(None)
                ) as found:
                    previous = found if found is not None and was is not None and self._is_sound(found, was) else None
                    made = state(previous)
                    spool.writelines(made.body)
                    head = made.header()
            except sqlite3.Error as exc:
                self.store.give_up(exc)
                return
            size = sum(map(len, head)) + spool.tell()
            spool.seek(0)
            checksum = hashlib.blake2b(digest_size=16)

            def parts() -> Iterator[bytes]:
                for part in chain(head, iter(partial(spool.read, _SPOOL_BLOCK), b"")):
                    checksum.update(part)
                    yield part

            # Two rows, not the checksum joined to the state: a copy of megabytes at a hundred thousand entries.
            self.store.write_parts("ledger", _LEDGER_STATE_ROW, digest, parts(), size=size)
        self.store.write("ledger", {_LEDGER_CHECKSUM_ROW: (digest, checksum.digest())})

    def stencils(self) -> dict[tuple[object, ...], object]:
        """Return the page stencils (``writers.html.stencils_made``) the last build kept; empty if none.

        Opaque here, as the ledger's state is. Valid for the store's key: the
        same code and configuration.
        """
        found = self.store.get_many("stencils", [_STENCILS_ROW]).get(_STENCILS_ROW)
        if found is None or found[0] != _checksum(found[1]):
            return {}
        try:
            made = pickle.loads(found[1])  # noqa: S301  # our own file, checksummed
        except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError, ValueError):
            return {}
        if not isinstance(made, dict):
            return {}
        self._stencil_keys = set(made)
        return made

    def keep_stencils(self, made: dict[tuple[object, ...], object]) -> None:
        """Store the page stencils made so far, unless they are the ones ``stencils`` returned."""
        if set(made) == self._stencil_keys or not self.store.is_persistent:
            return
        data = pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL)
        self.store.write("stencils", {_STENCILS_ROW: (_checksum(data), data)})
        self._stencil_keys = set(made)

    def known(self, stem: str) -> CachedSeed | None:
        """Return the light record of the seed of a stem, for the ledger to share its values; None if there is none."""
        return self.seeds.get(stem + SEED_SUFFIX)

    def get(self, name: str) -> CachedSeed | None:
        """Return the light record of a seed file's parse, by file name; None if there is none."""
        return self.seeds.get(name)

    def put_prepared(
        self, name: str, record: CachedSeed, head: EntryHead, article: bytes, entry: bytes, row: str | None
    ) -> None:
        """Remember a seed's parse with the entry prepared from it, all pickled (``parallel.Prepared``).

        The pickles go to the store in batches as they come, so a cold build
        of a hundred thousand seeds never holds them all.
        """
        # Shared as a saved record is (its name and dates one object each): a cold build
        # holds every record until it ends, and unpickled from a worker, none shares.
        key, kept = _compact(name, _shared(record._replace(head=head)), self._notes)
        self.seeds[key] = kept
        self._articles.pop(name, None)
        self._entries.pop(name, None)
        self._new_articles.discard(name)
        self._new_entries.discard(name)
        self._pending["articles"][name] = (record.digest, article)
        self._pending["entries"][name] = (head.digest, entry)
        if row is not None:
            self._pending["rows"][head.stem] = (head.digest, row.encode("utf-8"))
        self._touch("light", name)
        if len(self._pending["articles"]) >= _PENDING_MAX and self.store.is_persistent:
            self.flush_pending()

    def flush_pending(self) -> None:
        """Write the pickles prepared so far to the store."""
        for table, rows in self._pending.items():
            if rows:
                self.store.write(table, rows)
                rows.clear()

    def _stored(self, table: str, name: str, digest: bytes) -> object:
        """Return the value kept for ``name`` if it was made from ``digest``, unpickled; None if there is none.

        Not kept in memory once loaded: a cold build reads every one once, and
        the catalog keeps the few entries it reuses.
        """
        known = self._pending[table].get(name)
        blob = known[1] if known is not None and known[0] == digest else self.store.get(table, name, digest)
        # The row was written by this code for this configuration (the store's key).
        return pickle.loads(blob) if blob is not None else None  # noqa: S301  # our own file

    def article(self, name: str) -> Article | None:
        """Return the cached article of a seed; None when the store has lost it."""
        article = self._articles.get(name)
        record = self.seeds.get(name)
        if article is None and record is not None:
            loaded = self._stored("articles", name, record.digest)
            article = loaded if isinstance(loaded, Article) else None
        return article

    def entry(self, name: str) -> Entry | None:
        """Return the entry of a seed's cached head; None when there is no head or the store lost it."""
        entry = self._entries.get(name)
        record = self.seeds.get(name)
        if entry is None and record is not None and record.head is not None:
            loaded = self._stored("entries", name, record.head.digest)
            entry = loaded if isinstance(loaded, Entry) else None
        return entry

    def stored_entry(self, name: str, digest: bytes) -> Entry | None:
        """Return the entry made from a seed whose head has this digest, from the store; None if it has none."""
        loaded = self._stored("entries", name, digest)
        return loaded if isinstance(loaded, Entry) else None

    def index_rows(self, stems: Iterable[str]) -> dict[str, tuple[bytes, bytes]]:
        """Return the stored listing-page rows of these keys: key -> (entry digest, UTF-8 row).

        A row's key is its stem on an archive page, and ``INDEX_ROW`` and
        the stem on ``index.html``, whose links start elsewhere. Rows are
        fetched by key: a rebuild reads the rows of the pages it renders
        again, never every row. A key without a row is left out.
        """
        pending = self._pending["rows"]
        rows: dict[str, tuple[bytes, bytes]] = {}
        wanted: list[str] = []
        for stem in stems:
            known = pending.get(stem)
            if known is not None:
                rows[stem] = known
            else:
                wanted.append(stem)
        if wanted:
            rows.update(self.store.get_many("rows", wanted))
        return rows

    def put_index_rows(self, encoded: dict[str, tuple[bytes, bytes]], *, index: Iterable[str] | None = None) -> None:
        """Store newly rendered listing-page rows: key (``index_rows``) -> (entry digest, UTF-8 row).

        ``index``: the stems ``index.html`` now shows; the index rows of
        others (entries that left it for an archive page) are dropped, so the
        store keeps a page's worth of them, not one per entry ever shown.
        """
        shown = None if index is None else {INDEX_ROW + stem for stem in index}
        if self.store.is_persistent:
            if encoded:
                self.flush_pending()
                self.store.write("rows", encoded)
            if shown is not None:
                self.store.drop_prefixed("rows", INDEX_ROW, shown)
            return
        self._pending["rows"].update(encoded)
        if shown is not None:
            for key in [key for key in self._pending["rows"] if key.startswith(INDEX_ROW) and key not in shown]:
                del self._pending["rows"][key]

    def prune_index_rows(self) -> None:
        """Drop the rows of stems without a seed, when seeds went away since the cache was read.

        A row is found only by its stem and digest, so a stale one does no
        harm, but the store would grow for ever.
        """
        if not self._is_pruned:
            return
        keys = _RowKeys(self.seeds)
        if self.store.is_persistent:
            self.flush_pending()
            self.store.write("rows", {}, keys)
        else:
            for key in [key for key in self._pending["rows"] if key not in keys]:
                del self._pending["rows"][key]

    def put(self, name: str, record: CachedSeed, article: Article | None = None) -> None:
        """Remember a seed's parse; ``article`` None: the cached article stands (only the stat moved)."""
        if article is not None:
            for table in ("articles", "entries"):
                self._pending[table].pop(name, None)
            self._articles[name] = article
            self._new_articles.add(name)
            self._entries.pop(name, None)
            self._new_entries.discard(name)
            record = record._replace(head=None)
        self.seeds[name] = _shared(record)
        self._touch("light", name)

    def put_entry(self, name: str, head: EntryHead, entry: Entry) -> None:
        """Remember the entry made from a seed's parse, and its head."""
        self.seeds[name] = self.seeds[name]._replace(head=head)
        self._pending["entries"].pop(name, None)
        self._entries[name] = entry
        self._new_entries.add(name)
        self._touch("light", name)

    def release_records(self) -> None:
        """Let go of the light and output records, once saved; the articles and entries stay readable by digest.

        What a full build holds longest: at 100,000 seeds, some 60 MB while
        its report and snapshot are made. Kept when the store does not work
        or holds less than this cache (nothing to read them back from).
        """
        if self.store.is_persistent and not self.changed and not any(self._pending.values()):
            self.seeds = {}
            self.outputs = {}

    def keep_only(self, names: set[str]) -> None:
        """Forget seeds that are gone, so the cache does not grow forever."""
        gone = self.names - names
        self.forget(gone)
        self._is_pruned = self._is_pruned or bool(gone)

    def forget(self, names: Iterable[str], outputs: Iterable[str] = ()) -> None:
        """Forget these seeds' records (by file name) and these outputs' (a removed seed's page)."""
        for name in names:
            for table in ("articles", "entries"):
                self._pending[table].pop(name, None)
            self.seeds.pop(name, None)
            self._articles.pop(name, None)
            self._entries.pop(name, None)
            self._new_articles.discard(name)
            self._new_entries.discard(name)
            self._touch("light", name)
        for relative in outputs:
            if self.outputs.pop(relative, None) is not None:
                self._touch("outputs", relative)

    def save_blobs(self) -> None:
        """Write the articles and entries this build made to the blob store."""
        self.flush_pending()
        keep = set(self.seeds) if self._is_pruned else None
        articles = {
            name: (self.seeds[name].digest, pickle.dumps(self._articles[name], protocol=pickle.HIGHEST_PROTOCOL))
            for name in sorted(self._new_articles)
            if name in self.seeds and name in self._articles
        }
        entries: dict[str, tuple[bytes, bytes]] = {}
        for name in sorted(self._new_entries):
            record = self.seeds.get(name)
            if record is not None and record.head is not None and name in self._entries:
                entries[name] = (
                    record.head.digest,
                    pickle.dumps(self._entries[name], protocol=pickle.HIGHEST_PROTOCOL),
                )
        for table, rows in (("articles", articles), ("entries", entries)):
            if rows or keep is not None:
                self.store.write(table, rows, keep)
        self._new_articles.clear()
        self._new_entries.clear()
        self._is_pruned = False

    def save_light(self) -> None:
        """Write the buckets of light and output records that hold a change, and the ledger's stat."""
        for table in ("light", "outputs"):
            dirty = self._dirty[table]
            if dirty is not None and not dirty:
                continue
            records: Mapping[str, CachedSeed | WrittenOutput] = self.seeds if table == "light" else self.outputs
            buckets = None if dirty is None else {_bucket(name) for name in dirty}
            # The names of each bucket written, then the buckets pickled one at a time as
            # the store takes them: all of them at once are tens of megabytes at 100,000 seeds.
            grouped: dict[str, list[str]] = {}
            for name in records:
                bucket = _bucket(name)
                if buckets is None or bucket in buckets:
                    grouped.setdefault(bucket, []).append(name)
            written = sorted(grouped if buckets is None else buckets)
            rows = _bucket_rows(written, grouped, records)
            # Every bucket written: any other row is another build's.
            self.store.write_rows(table, rows, keep={*written, _LEDGER_ROW} if buckets is None else None)
            self._dirty[table] = set()
        if self._is_ledger_dirty:
            data = pickle.dumps(self.ledger, protocol=pickle.HIGHEST_PROTOCOL)
            self.store.write("light", {_LEDGER_ROW: (_checksum(data), data)})
            self._is_ledger_dirty = False
        self.changed = False


def _bucket_rows(
    buckets: Iterable[str], names: dict[str, list[str]], records: Mapping[str, CachedSeed | WrittenOutput]
) -> Iterator[tuple[str, bytes, bytes]]:
    """Yield each bucket's row, its records pickled as one dict: name, checksum, bytes."""
    for bucket in buckets:
        group: dict[str, object] = {}
        for name in names.get(bucket, ()):
            record = records[name]
            if isinstance(record, CachedSeed):
                name, record = _compact(name, record)  # the same record, sharing more
            group[name] = record
        data = pickle.dumps(group, protocol=pickle.HIGHEST_PROTOCOL)
        yield bucket, _checksum(data), data


def _compact(name: str, record: CachedSeed, notes_seen: SharedNotes | None = None) -> tuple[str, CachedSeed]:
    """Return a seed's name and record as they are best pickled: equal values as one object.

    Pickle writes an object met before as a reference, and reading it back
    shares it: the name with the facts' own, and the head's dates with the
    text's date or first-seen time when they are the same moment in the same
    zone (most seeds). A hundred thousand records keep tens of megabytes
    less when read. ``notes_seen`` shares equal notes among the records
    compacted with it (``_shared_notes``).
    """
    facts, head = record.facts, record.head
    if facts.name == name:
        name = facts.name
    if facts.provenance is not None and facts.provenance is not _PROVENANCES.get(facts.provenance):
        facts = facts._replace(provenance=_PROVENANCES.get(facts.provenance, facts.provenance))
    first_seen = record.first_seen
    if head is not None:
        known = facts.date if facts.date is not None else first_seen
        published = known if _is_same(head.published, known) else head.published
        updated = published if _is_same(head.updated, published) else head.updated
        source = _PROVENANCES.get(head.date_source, head.date_source)
        notes = _shared_notes(head.notes, notes_seen)
        if (
            published is not head.published
            or updated is not head.updated
            or source is not head.date_source
            or notes is not head.notes
        ):
            head = head._replace(published=published, updated=updated, date_source=source, notes=notes)
        if _is_same(first_seen, published):
            first_seen = published
    if facts is not record.facts or head is not record.head or first_seen is not record.first_seen:
        record = record._replace(first_seen=first_seen, facts=facts, head=head)
    return name, record


_Note = tuple[str, int | None, str]


class SharedNotes(NamedTuple):
    """Notes met so far, each one tuple however often it is met (``_shared_notes``)."""

    notes: dict[_Note, _Note]
    sets: dict[tuple[_Note, ...], tuple[_Note, ...]]


def _shared_notes(notes: tuple[_Note, ...], seen: SharedNotes | None = None) -> tuple[_Note, ...]:
    """Return an entry's notes with one string for its path and each message interned (``sys.intern``).

    A seed's notes name its own file, each with a string of its own as a
    worker's pickle gives them, and most messages are one of a few ("language
    'en' (detected) differs from the feed's 'id'"): at 100,000 seeds, some
    13 MB of equal strings held until a cold build ends. Interned strings
    are freed with their last use. With ``seen``, a note on no line (one
    of those few: about the whole seed, on its own file, ``OWN_FILE``) is
    one tuple however many seeds have it, and so is a seed's set of such
    notes: a tuple each was some 5 MB at 100,000 seeds. Notes on a line
    (a year inferred from a date in the text) are seldom alike: a table of
    them would cost more than it shares.
    """
    if not notes:
        return notes
    path = notes[0][0]
    intern = sys.intern
    # Saved records were shared when they were made: checked without a tuple made.
    if seen is None and all(
        (other is path or other != path) and intern(message) is message for other, _line, message in notes
    ):
        return notes
    shared = tuple((path if other == path else other, line, intern(message)) for other, line, message in notes)
    if seen is None:
        return shared
    shared = tuple(note if note[1] is not None else seen.notes.setdefault(note, note) for note in shared)
    if any(line is not None for _path, line, _message in shared):
        return shared
    return seen.sets.setdefault(shared, shared)


# Each provenance as one object: pickled once per bucket, not once per record.
_PROVENANCES: dict[str, Provenance] = {value: value for value in get_args(Provenance)}


def _is_same(a: datetime, b: datetime) -> bool:
    """Return whether one datetime may stand for the other: the same fields and zone.

    The same zone object, or two fixed-offset ``timezone`` objects alike in
    offset and name (as each process unpickles its own).
    """
    if a is b:
        return True
    if a != b or a.fold != b.fold:
        return False
    zone, other = a.tzinfo, b.tzinfo
    return zone is other or (
        type(zone) is timezone and type(other) is timezone and zone == other and zone.tzname(a) == other.tzname(b)
    )


def _shared(record: CachedSeed) -> CachedSeed:
    """Return a record whose first-seen time has the one ``timezone`` object of its offset (``fixed_offset``).

    First-seen times come from the ledger; a zone object each, kept and
    pickled a hundred thousand times, costs megabytes for nothing.
    """
    first_seen = fixed_offset(record.first_seen)
    return record if first_seen is record.first_seen else record._replace(first_seen=first_seen)


class _RowKeys(Container[str]):
    """The keys of the listing-page rows of a set of seeds (``ParseCache.index_rows``), asked one at a time.

    Pruning asks it once per stored row: the set of every key would be two
    strings per seed, tens of megabytes for a moment at 100,000 seeds.
    """

    def __init__(self, seeds: Container[str]) -> None:
        self._seeds = seeds  # file names

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.removeprefix(INDEX_ROW) + SEED_SUFFIX in self._seeds


class _Read(NamedTuple):
    """What the light and output tables' rows held."""

    records: dict[str, dict[str, object]]  # by table: each bucket's records, merged
    ledger: object  # the ledger row's value; _NO_ROW when there is none


def _read_rows(rows: Callable[[str], Iterable[tuple[str, bytes, bytes]]]) -> _Read | None:
    """Return the records of the rows ``rows(table)`` yields (name, checksum, data); None when one is damaged.

    Raises sqlite3.Error when the store fails midway.
    """
    read = _Read(records={"light": {}, "outputs": {}}, ledger=_NO_ROW)
    ledger: object = _NO_ROW
    try:
        with paused_gc():
            for table, found in read.records.items():
                for name, checksum, data in rows(table):
                    if checksum != _checksum(data):
                        return None
                    # The checksum matched, so these are bytes this code wrote; a class
                    # that changed since is caught by the code fingerprint in the key.
                    value = pickle.loads(data)  # noqa: S301  # our own file, checksummed
                    if name == _LEDGER_ROW and table == "light":
                        ledger = value
                    elif isinstance(value, dict):
                        found.update(value)
                    else:
                        return None
    except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError, ValueError):
        return None
    return read._replace(ledger=ledger)


def _cache_of(
    cls: type[ParseCache],
    key: CacheKey,
    read: _Read,
    store: BlobStore,
    outputs_rows: Callable[[], Iterable[tuple[str, bytes, bytes]]] | None = None,
) -> ParseCache:
    """Return a cache holding what was read, each record noted as the store's.

    With ``outputs_rows``, the output records are read from those rows when first asked for.
    """
    parse_cache = cls(
        key,
        read.records["light"],  # type: ignore[arg-type]  # written by save_light from such records
        read.records["outputs"],  # type: ignore[arg-type]  # likewise
        ledger=read.ledger if isinstance(read.ledger, tuple) else None,
        store=store,
        outputs_rows=outputs_rows,
    )
    parse_cache.mark_read()
    return parse_cache


def read_cache(key: CacheKey, store: BlobStore) -> ParseCache:
    """Return the cache a store holds, or an empty one if it is damaged or holds none."""
    try:
        # The light records now, the output records when first asked for (``ParseCache.outputs``).
        read = _read_rows(lambda table: store.iter_all(table) if table == "light" else ())
    except sqlite3.Error:
        read = None
    if read is None or not read.records["light"]:
        return ParseCache(key, store=store)
    return _cache_of(ParseCache, key, read, store, partial(store.iter_all, "outputs"))


class ParseCacheSlice(ParseCache):
    """Some buckets of a parse cache: the records a build of a few new seeds reads and writes.

    Saved like the whole cache, bucket by bucket, so every bucket it writes
    holds all the records it held. It knows only its buckets' seeds, so it
    forgets none (``keep_only``) and prunes no row.
    """

    def keep_only(self, names: set[str]) -> None:
        """Forget nothing: the seeds this slice does not hold are not gone."""


def read_cache_slice(
    key: CacheKey, store: BlobStore, *, seeds: Iterable[str], outputs: Iterable[str]
) -> ParseCache | None:
    """Return the buckets of a cache holding these seeds' and outputs' records; None if no build saved this store.

    A damaged bucket is None too: the full build that follows rebuilds the cache.
    """
    wanted = {
        "light": sorted({_bucket(name) for name in seeds} | {_LEDGER_ROW}),
        "outputs": sorted({_bucket(name) for name in outputs}),
    }

    def rows(table: str) -> list[tuple[str, bytes, bytes]]:
        return [(name, checksum, data) for name, (checksum, data) in store.get_many(table, wanted[table]).items()]

    read = _read_rows(rows)
    if read is None or read.ledger is _NO_ROW:
        return None  # damaged, or a store no build saved (or made for another key, and emptied)
    part = _cache_of(ParseCacheSlice, key, read, store)
    part._is_pruned = False  # an empty bucket is not an empty cache
    return part


_NO_ROW = object()


def cache_path(out_dir: Path) -> Path:
    """Return where the parse cache of an output folder is kept."""
    return out_dir / CACHE_DIR / BLOBS_FILE


def load_cache(out_dir: Path, key: CacheKey) -> ParseCache:
    """Read the parse cache of an output folder; a missing or unreadable one is empty."""
    return read_cache(key, BlobStore(cache_path(out_dir), repr(key)))


def save_cache(out_dir: Path, parse_cache: ParseCache) -> None:
    """Write what this build changed of the parse cache; a failure only costs the next build time.

    The heavy rows first: a light record saved before its rows would name
    rows that are not there (which costs only a parse, but costs it).
    """
    if parse_cache.changed:
        path = cache_path(out_dir)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            parse_cache.save_blobs()
            parse_cache.save_light()
            # The light half of an older format, in its own file: nothing reads it.
            (path.parent / _OLD_CACHE_FILE).unlink(missing_ok=True)
        except OSError:
            pass  # a cache that cannot be written is a slower next build, never a failed one
    # Nothing after the save asks about outputs: a record per page, freed for the rest of the build.
    parse_cache.outputs = {}
