"""The floor of a site build: write the files seedfeed's site has, parsing nothing.

Every seed's text, HTML-escaped, becomes ``articles/<stem>.html``; every full
run of ``MAX_ENTRIES`` seeds (by file name) gets an ``archive/<k>.html`` of
links and an ``archive/<k>.atom`` of titles; ``index.html`` links the newest
``MAX_ENTRIES``, and the
three feed files hold their titles. That is the same set of files, in the same
folders, as ``seedfeed build`` writes for the same seeds, with none of its
work: no decoding beyond UTF-8, no parsing, no dates, no language, no
ledger, no cache, no ``fsync``.

What this program takes is what any program pays to read the seeds and
create that many files on the output's file system. The file system's share
is printed apart (system CPU time), since no faster parser can remove it.

    python benchmarks/bare_site.py SEEDS_DIR OUT_DIR
"""

from __future__ import annotations

import os
import resource
import sys
import time
from html import escape
from pathlib import Path

MAX_ENTRIES = 50


def write(path: str, text: str) -> None:
    """Create one file, as a build creates it (a new inode, written once)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def page(title: str, body: str) -> str:
    """A minimal HTML page."""
    return f"<!DOCTYPE html>\n<html><head><title>{escape(title)}</title></head><body>{body}</body></html>\n"


def main() -> None:
    """Write the bare site and report where its time went."""
    seeds_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    start = time.perf_counter()
    names = sorted(entry.name for entry in os.scandir(seeds_dir) if entry.name.endswith(".txt"))
    for folder in ("articles", "archive"):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    titles: list[str] = []
    for name in names:
        text = (seeds_dir / name).read_text(encoding="utf-8", errors="replace")
        title = text.partition("\n")[0].strip()
        titles.append(title)
        write(f"{out_dir}/articles/{name[:-4]}.html", page(title, f"<pre>{escape(text)}</pre>"))
    runs = [range(start_at, min(start_at + MAX_ENTRIES, len(names))) for start_at in range(0, len(names), MAX_ENTRIES)]
    full = [run for run in runs if len(run) == MAX_ENTRIES]
    for number, run in enumerate(full, start=1):
        links = "".join(f'<li><a href="../articles/{names[i][:-4]}.html">{escape(titles[i])}</a></li>' for i in run)
        write(f"{out_dir}/archive/{number}.html", page(f"archive {number}", f"<ul>{links}</ul>"))
        items = "".join(f"<entry><title>{escape(titles[i])}</title></entry>" for i in run)
        write(f"{out_dir}/archive/{number}.atom", f"<feed>{items}</feed>\n")
    newest = range(max(len(names) - MAX_ENTRIES, 0), len(names))
    links = "".join(f'<li><a href="articles/{names[i][:-4]}.html">{escape(titles[i])}</a></li>' for i in newest)
    write(f"{out_dir}/index.html", page("index", f"<ul>{links}</ul>"))
    items = "".join(f"<item>{escape(titles[i])}</item>" for i in newest)
    for feed in ("feed.atom", "feed.rss", "feed.json"):
        write(f"{out_dir}/{feed}", f"<feed>{items}</feed>\n")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    files = len(names) + 2 * len(full) + 4
    print(
        f"{len(names)} seeds read, {files} files written in {time.perf_counter() - start:.3f} s"
        f" (user {usage.ru_utime:.3f} s, system {usage.ru_stime:.3f} s)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
