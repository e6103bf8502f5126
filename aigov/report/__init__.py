"""aigov.report."""
