"""Choosing rules: --check/--skip-check globs, --no-bundled, and a team rule replacing a bundled id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aigov.cli.main import main
from aigov.errors import AigovError
from aigov.paths import bundled_policies_dir
from aigov.policy.selection import RuleSelection

ROOT = Path(__file__).resolve().parents[2]
PLAN = str(ROOT / "fixtures" / "terraform_plan" / "example.json")
CONFIG = ROOT / "fixtures" / "terraform_plan" / "example.aigov.yaml"
PACK = str(ROOT / "fixtures" / "rules" / "pack")
CLASH = str(ROOT / "fixtures" / "rules" / "clash")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def rule_ids(result: Result) -> set[str]:
    assert result.exit_code in (0, 1), result.output
    return {f["rule_id"] for f in json.loads(result.stdout)["findings"]}


def scan(*args: str, config: Path = CONFIG) -> Result:
    return run("scan", PLAN, "--config", str(config), "--format", "json", *args)


def one_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def test_selection_globs_are_case_insensitive_and_comma_separated() -> None:
    selection = RuleSelection.parse(["aigov-sku-*,AIGOV-TAG-001"], ["AIGOV-SKU-00[57]"])
    assert [
        selection.selects(i) for i in ("AIGOV-SKU-001", "AIGOV-SKU-005", "AIGOV-TAG-001", "AIGOV-ENV-001")
    ] == [
        True,
        False,
        True,
        False,
    ]
    with pytest.raises(AigovError, match="empty rule id"):
        RuleSelection.parse(["AIGOV-SKU-001,"], [])
    with pytest.raises(AigovError, match="--skip-check 'AIGOV-NOPE-\\*' matches no rule"):
        RuleSelection.parse([], ["AIGOV-NOPE-*"]).check_known(["AIGOV-SKU-001"])


def test_check_runs_only_the_rules_named() -> None:
    assert rule_ids(scan("--check", "AIGOV-SKU-*")) == {"AIGOV-SKU-001", "AIGOV-SKU-005", "AIGOV-SKU-007"}
    assert rule_ids(scan("--check", "AIGOV-TAG-001", "--check", "AIGOV-ENV-001")) == {
        "AIGOV-TAG-001",
        "AIGOV-ENV-001",
    }


def test_skip_check_removes_rules_and_can_turn_the_gate_green() -> None:
    everything = rule_ids(scan())
    skipped = rule_ids(scan("--skip-check", "AIGOV-SKU-*,AIGOV-TAG-001"))
    assert skipped == everything - {"AIGOV-SKU-001", "AIGOV-SKU-005", "AIGOV-SKU-007", "AIGOV-TAG-001"}
    all_off = scan("--skip-check", "AIGOV-*")
    assert all_off.exit_code == 0
    assert json.loads(all_off.stdout)["findings"] == []


def test_a_pattern_matching_no_rule_is_one_line() -> None:
    line = one_error(scan("--check", "AIGOV-SKUU-*"))
    assert line == "error: --check 'AIGOV-SKUU-*' matches no rule (see `aigov rules list`)\n"


def test_no_bundled_runs_only_the_team_pack() -> None:
    assert rule_ids(scan("--policies", PACK, "--no-bundled", "--fail-on", "never")) <= {"ACME-LOC-001"}
    with_bundled = rule_ids(scan("--policies", PACK, "--fail-on", "never"))
    assert "AIGOV-SKU-001" in with_bundled


def test_no_bundled_without_policies_is_refused() -> None:
    assert "--no-bundled needs --policies DIR" in one_error(scan("--no-bundled"))


def test_no_bundled_keeps_bundled_ids_known_to_the_config(tmp_path: Path) -> None:
    # The example configuration tunes bundled rules; running only a pack must not call them unknown.
    config = tmp_path / "aigov.yaml"
    config.write_text(CONFIG.read_text() + "rules:\n  AIGOV-TAG-001: {severity: low}\n")
    assert rule_ids(scan("--policies", PACK, "--no-bundled", config=config)) <= {"ACME-LOC-001"}


def test_a_team_rule_with_a_bundled_id_without_the_key_names_both_files_and_the_key() -> None:
    line = one_error(scan("--policies", CLASH))
    assert line.startswith(f"error: {CLASH}/AIGOV-SKU-001.yaml: line 1: $.id: ")
    assert str(bundled_policies_dir() / "sku" / "AIGOV-SKU-001.yaml") in line
    assert "rules.AIGOV-SKU-001.replaces_bundled: true" in line


def test_replaces_bundled_runs_the_team_rule_instead(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    team_rule = (Path(CLASH) / "AIGOV-SKU-001.yaml").read_text()
    (pack / "sku.yaml").write_text(
        team_rule.replace("equals: Standard", "exists: true").replace("uses Standard", "replaced by the team")
    )
    config = tmp_path / "aigov.yaml"
    config.write_text(CONFIG.read_text() + "rules:\n  AIGOV-SKU-001: {replaces_bundled: true}\n")
    result = scan("--policies", str(pack), "--fail-on", "never", config=config)
    assert result.exit_code == 0, result.output
    findings = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "AIGOV-SKU-001"]
    assert findings
    assert all(f["message"].endswith("replaced by the team") for f in findings)
    assert {f["severity"] for f in findings} == {"low"}


def test_no_bundled_lets_a_team_rule_take_a_bundled_id() -> None:
    result = scan("--policies", CLASH, "--no-bundled", "--fail-on", "never")
    assert result.exit_code == 0, result.output
    assert rule_ids(result) <= {"AIGOV-SKU-001"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("AIGOV-SKU-001: {replaces_bundled: true}", "replaces_bundled: no rule under --policies has the id"),
        ("ACME-LOC-001: {replaces_bundled: true}", "replaces_bundled: ACME-LOC-001 is not a bundled rule"),
        ("AIGOV-SKU-001: {replaces_bundled: yes please}", "'yes please' is not of type 'boolean'"),
    ],
)
def test_replaces_bundled_errors_name_file_line_and_key(tmp_path: Path, entry: str, message: str) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text(f"workload_tag: workload\nrules:\n  {entry}\n")
    line = one_error(scan("--policies", PACK, config=config))
    assert line.startswith(f"error: {config}: line 3: $.rules.")
    assert message in line
