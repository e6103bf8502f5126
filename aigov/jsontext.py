"""Decoding untrusted JSON into plain data: finite numbers only, nesting bounded, errors in one line.

Python's ``json`` accepts ``NaN``, ``Infinity`` and ``1e999`` (infinity), and
fails with a ``RecursionError`` on deep nesting and a ``ValueError`` on an
integer of more than 4,300 digits. None of these is valid JSON a tool
writes; a cost computed from one would be ``nan`` or ``inf``. :func:`decode`
turns each into the caller's error with the line and column where it can.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any, Final, TextIO

from aigov.errors import AigovError

ErrorFactory = Callable[..., AigovError]

MAX_DEPTH: Final = 256
"""Deepest nesting of arrays and objects accepted (real plans and templates stay under 40)."""


class NotFinite(ValueError):
    """``NaN``, ``Infinity`` or a number too large for a float."""


def reject_constant(name: str) -> Any:
    """A ``parse_constant`` hook: ``NaN`` and ``Infinity`` are not JSON numbers."""
    raise NotFinite(f"{name} is not a JSON number")


def finite_float(text: str) -> float:
    """A ``parse_float`` hook: a number beyond a float (``1e999``) is refused, not infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise NotFinite(f"{text[:40]} is too large a number")
    return value


def strict_loads(text: str | bytes) -> Any:
    """``json.loads`` that raises :class:`NotFinite` on ``NaN``, ``Infinity`` and numbers beyond a float."""
    return json.loads(text, parse_constant=reject_constant, parse_float=finite_float)


def decode(text: str | bytes, file: str, error: ErrorFactory) -> Any:
    """``text`` as JSON data; invalid JSON, non-finite numbers and deep nesting raise ``error``."""
    try:
        return strict_loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: also an integer longer than Python converts
        raise json_error(exc, file, error) from None


def json_error(
    exc: ValueError | RecursionError, file: str, error: ErrorFactory, text: str | None = None
) -> AigovError:
    """The one-line error for a failed JSON parse of ``file``.

    With the ``text`` parsed, an error at its very end says the file may be truncated.
    """
    if isinstance(exc, json.JSONDecodeError):
        truncated = text is not None and exc.pos >= len(text.rstrip())
        message = "unexpected end of data (is the file truncated?)" if truncated else exc.msg
        return error(f"invalid JSON: {message}", file=file, where=f"line {exc.lineno}, column {exc.colno}")
    if isinstance(exc, RecursionError):
        return error(nesting_message(), file=file)
    if isinstance(exc, UnicodeDecodeError):
        return error(f"not UTF-8 text (byte {exc.start + 1})", file=file)
    return error(f"invalid JSON: {exc}", file=file)


def nesting_message() -> str:
    """The one wording for input nested deeper than aigov reads."""
    return f"nested too deeply (more than {MAX_DEPTH} levels of arrays and objects); not read"


_COMPACT: Final = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(", ", ": "))


def dumps_outline(value: Any, levels: int = 2) -> str:
    """``value`` as JSON whose outer ``levels`` are indented by two spaces and the rest is on one line each.

    With ``levels=2`` a report's top-level members are one per line and so is
    each element of its arrays (a finding, a resource): a line per item that
    ``grep`` and a diff can read, written by the C encoder. ``json.dumps``
    with ``indent`` runs the pure-Python encoder, several times slower on a
    large report. ASCII only; NaN and infinity raise ``ValueError``. Ends
    without a newline.
    """
    return "".join(_outline(value, levels, ""))


def write_outline(value: Any, out: TextIO, levels: int = 2) -> None:
    """:func:`dumps_outline` written to ``out`` a line at a time: the whole text is never one string."""
    for piece in _outline(value, levels, ""):
        out.write(piece)


def _outline(value: Any, levels: int, indent: str) -> Iterator[str]:
    if levels <= 0 or not isinstance(value, dict | list) or not value:
        yield _COMPACT.encode(value)
        return
    inner = indent + "  "
    dict_value = isinstance(value, dict)
    yield "{\n" if dict_value else "[\n"
    pairs = value.items() if isinstance(value, dict) else ((None, item) for item in value)
    for i, (key, item) in enumerate(pairs):
        head = ",\n" if i else ""
        yield f"{head}{inner}{_COMPACT.encode(str(key))}: " if dict_value else f"{head}{inner}"
        yield from _outline(item, levels - 1, inner)
    yield "\n" + indent + ("}" if dict_value else "]")
