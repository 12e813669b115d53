"""The reference point: read every seed and write an Atom feed with feedgen, parsing nothing.

Each seed's first line is taken as its title and the rest as its content;
the newest ``max_entries`` by file name make the feed. Whatever seedfeed does
beyond this (decoding, parsing, dates, bylines, the ledger) is the price of
doing it right; the benchmark shows what that price is.

    python benchmarks/bare_feedgen.py SEEDS_DIR OUT_DIR
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from feedgen.feed import FeedGenerator

MAX_ENTRIES = 50


def main() -> None:
    """Build the bare feed."""
    seeds_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    texts = {path.stem: path.read_text(encoding="utf-8") for path in sorted(seeds_dir.glob("*.txt"))}
    fg = FeedGenerator()
    fg.id("tag:bench.example.org,2023:feed")
    fg.title("bare feedgen")
    fg.author({"name": "bench"})
    fg.link(href="https://bench.example.org/", rel="alternate")
    fg.updated(datetime(2024, 1, 1, tzinfo=UTC))
    for stem in sorted(texts)[-MAX_ENTRIES:]:
        title, _, body = texts[stem].partition("\n")
        entry = fg.add_entry(order="append")
        entry.id(f"tag:bench.example.org,2023:{stem}")
        entry.title(title)
        entry.content(body, type="text")
        entry.updated(datetime(2024, 1, 1, tzinfo=UTC))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "feed.atom").write_bytes(fg.atom_str(pretty=True))
    print(f"{len(texts)} seeds read", file=sys.stderr)


if __name__ == "__main__":
    main()
