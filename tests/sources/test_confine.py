"""Files templates make aigov read stay inside the scan root, are regular, and are bounded (issue 15)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from aigov.cli.main import main as aigov_main
from aigov.errors import SourceError
from aigov.model import Inventory
from aigov.sources.arm import ArmTemplateSource
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.bicep.source import BicepSource
from aigov.sources.confine import FileMissing, FileRefused, ScanRoot
from aigov.sources.terraform_hcl import TerraformHclSource

SECRET = "aigov-test-secret-9f3c1d"

ACCOUNT = """
resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: 'oai-test'
  location: 'eastus'
  kind: 'OpenAI'
  sku: { name: 'S0' }
}
"""


def deployment_named(sku: str) -> str:
    """A template whose deployment's sku.name is the Bicep expression ``sku``."""
    return (
        ACCOUNT
        + f"""
resource gpt 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {{
  parent: account
  name: 'gpt'
  sku: {{ name: {sku}, capacity: 10 }}
  properties: {{ model: {{ format: 'OpenAI', name: 'gpt-4o', version: '2024-11-20' }} }}
}}
"""
    )


def repo(tmp_path: Path) -> Path:
    """A git work tree (a ``.git`` directory is what marks one) holding ``infra/``."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "infra").mkdir()
    return root


def load_bicep(path: Path, **options: object) -> Inventory:
    return BicepSource().load(SourceInput.open(str(path)), SourceOptions(**options))  # type: ignore[arg-type]


def load_arm(path: Path, **options: object) -> Inventory:
    return ArmTemplateSource().load(SourceInput.open(str(path)), SourceOptions(**options))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the root


def test_root_is_the_git_work_tree_else_the_inputs_directory(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "infra" / "main.bicep").write_text("")
    assert ScanRoot.for_input(str(root / "infra" / "main.bicep")).path == os.path.realpath(root)
    assert ScanRoot.for_input(str(root / "infra")).path == os.path.realpath(root)
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "main.bicep").write_text("")
    assert ScanRoot.for_input(str(loose / "main.bicep")).path == os.path.realpath(loose)
    assert ScanRoot.for_input(str(loose / "main.bicep"), str(tmp_path)).path == os.path.realpath(tmp_path)


def test_a_worktree_git_file_marks_a_work_tree_too(tmp_path: Path) -> None:
    (tmp_path / ".git").write_text("gitdir: /elsewhere/.git/worktrees/x\n")
    (tmp_path / "a").mkdir()
    assert ScanRoot.for_input(str(tmp_path / "a")).path == os.path.realpath(tmp_path)


def test_resolve_refuses_escapes_system_trees_and_symlinks_out(tmp_path: Path) -> None:
    root = repo(tmp_path)
    outside = tmp_path / "secret.txt"
    outside.write_text(SECRET)
    (root / "infra" / "link.txt").symlink_to(outside)
    scan_root = ScanRoot.for_input(str(root / "infra"))
    here = str(root / "infra")
    with pytest.raises(FileRefused, match="outside the scan root"):
        scan_root.resolve("../../secret.txt", here)
    with pytest.raises(FileRefused, match="outside the scan root"):
        scan_root.resolve(str(outside), here)  # an absolute path
    with pytest.raises(FileRefused, match="outside the scan root"):
        scan_root.resolve("link.txt", here)  # a symbolic link inside that points out
    with pytest.raises(FileRefused, match="system file"):
        ScanRoot("/").resolve("/proc/self/environ", "/")  # even when the root holds /proc
    with pytest.raises(FileRefused, match="not a valid path"):
        scan_root.resolve("a\x00b", here)
    assert scan_root.resolve("../infra/./x.txt", here) == os.path.realpath(root / "infra" / "x.txt")


def test_read_refuses_special_and_large_files_and_says_missing(tmp_path: Path) -> None:
    root = repo(tmp_path)
    here = str(root / "infra")
    os.mkfifo(root / "infra" / "pipe")
    (root / "infra" / "big.txt").write_bytes(b"x" * 2049)
    (root / "infra" / "ok.txt").write_bytes(b"hello")
    scan_root = ScanRoot(os.path.realpath(root))
    done = threading.Event()

    def read_fifo() -> None:
        with pytest.raises(FileRefused, match=r"is a FIFO \(named pipe\), not a regular file"):
            scan_root.read("pipe", here, limit=1024)
        done.set()

    reader = threading.Thread(target=read_fifo, daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert done.is_set(), "reading a FIFO blocked"
    with pytest.raises(FileRefused, match="is a directory, not a regular file"):
        scan_root.read(".", here, limit=1024)
    with pytest.raises(FileRefused, match="larger than 2048 bytes"):
        scan_root.read("big.txt", here, limit=2048)
    with pytest.raises(FileMissing, match=r"'nope\.txt' not found"):
        scan_root.read("nope.txt", here, limit=1024)
    assert scan_root.read("ok.txt", here, limit=1024) == (
        os.path.realpath(root / "infra" / "ok.txt"),
        b"hello",
    )


# --------------------------------------------------------------------------- Bicep


@pytest.mark.parametrize(
    "call",
    [
        "loadTextContent('/proc/self/environ')",
        "loadTextContent('../../secret.txt')",
        "loadJsonContent('../../secret.json').name",
        "loadYamlContent('../../secret.json').name",
        "loadFileAsBase64('../../secret.txt')",
    ],
)
def test_bicep_load_functions_read_only_inside_the_root(tmp_path: Path, call: str) -> None:
    root = repo(tmp_path)
    (tmp_path / "secret.txt").write_text(SECRET)
    (tmp_path / "secret.json").write_text(json.dumps({"name": SECRET}))
    template = root / "infra" / "main.bicep"
    template.write_text(deployment_named(call))
    with pytest.raises(SourceError) as caught:
        load_bicep(template)
    message = str(caught.value)
    assert message.startswith(f"{template}: line "), message
    assert "system file" in message or "outside the scan root" in message
    assert SECRET not in message


def test_bicep_load_functions_read_files_of_the_repository(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "shared").mkdir()
    (root / "shared" / "sku.txt").write_text("GlobalStandard")
    template = root / "infra" / "main.bicep"
    template.write_text(deployment_named("loadTextContent('../shared/sku.txt')"))
    gpt = next(r for r in load_bicep(template) if r.type.endswith("/deployments"))
    assert gpt.body["sku"]["name"] == "GlobalStandard"


def test_repo_root_widens_the_root(tmp_path: Path) -> None:
    loose = tmp_path / "infra"
    loose.mkdir()
    (tmp_path / "sku.txt").write_text("Standard")
    template = loose / "main.bicep"
    template.write_text(deployment_named("loadTextContent('../sku.txt')"))
    with pytest.raises(SourceError, match="outside the scan root"):
        load_bicep(template)  # no git work tree: the input's directory
    gpt = next(r for r in load_bicep(template, repo_root=str(tmp_path)) if r.type.endswith("/deployments"))
    assert gpt.body["sku"]["name"] == "Standard"


def test_bicep_load_of_a_fifo_fails_at_once(tmp_path: Path) -> None:
    root = repo(tmp_path)
    os.mkfifo(root / "infra" / "sku.txt")
    template = root / "infra" / "main.bicep"
    template.write_text(deployment_named("loadTextContent('sku.txt')"))
    with pytest.raises(
        SourceError, match=r"loadTextContent\(\): 'sku.txt' is a FIFO \(named pipe\), not a regular file"
    ):
        load_bicep(template)


def test_bicep_module_import_and_using_paths_stay_inside(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (tmp_path / "evil.bicep").write_text(ACCOUNT)
    template = root / "infra" / "main.bicep"
    template.write_text("module m '../../evil.bicep' = {\n  name: 'm'\n}\n")
    with pytest.raises(SourceError, match=r"line 1, column 1: '\.\./\.\./evil\.bicep' resolves to .*outside"):
        load_bicep(template)
    (tmp_path / "evil.bicep").write_text("@export()\nvar sku = 'Standard'\n")
    template.write_text("import { sku } from '../../evil.bicep'\n" + deployment_named("sku"))
    with pytest.raises(SourceError, match="outside the scan root"):
        load_bicep(template)
    params = root / "infra" / "main.bicepparam"
    params.write_text("using '../../evil.bicep'\n")
    with pytest.raises(SourceError, match=r"main\.bicepparam: line 1, column 1: .*outside the scan root"):
        load_bicep(params)


def test_bicep_module_inside_the_repository_is_read(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "modules").mkdir()
    (root / "modules" / "ai.bicep").write_text(ACCOUNT)
    template = root / "infra" / "main.bicep"
    template.write_text("module m '../modules/ai.bicep' = {\n  name: 'm'\n}\n")
    assert [r.type for r in load_bicep(template)] == ["Microsoft.CognitiveServices/accounts"]


# --------------------------------------------------------------------------- ARM


def arm_linking(relative: str) -> str:
    return json.dumps(
        {
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "resources": [
                {
                    "type": "Microsoft.Resources/deployments",
                    "apiVersion": "2022-09-01",
                    "name": "linked",
                    "properties": {"mode": "Incremental", "templateLink": {"relativePath": relative}},
                }
            ],
        },
        indent=2,
    )


def test_arm_linked_template_outside_the_root_is_refused(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (tmp_path / "evil.json").write_text("{}")
    template = root / "infra" / "azuredeploy.json"
    template.write_text(arm_linking("../../evil.json"))
    with pytest.raises(
        SourceError, match=r"azuredeploy\.json: line \d+: linked template: .*outside the scan root"
    ):
        load_arm(template)
    template.write_text(arm_linking("/proc/self/environ"))
    with pytest.raises(SourceError, match="system file"):
        load_arm(template)


def test_arm_linked_fifo_is_refused_and_a_missing_file_is_unread(tmp_path: Path) -> None:
    root = repo(tmp_path)
    os.mkfifo(root / "infra" / "pipe.json")
    template = root / "infra" / "azuredeploy.json"
    template.write_text(arm_linking("pipe.json"))
    with pytest.raises(SourceError, match=r"'pipe\.json' is a FIFO \(named pipe\), not a regular file"):
        load_arm(template)
    template.write_text(arm_linking("absent.json"))
    (unread,) = load_arm(template).unread
    assert (unread.reference, unread.reason) == ("absent.json", "nested deployment 'linked': no such file")


# --------------------------------------------------------------------------- end to end


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "markdown", "github", "junit"])
def test_a_pull_request_cannot_put_the_runners_environment_in_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setenv("AIGOV_TEST_TOKEN", SECRET)
    root = repo(tmp_path)
    template = root / "infra" / "main.bicep"
    template.write_text(deployment_named("loadTextContent('/proc/self/environ')"))
    result = CliRunner().invoke(aigov_main, ["scan", str(template), "--format", fmt], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "system file" in result.stderr
    assert SECRET not in result.stderr


def test_values_from_the_input_are_short_escaped_excerpts_in_messages(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "infra" / "sku.txt").write_text("Provisioned" + "X" * 5000 + "\n::error::forged")
    template = root / "infra" / "main.bicep"
    template.write_text(deployment_named("loadTextContent('sku.txt')"))
    result = CliRunner().invoke(
        aigov_main, ["scan", str(template), "--format", "json"], catch_exceptions=False
    )
    report = json.loads(result.stdout)
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "AIGOV-SKU-001"]
    assert "\n" not in finding["message"]
    assert "X" * 200 not in finding["message"]
    assert "ProvisionedXXX" in finding["message"]
    assert "…" in finding["message"]


# --------------------------------------------------------------------------- Terraform


def test_terraform_local_module_outside_the_root_is_refused(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "main.tf").write_text("")
    (root / "modules" / "ai").mkdir(parents=True)
    (root / "modules" / "ai" / "main.tf").write_text("")
    infra = root / "infra"
    (infra / "main.tf").write_text('module "ai" {\n  source = "../modules/ai"\n}\n')
    TerraformHclSource().load(SourceInput.open(str(infra)), SourceOptions())  # inside: read
    (infra / "main.tf").write_text('module "evil" {\n  source = "../../evil"\n}\n')
    with pytest.raises(
        SourceError, match=r"main\.tf: line 1: module\.evil: module source '\.\./\.\./evil' resolves"
    ):
        TerraformHclSource().load(SourceInput.open(str(infra)), SourceOptions())


def test_bicep_directory_listing_stays_inside(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "infra" / "prompts").mkdir()
    (root / "infra" / "prompts" / "a.txt").write_text("x")
    template = root / "infra" / "main.bicep"
    template.write_text(deployment_named("string(length(loadDirectoryFileInfo('../..')))"))
    with pytest.raises(SourceError, match=r"loadDirectoryFileInfo\(\): '\.\./\.\.' resolves to .*outside"):
        load_bicep(template)
    template.write_text(
        "var files = loadDirectoryFileInfo('prompts')\n" + deployment_named("files[0].baseName")
    )
    gpt = next(r for r in load_bicep(template) if r.type.endswith("/deployments"))
    assert gpt.body["sku"]["name"] == "a.txt"
