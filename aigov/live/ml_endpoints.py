"""The model endpoints of one Azure ML workspace: online deployments and serverless endpoints.

Self-hosted models run as online deployments (``onlineEndpoints/{endpoint}/deployments``:
instances of a VM size, billed by the hour when the endpoint is managed), and
third-party models as serverless endpoints (``serverlessEndpoints``: pay per
token through the marketplace). Resource Graph is not where their documents
are read: like an account's deployments, they come from the resource
provider as the REST API returns them (:mod:`aigov.live.listing`), per
workspace: one paged call for its online endpoints, one per endpoint for its
deployments, one for its serverless endpoints. Every workspace kind is read
(``Default``, a Foundry ``Hub`` or ``Project``): serverless endpoints may be
deployed in a hub as well as in a project.

An online deployment's parent is its workspace, not its endpoint: the
endpoint itself is not a type aigov evaluates or prices, and is in no
inventory (templates and plans drop it too), so the workspace is the nearest
ancestor whose region, tags and owner the deployment inherits. Its cost is
its own (instances x the instance type's hourly price x 730 h when
``endpointComputeType`` is ``Managed``; a Kubernetes deployment runs on the
user's cluster); the workspace's cost is the sum of its computes, online
deployments and serverless endpoints.
"""

from __future__ import annotations

from typing import Final

from aigov.live.client import ClientFactory
from aigov.live.guard import UnreadablePageError
from aigov.live.listing import list_documents, provider_path, split_resource_id
from aigov.live.mapping import to_resource
from aigov.model import Resource

API_VERSION: Final = "2024-10-01"
"""OnlineEndpoints - List, OnlineDeployments - List and ServerlessEndpoints - List: a GA version of
the Microsoft.MachineLearningServices REST API that has all three (azure-rest-api-specs,
specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2024-10-01:
``value`` and ``nextLink`` pages; an online deployment's ``sku.capacity``, ``properties.instanceType``,
``properties.model`` and ``properties.endpointComputeType``; a serverless endpoint's
``properties.modelSettings.modelId``, which 2024-04-01 does not return)."""

NAMESPACE: Final = "Microsoft.MachineLearningServices"


def split_workspace_id(workspace_id: str) -> tuple[str, str, str]:
    """``(subscription, resource group, workspace name)`` of a workspace id (case kept)."""
    return split_resource_id(workspace_id, "workspaces", "an Azure ML workspace")


def list_online_deployments(clients: ClientFactory, workspace: Resource) -> list[Resource]:
    """Every deployment of every online endpoint of ``workspace``, each a live resource whose parent is it.

    Raises the SDK's errors, or a :class:`~aigov.live.guard.LiveCallError` when
    a listing's pages repeat, do not end, leave the ARM endpoint or cannot be read.
    """
    subscription, group, name = split_workspace_id(workspace.address)
    base = ("workspaces", name, "onlineEndpoints")
    endpoints = list_documents(
        clients, provider_path(subscription, group, NAMESPACE, *base), API_VERSION, "online endpoints"
    )
    out: list[Resource] = []
    for endpoint in endpoints:
        # A child's ARM name may be written "workspace/endpoint"; the path takes the leaf.
        endpoint_name = endpoint.get("name")
        leaf = endpoint_name.rstrip("/").rsplit("/", 1)[-1] if isinstance(endpoint_name, str) else ""
        if not leaf:
            raise UnreadablePageError(
                f"an online endpoints page lists an endpoint without a name: {endpoint_name!r}"
            )
        path = provider_path(subscription, group, NAMESPACE, *base, leaf, "deployments")
        items = list_documents(clients, path, API_VERSION, "online deployments")
        out.extend(to_resource(item, parent_key=workspace.key) for item in items)
    return out


def list_serverless_endpoints(clients: ClientFactory, workspace: Resource) -> list[Resource]:
    """Every serverless endpoint of ``workspace``, each a live resource whose parent is it.

    Raises as :func:`list_online_deployments` does.
    """
    subscription, group, name = split_workspace_id(workspace.address)
    path = provider_path(subscription, group, NAMESPACE, "workspaces", name, "serverlessEndpoints")
    items = list_documents(clients, path, API_VERSION, "serverless endpoints")
    return [to_resource(item, parent_key=workspace.key) for item in items]
