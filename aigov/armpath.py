"""ARM field paths: ``sku.name``, ``tags['app.id']``, ``properties.rules[0].x``, ``ipRules[*].value``.

Keys match case-insensitively (ARM and Azure Policy aliases do). A path that
runs into :data:`~aigov.model.UNKNOWN` yields ``UNKNOWN``; one that runs into
nothing yields :data:`MISSING`. A ``[*]`` step yields a list of the values
found under every element (Azure Policy's array alias).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from aigov.errors import RuleError
from aigov.model import UNKNOWN


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""The path leads nowhere: a field that is absent (not unknown)."""

WILDCARD: Final = "*"

_TOKEN = re.compile(
    r"""
      (?P<key>[^.\[\]'"]+)                 # bare key: sku, cost-center
    | \[(?P<index>\d+)\]                   # [0]
    | \[(?P<star>\*)\]                     # [*]
    | \[\s*'(?P<sq>[^']*)'\s*\]            # ['app.id']
    | \[\s*"(?P<dq>[^"]*)"\s*\]            # ["app.id"]
    | (?P<dot>\.)
    """,
    re.VERBOSE,
)

Step = str | int  # a key, an index, or WILDCARD


@dataclass(frozen=True, slots=True)
class ArmPath:
    text: str
    steps: tuple[Step, ...]

    @property
    def has_wildcard(self) -> bool:
        return WILDCARD in self.steps

    def __str__(self) -> str:
        return self.text


@lru_cache(maxsize=4096)
def parse(text: str) -> ArmPath:
    """Parse a path; raises :class:`RuleError` (no file) on a malformed one."""
    steps: list[Step] = []
    pos = 0
    expect_step = True
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise RuleError(f"malformed field path {text!r} at character {pos + 1}")
        pos = m.end()
        if m.group("dot"):
            if expect_step:
                raise RuleError(f"malformed field path {text!r}: empty segment")
            expect_step = True
            continue
        if m.group("key") is not None:
            if not expect_step:
                raise RuleError(f"malformed field path {text!r}: missing '.' before {m.group('key')!r}")
            steps.append(m.group("key").strip())
        elif m.group("index") is not None:
            steps.append(int(m.group("index")))
        elif m.group("star"):
            steps.append(WILDCARD)
        else:
            steps.append(m.group("sq") if m.group("sq") is not None else m.group("dq"))
        expect_step = False
    if not steps or expect_step:
        raise RuleError(f"malformed field path {text!r}")
    return ArmPath(text, tuple(steps))


def _lookup_key(mapping: Mapping[str, Any], key: str) -> Any:
    if key in mapping:
        return mapping[key]
    folded = key.casefold()
    for k, v in mapping.items():
        if isinstance(k, str) and k.casefold() == folded:
            return v
    return MISSING


def get(document: Any, path: ArmPath | str) -> Any:
    """The value at ``path``: a value, ``UNKNOWN``, ``MISSING``, or a list for a ``[*]`` path."""
    p = parse(path) if isinstance(path, str) else path
    return _get(document, p.steps, 0)


def _get(node: Any, steps: tuple[Step, ...], i: int) -> Any:
    while i < len(steps):
        if node is UNKNOWN:
            return UNKNOWN
        step = steps[i]
        if step == WILDCARD:
            if not isinstance(node, list):
                return MISSING
            out = []
            for element in node:
                value = _get(element, steps, i + 1)
                if value is UNKNOWN:
                    return UNKNOWN
                if value is not MISSING:
                    out.append(value)
            return out
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return MISSING
            node = node[step]
        elif type(node) is dict or isinstance(node, Mapping):  # parsed JSON skips the ABC check
            node = _lookup_key(node, step)
            if node is MISSING:
                return MISSING
        else:
            return MISSING
        i += 1
    return None if node is None else node


def with_value(document: Mapping[str, Any], path: ArmPath | str, value: Any) -> dict[str, Any]:
    """A copy of ``document`` with ``path`` set to ``value`` (keys and indexes only; parents created)."""
    p = parse(path) if isinstance(path, str) else path
    if p.has_wildcard:
        raise RuleError(f"cannot set a value through a [*] path: {p.text!r}")
    return _set(document, p.steps, value)  # type: ignore[no-any-return]


def _set(node: Any, steps: tuple[Step, ...], value: Any) -> Any:
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if isinstance(step, int):
        items = list(node) if isinstance(node, list) else []
        while len(items) <= step:
            items.append(None)
        items[step] = _set(items[step], rest, value)
        return items
    copy = dict(node) if isinstance(node, Mapping) else {}
    existing_key = (
        step
        if step in copy
        else next((k for k in copy if isinstance(k, str) and k.casefold() == step.casefold()), step)
    )
    copy[existing_key] = _set(copy.get(existing_key), rest, value)
    return copy
