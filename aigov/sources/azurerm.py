"""Terraform ``azurerm`` and ``azapi`` resources mapped to ARM resource bodies.

The mapping works on a resource's Terraform attribute values as a plain
mapping (nested blocks as lists of mappings, as in a plan's ``after``), with
:data:`~aigov.model.UNKNOWN` wherever a value is known only after apply. It
knows nothing about plans, so a Terraform HCL source can reuse it.

:data:`TERRAFORM_TYPES` is the table: Terraform type -> ARM type, the
function building the ARM body and the attribute holding the parent's id.
Values that are unknown stay unknown in the body: a rule on them must come
out undetermined, never compliant.

=========================================  ===================================================
Terraform type                             ARM type
=========================================  ===================================================
azurerm_cognitive_account                  Microsoft.CognitiveServices/accounts
azurerm_ai_services (4.x, gone in 5.0)     Microsoft.CognitiveServices/accounts, kind AIServices
azurerm_cognitive_deployment               Microsoft.CognitiveServices/accounts/deployments
azurerm_search_service                     Microsoft.Search/searchServices
azurerm_machine_learning_workspace         Microsoft.MachineLearningServices/workspaces
azurerm_machine_learning_compute_cluster   Microsoft.MachineLearningServices/workspaces/computes
azurerm_machine_learning_compute_instance  Microsoft.MachineLearningServices/workspaces/computes
azapi_resource (type ``<ARM type>@<api>``)  any ARM type in :data:`ARM_TYPES`
=========================================  ===================================================
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeVar

from aigov.armtypes import ACCOUNT, ARM_TYPES, COMPUTE, DEPLOYMENT, ONLINE_DEPLOYMENT, SEARCH, WORKSPACE
from aigov.model import UNKNOWN

# ARM child resources without a region of their own: billed in their parent's.
_LOCATIONLESS: Final = frozenset({DEPLOYMENT})
# Types whose body has a top-level ``kind`` that a wholly unknown azapi body leaves unknown.
_KINDED: Final = frozenset({ACCOUNT, WORKSPACE, ONLINE_DEPLOYMENT})


class MappingError(Exception):
    """The resource's attributes cannot be mapped (e.g. an azapi body that is not JSON)."""


@dataclass(frozen=True, slots=True)
class Mapped:
    """A Terraform resource in ARM terms."""

    arm_type: str
    name: Any  # str or UNKNOWN (or None when absent)
    body: dict[str, Any]
    resource_group: Any  # str, UNKNOWN or None
    parent_id: Any  # the parent's ARM id as given: str, UNKNOWN or None (no parent attribute)
    own_id: str | None  # the resource's own ARM id when already known (existing resource)
    api_version: str | None = None


class _Linked(Protocol):
    """A Terraform resource being read, by either Terraform source."""

    @property
    def address(self) -> str: ...

    @property
    def mapped(self) -> Mapped: ...


_L = TypeVar("_L", bound=_Linked)


def address_named_by_id(arm_id: str, by_type_name: Mapping[tuple[str, str], Sequence[_L]]) -> str | None:
    """The address of the resource an ARM id names, matched by type and name (and group when that decides)."""
    parsed = parse_arm_id(arm_id)
    if parsed is None or parsed.type is None or parsed.name is None:
        return None
    candidates = by_type_name.get((parsed.type.lower(), parsed.name.lower()), [])
    if len(candidates) > 1 and parsed.resource_group:
        group = parsed.resource_group.lower()
        candidates = [
            c
            for c in candidates
            if isinstance(c.mapped.resource_group, str) and c.mapped.resource_group.lower() == group
        ]
    return candidates[0].address if len(candidates) == 1 else None


