"""The functions a Bicep file may call by name: ARM's shared ones plus Bicep's own few.

Bicep compiles to ARM, so every function the two languages share is
:mod:`aigov.sources.template_functions` (one implementation, ARM's
semantics: ``uniqueString`` and ``guid`` are ARM's real algorithms). This
module only chooses which of them Bicep exposes and adds what is Bicep's
alone: ``any()`` and the eager ``if()`` function. Functions whose value
exists only at deployment are none of these: the evaluator makes them
UNKNOWN (:func:`~aigov.sources.template_functions.is_runtime`). The
functions that need the file, the syntax or the deployment
(``resourceGroup``, ``subscription``, ``loadJsonContent``,
``loadDirectoryFileInfo``, ``nameof``, ...) live in the evaluator, which
knows them.

Every function follows :mod:`~aigov.sources.template_functions`' calling
convention, ``fn(site, args)``; Bicep lambdas arrive as Python callables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aigov.model import UNKNOWN
from aigov.sources.template_functions import FUNCTIONS as SHARED
from aigov.sources.template_values import Function, FunctionError, Site, equal

_SHARED_IN_BICEP: Final = (
    *("array", "base64", "base64tostring", "bool", "coalesce", "concat", "contains", "createarray"),
    *("createobject", "empty", "endswith", "equals", "extensionresourceid", "filter", "first"),
    *("flatten", "format", "groupby", "guid", "indexof", "int", "intersection", "items", "join"),
    *("json", "last", "lastindexof", "length"),
    *("map", "mapvalues", "max", "min", "not", "objectkeys", "padleft"),
    *("range", "reduce", "replace", "resourceid", "shallowmerge", "skip", "sort", "split"),
    *("startswith", "string", "subscriptionresourceid", "substring", "take", "tenantresourceid"),
    *("toobject", "tolower", "toupper", "trim", "tryget", "union", "uniquestring"),
    *("parsecidr", "cidrsubnet", "cidrhost", "uri", "uricomponent", "uricomponenttostring", "datauri"),
    *("datauritostring", "base64tojson", "parseuri", "builduri", "datetimeadd", "datetimefromepoch"),
    *("datetimetoepoch", "fail"),
)
"""The shared functions Bicep has by name (operators such as ``&&`` and ``+`` stand for the rest)."""


def _any(site: Site, args: list[Any]) -> Any:
    if len(args) != 1:
        raise FunctionError(f"any() takes 1 argument, got {len(args)}")
    return args[0]


def _if(site: Site, args: list[Any]) -> Any:
    if len(args) != 3:
        raise FunctionError(f"if() takes 3 arguments, got {len(args)}")
    condition, then, otherwise = args
    if condition is UNKNOWN:
        return then if equal(then, otherwise) is True else UNKNOWN
    return then if condition is True else otherwise


FUNCTIONS: Final[Mapping[str, Function]] = {
    **{name: SHARED[name] for name in _SHARED_IN_BICEP},
    "any": _any,
    "if": _if,
}
"""Every function by lower-case name (function names are case-insensitive)."""
