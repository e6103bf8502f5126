"""One paged ARM listing, read as the REST API returns it (``value`` and ``nextLink``).

The resource-provider listings a live scan makes itself (an account's
deployments, an Azure ML workspace's endpoints) go through the SDK's pipeline
(its credential, retry, host-pinning and call-counting policies:
``send_request``) and keep the JSON Azure sent: rules see the document, with
fields newer than any SDK, and no SDK models are built and serialised back.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from azure.core.rest import HttpRequest

from aigov.live.client import ClientFactory, send_json
from aigov.live.guard import walk


def split_resource_id(resource_id: str, collection: str, what: str) -> tuple[str, str, str]:
    """``(subscription, resource group, name)`` of an id whose name follows ``collection`` (case kept).

    ``collection`` is the resource type's last segment (``accounts``, ``workspaces``); ``what`` names
    the kind of id in the ``ValueError`` an id of another shape raises.
    """
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    try:
        sub = parts[lowered.index("subscriptions") + 1]
        group = parts[lowered.index("resourcegroups") + 1]
        name = parts[lowered.index(collection) + 1]
    except (ValueError, IndexError):
        raise ValueError(f"not {what} id: {resource_id}") from None
    return sub, group, name


def provider_path(subscription: str, group: str, namespace: str, *segments: str) -> str:
    """``/subscriptions/{s}/resourceGroups/{g}/providers/{namespace}/{segments...}``, each part quoted."""
    head = ("subscriptions", subscription, "resourceGroups", group, "providers")
    return "/" + "/".join(
        [*(quote(p, safe="") for p in head), namespace, *(quote(s, safe="") for s in segments)]
    )


def list_documents(clients: ClientFactory, path: str, api_version: str, what: str) -> list[dict[str, Any]]:
    """Every item of the listing at ``path`` (an ARM path), following ``nextLink`` to the last page.

    ``what`` names the items in the error a page of the wrong shape raises.
    Raises the SDK's errors, or a :class:`~aigov.live.guard.LiveCallError`
    when the pages repeat, do not end, leave the ARM endpoint or cannot be read.
    """
    client = clients.raw()
    request = HttpRequest("GET", path, params={"api-version": api_version})
    out: list[dict[str, Any]] = []
    with walk(clients.retry.max_pages):
        while True:
            page: Any = send_json(client, request)
            items = page.get("value") if isinstance(page, dict) else None
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise ValueError(f"a {what} page has no list of {what} under 'value'")
            out.extend(items)
            next_link = page.get("nextLink")
            if not next_link:
                return out
            request = HttpRequest("GET", str(next_link))
