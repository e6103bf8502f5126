"""Inline ``aigov:ignore`` comments, and plan enrichment that lets them apply to Terraform plans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.errors import SourceError
from aigov.gate import fails_gate
from aigov.model import Severity
from aigov.scan import ScanOptions
from aigov.sources.tf_locate import enrich_plan_origins
from aigov.suppress import InlineIndex, block_end, parse_directive
from tests.pipeline.conftest import CONFIG, PLAN, one_error_line, run, run_json, scan_example

SEARCH = "module.ai.azurerm_search_service.support"
TUNED = "module.ai.azurerm_cognitive_deployment.tuned"


@pytest.mark.parametrize(
    ("line", "rules", "reason"),
    [
        ("# aigov:ignore AIGOV-SKU-001 reserved capacity", ("AIGOV-SKU-001",), "reserved capacity"),
        ("  // aigov:ignore AIGOV-SKU-001: approved in FIN-1", ("AIGOV-SKU-001",), "approved in FIN-1"),
        ("/* aigov:ignore AIGOV-SKU-001 - approved */", ("AIGOV-SKU-001",), "approved"),
        (
            "sku = 1 # aigov:ignore AIGOV-SKU-001,AIGOV-TAG-001 both",
            ("AIGOV-SKU-001", "AIGOV-TAG-001"),
            "both",
        ),
        ("# aigov:ignore AIGOV-SKU-001", ("AIGOV-SKU-001",), ""),
        ("/* aigov:ignore AIGOV-SKU-001 */", ("AIGOV-SKU-001",), ""),
    ],
)
def test_directives_in_each_comment_style(line: str, rules: tuple[str, ...], reason: str) -> None:
    directive = parse_directive(line, "main.tf", 3)
    assert directive is not None
    assert (directive.rule_ids, directive.reason, directive.origin) == (rules, reason, "main.tf:3")


@pytest.mark.parametrize(
    "line", ["# aigov ignore AIGOV-SKU-001 x", 'name = "aigov:ignore"', "# checkov:skip=CKV_1"]
)
def test_other_text_is_not_a_directive(line: str) -> None:
    assert parse_directive(line, "main.tf", 1) is None


def test_block_end_skips_braces_in_strings_and_comments() -> None:
    lines = [
        'resource "x" "y" {',
        '  name = "a { b"',
        "  # } not this one",
        '  tags = { a = "}" }',
        "}",
        'resource "x" "z" {',
    ]
    assert block_end(lines, 1) == 5


BICEP = """\
// aigov:ignore AIGOV-SKU-001 reserved PTU for the quarter close
resource ptu 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: account
  name: 'reports-ptu'
  sku: { name: 'ProvisionedManaged', capacity: 30 }
}

