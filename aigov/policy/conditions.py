"""The condition grammar (Azure Policy's ``if`` block), compiled once into closures.

Results are three-valued: ``True``, ``False`` or :data:`~aigov.model.UNKNOWN`.

* A leaf whose subject is ``UNKNOWN`` is unknown. ``allOf`` is false if any
  part is false, else unknown if any part is; ``anyOf`` is true if any part is
  true, else unknown if any part is; ``not`` keeps unknown.
* A missing field (or a JSON ``null``, which is how plans spell "not set") is
  *absent*, not unknown: ``exists: false`` is true, ``notEquals: x`` is true,
  ``equals: x`` is false. Every ``notX`` operator is exactly ``not X``.
* ``[*]`` paths hold only if the leaf holds for every element; an element
  that lacks the rest of the path is evaluated as missing. An empty array
  makes the leaf vacuously true, as in Azure Policy (use ``empty`` to test
  for emptiness); a missing array is a missing value.
* String comparison is case-insensitive except for ``match``, ``notMatch``,
  ``regex`` and ``notRegex``. Numbers compare as numbers, and a string holding
  a number (``"30"``) compares as one; ``true`` equals the string ``"true"``.
* Every pattern runs on RE2 (:mod:`aigov.policy.regex`): linear time, no
  backreferences or look-around; ``regex``/``notRegex`` take RE2 syntax.
* ``regex``/``notRegex`` patterns are at most 256 characters; a value longer
  than 4096 characters is not searched: the leaf is unknown (so the finding
  is undetermined and names the field) rather than silently compliant.
* ``olderThan``/``newerThan`` take an ISO 8601 duration and compare the
  value (an ISO 8601 date or date-time; naive times are UTC) with the
  context's ``now``; a value that is not a date makes the leaf false.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from aigov import armpath
from aigov.armpath import MISSING, WILDCARD, ArmPath
from aigov.errors import RuleError
from aigov.model import UNKNOWN, _Unknown
from aigov.policy.context import Scope, check_context_path, context_getter
from aigov.policy.durations import parse_duration
from aigov.policy.regex import Pattern, PatternError, escape

Tri = bool | _Unknown
Test = Callable[[Scope], Tri]
Predicate = Callable[[Any, Scope], Tri]  # the subject's value is never UNKNOWN here; MISSING may be

MAX_PATTERN: Final = 256
MAX_REGEX_INPUT: Final = 4096

SUBJECTS: Final = ("field", "context")
OPERATORS: Final = (
    "equals",
    "notEquals",
    "in",
    "notIn",
    "like",
    "notLike",
    "match",
    "notMatch",
    "matchInsensitively",
    "notMatchInsensitively",
    "contains",
    "notContains",
    "containsKey",
    "notContainsKey",
    "exists",
    "greater",
    "greaterOrEquals",
    "less",
    "lessOrEquals",
    "empty",
    "regex",
    "notRegex",
    "olderThan",
    "newerThan",
)
EXTENSIONS: Final = frozenset({"empty", "regex", "notRegex", "olderThan", "newerThan"})
"""aigov's operators beyond Azure Policy's: every other operator means what it means in Azure Policy."""

PathElem = str | int

# UNKNOWN under another name: returning it right after an ``x is UNKNOWN`` test on an Any
# value would otherwise be typed Any by mypy's narrowing.
_UNDECIDED: Final[Tri] = UNKNOWN


class ConditionError(RuleError):
    """A condition that passed the schema but cannot be compiled; ``path`` is relative to ``if``."""

    def __init__(self, message: str, path: Sequence[PathElem]) -> None:
        super().__init__(message)
        self.path = tuple(path)


# --------------------------------------------------------------------------- compiled form


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """One compiled condition: ``test`` is the closure; the rest explains an unknown result."""

    test: Test
    kind: str  # allOf | anyOf | not | leaf
    children: tuple[Node, ...] = ()
    subject: str | None = None  # leaf only: ``sku.name`` or ``context.subscription.environment``

    def unknown_subjects(self, scope: Scope, out: list[str]) -> None:
        """Append the subjects that made this node unknown (call only when it is)."""
        if self.kind == "leaf":
            assert self.subject is not None
            if self.subject not in out:
                out.append(self.subject)
            return
        for child in self.children:
            if child.test(scope) is UNKNOWN:
                child.unknown_subjects(scope, out)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A rule condition's verdict on one resource."""

    result: Tri
    items: tuple[Any, ...] = ()  # forEach: the failing items (or, when unknown, the undecided ones)
    unknown_fields: tuple[str, ...] = ()


