"""The ARM template functions Bicep calls, on plain Python values.

Values are ``str``, ``int``, ``bool``, ``None``, ``list``, ``dict`` (ARM
objects, keys compared case-insensitively where ARM does) and
:data:`~aigov.model.UNKNOWN`. Lambdas arrive as Python callables. A function
whose result depends on an unknown argument returns ``UNKNOWN``; functions
whose value exists only at deployment (``reference``, ``listKeys``,
``utcNow``, ``newGuid``) always do.

:data:`FUNCTIONS` maps the lower-case function name to its implementation;
the functions that need the deployment (``resourceGroup``, ``subscription``,
``resourceId``, ``loadJsonContent``, ...) live in the evaluator, which knows
the scope. Nothing here is specific to Bicep's syntax, so an ARM JSON
template evaluator can share the table.

``uniqueString`` and ``guid`` are deterministic stand-ins, not ARM's own
hashes: ``uniqueString`` is the first 13 characters of the lower-case base32
SHA-256 of its arguments joined by ``-``; ``guid`` is a UUID version 5 of the
same string. Their usual arguments (``resourceGroup().id``,
``subscription().id``) are unknown before deployment, and then so are they.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, Final

from aigov.model import UNKNOWN

MAX_RANGE: Final = 10000
"""ARM's limit on ``range()``'s count."""


class FunctionError(Exception):
    """A function was called with arguments it cannot take; the evaluator adds file and position."""


Fn = Callable[..., Any]


def contains_unknown(value: Any) -> bool:
    """Whether ``value`` is or holds :data:`UNKNOWN` anywhere."""
    if value is UNKNOWN:
        return True
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    return False


def _strict(func: Fn) -> Fn:
    """The result is unknown when any argument is unknown (at the top level)."""

    @wraps(func)
    def wrapper(*args: Any) -> Any:
        if any(a is UNKNOWN for a in args):
            return UNKNOWN
        return func(*args)

    return wrapper


def _deep(func: Fn) -> Fn:
    """The result is unknown when any argument holds an unknown value anywhere."""

    @wraps(func)
    def wrapper(*args: Any) -> Any:
        if any(contains_unknown(a) for a in args):
            return UNKNOWN
        return func(*args)

    return wrapper


def _arity(args: tuple[Any, ...], name: str, low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(args) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise FunctionError(f"{name}() takes {want} argument(s), got {len(args)}")


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "null"
    return "function" if callable(value) else type(value).__name__


def _want(value: Any, kind: type | tuple[type, ...], name: str, what: str) -> Any:
    if isinstance(value, bool) and kind is int:
        raise FunctionError(f"{name}() expects {what}, got bool")
    if not isinstance(value, kind):
        raise FunctionError(f"{name}() expects {what}, got {_type_name(value)}")
    return value


def to_string(value: Any) -> str:
    """ARM's ``string()``: strings as they are, everything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def equal(a: Any, b: Any) -> Any:
    """ARM equality: deep, strings case-sensitive; unknown if either side holds an unknown."""
    if contains_unknown(a) or contains_unknown(b):
        return UNKNOWN
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


# --------------------------------------------------------------------------- strings and arrays


def _concat(*args: Any) -> Any:
    if not args:
        raise FunctionError("concat() takes at least 1 argument")
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    if all(isinstance(a, list) for a in args):
        return [item for a in args for item in a]
    if any(isinstance(a, list | dict) for a in args):
        raise FunctionError("concat() expects all strings or all arrays")
    return "".join(to_string(a) for a in args)


def _contains(container: Any, item: Any) -> Any:
    if container is UNKNOWN or item is UNKNOWN:
        return UNKNOWN
    if isinstance(container, str):
        return to_string(item) in container
    if isinstance(container, dict):
        key = _want(item, str, "contains", "a string key for an object")
        return key.lower() in (k.lower() for k in container)
    if isinstance(container, list):
        unknown = False
        for element in container:
            result = equal(element, item)
            if result is UNKNOWN:
                unknown = True
            elif result:
                return True
        return UNKNOWN if unknown else False
    raise FunctionError(f"contains() expects a string, array or object, got {_type_name(container)}")


@_strict
def _empty(value: Any) -> Any:
    if value is None:
        return True
    if isinstance(value, str | list | dict):
        return len(value) == 0
    raise FunctionError(f"empty() expects a string, array or object, got {_type_name(value)}")


