"""The one glob aigov matches resource names with: waivers and usage entries alike.

``*`` matches any run of characters and ``?`` one character; everything else
is literal, so the brackets and quotes of an IaC address
(``reports["ptu"]``, ``reports[*]``) mean themselves and an address matches
itself. Matching ignores case (Azure resource ids are case-insensitive) and
covers the whole name.
"""

from __future__ import annotations

import re

WILDCARDS = frozenset("*?")


def is_glob(pattern: str) -> bool:
    """Whether ``pattern`` has a wildcard; without one it matches only itself (ignoring case)."""
    return any(c in WILDCARDS for c in pattern)


def compile_glob(pattern: str) -> re.Pattern[str]:
    """The pattern as a case-insensitive regular expression, to use with ``fullmatch``."""
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def literal_runs(pattern: str) -> list[str]:
    """The text between wildcards: each run occurs in every name the pattern matches."""
    return [run for run in re.split(r"[*?]+", pattern) if run]
