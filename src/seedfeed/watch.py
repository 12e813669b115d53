"""``seedfeed watch``: rebuild a seeds folder's feed whenever its seeds change.

Changes are debounced (an editor's save, a ``git pull`` of fifty seeds: one
rebuild), and each rebuild is one line saying what changed and what the build
did. Nothing stops the watch but Ctrl-C or the stop event: a bad seed is
rejected by the build as always, and a build that cannot run at all (a broken
``feed.toml``, a lock held too long, an unwritable output folder, a folder
changing under the scan) is reported and tried again at the next change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import watchfiles

from seedfeed.build import build
from seedfeed.config import CONFIG_NAME
from seedfeed.errors import SeedfeedError
from seedfeed.model import Notice
from seedfeed.seeds import SEED_SUFFIX
from seedfeed.snapshot import load_noop_report
from seedfeed.websub import ping_hub

DEBOUNCE_MS = 500
# How long the watcher waits before it first reports "nothing yet": the first
# build runs then, once the watcher is listening, so no change is missed.
READY_MS = 100


def is_seed_event(_change: watchfiles.Change, path: str) -> bool:
    """Return whether a file event concerns a seed or feed.toml.

    The build itself writes the ledger, its lock and temporary files into the
    seeds folder: reacting to those would rebuild forever.
    """
    name = Path(path).name
    return not name.startswith(".") and (name.endswith(SEED_SUFFIX) or name == CONFIG_NAME)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedChanges:
    """What changed in the seeds folder since the last rebuild, by file name."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        """Return every file name involved."""
        return frozenset((*self.added, *self.changed, *self.removed))

    def describe(self) -> str:
        """Return what changed in a few words: "added b.txt; changed a.txt"."""
        parts = [
            f"{verb} {', '.join(names)}"
            for verb, names in (("added", self.added), ("changed", self.changed), ("removed", self.removed))
            if names
        ]
        return "; ".join(parts) or "no seed changed"


def describe_changes(
    events: Iterable[tuple[watchfiles.Change, str]], *, before: Set[str], now: Set[str]
) -> SeedChanges:
    """Return the net change of a debounced batch of events, by file name.

    ``before`` and ``now`` are the watched files present at the last rebuild
    and at this one. Existence decides, not the event kinds: an editor's
    safe save (write a temporary file, rename it over the seed) reports the
    seed as created, though for the feed it is changed; a file created and
    deleted within one batch is no change at all.
    """
    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    for name in sorted({Path(path).name for _change, path in events}):
        if name in now:
            (changed if name in before else added).append(name)
        elif name in before:
            removed.append(name)
    return SeedChanges(added=tuple(added), changed=tuple(changed), removed=tuple(removed))


def list_watched(seeds_dir: Path) -> frozenset[str]:
    """Return the names of the files whose changes trigger a rebuild."""
    try:
        return frozenset(p.name for p in seeds_dir.iterdir() if is_seed_event(watchfiles.Change.added, str(p)))
    except OSError:
        return frozenset()


def rebuild(
    seeds_dir: Path,
    out_dir: Path,
    *,
    now: datetime,
    what: str,
    involved: Set[str] = frozenset(),
    ping: Callable[..., tuple[Notice, ...]] = ping_hub,
) -> tuple[str, list[str]]:
    """Build once; return the rebuild's line and the messages to show beside it.

    The messages are the rejected seeds and the notices about the files in
    ``involved`` (all notices would repeat every seed's warnings each time).
    With a hub in feed.toml, the changed feeds are pinged through ``ping``.
    Never raises SeedfeedError or OSError: they become the line.
    """
    stamp = now.astimezone().strftime("%H:%M:%S")
    try:
        answered = _answered(seeds_dir, out_dir, now=now, involved=involved)
        if answered is not None:
            return f"{stamp} {what}: {answered[0]}", answered[1]
        report = build(seeds_dir, out_dir, now=now)
    except (SeedfeedError, OSError) as exc:
        return f"{stamp} {what}: not rebuilt: {exc}", []
    messages = [f"rejected: {error}" for error in report.rejected]
    if report.hub and report.changed_feeds:
        # As seedfeed build does: a hub that is down costs subscribers only the push.
        notices = ping(report.hub, report.changed_feeds, source=seeds_dir / CONFIG_NAME)
        messages.extend(f"warning: {n}" for n in notices)
    messages.extend(f"warning: {n}" for n in report.notices if n.path.name in involved or n.path.suffix != SEED_SUFFIX)
    return f"{stamp} {what}: {report.summary()}", messages


def _answered(seeds_dir: Path, out_dir: Path, *, now: datetime, involved: Set[str]) -> tuple[str, list[str]] | None:
    """Return the summary and messages of a build the snapshot answers (``seedfeed build``'s path); None if it does not.

    Seeds added one after another, or edited, are then built alone
    (``append.py``, ``update.py``), as ``seedfeed build`` builds them: at a
    hundred thousand seeds, a second rather than a full build's six. The
    messages are ``rebuild``'s: every rejection, the notices of the files
    involved (a snapshot's report holds no other kind of notice).
    """
    printed = load_noop_report(
        seeds_dir, out_dir, is_strict=False, is_json=False, is_quiet=False, lock_timeout=60.0, now=now
    )
    if printed is None:
        return None
    errors, warnings = (
        part.decode("utf-8") if isinstance(part, bytes) else part for part in (printed.errors, printed.warnings)
    )
    # A notice's line starts with its seed's path, as the build names it (``Notice.__str__``).
    prefixes = tuple(f"warning: {seeds_dir / name}:" for name in sorted(involved))
    noted = [line for line in warnings.splitlines() if line.startswith(prefixes)] if prefixes else []
    return printed.summary, [*errors.splitlines(), *noted]


def watch_seeds(
    seeds_dir: Path,
    out_dir: Path,
    *,
    echo: Callable[[str], None],
    echo_err: Callable[[str], None],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC).replace(microsecond=0),
    debounce_ms: int = DEBOUNCE_MS,
    stop_event: threading.Event | None = None,
) -> None:
    """Build, then rebuild after each debounced batch of seed changes.

    Returns when ``stop_event`` is set; Ctrl-C raises KeyboardInterrupt, as
    anywhere (watchfiles would otherwise log its own line). ``echo`` gets one line
    per rebuild; ``echo_err`` gets rejected seeds and warnings.
    """
    started = False
    present: frozenset[str] = frozenset()
    for events in watchfiles.watch(
        seeds_dir,
        watch_filter=is_seed_event,
        debounce=debounce_ms,
        step=50,
        stop_event=stop_event,
        rust_timeout=READY_MS,
        yield_on_timeout=True,
        raise_interrupt=True,
        recursive=False,
    ):
        if not started:
            started = True
            # The watcher is listening now: what changes during this build triggers the next.
            present = list_watched(seeds_dir)
            what, involved = "started", present
        elif not events:
            continue
        else:
            before, present = present, list_watched(seeds_dir)
            changes = describe_changes(events, before=before, now=present)
            what, involved = changes.describe(), changes.names
        line, messages = rebuild(seeds_dir, out_dir, now=clock(), what=what, involved=involved)
        for message in messages:
            echo_err(message)
        echo(line)
