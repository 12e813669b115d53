"""What the writers cost: µs per article page, per index entry, per Atom entry, per feed.

Parses a seeds folder once (a generated corpus: benchmarks/generate_corpus.py),
converts each article to an entry (every tenth one edited a day later, so
pages show both dates), then times each writer over those entries in one
process, the best of a few rounds (CPU time). "per seed in a cold build" adds what a
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


def best_of(rounds: int, call: Callable[[], object]) -> float:
    """Return the fastest of ``rounds`` calls, in seconds of this process's CPU time.

    CPU time rather than the clock: other processes on a busy machine slow
    the clock's figure without telling anything about the writers.
    """
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        call()
        best = min(best, time.process_time() - start)
    return best


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
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure, the best counts (default 3)")
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

    page = best_of(args.rounds, pages) / count
    index = best_of(args.rounds, lambda: render_index(config, entries)) / count
    atom = best_of(args.rounds, archives) / count
    subscription = best_of(args.rounds, lambda: render_atom(config, entries[:size]))
    rss = best_of(args.rounds, lambda: render_rss(config, entries[:size]))
    json_feed = best_of(args.rounds, lambda: render_json_feed(config, entries[:size]))

    print(f"{count} entries of {args.seeds_dir}, CPU time, best of {args.rounds} rounds\n")
    print("| what | µs |")
    print("|---|---:|")
    print(f"| article page, per page | {page * 1e6:.0f} |")
    print(f"| index.html, per entry | {index * 1e6:.1f} |")
    print(f"| Atom archive document ({size} entries), per entry | {atom * 1e6:.0f} |")
    print(f"| Atom subscription document ({size} entries), per feed | {subscription * 1e6:.0f} |")
    print(f"| RSS ({size} items), per feed | {rss * 1e6:.0f} |")
    print(f"| JSON Feed ({size} items), per feed | {json_feed * 1e6:.0f} |")
    print(f"| **per seed in a cold build** (page + index line + Atom entry) | {(page + index + atom) * 1e6:.0f} |")


if __name__ == "__main__":
    main()
