"""The ``seedfeed`` command: thin click commands over the library.

Exit codes: 0 when everything was published or checked clean; 1 when
something failed (a rejected seed, the others still published, as ``make -k``
does; a fatal error); 2 for usage errors.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from seedfeed import __version__
from seedfeed.errors import SeedfeedError
from seedfeed.progress import ProgressBar, is_terminal

if TYPE_CHECKING:
    from collections.abc import Iterator

    from seedfeed.snapshot import PrintedParts, PrintedReport

# The library modules (build, serve, watch, websub, check, inspect) pull in lxml,
# feedgen, Jinja2, Babel, http.server and ssl: each command imports what it
# uses, so that --help and a build with nothing to do start in a blink. These
# defaults are seedfeed.serve's and seedfeed.watch's (a test keeps them equal),
# written here so that the options' help does not import those modules.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEBOUNCE_MS = 500

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


class SeedfeedGroup(click.Group):
    """A group that turns SeedfeedError into a one-line message and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:  # click's own signature
        """Run the command; a SeedfeedError becomes ``Error: <message>``."""
        # Language detection scores one text at a time: OpenBLAS's thread pool
        # only costs numpy's import time (tens of ms) and competes with the
        # build's own worker processes. Set before numpy is imported, and only
        # by the command, never by the library for its host process.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        try:
            return super().invoke(ctx)
        except SeedfeedError as exc:
            raise click.ClickException(str(exc)) from exc


def _text(part: str | bytes | list[bytes | memoryview]) -> str:
    """Return a report's part as text (a snapshot's parts are its UTF-8 bytes, or pieces of them)."""
    if isinstance(part, list):
        part = b"".join(part)
    return part.decode("utf-8") if isinstance(part, bytes) else part


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


@click.group(cls=SeedfeedGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="seedfeed")
def main() -> None:
    """Publish a folder of plain-text news articles as a feed.

    \b
    Exit codes:
      0  everything was published (or checked) clean
      1  something failed: a seed was rejected (the others are still
         published), a check found a problem, or a fatal error
      2  usage error
    """


