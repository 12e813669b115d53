"""What ``seedfeed check`` reports: every seed parsed as a build would, nothing written.

For CI before publishing: each seed either becomes an entry (with what was
found and every warning: year inferred, no date, no byline, a language other
than the feed's, a legacy encoding…) or is rejected with its path, line and
reason. Reading only: no lock, no ledger update, no output folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from seedfeed.article import parse_article
from seedfeed.build import entry_dates
from seedfeed.config import FeedConfig, load_config
from seedfeed.convert import to_entry
from seedfeed.errors import LedgerError, SeedError
from seedfeed.ledger import LEDGER_NAME, Ledger, load_ledger
from seedfeed.model import Article, Entry, Notice
from seedfeed.seeds import list_seeds, read_seed


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedCheck:
    """One seed's outcome: an entry with its warnings, or the reason it is rejected."""

    path: Path
    article: Article | None  # None: the seed is rejected
    entry: Entry | None  # None: the seed is rejected
    error: SeedError | None  # None: the seed becomes an entry
    notices: tuple[Notice, ...]

    @property
    def problems(self) -> tuple[str, ...]:
        """Return one ``path:line: message`` line per problem, the rejection first."""
        lines = [str(self.error)] if self.error is not None else []
        return (*lines, *(str(n) for n in self.notices))


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckReport:
    """Every seed of a folder checked, plus notices about the folder itself."""

    seeds: tuple[SeedCheck, ...]
    notices: tuple[Notice, ...]  # about the folder (an unreadable ledger), not one seed

    @property
    def rejected(self) -> tuple[SeedCheck, ...]:
        """Return the checks of the seeds a build would reject."""
        return tuple(s for s in self.seeds if s.error is not None)

    @property
    def warning_count(self) -> int:
        """Return how many warnings the seeds and the folder have."""
        return len(self.notices) + sum(len(s.notices) for s in self.seeds)

    def summary(self) -> str:
        """Return the one line a check ends with."""
        return f"{len(self.seeds)} checked: {len(self.rejected)} rejected, {self.warning_count} warnings"


def check_seed(path: Path, config: FeedConfig, ledger: Ledger) -> SeedCheck:
    """Parse and convert one seed as a build would; a SeedError becomes the outcome."""
    record = ledger.records.get(path.stem)
    try:
        if record is not None:
            first_seen = record.first_seen
        else:
            # The next build records its own clock; the file's time is the nearest guess.
            first_seen = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).replace(microsecond=0)
        seed = read_seed(path, max_bytes=config.max_seed_bytes)
        article = parse_article(seed, config, first_seen=first_seen)
        entry = to_entry(article, entry_dates(article, record, first_seen), config)
    except OSError as exc:
        error = SeedError(path, None, f"cannot be read: {exc.strerror or exc}")
        return SeedCheck(path=path, article=None, entry=None, error=error, notices=())
    except SeedError as exc:
        return SeedCheck(path=path, article=None, entry=None, error=exc, notices=())
    return SeedCheck(path=path, article=article, entry=entry, error=None, notices=entry.notices)


def check_seeds(seeds_dir: Path, *, config: FeedConfig | None = None) -> CheckReport:
    """Check every seed of a folder without writing anything.

    Raises ConfigError for a bad feed.toml; a bad seed is reported, not raised.
    """
    config = config or load_config(seeds_dir)
    notices: list[Notice] = []
    ledger_path = seeds_dir / LEDGER_NAME
    try:
        ledger = load_ledger(ledger_path)
    except LedgerError as exc:
        notices.append(Notice(path=ledger_path, line=None, message=str(exc).removeprefix(f"{ledger_path}: ")))
        ledger = Ledger()
    seeds = tuple(check_seed(path, config, ledger) for path in list_seeds(seeds_dir))
    return CheckReport(seeds=seeds, notices=tuple(notices))


def to_json(report: CheckReport) -> dict[str, object]:
    """Return the stable, snake_case JSON object ``check --json`` prints."""
    seeds: list[dict[str, object]] = []
    for check in report.seeds:
        article, entry, error = check.article, check.entry, check.error
        seeds.append(
            {
                "path": str(check.path),
                "ok": error is None,
                "error": {"line": error.line, "problem": error.problem} if error is not None else None,
                "id": entry.id if entry else None,
                "title": entry.title if entry else None,
                "language": entry.language if entry else None,
                "language_source": article.language_source if article else None,
                "published": entry.published.isoformat() if entry else None,
                "date_source": entry.date_source if entry else None,
                "date_evidence": article.date.evidence if article and article.date else None,
                "author": article.author if article else None,
                "sources": list(entry.sources) if entry else [],
                "caption_credit": article.captions[0].credit if article and article.captions else None,
                "warnings": [{"line": n.line, "message": n.message} for n in check.notices],
            }
        )
    return {
        "checked": len(report.seeds),
        "rejected": len(report.rejected),
        "warnings": report.warning_count,
        "folder_warnings": [{"path": str(n.path), "line": n.line, "message": n.message} for n in report.notices],
        "seeds": seeds,
    }
