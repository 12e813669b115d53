"""Incremental outputs: a file is rendered again only when what it is made from changed.

Rendering ten thousand article pages and hundreds of archive pages on every
build costs seconds, although a new seed changes one page, the index and the
newest documents. Each output is keyed by a digest of its inputs (the entries
it shows, its links; the configuration and seedfeed's own code are in the
cache's key). When the parse cache remembers writing a file from the same
inputs, and the file's stat is still the one it left, rendering is skipped;
otherwise the file is rendered and written as before, only if its bytes
changed. Without a cache, everything is rendered: the bytes are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from seedfeed.archive import order_entries
from seedfeed.cache import ParseCache, digest_inputs
from seedfeed.catalog import EntryCatalog, EntryHead
from seedfeed.config import FeedConfig
from seedfeed.fsutil import Data, StagedFile, commit_staged, discard_staged, write_batch_if_changed, write_if_changed
from seedfeed.writers.common import INDEX_NAME
from seedfeed.writers.html import page_file, render_article, render_index_page, render_index_row

# Pages are written in batches: each page through its own temporary file and
# rename, the batch's data flushed with one syncfs instead of a thousand
# fsyncs. All are done before any feed that links to them is written; a batch
# bounds the memory that rendered pages hold.
_WRITE_BATCH = 1000


def write_rendered(
    out_dir: Path,
    relative: str,
    inputs: bytes,
    render: Callable[[], Data],
    outputs: ParseCache | None,
) -> bool:
    """Write ``render()`` to ``out_dir/relative`` unless it is known current; return whether bytes changed.

    Raises OutputError when the file cannot be written.
    """
    if outputs is not None and outputs.is_current(out_dir, relative, inputs):
        return False
    changed = write_if_changed(out_dir, relative, render())
    if outputs is not None:
        outputs.wrote(out_dir, relative, inputs)
    return changed


# Stands for the rows in the rendered index page: a NUL never reaches a page.
_ROWS_MARKER = "\x00seedfeed-index-rows\x00"


def write_pages(out_dir: Path, pending: list[tuple[str, bytes, bytes]], outputs: ParseCache | None) -> list[str]:
    """Write rendered files (path, inputs, bytes) as one batch and empty the list; return the paths that changed.

    Raises OutputError when a file cannot be written.
    """
    changed = write_batch_if_changed(out_dir, [(relative, data) for relative, _inputs, data in pending])
    written: list[str] = []
    for (relative, inputs, _data), is_changed in zip(pending, changed, strict=True):
        if outputs is not None:
            outputs.wrote(out_dir, relative, inputs)
        if is_changed:
            written.append(relative)
    pending.clear()
    return written


def write_site(
    out_dir: Path,
    config: FeedConfig,
    catalog: EntryCatalog,
    *,
    outputs: ParseCache | None,
    staged: dict[str, tuple[bytes, StagedFile | None]] | None = None,
    ordered: Sequence[EntryHead] | None = None,
) -> tuple[list[str], list[str]]:
    """Write ``index.html`` and each article's page; return every page's path and those whose bytes changed.

    The pages are those ``writers.html.render_site`` makes, in its order; an
    entry is loaded only when its page is rendered. ``ordered`` is the
    catalog's heads as ``archive.order_entries`` orders them, when the caller
    has them. Raises OutputError when a page cannot be written.
    """
    ordered = order_entries(catalog.heads) if ordered is None else ordered
    pages: list[str] = [INDEX_NAME]
    written: list[str] = []
    index_inputs = digest_inputs(INDEX_NAME, [head.digest for head in ordered])
    if write_rendered(
        out_dir, INDEX_NAME, index_inputs, lambda: _render_index(config, catalog, ordered, outputs), outputs
    ):
        written.append(INDEX_NAME)
    pending: list[tuple[str, bytes, bytes]] = []  # path, inputs, rendered page

    def write_pending() -> None:
        written.extend(write_pages(out_dir, pending, outputs))

    commits: list[tuple[StagedFile, bytes]] = []  # staged page, inputs
    for head in ordered:
        relative = page_file(head.stem)
        pages.append(relative)
        # A page is made from its entry alone (configuration and code are in the
        # cache's key), and its record is kept under its path: the entry's digest
        # is the page's inputs, with nothing to hash per page.
        inputs = head.digest
        if outputs is not None and outputs.is_current(out_dir, relative, inputs):
            continue
        ready = staged.pop(head.stem, None) if staged is not None else None
        if ready is not None and ready[0] == head.digest:
            # Rendered and staged where the seed was parsed, from this very entry.
            if ready[1] is None:  # the file already held these bytes
                if outputs is not None:
                    outputs.wrote(out_dir, relative, inputs)
            else:
                commits.append((ready[1], inputs))
            continue
        if ready is not None and ready[1] is not None:
            discard_staged([ready[1]])
        pending.append((relative, inputs, render_article(config, catalog.entry(head))))
        if len(pending) >= _WRITE_BATCH:
            write_pending()
    write_pending()
    commit_staged(out_dir, [page for page, _inputs in commits])
    for page, inputs in commits:
        if outputs is not None:
            outputs.wrote(out_dir, page.relative, inputs)
        written.append(page.relative)
    return pages, written


def _render_index(
    config: FeedConfig, catalog: EntryCatalog, ordered: Sequence[EntryHead], outputs: ParseCache | None
) -> list[bytes]:
    """Return ``index.html``, rendering again only the rows of entries that changed.

    The index lists every entry: at ten thousand seeds, rendering every row
    (and loading every entry for it) is most of a one-seed rebuild.
    """
    known = outputs.index_rows() if outputs is not None else {}
    stored = len(known)
    rows: list[bytes] = []
    fresh: dict[str, tuple[bytes, bytes]] = {}
    for head in ordered:
        # Taken out as it is used: each row's digest and pair are freed on the way,
        # not held with every row until the page is written (at 100,000 rows, megabytes).
        cached = known.pop(head.stem, None)
        if cached is not None and cached[0] == head.digest:
            rows.append(cached[1])
            continue
        row = render_index_row(config, catalog.entry(head)).encode("utf-8")
        fresh[head.stem] = (head.digest, row)
        rows.append(row)
    if outputs is not None and (fresh or stored != len(ordered)):
        # What is left in ``known`` are rows of other stems (removed seeds): they are
        # dropped; without any, the store need not list its rows.
        outputs.put_index_rows(fresh, {head.stem for head in ordered} if known else None)
    # The page around a marker, then the rows as they are: written as parts, a
    # hundred thousand rows are neither decoded, nor joined, nor encoded again.
    page = render_index_page(config, [_ROWS_MARKER])
    before, marker, after = page.partition(_ROWS_MARKER.encode("utf-8"))
    if not marker:  # never: the page holds what it is given
        raise ValueError("index.html lost its rows")
    return [before, *rows, after]
