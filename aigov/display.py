"""Untrusted text made safe to print on one line of a report."""

from __future__ import annotations

from typing import Final

EXCERPT_LENGTH: Final = 160
"""How much of a value read from an input a message shows."""


def excerpt(value: str, length: int = EXCERPT_LENGTH) -> str:
    """``value`` with control characters escaped, cut to ``length`` characters with a trailing ``…``.

    Values come from templates and files a pull request controls: a message
    must not carry a whole file, nor a newline that forges a line of a CI log.
    """
    if not value.isprintable():
        value = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in value)
    return value if len(value) <= length else value[: length - 1] + "…"
