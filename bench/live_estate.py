"""A deterministic Azure estate for the live-scan benchmark, in the fake ARM server's shapes.

    estate, facts = generate(subscriptions=200, accounts=2000, deployments=10_000)

Accounts are spread round-robin over the subscriptions. One in ten is a
Speech account (no deployments, so no deployments or metrics call) and one
in twenty an Azure OpenAI account with no deployment yet (a deployments call,
no metrics call); the deployments are spread round-robin over the rest. Of
the deployments, one in twenty is fine-tuned (half of them idle for the whole
look-back) and one in twenty is provisioned (half of them under 20 %
utilisation); a share of the accounts lacks the cost tags. One search service
per ten accounts, one non-compliant Azure Policy state per fifty accounts.
Nothing is random: the same arguments give the same estate.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "live"))

from fake_arm import Estate

DAYS = 30  # the metrics look-back aigov asks for (metrics.MIN_LOOKBACK_DAYS)
CREATED_AT = "2025-01-06T09:00:00Z"  # old enough that idle days are not capped by age
LOCATIONS = ("eastus", "westeurope", "swedencentral", "eastus2")
ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"
POLICY_DEFINITION = "0725b4dd-7e76-479c-a735-68e7ee23d5ca"
BATCH = 50  # accounts of one subscription and region per metrics:getBatch call


@dataclass(frozen=True)
class EstateFacts:
    """What the estate holds, for checking the scan's calls against."""

    subscriptions: int
    accounts: int
    accounts_listed: int  # accounts whose deployments are read (OpenAI / AI Services kinds)
    accounts_with_deployments: int
    deployments: int
    fine_tuned: int
    fine_tuned_idle: int
    provisioned: int
    provisioned_low: int
    graph_rows: int
    subscriptions_with_ai: int
    metrics_floor: int  # sum over subscription-regions of ceil(accounts with deployments / 50)
    kinds_with_deployments: int  # account kinds whose metric definitions are read (one call each)


def subscription_id(index: int) -> str:
    return f"00000000-0000-0000-0001-{index:012d}"


def generate(*, subscriptions: int, accounts: int, deployments: int) -> tuple[Estate, EstateFacts]:
    """The estate and its facts. Raises ``ValueError`` when the sizes cannot be laid out."""
    if subscriptions < 1 or accounts < 1 or deployments < 0:
        raise ValueError("need at least one subscription and one account")
    subs = [_subscription(i) for i in range(subscriptions)]
    rows: list[dict[str, Any]] = []
    hosts: list[str] = []  # account ids that get deployments, in order
    listed = 0
    for a in range(accounts):
        sub = subscription_id(a % subscriptions)
        kind = "SpeechServices" if a % 10 == 9 else ("AIServices" if a % 3 == 0 else "OpenAI")
        row = _account(a, sub, kind)
        rows.append(row)
        if kind != "SpeechServices":
            listed += 1
            if a % 20 != 4:  # one in twenty OpenAI accounts has no deployment yet
                hosts.append(row["id"])
        if a % 10 == 0:
            rows.append(_search(a, sub))
    if deployments and not hosts:
        raise ValueError("no account can hold the deployments")

    by_account: dict[str, list[dict[str, Any]]] = {account.lower(): [] for account in hosts}
    metrics: dict[str, dict[str, dict[str, list[float]]]] = {}
    counts = {"fine_tuned": 0, "fine_tuned_idle": 0, "provisioned": 0, "provisioned_low": 0}
    for d in range(deployments):
        account = hosts[d % len(hosts)]
        deployment, series, adds_to = _deployment(d, account)
        by_account[account.lower()].append(deployment)
        if series:
            metrics.setdefault(account.lower(), {})[deployment["name"]] = series
        for key in adds_to:
            counts[key] += 1

    policy = [_policy_state(rows, a) for a in range(0, accounts, 50)]
    groups: dict[tuple[str, str], int] = {}
    kinds: set[str] = set()
    for row in rows:
        if by_account.get(row["id"].lower()):
            key = (row["subscriptionId"], row["location"])
            groups[key] = groups.get(key, 0) + 1
            kinds.add(row["kind"])
    facts = EstateFacts(
        subscriptions=subscriptions,
        accounts=accounts,
        accounts_listed=listed,
        accounts_with_deployments=sum(1 for v in by_account.values() if v),
        deployments=deployments,
        graph_rows=len(rows),
        subscriptions_with_ai=len({r["subscriptionId"] for r in rows}),
        metrics_floor=sum(math.ceil(n / BATCH) for n in groups.values()),
        kinds_with_deployments=len(kinds),
        **counts,
    )
    estate = Estate(
        subscriptions=subs,
        resources=rows,
        deployments=by_account,
        metrics=metrics,
        policy_states=policy,
    )
    return estate, facts


def _subscription(index: int) -> dict[str, Any]:
    sub = subscription_id(index)
    env = "prod" if index % 2 == 0 else "dev"
    return {
        "id": f"/subscriptions/{sub}",
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "tags": {"environment": env, "cost-center": f"CC-{1000 + index}"},
        "subscriptionId": sub,
        "tenantId": "00000000-0000-0000-0000-0000000000f0",
        "displayName": f"corp-ai-{env}-{index:03d}",
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "EnterpriseAgreement_2014-09-01",
            "spendingLimit": "Off",
        },
    }


