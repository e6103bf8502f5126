"""aigov.cost."""
