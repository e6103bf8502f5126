"""The ARM what-if source: change types, both output shapes, parents, unknowns, errors."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from aigov.cli.main import main
from aigov.errors import SourceError
from aigov.model import UNKNOWN, Action, Inventory
from aigov.sources import detect
from aigov.sources.arm_whatif import ArmWhatIfSource
from aigov.sources.base import SourceInput, SourceOptions

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "arm_whatif"
PROD = "/subscriptions/3f2b8c1e-7d4a-4e59-9b6c-2a8d5f0e1c47/resourceGroups/rg-ai-prod/providers"
ACCOUNT = f"{PROD}/Microsoft.CognitiveServices/accounts/aoai-reports"


def load(name: str, **options: Any) -> Inventory:
    return ArmWhatIfSource().load(SourceInput.open(str(FIXTURES / name)), SourceOptions(**options))


def test_change_types() -> None:
    inventory = load("whatif.json")
    actions = {r.key.rsplit("/", 1)[-1]: r.action for r in inventory}
    assert actions == {
        "aoai-reports": Action.NOOP,
        "reports-ptu": Action.CREATE,
        "chat": Action.UPDATE,
        "srch-reports": Action.DEPLOY,
        "mlw-reports": Action.DEPLOY,
    }  # Delete, Ignore and the storage account are dropped


def test_bodies_parents_and_ids() -> None:
    inventory = load("whatif.json")
    ptu = inventory.get(f"{ACCOUNT}/deployments/reports-ptu")
    assert ptu is not None
    assert ptu.parent_key == ACCOUNT
    assert ptu.name == "reports-ptu"
    assert ptu.subscription_id == "3f2b8c1e-7d4a-4e59-9b6c-2a8d5f0e1c47"
    assert ptu.resource_group == "rg-ai-prod"
    assert ptu.body["sku"] == {"name": "ProvisionedManaged", "capacity": 30}
    assert ptu.body["properties"]["raiPolicyName"] is UNKNOWN  # an unevaluated expression
    assert ptu.origin.line == 3
    assert ptu.api_version == "2025-06-01"
    assert inventory.effective_location(ptu) == "eastus2"
    chat = inventory.get(f"{ACCOUNT}/deployments/chat")
    assert chat is not None
    assert chat.body["sku"]["name"] == "GlobalStandard"  # the after state
    workspace = inventory.get(f"{PROD}/Microsoft.MachineLearningServices/workspaces/mlw-reports")
    assert workspace is not None
    assert workspace.body["sku"] is UNKNOWN
    assert any("cannot predict" in w for w in inventory.warnings)


def test_rest_shape() -> None:
    inventory = load("whatif_rest.json")
    assert [r.name for r in inventory] == ["aoai-dev", "gpt"]
    assert inventory.resources[1].parent_key == inventory.resources[0].key


def test_cli_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no aigov.yaml: the bundled defaults
    result = CliRunner().invoke(main, ["scan", str(FIXTURES / "whatif.json"), "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    ptu = [f for f in report["findings"] if f["rule_id"] == "AIGOV-SKU-001"]
    assert [f["cost"]["monthly_usd"] for f in ptu] == [43800.0]  # 30 PTU x 2.00 $/h x 730 h, eastus2


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("failed.json", None, "the what-if operation failed: Deployment template validation failed"),
        ("x.json", '{"status": "Succeeded", "changes": {}}', "no 'changes' array"),
        (
            "x.json",
            '{"status": "Succeeded", "changes": [{"resourceId": "x", "changeType": "Create"}]}',
            "is not a resource id",
        ),
        (
            "x.json",
            '{"status": "Succeeded", "changes": [{"resourceId": "/subscriptions/s/resourceGroups/g/providers'
            '/A.B/c/d", "changeType": "Teleport"}]}',
            "unknown changeType",
        ),
        ("x.json", '{"status": "Succeeded", "changes": [1]}', "a change is not an object"),
    ],
)
def test_errors(name: str, text: str | None, message: str) -> None:
    source_input = (
        SourceInput.open(str(FIXTURES / name))
        if text is None
        else SourceInput.from_bytes(name, text.encode())
    )
    with pytest.raises(SourceError, match=message):
        ArmWhatIfSource().load(source_input, SourceOptions())


def test_detection() -> None:
    assert detect(SourceInput.open(str(FIXTURES / "whatif.json"))) is ArmWhatIfSource
    assert detect(SourceInput.open(str(FIXTURES / "whatif_rest.json"))) is ArmWhatIfSource


_SEED = (FIXTURES / "whatif_rest.json").read_text()


@settings(max_examples=150, deadline=2000)
@given(st.integers(min_value=0, max_value=len(_SEED)), st.text(max_size=20))
def test_fuzz(cut: int, noise: str) -> None:
    for text in (_SEED[:cut], _SEED[:cut] + noise + _SEED[cut:]):
        with contextlib.suppress(SourceError):
            ArmWhatIfSource().load(SourceInput.from_bytes("w.json", text.encode()), SourceOptions())
