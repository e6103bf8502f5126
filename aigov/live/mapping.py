"""ARM JSON, as the live APIs return it, to :class:`aigov.model.Resource`.

A live resource's ``key`` is its resource id folded to lower case: ARM ids
are case-insensitive and the APIs disagree on case (Resource Graph writes
``resourcegroups``, the resource provider ``resourceGroups``), so parents,
usage and history all match whatever API an id came from. ``origin.address``
keeps the id as the API spelt it, for people. Resource Graph writes types in
lower case; they are restored to their canonical spelling.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from aigov.armtypes import (
    ACCOUNT,
    COMPUTE,
    DEPLOYMENT,
    ONLINE_DEPLOYMENT,
    SEARCH,
    SERVERLESS_ENDPOINT,
    WORKSPACE,
)
from aigov.errors import SourceError
from aigov.model import LIVE_SOURCE, Action, Origin, Resource

SOURCE: Final = LIVE_SOURCE


AI_TYPES: Final = (ACCOUNT, DEPLOYMENT, SEARCH, WORKSPACE, COMPUTE, ONLINE_DEPLOYMENT, SERVERLESS_ENDPOINT)
"""The resource types a live scan reads and rules are written for."""

CANONICAL_TYPES: Final = {t.lower(): t for t in AI_TYPES}

# The keys of an ARM document a rule may reach; the rest (Resource Graph's
# bookkeeping columns) stays out of the body.
_BODY_KEYS: Final = (
    "id",
    "name",
    "type",
    "location",
    "kind",
    "sku",
    "tags",
    "identity",
    "properties",
    "systemData",
)

_ID: Final = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)(?:/resourcegroups/(?P<rg>[^/]+))?/providers/", re.IGNORECASE
)


def resource_key(resource_id: str) -> str:
    """The inventory key of a live resource: its id in lower case, without a trailing slash."""
    return resource_id.rstrip("/").lower()


def canonical_type(arm_type: str) -> str:
    """``microsoft.cognitiveservices/accounts`` -> ``Microsoft.CognitiveServices/accounts``."""
    return CANONICAL_TYPES.get(arm_type.lower(), arm_type)


def parent_id(resource_id: str) -> str | None:
    """The id of a child resource's parent (a deployment's account); ``None`` for a top-level one."""
    text = resource_id.rstrip("/")
    at = text.lower().rfind("/providers/")
    if at < 0:
        return None
    head, tail = text[:at], text[at + len("/providers/") :]
    segments = tail.split("/")
    # namespace/type/name[/childType/childName]...: a parent exists from the second pair on.
    if len(segments) < 5:
        return None
    return f"{head}/providers/{'/'.join(segments[:-2])}"


def to_resource(document: Mapping[str, Any], *, parent_key: str | None = None) -> Resource:
    """One ARM document (Resource Graph row or resource-provider JSON) as a live resource.

    Raises :class:`SourceError` when the document has no usable ``id`` or ``type``.
    """
    resource_id = document.get("id")
    arm_type = document.get("type")
    if not isinstance(resource_id, str) or not isinstance(arm_type, str) or not resource_id:
        raise SourceError("a resource without an id or a type", file="azure", where=str(resource_id))
    match = _ID.match(resource_id)
    subscription_id = document.get("subscriptionId") or (match.group("sub") if match else None)
    resource_group = document.get("resourceGroup") or (match.group("rg") if match else None)
    rtype = canonical_type(arm_type)
    name = resource_id.rstrip("/").rsplit("/", 1)[-1]
    body = {k: document[k] for k in _BODY_KEYS if k in document and document[k] is not None}
    body["type"] = rtype
    # A child's ARM name may be written "account/deployment"; rules see the leaf name.
    body["name"] = name
    if parent_key is None:
        parent = parent_id(resource_id)
        parent_key = resource_key(parent) if parent is not None else None
    return Resource(
        key=resource_key(resource_id),
        type=rtype,
        name=name,
        body=body,
        origin=Origin(source=SOURCE, address=resource_id),
        action=Action.LIVE,
        subscription_id=subscription_id if isinstance(subscription_id, str) else None,
        resource_group=resource_group if isinstance(resource_group, str) else None,
        parent_key=parent_key,
    )
