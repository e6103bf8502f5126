"""aigov.cli."""
