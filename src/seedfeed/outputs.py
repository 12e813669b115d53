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

from collections.abc import Callable, Container, Sequence
from pathlib import Path

from seedfeed.archive import SitePage, order_entries
from seedfeed.cache import INDEX_ROW, ParseCache, digest_inputs
from seedfeed.catalog import EntryCatalog, EntryHead
from seedfeed.config import FeedConfig
from seedfeed.convert import ARTICLES_DIR
from seedfeed.fsutil import Data, StagedFile, commit_staged, discard_staged, write_batch_if_changed, write_if_changed
from seedfeed.writers.html import (
    page_file,
    render_article,
    render_index_row,
    render_site_page,
    row_prefix,
    site_page_links,
)

# Pages are written in batches: each page through its own temporary file and
# rename, the batch's data flushed with one syncfs instead of a thousand
# fsyncs. All are done before any feed that links to them is written; a batch
# bounds the memory that rendered pages hold.
_WRITE_BATCH = 1000
# Staged pages put in place together: one syncfs, then a rename each.
_COMMIT_BATCH = 5000


class SitePaths(Container[str]):
    """Every page of the site by its path: an article page per published stem, and the listing pages.

    What ``fsutil.remove_files_not_in`` keeps, asked a path at a time: not a
    string per page (10 MB at 100,000 seeds, held from the pages to the end
    of a build), only the stems the heads already hold.
    """

    __slots__ = ("_listings", "_stems")

    def __init__(self, stems: set[str], listings: set[str]) -> None:
        self._stems = stems
        self._listings = listings

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        if path in self._listings:
            return True
        # page_file's inverse, checked by page_file itself.
        stem = path.removeprefix(f"{ARTICLES_DIR}/").removesuffix(".html")
        return stem in self._stems and page_file(stem) == path

    def __bool__(self) -> bool:
        return bool(self._stems or self._listings)


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
    pages: Sequence[SitePage[EntryHead]],
    outputs: ParseCache | None,
    staged: dict[str, tuple[bytes, StagedFile | None]] | None = None,
    ordered: Sequence[EntryHead] | None = None,
) -> tuple[SitePaths, list[str]]:
    """Write each article's page, then the listing ``pages``; return every page's path and those whose bytes changed.

    The pages are those ``writers.html.render_site`` makes, ``pages`` being
    ``archive.plan_site_pages``'s plan of the catalog's heads; an entry is
    loaded only when a page made from it is rendered. ``ordered`` is the
    catalog's heads as ``archive.order_entries`` orders them, when the caller
    has them. Raises OutputError when a page cannot be written.
    """
    ordered = order_entries(catalog.heads) if ordered is None else ordered
    written: list[str] = []
    pending: list[tuple[str, bytes, bytes]] = []  # path, inputs, rendered page

    def write_pending() -> None:
        written.extend(write_pages(out_dir, pending, outputs))

    commits: list[tuple[str, StagedFile, bytes]] = []  # path, staged page, inputs
    committed: list[str] = []

    def commit_pending() -> None:
        # In batches, as pages are written: the targets of a cold build's 100,000 staged
        # pages, resolved all at once, were some 20 MB held for a moment.
        commit_staged(out_dir, [(relative, page) for relative, page, _inputs in commits])
        for relative, _page, inputs in commits:
            if outputs is not None:
                outputs.wrote(out_dir, relative, inputs)
            committed.append(relative)
        commits.clear()

    for head in ordered:
        relative = page_file(head.stem)
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
                commits.append((relative, ready[1], inputs))
                if len(commits) >= _COMMIT_BATCH:
                    commit_pending()
            continue
        if ready is not None and ready[1] is not None:
            discard_staged([ready[1]])
        pending.append((relative, inputs, render_article(config, catalog.entry(head))))
        if len(pending) >= _WRITE_BATCH:
            write_pending()
    write_pending()
    commit_pending()
    written.extend(committed)
    # The listing pages after the articles they link to; the index, last, after the archive pages.
    paths = SitePaths({head.stem for head in ordered}, {page.path for page in pages})
    written.extend(_write_listings(out_dir, config, catalog, pages, outputs))
    return paths, written


