"""Where a cold build's time goes per seed: read, decode, parse, date, language, convert, write.

Runs each stage of the pipeline over a seeds folder in one process, timing
each separately (microseconds per seed, median over the seeds), so the
figures add up to roughly what one worker spends per seed in a cold build.
"parse" is ``parse_article`` minus the date and language steps it calls,
which are timed again on their own; "write" renders the seed's article page
and its share of an Atom document of 50 entries.

    python benchmarks/stages.py SEEDS_DIR [--limit N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from seedfeed.article import choose_language, parse_article, tables_for  # noqa: E402
from seedfeed.config import load_config  # noqa: E402
from seedfeed.convert import EntryDates, to_entry  # noqa: E402
from seedfeed.dates import find_date  # noqa: E402
from seedfeed.errors import SeedError  # noqa: E402
from seedfeed.seeds import decode_seed, list_seeds, read_seed_bytes  # noqa: E402
from seedfeed.writers.atom import render_atom  # noqa: E402
from seedfeed.writers.html import render_article  # noqa: E402

T = TypeVar("T")
FIRST_SEEN = datetime(2025, 1, 1, tzinfo=UTC)


def timed(samples: list[float], call: Callable[[], T]) -> T:
    """Call, append the elapsed microseconds to samples, return the result."""
    start = time.perf_counter()
    result = call()
    samples.append((time.perf_counter() - start) * 1e6)
    return result


def main() -> None:
    """Time each stage over the seeds and print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("seeds_dir", type=Path)
    parser.add_argument("--limit", type=int, default=2000, help="seeds to time (default 2000)")
    args = parser.parse_args()
    config = load_config(args.seeds_dir)
    paths = list_seeds(args.seeds_dir)[: args.limit]
    # Load the language model and compile patterns before timing anything.
    warm = decode_seed(read_seed_bytes(paths[0])[0], source=paths[0])
    parse_article(warm, config, first_seen=FIRST_SEEN)

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

    print(f"{len(entries)} seeds of {args.seeds_dir}, microseconds per seed (median; mean)\n")
    print("| stage | median (µs) | mean (µs) | share of the mean |")
    print("|---|---:|---:|---:|")
    total = sum(statistics.fmean(v) for v in stages.values())
    for name, values in stages.items():
        mean = statistics.fmean(values)
        print(f"| {name} | {statistics.median(values):.0f} | {mean:.0f} | {mean / total:.0%} |")
    print(f"| **total** | | {total:.0f} | |")


if __name__ == "__main__":
    main()
