"""Which subscriptions and AI resources a live scan covers.

Subscriptions (with their tags and display names) come from the
subscriptions API, one paged call for everything the credential can read.
Resources come from one Resource Graph query across many subscriptions (or a
management group), following ``$skipToken`` page by page: the number of calls
grows with the number of pages, not with the number of subscriptions.

Resource Graph leaves out, without saying so, the subscriptions it cannot
read. A second query (``resourcecontainers``) lists those it does read, so
the scan can name every target it left out; for a management group the
targets are its descendants from the management groups API.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
)
from azure.core.rest import HttpRequest
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from aigov.armtypes import ACCOUNT, COMPUTE, SEARCH, WORKSPACE
from aigov.live.client import ClientFactory, send_json
from aigov.live.guard import walk

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

CONTAINERS_QUERY: Final = (
    "resourcecontainers\n"
    "| where type =~ 'microsoft.resources/subscriptions'\n"
    "| project subscriptionId\n"
    "| order by subscriptionId asc"
)
"""The subscriptions Resource Graph itself can read: one left out is not scanned, whatever the reason."""

MANAGEMENT_GROUPS_API: Final = "2020-05-01"


@dataclass(frozen=True, slots=True)
class LiveSubscription:
    """A subscription as the subscriptions API describes it."""

    id: str
    display_name: str | None = None
    state: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SubscriptionList:
    """The subscriptions listed, and why the listing stopped early (``None``: it did not)."""

    subscriptions: list[LiveSubscription] = field(default_factory=list)
    error: AzureError | None = None


def list_subscriptions(clients: ClientFactory) -> SubscriptionList:
    """Every subscription the credential can read, with its display name and tags.

    A page that fails, repeats or leaves the ARM endpoint stops the listing;
    what was read before it is kept. An authentication failure is raised.
    """
    listed = SubscriptionList()
    try:
        with walk(clients.retry.max_pages):
            for sub in clients.subscriptions().subscriptions.list():
                data = sub.as_dict()
                sub_id = data.get("subscriptionId")
                if not isinstance(sub_id, str):
                    continue
                tags = data.get("tags") or {}
                listed.subscriptions.append(
                    LiveSubscription(
                        id=sub_id,
                        display_name=data.get("displayName"),
                        state=data.get("state"),
                        tags={str(k): str(v) for k, v in tags.items()},
                    )
                )
    except ClientAuthenticationError:
        raise
    except AzureError as exc:
        listed.error = exc
    return listed


def management_group_subscriptions(clients: ClientFactory, management_group: str) -> list[str]:
    """The ids of the subscriptions under ``management_group``, at any depth (its descendants).

    The management groups API, not Resource Graph: it is the list that Resource
    Graph's answer is checked against. Raises the SDK's errors.
    """
    client = clients.subscriptions()
    request = HttpRequest(
        "GET",
        f"/providers/Microsoft.Management/managementGroups/{quote(management_group, safe='')}/descendants",
        params={"api-version": MANAGEMENT_GROUPS_API},
    )
    out: list[str] = []
    with walk(clients.retry.max_pages):
        while True:
            page = send_json(client, request)
            for item in page.get("value") or ():
                kind = str(item.get("type") or "").lower()
                if kind.endswith("/subscriptions") and isinstance(item.get("name"), str):
                    out.append(item["name"])
            next_link = page.get("nextLink")
            if not next_link:
                return out
            request = HttpRequest("GET", str(next_link))


@dataclass(frozen=True, slots=True)
class GraphGap:
    """A scope whose Resource Graph answer is incomplete: a page failed (``error``) or it was truncated."""

    subscriptions: tuple[str, ...]
    management_groups: tuple[str, ...]
    error: AzureError | None  # None: Resource Graph marked its answer truncated


@dataclass(slots=True)
class GraphResult:
    """The rows of a Resource Graph query, and the scopes it could not read in full."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    gaps: list[GraphGap] = field(default_factory=list)
    scopes: int = 0  # queries run: one per management-group set or per batch of subscriptions

    @property
    def failed(self) -> bool:
        """True when no scope answered a single page."""
        return self.scopes > 0 and self.pages == 0


def query_resources(
    clients: ClientFactory,
    *,
    subscriptions: Sequence[str] = (),
    management_groups: Sequence[str] = (),
    query: str = QUERY,
) -> GraphResult:
    """Run ``query`` over the given scopes, every page.

    A scope whose page fails (after the retries), repeats, never ends or is
    marked ``resultTruncated`` is a :class:`GraphGap`; the rows read before it
    are kept. An authentication failure is raised.
    """
    graph = clients.resource_graph()
    result = GraphResult()
    for scope in _scopes(subscriptions, management_groups):
        result.scopes += 1
        subs = tuple(scope.get("subscriptions", ()))
        groups = tuple(scope.get("management_groups", ()))
        skip_token: str | None = None
        try:
            with walk(clients.retry.max_pages):
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
                        result.gaps.append(GraphGap(subs, groups, None))
                        break
                    skip_token = response.skip_token
                    if not skip_token:
                        break
        except ClientAuthenticationError:
            raise
        except AzureError as exc:
            result.gaps.append(GraphGap(subs, groups, exc))
    return result


def readable_subscriptions(
    clients: ClientFactory,
    *,
    subscriptions: Sequence[str] = (),
    management_groups: Sequence[str] = (),
) -> tuple[set[str], GraphResult]:
    """The subscriptions (lower case) Resource Graph reads in these scopes, and how the query went."""
    result = query_resources(
        clients, subscriptions=subscriptions, management_groups=management_groups, query=CONTAINERS_QUERY
    )
    found = {str(row["subscriptionId"]).lower() for row in result.rows if row.get("subscriptionId")}
    return found, result


def _scopes(subscriptions: Sequence[str], management_groups: Sequence[str]) -> Iterator[dict[str, Any]]:
    if management_groups:
        yield {"management_groups": list(management_groups)}
        return
    for start in range(0, len(subscriptions), SUBSCRIPTIONS_PER_QUERY):
        yield {"subscriptions": list(subscriptions[start : start + SUBSCRIPTIONS_PER_QUERY])}
