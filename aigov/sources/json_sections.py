"""Parse a JSON object one top-level member at a time, keeping only the members asked for.

A Terraform plan repeats every resource in ``planned_values`` and
``prior_state``, about half of a large plan, and aigov reads neither. Parsing
member by member (each with the standard library's C parser) and dropping the
unwanted ones at once keeps the peak memory at the largest member rather than
the whole document, at the same speed as ``json.loads``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from aigov.jsontext import finite_float, reject_constant

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder(parse_constant=reject_constant, parse_float=finite_float)


class NotAnObject(ValueError):
    """The document is valid JSON so far but its top level is not an object."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _skip(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _error(message: str, text: str, pos: int) -> json.JSONDecodeError:
    return json.JSONDecodeError(message, text, pos)


ElementFilter = Callable[[Any], bool]


def load_members(
    text: str,
    wanted: Collection[str],
    keep: Mapping[str, ElementFilter] | None = None,
) -> tuple[dict[str, Any], frozenset[str]]:
    """The ``wanted`` members of the JSON object in ``text``, and the names of all its members.

    ``keep`` names array members whose elements are parsed one at a time and
    kept only if the filter says so (a plan's resource changes of types aigov
    does not map are dropped as they are read). Raises
    :class:`json.JSONDecodeError` (with line and column) on invalid JSON, and
    :class:`NotAnObject` when the top level is another JSON value.
    """
    keep = keep or {}
    pos = _skip(text, 0)
    if pos == len(text):
        raise _error("Expecting value", text, pos)
    if text[pos] != "{":
        value, end = _DECODER.raw_decode(text, pos)  # raises on invalid JSON
        if _skip(text, end) != len(text):
            raise _error("Extra data", text, _skip(text, end))
        raise NotAnObject(_json_kind(value))
    members: dict[str, Any] = {}
    names: set[str] = set()
    pos = _skip(text, pos + 1)
    if pos < len(text) and text[pos] == "}":
        return members, frozenset(names)
    while True:
        if pos >= len(text) or text[pos] != '"':
            raise _error("Expecting property name enclosed in double quotes", text, pos)
        name, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
        pos = _skip(text, pos)
        if pos >= len(text) or text[pos] != ":":
            raise _error("Expecting ':' delimiter", text, pos)
        pos = _skip(text, pos + 1)
        if pos >= len(text):
            raise _error("Expecting value", text, pos)
        element_filter = keep.get(name) if name in wanted else None
        if element_filter is not None and text[pos] == "[":
            value, pos = _filtered_array(text, pos, element_filter)
        else:
            value, pos = _DECODER.raw_decode(text, pos)
        names.add(name)
        if name in wanted:
            members[name] = value
        del value  # an unwanted member is freed here, before the next is parsed
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "}":
            end = _skip(text, pos + 1)
            if end != len(text):
                raise _error("Extra data", text, end)
            return members, frozenset(names)
        raise _error("Expecting ',' delimiter", text, pos)


def _filtered_array(text: str, pos: int, element_filter: ElementFilter) -> tuple[list[Any], int]:
    """The elements of the array at ``pos`` that pass ``element_filter``, and the position after it."""
    kept: list[Any] = []
    pos = _skip(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        return kept, pos + 1
    while True:
        if pos >= len(text):
            raise _error("Expecting value", text, pos)
        element, pos = _DECODER.raw_decode(text, pos)
        if element_filter(element):
            kept.append(element)
        del element
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            return kept, pos + 1
        raise _error("Expecting ',' delimiter", text, pos)


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null"
