"""The template functions ARM and Bicep share, on plain Python values: one implementation for both.

Bicep compiles to ARM, so ``uniqueString('a')`` in a ``.bicep`` file and
``[uniqueString('a')]`` in a template must give the same value; both
evaluators (:mod:`aigov.sources.arm_expressions` and
:mod:`aigov.sources.bicep.evaluate`) call the functions in :data:`FUNCTIONS`.
What only one language has stays with it: ARM's ``parameters()``,
``variables()``, ``copyIndex()``, ``lambda()`` and its lazy ``if()``,
``and()`` and ``or()``; Bicep's lambdas, namespaces, ``items()``-style
loops, ``nameof()`` and ``load*Content()``; and both languages'
``resourceGroup()``/``subscription()``/``deployment()``.

The values functions work on (plain Python values, UNKNOWN and ARM's
placeholders) and the calling convention are
:mod:`aigov.sources.template_values`. Besides the functions here,
:data:`FUNCTIONS` holds the CIDR (:mod:`~aigov.sources.template_cidr`), URI
(:mod:`~aigov.sources.template_uri`) and date
(:mod:`~aigov.sources.template_dates`) functions. Functions whose value exists
only at deployment are none of these: see :func:`is_runtime`.

``uniqueString()`` is ARM's own algorithm (Microsoft's MurmurHash64 variant
over the UTF-8 arguments joined with ``-``, base32 of the top 65 bits, 13
characters), checked against values Azure produced; ``guid()`` is ARM's
name-based UUID v5 in namespace ``11fb06fb-712d-4ddd-98c7-e71bbd588830``
over the same joined string.

Bounds keep a hostile template from exhausting memory: strings at most
:data:`MAX_STRING` characters, arrays at most :data:`MAX_ITEMS` elements,
``range()`` at most :data:`MAX_RANGE` items (ARM's limit).
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

from aigov.model import UNKNOWN
from aigov.sources.template_cidr import FUNCTIONS as CIDR_FUNCTIONS
from aigov.sources.template_dates import FUNCTIONS as DATE_FUNCTIONS
from aigov.sources.template_uri import FUNCTIONS as URI_FUNCTIONS
from aigov.sources.template_values import (
    MAX_STRING,
    Function,
    FunctionError,
    Site,
    any_undetermined,
    any_unknown,
    arity,
    check_size,
    contains_undetermined,
    equal,
    has_opaque,
    is_int,
    is_undetermined,
    loads_json,
    need_int,
    need_str,
    opaque_result,
    show,
    to_text,
)

MAX_RANGE: Final = 10000
"""ARM's limit on ``range()``'s count."""


def _compare(site: Site, args: list[Any], test: Callable[[Any, Any], bool]) -> Any:
    arity(site, args, 2)
    a, b = args
    if is_undetermined(a) or is_undetermined(b):
        return UNKNOWN
    if (is_int(a) or isinstance(a, float)) and (is_int(b) or isinstance(b, float)):
        return test(a, b)
    if isinstance(a, str) and isinstance(b, str):
        return test(a, b)
    raise FunctionError(f"{site.name}() compares two numbers or two strings, got {show(a)} and {show(b)}")


# --------------------------------------------------------------------------- built-ins


def _concat(site: Site, args: list[Any]) -> Any:
    if not args:
        return ""
    if isinstance(args[0], list) or (args[0] is UNKNOWN and any(isinstance(a, list) for a in args)):
        if any_unknown(args):
            return UNKNOWN
        out: list[Any] = []
        for a in args:
            if a is None:
                continue
            if not isinstance(a, list):
                raise FunctionError(f"concat() expects all strings or all arrays, got {show(a)}")
            out.extend(a)
            check_size(out)
        return out
    if any_unknown(args) and not any(isinstance(a, str) for a in args):
        return UNKNOWN  # nothing says these are strings: they may be arrays
    parts: list[str] = []
    for i, given in enumerate(args):
        # A string with a part known only at deployment: the known parts stay (a child's leaf name).
        part = site.placeholder([i, *args]) if given is UNKNOWN else given
        if part is UNKNOWN:
            return UNKNOWN
        if isinstance(part, dict | list):
            raise FunctionError(f"concat() expects all strings or all arrays, got {show(part)}")
        parts.append(to_text(part))
    return check_size("".join(parts))


_FORMAT_ITEM: Final = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}")


def _format(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1, 999)
    template = args[0]
    if template is UNKNOWN:
        return UNKNOWN
    template = need_str(site, template)
    values = args[1:]
    unknown = False

    def item(match: re.Match[str]) -> str:
        nonlocal unknown
        text = match.group(0)
        if text == "{{":
            return "{"
        if text == "}}":
            return "}"
        i = int(match.group(1))
        if i >= len(values):
            raise FunctionError(f"format(): {{{i}}} has no argument")
        value = values[i]
        if value is UNKNOWN:
            # An item known only at deployment: the known parts stay (a child's leaf name).
            marker = site.placeholder([i, *args])
            if marker is UNKNOWN:
                unknown = True
                return ""
            return str(marker)
        spec = match.group(3)
        if spec and (is_int(value) or isinstance(value, float)):
            return _number_format(value, spec)
        return to_text(value)

    result = _FORMAT_ITEM.sub(item, template)
    return UNKNOWN if unknown else check_size(result)


def _number_format(value: int | float, spec: str) -> str:
    kind, digits = spec[:1].upper(), spec[1:]
    places = int(digits) if digits.isdigit() else None
    if kind == "D":
        return f"{int(value):0{places or 0}d}"
    if kind == "N":
        return f"{value:,.{2 if places is None else places}f}"
    if kind == "F":
        return f"{value:.{2 if places is None else places}f}"
    if kind == "X":
        return f"{int(value):0{places or 0}{'X' if spec[0] == 'X' else 'x'}}"
    if set(spec) <= {"0"}:
        return f"{int(value):0{len(spec)}d}"
    return to_text(value)


def _string(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    value = args[0]
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict | list) and contains_undetermined(value):
        return opaque_result(site, args) if not contains_unknown(value) else UNKNOWN
    return to_text(value)


def contains_unknown(value: Any) -> bool:
    """Whether ``value`` is or holds UNKNOWN anywhere (placeholders do not count)."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def _int(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    value = args[0]
    if is_undetermined(value):
        return UNKNOWN
    if is_int(value):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise FunctionError(f"int(): {show(value)} is not an integer") from None
    raise FunctionError(f"int() of {show(value)}")


