"""Parse a JSON object keeping only the top-level members asked for.

A Terraform plan repeats every resource in ``planned_values`` and
``prior_state``, about half of a large plan, and aigov reads neither.
:func:`load_members` decodes the members asked for with msgspec and steps
over the others without building them (a quarter of ``json.loads``' time on
a 20,000-resource plan, and the peak memory of the members kept). Input
msgspec refuses takes the standard library's path, member by member: it
reports invalid JSON with its line and column, and accepts what Python's
``json`` accepts and msgspec does not (a lone surrogate escape, an integer of
hundreds of digits). Members that are not read are checked for JSON syntax,
not for their values.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Collection, Mapping
from functools import lru_cache
from typing import Any

import msgspec

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
    data: bytes | str,
    wanted: Collection[str],
    keep: Mapping[str, ElementFilter] | None = None,
    noted: Collection[str] = (),
) -> tuple[dict[str, Any], frozenset[str]]:
    """The ``wanted`` members of the JSON object in ``data``, and which of ``wanted`` and ``noted`` it has.

    ``data`` is UTF-8 (a leading byte-order mark is dropped) or text.
    ``keep`` names array members whose elements are kept only if the filter
    says so (a plan's resource changes of types aigov does not map are
    dropped as they are read). Raises :class:`json.JSONDecodeError` (with
    line and column) on invalid JSON, :class:`UnicodeDecodeError` on bytes
    that are not UTF-8, and :class:`NotAnObject` when the top level is
    another JSON value.
    """
    keep = keep or {}
    asked = frozenset(wanted)
    told = asked | frozenset(noted)
    names_read, decoder = _struct_decoder(asked, told - asked)
    content = _without_bom(data)
    try:
        found = decoder.decode(content)
    except (msgspec.MsgspecError, RecursionError, ValueError):
        text = content if isinstance(content, str) else str(content, "utf-8")
        slow, names = _load_members_slowly(text, asked, keep)
        return slow, names & told
    members: dict[str, Any] = {}
    present: set[str] = set()
    for name, value in zip(names_read, msgspec.structs.astuple(found), strict=True):
        if value is msgspec.UNSET:
            continue
        present.add(name)
        if name in asked:
            element_filter = keep.get(name)
            kept = value
            if element_filter is not None and isinstance(value, list):
                kept = [element for element in value if element_filter(element)]
            members[name] = kept
    return members, frozenset(present)


def _without_bom(data: bytes | str) -> bytes | str | memoryview:
    if isinstance(data, bytes) and data.startswith(codecs.BOM_UTF8):
        return memoryview(data)[len(codecs.BOM_UTF8) :]
    return data.removeprefix("\ufeff") if isinstance(data, str) else data


@lru_cache(maxsize=16)
def _struct_decoder(
    wanted: frozenset[str], noted: frozenset[str]
) -> tuple[tuple[str, ...], msgspec.json.Decoder[Any]]:
    """The member names and a decoder that builds the ``wanted`` members and steps over the rest."""
    names = (*sorted(wanted), *sorted(noted))
    fields = [
        (f"m{i}", Any if name in wanted else msgspec.Raw, msgspec.UNSET) for i, name in enumerate(names)
    ]
    members = msgspec.defstruct("Members", fields, rename={f"m{i}": name for i, name in enumerate(names)})
    return names, msgspec.json.Decoder(members)


def _load_members_slowly(
    text: str, wanted: Collection[str], keep: Mapping[str, ElementFilter]
) -> tuple[dict[str, Any], frozenset[str]]:
    """:func:`load_members` with the standard library's parser, member by member; all member names."""
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
