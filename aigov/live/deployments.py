"""The model deployments of one Cognitive Services account (``deployments.list``).

Resource Graph does not reliably list deployments, so they are read from the
resource provider, one paged call per account. The SDK model is serialised
back to ARM JSON (``serialize(keep_readonly=True)``): rules see the same
document the REST API returns, minus any field newer than the SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aigov.live.client import ClientFactory
from aigov.live.guard import walk
from aigov.live.mapping import to_resource
from aigov.model import Resource


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
    client = clients.cognitive(subscription)
    out = []
    with walk(clients.retry.max_pages):
        for deployment in client.deployments.list(group, name):
            document: Mapping[str, Any] = deployment.serialize(keep_readonly=True)
            out.append(to_resource(document, parent_key=account.key))
    return out