def _account(index: int, sub: str, kind: str) -> dict[str, Any]:
    name = f"oai-{index:05d}"
    group = f"rg-ai-{index // 10:04d}"
    tags = {"workload": f"app-{index % 37}"}
    if index % 4 != 3:  # a quarter lack the cost tags
        tags.update({"cost-center": f"CC-{1000 + index % 50}", "owner": f"team-{index % 23}"})
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/{group}/providers/{ACCOUNT_TYPE}/{name}",
        "name": name,
        "type": "microsoft.cognitiveservices/accounts",
        "location": LOCATIONS[index % len(LOCATIONS)],
        "kind": kind,
        "sku": {"name": "S0"},
        "tags": tags,
        "properties": {
            "endpoint": f"https://{name}.openai.azure.com/",
            "provisioningState": "Succeeded",
            "customSubDomainName": name,
            "publicNetworkAccess": "Enabled",
            "disableLocalAuth": False,
            "networkAcls": {"defaultAction": "Allow", "ipRules": [], "virtualNetworkRules": []},
        },
        "subscriptionId": sub,
        "resourceGroup": group,
    }


def _search(index: int, sub: str) -> dict[str, Any]:
    name = f"search-{index:05d}"
    group = f"rg-ai-{index // 10:04d}"
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Search/searchServices/{name}",
        "name": name,
        "type": "microsoft.search/searchservices",
        "location": LOCATIONS[index % len(LOCATIONS)],
        "sku": {"name": "standard"},
        "tags": {"workload": f"app-{index % 37}", "cost-center": "CC-1001", "owner": "team-search"},
        "properties": {
            "replicaCount": 1 + index % 3,
            "partitionCount": 1,
            "hostingMode": "default",
            "publicNetworkAccess": "enabled",
            "status": "running",
            "provisioningState": "succeeded",
        },
        "subscriptionId": sub,
        "resourceGroup": group,
    }


def _deployment(index: int, account: str) -> tuple[dict[str, Any], dict[str, list[float]], list[str]]:
    """A deployment, its metrics series (empty: no traffic at all) and which counts it adds to."""
    busy = [float(800 + (index * 7 + day * 13) % 700) for day in range(DAYS)]
    adds_to: list[str] = []
    if index % 20 == 0:
        name, model, sku, capacity = f"ft-{index:05d}", _fine_tuned_model(index), "Standard", 1
        adds_to.append("fine_tuned")
        if index % 40 == 0:
            adds_to.append("fine_tuned_idle")
            series: dict[str, list[float]] = {"requests": [0.0] * DAYS}
        else:
            series = {"requests": [0.0] * (DAYS - 3) + [14.0, 3.0, 22.0]}
    elif index % 20 == 1:
        name, model, sku, capacity = f"ptu-{index:05d}", "gpt-4o", "ProvisionedManaged", 50
        adds_to.append("provisioned")
        low = index % 40 == 1
        if low:
            adds_to.append("provisioned_low")
        level = 6.0 if low else 62.0
        series = {"requests": busy, "utilisation": [level + (day % 3) for day in range(DAYS)]}
    else:
        name, model, sku, capacity = f"chat-{index:05d}", "gpt-4o-mini", "GlobalStandard", 50
        # About 900 prompt and 180 completion tokens a request; one in nine never served a request.
        tokens = {"prompt": [r * 900 for r in busy], "completion": [r * 180 for r in busy]}
        series = {"requests": busy, **tokens} if index % 9 else {}
    deployment = {
        "id": f"{account}/deployments/{name}",
        "name": name,
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "sku": {"name": sku, "capacity": capacity},
        "systemData": {
            "createdBy": "scrubbed",
            "createdByType": "User",
            "createdAt": CREATED_AT,
            "lastModifiedBy": "scrubbed",
            "lastModifiedByType": "User",
            "lastModifiedAt": CREATED_AT,
        },
        "etag": '"00000000-0000-0000-0000-000000000000"',
        "properties": {
            "model": {"format": "OpenAI", "name": model, "version": _version(model)},
            "versionUpgradeOption": "NoAutoUpgrade",
            "currentCapacity": capacity,
            "raiPolicyName": "Microsoft.DefaultV2",
            "provisioningState": "Succeeded",
            "rateLimits": [{"key": "request", "renewalPeriod": 10, "count": capacity}],
        },
    }
    return deployment, series, adds_to


def _fine_tuned_model(index: int) -> str:
    return f"gpt-4o-mini-2024-07-18.ft-{index:032x}"


def _policy_state(rows: list[dict[str, Any]], account_index: int) -> dict[str, Any]:
    account = next(r for r in rows if r["name"] == f"oai-{account_index:05d}")
    sub = account["subscriptionId"]
    return {
        "@odata.context": "",
        "timestamp": "2026-06-01T03:12:44Z",
        "resourceId": account["id"],
        "policyAssignmentId": (
            f"/subscriptions/{sub}/providers/Microsoft.Authorization/policyAssignments/ai-network-baseline"
        ),
        "policyDefinitionId": f"/providers/Microsoft.Authorization/policyDefinitions/{POLICY_DEFINITION}",
        "isCompliant": False,
        "subscriptionId": sub,
        "resourceType": "Microsoft.CognitiveServices/accounts",
        "resourceLocation": account["location"],
        "resourceGroup": account["resourceGroup"],
        "policyAssignmentName": "ai-network-baseline",
        "policyAssignmentScope": f"/subscriptions/{sub}",
        "policyDefinitionName": POLICY_DEFINITION,
        "policyDefinitionAction": "audit",
        "policyDefinitionCategory": "Cognitive Services",
        "complianceState": "NonCompliant",
    }


def _version(model: str) -> str:
    """A version the model is sold in (gpt-4o-mini has only 2024-07-18)."""
    if "ft-" in model:
        return "1"
    return "2024-07-18" if model == "gpt-4o-mini" else "2024-11-20"
