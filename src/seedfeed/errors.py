"""The one tree of errors that seedfeed raises on purpose.

The CLI turns exactly these into one-line messages; anything else is a bug
and is allowed to surface as a traceback.
"""

from __future__ import annotations

from pathlib import Path


class SeedfeedError(Exception):
    """Base of every error raised on purpose; the CLI catches only this."""


class SeedError(SeedfeedError):
    """A seed file cannot be published; the other seeds still are."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        self.path, self.line, self.problem = path, line, problem
        where = str(path) if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple[type[SeedError], tuple[Path, int | None, str]]:
        """Pickle by the three fields: parse workers send these back to the build."""
        return type(self), (self.path, self.line, self.problem)


class DateError(SeedError):
    """A date given explicitly (front matter) cannot be understood."""


class ConfigError(SeedfeedError):
    """``feed.toml`` is missing a key, has a bad value or is not TOML."""


class LedgerError(SeedfeedError):
    """The ledger cannot be read; the build reports it and starts a new one."""


class OutputError(SeedfeedError):
    """An output file cannot be written, or would land outside the output folder."""


class LockError(SeedfeedError):
    """Another build holds the seeds folder's lock for longer than we wait."""
