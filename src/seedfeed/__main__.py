"""Allow ``python -m seedfeed``."""

from seedfeed.cli import main

main()