_FALSE: Final = Evaluation(False)


@dataclass(frozen=True, slots=True, eq=False)
class CompiledCondition:
    """A rule's ``if``, once, or once per ``forEach`` item."""

    nodes: tuple[Node, ...]
    items: tuple[Any, ...] | None = None  # None without forEach; else one label per node

    def test(self, scope: Scope) -> Tri:
        """The verdict only (the engine's fast path)."""
        if self.items is None:
            return self.nodes[0].test(scope)
        result: Tri = False
        for node in self.nodes:
            r = node.test(scope)
            if r is True:
                return True
            if r is UNKNOWN:
                result = UNKNOWN
        return result

    def evaluate(self, scope: Scope) -> Evaluation:
        """The verdict with the failing items and the unknown subjects."""
        if self.items is None:
            node = self.nodes[0]
            r = node.test(scope)
            if r is UNKNOWN:
                unknown: list[str] = []
                node.unknown_subjects(scope, unknown)
                return Evaluation(UNKNOWN, (), tuple(unknown))
            return Evaluation(r) if r is True else _FALSE
        failing: list[Any] = []
        undecided: list[Any] = []
        fields: list[str] = []
        for label, node in zip(self.items, self.nodes, strict=True):
            r = node.test(scope)
            if r is True:
                failing.append(label)
            elif r is UNKNOWN:
                undecided.append(label)
                node.unknown_subjects(scope, fields)
        if failing:
            return Evaluation(True, tuple(failing))
        if undecided:
            return Evaluation(UNKNOWN, tuple(undecided), tuple(fields))
        return _FALSE


# --------------------------------------------------------------------------- compiling


def compile_condition(
    block: Mapping[str, Any],
    parameters: Mapping[str, Any],
    for_each: Any = None,
) -> CompiledCondition:
    """Compile a schema-valid ``if`` block with resolved ``parameters``.

    ``for_each`` is the resolved value of the ``forEach`` parameter (a list, or
    a mapping whose items are key/value pairs), or ``None``. Raises
    :class:`ConditionError` with the path of the offending part.
    """
    if for_each is None:
        return CompiledCondition((_compile(block, parameters, ()),))
    if isinstance(for_each, Mapping):
        pairs = [(k, {"item": k, "item.key": k, "item.value": v}) for k, v in for_each.items()]
    elif isinstance(for_each, list):
        pairs = [(v, {"item": v}) for v in for_each]
    else:
        raise ConditionError("forEach needs a list or a mapping parameter", ())
    nodes = []
    for label, values in pairs:
        try:
            nodes.append(_compile(_substitute(block, values), parameters, ()))
        except ConditionError as exc:
            raise ConditionError(f"forEach item {label!r}: {exc.message}", exc.path) from None
    return CompiledCondition(tuple(nodes), tuple(label for label, _ in pairs))


_ITEM = re.compile(r"\{(item(?:\.key|\.value)?)\}")


def _substitute(value: Any, values: Mapping[str, Any]) -> Any:
    """``{item}``, ``{item.key}``, ``{item.value}`` replaced in every string (not the keys)."""
    if isinstance(value, str):
        whole = _ITEM.fullmatch(value)
        if whole is not None and whole.group(1) in values:
            return values[whole.group(1)]  # keeps the item's type: a list, a number
        return _ITEM.sub(lambda m: str(values.get(m.group(1), m.group(0))), value)
    if isinstance(value, Mapping):
        return {k: _substitute(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, values) for v in value]
    return value


def _compile(block: Mapping[str, Any], parameters: Mapping[str, Any], path: tuple[PathElem, ...]) -> Node:
    if "allOf" in block:
        children = tuple(_compile(c, parameters, (*path, "allOf", i)) for i, c in enumerate(block["allOf"]))
        return Node(_all_of(tuple(c.test for c in children)), "allOf", children)
    if "anyOf" in block:
        children = tuple(_compile(c, parameters, (*path, "anyOf", i)) for i, c in enumerate(block["anyOf"]))
        return Node(_any_of(tuple(c.test for c in children)), "anyOf", children)
    if "not" in block:
        child = _compile(block["not"], parameters, (*path, "not"))
        return Node(_not(child.test), "not", (child,))
    return _compile_leaf(block, parameters, path)