def subscription_along_parents(
    entry: _L,
    by_address: Mapping[str, _L],
    parents: Mapping[str, str],
    provider_subscription: Callable[[_L], Any],
) -> Any:
    """The subscription a Terraform resource lives in, walking up its parents.

    An id already known names where the resource lives; else the provider
    block that creates it; else its parent's (a deployment lives in its
    account's subscription whatever provider created it). None when nothing
    says; UNKNOWN when a provider's subscription is known only at apply.
    """
    seen: set[str] = set()
    current: _L | None = entry
    while current is not None and current.address not in seen:
        seen.add(current.address)
        for known in (current.mapped.own_id, current.mapped.parent_id):
            if isinstance(known, str):
                parsed = parse_arm_id(known)
                if parsed and parsed.subscription:
                    return parsed.subscription
        provided = provider_subscription(current)
        if provided is not None and provided != "":
            return provided
        parent_key = parents.get(current.address)
        current = by_address.get(parent_key) if parent_key else None
    return None


@dataclass(frozen=True, slots=True)
class TerraformMapping:
    """How one Terraform resource type becomes an ARM resource."""

    build: Callable[[Mapping[str, Any], frozenset[str] | None], Mapped | None]
    parent_attribute: str | None  # the attribute holding the parent's id, for linking via configuration


@dataclass(frozen=True, slots=True)
class ArmId:
    """The parts of an ARM resource id."""

    subscription: str | None
    resource_group: str | None
    type: str | None  # e.g. Microsoft.CognitiveServices/accounts, None for a subscription or group id
    name: str | None


def parse_arm_id(value: str) -> ArmId | None:
    """Split ``/subscriptions/S/resourceGroups/G/providers/NS/T1/N1/T2/N2`` into its parts.

    Returns None when ``value`` is not an ARM id.
    """
    parts = value.strip("/").split("/")
    if len(parts) < 2 or parts[0].lower() != "subscriptions":
        return None
    subscription = parts[1] or None
    group: str | None = None
    rest = parts[2:]
    if len(rest) >= 2 and rest[0].lower() == "resourcegroups":
        group = rest[1] or None
        rest = rest[2:]
    if len(rest) >= 4 and rest[0].lower() == "providers" and len(rest) % 2 == 0:
        namespace, pairs = rest[1], rest[2:]
        types = pairs[0::2]
        names = pairs[1::2]
        return ArmId(subscription, group, "/".join([namespace, *types]), names[-1])
    return ArmId(subscription, group, None, None)


