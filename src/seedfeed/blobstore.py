"""The parse cache's heavy half: each seed's pickled article and entry, one SQLite row each.

A rebuild after one new seed needs one or two articles and the few entries
whose pages or documents it renders again; reading and rewriting the whole
cache as one file (tens of megabytes at ten thousand seeds) would cost more
than the rest of such a build. SQLite (in the standard library) reads and
writes single rows, and a transaction keeps the file whole if a build is
killed mid-write.

Every row carries the digest of what it was made from (the seed file's bytes
for an article, the entry's digest for an entry) and is returned only when
the caller asks for that digest, so a row left by another build, or by a
build killed before the cache's light half was saved, is never mistaken for
the current one. The file is disposable like the rest of the cache: a store
that cannot be opened, read or written behaves as an empty one, and a store
made by other code or for another configuration is emptied.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from pathlib import Path

BLOBS_FILE = "blobs.sqlite"
# articles, entries, archive-page rows: one row per seed; light, outputs: the cache's
# light records and its output records, in buckets of many; ledger: what
# reading the ledger file gave, by the digest of its bytes (``cache.py``).
_TABLES = ("articles", "entries", "rows", "light", "outputs", "ledger", "stencils")
# How long a build waits for a store another program holds locked before it goes on without it.
BUSY_SECONDS = 5.0
# SQLite's primary result codes of a lock held elsewhere: SQLITE_BUSY, SQLITE_LOCKED.
_BUSY_CODES = (5, 6)
# Below SQLite's oldest limit of host parameters per statement (999).
_NAMES_PER_QUERY = 900


class BlobStore:
    """Values by name and digest: pickled articles and entries, rendered rows of archive pages.

    None for the path: nothing is stored, every read finds nothing.
    """

    def __init__(self, path: Path | None, key: str) -> None:
        self._path = path
        self._key = key
        self._db: sqlite3.Connection | None = None
        self._is_broken = path is None
        self._is_closed = False

    @property
    def is_persistent(self) -> bool:
        """Return whether what is written can be read back (a store on disk that still works)."""
        return self._path is not None and not self._is_broken

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self._is_broken or self._is_closed or self._path is None:
            return self._db
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self._path, isolation_level=None, timeout=BUSY_SECONDS)
            # A disposable cache: a crash may lose the last writes, never corrupt what stays.
            db.execute("PRAGMA synchronous=OFF")
            # Only a build holding the build lock opens the store: keeping SQLite's
            # own lock spares each read its checks of the file and journal.
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            db.execute("PRAGMA journal_mode=TRUNCATE")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT NOT NULL)")
            for table in _TABLES:
                db.execute(f"CREATE TABLE IF NOT EXISTS {table} (name TEXT PRIMARY KEY, digest BLOB, data BLOB)")
            row = db.execute("SELECT key FROM meta").fetchone()
            if row is None or row[0] != self._key:
                # Made by other code or for another configuration: nothing in it can be used.
                db.execute("BEGIN")
                db.execute("DELETE FROM meta")
                db.execute("INSERT INTO meta (key) VALUES (?)", (self._key,))
                for table in _TABLES:
                    db.execute(f"DELETE FROM {table}")  # noqa: S608  # table names are ours
                db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.give_up(exc)
            return None
        self._db = db
        return db

    def give_up(self, error: sqlite3.Error) -> None:
        """Stop using the store for this build: it behaves as an empty one that keeps nothing.

        A damaged store is removed, so the next build starts an empty one. A
        store another program holds locked (an ``sqlite3`` shell, a backup)
        is left as it is: it is sound, and the next build uses it again
        rather than parsing every seed anew.
        """
        self.close()
        self._is_broken = True
        if self._path is not None and not is_busy(error):
            with contextlib.suppress(OSError):
                self._path.unlink(missing_ok=True)

    def get(self, table: str, name: str, digest: bytes) -> bytes | None:
        """Return the value stored for ``name`` if it was made from ``digest``; else None."""
        if self._is_closed and self._path is not None and not self._is_broken:
            # Asked after the build (a report's entries): one short-lived connection per value.
            try:
                with contextlib.closing(sqlite3.connect(self._path)) as once:
                    return self._select(once, table, name, digest)
            except sqlite3.Error:
                return None
        db = self._connect()
        if db is None:
            return None
        try:
            return self._select(db, table, name, digest)
        except sqlite3.Error as exc:
            self.give_up(exc)
            return None

    @staticmethod
    def _select(db: sqlite3.Connection, table: str, name: str, digest: bytes) -> bytes | None:
        row = db.execute(
            f"SELECT data FROM {table} WHERE name = ? AND digest = ?",  # noqa: S608  # table names are ours
            (name, digest),
        ).fetchone()
        return bytes(row[0]) if row is not None else None

    @contextlib.contextmanager
    def opened(self, table: str, name: str, digest: bytes) -> Iterator[Callable[[int, int], bytes] | None]:
        """Yield a reader of the value stored for ``name`` if it was made from ``digest`` (None if none).

        ``read(start, stop)`` returns those bytes of the value, read from the
        file as they are asked for (SQLite's incremental blob I/O): the value
        is never held whole, where ``get`` holds it twice for a moment. The
        reader is good until the block ends; the store is not written meanwhile.
        A read that fails raises sqlite3.Error in the block.
        """
        db = self._connect()
        blob = None
        if db is not None:
            try:
                found = db.execute(
                    f"SELECT rowid FROM {table} WHERE name = ? AND digest = ?",  # noqa: S608  # ours
                    (name, digest),
                ).fetchone()
                blob = db.blobopen(table, "data", found[0], readonly=True) if found is not None else None
            except sqlite3.Error as exc:
                self.give_up(exc)
        if blob is None:
            yield None
            return
        with blob:
            size = len(blob)

            def read(start: int, stop: int) -> bytes:
                start, stop = max(0, start), min(stop, size)
                if start >= stop:
                    return b""
                blob.seek(start)
                return blob.read(stop - start)

            yield read

    def get_many(self, table: str, names: Iterable[str]) -> dict[str, tuple[bytes, bytes]]:
        """Return the ``name -> (digest, data)`` rows of these names that the table holds.

        A few queries for many names, not one per name: a listing page needs
        the rows of its fifty articles. Empty when the store cannot be read.
        """
        db = self._connect()
        if db is None:
            return {}
        wanted = list(names)
        found: dict[str, tuple[bytes, bytes]] = {}
        try:
            for start in range(0, len(wanted), _NAMES_PER_QUERY):
                chunk = wanted[start : start + _NAMES_PER_QUERY]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT name, digest, data FROM {table} WHERE name IN ({marks})"  # noqa: S608  # ours
                for name, digest, data in db.execute(query, chunk):
                    found[name] = (bytes(digest), bytes(data))
        except sqlite3.Error as exc:
            self.give_up(exc)
            return {}
        return found

    def get_all(self, table: str) -> dict[str, tuple[bytes, bytes]]:
        """Return every ``name -> (digest, data)`` row of a table (empty when the store cannot be read)."""
        db = self._connect()
        if db is None:
            return {}
        try:
            rows = db.execute(f"SELECT name, digest, data FROM {table}").fetchall()  # noqa: S608  # ours
        except sqlite3.Error as exc:
            self.give_up(exc)
            return {}
        return {name: (bytes(digest), bytes(data)) for name, digest, data in rows}

    def iter_all(self, table: str) -> Iterator[tuple[str, bytes, bytes]]:
        """Yield every ``(name, digest, data)`` row of a table, one at a time (none when the store cannot be read).

        Raises sqlite3.Error when the store fails midway (and gives it up): the caller must not trust what it read.
        """
        db = self._connect()
        if db is None:
            return
        try:
            for name, digest, data in db.execute(f"SELECT name, digest, data FROM {table}"):  # noqa: S608  # ours
                yield name, bytes(digest), bytes(data)
        except sqlite3.Error as exc:
            self.give_up(exc)
            raise

    def write(self, table: str, rows: Mapping[str, tuple[bytes, bytes]], keep: Container[str] | None = None) -> None:
        """Store ``name -> (digest, data)`` rows in one transaction; with ``keep``, drop every other name."""
        self.write_rows(table, ((name, digest, data) for name, (digest, data) in rows.items()), keep)

    def write_rows(
        self, table: str, rows: Iterable[tuple[str, bytes, bytes]], keep: Container[str] | None = None
    ) -> None:
        """Store ``(name, digest, data)`` rows in one transaction, taken one at a time; with ``keep``, drop the rest.

        ``rows`` may make each row as it is asked for: the rows of a hundred
        thousand seeds' records are tens of megabytes, never all held at once.
        """
        db = self._connect()
        if db is None:
            return
        try:
            db.execute("BEGIN")
            db.executemany(f"INSERT OR REPLACE INTO {table} (name, digest, data) VALUES (?, ?, ?)", rows)  # noqa: S608
            if keep is not None:
                _delete_others(db, table, db.execute(f"SELECT name FROM {table}"), keep)  # noqa: S608
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.give_up(exc)

    def write_parts(
        self, table: str, name: str, digest: bytes, parts: Iterable[bytes | memoryview], size: int | None = None
    ) -> None:
        """Store one row whose data is ``parts`` joined, written part by part: the whole is never held.

        The row is made with room for the data, which SQLite's incremental
        blob I/O then fills: a value passed whole is copied by SQLite, twice.
        ``size`` is the parts' length in all (given when ``parts`` is made as
        it is read); the row is not kept if they are not as long.
        """
        db = self._connect()
        if db is None:
            return
        if size is None:
            parts = list(parts)
            size = sum(memoryview(part).nbytes for part in parts)
        try:
            db.execute("BEGIN")
            cursor = db.execute(
                f"INSERT OR REPLACE INTO {table} (name, digest, data) VALUES (?, ?, zeroblob(?))",  # noqa: S608
                (name, digest, size),
            )
            if cursor.lastrowid is None:  # never: an insert into a rowid table names its row
                raise sqlite3.OperationalError("no row")
            written = 0
            with db.blobopen(table, "data", cursor.lastrowid) as blob:
                for part in parts:
                    blob.write(part)  # ValueError past the row's end
                    written += memoryview(part).nbytes
            # Parts not as long as said: the row is not kept.
            db.execute("COMMIT" if written == size else "ROLLBACK")
        except ValueError:  # parts longer than said: written past the row's end
            db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            self.give_up(exc)

    def drop_prefixed(self, table: str, prefix: str, keep: Container[str]) -> None:
        """Drop the rows whose names start with ``prefix`` (one character), but those named in ``keep``.

        The names of one prefix are a range of the table's key: SQLite walks
        those rows alone, not the whole table.
        """
        db = self._connect()
        if db is None:
            return
        try:
            db.execute("BEGIN")
            query = f"SELECT name FROM {table} WHERE name >= ? AND name < ?"  # noqa: S608  # table names are ours
            _delete_others(db, table, db.execute(query, (prefix, chr(ord(prefix) + 1))), keep)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.give_up(exc)

    def close(self) -> None:
        """Close the database, if it was opened; later reads open it once each."""
        self._is_closed = True
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None


def _delete_others(db: sqlite3.Connection, table: str, found: Iterable[tuple[str]], keep: Container[str]) -> None:
    """Delete the rows of the names ``found`` (a query's rows of one name each) that ``keep`` does not hold.

    ``keep`` is asked once per row (a set, or a view that answers without
    listing every name). Only the names to delete are listed, read whole
    before deleting (the query walks the table): a list of every name would
    be megabytes at 100,000 rows.
    """
    doomed = [(name,) for (name,) in found if name not in keep]
    db.executemany(f"DELETE FROM {table} WHERE name = ?", doomed)  # noqa: S608  # table names are ours


def is_busy(error: sqlite3.Error) -> bool:
    """Return whether an SQLite error says another connection holds the database locked (not that it is damaged)."""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in _BUSY_CODES