def _write_listings(
    out_dir: Path,
    config: FeedConfig,
    catalog: EntryCatalog,
    pages: Sequence[SitePage[EntryHead]],
    outputs: ParseCache | None,
) -> list[str]:
    """Write the listing pages whose inputs changed, in order; return the paths whose bytes changed.

    A listing page's rows come from the parse cache's store, fetched by key
    for the pages rendered again (an archive page's prepared where each seed
    was parsed), else rendered here and stored: a rebuild after one new seed
    renders one row of ``index.html``, not every row of it (whose dates, in
    each article's language, would load Babel's data for every language).
    """
    written: list[str] = []
    due: list[tuple[SitePage[EntryHead], bytes]] = []  # archive pages to render, with their inputs
    for page in pages:
        older, atom = site_page_links(config, page)
        inputs = digest_inputs(page.path, page.number, older, atom, [head.digest for head in page.entries])
        if outputs is not None and outputs.is_current(out_dir, page.path, inputs):
            continue
        if page.number is not None:
            due.append((page, inputs))
            continue
        # The index, last: every archive page it may link to is on disk.
        written.extend(_write_archive_pages(out_dir, config, catalog, due, outputs))
        due = []

        def render(page: SitePage[EntryHead] = page, inputs: bytes = inputs) -> list[bytes]:
            return _listing_pages(config, catalog, [(page, inputs)], outputs)[0][2]

        if write_rendered(out_dir, page.path, inputs, render, outputs):
            written.append(page.path)
    written.extend(_write_archive_pages(out_dir, config, catalog, due, outputs))
    if outputs is not None:
        outputs.prune_index_rows()
    return written


# Archive pages rendered before they are written together (a few megabytes of rows at most).
_LISTING_BATCH = 40


def _write_archive_pages(
    out_dir: Path,
    config: FeedConfig,
    catalog: EntryCatalog,
    due: Sequence[tuple[SitePage[EntryHead], bytes]],
    outputs: ParseCache | None,
) -> list[str]:
    """Render and write archive pages (page, inputs) from their stored rows; return the paths that changed."""
    written: list[str] = []
    for start in range(0, len(due), _LISTING_BATCH):
        pending = [
            (path, inputs, b"".join(parts))
            for path, inputs, parts in _listing_pages(config, catalog, due[start : start + _LISTING_BATCH], outputs)
        ]
        written.extend(write_pages(out_dir, pending, outputs))
    return written


def _listing_pages(
    config: FeedConfig,
    catalog: EntryCatalog,
    due: Sequence[tuple[SitePage[EntryHead], bytes]],
    outputs: ParseCache | None,
) -> list[tuple[str, bytes, list[bytes]]]:
    """Return listing pages (page, inputs) rendered as (path, inputs, parts), their rows stored or stored now."""
    keys = [_row_key(page, head.stem) for page, _inputs in due for head in page.entries]
    known = outputs.index_rows(keys) if outputs is not None else {}
    fresh: dict[str, tuple[bytes, bytes]] = {}  # rows rendered here: key -> (entry digest, UTF-8 row)
    rendered: list[tuple[str, bytes, list[bytes]]] = []
    for page, inputs in due:
        prefix = row_prefix(page)
        rows: list[bytes] = []
        for head in page.entries:
            key = _row_key(page, head.stem)
            cached = known.get(key)
            if cached is not None and cached[0] == head.digest:
                rows.append(cached[1])
                continue
            row = render_index_row(config, catalog.entry(head), prefix=prefix).encode("utf-8")
            fresh[key] = (head.digest, row)
            rows.append(row)
        rendered.append((page.path, inputs, render_site_page(config, page, rows)))
    if outputs is not None:
        # With the index, the index rows of entries that left it go.
        index = next((page for page, _inputs in due if page.number is None), None)
        outputs.put_index_rows(fresh, index=None if index is None else [head.stem for head in index.entries])
    return rendered


def _row_key(page: SitePage[EntryHead], stem: str) -> str:
    """Return the store's key of an entry's row on a listing page: rows differ by the page's way to the root."""
    return stem if page.number is not None else INDEX_ROW + stem
