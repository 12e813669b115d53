"""Allow ``python -m seedfeed``."""

from seedfeed.entry import main

main()