def _all_of(tests: tuple[Test, ...]) -> Test:
    def test(scope: Scope) -> Tri:
        result: Tri = True
        for t in tests:
            r = t(scope)
            if r is False:
                return False
            if r is not True:
                result = UNKNOWN
        return result

    return test


def _any_of(tests: tuple[Test, ...]) -> Test:
    def test(scope: Scope) -> Tri:
        result: Tri = False
        for t in tests:
            r = t(scope)
            if r is True:
                return True
            if r is not False:
                result = UNKNOWN
        return result

    return test


def _not(inner: Test) -> Test:
    def test(scope: Scope) -> Tri:
        r = inner(scope)
        if r is UNKNOWN:
            return UNKNOWN
        return r is False

    return test


def _compile_leaf(
    block: Mapping[str, Any], parameters: Mapping[str, Any], path: tuple[PathElem, ...]
) -> Node:
    subjects = [k for k in SUBJECTS if k in block]
    operators = [k for k in block if k not in SUBJECTS]
    if len(subjects) != 1 or len(operators) != 1 or operators[0] not in _FACTORIES:
        raise ConditionError(
            "a condition needs exactly one subject (field or context) and exactly one operator", path
        )
    subject, op = subjects[0], operators[0]
    operand = _resolve(block[op], parameters, (*path, op))
    try:
        predicate = _FACTORIES[op](operand)
    except RuleError as exc:
        raise ConditionError(f"{op}: {exc.message}", (*path, op)) from None
    text = block[subject]
    if not isinstance(text, str):
        raise ConditionError(f"{subject} must be a path string", (*path, subject))
    try:
        arm = armpath.parse(text)
        if subject == "context":
            check_context_path(arm)
    except RuleError as exc:
        raise ConditionError(exc.message, (*path, subject)) from None
    if subject == "context":
        return Node(_field_leaf(context_getter(arm), predicate), "leaf", subject=f"context.{text}")
    if arm.has_wildcard:
        return Node(_wildcard_leaf(arm, predicate), "leaf", subject=text)
    if _top_level(arm) is None and all(isinstance(step, str) for step in arm.steps):
        return Node(_body_leaf(arm, predicate), "leaf", subject=text)
    return Node(_field_leaf(field_getter(arm), predicate), "leaf", subject=text)


def _resolve(operand: Any, parameters: Mapping[str, Any], path: tuple[PathElem, ...]) -> Any:
    if isinstance(operand, Mapping) and set(operand) == {"parameter"}:
        name = operand["parameter"]
        if name not in parameters:
            raise ConditionError(f"parameter {name!r} is not declared in parameters", (*path, "parameter"))
        return parameters[name]
    return operand


# --------------------------------------------------------------------------- subjects


def field_getter(path: ArmPath) -> Callable[[Scope], Any]:
    """A getter for a ``field:`` path without ``[*]``: a value, ``UNKNOWN`` or ``MISSING`` (never None).

    The top-level ``type`` and ``name`` are the resource's canonical type and
    leaf name; ``location`` falls back to the nearest ancestor's, since ARM
    child resources (deployments) have none and are billed in their parent's region.
    """
    special = _top_level(path)
    if special is not None:
        return special
    get = body_getter(path)
    return lambda scope: get(scope.body)


_ABSENT: Final = object()


def _top_level(path: ArmPath) -> Callable[[Scope], Any] | None:
    """The getter for ``type``, ``name`` or ``location``, which do not come from the body as written."""
    if len(path.steps) != 1 or not isinstance(path.steps[0], str):
        return None
    top = path.steps[0].lower()
    if top == "type":
        return lambda scope: scope.resource.type
    if top == "name":
        return lambda scope: scope.resource.name
    if top == "location":

        def location(scope: Scope) -> Any:
            value = scope.inventory.effective_location(scope.resource)
            return MISSING if value is None else value

        return location
    return None


