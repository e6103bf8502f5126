"""aigov.sources."""