def _bool(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    value = args[0]
    if is_undetermined(value):
        return UNKNOWN
    if isinstance(value, bool):
        return value
    if is_int(value):
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise FunctionError(f"bool() of {show(value)}")


def _json(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    value = args[0]
    if is_undetermined(value):
        return UNKNOWN
    text = need_str(site, value)
    try:
        return loads_json(text)
    except (ValueError, RecursionError):
        raise FunctionError(f"json(): {show(value)} is not valid JSON") from None


def _case(upper: bool) -> Function:
    def convert(site: Site, args: list[Any]) -> Any:
        arity(site, args, 1)
        value = args[0]
        if is_undetermined(value):
            return opaque_result(site, args)
        text = need_str(site, value)
        return text.upper() if upper else text.lower()

    return convert


def _replace(site: Site, args: list[Any]) -> Any:
    arity(site, args, 3)
    if any_undetermined(args):
        return opaque_result(site, args)
    text, old, new = (need_str(site, a) for a in args)
    if not old:
        raise FunctionError("replace(): the string to replace is empty")
    if len(new) > len(old) and text.count(old) * (len(new) - len(old)) + len(text) > MAX_STRING:
        raise FunctionError(f"a string grows past {MAX_STRING} characters")
    return text.replace(old, new)


def _substring(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1, 3)
    if any_undetermined(args):
        return opaque_result(site, args)
    text = need_str(site, args[0])
    start = need_int(site, args[1]) if len(args) > 1 else 0
    length = need_int(site, args[2]) if len(args) > 2 else len(text) - start
    if start < 0 or length < 0 or start + length > len(text):
        raise FunctionError(
            f"substring(): start {start} and length {length} are outside a string of {len(text)} characters"
        )
    return text[start : start + length]


def _length(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    value = args[0]
    if is_undetermined(value):
        return UNKNOWN
    if isinstance(value, str | list | dict):
        return len(value)
    raise FunctionError(f"length() of {show(value)}")


def _empty(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    value = args[0]
    if is_undetermined(value):
        return UNKNOWN
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def _contains(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2)
    container, item = args
    if container is UNKNOWN or item is UNKNOWN:
        return UNKNOWN
    if isinstance(container, dict):
        if is_undetermined(item):
            return UNKNOWN
        return isinstance(item, str) and item.lower() in (k.lower() for k in container)
    if isinstance(container, list):
        found = [equal(x, item) for x in container]
        if True in found:
            return True
        return UNKNOWN if UNKNOWN in found else False
    if isinstance(container, str):
        if is_undetermined(container) or is_undetermined(item):
            return UNKNOWN
        return to_text(item) in container
    raise FunctionError(f"contains() of {show(container)}")


def _deep_union(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    lower = {k.lower(): k for k in out}
    for key, value in b.items():
        existing = lower.get(key.lower())
        if existing is not None and isinstance(out[existing], dict) and isinstance(value, dict):
            out[existing] = _deep_union(out[existing], value)
            continue
        if existing is not None and existing != key:
            del out[existing]
        out[key] = value
        lower[key.lower()] = key
    return out


def _union(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1, 999)
    if any_unknown(args):
        return UNKNOWN
    if all(isinstance(a, dict) or a is None for a in args):
        merged: dict[str, Any] = {}
        for a in args:
            if a is not None:
                merged = _deep_union(merged, a)
        return merged
    if all(isinstance(a, list) or a is None for a in args):
        out: list[Any] = []
        for a in args or ():
            for item in a or ():
                if not any(equal(item, seen) is True for seen in out):
                    out.append(item)
        return check_size(out)
    raise FunctionError(f"{site.name}() needs all objects or all arrays")


def _shallow_merge(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    items = args[0]
    if items is UNKNOWN or (isinstance(items, list) and any_unknown(items)):
        return UNKNOWN
    if not isinstance(items, list):
        raise FunctionError(f"shallowMerge() needs an array of objects, got {show(items)}")
    merged: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict):
            raise FunctionError(f"shallowMerge() needs an array of objects, got {show(item)}")
        merged.update(item)
    return merged


def _intersection(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2, 999)
    if any_unknown(args):
        return UNKNOWN
    if all(isinstance(a, dict) for a in args):
        first = args[0]
        return {k: v for k, v in first.items() if all(k in a and equal(a[k], v) is True for a in args[1:])}
    if all(isinstance(a, list) for a in args):
        out: list[Any] = []
        for item in args[0]:
            if all(any(equal(item, x) is True for x in a) for a in args[1:]) and not any(
                equal(item, x) is True for x in out
            ):
                out.append(item)
        return out
    raise FunctionError("intersection() needs all objects or all arrays")


def _create_array(site: Site, args: list[Any]) -> Any:
    return check_size(list(args))


def _create_object(site: Site, args: list[Any]) -> Any:
    if len(args) % 2:
        raise FunctionError("createObject() needs key and value pairs")
    out: dict[str, Any] = {}
    for key, value in zip(args[0::2], args[1::2], strict=True):
        if key is UNKNOWN:
            return UNKNOWN
        out[need_str(site, key)] = value
    return out


def _array(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    value = args[0]
    if value is UNKNOWN:
        return UNKNOWN
    return value if isinstance(value, list) else [value]


def _equals(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2)
    return equal(args[0], args[1])


def _not(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    value = args[0]
    if is_undetermined(value):
        return UNKNOWN
    if not isinstance(value, bool):
        raise FunctionError(f"not() of {show(value)}")
    return not value


def _coalesce(site: Site, args: list[Any]) -> Any:
    for value in args:
        if is_undetermined(value):
            return UNKNOWN
        if value is not None:
            return value
    return None


def _first_last(last: bool) -> Function:
    def pick(site: Site, args: list[Any]) -> Any:
        arity(site, args, 1)
        value = args[0]
        if is_undetermined(value):
            return UNKNOWN
        if isinstance(value, list | str):
            if not value:
                return None if isinstance(value, list) else ""
            return value[-1] if last else value[0]
        raise FunctionError(f"{site.name}() of {show(value)}")

    return pick


def _take_skip(take: bool) -> Function:
    def cut(site: Site, args: list[Any]) -> Any:
        arity(site, args, 2)
        value, count = args
        if is_undetermined(value) or is_undetermined(count):
            return UNKNOWN
        n = max(0, need_int(site, count))
        if isinstance(value, list | str):
            return value[:n] if take else value[n:]
        raise FunctionError(f"{site.name}() of {show(value)}")

    return cut


def _split(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2)
    text, delimiters = args
    if is_undetermined(text) or contains_undetermined(delimiters):
        return UNKNOWN
    text = need_str(site, text)
    seps = [delimiters] if isinstance(delimiters, str) else delimiters
    if not isinstance(seps, list) or not all(isinstance(s, str) and s for s in seps):
        raise FunctionError(f"split() delimiters must be non-empty strings, got {show(delimiters)}")
    pattern = "|".join(re.escape(s) for s in seps)
    return check_size(re.split(pattern, text))


def _join(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2)
    items, sep = args
    if items is UNKNOWN or sep is UNKNOWN:
        return UNKNOWN
    if not isinstance(items, list):
        raise FunctionError(f"join() needs an array, got {show(items)}")
    if any_unknown(items):
        return UNKNOWN
    return check_size(need_str(site, sep).join(to_text(i) for i in items))


def _range(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2)
    if any_undetermined(args):
        return UNKNOWN
    start, count = (need_int(site, a) for a in args)
    if not 0 <= count <= 10000:
        raise FunctionError(f"range(): count {count} is outside 0 to 10000")
    return list(range(start, start + count))


_BASE32: Final = "abcdefghijklmnopqrstuvwxyz234567"
_M32: Final = 0xFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def _fmix(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    return h ^ (h >> 16)


def murmur64(data: bytes, seed: int = 0) -> int:
    """Microsoft's 64-bit MurmurHash variant that ARM's ``uniqueString()`` uses (two 32-bit lanes)."""
    c1, c2, c3, c4 = 0x239B961B, 0xAB0E9789, 0x561CCD1B, 0x0BCAA747
    h1 = h2 = seed
    n = len(data)
    i = 0
    while i + 7 < n:
        k1 = int.from_bytes(data[i : i + 4], "little")
        k2 = int.from_bytes(data[i + 4 : i + 8], "little")
        h1 = ((_rotl(h1 ^ ((_rotl((k1 * c1) & _M32, 15) * c2) & _M32), 19) + h2) * 5 + c3) & _M32
        h2 = ((_rotl(h2 ^ ((_rotl((k2 * c2) & _M32, 17) * c1) & _M32), 13) + h1) * 5 + c4) & _M32
        i += 8
    tail = n - i
    if tail > 0:
        k1 = int.from_bytes(data[i : i + min(tail, 4)], "little")
        h1 ^= (_rotl((k1 * c1) & _M32, 15) * c2) & _M32
        if tail > 4:
            k2 = int.from_bytes(data[i + 4 : n], "little")
            h2 ^= (_rotl((k2 * c2) & _M32, 17) * c1) & _M32
    h1 ^= n & _M32
    h2 ^= n & _M32
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    h1, h2 = _fmix(h1), _fmix(h2)
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    return (h2 << 32) | h1


def unique_string(*values: str) -> str:
    """ARM's ``uniqueString()``: 13 base32 characters of the hash of the values joined with ``-``."""
    h = murmur64("-".join(values).encode("utf-8"))
    out = []
    for _ in range(13):
        out.append(_BASE32[h >> 59])
        h = (h << 5) & 0xFFFFFFFFFFFFFFFF
    return "".join(out)


_GUID_NAMESPACE: Final = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")


def arm_guid(*values: str) -> str:
    """ARM's ``guid()``: a name-based (v5) UUID of the values joined with ``-``."""
    return str(uuid.uuid5(_GUID_NAMESPACE, "-".join(values)))


def _hash_function(make: Callable[..., str]) -> Function:
    def hashed(site: Site, args: list[Any]) -> Any:
        arity(site, args, 1, 999)
        if any_undetermined(args):
            return opaque_result(site, args)
        return make(*(need_str(site, a) for a in args))

    return hashed


def _split_type(site: Site, value: Any) -> list[str]:
    # ARM accepts a type written with a trailing slash ('Microsoft.Network/virtualNetworks/subnets/').
    text = need_str(site, value).rstrip("/")
    parts = text.split("/")
    if len(parts) < 2 or not all(parts):
        raise FunctionError(f"{site.name}(): {show(value)} is not a resource type")
    return parts


def _id_tail(site: Site, args: list[Any]) -> str:
    """``providers/NS/T1/N1/T2/N2`` from a type and its names (names may hold placeholders)."""
    if not args:
        raise FunctionError(f"{site.name}() needs a resource type")
    parts = _split_type(site, args[0])
    names = [need_str(site, a) for a in args[1:]]
    types = parts[1:]
    if len(names) != len(types):
        raise FunctionError(
            f"{site.name}(): type {args[0]!r} needs {len(types)} name segments, got {len(names)}"
        )
    segments = [f"{t}/{n}" for t, n in zip(types, names, strict=True)]
    return "/".join(["providers", parts[0], *segments])


def _resource_id(site: Site, args: list[Any]) -> Any:
    if any_unknown(args):
        return UNKNOWN
    sub: str | None = None
    group: str | None = None
    rest = list(args)
    # Optional leading subscription id and resource group name: the type is
    # the first argument with a '/' in it.
    type_at = next(
        (i for i, a in enumerate(rest) if isinstance(a, str) and "/" in a and not has_opaque(a)), 0
    )
    if type_at == 2:
        sub, group = need_str(site, rest[0]), need_str(site, rest[1])
    elif type_at == 1:
        group = need_str(site, rest[0])
    rest = rest[type_at:]
    context_sub, context_group = site.scope()
    sub = sub or context_sub
    group = group or context_group
    if sub is UNKNOWN or group is UNKNOWN:
        return UNKNOWN
    return f"/subscriptions/{sub}/resourceGroups/{group}/{_id_tail(site, rest)}"


def _subscription_resource_id(site: Site, args: list[Any]) -> Any:
    if any_unknown(args):
        return UNKNOWN
    rest = list(args)
    sub = site.scope()[0]
    if rest and isinstance(rest[0], str) and "/" not in rest[0] and len(rest) % 2 == 0:
        sub = rest.pop(0)
    if sub is UNKNOWN:
        return UNKNOWN
    return f"/subscriptions/{sub}/{_id_tail(site, rest)}"


def _tenant_resource_id(site: Site, args: list[Any]) -> Any:
    if any_unknown(args):
        return UNKNOWN
    return "/" + _id_tail(site, list(args))


def _extension_resource_id(site: Site, args: list[Any]) -> Any:
    arity(site, args, 3, 999)
    if any_unknown(args):
        return UNKNOWN
    base = need_str(site, args[0]).rstrip("/")
    return f"{base}/{_id_tail(site, list(args[1:]))}"


RUNTIME_FUNCTIONS: Final = frozenset(
    {"reference", "references", "utcnow", "newguid", "pickzones", "providers", "deployer"}
)
"""Functions whose value exists only at deployment (with every ``list*`` function, see :func:`is_runtime`)."""


def is_runtime(name: str) -> bool:
    """Whether a function's value exists only at deployment (``reference()``, ``listKeys()``, ...).

    Both evaluators make such a call UNKNOWN and warn once per function and
    file with :func:`runtime_warning`, so Bicep and ARM report it alike.
    """
    lowered = name.lower()
    return lowered in RUNTIME_FUNCTIONS or lowered.startswith("list")


UNKNOWN_INDEX: Final = "[?]"
"""The address suffix of the one instance evaluated for a loop whose count is known only at deployment
(Bicep, ARM and Terraform alike; not ``[*]``, which address patterns read as a wildcard)."""


def unknown_loop_warning(where: str, what: str) -> str:
    """The scan warning for a resource or module loop whose count is known only at deployment."""
    return (
        f"{where}: the number of {what} is known only at deployment; one instance is evaluated, "
        f"addressed {UNKNOWN_INDEX}, with its index unknown"
    )


Placeholder = Callable[[str], Any]
"""How an evaluator writes a value known only at deployment, given what it is (``tenant().tenantId``):
ARM keeps a named placeholder (equal placeholders are equal, so names built from them still link),
Bicep gives UNKNOWN."""


def _under(prefix: str, value: Any) -> Any:
    return f"{prefix}{value}" if isinstance(value, str) else UNKNOWN


def tenant_object(unknown: Placeholder) -> dict[str, Any]:
    """``tenant()``: the properties ARM returns, every one known only at deployment."""
    tenant_id = unknown("tenant().tenantId")
    return {
        "countryCode": unknown("tenant().countryCode"),
        "displayName": unknown("tenant().displayName"),
        "id": _under("/tenants/", tenant_id),
        "tenantId": tenant_id,
    }


def subscription_object(subscription_id: Any, unknown: Placeholder) -> dict[str, Any]:
    """``subscription()``: the properties ARM returns for the subscription ``subscription_id``."""
    return {
        "id": _under("/subscriptions/", subscription_id),
        "subscriptionId": subscription_id,
        "tenantId": unknown("subscription().tenantId"),
        "displayName": unknown("subscription().displayName"),
    }


def resource_group_object(
    subscription_id: Any, name: Any, location: Any, unknown: Placeholder
) -> dict[str, Any]:
    """``resourceGroup()``: the properties ARM returns for the group ``name`` in ``subscription_id``."""
    group_id = _under(f"/subscriptions/{subscription_id}/resourceGroups/", name)
    return {
        "id": group_id if isinstance(subscription_id, str) else UNKNOWN,
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        # Not strings, so never placeholders: unknown in both paths.
        "managedBy": UNKNOWN,
        "tags": UNKNOWN,
        "properties": {"provisioningState": "Succeeded"},
    }


def runtime_warning(file: str, name: str) -> str:
    """The scan warning for a call of the runtime-only function ``name`` in ``file``."""
    return f"{file}: {name}() gives a value known only at deployment; values that use it are unknown"


def _try_get(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2, 999)
    value = args[0]
    for key in args[1:]:
        if value is None:
            return None
        if value is UNKNOWN or is_undetermined(key):
            return UNKNOWN
        if isinstance(value, dict) and isinstance(key, str):
            lowered = key.lower()
            value = next((v for k, v in value.items() if k.lower() == lowered), None)
        elif isinstance(value, list) and is_int(key):
            value = value[key] if 0 <= key < len(value) else None
        elif has_opaque(value):
            return UNKNOWN
        else:
            return None
    return value


def _items(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    value = args[0]
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, dict):
        raise FunctionError(f"items() needs an object, got {show(value)}")
    return [{"key": k, "value": v} for k, v in sorted(value.items(), key=lambda kv: kv[0].lower())]


def _object_keys(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    value = args[0]
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, dict):
        raise FunctionError(f"objectKeys() needs an object, got {show(value)}")
    return list(value)


def _arith(op: Callable[[int, int], int], name: str) -> Function:
    def compute(site: Site, args: list[Any]) -> Any:
        arity(site, args, 2)
        if any_undetermined(args):
            return UNKNOWN
        a, b = (need_int(site, x) for x in args)
        if name in ("div", "mod") and b == 0:
            raise FunctionError(f"{site.name}() by zero (the deployment fails on it too)")
        return op(a, b)

    return compute


def _div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _mod(a: int, b: int) -> int:
    return a - b * _div(a, b)


def _min_max(pick: Callable[[list[Any]], Any]) -> Function:
    def choose(site: Site, args: list[Any]) -> Any:
        values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
        if not values:
            raise FunctionError(f"{site.name}() of nothing")
        if any_undetermined(values):
            return UNKNOWN
        if not all(is_int(v) or isinstance(v, float) for v in values):
            raise FunctionError(f"{site.name}() needs numbers")
        return pick(values)

    return choose


def _string_test(test: Callable[[str, str], Any]) -> Function:
    def check(site: Site, args: list[Any]) -> Any:
        arity(site, args, 2)
        if any_undetermined(args):
            return UNKNOWN
        return test(need_str(site, args[0]), need_str(site, args[1]))

    return check


def _trim(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        return opaque_result(site, args)
    return need_str(site, args[0]).strip()


def _pad_left(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2, 3)
    if any_undetermined(args):
        return opaque_result(site, args)
    value = args[0]
    text = to_text(value)
    width = need_int(site, args[1])
    if width > 16000:
        raise FunctionError("padLeft(): total length above 16000")
    fill = need_str(site, args[2]) if len(args) > 2 else " "
    return text.rjust(width, fill[:1] or " ")


def _base64(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        return opaque_result(site, args)
    return base64.b64encode(need_str(site, args[0]).encode()).decode()


def _base64_to_string(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        return opaque_result(site, args)
    try:
        return base64.b64decode(need_str(site, args[0]), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise FunctionError(f"base64ToString(): {show(args[0])} is not base64 text") from None


def _fail(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        raise FunctionError("the template calls fail() with a message known only at deployment")
    raise FunctionError(f"the template calls fail(): {to_text(args[0])}")


def _index_from_end(safe: bool) -> Function:
    """``indexFromEnd(array, n)``: the n-th element from the end (``a[^1]`` in Bicep is the last)."""

    def pick(site: Site, args: list[Any]) -> Any:
        arity(site, args, 2)
        items, n = args
        if items is None and safe:
            return None
        if is_undetermined(items) or is_undetermined(n):
            return UNKNOWN
        if not isinstance(items, list):
            raise FunctionError(f"{site.name}() needs an array, got {show(items)}")
        n = need_int(site, n)
        if 1 <= n <= len(items):
            return items[-n]
        if safe:
            return None
        raise FunctionError(f"{site.name}(): index ^{n} is outside the array (length {len(items)})")

    return pick


def _flatten(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    value = args[0]
    if value is UNKNOWN or (isinstance(value, list) and any_unknown(value)):
        return UNKNOWN
    if not isinstance(value, list) or not all(isinstance(v, list) for v in value):
        raise FunctionError(f"flatten() needs an array of arrays, got {show(value)}")
    return check_size([x for v in value for x in v])


def _index_of(last: bool) -> Function:
    def find(site: Site, args: list[Any]) -> Any:
        arity(site, args, 2)
        container, item = args
        if container is UNKNOWN or item is UNKNOWN:
            return UNKNOWN
        if isinstance(container, list):
            order = range(len(container) - 1, -1, -1) if last else range(len(container))
            for i in order:
                same = equal(container[i], item)
                if same is UNKNOWN:
                    return UNKNOWN
                if same:
                    return i
            return -1
        if is_undetermined(container) or is_undetermined(item):
            return UNKNOWN
        text, sub = need_str(site, container).lower(), need_str(site, item).lower()
        return text.rfind(sub) if last else text.find(sub)

    return find


def _apply(function: Any, site: Site, *values: Any) -> Any:
    if not callable(function):
        raise FunctionError(f"{site.name}() needs a lambda, got {show(function)}")
    return function(*values)


def _sequence(site: Site, value: Any) -> list[Any] | None:
    if value is UNKNOWN:
        return None
    if not isinstance(value, list):
        raise FunctionError(f"{site.name}() needs an array, got {show(value)}")
    return value


def _filter(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2)
    items = _sequence(site, args[0])
    if items is None:
        return UNKNOWN
    out = []
    for i, item in enumerate(items):
        keep = _apply(args[1], site, item, i)
        if is_undetermined(keep):
            return UNKNOWN
        if keep is True:
            out.append(item)
    return out


def _map(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2)
    items = _sequence(site, args[0])
    if items is None:
        return UNKNOWN
    return [_apply(args[1], site, item, i) for i, item in enumerate(items)]


def _reduce(site: Site, args: list[Any]) -> Any:
    arity(site, args, 3)
    items = _sequence(site, args[0])
    if items is None:
        return UNKNOWN
    acc = args[1]
    for i, item in enumerate(items):
        acc = _apply(args[2], site, acc, item, i)
    return acc


def _sort(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2)
    items = _sequence(site, args[0])
    if items is None:
        return UNKNOWN
    out: list[Any] = []
    # Insertion sort with the lambda as "a comes before b": at most a few
    # hundred items in practice, and the step budget bounds the rest.
    for item in items:
        pos = len(out)
        for j, placed in enumerate(out):
            before = _apply(args[1], site, item, placed)
            if is_undetermined(before):
                return UNKNOWN
            if before is True:
                pos = j
                break
        out.insert(pos, item)
    return out


def _to_object(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2, 3)
    items = _sequence(site, args[0])
    if items is None:
        return UNKNOWN
    out: dict[str, Any] = {}
    for item in items:
        key = _apply(args[1], site, item)
        if is_undetermined(key):
            return UNKNOWN
        out[need_str(site, key)] = _apply(args[2], site, item) if len(args) > 2 else item
    return out


def _map_values(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2)
    value = args[0]
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, dict):
        raise FunctionError(f"mapValues() needs an object, got {show(value)}")
    return {k: _apply(args[1], site, v) for k, v in value.items()}


def _group_by(site: Site, args: list[Any]) -> Any:
    """``groupBy(items, key, [value])``: items by key, each mapped by ``value`` when given."""
    arity(site, args, 2, 3)
    items = _sequence(site, args[0])
    if items is None:
        return UNKNOWN
    out: dict[str, list[Any]] = {}
    for item in items:
        key = _apply(args[1], site, item)
        if is_undetermined(key):
            return UNKNOWN
        out.setdefault(need_str(site, key), []).append(_apply(args[2], site, item) if len(args) > 2 else item)
    return out


FUNCTIONS: Final[Mapping[str, Function]] = {
    "concat": _concat,
    "format": _format,
    "string": _string,
    "int": _int,
    "bool": _bool,
    "json": _json,
    "tolower": _case(upper=False),
    "toupper": _case(upper=True),
    "replace": _replace,
    "substring": _substring,
    "length": _length,
    "empty": _empty,
    "contains": _contains,
    "union": _union,
    "shallowmerge": _shallow_merge,
    "intersection": _intersection,
    "createarray": _create_array,
    "createobject": _create_object,
    "array": _array,
    "equals": _equals,
    "not": _not,
    "greater": lambda s, a: _compare(s, a, lambda x, y: x > y),
    "greaterorequals": lambda s, a: _compare(s, a, lambda x, y: x >= y),
    "less": lambda s, a: _compare(s, a, lambda x, y: x < y),
    "lessorequals": lambda s, a: _compare(s, a, lambda x, y: x <= y),
    "coalesce": _coalesce,
    "first": _first_last(last=False),
    "last": _first_last(last=True),
    "take": _take_skip(take=True),
    "skip": _take_skip(take=False),
    "split": _split,
    "join": _join,
    "range": _range,
    "uniquestring": _hash_function(unique_string),
    "guid": _hash_function(arm_guid),
    "resourceid": _resource_id,
    "subscriptionresourceid": _subscription_resource_id,
    "tenantresourceid": _tenant_resource_id,
    "extensionresourceid": _extension_resource_id,
    "tryget": _try_get,
    "items": _items,
    "objectkeys": _object_keys,
    "filter": _filter,
    "map": _map,
    "reduce": _reduce,
    "sort": _sort,
    "toobject": _to_object,
    "mapvalues": _map_values,
    "groupby": _group_by,
    "add": _arith(lambda a, b: a + b, "add"),
    "sub": _arith(lambda a, b: a - b, "sub"),
    "mul": _arith(lambda a, b: a * b, "mul"),
    "div": _arith(_div, "div"),
    "mod": _arith(_mod, "mod"),
    "min": _min_max(min),
    "max": _min_max(max),
    "true": lambda s, a: True,
    "false": lambda s, a: False,
    "null": lambda s, a: None,
    "startswith": _string_test(lambda a, b: a.lower().startswith(b.lower())),
    "endswith": _string_test(lambda a, b: a.lower().endswith(b.lower())),
    "indexof": _index_of(last=False),
    "lastindexof": _index_of(last=True),
    "trim": _trim,
    "padleft": _pad_left,
    "base64": _base64,
    "base64tostring": _base64_to_string,
    "flatten": _flatten,
    "fail": _fail,
    "indexfromend": _index_from_end(safe=False),
    "tryindexfromend": _index_from_end(safe=True),
    **CIDR_FUNCTIONS,
    **URI_FUNCTIONS,
    **DATE_FUNCTIONS,
}
"""The shared functions by lower-case name (template function names are case-insensitive)."""
