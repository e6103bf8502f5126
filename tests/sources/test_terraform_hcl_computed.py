"""Terraform attributes the provider computes are unknown when the configuration reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigov.errors import SourceError
from aigov.model import UNKNOWN
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.terraform_hcl import TerraformHclSource

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "terraform_hcl" / "computed"


def test_computed_attributes_of_resources_and_nested_blocks_are_unknown() -> None:
    inventory = TerraformHclSource().load(SourceInput.open(str(FIXTURE)), SourceOptions())
    other = inventory.get("azurerm_cognitive_account.other")
    assert other is not None
    assert other.body["tags"] == {
        "principal": UNKNOWN,  # identity[0].principal_id: set by Azure
        "endpoint": UNKNOWN,
        "key": UNKNOWN,
        "idn": "SystemAssigned",  # configured in the block: known
    }


def test_a_block_the_resource_does_not_have_is_still_an_error(tmp_path: Path) -> None:
    account = (
        'resource "azurerm_cognitive_account" "NAME" {\n  name = "NAME"\n  kind = "OpenAI"\n'
        '  sku_name = "S0"\n  location = "eastus"\n  resource_group_name = "rg"\n  BODY\n}\n'
    )
    first = account.replace("NAME", "a").replace("BODY", 'identity {\n    type = "SystemAssigned"\n  }')
    second = account.replace("NAME", "b").replace(
        "BODY", "tags = { x = azurerm_cognitive_account.a.identity[1].type }"
    )
    (tmp_path / "main.tf").write_text(first + second, encoding="utf-8")
    with pytest.raises(SourceError, match="out of range"):
        TerraformHclSource().load(SourceInput.open(str(tmp_path)), SourceOptions())