@_strict
def _length(value: Any) -> Any:
    if isinstance(value, str | list | dict):
        return len(value)
    raise FunctionError(f"length() expects a string, array or object, got {_type_name(value)}")


@_strict
def _to_lower(value: Any) -> Any:
    return _want(value, str, "toLower", "a string").lower()


@_strict
def _to_upper(value: Any) -> Any:
    return _want(value, str, "toUpper", "a string").upper()


@_strict
def _trim(value: Any) -> Any:
    return _want(value, str, "trim", "a string").strip()


def _format(template: Any, *args: Any) -> Any:
    if template is UNKNOWN or any(contains_unknown(a) for a in args):
        return UNKNOWN
    text = _want(template, str, "format", "a format string")
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "{" and text.startswith("{{", i):
            out.append("{")
            i += 2
        elif ch == "}" and text.startswith("}}", i):
            out.append("}")
            i += 2
        elif ch == "{":
            end = text.find("}", i)
            if end < 0:
                raise FunctionError("format(): '{' without a closing '}'")
            spec = text[i + 1 : end]
            index_text, _, fmt = spec.partition(":")
            index_text = index_text.split(",")[0].strip()
            if not index_text.isdigit() or int(index_text) >= len(args):
                raise FunctionError(f"format(): no argument for '{{{spec}}}'")
            value = args[int(index_text)]
            out.append(_format_item(value, fmt))
            i = end + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _format_item(value: Any, fmt: str) -> str:
    # The .NET numeric formats templates use: D (zero-padded), N (grouped), X (hex).
    if fmt and isinstance(value, int) and not isinstance(value, bool):
        kind, digits = fmt[0].upper(), fmt[1:]
        width = int(digits) if digits.isdigit() else 0
        if kind == "D":
            return str(value).zfill(width) if value >= 0 else "-" + str(-value).zfill(width)
        if kind == "X":
            text = format(value, "x" if fmt[0] == "x" else "X")
            return text.zfill(width)
        if kind == "N":
            return f"{value:,.{width if digits else 2}f}"
    return to_string(value)


@_strict
def _split(value: Any, delimiters: Any) -> Any:
    text = _want(value, str, "split", "a string")
    seps = [delimiters] if isinstance(delimiters, str) else delimiters
    if not isinstance(seps, list) or not all(isinstance(s, str) and s for s in seps):
        raise FunctionError("split() expects a non-empty delimiter string or an array of them")
    parts = [text]
    for sep in seps:
        parts = [piece for part in parts for piece in part.split(sep)]
    return parts


@_deep
def _join(values: Any, delimiter: Any) -> Any:
    items = _want(values, list, "join", "an array")
    sep = _want(delimiter, str, "join", "a string delimiter")
    return sep.join(to_string(v) for v in items)


@_strict
def _replace(value: Any, old: Any, new: Any) -> Any:
    text = _want(value, str, "replace", "a string")
    return text.replace(_want(old, str, "replace", "a string"), _want(new, str, "replace", "a string"))


@_strict
def _first(value: Any) -> Any:
    if isinstance(value, str | list):
        return value[0] if value else (None if isinstance(value, list) else "")
    raise FunctionError(f"first() expects a string or array, got {_type_name(value)}")


@_strict
def _last(value: Any) -> Any:
    if isinstance(value, str | list):
        return value[-1] if value else (None if isinstance(value, list) else "")
    raise FunctionError(f"last() expects a string or array, got {_type_name(value)}")


@_strict
def _take(value: Any, count: Any) -> Any:
    n = max(0, _want(count, int, "take", "an int count"))
    if isinstance(value, str | list):
        return value[:n]
    raise FunctionError(f"take() expects a string or array, got {_type_name(value)}")


@_strict
def _skip(value: Any, count: Any) -> Any:
    n = max(0, _want(count, int, "skip", "an int count"))
    if isinstance(value, str | list):
        return value[n:]
    raise FunctionError(f"skip() expects a string or array, got {_type_name(value)}")


@_strict
def _starts_with(value: Any, prefix: Any) -> Any:
    return _want(value, str, "startsWith", "a string").lower().startswith(str(prefix).lower())


@_strict
def _ends_with(value: Any, suffix: Any) -> Any:
    return _want(value, str, "endsWith", "a string").lower().endswith(str(suffix).lower())