resource chat 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: account
  // aigov:ignore AIGOV-TAG-001
  name: 'chat'
}
"""


def test_directives_above_and_inside_a_block_apply_to_that_block_only(tmp_path: Path) -> None:
    path = tmp_path / "main.bicep"
    path.write_text(BICEP, encoding="utf-8")
    index = InlineIndex()
    first = index.directives(str(path), 2)
    second = index.directives(str(path), 8)
    assert [(d.rule_ids, d.line) for d in first] == [(("AIGOV-SKU-001",), 1)]
    assert [(d.rule_ids, d.reason) for d in second] == [(("AIGOV-TAG-001",), "")]


def test_unreadable_or_out_of_range_files_have_no_directives(tmp_path: Path) -> None:
    index = InlineIndex()
    assert index.directives(str(tmp_path / "missing.tf"), 1) == []
    path = tmp_path / "a.tf"
    path.write_text('resource "a" "b" {}\n', encoding="utf-8")
    assert index.directives(str(path), 5) == []


def test_plan_enrichment_gives_plan_findings_their_tf_file_and_line() -> None:
    result = scan_example(options=ScanOptions(repo_root=PLAN.parent / "repo"))
    where = {f.resource.address: (f.resource.origin.file, f.resource.origin.line) for f in result.findings}
    repo = PLAN.parent / "repo"
    assert where["azurerm_cognitive_account.reports"] == (str(repo / "main.tf"), 40)
    assert where['azurerm_cognitive_deployment.reports["ptu"]'] == (str(repo / "main.tf"), 51)
    assert where["azurerm_machine_learning_compute_cluster.gpu"] == (str(repo / "ml.tf"), 10)
    assert where[SEARCH] == (str(repo / "modules" / "ai-support" / "main.tf"), 46)
    # Addresses, sources and the evaluated resources themselves are unchanged.
    assert all(f.resource.origin.source == "terraform_plan" for f in result.findings)
    assert {r.address for r in result.resources} == {r.address for r in scan_example().resources}


def test_inline_comments_in_located_blocks_suppress_plan_findings() -> None:
    result = scan_example(options=ScanOptions(repo_root=PLAN.parent / "repo"))
    suppressed = {f.resource.address: f.suppression for f in result.findings if f.suppression is not None}
    assert set(suppressed) == {SEARCH, TUNED}
    search = suppressed[SEARCH]
    assert search is not None
    assert search.kind == "inline"
    assert search.reason == "S3 is needed for the 1 TB index until the split lands (FIN-2301)"
    assert search.origin == f"{PLAN.parent / 'repo' / 'modules' / 'ai-support' / 'main.tf'}:45"
    assert not any(fails_gate(f, Severity.LOW) for f in result.findings if f.resource.address == SEARCH)


def test_a_directive_without_a_reason_is_not_honoured_and_warns() -> None:
    result = scan_example(options=ScanOptions(repo_root=PLAN.parent / "repo"))
    env = [f for f in result.findings if f.rule_id == "AIGOV-ENV-001" and "reports[" in f.resource.address]
    assert env
    assert all(f.suppression is None and fails_gate(f, Severity.LOW) for f in env)
    main_tf = PLAN.parent / "repo" / "main.tf"
    warning = f"{main_tf}:56: aigov:ignore AIGOV-ENV-001 has no reason, so it is not honoured"
    assert sum(1 for w in result.warnings if w.startswith(warning)) == 1


def test_without_repo_root_plan_findings_have_no_line_and_comments_do_not_apply() -> None:
    result = scan_example()
    assert all(f.resource.origin.line is None and f.suppression is None for f in result.findings)


def test_registry_modules_are_not_located_and_the_scan_says_so(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(
        PLAN.read_text(encoding="utf-8").replace('"./modules/ai-support"', '"Azure/avm-ai/azurerm"'),
        encoding="utf-8",
    )
    repo = tmp_path / "repo"
    shutil.copytree(PLAN.parent / "repo", repo)
    _result, report = run_json(plan, "--config", CONFIG, "--repo-root", repo)
    files = {f["resource"]["address"]: f["location"]["file"] for f in report["findings"]}
    assert files[SEARCH] == str(plan)
    assert files["azurerm_cognitive_account.reports"] == str(repo / "main.tf")
    assert any("plan resources not found in the .tf files under" in w for w in report["warnings"])


def test_a_moved_block_keeps_its_fingerprint(repo: Path) -> None:
    main = repo / "main.tf"
    main.write_text("# a new header line\n\n" + main.read_text(encoding="utf-8"), encoding="utf-8")
    before = scan_example(options=ScanOptions(repo_root=PLAN.parent / "repo"))
    after = scan_example(options=ScanOptions(repo_root=repo))
    line = {f.fingerprint: f.resource.origin.line for f in before.findings}
    moved = [f for f in after.findings if f.resource.address == "azurerm_cognitive_account.reports"]
    assert moved
    assert all(f.resource.origin.line == line[f.fingerprint] + 2 for f in moved if f.resource.origin.line)


def test_repo_root_that_is_not_a_directory_is_one_line_and_exit_2(tmp_path: Path) -> None:
    line = one_error_line(run(PLAN, "--config", CONFIG, "--repo-root", tmp_path / "nope"))
    assert "nope" in line
    assert "--repo-root is not a directory" in line


def test_enrichment_of_a_plan_from_stdin_warns_instead_of_reading_it_again() -> None:
    with pytest.raises(SourceError, match="not a directory"):
        enrich_plan_origins([], [], [], PLAN)
    runner = CliRunner()
    args = [
        "scan",
        "-",
        "--config",
        str(CONFIG),
        "--repo-root",
        str(PLAN.parent / "repo"),
        "--format",
        "json",
    ]
    result = runner.invoke(main, args, input=PLAN.read_bytes(), catch_exceptions=False)
    report = json.loads(result.stdout)
    assert "--repo-root: a plan read from standard input is not located in .tf files" in report["warnings"]
    assert {f["location"]["file"] for f in report["findings"]} == {"<stdin>"}
