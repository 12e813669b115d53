"""The ledger: the small committed record that keeps regeneration stable.

It lives in the seeds folder and is committed with the seeds. It records
moments of events (first seen, edited, deleted), never of builds, so a build
with nothing new leaves its bytes untouched. Entries are written one JSON
object per line, sorted by stem, so a diff shows one line per changed entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from seedfeed.errors import LedgerError

LEDGER_NAME = "seedfeed-ledger.json"
LEDGER_FORMAT = 1

Change = Literal["new", "updated", "unchanged"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerRecord:
    """What the ledger keeps of one entry."""

    id: str
    stem: str
    content_hash: str
    published: datetime  # aware
    updated: datetime  # aware: the moment of the last content change seen
    first_seen: datetime  # aware: the build that first saw the seed
    arrival: int  # 1, 2, …: order of first arrival, for archives


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerTombstone:
    """A deleted entry, announced until ``when`` plus the configured period."""

    id: str
    stem: str
    when: datetime  # aware: the build that found the seed gone


@dataclass(frozen=True, slots=True, kw_only=True)
class Ledger:
    """Every entry's record, by stem, and the tombstones."""

    records: Mapping[str, LedgerRecord] = field(default_factory=dict)
    tombstones: tuple[LedgerTombstone, ...] = ()

    @property
    def next_arrival(self) -> int:
        """Return the arrival number the next new seed gets."""
        return max((r.arrival for r in self.records.values()), default=0) + 1


def _time(value: datetime) -> str:
    return value.isoformat()


def _parse_time(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"{what} is not a string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{what} {value!r} has no UTC offset")
    return parsed


def render_ledger(ledger: Ledger) -> bytes:
    """Return the ledger's file bytes: stable order, one record per line."""
    records = [
        {
            "stem": r.stem, "id": r.id, "arrival": r.arrival, "content_hash": r.content_hash,
            "published": _time(r.published), "updated": _time(r.updated), "first_seen": _time(r.first_seen),
        }
        for r in sorted(ledger.records.values(), key=lambda r: r.stem)
    ]  # fmt: skip
    tombstones = [
        {"stem": t.stem, "id": t.id, "when": _time(t.when)}
        for t in sorted(ledger.tombstones, key=lambda t: (t.when, t.id))
    ]
    body = f'  "format": {LEDGER_FORMAT},\n  "entries": {_array(records)},\n  "tombstones": {_array(tombstones)}'
    return ("{\n" + body + "\n}\n").encode()


def _array(items: Sequence[Mapping[str, object]]) -> str:
    if not items:
        return "[]"
    return "[\n" + ",\n".join("    " + json.dumps(i, ensure_ascii=False) for i in items) + "\n  ]"


def _check_format(doc: object) -> None:
    if not isinstance(doc, dict) or doc.get("format") != LEDGER_FORMAT:
        raise ValueError(f"not a seedfeed ledger of format {LEDGER_FORMAT}")


def parse_ledger(data: bytes, path: Path) -> Ledger:
    """Return the ledger a file's bytes hold.

    Raises LedgerError naming the file when it is not a ledger of a known format.
    """
    try:
        doc = json.loads(data.decode("utf-8"))
        _check_format(doc)
        records: dict[str, LedgerRecord] = {}
        for item in doc["entries"]:
            record = LedgerRecord(
                id=str(item["id"]), stem=str(item["stem"]), content_hash=str(item["content_hash"]),
                published=_parse_time(item["published"], "published"), updated=_parse_time(item["updated"], "updated"),
                first_seen=_parse_time(item["first_seen"], "first_seen"), arrival=int(item["arrival"]),
            )  # fmt: skip
            records[record.stem] = record
        tombstones = tuple(
            LedgerTombstone(id=str(t["id"]), stem=str(t["stem"]), when=_parse_time(t["when"], "when"))
            for t in doc["tombstones"]
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise LedgerError(f"{path}: is corrupt ({exc}); it was set aside and a new ledger started") from exc
    return Ledger(records=records, tombstones=tombstones)


def load_ledger(path: Path) -> Ledger:
    """Read the ledger; a missing file is an empty ledger.

    Raises LedgerError when the file exists but cannot be read or parsed.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Ledger()
    except OSError as exc:
        raise LedgerError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    return parse_ledger(data, path)


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """What a build found for one published seed."""

    stem: str
    id: str
    content_hash: str
    published: datetime  # aware: from front matter or text; first-seen stands in otherwise


def reconcile(
    ledger: Ledger,
    observed: Iterable[Observation],
    *,
    kept: Iterable[str],
    now: datetime,
    tombstone_cutoff: datetime,
) -> tuple[Ledger, dict[str, Change]]:
    """Return the ledger after a build and what changed for each observed stem.

    ``kept`` names seeds that exist but were rejected: their records stay, so a
    seed that is broken for one build neither vanishes nor comes back as new.
    A vanished seed becomes a tombstone, kept while ``when`` is after the cutoff.
    """
    records = dict(ledger.records)
    changes: dict[str, Change] = {}
    arrival = ledger.next_arrival
    seen: set[str] = set(kept)
    for obs in sorted(observed, key=lambda o: (o.published, o.stem)):
        seen.add(obs.stem)
        old = records.get(obs.stem)
        if old is None or old.id != obs.id:
            records[obs.stem] = LedgerRecord(
                id=obs.id, stem=obs.stem, content_hash=obs.content_hash, published=obs.published,
                updated=obs.published, first_seen=now, arrival=arrival,
            )  # fmt: skip
            arrival += 1
            changes[obs.stem] = "new"
        elif old.content_hash != obs.content_hash:
            records[obs.stem] = replace(
                old,
                content_hash=obs.content_hash,
                published=obs.published,
                updated=max(now, obs.published),
            )
            changes[obs.stem] = "updated"
        else:
            records[obs.stem] = replace(old, published=obs.published, updated=max(old.updated, obs.published))
            changes[obs.stem] = "unchanged"
    gone = sorted(stem for stem in records if stem not in seen)
    tombstones = [t for t in ledger.tombstones if t.when > tombstone_cutoff and t.stem not in seen]
    for stem in gone:
        tombstones.append(LedgerTombstone(id=records.pop(stem).id, stem=stem, when=now))
    return Ledger(records=records, tombstones=tuple(tombstones)), changes