@_deep
def _index_of(value: Any, item: Any) -> Any:
    if isinstance(value, str):
        return value.lower().find(_want(item, str, "indexOf", "a string").lower())
    items = _want(value, list, "indexOf", "a string or array")
    return next((i for i, v in enumerate(items) if equal(v, item) is True), -1)


@_deep
def _last_index_of(value: Any, item: Any) -> Any:
    if isinstance(value, str):
        return value.lower().rfind(_want(item, str, "lastIndexOf", "a string").lower())
    items = _want(value, list, "lastIndexOf", "a string or array")
    return next((i for i in range(len(items) - 1, -1, -1) if equal(items[i], item) is True), -1)


@_strict
def _substring(value: Any, start: Any, length: Any = None) -> Any:
    text = _want(value, str, "substring", "a string")
    begin = _want(start, int, "substring", "an int start")
    if length is None:
        return text[begin:]
    count = _want(length, int, "substring", "an int length")
    if begin < 0 or count < 0 or begin + count > len(text):
        raise FunctionError("substring(): the range is outside the string")
    return text[begin : begin + count]


@_strict
def _pad_left(value: Any, width: Any, pad: Any = " ") -> Any:
    text = value if isinstance(value, str) else to_string(value)
    return text.rjust(
        _want(width, int, "padLeft", "an int width"), _want(pad, str, "padLeft", "a string")[:1]
    )


# --------------------------------------------------------------------------- conversions


@_deep
def _string(value: Any) -> Any:
    return to_string(value)


@_strict
def _int(value: Any) -> Any:
    if isinstance(value, bool):
        raise FunctionError("int() expects a string or int, got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise FunctionError(f"int(): {value!r} is not an integer") from None
    raise FunctionError(f"int() expects a string or int, got {_type_name(value)}")


@_strict
def _bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int):
        return value != 0
    raise FunctionError(f"bool() expects 'true', 'false', a bool or an int, got {value!r}")


@_strict
def _json(value: Any) -> Any:
    text = _want(value, str, "json", "a string")
    try:
        decoded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FunctionError(f"json(): not valid JSON ({exc.msg})") from None
    if isinstance(decoded, float):
        # ARM keeps fractional numbers; aigov's values are ints where whole.
        return int(decoded) if decoded.is_integer() else decoded
    return decoded


def _any(value: Any) -> Any:
    return value


@_strict
def _base64(value: Any) -> Any:
    return base64.b64encode(_want(value, str, "base64", "a string").encode()).decode()


@_strict
def _base64_to_string(value: Any) -> Any:
    try:
        return base64.b64decode(_want(value, str, "base64ToString", "a string")).decode()
    except (ValueError, UnicodeDecodeError):
        raise FunctionError("base64ToString(): not base64 text") from None


def unique_string(*args: Any) -> Any:
    """The stand-in for ARM's ``uniqueString`` (see the module docstring): 13 characters [a-z2-7]."""
    if not args:
        raise FunctionError("uniqueString() takes at least 1 argument")
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    digest = hashlib.sha256("-".join(to_string(a) for a in args).encode()).digest()
    return base64.b32encode(digest).decode().lower()[:13]


def _guid(*args: Any) -> Any:
    if not args:
        raise FunctionError("guid() takes at least 1 argument")
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "-".join(to_string(a) for a in args)))


# --------------------------------------------------------------------------- objects and collections


def _union(*args: Any) -> Any:
    if not args:
        raise FunctionError("union() takes at least 1 argument")
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    if all(isinstance(a, dict) for a in args):
        merged: dict[str, Any] = {}
        for obj in args:
            for key, value in obj.items():
                existing = _find_key(merged, key)
                if existing is not None and isinstance(merged[existing], dict) and isinstance(value, dict):
                    merged[existing] = _union(merged[existing], value)
                else:
                    if existing is not None and existing != key:
                        del merged[existing]
                    merged[key] = value
        return merged
    if all(isinstance(a, list) for a in args):
        out: list[Any] = []
        for array in args:
            for item in array:
                if not any(equal(item, seen) is True for seen in out):
                    out.append(item)
        return out
    raise FunctionError("union() expects all objects or all arrays")


def _shallow_merge(values: Any) -> Any:
    if values is UNKNOWN:
        return UNKNOWN
    items = _want(values, list, "shallowMerge", "an array of objects")
    merged: dict[str, Any] = {}
    for obj in items:
        if obj is UNKNOWN:
            return UNKNOWN
        for key, value in _want(obj, dict, "shallowMerge", "an array of objects").items():
            existing = _find_key(merged, key)
            if existing is not None:
                del merged[existing]
            merged[key] = value
    return merged


