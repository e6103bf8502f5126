"""aigov.policy."""
