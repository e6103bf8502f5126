"""A plan holding JSON of the wrong type where a type name belongs skips that entry, never crashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.terraform_plan import TerraformPlanSource

PLAN = Path(__file__).resolve().parents[2] / "fixtures" / "terraform_plan" / "example.json"


def _load(plan: dict[str, Any]) -> int:
    data = json.dumps(plan).encode("utf-8")
    return len(TerraformPlanSource().load(SourceInput.from_bytes("plan.json", data), SourceOptions()))


@pytest.mark.parametrize("value", [[["x"]], {"a": 1}, 5, None, True])
def test_a_resource_change_type_of_any_json_type_is_skipped(value: Any) -> None:
    plan = json.loads(PLAN.read_text(encoding="utf-8"))
    expected = _load(plan)
    plan["resource_changes"].append({"type": value, "address": "x.y", "change": {"actions": ["create"]}})
    assert _load(plan) == expected


@pytest.mark.parametrize("value", [[["x"]], {"a": 1}, 5])
def test_a_configuration_resource_type_of_any_json_type_is_skipped(value: Any) -> None:
    plan = json.loads(PLAN.read_text(encoding="utf-8"))
    expected = _load(plan)
    plan["configuration"]["root_module"]["resources"][0]["type"] = value
    assert _load(plan) == expected