@_deep
def _intersection(*args: Any) -> Any:
    if all(isinstance(a, dict) for a in args):
        first = args[0]
        return {k: v for k, v in first.items() if all(k in o and equal(o[k], v) is True for o in args[1:])}
    if all(isinstance(a, list) for a in args):
        return [v for v in args[0] if all(any(equal(v, w) is True for w in o) for o in args[1:])]
    raise FunctionError("intersection() expects all objects or all arrays")


def _find_key(obj: Mapping[str, Any], key: str) -> str | None:
    if key in obj:
        return key
    folded = key.lower()
    return next((k for k in obj if k.lower() == folded), None)


def lookup(obj: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """ARM property access: case-insensitive. Returns (found, value)."""
    found = _find_key(obj, key)
    return (True, obj[found]) if found is not None else (False, None)


def _coalesce(*args: Any) -> Any:
    for value in args:
        if value is UNKNOWN:
            return UNKNOWN
        if value is not None:
            return value
    return None


@_strict
def _range(start: Any, count: Any) -> Any:
    begin = _want(start, int, "range", "an int start")
    n = _want(count, int, "range", "an int count")
    if n < 0 or n > MAX_RANGE:
        raise FunctionError(f"range(): count {n} is outside 0..{MAX_RANGE}")
    return list(range(begin, begin + n))


@_strict
def _items(value: Any) -> Any:
    obj = _want(value, dict, "items", "an object")
    return [{"key": k, "value": obj[k]} for k in sorted(obj, key=str.lower)]


@_strict
def _object_keys(value: Any) -> Any:
    return list(_want(value, dict, "objectKeys", "an object"))


@_strict
def _array(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


def _create_array(*args: Any) -> Any:
    return list(args)


def _create_object(*args: Any) -> Any:
    if len(args) % 2:
        raise FunctionError("createObject() takes key/value pairs")
    out: dict[str, Any] = {}
    for key, value in zip(args[0::2], args[1::2], strict=True):
        if key is UNKNOWN:
            return UNKNOWN
        out[_want(key, str, "createObject", "string keys")] = value
    return out


@_strict
def _flatten(value: Any) -> Any:
    out: list[Any] = []
    for item in _want(value, list, "flatten", "an array of arrays"):
        if item is UNKNOWN:
            return UNKNOWN
        out.extend(_want(item, list, "flatten", "an array of arrays"))
    return out


def _numbers(args: tuple[Any, ...], name: str) -> list[int] | None:
    values = list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)
    if any(contains_unknown(v) for v in values):
        return None
    if not values:
        raise FunctionError(f"{name}() needs at least one number")
    return [_want(v, int, name, "integers") for v in values]


def _min(*args: Any) -> Any:
    values = _numbers(args, "min")
    return UNKNOWN if values is None else min(values)


def _max(*args: Any) -> Any:
    values = _numbers(args, "max")
    return UNKNOWN if values is None else max(values)


def _try_get(value: Any, *keys: Any) -> Any:
    current = value
    for key in keys:
        if current is UNKNOWN or key is UNKNOWN:
            return UNKNOWN
        if isinstance(current, dict) and isinstance(key, str):
            found, current = lookup(current, key)
            if not found:
                return None
        elif isinstance(current, list) and isinstance(key, int) and not isinstance(key, bool):
            if not 0 <= key < len(current):
                return None
            current = current[key]
        else:
            return None
    return current


# --------------------------------------------------------------------------- lambdas


def _callable(value: Any, name: str) -> Callable[..., Any]:
    if not callable(value):
        raise FunctionError(f"{name}() expects a lambda, got {_type_name(value)}")
    return value  # type: ignore[no-any-return]


def _filter(values: Any, predicate: Any) -> Any:
    if values is UNKNOWN:
        return UNKNOWN
    fn = _callable(predicate, "filter")
    out: list[Any] = []
    for i, item in enumerate(_want(values, list, "filter", "an array")):
        keep = fn(item, i)
        if keep is UNKNOWN:
            return UNKNOWN
        if keep is True:
            out.append(item)
    return out


def _map(values: Any, mapper: Any) -> Any:
    if values is UNKNOWN:
        return UNKNOWN
    fn = _callable(mapper, "map")
    return [fn(item, i) for i, item in enumerate(_want(values, list, "map", "an array"))]


def _map_values(value: Any, mapper: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    fn = _callable(mapper, "mapValues")
    return {k: fn(v) for k, v in _want(value, dict, "mapValues", "an object").items()}


def _reduce(values: Any, initial: Any, reducer: Any) -> Any:
    if values is UNKNOWN:
        return UNKNOWN
    fn = _callable(reducer, "reduce")
    acc = initial
    for i, item in enumerate(_want(values, list, "reduce", "an array")):
        acc = fn(acc, item, i)
    return acc


def _sort(values: Any, comparer: Any) -> Any:
    if values is UNKNOWN:
        return UNKNOWN
    fn = _callable(comparer, "sort")
    items = list(_want(values, list, "sort", "an array"))
    # Insertion sort on the lambda's "a before b": stable, and n is bounded by ARM's loop limits.
    out: list[Any] = []
    for item in items:
        pos = len(out)
        while pos > 0:
            before = fn(item, out[pos - 1])
            if before is UNKNOWN:
                return UNKNOWN
            if before is not True:
                break
            pos -= 1
        out.insert(pos, item)
    return out


def _to_object(values: Any, key_fn: Any, value_fn: Any = None) -> Any:
    if values is UNKNOWN:
        return UNKNOWN
    keys = _callable(key_fn, "toObject")
    out: dict[str, Any] = {}
    for item in _want(values, list, "toObject", "an array"):
        key = keys(item)
        if key is UNKNOWN:
            return UNKNOWN
        out[_want(key, str, "toObject", "string keys")] = item if value_fn is None else value_fn(item)
    return out


def _group_by(values: Any, key_fn: Any) -> Any:
    if values is UNKNOWN:
        return UNKNOWN
    keys = _callable(key_fn, "groupBy")
    out: dict[str, list[Any]] = {}
    for item in _want(values, list, "groupBy", "an array"):
        key = keys(item)
        if key is UNKNOWN:
            return UNKNOWN
        out.setdefault(_want(key, str, "groupBy", "string keys"), []).append(item)
    return out


# --------------------------------------------------------------------------- deployment-time values


def _unknown(*_args: Any) -> Any:
    return UNKNOWN


def _if(condition: Any, then: Any, otherwise: Any) -> Any:
    if condition is UNKNOWN:
        return then if equal(then, otherwise) is True else UNKNOWN
    return then if condition is True else otherwise


def _not(value: Any) -> Any:
    return UNKNOWN if value is UNKNOWN else not value


FUNCTIONS: Final[Mapping[str, Fn]] = {
    "any": _any,
    "array": _array,
    "base64": _base64,
    "base64tostring": _base64_to_string,
    "bool": _bool,
    "coalesce": _coalesce,
    "concat": _concat,
    "contains": _contains,
    "createarray": _create_array,
    "createobject": _create_object,
    "datetimeadd": _unknown,
    "empty": _empty,
    "endswith": _ends_with,
    "equals": equal,
    "filter": _filter,
    "first": _first,
    "flatten": _flatten,
    "format": _format,
    "groupby": _group_by,
    "guid": _guid,
    "if": _if,
    "indexof": _index_of,
    "int": _int,
    "intersection": _intersection,
    "items": _items,
    "join": _join,
    "json": _json,
    "last": _last,
    "lastindexof": _last_index_of,
    "length": _length,
    "list": _unknown,
    "listaccountsas": _unknown,
    "listkeys": _unknown,
    "listsecrets": _unknown,
    "map": _map,
    "mapvalues": _map_values,
    "max": _max,
    "min": _min,
    "newguid": _unknown,
    "not": _not,
    "objectkeys": _object_keys,
    "padleft": _pad_left,
    "pickzones": _unknown,
    "range": _range,
    "reduce": _reduce,
    "reference": _unknown,
    "replace": _replace,
    "shallowmerge": _shallow_merge,
    "skip": _skip,
    "sort": _sort,
    "split": _split,
    "startswith": _starts_with,
    "string": _string,
    "substring": _substring,
    "take": _take,
    "toobject": _to_object,
    "tolower": _to_lower,
    "toupper": _to_upper,
    "trim": _trim,
    "tryget": _try_get,
    "union": _union,
    "uniquestring": unique_string,
    "utcnow": _unknown,
}
"""Every function by lower-case name (ARM function names are case-insensitive)."""
