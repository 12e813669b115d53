"""What the writers cost: µs per article page, per index entry, per Atom entry, per feed.

Parses a seeds folder once (a generated corpus: benchmarks/generate_corpus.py),
converts each article to an entry (every tenth one edited a day later, so
pages show both dates), then times each writer over those entries in one
process, in CPU time: the first round and the best of a few. "per seed in a cold build" adds what a
cold build renders for each seed: its page, its line of the index and its
entry in an archive document of ``max_entries``.

    python benchmarks/render.py SEEDS_DIR [--limit N] [--rounds R]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from seedfeed.article import parse_article  # noqa: E402
from seedfeed.config import load_config  # noqa: E402
from seedfeed.convert import EntryDates, to_entry  # noqa: E402
from seedfeed.errors import SeedError  # noqa: E402
from seedfeed.model import Entry  # noqa: E402
from seedfeed.seeds import decode_seed, list_seeds, read_seed_bytes  # noqa: E402
from seedfeed.writers.atom import render_atom  # noqa: E402
from seedfeed.writers.html import render_article, render_index  # noqa: E402
from seedfeed.writers.jsonfeed import render_json_feed  # noqa: E402
from seedfeed.writers.rss import render_rss  # noqa: E402

FIRST_SEEN = datetime(2025, 1, 1, tzinfo=UTC)


def timed_rounds(rounds: int, call: Callable[[], object]) -> tuple[float, float]:
    """Return the first and the fastest of ``rounds`` calls, in seconds of this process's CPU time.

    CPU time rather than the clock: other processes on a busy machine slow
    the clock's figure without telling anything about the writers. The first
    round is what a build pays, seeing each date once; later rounds find the
    writers' memos (display dates, stencils) warm.
    """
    times = []
    for _ in range(rounds):
        start = time.process_time()
        call()
        times.append(time.process_time() - start)
    return times[0], min(times)


def load_entries(seeds_dir: Path, limit: int) -> list[Entry]:
    """Parse and convert up to ``limit`` seeds of a folder."""
    config = load_config(seeds_dir)
    entries: list[Entry] = []
    for number, path in enumerate(list_seeds(seeds_dir)[:limit]):
        try:
            article = parse_article(decode_seed(read_seed_bytes(path)[0], source=path), config, first_seen=FIRST_SEEN)
        except SeedError:
            continue
        published = article.date.value if article.date else FIRST_SEEN
        updated = published + timedelta(days=1) if number % 10 == 0 else published
        entries.append(to_entry(article, EntryDates(published=published, updated=updated, provenance="text"), config))
    return entries


def main() -> None:
    """Time each writer over the parsed entries and print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("seeds_dir", type=Path)
    parser.add_argument("--limit", type=int, default=2000, help="seeds to parse (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure (default 3)")
    args = parser.parse_args()
    config = load_config(args.seeds_dir)
    entries = load_entries(args.seeds_dir, args.limit)
    count = len(entries)
    size = config.max_entries
    chunks = [entries[i : i + size] for i in range(0, count, size)]

    def pages() -> None:
        for entry in entries:
            render_article(config, entry)

    def archives() -> None:
        for chunk in chunks:
            render_atom(config, chunk, kind="archive")

    figures = {
        "article page, per page": [t / count for t in timed_rounds(args.rounds, pages)],
        "index.html, per entry": [t / count for t in timed_rounds(args.rounds, lambda: render_index(config, entries))],
        f"Atom archive document ({size} entries), per entry": [t / count for t in timed_rounds(args.rounds, archives)],
        f"Atom subscription document ({size} entries), per feed": list(
            timed_rounds(args.rounds, lambda: render_atom(config, entries[:size]))
        ),
        f"RSS ({size} items), per feed": list(timed_rounds(args.rounds, lambda: render_rss(config, entries[:size]))),
        f"JSON Feed ({size} items), per feed": list(
            timed_rounds(args.rounds, lambda: render_json_feed(config, entries[:size]))
        ),
    }
    per_seed = [sum(values) for values in zip(*list(figures.values())[:3], strict=True)]
    figures["**per seed in a cold build** (page + index row + Atom entry)"] = per_seed

    print(f"{count} entries of {args.seeds_dir}, CPU time in µs, {args.rounds} rounds\n")
    print("| what | first round | best round |")
    print("|---|---:|---:|")
    for what, (first, best) in figures.items():
        print(f"| {what} | {first * 1e6:.1f} | {best * 1e6:.1f} |")


if __name__ == "__main__":
    main()
