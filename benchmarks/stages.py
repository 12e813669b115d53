"""Where a cold build's time goes per seed: read, decode, parse, date, language, convert, write.

Runs each stage of the pipeline over a seeds folder in one process, timing
each separately in CPU time (microseconds per seed, median and mean over the
seeds; other work on the machine does not count), so the figures add up to
roughly what one worker spends per seed in a cold build. The language model
is loaded first, as a build does before forking its workers. "parse" is
``parse_article`` minus the date and language steps it calls, which are
timed again on their own; "write" renders the seed's article page and its
share of an Atom document of 50 entries.

Then the fixed cost of the first parse in a process (what a rebuild after one
new seed pays once): fresh interpreters each import the parser, decode one
seed and time ``parse_article`` on it in CPU time, for a few seeds.

    python benchmarks/stages.py SEEDS_DIR [--limit N] [--first N] [--src DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
# --src is read before the imports below: it chooses which seedfeed they load
# (benchmarks/compiled.py points it at a copy with modules compiled by mypyc).
_early = argparse.ArgumentParser(add_help=False)
_early.add_argument("--src", type=Path, default=REPO / "src")
sys.path.insert(0, str(_early.parse_known_args()[0].src))

from seedfeed.article import choose_language, parse_article, tables_for  # noqa: E402
from seedfeed.config import load_config  # noqa: E402
from seedfeed.convert import EntryDates, to_entry  # noqa: E402
from seedfeed.dates import find_date  # noqa: E402
from seedfeed.detect import preload  # noqa: E402
from seedfeed.errors import SeedError  # noqa: E402
from seedfeed.seeds import decode_seed, list_seeds, read_seed_bytes  # noqa: E402
from seedfeed.writers.atom import render_atom  # noqa: E402
from seedfeed.writers.html import render_article  # noqa: E402

T = TypeVar("T")
FIRST_SEEN = datetime(2025, 1, 1, tzinfo=UTC)


def timed(samples: list[float], call: Callable[[], T]) -> T:
    """Call, append the CPU microseconds it took to samples, return the result."""
    start = time.process_time_ns()
    result = call()
    samples.append((time.process_time_ns() - start) / 1e3)
    return result


# Run in a fresh interpreter: the CPU time of the first parse_article in a process.
FIRST_PARSE = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from seedfeed.article import parse_article
from seedfeed.config import load_config
from seedfeed.seeds import decode_seed, read_seed_bytes
path = Path(sys.argv[1])
config = load_config(path.parent)
seed = decode_seed(read_seed_bytes(path)[0], source=path)
start = time.process_time_ns()
parse_article(seed, config, first_seen=datetime(2025, 1, 1, tzinfo=UTC))
print((time.process_time_ns() - start) / 1e6, "numpy" in sys.modules)
"""


def first_parse(paths: list[Path], src: Path) -> None:
    """Print the CPU time of the first parse in fresh processes, one per seed."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    results = []
    for path in paths:
        done = subprocess.run(
            [sys.executable, "-c", FIRST_PARSE, str(path)], capture_output=True, text=True, env=env, check=True
        )
        milliseconds, numpy = done.stdout.split()
        results.append((float(milliseconds), numpy == "True"))
    times = [ms for ms, _ in results]
    with_numpy = sum(numpy for _, numpy in results)
    print(
        f"\nfirst parse in a process, CPU ms over {len(times)} seeds: median {statistics.median(times):.1f},"
        f" min {min(times):.1f}, max {max(times):.1f}; numpy imported in {with_numpy}"
    )


def main() -> None:
    """Time each stage over the seeds and print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("seeds_dir", type=Path)
    parser.add_argument("--limit", type=int, default=2000, help="seeds to time (default 2000)")
    parser.add_argument("--first", type=int, default=10, help="seeds to time a first parse with (default 10)")
    parser.add_argument("--src", type=Path, default=REPO / "src", help="the folder holding the seedfeed package")
    args = parser.parse_args()
    config = load_config(args.seeds_dir)
    paths = list_seeds(args.seeds_dir)[: args.limit]
    # Load the language model, compile patterns and load each language's
    # CLDR data (the first page of a language loads it) before timing
    # anything: a worker pays these once, not per seed.
    preload()
    for path in paths[:30]:
        try:
            warm = parse_article(decode_seed(read_seed_bytes(path)[0], source=path), config, first_seen=FIRST_SEEN)
        except SeedError:
            continue
        render_article(
            config,
            to_entry(warm, EntryDates(published=FIRST_SEEN, updated=FIRST_SEEN, provenance="first-seen"), config),
        )

    stages: dict[str, list[float]] = {
        name: [] for name in ("read", "decode", "parse", "date", "language", "convert", "write")
    }
    whole: list[float] = []
    entries = []
    for path in paths:
        data, _stat = timed(stages["read"], lambda path=path: read_seed_bytes(path))
        try:
            seed = timed(stages["decode"], lambda data=data, path=path: decode_seed(data, source=path))
            article = timed(whole, lambda seed=seed: parse_article(seed, config, first_seen=FIRST_SEEN))
        except SeedError:
            continue
        language = timed(stages["language"], lambda seed=seed: choose_language(seed, config))
        tables = tables_for(language[0], config)
        timed(
            stages["date"],
            lambda article=article, tables=tables: find_date(
                article.title, article.paragraphs, tables=tables, time_zone=config.time_zone, first_seen=FIRST_SEEN
            ),
        )
        stages["parse"].append(max(0.0, whole[-1] - stages["language"][-1] - stages["date"][-1]))
        published = article.date.value if article.date else FIRST_SEEN
        dates = EntryDates(published=published, updated=published, provenance="first-seen")
        entry = timed(stages["convert"], lambda article=article, dates=dates: to_entry(article, dates, config))
        entries.append(entry)
        page: list[float] = []
        timed(page, lambda entry=entry: render_article(config, entry))
        stages["write"].append(page[0])
    feed: list[float] = []
    timed(feed, lambda: render_atom(config, entries[:50]))
    share = feed[0] / 50
    stages["write"] = [w + share for w in stages["write"]]

    print(f"{len(entries)} seeds of {args.seeds_dir}, CPU microseconds per seed (median; mean)\n")
    print("| stage | median (µs) | mean (µs) | share of the mean |")
    print("|---|---:|---:|---:|")
    total = sum(statistics.fmean(v) for v in stages.values())
    for name, values in stages.items():
        mean = statistics.fmean(values)
        print(f"| {name} | {statistics.median(values):.0f} | {mean:.0f} | {mean / total:.0%} |")
    print(f"| **total** | | {total:.0f} | |")
    if args.first:
        first_parse(paths[:: max(1, len(paths) // args.first)][: args.first], args.src)


if __name__ == "__main__":
    main()
