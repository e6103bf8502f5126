"""azd's ``${VAR}`` placeholders in a JSON parameters file, and the typing of parameter-file strings.

The Azure Developer CLI substitutes environment variables into
``main.parameters.json`` before it deploys
(https://learn.microsoft.com/azure/developer/azure-developer-cli/manage-environment-variables):
``${NAME}`` is the variable's value, ``${NAME=default}`` (also ``:=``,
``-`` and ``:-``, as in the shell) its value or else ``default``. aigov
reads the same placeholders from the variables the user passes in
(``--env NAME``, :attr:`~aigov.sources.base.SourceOptions.environment`), never
from the whole environment: a pull request could otherwise name a runner's
secret (``${GITHUB_TOKEN}``) and have it printed in a finding. One whose
variable is not passed in and has no default is UNKNOWN: the value exists only where azd
runs, so a rule that needs it is undetermined and nothing is guessed (an
empty string would fail ``@allowed`` checks that pass at deployment).

Substitution is text, so ``"${CAPACITY=80}"`` is the string ``"80"``; ARM
binds such a string to an ``int`` or ``bool`` parameter as the number or
boolean it spells, which :func:`typed` does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from aigov.model import UNKNOWN

_PLACEHOLDER: Final = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}")
_INTEGER: Final = re.compile(r"[+-]?\d+")


def substitute(value: Any, env: Mapping[str, str]) -> Any:
    """``value`` with every ``${VAR}`` in its strings replaced from ``env``; UNKNOWN where one is not set."""
    if isinstance(value, str):
        return _substitute_text(value, env)
    if isinstance(value, list):
        return [substitute(v, env) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, env) for k, v in value.items()}
    return value


def _substitute_text(text: str, env: Mapping[str, str]) -> Any:
    if "${" not in text:
        return text
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        name, operator, default = match.groups()
        current = env.get(name)
        if operator is not None and (current is None or (operator.startswith(":") and current == "")):
            return default
        if current is None:
            unknown = True
            return ""
        return current

    result = _PLACEHOLDER.sub(replace, text)
    return UNKNOWN if unknown else result


def typed(value: Any, kind: object) -> Any:
    """A parameter-file string bound to a parameter of type ``kind`` (``int``, ``bool``) as ARM binds it."""
    if not isinstance(value, str) or not isinstance(kind, str):
        return value
    lowered = kind.lower()
    text = value.strip()
    if lowered == "int" and _INTEGER.fullmatch(text):
        return int(text)
    if lowered == "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return value
