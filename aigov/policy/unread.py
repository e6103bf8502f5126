"""Inputs the deployment would use but aigov could not read, as undetermined findings.

A `*.tf.json` file, a Terraform module not downloaded, an ARM template
linked by URL or a Bicep registry module not restored defines resources aigov
never sees. Passing the scan would say they comply; instead each becomes an
undetermined finding of the built-in rule :data:`UNREAD_RULE_ID`, which fails
the gate by default and only warns with ``--on-unknown warn``, and which
every reporter shows as it shows any finding. A waiver in ``aigov.yaml``
can accept one by this rule id.
"""

from __future__ import annotations

from typing import Final

from aigov.armtypes import TEMPLATE_DEPLOYMENT
from aigov.model import (
    Action,
    CostImpact,
    Finding,
    Inventory,
    Origin,
    Outcome,
    Resource,
    Severity,
    UnreadInput,
)

UNREAD_RULE_ID: Final = "AIGOV-INPUT-001"
"""The rule id of every unread-input finding (for waivers and baselines)."""

UNREAD_TITLE: Final = "Every input the deployment uses is read"
UNREAD_CATEGORY: Final = "input"
UNREAD_REMEDIATION: Final = (
    "Make the input readable offline (terraform init, bicep restore, a local relativePath), "
    "or accept it with a waiver for AIGOV-INPUT-001."
)


def unread_findings(inventory: Inventory) -> list[Finding]:
    """One undetermined finding per input the inventory's source could not read, in the order met."""
    return [_finding(unread) for unread in inventory.unread]


def _finding(unread: UnreadInput) -> Finding:
    # The resources are unknown, so the finding is about the deployment that
    # would create them: the module call, the linked deployment, the file.
    resource = Resource(
        key=unread.address,
        type=TEMPLATE_DEPLOYMENT,
        name=unread.address,
        body={"name": unread.address, "type": TEMPLATE_DEPLOYMENT},
        origin=Origin(unread.source, unread.file, unread.line, unread.address),
        action=Action.DEPLOY,
    )
    return Finding(
        rule_id=UNREAD_RULE_ID,
        title=UNREAD_TITLE,
        category=UNREAD_CATEGORY,
        # What the unread resources would violate is unknown, so the worst case:
        # every --fail-on threshold but `never` fails on it (the gate fails closed).
        severity=Severity.CRITICAL,
        outcome=Outcome.UNDETERMINED,
        message=(
            f"input not read: {unread.reference} ({unread.reason}); the resources it defines are not checked"
        ),
        remediation=UNREAD_REMEDIATION,
        resource=resource,
        cost=CostImpact.unknown(f"the resources {unread.reference} defines are not known"),
        unknown_fields=(unread.reference,),
    )
