"""seedfeed: publish a folder of plain-text news articles as stable, valid feeds."""

__version__ = "0.1.0"
