"""The ``seedfeed`` executable: a build with nothing to do is answered before click is even imported.

Most runs of ``seedfeed build`` find nothing to do (a cron job, a CI step),
and then repeat the report the no-op snapshot keeps (``snapshot.py``). Python's
own start is most of such a run; importing click alone adds a tenth of the
rest. So the executable first reads the command line itself, for the plain
forms of ``build`` only (a seeds folder, ``--out``, ``--json``, ``--quiet``,
``--strict``), and asks the snapshot. Anything else (another command,
``--help``, any other option, a folder that does not exist, no usable
snapshot) goes to the click command line (``cli.py``), which parses and
reports exactly as always; what a build prints is the same either way, and a
test runs both.
"""

from __future__ import annotations

import codecs
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

# The build command's defaults, as cli.py declares them (a test keeps them equal).
DEFAULT_SEEDS = "seeds"
DEFAULT_OUT = "public"
DEFAULT_WAIT = 60.0

_FLAGS = {"--json": "json", "--quiet": "quiet", "-q": "quiet", "--strict": "strict"}

# Set when this process asked the snapshot and it had no answer: the seeds
# folder, the output folder and the build's time, taken before asking. The
# command line then builds at that time without asking again: at a hundred
# thousand seeds the check scans the folder for a few tenths of a second.
unanswered: tuple[Path, Path, datetime] | None = None
# What answered this process's build before the command line: "noop" (the
# snapshot), "append" (a build of only the new seeds, append.py); None: neither.
answered: str | None = None


def main() -> None:
    """Run ``seedfeed``: a no-op build from its snapshot, else the click command line."""
    quick = plain_build(sys.argv[1:])
    if quick is not None and _answer(*quick):
        return
    from seedfeed.cli import main as click_main  # the command line proper

    click_main()


def _put(stream: TextIO, part: str | bytes | list[bytes | memoryview]) -> None:
    """Write a part of a report and a newline: UTF-8 bytes as they are where the stream writes UTF-8."""
    binary = getattr(stream, "buffer", None)
    if isinstance(part, list):
        if binary is not None and codecs.lookup(stream.encoding).name == "utf-8":
            stream.flush()
            binary.writelines(part)  # the pieces of a spliced report, never joined
            binary.write(b"\n")
            return
        part = b"".join(part)
    if isinstance(part, bytes):
        if binary is not None and codecs.lookup(stream.encoding).name == "utf-8":
            stream.flush()
            binary.write(part)
            binary.write(b"\n")
            return
        part = part.decode("utf-8")
    stream.write(part)
    stream.write("\n")


def run() -> None:
    """Run ``seedfeed`` as the executable (``main``), ending the process as soon as a snapshot's answer is printed.

    What such an answer held (a hundred thousand lines of a report, the
    scans of two folders) need not be freed object by object before the
    process ends: a tenth of a second at a hundred thousand seeds. Every
    file was closed and the output flushed by then.
    """
    try:
        main()
    except SystemExit as exc:
        if answered is None:
            raise
        code = exc.code if isinstance(exc.code, int) else 1
    else:
        if answered is None:
            return
        code = 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def plain_build(args: list[str]) -> tuple[Path, Path, frozenset[str]] | None:
    """Return (seeds folder, output folder, flags) for a plain ``build`` command line; else None.

    None for anything click must see: another command, ``--help``, an option
    not listed here, a repeated or missing value, more than one folder, or a
    seeds folder that is not a folder (click reports those).
    """
    if not args or args[0] != "build":
        return None
    seeds: str | None = None
    out: str | None = None
    flags: set[str] = set()
    rest = iter(args[1:])
    for arg in rest:
        if arg in _FLAGS:
            flags.add(_FLAGS[arg])
        elif arg in ("--out", "-o"):
            value = next(rest, None)
            if value is None or out is not None:
                return None
            out = value
        elif arg.startswith("--out="):
            if out is not None:
                return None
            out = arg.removeprefix("--out=")
        elif arg.startswith("-") or seeds is not None:
            return None  # --help, --jobs, --wait, --no-cache, "--", "-": click's to read
        else:
            seeds = arg
    seeds_dir = Path(seeds if seeds is not None else DEFAULT_SEEDS)
    if not seeds_dir.is_dir() or out == "":
        return None
    return seeds_dir, Path(out if out is not None else DEFAULT_OUT), frozenset(flags)


def _answer(seeds_dir: Path, out_dir: Path, flags: frozenset[str]) -> bool:
    """Print the snapshot's report and exit as the build would; False when there is no usable snapshot."""
    global unanswered, answered
    from seedfeed.errors import SeedfeedError
    from seedfeed.progress import ProgressBar, is_terminal
    from seedfeed.snapshot import load_noop_report

    # Whole seconds, taken before the check, as the command line takes it (cli.build_command).
    now = datetime.now(UTC).replace(microsecond=0)
    # A batch of new seeds built alone may take seconds: the bar the full build shows, as late.
    try:
        with ProgressBar(is_shown="json" not in flags and is_terminal(sys.stderr)) as progress:
            printed = load_noop_report(
                seeds_dir,
                out_dir,
                is_strict="strict" in flags,
                is_json="json" in flags,
                is_quiet="quiet" in flags,
                lock_timeout=DEFAULT_WAIT,
                now=now,
                progress=progress,
            )
    except SeedfeedError:
        return False  # the command line proper tries again and reports it as it reports errors
    if printed is None:
        unanswered = (seeds_dir, out_dir, now)
        return False
    answered = printed.answered_by
    # As click.echo writes them: each part, then a newline, errors and notices on stderr.
    for part in (printed.errors, printed.warnings):
        if part:
            _put(sys.stderr, part)
    if printed.json:
        _put(sys.stdout, printed.json)
    else:
        if printed.lines:
            _put(sys.stdout, printed.lines)
        sys.stdout.write(f"{printed.summary} -> {out_dir / 'feed.atom'}\n")
    sys.stdout.flush()
    sys.stderr.flush()
    if printed.is_failed:
        sys.exit(1)
    return True
