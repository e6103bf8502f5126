"""The URI and data-URI functions ARM and Bicep share.

Semantics follow the function reference
(https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-string
and the Bicep string functions page):

* ``uri(baseUri, relativeUri)``: a base ending in ``/`` is followed by the
  relative part (one ``/`` where both have one); a base without a path is
  followed by it directly; otherwise the base's last segment is replaced.
* ``uriComponent`` percent-encodes every character but the RFC 3986
  unreserved ones (``A-Z a-z 0-9 - . _ ~``), UTF-8 bytes in upper-case hex;
  ``uriComponentToString`` decodes it.
* ``dataUri(text)`` is ``data:text/plain;charset=utf8;base64,<base64>``;
  ``dataUriToString`` decodes a base64 or percent-encoded data URI.
* ``base64ToJson`` decodes base64 and parses the JSON it holds.
* ``parseUri(uri)`` gives ``scheme``, ``host``, ``port`` (the scheme's
  default when none is written), ``path`` (``/`` at least) and ``query``
  (with its ``?``, or empty); ``buildUri`` joins such an object back into a
  string, leaving out a port that is the scheme's default.
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

from aigov.model import UNKNOWN
from aigov.sources.template_values import (
    Function,
    FunctionError,
    Site,
    any_undetermined,
    arity,
    contains_undetermined,
    is_int,
    lookup,
    need_str,
    opaque_result,
    show,
)

_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}


def _uri(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2)
    if any_undetermined(args):
        return opaque_result(site, args)
    base, relative = need_str(site, args[0]), need_str(site, args[1])
    if base.endswith("/"):
        return base + (relative[1:] if relative.startswith("/") else relative)
    authority_at = base.find("//")
    path_at = base.find("/", authority_at + 2 if authority_at >= 0 else 0)
    if path_at < 0:
        return base + relative
    return base[: base.rindex("/") + 1] + relative


def _uri_component(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        return opaque_result(site, args)
    return urllib.parse.quote(need_str(site, args[0]), safe="")


def _uri_component_to_string(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        return opaque_result(site, args)
    return urllib.parse.unquote(need_str(site, args[0]), errors="strict")


def _data_uri(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        return opaque_result(site, args)
    encoded = base64.b64encode(need_str(site, args[0]).encode("utf-8")).decode()
    return f"data:text/plain;charset=utf8;base64,{encoded}"


def _data_uri_to_string(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        return opaque_result(site, args)
    text = need_str(site, args[0])
    meta, comma, data = text.partition(",")
    if not meta.lower().startswith("data:") or not comma:
        raise FunctionError(f"dataUriToString(): {show(text)} is not a data URI")
    if not meta.lower().endswith(";base64"):
        return urllib.parse.unquote(data)
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise FunctionError(f"dataUriToString(): {show(text)} does not hold base64 text") from None


def _base64_to_json(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        return UNKNOWN
    try:
        return json.loads(base64.b64decode(need_str(site, args[0]), validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
        raise FunctionError(f"base64ToJson(): {show(args[0])} is not base64 of JSON") from None


def _parse_uri(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        return UNKNOWN
    text = need_str(site, args[0])
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:
        raise FunctionError(f"parseUri(): {show(text)} is not an absolute URI") from None
    if not parts.scheme or not parts.netloc or parts.hostname is None:
        raise FunctionError(f"parseUri(): {show(text)} is not an absolute URI")
    scheme = parts.scheme.lower()
    return {
        "scheme": scheme,
        "host": parts.hostname,
        "port": port if port is not None else _DEFAULT_PORTS.get(scheme),
        "path": parts.path or "/",
        "query": f"?{parts.query}" if parts.query else "",
    }


def _build_uri(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    components = args[0]
    if contains_undetermined(components):
        return opaque_result(site, [UNKNOWN] if components is UNKNOWN else args)
    if not isinstance(components, dict):
        raise FunctionError(f"buildUri() needs an object with scheme, host and path, got {show(components)}")
    values: dict[str, Any] = {}
    for key in ("scheme", "host", "port", "path", "query"):
        found, value = lookup(components, key)
        values[key] = value if found else None
    scheme, host = values["scheme"], values["host"]
    if not isinstance(scheme, str) or not scheme or not isinstance(host, str) or not host:
        raise FunctionError("buildUri(): 'scheme' and 'host' must be non-empty strings")
    port = values["port"]
    if port is not None and not is_int(port):
        raise FunctionError(f"buildUri(): 'port' must be an integer or null, got {show(port)}")
    path = values["path"] if isinstance(values["path"], str) else ""
    query = values["query"] if isinstance(values["query"], str) else ""
    authority = host if port is None or port == _DEFAULT_PORTS.get(scheme.lower()) else f"{host}:{port}"
    if path and not path.startswith("/"):
        path = "/" + path
    if query and not query.startswith("?"):
        query = "?" + query
    return f"{scheme}://{authority}{path or '/'}{query}"


FUNCTIONS: Final[Mapping[str, Function]] = {
    "uri": _uri,
    "uricomponent": _uri_component,
    "uricomponenttostring": _uri_component_to_string,
    "datauri": _data_uri,
    "datauritostring": _data_uri_to_string,
    "base64tojson": _base64_to_json,
    "parseuri": _parse_uri,
    "builduri": _build_uri,
}
"""The URI functions by lower-case name."""
