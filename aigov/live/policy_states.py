"""Native Azure Policy compliance, reported beside aigov's own findings.

The latest non-compliant Policy Insights states of a subscription, for the
AI resource types only (one paged ``policyStates/latest/queryResults`` call
per subscription), become findings marked as Azure Policy's:

* ``rule_id`` is ``azure-policy:<policy definition name>`` (the prefix is the
  marker; the definition name is its GUID for built-ins);
* ``category`` is ``azure-policy``; the policy's own category, effect and
  assignment are in the message;
* ``severity`` is ``info`` unless the scan is told otherwise, so Azure
  Policy's verdicts are reported without failing aigov's gate twice;
* the cost is the resource's own monthly cost, as for ``cost: resource``.

A resource flagged by several assignments of one definition is one finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from azure.mgmt.policyinsights.models import QueryOptions

from aigov.cost.spec import CostEstimator
from aigov.live.client import ClientFactory
from aigov.live.guard import walk
from aigov.live.mapping import AI_TYPES, resource_key, to_resource
from aigov.model import Finding, Inventory, Outcome, Resource, Severity

RULE_PREFIX: Final = "azure-policy:"
CATEGORY: Final = "azure-policy"

FILTER: Final = "ComplianceState eq 'NonCompliant' and ({types})".format(
    types=" or ".join(f"ResourceType eq '{t}'" for t in AI_TYPES)
)


@dataclass(frozen=True, slots=True)
class PolicyState:
    """The fields of a Policy Insights state that a report needs."""

    resource_id: str
    resource_type: str
    resource_location: str | None
    definition_name: str
    definition_category: str | None
    definition_action: str | None
    assignment_name: str | None
    assignment_id: str | None
    timestamp: datetime | None


def list_non_compliant(clients: ClientFactory, subscription_id: str) -> list[PolicyState]:
    """The latest non-compliant states of AI resources in one subscription."""
    client = clients.policy_insights(subscription_id)
    pages = client.policy_states.list_query_results_for_subscription(
        "latest", subscription_id, query_options=QueryOptions(filter=FILTER)
    )
    out = []
    with walk(clients.retry.max_pages):
        for state in pages:
            if not state.resource_id or not state.policy_definition_name:
                continue
            out.append(
                PolicyState(
                    resource_id=state.resource_id,
                    resource_type=state.resource_type or "",
                    resource_location=state.resource_location,
                    definition_name=state.policy_definition_name,
                    definition_category=state.policy_definition_category,
                    definition_action=state.policy_definition_action,
                    assignment_name=state.policy_assignment_name,
                    assignment_id=state.policy_assignment_id,
                    timestamp=state.timestamp,
                )
            )
    return out


def to_findings(
    states: Iterable[PolicyState],
    inventory: Inventory,
    costs: CostEstimator,
    *,
    severity: Severity = Severity.INFO,
) -> list[Finding]:
    """One finding per (definition, resource); resources the scan did not read are built from the state."""
    grouped: dict[tuple[str, str], list[PolicyState]] = {}
    for state in states:
        grouped.setdefault((state.definition_name.lower(), resource_key(state.resource_id)), []).append(state)
    findings = []
    for (_, key), group in sorted(grouped.items()):
        first = group[0]
        resource = inventory.get(key) or _resource_from_state(first)
        assignments = sorted({s.assignment_name or s.assignment_id or "?" for s in group})
        category = f" ({first.definition_category})" if first.definition_category else ""
        effect = f", effect {first.definition_action}" if first.definition_action else ""
        when = f", evaluated {first.timestamp:%Y-%m-%d}" if first.timestamp else ""
        findings.append(
            Finding(
                rule_id=f"{RULE_PREFIX}{first.definition_name}",
                title=f"Azure Policy: non-compliant with policy definition {first.definition_name}",
                category=CATEGORY,
                severity=severity,
                outcome=Outcome.VIOLATION,
                message=(
                    f"Azure Policy reports {resource.name} non-compliant with definition "
                    f"{first.definition_name}{category} in assignment {', '.join(assignments)}{effect}{when}"
                ),
                remediation=(
                    "Bring the resource into line with the Azure Policy assignment, or record an "
                    "exemption in Azure Policy; aigov only reports Azure Policy's verdict."
                ),
                resource=resource,
                cost=costs.monthly_cost(resource, inventory),
            )
        )
    return findings


def _resource_from_state(state: PolicyState) -> Resource:
    document: Mapping[str, Any] = {
        "id": state.resource_id,
        "type": state.resource_type or "unknown",
        **({"location": state.resource_location} if state.resource_location else {}),
    }
    return to_resource(document)