def body_getter(path: ArmPath) -> Callable[[Any], Any]:
    """A getter of ``path`` in a document: a value, ``UNKNOWN`` or ``MISSING`` (never None).

    Exact-case keys through plain dicts are followed directly (the hot path);
    anything else (another case, an index, an unknown value) goes to
    :func:`aigov.armpath.get`, which decides.
    """
    get = armpath.get
    keys = path.steps if all(isinstance(step, str) for step in path.steps) else None

    if keys is None:

        def slow(document: Any) -> Any:
            value = get(document, path)
            return MISSING if value is None else value

        return slow

    def fast(document: Any) -> Any:
        node = document
        for key in keys:
            if type(node) is dict:
                node = node.get(key, _ABSENT)
                if node is not _ABSENT:
                    continue
            value = get(document, path)
            return MISSING if value is None else value
        return MISSING if node is None else node

    return fast


def _field_leaf(getter: Callable[[Scope], Any], predicate: Predicate) -> Test:
    def test(scope: Scope) -> Tri:
        value = getter(scope)
        if value is UNKNOWN:
            return _UNDECIDED
        return predicate(value, scope)

    return test


def _body_leaf(path: ArmPath, predicate: Predicate) -> Test:
    # The hot path of most rules, so the getter is inlined: exact-case keys through plain
    # dicts directly, anything else (another case, an unknown value) through armpath.get.
    keys = path.steps
    get = armpath.get

    def test(scope: Scope) -> Tri:
        node: Any = scope.body
        for key in keys:
            if type(node) is dict:
                node = node.get(key, _ABSENT)
                if node is not _ABSENT:
                    continue
            node = get(scope.body, path)
            break
        if node is None:
            node = MISSING
        elif node is UNKNOWN:
            return _UNDECIDED
        return predicate(node, scope)

    return test


def _wildcard_leaf(path: ArmPath, predicate: Predicate) -> Test:
    # Split at every [*]: the leaf holds if it holds for each element, recursively.
    segments: list[list[PathElem]] = [[]]
    for step in path.steps:
        if step == WILDCARD:
            segments.append([])
        else:
            segments[-1].append(step)
    paths = tuple(ArmPath(path.text, tuple(seg)) if seg else None for seg in segments)
    last = len(paths) - 1
    get = armpath.get

    def walk(node: Any, i: int, scope: Scope) -> Tri:
        seg = paths[i]
        value = node if seg is None else get(node, seg)
        if value is None:
            value = MISSING
        if value is UNKNOWN:
            return _UNDECIDED
        if i == last:
            return predicate(value, scope)
        if not isinstance(value, list):
            return predicate(MISSING, scope)
        result: Tri = True
        for element in value:
            r = walk(element, i + 1, scope)
            if r is False:
                return False
            if r is UNKNOWN:
                result = UNKNOWN
        return result

    def test(scope: Scope) -> Tri:
        return walk(scope.body, 0, scope)

    return test


# --------------------------------------------------------------------------- values

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NUMBER_START: Final = frozenset("0123456789+-.")


def _number(value: Any) -> float | None:
    """The value as a number if it is one or a string holding one (booleans are not numbers)."""
    kind = type(value)
    if kind is str:
        text = value.strip()
        # Most strings are names: one character rules them out before the regular expression.
        if not text or text[0] not in _NUMBER_START or not _NUMBER.fullmatch(text):
            return None
        number = float(text)
        return number if math.isfinite(number) else None
    if kind is bool:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    return None


_CONTAINER: Final = object()


def _key(value: Any) -> Any:
    """A scalar's comparison key: numbers as floats, strings case-folded, booleans as "true"/"false"."""
    if type(value) is str:
        number = _number(value)
        return value.casefold() if number is None else number
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return float(value)
    if value is None or value is MISSING:
        return MISSING
    return _CONTAINER


def _equal(a: Any, b: Any) -> Tri:
    """Deep, case-insensitive equality; unknown if an unknown part decides it."""
    if a is UNKNOWN or b is UNKNOWN:
        return _UNDECIDED
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        fa = {str(k).casefold(): v for k, v in a.items()}
        fb = {str(k).casefold(): v for k, v in b.items()}
        if fa.keys() != fb.keys():
            return False
        return _all(_equal(fa[k], fb[k]) for k in fa)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        return _all(_equal(x, y) for x, y in zip(a, b, strict=True))
    ka, kb = _key(a), _key(b)
    if ka is _CONTAINER or kb is _CONTAINER:
        return False
    return bool(ka == kb)


