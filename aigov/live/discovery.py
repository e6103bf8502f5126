"""Which subscriptions and AI resources a live scan covers.

Subscriptions (with their tags and display names) come from the
subscriptions API, one paged call for everything the credential can read.
Resources come from one Resource Graph query across many subscriptions (or a
management group), following ``$skipToken`` page by page: the number of calls
grows with the number of pages, not with the number of subscriptions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from aigov.armtypes import ACCOUNT, COMPUTE, SEARCH, WORKSPACE
from aigov.live.client import ClientFactory

PAGE_SIZE: Final = 1000  # Resource Graph's maximum $top
SUBSCRIPTIONS_PER_QUERY: Final = 1000  # Resource Graph's limit on subscriptions in one request

DISCOVERED_TYPES: Final = (ACCOUNT, SEARCH, WORKSPACE, COMPUTE)
"""Types read through Resource Graph; deployments are read per account (see ``deployments.py``)."""

QUERY: Final = (
    "resources\n"
    "| where type in~ ({types})\n"
    "| project id, name, type, location, kind, sku, tags, identity, properties,\n"
    "          subscriptionId, resourceGroup\n"
    "| order by id asc"
).format(types=", ".join(f"'{t.lower()}'" for t in DISCOVERED_TYPES))


@dataclass(frozen=True, slots=True)
class LiveSubscription:
    """A subscription as the subscriptions API describes it."""

    id: str
    display_name: str | None = None
    state: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def list_subscriptions(clients: ClientFactory) -> list[LiveSubscription]:
    """Every subscription the credential can read, with its display name and tags."""
    out = []
    for sub in clients.subscriptions().subscriptions.list():
        data = sub.as_dict()
        sub_id = data.get("subscriptionId")
        if not isinstance(sub_id, str):
            continue
        tags = data.get("tags") or {}
        out.append(
            LiveSubscription(
                id=sub_id,
                display_name=data.get("displayName"),
                state=data.get("state"),
                tags={str(k): str(v) for k, v in tags.items()},
            )
        )
    return out


@dataclass(slots=True)
class GraphResult:
    """The rows of a Resource Graph query and how it went."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    truncated: bool = False


def query_resources(
    clients: ClientFactory,
    *,
    subscriptions: Sequence[str] = (),
    management_groups: Sequence[str] = (),
    query: str = QUERY,
) -> GraphResult:
    """Run ``query`` over the given scopes, every page. Raises the SDK's error if a page fails."""
    graph = clients.resource_graph()
    result = GraphResult()
    for scope in _scopes(subscriptions, management_groups):
        skip_token: str | None = None
        while True:
            request = QueryRequest(
                query=query,
                options=QueryRequestOptions(
                    top=PAGE_SIZE, skip_token=skip_token, result_format="objectArray"
                ),
                **scope,
            )
            response = graph.resources(request)
            result.pages += 1
            data: list[Any] = response.data if isinstance(response.data, list) else []
            result.rows.extend(row for row in data if isinstance(row, dict))
            if str(response.result_truncated).lower() == "true":
                result.truncated = True
            skip_token = response.skip_token
            if not skip_token:
                break
    return result


def _scopes(subscriptions: Sequence[str], management_groups: Sequence[str]) -> Iterator[dict[str, Any]]:
    if management_groups:
        yield {"management_groups": list(management_groups)}
        return
    for start in range(0, len(subscriptions), SUBSCRIPTIONS_PER_QUERY):
        yield {"subscriptions": list(subscriptions[start : start + SUBSCRIPTIONS_PER_QUERY])}