# The seeds folder and the output folder mean the same in every command that takes them.
seeds_dir_argument = click.argument(
    "seeds_dir", default="seeds", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
out_option = click.option(
    "--out",
    "-o",
    "out_dir",
    default="public",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder.",
)


@main.command("build", context_settings=CONTEXT_SETTINGS)
@seeds_dir_argument
@out_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line and errors.")
@click.option("--strict", is_flag=True, help="Write nothing at all when any seed is rejected.")
@click.option(
    "--wait",
    "lock_timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds to wait for another build of the same seeds folder to finish.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that parse seeds [default: one per core]. The output is the same for any number.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Parse every seed, ignoring the parse cache in the output folder (.seedfeed-cache/).",
)
def build_command(
    seeds_dir: Path,
    out_dir: Path,
    *,
    as_json: bool,
    quiet: bool,
    strict: bool,
    lock_timeout: float,
    jobs: int | None,
    no_cache: bool,
) -> None:
    """Build the feed of SEEDS_DIR (default ./seeds) into --out (default ./public).

    Every good seed is published; every bad one is reported with its path and
    the reason, and the exit code is then 1. With --strict, one bad seed
    means nothing is written (neither feeds nor the ledger), exit code 1.

    \b
    Example:
      seedfeed build seeds --out public
      seedfeed build seeds --out public --jobs 4
    """
    from seedfeed import entry
    from seedfeed.snapshot import load_noop_report, printed_parts  # light: os, json and the build lock

    # Whole seconds: the ledger records this moment for events and stays readable.
    # Taken first: a seed changed since is newer than the build, whatever the
    # check below costs, so the build never vouches for it in a snapshot.
    # The executable may have asked the snapshot already (entry.py), and found no answer.
    asked = entry.unanswered
    if asked is not None and asked[:2] == (seeds_dir, out_dir):
        now, is_asked = asked[2], True
    else:
        now, is_asked = datetime.now(UTC).replace(microsecond=0), False
    # The process ends with the build: the cyclic collector would only walk the
    # build's records (the library pauses it during the build, but re-enabled
    # after, its first collection walks every record made since, a tenth of a
    # second at ten thousand seeds) to find nothing worth freeing before exit.
    gc.disable()
    if not no_cache and not is_asked:
        # A build with nothing to do repeats its last report without loading the library.
        # Or, when only new seeds came, a build of just them (append.py).
        with ProgressBar(is_shown=not as_json and is_terminal(sys.stderr)) as appending:
            noop = load_noop_report(
                seeds_dir,
                out_dir,
                is_strict=strict,
                is_json=as_json,
                is_quiet=quiet,
                lock_timeout=lock_timeout,
                now=now,
                progress=appending,
            )
        if noop is not None:
            _print_report(noop, out_dir)
            if noop.is_failed:
                sys.exit(1)
            return
    from seedfeed.build import build  # heavy: see the imports above

    with ProgressBar(is_shown=not as_json and is_terminal(sys.stderr)) as progress:
        report = build(
            seeds_dir,
            out_dir,
            now=now,
            is_strict=strict,
            lock_timeout=lock_timeout,
            jobs=jobs,
            use_cache=not no_cache,
            progress=progress,
            report_forms=("json",) if as_json else ("text",),
        )
    _print_parts(printed_parts(report, is_json=as_json, is_quiet=quiet), out_dir)
    if report.hub and report.changed_feeds:
        from seedfeed.config import CONFIG_NAME
        from seedfeed.websub import ping_hub  # http.client: only for a feed with a hub

        # A hub that is down costs subscribers only the push: never the build.
        for notice in ping_hub(report.hub, report.changed_feeds, source=seeds_dir / CONFIG_NAME):
            _echo_err(f"warning: {notice}")
    if report.rejected:
        sys.exit(1)


def _print_report(printed: PrintedReport, out_dir: Path) -> None:
    """Print a build's report: rejections and notices on stderr, the report on stdout."""
    # One write per part rather than one per line: ten thousand entries print
    # in a blink, and the bytes are the same.
    for part in (printed.errors, printed.warnings):
        if part:
            _echo_err(_text(part))
    if printed.json:
        click.echo(_text(printed.json))
        return
    if printed.lines:
        click.echo(_text(printed.lines))
    click.echo(f"{printed.summary} -> {out_dir / 'feed.atom'}")


def _print_parts(printed: PrintedParts, out_dir: Path) -> None:
    """Print a build's report as ``_print_report`` does, a piece at a time: the same bytes."""
    for pieces in (printed.errors, printed.warnings):
        _echo_pieces(pieces, err=True)
    if _echo_pieces(printed.json):
        return
    _echo_pieces(printed.lines)
    click.echo(f"{printed.summary} -> {out_dir / 'feed.atom'}")


def _echo_pieces(pieces: Iterator[str], *, err: bool = False) -> bool:
    """Echo the pieces of a part of the report, then a newline; nothing for an empty part. Return whether any."""
    is_any = False
    for piece in pieces:
        if piece:
            click.echo(piece, nl=False, err=err)
            is_any = True
    if is_any:
        click.echo("", err=err)
    return is_any


@main.command("check", context_settings=CONTEXT_SETTINGS)
@click.argument("seeds_dir", default="seeds", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout.")
def check_command(seeds_dir: Path, *, as_json: bool) -> None:
    """Check every seed of SEEDS_DIR (default ./seeds) as a build would, writing nothing.

    Prints, per seed, what was found (title, language, date and where it came
    from, author and agencies), then one `path:line: message` line per
    problem: a rejection, or a warning (year inferred, no date, no byline,
    language differs from the feed's, legacy encoding...). Exit code 1 when
    any seed would be rejected; warnings alone leave it 0.

    \b
    Example:
      seedfeed check seeds --json
    """
    from seedfeed.check import check_seeds, to_json  # heavy: see the imports above

    report = check_seeds(seeds_dir)
    if as_json:
        click.echo(json.dumps(to_json(report), ensure_ascii=False, indent=2))
    else:
        for notice in report.notices:
            click.echo(str(notice))
        for seed in report.seeds:
            if seed.entry is not None:
                entry = seed.entry
                who = entry.author or "no author"
                if entry.sources:
                    who += f" ({', '.join(entry.sources)})"
                found = f"{entry.published.date()} ({entry.date_source}), {entry.language}, {who}"
                click.echo(f"{seed.path}: ok: {entry.title} [{found}]")
            for problem in seed.problems:
                click.echo(problem)
    _echo_err(report.summary())
    if report.rejected:
        sys.exit(1)


@main.command("inspect", context_settings=CONTEXT_SETTINGS)
@click.argument("seed", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the entry as a JSON object on stdout.")
def inspect_command(seed: Path, *, as_json: bool) -> None:
    """Show the entry SEED becomes and where each field came from.

    The seed's folder supplies feed.toml and the ledger. Nothing is written.

    \b
    Example:
      seedfeed inspect --json seeds/000_e462c374ae22f41e.txt
    """
    from seedfeed.inspect import inspect_seed, to_json  # heavy: see the imports above

    data = to_json(inspect_seed(seed))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    width = max(len(k) for k in data)
    for key, value in data.items():
        if key in ("content_html", "paragraphs"):
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        click.echo(f"{key:>{width}}  {shown}")


@main.command("serve", context_settings=CONTEXT_SETTINGS)
@click.argument("seeds_dir", default="seeds", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--out",
    "-o",
    "out_dir",
    default=".seedfeed-cache/preview",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Preview folder to build into (never the published one).",
)
def serve_command(seeds_dir: Path, out_dir: Path, host: str, port: int) -> None:
    """Serve a preview of SEEDS_DIR's feeds and site, rebuilt when seeds change.

    Builds into --out with base URLs that follow the served address, then
    serves it with feed media types, ETag/Last-Modified (304) and gzip.
    Listens on loopback unless --host says otherwise. Ctrl-C stops.

    \b
    Example:
      seedfeed serve seeds --port 8000
      newsboat -u <(echo http://127.0.0.1:8000/feed.atom)
    """
    from seedfeed.serve import PreviewServer  # heavy: see the imports above

    preview = PreviewServer(seeds_dir=seeds_dir, out_dir=out_dir, host=host, port=port, log=_echo_err)
    url = preview.start()
    _echo_err(f"Serving {url} (feeds: {url}feed.atom, {url}feed.rss, {url}feed.json); Ctrl-C stops")
    preview.serve_until_interrupted()


@main.command("watch", context_settings=CONTEXT_SETTINGS)
@seeds_dir_argument
@out_option
@click.option(
    "--debounce",
    "debounce_ms",
    default=DEBOUNCE_MS,
    show_default=True,
    type=click.IntRange(10, 60_000),
    help="Milliseconds of quiet to wait for before a rebuild.",
)
def watch_command(seeds_dir: Path, out_dir: Path, debounce_ms: int) -> None:
    """Build SEEDS_DIR, then rebuild whenever a seed is added, changed or removed.

    Prints one line per rebuild saying what changed and what was published.
    A bad seed is reported and the watch goes on; so does a build that cannot
    run (a broken feed.toml, say), until the next change. Ctrl-C stops.

    \b
    Example:
      seedfeed watch seeds --out public
    """
    from seedfeed.watch import watch_seeds  # heavy: see the imports above

    try:
        watch_seeds(seeds_dir, out_dir, echo=click.echo, echo_err=_echo_err, debounce_ms=debounce_ms)
    except KeyboardInterrupt:
        _echo_err("stopped")
