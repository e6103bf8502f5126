"""The model deployments of one Cognitive Services account (``deployments.list``).

Resource Graph does not reliably list deployments, so they are read from the
resource provider, one paged call per account, as the REST API returns them
(``value`` and ``nextLink``), through the SDK's pipeline (its credential,
retry, page-walk and call-counting policies: ``send_request``). Rules see the
document Azure sent, with fields newer than any SDK; building SDK models and
serialising them back cost more CPU than the rest of the scan's reading
(4.7 s for 10,000 deployments, on the workers that wait for the calls).
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from azure.core.rest import HttpRequest

from aigov.live.client import ClientFactory, raise_for_status
from aigov.live.guard import walk
from aigov.live.mapping import to_resource
from aigov.model import Resource

API_VERSION: Final = "2024-10-01"
"""Deployments - List, a GA version of the REST API (Microsoft Learn: AI Services account management)."""


def split_account_id(account_id: str) -> tuple[str, str, str]:
    """``(subscription, resource group, account name)`` of an account id (case kept)."""
    parts = account_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    try:
        sub = parts[lowered.index("subscriptions") + 1]
        group = parts[lowered.index("resourcegroups") + 1]
        name = parts[lowered.index("accounts") + 1]
    except (ValueError, IndexError):
        raise ValueError(f"not a Cognitive Services account id: {account_id}") from None
    return sub, group, name


def list_deployments(clients: ClientFactory, account: Resource) -> list[Resource]:
    """Every deployment of ``account`` as a live resource whose parent is the account.

    Raises the SDK's errors, or a :class:`~aigov.live.guard.LiveCallError` when
    the pages repeat, do not end, leave the ARM endpoint or cannot be read.
    """
    subscription, group, name = split_account_id(account.address)
    client = clients.raw()
    path = "/".join(
        quote(part, safe="") for part in ("subscriptions", subscription, "resourceGroups", group, "providers")
    )
    request = HttpRequest(
        "GET",
        f"/{path}/Microsoft.CognitiveServices/accounts/{quote(name, safe='')}/deployments",
        params={"api-version": API_VERSION},
    )
    out: list[Resource] = []
    with walk(clients.retry.max_pages):
        while True:
            response = client.send_request(request)
            raise_for_status(response)
            page: Any = response.json()
            items = page.get("value") if isinstance(page, dict) else None
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise ValueError("a deployments page has no list of deployments under 'value'")
            out.extend(to_resource(item, parent_key=account.key) for item in items)
            next_link = page.get("nextLink")
            if not next_link:
                return out
            request = HttpRequest("GET", str(next_link))
