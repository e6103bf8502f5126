"""aigov's errors. The CLI catches :class:`AigovError` only and prints its one line."""

from __future__ import annotations


class AigovError(Exception):
    """A problem with what the user gave us, reported as ``file: where: what``."""

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.where = where

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.where) if p]
        parts.append(self.message)
        return ": ".join(parts)


class SourceError(AigovError):
    """An input (plan, template, live response) could not be read or understood."""


class RuleError(AigovError):
    """A rule file is invalid."""


class ConfigError(AigovError):
    """``aigov.yaml`` (or a file it names) is invalid."""


class CatalogError(AigovError):
    """The price catalogue is unreadable or invalid."""
