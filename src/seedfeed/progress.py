"""The progress bar a long build shows on stderr: after a second, on a terminal, never under ``--json``.

Both ways a build runs use it: the command line's full build, and a build
of just the new seeds (a batch of hundreds) that the executable answers
before it imports click. So click is imported only when the bar is first
drawn: a build done within the delay never pays for it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar as ClickBar  # the type click.progressbar returns


def is_terminal(stream: TextIO) -> bool:
    """Return whether a stream is a terminal (a closed stream is not)."""
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False


class ProgressBar:
    """A progress bar on stderr for reading seeds, shown only once it has taken a while."""

    # A build that is done sooner shows no bar at all.
    DELAY = 1.0

    def __init__(self, *, is_shown: bool) -> None:
        self.is_shown = is_shown
        self.started = time.monotonic()
        self.bar: ClickBar[int] | None = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        """Show that ``done`` of ``total`` seeds are read."""
        if not self.is_shown:
            return
        if self.bar is None:
            if time.monotonic() - self.started < self.DELAY or done >= total:
                return
            import sys

            import click

            self.bar = click.progressbar(length=total, label="Reading seeds", file=sys.stderr)
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        """Finish the bar's line, if one was shown."""
        if self.bar is not None:
            self.bar.render_finish()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
