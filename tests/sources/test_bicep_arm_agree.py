"""A Bicep file and its compiled ARM template give the same resources and values.

Each case is a directory under fixtures/bicep/agree/ with a ``main.bicep`` and
the ``main.json`` the compiler makes of it (written here in the compiler's
shape). Both are read as ``aigov scan`` reads them; what the rules see (the
evaluated resources) and what the estimate bills must be the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.model import UNKNOWN, Action, Inventory
from aigov.sources import load_input
from aigov.sources.base import SourceOptions

AGREE = Path(__file__).resolve().parents[2] / "fixtures" / "bicep" / "agree"
CASES = sorted(p.name for p in AGREE.iterdir() if (p / "main.bicep").is_file())


def inventory(path: Path, subscription: str | None = None) -> Inventory:
    return load_input(str(path), SourceOptions(subscription=subscription))[1]


def evaluated(inv: Inventory) -> list[tuple[str, Any, str, str]]:
    """The resources the rules see, without the keys (symbols in Bicep, type/name in ARM)."""
    rows = [
        (r.type, r.name, r.action.value, json.dumps(r.body, sort_keys=True, default=repr))
        for r in inv
        if r.action.evaluated
    ]
    return sorted(rows, key=repr)


@pytest.mark.parametrize("case", CASES)
def test_bicep_and_compiled_arm_give_the_same_resources(case: str) -> None:
    bicep = evaluated(inventory(AGREE / case / "main.bicep"))
    arm = evaluated(inventory(AGREE / case / "main.json"))
    assert bicep, "the case must deploy something"
    assert bicep == arm


@pytest.mark.parametrize("case", CASES)
def test_bicep_and_compiled_arm_estimates_bill_the_same_resources(case: str) -> None:
    def billed(path: Path) -> list[tuple[str, str, Any]]:
        done = CliRunner().invoke(main, ["estimate", "--format", "json", str(path)])
        assert done.exit_code == 0, done.output
        rows = json.loads(done.stdout)["resources"]
        return sorted((r["type"], r["name"], r["monthly_usd"]) for r in rows)

    assert billed(AGREE / case / "main.bicep") == billed(AGREE / case / "main.json")


def test_existing_resources_are_references_in_both_paths() -> None:
    for path in (AGREE / "existing" / "main.bicep", AGREE / "existing" / "main.json"):
        inv = inventory(path)
        by_type = {r.type: r for r in inv}
        account = by_type["Microsoft.CognitiveServices/accounts"]
        search = by_type["Microsoft.Search/searchServices"]
        chat = by_type["Microsoft.CognitiveServices/accounts/deployments"]
        assert account.action is Action.REFERENCE, path
        assert search.action is Action.REFERENCE, path
        assert not account.action.evaluated
        assert not account.action.billed
        assert account.body["location"] is UNKNOWN  # the deployed resource's, not in the template
        assert chat.action is Action.DEPLOY
        assert chat.parent_key == account.key, path  # the new deployment is linked to the existing account


def test_a_reference_is_not_billed_by_the_estimate() -> None:
    done = CliRunner().invoke(main, ["estimate", "--format", "json", str(AGREE / "existing" / "main.bicep")])
    assert done.exit_code == 0, done.output
    types = [r["type"] for r in json.loads(done.stdout)["resources"]]
    assert types == ["Microsoft.CognitiveServices/accounts/deployments"]  # not the existing search service


def test_scope_functions_have_the_same_properties_in_both_paths() -> None:
    for path in (AGREE / "scope_functions" / "main.bicep", AGREE / "scope_functions" / "main.json"):
        tags = next(iter(inventory(path))).body["tags"]
        assert tags["groupState"] == "Succeeded", path
        assert tags["groupType"] == "Microsoft.Resources/resourceGroups", path
        for unknown in (
            "tenantId",
            "tenantCountry",
            "tenantResourceId",
            "subscriptionResourceId",
            "groupName",
        ):
            assert tags[unknown] is UNKNOWN, (path, unknown)


def test_a_given_subscription_makes_subscription_id_known_in_both_paths() -> None:
    sub = "00000000-0000-0000-0000-000000000001"
    for path in (AGREE / "scope_functions" / "main.bicep", AGREE / "scope_functions" / "main.json"):
        tags = next(iter(inventory(path, subscription=sub))).body["tags"]
        assert tags["subscriptionResourceId"] == f"/subscriptions/{sub}", path
