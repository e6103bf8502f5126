"""The module manifest terraform init writes: installed module directories by call path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aigov.errors import SourceError
from aigov.sources.tf_modules import read_manifest, same_source


def test_no_manifest_before_terraform_init(tmp_path: Path) -> None:
    assert read_manifest(tmp_path, str(tmp_path)) == {}


def test_entries_by_call_path_relative_to_the_root(tmp_path: Path) -> None:
    (tmp_path / ".terraform" / "modules").mkdir(parents=True)
    (tmp_path / ".terraform" / "modules" / "modules.json").write_text(
        json.dumps(
            {
                "Modules": [
                    {"Key": "", "Source": "", "Dir": "."},
                    {"Key": "ai.net", "Source": "git::https://x/net.git", "Dir": ".terraform/modules/ai.net"},
                ]
            }
        )
    )
    installed = read_manifest(tmp_path, "infra")
    assert list(installed) == ["ai.net"]
    assert installed["ai.net"].directory == tmp_path / ".terraform/modules/ai.net"
    assert installed["ai.net"].display == "infra/.terraform/modules/ai.net"


def test_a_fifo_manifest_is_refused_without_blocking(tmp_path: Path) -> None:
    (tmp_path / ".terraform" / "modules").mkdir(parents=True)
    os.mkfifo(tmp_path / ".terraform" / "modules" / "modules.json")
    with pytest.raises(SourceError, match=r"is a FIFO \(named pipe\), not a regular file"):
        read_manifest(tmp_path, str(tmp_path))


@pytest.mark.parametrize(
    ("declared", "installed", "same"),
    [
        ("Azure/avm/azurerm", "registry.terraform.io/Azure/avm/azurerm", True),
        ("git::https://x/y.git?ref=v1", "git::https://x/y.git?ref=v1", True),
        ("Azure/avm/azurerm", "registry.terraform.io/Azure/other/azurerm", False),
        ("git::https://x/y.git?ref=v2", "git::https://x/y.git?ref=v1", False),
    ],
)
def test_same_source_allows_the_registry_host_terraform_records(
    declared: str, installed: str, same: bool
) -> None:
    assert same_source(declared, installed) is same
