"""The credential a live scan signs its ARM calls with.

``AZURE_ACCESS_TOKEN`` (a bearer token a pipeline already holds, e.g. from
``az account get-access-token``) wins when it is set; otherwise
``DefaultAzureCredential`` (environment, workload identity, managed identity,
Azure CLI, ...). Neither is ever logged.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping
from typing import Any, Final

from azure.core.credentials import AccessToken, TokenCredential

TOKEN_VARIABLE: Final = "AZURE_ACCESS_TOKEN"
SIGN_IN_HINT: Final = (
    "(sign in with `az login`, set AZURE_ACCESS_TOKEN, or set AZURE_TENANT_ID, AZURE_CLIENT_ID "
    "and AZURE_CLIENT_SECRET for a service principal)"
)
_DEFAULT_LIFETIME_S: Final = 3600


class StaticTokenCredential:
    """A :class:`~azure.core.credentials.TokenCredential` that hands out one bearer token it was given.

    Its expiry is read from the token's ``exp`` claim when it is a JWT, else
    assumed to be an hour from now; the token is never refreshed (the
    pipeline that issued it owns its lifetime).
    """

    def __init__(self, token: str) -> None:
        self._token = token.strip()
        self._expires_on = _jwt_expiry(self._token) or int(time.time()) + _DEFAULT_LIFETIME_S

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """The token, whatever the scope: the caller chose it for the ARM endpoint it targets."""
        return AccessToken(self._token, self._expires_on)

    def __repr__(self) -> str:
        return "StaticTokenCredential(<redacted>)"


def _jwt_expiry(token: str) -> int | None:
    """The ``exp`` claim of a JWT, or ``None`` for anything else (the signature is not checked)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return int(exp) if isinstance(exp, int | float) else None


def make_credential(environ: Mapping[str, str] | None = None) -> TokenCredential:
    """``AZURE_ACCESS_TOKEN`` as a static credential when set, else ``DefaultAzureCredential``."""
    env = os.environ if environ is None else environ
    token = env.get(TOKEN_VARIABLE, "").strip()
    if token:
        return StaticTokenCredential(token)
    # Imported here: azure-identity pulls in msal, which a token-only run never needs.
    from azure.identity import DefaultAzureCredential  # noqa: PLC0415

    credential: TokenCredential = DefaultAzureCredential()
    return credential
