"""The values template functions work on, and the helpers every function module shares.

Values are ``str``, ``int``, ``float``, ``bool``, ``None``, ``list``,
``dict`` (keys compared case-insensitively, as ARM does) and
:data:`~aigov.model.UNKNOWN`. A string may hold *placeholders* (see
:func:`opaque`): ARM's deployment context is a string known only at
deployment, which concatenation and ``format()`` carry through exactly and
any other string function turns into a new placeholder named after the call;
:func:`finalize` makes every remaining one UNKNOWN. Bicep never makes
placeholders, so for it "undetermined" is just UNKNOWN.

A function is ``fn(site, args)`` (:data:`Function`); it raises
:class:`FunctionError` with a one-line message and the caller adds the file
and position. The function modules (:mod:`aigov.sources.template_functions`,
:mod:`aigov.sources.template_cidr`, :mod:`aigov.sources.template_uri`,
:mod:`aigov.sources.template_dates`) build on this one only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from aigov.model import UNKNOWN

MAX_STRING: Final = 1_000_000
MAX_ITEMS: Final = 100_000


class FunctionError(Exception):
    """A function was called with arguments it cannot take (or would fail at deployment)."""


class Site(Protocol):
    """What a function may ask of the place it is called from."""

    @property
    def name(self) -> str:
        """The function's name as written (``toLower``), for messages."""

    def placeholder(self, args: Sequence[Any]) -> Any:
        """The value of a string function of undetermined ``args``: a placeholder (ARM) or UNKNOWN."""

    def scope(self) -> tuple[Any, Any]:
        """The deployment's subscription id and resource group name (strings, placeholders or UNKNOWN)."""


@dataclass(frozen=True, slots=True)
class PlainSite:
    """A :class:`Site` that makes no placeholders: an undetermined string result is UNKNOWN."""

    name: str
    subscription_id: Any = UNKNOWN
    resource_group: Any = UNKNOWN

    def placeholder(self, args: Sequence[Any]) -> Any:
        return UNKNOWN

    def scope(self) -> tuple[Any, Any]:
        return self.subscription_id, self.resource_group


Function = Callable[[Site, list[Any]], Any]
"""A shared function: the call site and the evaluated arguments."""


# --------------------------------------------------------------------------- opaque strings

_OPEN: Final = "\ue000"
_CLOSE: Final = "\ue001"
_SEP: Final = "\ue002"
_OPAQUE: Final = re.compile(f"{_OPEN}([^{_CLOSE}]*){_CLOSE}")


def opaque(description: str, identity: str = "") -> str:
    """A placeholder for a string known only at deployment, named ``description``.

    ``identity`` tells apart placeholders with the same description but
    different inputs (the same call in two nested templates).
    """
    return f"{_OPEN}{description}{_SEP}{identity}{_CLOSE}"


def has_opaque(value: object) -> bool:
    return isinstance(value, str) and _OPEN in value


def render(value: str) -> str:
    """A string with every placeholder shown as ``${description}``."""
    if _OPEN not in value:
        return value
    return _OPAQUE.sub(lambda m: "${" + m.group(1).split(_SEP, 1)[0] + "}", value)


def is_undetermined(value: object) -> bool:
    """UNKNOWN, or a string with a placeholder in it."""
    return value is UNKNOWN or has_opaque(value)


def finalize(value: Any) -> Any:
    """``value`` with every string holding a placeholder replaced by UNKNOWN (object keys rendered)."""
    if isinstance(value, str):
        return UNKNOWN if _OPEN in value else value
    if isinstance(value, dict):
        return {render(k): finalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finalize(v) for v in value]
    return value


def show(value: Any) -> str:
    """A value as a message shows it: placeholders rendered, long values cut."""
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, str):
        return repr(render(value))
    try:
        return json.dumps(value)[:80]
    except (TypeError, ValueError):
        return type(value).__name__


# --------------------------------------------------------------------------- value helpers


def arity(site: Site, args: Sequence[Any], low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(args) <= high:
        want = str(low) if low == high else f"{low} to {high}" if high < 99 else f"at least {low}"
        raise FunctionError(f"{site.name}() takes {want} arguments, got {len(args)}")


def any_unknown(args: Sequence[Any]) -> bool:
    return any(a is UNKNOWN for a in args)


def any_undetermined(args: Sequence[Any]) -> bool:
    return any(is_undetermined(a) for a in args)


def contains_undetermined(value: Any) -> bool:
    """Whether ``value`` is or holds UNKNOWN or a placeholder anywhere."""
    if is_undetermined(value):
        return True
    if isinstance(value, dict):
        return any(contains_undetermined(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_undetermined(v) for v in value)
    return False


def is_int(value: Any) -> bool:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def need_int(site: Site, value: Any) -> int:
    if not is_int(value):
        raise FunctionError(f"{site.name}() needs an integer, got {show(value)}")
    return int(value)


def need_str(site: Site, value: Any) -> str:
    if not isinstance(value, str):
        raise FunctionError(f"{site.name}() needs a string, got {show(value)}")
    return value


def check_size(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise FunctionError(f"a string grows past {MAX_STRING} characters")
    if isinstance(value, list) and len(value) > MAX_ITEMS:
        raise FunctionError(f"an array grows past {MAX_ITEMS} elements")
    return value


def to_text(value: Any) -> str:
    """ARM's ``string()`` of a known value."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def equal(a: Any, b: Any) -> Any:
    """Deep equality, UNKNOWN when an undetermined value decides it."""
    if isinstance(a, str) and isinstance(b, str):
        if a == b:
            return True
        return UNKNOWN if has_opaque(a) or has_opaque(b) else False
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        return all3(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        left = {k.lower(): v for k, v in a.items()}
        right = {k.lower(): v for k, v in b.items()}
        if left.keys() != right.keys():
            return False
        return all3(equal(v, right[k]) for k, v in left.items())
    return a is None and b is None


def lookup(obj: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """ARM property access, case-insensitive: (found, value)."""
    if key in obj:
        return True, obj[key]
    folded = key.lower()
    for k, v in obj.items():
        if k.lower() == folded:
            return True, v
    return False, None


def all3(values: Iterator[Any] | Sequence[Any]) -> Any:
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is UNKNOWN:
            unknown = True
    return UNKNOWN if unknown else True


def opaque_result(site: Site, args: list[Any]) -> Any:
    """The result of a string function whose inputs are undetermined: a placeholder, or UNKNOWN."""
    if any_unknown(args):
        return UNKNOWN
    return site.placeholder(args)


_JSON_TOKEN: Final = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/', re.DOTALL)


def without_comments(text: str) -> str:
    """JSON text with its ``//`` and ``/* */`` comments blanked out (strings left as they are)."""
    if "/" not in text:
        return text
    return _JSON_TOKEN.sub(lambda m: m.group(0) if m.group(0).startswith('"') else " ", text)


def loads_json(text: str) -> Any:
    """JSON text as ARM reads it: ``//`` and ``/* */`` comments allowed; raises ValueError if invalid."""
    return json.loads(without_comments(text))