# --------------------------------------------------------------------------- helpers


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` unless the value is absent (None); unknown values are kept."""
    if value is not None:
        target[key] = value


def _put_optional(target: dict[str, Any], key: str, value: Any) -> None:
    """Like :func:`_put`, but an empty string (Terraform's unset optional string) counts as absent."""
    if value is not None and value != "":
        target[key] = value


def _block(values: Mapping[str, Any], name: str) -> Any:
    """The first element of a nested block (a list in plan JSON; a mapping is accepted too).

    Returns the block mapping, UNKNOWN when the whole block is unknown, or None.
    """
    value = values.get(name)
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, list):
        first = value[0] if value else None
        return first if first is UNKNOWN or isinstance(first, Mapping) else None
    return value if isinstance(value, Mapping) else None


def _not(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    return value if value is UNKNOWN else None


def _enabled(value: Any) -> Any:
    """A Terraform boolean as ARM's ``Enabled``/``Disabled`` string."""
    if isinstance(value, bool):
        return "Enabled" if value else "Disabled"
    return value if value is UNKNOWN or isinstance(value, str) else None


def _defaulted(values: Mapping[str, Any], configured: frozenset[str] | None, attr: str, default: Any) -> Any:
    """An attribute whose service default is documented.

    Absent means the default. Unknown but not set in the configuration means
    the provider computes it from the service default, so the default too;
    unknown and configured (``replica_count = var.x`` with ``x`` computed)
    stays unknown.
    """
    value = values.get(attr)
    if value is None:
        return default
    if value is UNKNOWN and configured is not None and attr not in configured:
        return default
    return value


def _own_id(values: Mapping[str, Any]) -> str | None:
    value = values.get("id")
    return value if isinstance(value, str) and value.startswith("/") else None


def _group_of(parent_id: Any) -> Any:
    """The resource group named in a parent id: str, UNKNOWN when the id is unknown, else None."""
    if parent_id is UNKNOWN:
        return UNKNOWN
    if isinstance(parent_id, str):
        parsed = parse_arm_id(parent_id)
        return parsed.resource_group if parsed else None
    return None


def _common(arm_type: str, values: Mapping[str, Any], *, location: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"type": arm_type}
    _put(body, "name", values.get("name"))
    if location:
        _put(body, "location", values.get("location"))
    return body


# --------------------------------------------------------------------------- azurerm


def _cognitive_account(values: Mapping[str, Any], configured: frozenset[str] | None) -> Mapped:
    body = _common(ACCOUNT, values)
    _put(body, "kind", values.get("kind"))
    _put(body, "sku", _sku_name(values.get("sku_name")))
    _put(body, "tags", values.get("tags"))
    props: dict[str, Any] = {}
    _put_optional(props, "customSubDomainName", values.get("custom_subdomain_name"))
    _put(props, "publicNetworkAccess", _enabled(values.get("public_network_access_enabled")))
    _put(props, "disableLocalAuth", _not(values.get("local_auth_enabled")))
    _put(props, "allowProjectManagement", values.get("project_management_enabled"))
    _put(props, "dynamicThrottlingEnabled", values.get("dynamic_throttling_enabled"))
    _put(props, "restrictOutboundNetworkAccess", values.get("outbound_network_access_restricted"))
    body["properties"] = props
    return Mapped(ACCOUNT, values.get("name"), body, values.get("resource_group_name"), None, _own_id(values))


def _ai_services(values: Mapping[str, Any], configured: frozenset[str] | None) -> Mapped:
    # azurerm 4.x only (removed in 5.0): always kind AIServices; its flags are
    # spelled differently from azurerm_cognitive_account's.
    body = _common(ACCOUNT, values)
    body["kind"] = "AIServices"
    _put(body, "sku", _sku_name(values.get("sku_name")))
    _put(body, "tags", values.get("tags"))
    props: dict[str, Any] = {}
    _put_optional(props, "customSubDomainName", values.get("custom_subdomain_name"))
    _put(props, "publicNetworkAccess", _enabled(values.get("public_network_access")))
    _put(props, "disableLocalAuth", _not(values.get("local_authentication_enabled")))
    _put(props, "restrictOutboundNetworkAccess", values.get("outbound_network_access_restricted"))
    body["properties"] = props
    return Mapped(ACCOUNT, values.get("name"), body, values.get("resource_group_name"), None, _own_id(values))


def _sku_name(value: Any) -> Any:
    if value is UNKNOWN:
        return {"name": UNKNOWN}
    return {"name": value} if isinstance(value, str) else None


def _deployment_sku(values: Mapping[str, Any]) -> Any:
    sku = _block(values, "sku")
    if sku is UNKNOWN:
        return UNKNOWN
    if sku is not None:
        out: dict[str, Any] = {}
        _put(out, "name", sku.get("name"))
        _put(out, "capacity", sku.get("capacity"))
        for key in ("tier", "size", "family"):
            _put_optional(out, key, sku.get(key))
        return out
    # azurerm 3.x: the `scale` block, where `type` is the SKU name.
    scale = _block(values, "scale")
    if scale is UNKNOWN:
        return UNKNOWN
    if scale is None:
        return None
    out = {}
    _put(out, "name", scale.get("type"))
    _put(out, "capacity", scale.get("capacity"))
    for key in ("tier", "size", "family"):
        _put_optional(out, key, scale.get(key))
    return out


def _cognitive_deployment(values: Mapping[str, Any], configured: frozenset[str] | None) -> Mapped:
    # A deployment is an ARM child: no location (billed in its account's
    # region) and, in azurerm, no tags argument.
    body = _common(DEPLOYMENT, values, location=False)
    _put(body, "sku", _deployment_sku(values))
    props: dict[str, Any] = {}
    model = _block(values, "model")
    if model is UNKNOWN:
        props["model"] = UNKNOWN
    elif model is not None:
        m: dict[str, Any] = {}
        for key in ("format", "name", "version"):
            _put_optional(m, key, model.get(key))
        props["model"] = m
    _put_optional(props, "raiPolicyName", values.get("rai_policy_name"))
    _put_optional(props, "versionUpgradeOption", values.get("version_upgrade_option"))
    _put(props, "dynamicThrottlingEnabled", values.get("dynamic_throttling_enabled"))
    body["properties"] = props
    parent = values.get("cognitive_account_id")
    return Mapped(DEPLOYMENT, values.get("name"), body, _group_of(parent), parent, _own_id(values))


def _search_service(values: Mapping[str, Any], configured: frozenset[str] | None) -> Mapped:
    body = _common(SEARCH, values)
    _put(body, "sku", _sku_name(values.get("sku")))
    _put(body, "tags", values.get("tags"))
    props: dict[str, Any] = {
        # The service defaults to one replica and one partition when none are
        # given (azurerm leaves them optional); cost is replicas x partitions.
        "replicaCount": _defaulted(values, configured, "replica_count", 1),
        "partitionCount": _defaulted(values, configured, "partition_count", 1),
    }
    _put_optional(props, "hostingMode", values.get("hosting_mode"))
    _put_optional(props, "semanticSearch", values.get("semantic_search_sku"))
    _put(props, "publicNetworkAccess", _enabled(values.get("public_network_access_enabled")))
    _put(props, "disableLocalAuth", _not(values.get("local_authentication_enabled")))
    body["properties"] = props
    return Mapped(SEARCH, values.get("name"), body, values.get("resource_group_name"), None, _own_id(values))


def _ml_workspace(values: Mapping[str, Any], configured: frozenset[str] | None) -> Mapped:
    body = _common(WORKSPACE, values)
    _put_optional(body, "kind", values.get("kind"))
    sku = values.get("sku_name")
    body["sku"] = {"name": sku if sku is UNKNOWN or (isinstance(sku, str) and sku) else "Basic"}
    _put(body, "tags", values.get("tags"))
    props: dict[str, Any] = {}
    _put(props, "publicNetworkAccess", _enabled(values.get("public_network_access_enabled")))
    body["properties"] = props
    return Mapped(
        WORKSPACE, values.get("name"), body, values.get("resource_group_name"), None, _own_id(values)
    )


def _compute(values: Mapping[str, Any], compute_type: str, inner: dict[str, Any], location: Any) -> Mapped:
    body = _common(COMPUTE, values, location=False)
    _put(body, "location", location)
    _put(body, "tags", values.get("tags"))
    props: dict[str, Any] = {"computeType": compute_type}
    _put(props, "computeLocation", location)
    props["properties"] = inner
    body["properties"] = props
    parent = values.get("machine_learning_workspace_id")
    return Mapped(COMPUTE, values.get("name"), body, _group_of(parent), parent, _own_id(values))


def _ml_compute_cluster(values: Mapping[str, Any], configured: frozenset[str] | None) -> Mapped:
    inner: dict[str, Any] = {}
    _put(inner, "vmSize", values.get("vm_size"))
    _put(inner, "vmPriority", values.get("vm_priority"))
    scale = _block(values, "scale_settings")
    if scale is UNKNOWN:
        inner["scaleSettings"] = UNKNOWN
    elif scale is not None:
        settings: dict[str, Any] = {}
        _put(settings, "minNodeCount", scale.get("min_node_count"))
        _put(settings, "maxNodeCount", scale.get("max_node_count"))
        _put_optional(
            settings, "nodeIdleTimeBeforeScaleDown", scale.get("scale_down_nodes_after_idle_duration")
        )
        inner["scaleSettings"] = settings
    return _compute(values, "AmlCompute", inner, values.get("location"))


def _ml_compute_instance(values: Mapping[str, Any], configured: frozenset[str] | None) -> Mapped:
    inner: dict[str, Any] = {}
    _put(inner, "vmSize", values.get("virtual_machine_size"))
    return _compute(values, "ComputeInstance", inner, values.get("location"))


# --------------------------------------------------------------------------- azapi


def split_azapi_type(value: Any) -> tuple[str, str | None] | None:
    """``"Microsoft.X/y@2024-10-01"`` -> (canonical ARM type, api version), for types aigov knows."""
    if not isinstance(value, str):
        return None
    arm_type, _, api_version = value.partition("@")
    canonical = ARM_TYPES.get(arm_type.lower())
    return (canonical, api_version or None) if canonical else None


def _azapi_resource(values: Mapping[str, Any], configured: frozenset[str] | None) -> Mapped | None:
    split = split_azapi_type(values.get("type"))
    if split is None:
        return None
    arm_type, api_version = split
    raw = values.get("body")
    body: dict[str, Any]
    if raw is UNKNOWN:
        # azapi v1 with jsonencode() of anything computed: the whole body is
        # unknown, so is every field a rule could read from it.
        body = {"sku": UNKNOWN, "properties": UNKNOWN}
        if arm_type in _KINDED:
            body["kind"] = UNKNOWN
    elif isinstance(raw, str):  # azapi v1: body = jsonencode({...})
        try:
            decoded = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise MappingError(f"azapi body is not valid JSON: {exc.msg}") from None
        if not isinstance(decoded, dict):
            raise MappingError("azapi body is not a JSON object")
        body = decoded
    elif isinstance(raw, Mapping):  # azapi v2: body is an object
        body = dict(raw)
    elif raw is None:
        body = {}
    else:
        raise MappingError(f"azapi body is a {type(raw).__name__}, expected an object")
    body["type"] = arm_type
    _put(body, "name", values.get("name"))
    if arm_type in _LOCATIONLESS:
        body.pop("location", None)
    else:
        _put_optional(body, "location", values.get("location"))
    tags = values.get("tags")
    if tags is UNKNOWN and configured is not None and "tags" not in configured:
        # azapi computes `tags` when the configuration leaves it out; with no
        # tags configured, none will be set.
        tags = None
    _put(body, "tags", tags)
    parent = values.get("parent_id")
    return Mapped(arm_type, values.get("name"), body, _group_of(parent), parent, _own_id(values), api_version)


# --------------------------------------------------------------------------- the table


TERRAFORM_TYPES: Final[Mapping[str, TerraformMapping]] = {
    "azurerm_cognitive_account": TerraformMapping(_cognitive_account, None),
    "azurerm_ai_services": TerraformMapping(_ai_services, None),
    "azurerm_cognitive_deployment": TerraformMapping(_cognitive_deployment, "cognitive_account_id"),
    "azurerm_search_service": TerraformMapping(_search_service, None),
    "azurerm_machine_learning_workspace": TerraformMapping(_ml_workspace, None),
    "azurerm_machine_learning_compute_cluster": TerraformMapping(
        _ml_compute_cluster, "machine_learning_workspace_id"
    ),
    "azurerm_machine_learning_compute_instance": TerraformMapping(
        _ml_compute_instance, "machine_learning_workspace_id"
    ),
    "azapi_resource": TerraformMapping(_azapi_resource, "parent_id"),
}
"""Every Terraform resource type aigov maps; all others are skipped."""


def map_resource(
    terraform_type: str, values: Mapping[str, Any], configured: frozenset[str] | None = None
) -> Mapped | None:
    """The ARM form of a Terraform resource, or None when aigov does not evaluate its type.

    ``configured`` names the attributes set in the resource's configuration
    block, when known: an unknown attribute the configuration does not set is
    a provider-computed default. Raises :class:`MappingError` for attribute
    values that cannot be read.
    """
    mapping = TERRAFORM_TYPES.get(terraform_type)
    return mapping.build(values, configured) if mapping else None
