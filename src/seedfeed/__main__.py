"""Allow ``python -m seedfeed``."""

from seedfeed.entry import run

run()
