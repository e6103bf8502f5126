"""The model deployments of one Cognitive Services account (``deployments.list``).

Resource Graph does not reliably list deployments, so they are read from the
resource provider, one paged call per account, as the REST API returns them
(:mod:`aigov.live.listing`). Building SDK models and serialising them back
cost more CPU than the rest of the scan's reading (4.7 s for 10,000
deployments, on the workers that wait for the calls).
"""

from __future__ import annotations

from typing import Final

from aigov.live.client import ClientFactory
from aigov.live.listing import list_documents, provider_path, split_resource_id
from aigov.live.mapping import to_resource
from aigov.model import Resource

API_VERSION: Final = "2024-10-01"
"""Deployments - List, a GA version of the REST API (Microsoft Learn: AI Services account management)."""


def split_account_id(account_id: str) -> tuple[str, str, str]:
    """``(subscription, resource group, account name)`` of an account id (case kept)."""
    return split_resource_id(account_id, "accounts", "a Cognitive Services account")


def list_deployments(clients: ClientFactory, account: Resource) -> list[Resource]:
    """Every deployment of ``account`` as a live resource whose parent is the account.

    Raises the SDK's errors, or a :class:`~aigov.live.guard.LiveCallError` when
    the pages repeat, do not end, leave the ARM endpoint or cannot be read.
    """
    subscription, group, name = split_account_id(account.address)
    path = provider_path(subscription, group, "Microsoft.CognitiveServices", "accounts", name, "deployments")
    items = list_documents(clients, path, API_VERSION, "deployments")
    return [to_resource(item, parent_key=account.key) for item in items]