def _all(results: Any) -> Tri:
    out: Tri = True
    for r in results:
        if r is False:
            return False
        if r is UNKNOWN:
            out = UNKNOWN
    return out


def _any(results: Any) -> Tri:
    out: Tri = False
    for r in results:
        if r is True:
            return True
        if r is UNKNOWN:
            out = UNKNOWN
    return out


def _text(value: Any) -> str | None:
    """A scalar as the string a pattern is matched against; containers and absence are not text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def _negate(predicate: Predicate) -> Predicate:
    def negated(value: Any, scope: Scope) -> Tri:
        r = predicate(value, scope)
        if r is UNKNOWN:
            return UNKNOWN
        return r is False

    return negated


# --------------------------------------------------------------------------- operators


def _flip(result: Tri, negate: bool) -> Tri:
    if not negate or result is UNKNOWN:
        return result
    return result is False


def _equals(operand: Any, negate: bool = False) -> Predicate:
    key = _key(operand)
    if isinstance(key, str) and isinstance(operand, str):
        # The common case (a SKU or model name): no number parsing on the hot path.
        def equals_text(value: Any, scope: Scope) -> Tri:
            if type(value) is str:
                return (value.casefold() == key) is not negate
            return _flip(_equal(value, operand) if value is not MISSING else False, negate)

        return equals_text

    def equals(value: Any, scope: Scope) -> Tri:
        return _flip(_equal(value, operand) if value is not MISSING else False, negate)

    return equals


def _in(operand: Any, negate: bool = False) -> Predicate:
    if not isinstance(operand, list):
        raise RuleError(f"needs a list, got {operand!r}")
    keys = frozenset(k for k in map(_key, operand) if k is not _CONTAINER and k is not MISSING)
    containers = tuple(x for x in operand if _key(x) is _CONTAINER)

    def in_(value: Any, scope: Scope) -> Tri:
        if value is MISSING:
            return negate
        key = _key(value)
        if key is not _CONTAINER:
            return (key in keys) is not negate
        return _flip(_any(_equal(value, x) for x in containers), negate)

    return in_


def _like(operand: Any) -> Predicate:
    pattern = _pattern_text(operand)
    translated = ".*".join(escape(part) for part in pattern.split("*"))
    return _matcher(_pattern(translated, pattern, ignore_case=True).fullmatch)


def _azure_match(operand: Any, ignore_case: bool) -> Predicate:
    pattern = _pattern_text(operand)
    translated = "".join(
        "[0-9]" if c == "#" else "[A-Za-z]" if c == "?" else "." if c == "." else escape(c) for c in pattern
    )
    return _matcher(_pattern(translated, pattern, ignore_case=ignore_case).fullmatch)


def _pattern(translated: str, written: str, *, ignore_case: bool = False) -> Pattern:
    try:
        return Pattern(translated, ignore_case=ignore_case, dot_all=True)
    except PatternError as exc:
        raise RuleError(f"invalid pattern {written!r}: {exc}") from None


def _regex(operand: Any) -> Predicate:
    pattern = _pattern_text(operand)
    try:
        compiled = Pattern(pattern)
    except PatternError as exc:
        raise RuleError(f"invalid regular expression {pattern!r}: {exc}") from None
    search = compiled.search

    def regex(value: Any, scope: Scope) -> Tri:
        text = _text(value)
        if text is None:
            return False
        if len(text) > MAX_REGEX_INPUT:
            return UNKNOWN
        return search(text)

    return regex


def _pattern_text(operand: Any) -> str:
    if not isinstance(operand, str):
        raise RuleError(f"needs a pattern string, got {operand!r}")
    if len(operand) > MAX_PATTERN:
        raise RuleError(f"pattern is longer than {MAX_PATTERN} characters")
    return operand


def _matcher(match: Callable[[str], bool]) -> Predicate:
    def matches(value: Any, scope: Scope) -> Tri:
        text = _text(value)
        return text is not None and match(text)

    return matches


def _contains(operand: Any) -> Predicate:
    needle = _text(operand)
    folded = needle.casefold() if needle is not None else None

    def contains(value: Any, scope: Scope) -> Tri:
        if isinstance(value, str):
            return folded is not None and folded in value.casefold()
        if isinstance(value, list):
            return _any(_equal(element, operand) for element in value)
        return False

    return contains


def _contains_key(operand: Any) -> Predicate:
    if not isinstance(operand, str):
        raise RuleError(f"needs a key name, got {operand!r}")
    folded = operand.casefold()

    def contains_key(value: Any, scope: Scope) -> Tri:
        if not isinstance(value, Mapping):
            return False
        return any(isinstance(k, str) and k.casefold() == folded for k in value)

    return contains_key


def _boolean(operand: Any) -> bool:
    if not isinstance(operand, bool):
        raise RuleError(f"needs true or false, got {operand!r}")
    return operand


def _exists(operand: Any) -> Predicate:
    expected = _boolean(operand)

    def exists(value: Any, scope: Scope) -> Tri:
        return (value is not MISSING) is expected

    return exists


def _empty(operand: Any) -> Predicate:
    expected = _boolean(operand)

    def empty(value: Any, scope: Scope) -> Tri:
        # A value of only whitespace names nothing: a tag "cost-center: ' '" allocates cost to no one.
        is_empty = (
            value is MISSING
            or (isinstance(value, str) and not value.strip())
            or (isinstance(value, list | Mapping) and not value)
        )
        return is_empty is expected

    return empty


def _comparison(accept: Callable[[int], bool]) -> Callable[[Any], Predicate]:
    def factory(operand: Any) -> Predicate:
        number = _number(operand)
        if number is None and not isinstance(operand, str):
            raise RuleError(f"needs a number or a string, got {operand!r}")
        folded = operand.casefold() if isinstance(operand, str) else None

        def compare(value: Any, scope: Scope) -> Tri:
            if number is not None:
                v = _number(value)
                if v is not None:
                    return accept((v > number) - (v < number))
            if folded is not None and isinstance(value, str):
                f = value.casefold()
                return accept((f > folded) - (f < folded))
            return False

        return compare

    return factory


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _age(older: bool) -> Callable[[Any], Predicate]:
    def factory(operand: Any) -> Predicate:
        if not isinstance(operand, str):
            raise RuleError(f"needs an ISO 8601 duration such as P7D, got {operand!r}")
        span: timedelta = parse_duration(operand)

        def age(value: Any, scope: Scope) -> Tri:
            moment = _when(value)
            if moment is None:
                return False
            now = scope.context.now
            if now.tzinfo is None:
                now = now.replace(tzinfo=UTC)
            return moment < now - span if older else moment > now - span

        return age

    return factory


def _match_insensitively(operand: Any) -> Predicate:
    return _azure_match(operand, True)


def _match(operand: Any) -> Predicate:
    return _azure_match(operand, False)


def _negated(factory: Callable[[Any], Predicate]) -> Callable[[Any], Predicate]:
    return lambda operand: _negate(factory(operand))


_FACTORIES: Final[dict[str, Callable[[Any], Predicate]]] = {
    "equals": _equals,
    "notEquals": lambda operand: _equals(operand, negate=True),
    "in": _in,
    "notIn": lambda operand: _in(operand, negate=True),
    "like": _like,
    "notLike": _negated(_like),
    "match": _match,
    "notMatch": _negated(_match),
    "matchInsensitively": _match_insensitively,
    "notMatchInsensitively": _negated(_match_insensitively),
    "contains": _contains,
    "notContains": _negated(_contains),
    "containsKey": _contains_key,
    "notContainsKey": _negated(_contains_key),
    "exists": _exists,
    "greater": _comparison(lambda c: c > 0),
    "greaterOrEquals": _comparison(lambda c: c >= 0),
    "less": _comparison(lambda c: c < 0),
    "lessOrEquals": _comparison(lambda c: c <= 0),
    "empty": _empty,
    "regex": _regex,
    "notRegex": _negated(_regex),
    "olderThan": _age(older=True),
    "newerThan": _age(older=False),
}
assert set(_FACTORIES) == set(OPERATORS)
