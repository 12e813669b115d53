"""Writers: entries and feed config in, file bytes out. The only feedgen users."""
