"""Patterns matched in linear time: the RE2 engine behind ``regex``, ``like`` and ``match``.

A rule file comes from whoever opens a pull request, and a backtracking
engine (Python's ``re``) takes exponential time on ordinary-looking patterns
such as ``^([a-z0-9]+-?)+$``. RE2 guarantees time linear in the input and
bounded memory; in exchange it has no backreferences and no look-around, so
a pattern using them is refused when the rule is loaded. The syntax is
documented at https://github.com/google/re2/wiki/Syntax.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import re2

ENGINE_SYNTAX_URL: Final = "https://github.com/google/re2/wiki/Syntax"

_REMEMBERED: Final = 4096
"""Results a pattern keeps, by text (a plan's 20,000 instances repeat a few dozen names and SKUs)."""
_REMEMBERED_LENGTH: Final = 256
"""Longer texts are matched every time, not kept."""


class PatternError(ValueError):
    """A pattern RE2 cannot compile (its syntax, or a feature it does not have)."""


class Pattern:
    """A compiled pattern; ``search`` finds it anywhere, ``fullmatch`` requires all of the text."""

    __slots__ = ("_compiled", "_fullmatched", "_searched")

    def __init__(self, pattern: str, *, ignore_case: bool = False, dot_all: bool = False) -> None:
        options = re2.Options()
        options.log_errors = False  # RE2 would print its own line to stderr; the caller reports one
        options.case_sensitive = not ignore_case
        options.dot_nl = dot_all
        try:
            pattern.encode("utf-8")
            self._compiled = re2.compile(pattern, options)
        except UnicodeEncodeError:
            raise PatternError("the pattern is not valid Unicode text") from None
        except re2.error as exc:
            raise PatternError(_reason(exc)) from None
        self._searched: dict[str, bool] = {}
        self._fullmatched: dict[str, bool] = {}

    def search(self, text: str) -> bool:
        return _matched(self._searched, self._compiled.search, text)

    def fullmatch(self, text: str) -> bool:
        return _matched(self._fullmatched, self._compiled.fullmatch, text)


def _matched(results: dict[str, bool], match: Callable[[str | bytes], object], text: str) -> bool:
    """Whether ``match`` finds the pattern in ``text``, kept per text."""
    found = results.get(text)
    if found is None:
        try:
            found = match(text) is not None
        except UnicodeEncodeError:
            found = match(_utf8(text)) is not None
        _remember(results, text, found)
    return found


def _remember(results: dict[str, bool], text: str, found: bool) -> None:
    if len(text) <= _REMEMBERED_LENGTH:
        if len(results) >= _REMEMBERED:
            results.clear()  # bounded: a scan of distinct names starts again rather than grow
        results[text] = found


def escape(text: str) -> str:
    """``text`` as a pattern that matches exactly it."""
    return str(re2.escape(text))


def _utf8(text: str) -> bytes:
    # A lone surrogate (``"\ud800"`` in JSON) has no UTF-8 form: match its surrogate-escaped bytes.
    return text.encode("utf-8", "surrogatepass")


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else str(exc)
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    if text.startswith(
        ("invalid perl operator: (?<", "invalid perl operator: (?=", "invalid perl operator: (?!")
    ):
        return f"{text} (look-around is not supported: RE2 syntax, {ENGINE_SYNTAX_URL})"
    if text.startswith("invalid escape sequence: \\") and text[-1:].isdigit():
        return f"{text} (backreferences are not supported: RE2 syntax, {ENGINE_SYNTAX_URL})"
    return f"{text} (RE2 syntax, {ENGINE_SYNTAX_URL})"
