"""``aigov rules``: list, explain, validate, new, test and export, in process and once as a real process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aigov.cli.main import main
from aigov.paths import bundled_policies_dir
from aigov.policy.loader import load_rules
from aigov.policy.scaffold import families
from aigov.policy.testing import discover_cases

ROOT = Path(__file__).resolve().parents[2]
RULE_FIXTURES = ROOT / "fixtures" / "rules"
PACK = RULE_FIXTURES / "pack"
CLASH = RULE_FIXTURES / "clash"
INVALID = RULE_FIXTURES / "invalid"
FAILING = RULE_FIXTURES / "failing"
EXAMPLE_PLAN = ROOT / "fixtures" / "terraform_plan" / "example.json"
BUNDLED_IDS = sorted(r.id for r in load_rules([bundled_policies_dir()]))
CLOSING = re.compile(r"^(\d+) passed, (\d+) failed$")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def one_error_line(result: Result) -> str:
    """Failed closed: exit 2, nothing on stdout, exactly one line on stderr, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aigov.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- list


def test_list_table_shows_every_bundled_rule_with_its_columns() -> None:
    result = run("rules", "list")
    assert result.exit_code == 0
    assert result.stderr == ""
    header = result.stdout.splitlines()[1].split()
    assert header == ["id", "family", "severity", "resource", "types", "enabled"]
    rows = {
        line.split()[0]: line.split() for line in result.stdout.splitlines() if line.startswith(" AIGOV-")
    }
    assert sorted(rows) == BUNDLED_IDS
    assert rows["AIGOV-SKU-001"][1:5] == [
        "sku",
        "high",
        "Microsoft.CognitiveServices/accounts/deployments",
        "yes",
    ]
    assert result.stdout.rstrip().endswith(f"{len(BUNDLED_IDS)} rules, {len(BUNDLED_IDS)} enabled")


def test_list_json_applies_config_overrides_and_adds_policy_packs(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "rules:\n  AIGOV-TAG-002: {enabled: false}\n  AIGOV-SKU-004: {severity: critical}\n",
    )
    result = run("rules", "list", "--format", "json", "--config", config, "--policies", PACK)
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert sorted(rows) == sorted([*BUNDLED_IDS, "ACME-LOC-001"])
    assert rows["AIGOV-TAG-002"]["enabled"] is False
    assert rows["AIGOV-SKU-001"]["enabled"] is True
    assert rows["AIGOV-SKU-004"]["severity"] == "critical"
    assert rows["ACME-LOC-001"] == {
        "id": "ACME-LOC-001",
        "title": "Search services run in the approved regions",
        "family": "sku",
        "severity": "low",
        "resource_types": ["Microsoft.Search/searchServices"],
        "enabled": True,
        "file": str(PACK / "sku" / "ACME-LOC-001.yaml"),
    }


def test_list_rejects_a_config_override_for_an_unknown_rule(tmp_path: Path) -> None:
    config = write_config(tmp_path, "rules:\n  AIGOV-NOPE-999: {enabled: false}\n")
    line = one_error_line(run("rules", "list", "--config", config))
    assert line == f"error: {config}: line 2: $.rules.AIGOV-NOPE-999: unknown rule 'AIGOV-NOPE-999'"


# ------------------------------------------------------------------------------------ policy packs (9)


def test_scan_with_a_rule_id_clash_fails_naming_both_files() -> None:
    line = one_error_line(run("scan", EXAMPLE_PLAN, "--policies", CLASH))
    clash_file = CLASH / "AIGOV-SKU-001.yaml"
    bundled_file = bundled_policies_dir() / "sku" / "AIGOV-SKU-001.yaml"
    assert str(clash_file) in line
    assert str(bundled_file) in line
    assert "rule id AIGOV-SKU-001 is also the bundled rule" in line
    assert "rules.AIGOV-SKU-001.replaces_bundled: true" in line


def test_rules_list_with_a_rule_id_clash_fails_too() -> None:
    line = one_error_line(run("rules", "list", "--policies", CLASH))
    assert "rule id AIGOV-SKU-001 is also the bundled rule" in line
    assert str(CLASH / "AIGOV-SKU-001.yaml") in line


def test_scan_policy_pack_adds_its_rules_to_the_bundled_ones() -> None:
    without = run("scan", EXAMPLE_PLAN, "--format", "json", "--fail-on", "never")
    with_pack = run("scan", EXAMPLE_PLAN, "--format", "json", "--fail-on", "never", "--policies", PACK)
    assert without.exit_code == with_pack.exit_code == 0

    def rule_ids(result: Result) -> set[str]:
        return {f["rule_id"] for f in json.loads(result.stdout)["findings"]}

    assert "ACME-LOC-001" not in rule_ids(without)
    assert "ACME-LOC-001" in rule_ids(with_pack)
    assert rule_ids(without) <= rule_ids(with_pack)


# ------------------------------------------------------------------------------------------- explain


def test_explain_prints_every_section_of_a_bundled_rule() -> None:
    result = run("rules", "explain", "AIGOV-SKU-001")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith("AIGOV-SKU-001: Azure OpenAI deployments use an approved deployment type\n")
    for section in (
        "Description",
        "Parameters",
        "Condition (fails when true)",
        "Cost",
        "Message",
        "Remediation",
        "Failing example",
        "Passing example",
        "References",
    ):
        assert f"\n{section}\n" in out, section
    assert (
        '    default: ["Standard", "GlobalStandard", "DataZoneStandard", "GlobalBatch", "DataZoneBatch"]'
        in out
    )
    assert "    field: sku.name\n    notIn:\n      parameter: allowed\n" in out
    assert "delta on sku.name: a finding costs the resource's monthly cost as it is" in out
    assert "sku.capacity PTU x $/PTU/h x 730 h" in out
    failing = out.split("\nFailing example\n")[1].split("\nPassing example\n")[0]
    passing = out.split("\nPassing example\n")[1].split("\nReferences\n")[0]
    assert "AIGOV-SKU-001::regional_provisioned_fails" in failing
    assert "sku: {name: ProvisionedManaged, capacity: 30}" in failing
    assert "AIGOV-SKU-001::global_standard_passes" in passing
    assert "expect: {findings: 0}" in passing
    assert "https://learn.microsoft.com/azure/ai-foundry/openai/how-to/deployment-types" in out


def test_explain_shows_the_effective_parameter_value_from_config(tmp_path: Path) -> None:
    config = write_config(tmp_path, "rules:\n  AIGOV-SKU-003: {parameters: {max_ptu: 20}}\n")
    result = run("rules", "explain", "AIGOV-SKU-003", "--config", config)
    assert result.exit_code == 0, result.output
    assert "    default: 50\n" in result.stdout
    assert f"    effective: 20 (from {config})\n" in result.stdout


def test_explain_without_config_shows_no_effective_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./aigov.yaml here
    result = run("rules", "explain", "AIGOV-SKU-003")
    assert result.exit_code == 0
    assert "effective:" not in result.stdout


@pytest.mark.parametrize(
    ("rule_id", "cost_words"),
    [
        ("AIGOV-SKU-004", "none: the rule has no cost of its own"),
        ("AIGOV-ENV-001", "resource: a finding costs the resource's own monthly cost"),
        ("AIGOV-SKU-003", "delta on sku.capacity: a finding costs"),
        (
            "AIGOV-LIFE-001",
            "change on properties.model.name: a finding costs what the resource would cost more each month "
            "with properties.model.name set to the value of context lifecycle.successor for the resource",
        ),
        ("AIGOV-OPT-001", "set to the cheapest of the value of context equivalent.cheaper for the resource"),
        ("AIGOV-RATE-002", "PTU x the reservation's $/PTU/month"),
        ("AIGOV-MODEL-001", "instances (sku.capacity) x the instance type's Linux VM $/h x 730 h"),
    ],
)
def test_explain_says_how_cost_is_computed(rule_id: str, cost_words: str) -> None:
    result = run("rules", "explain", rule_id)
    assert result.exit_code == 0
    cost = result.stdout.split("\nCost\n")[1].split("\nMessage\n")[0]
    assert cost_words in cost


def test_explain_a_foreach_rule_says_it_iterates() -> None:
    result = run("rules", "explain", "AIGOV-TAG-001")
    assert "forEach:\n    parameter: required\n" in result.stdout
    assert "evaluated once per item of 'required'" in result.stdout


def test_explain_a_policy_pack_rule() -> None:
    result = run("rules", "explain", "ACME-LOC-001", "--policies", PACK)
    assert result.exit_code == 0
    assert "ACME-LOC-001::eastus_fails" in result.stdout
    assert "ACME-LOC-001::westeurope_passes" in result.stdout


def test_explain_an_unknown_rule_is_one_error_line() -> None:
    assert one_error_line(run("rules", "explain", "AIGOV-NOPE-001")) == (
        "error: no rule AIGOV-NOPE-001 (aigov rules list shows them)"
    )


# ------------------------------------------------------------------------------------------ validate


def test_validate_the_bundled_rules_is_ok() -> None:
    result = run("rules", "validate", bundled_policies_dir())
    assert result.exit_code == 0
    cases = len(discover_cases([bundled_policies_dir()]))
    n = len(BUNDLED_IDS)
    assert result.stdout == f"OK: {n} rule(s), {n} test file(s) with {cases} case(s) valid\n"


def test_validate_reports_every_invalid_file_with_line_and_path() -> None:
    result = run("rules", "validate", INVALID)
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{INVALID}/broken_yaml.yaml: line 3, column 1: invalid YAML: did not find expected ',' or ']'",
        f"{INVALID}/no_operator.yaml: line 10: $.if.allOf[1]: "
        "a condition needs exactly one subject (field or context) and exactly one operator",
        f"{INVALID}/undeclared_parameter.yaml: line 8: $.if.notIn.parameter: "
        "parameter 'allowed' is not declared in parameters",
        f"{INVALID}/BAD-TEST-001.test.yaml: line 6: $.cases[0].expect: 'findings' is a required property",
    ]
    assert result.stderr == "4 invalid file(s)\n"


def test_validate_collects_errors_across_directories_and_finds_id_clashes(tmp_path: Path) -> None:
    orphan = tmp_path / "ORPHAN-001.test.yaml"
    orphan.write_text(
        "rule: ORPHAN-001\ncases:\n  - name: c\n    resources: [{type: A.B/c, name: x}]\n"
        "    expect: {findings: 0}\n",
        encoding="utf-8",
    )
    result = run("rules", "validate", bundled_policies_dir(), CLASH, INVALID, tmp_path)
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert len(lines) == 7
    assert f"{tmp_path}: no rule files (*.yaml other than *.test.yaml) in this directory" in lines
    clash = next(line for line in lines if line.startswith(str(CLASH)))
    assert f"duplicate rule id AIGOV-SKU-001 (also in {bundled_policies_dir()}" in clash
    assert lines[-1] == f"{orphan}: tests rule ORPHAN-001, which is not among the rules validated"


def test_validate_a_directory_without_rules_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a rule", encoding="utf-8")
    result = run("rules", "validate", tmp_path)
    assert result.exit_code == 2
    assert result.stdout == f"{tmp_path}: no rule files (*.yaml other than *.test.yaml) in this directory\n"
    assert result.stderr == "1 invalid file(s)\n"


@pytest.mark.parametrize("name", ["EXTRA-001.yaml", "EXTRA-001.test.yaml"])
def test_a_dangling_rule_or_test_file_fails_validate_test_and_scan(tmp_path: Path, name: str) -> None:
    for rule in ("FAIL-SKU-001.yaml", "FAIL-SKU-001.test.yaml"):
        (tmp_path / rule).write_text((FAILING / rule).read_text(), encoding="utf-8")
    (tmp_path / name).symlink_to("missing.yaml")
    expected = f"{tmp_path / name}: cannot read: No such file or directory"
    validated = run("rules", "validate", tmp_path)
    assert validated.exit_code == 2
    assert validated.stdout.splitlines()[0] == expected
    assert one_error_line(run("rules", "test", tmp_path)) == f"error: {expected}"
    if not name.endswith(".test.yaml"):
        assert one_error_line(run("scan", EXAMPLE_PLAN, "--policies", tmp_path)) == f"error: {expected}"


def test_validate_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = run("rules", "validate", tmp_path / "nope")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "does not exist" in result.stderr


# ----------------------------------------------------------------------------------------------- new


@pytest.mark.parametrize(
    ("family", "resource_type"),
    [
        ("sku", "Microsoft.CognitiveServices/accounts/deployments"),
        ("sku", "Microsoft.Search/searchServices"),
        ("rate", "Contoso.Widgets/gadgets"),
    ],
)
def test_new_scaffolds_a_rule_that_validates_and_whose_tests_pass(
    tmp_path: Path, family: str, resource_type: str
) -> None:
    created = run(
        "rules", "new", "ACME-NEW-001", "--family", family, "--resource", resource_type, "--dir", tmp_path
    )
    assert created.exit_code == 0, created.output
    rule_file = tmp_path / family / "ACME-NEW-001.yaml"
    test_file = tmp_path / family / "ACME-NEW-001.test.yaml"
    assert created.stdout.splitlines()[:2] == [f"created {rule_file}", f"created {test_file}"]
    assert f"resource: {resource_type}\n" in rule_file.read_text(encoding="utf-8")

    validated = run("rules", "validate", tmp_path)
    assert validated.exit_code == 0, validated.output
    assert validated.stdout == "OK: 1 rule(s), 1 test file(s) with 2 case(s) valid\n"

    tested = run("rules", "test", tmp_path)
    assert tested.exit_code == 0, tested.output
    assert tested.stdout.splitlines()[-2:] == [
        "coverage: all 1 rule(s) have a failing and a passing case",
        "2 passed, 0 failed",
    ]


def test_new_never_overwrites_and_names_the_existing_file(tmp_path: Path) -> None:
    args = ["rules", "new", "ACME-NEW-001", "--family", "sku", "--resource", "A.B/c", "--dir", str(tmp_path)]
    assert run(*args).exit_code == 0
    rule_file = tmp_path / "sku" / "ACME-NEW-001.yaml"
    rule_file.write_text("edited by hand\n", encoding="utf-8")
    line = one_error_line(run(*args))
    assert line == f"error: {rule_file}: already exists; not overwriting it"
    assert rule_file.read_text(encoding="utf-8") == "edited by hand\n"


def test_new_refuses_when_only_the_test_file_exists(tmp_path: Path) -> None:
    test_file = tmp_path / "sku" / "ACME-NEW-001.test.yaml"
    test_file.parent.mkdir()
    test_file.write_text("mine\n", encoding="utf-8")
    line = one_error_line(
        run("rules", "new", "ACME-NEW-001", "--family", "sku", "--resource", "A.B/c", "--dir", tmp_path)
    )
    assert line == f"error: {test_file}: already exists; not overwriting it"
    assert not (tmp_path / "sku" / "ACME-NEW-001.yaml").exists()
    assert test_file.read_text(encoding="utf-8") == "mine\n"


def test_new_refuses_an_id_present_in_another_family_of_the_directory(tmp_path: Path) -> None:
    run("rules", "new", "ACME-NEW-001", "--family", "sku", "--resource", "A.B/c", "--dir", tmp_path)
    line = one_error_line(
        run("rules", "new", "ACME-NEW-001", "--family", "tags", "--resource", "A.B/c", "--dir", tmp_path)
    )
    assert line == f"error: {tmp_path / 'sku' / 'ACME-NEW-001.yaml'}: already exists; not overwriting it"


@pytest.mark.parametrize(
    ("rule_id", "resource_type", "message"),
    [
        ("AIGOV-SKU-001", "A.B/c", "rule id AIGOV-SKU-001 is already a bundled rule"),
        ("1-bad", "A.B/c", "invalid rule id '1-bad'"),
        ("ACME-NEW-002", "not a type", "invalid resource type 'not a type'"),
    ],
)
def test_new_rejects_bad_arguments(tmp_path: Path, rule_id: str, resource_type: str, message: str) -> None:
    line = one_error_line(
        run("rules", "new", rule_id, "--family", "sku", "--resource", resource_type, "--dir", tmp_path)
    )
    assert message in line
    assert list(tmp_path.iterdir()) == []


def test_new_offers_the_schema_families() -> None:
    result = run("rules", "new", "--help")
    assert all(f in result.stdout for f in families())
    assert run("rules", "new", "X-1", "--family", "nope", "--resource", "A.B/c").exit_code == 2


def test_new_quotes_ids_that_yaml_would_read_as_booleans(tmp_path: Path) -> None:
    result = run("rules", "new", "yes", "--family", "sku", "--resource", "A.B/c", "--dir", tmp_path)
    assert result.exit_code == 0, result.output
    assert run("rules", "test", tmp_path).stdout.endswith("2 passed, 0 failed\n")


# ---------------------------------------------------------------------------------------------- test


def test_test_runs_every_bundled_case_and_ends_with_the_counts() -> None:
    result = run("rules", "test")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    cases = len(discover_cases([bundled_policies_dir()]))
    assert lines == [
        f"coverage: all {len(BUNDLED_IDS)} rule(s) have a failing and a passing case",
        f"{cases} passed, 0 failed",
    ]


def test_test_verbose_prints_every_case() -> None:
    result = run("rules", "test", "-v", PACK)
    assert result.stdout.splitlines() == [
        "PASS ACME-LOC-001::eastus_fails",
        "PASS ACME-LOC-001::westeurope_passes",
        "coverage: all 1 rule(s) have a failing and a passing case",
        "2 passed, 0 failed",
    ]


def test_test_reports_failing_cases_and_coverage_gaps_and_exits_1() -> None:
    result = run("rules", "test", FAILING)
    assert result.exit_code == 1
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"FAIL FAIL-SKU-001::standard3_wrongly_expected_to_pass ({FAILING}/FAIL-SKU-001.test.yaml:8): "
        "expected 0 finding(s) on Microsoft.Search/searchServices/big, got 1 (violation: big uses standard3)",
        "coverage: 1 gap(s): FAIL-SKU-002 has no passing case",
        "2 passed, 1 failed",
    ]


def test_test_on_invalid_files_exits_2() -> None:
    line = one_error_line(run("rules", "test", INVALID))
    assert str(INVALID) in line


def test_test_on_a_directory_without_rules_exits_2(tmp_path: Path) -> None:
    line = one_error_line(run("rules", "test", tmp_path))
    assert line == f"error: {tmp_path}: no rule files (*.yaml other than *.test.yaml) in this directory"


def test_test_on_rules_without_cases_exits_2(tmp_path: Path) -> None:
    (tmp_path / "FAIL-SKU-001.yaml").write_text((FAILING / "FAIL-SKU-001.yaml").read_text(), encoding="utf-8")
    line = one_error_line(run("rules", "test", tmp_path))
    assert line == f"error: {tmp_path}: no test cases (*.test.yaml) to run"


def test_test_with_one_empty_directory_among_others_exits_2(tmp_path: Path) -> None:
    line = one_error_line(run("rules", "test", FAILING, tmp_path))
    assert line.startswith(f"error: {tmp_path}: no rule files")


def test_rules_test_as_a_real_process_ends_with_the_counts() -> None:
    bundled = subprocess.run(
        [sys.executable, "-m", "aigov", "rules", "test"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert bundled.returncode == 0, bundled.stderr
    match = CLOSING.match(bundled.stdout.splitlines()[-1])
    assert match is not None, bundled.stdout
    assert int(match[1]) == len(discover_cases([bundled_policies_dir()]))
    assert match[2] == "0"

    failing = subprocess.run(
        [sys.executable, "-m", "aigov", "rules", "test", str(FAILING)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert failing.returncode == 1
    assert failing.stdout.splitlines()[-1] == "2 passed, 1 failed"


# -------------------------------------------------------------------------------------------- export


def test_export_prints_definitions_and_lists_what_it_cannot_express() -> None:
    result = run("rules", "export", "--format", "azure-policy")
    assert result.exit_code == 0, result.output
    definitions = json.loads(result.stdout)
    not_exported = [line for line in result.stderr.splitlines() if line.startswith("not exported: ")]
    skipped = {line.split(": ")[1] for line in not_exported}
    # Context-dependent rules (subscription environment, plan vs live) and regex formats cannot be exported.
    assert {"AIGOV-ENV-001", "AIGOV-IDLE-001", "AIGOV-IDLE-002", "AIGOV-TAG-002"} <= skipped
    assert {"AIGOV-SKU-001", "AIGOV-SKU-003", "AIGOV-SKU-005", "AIGOV-TAG-001"} <= set(definitions)
    assert set(definitions) | skipped == set(BUNDLED_IDS)
    assert not set(definitions) & skipped, "a rule is either exported or listed, never both"
    assert result.stderr.splitlines()[-1] == (
        f"{len(definitions)} exported, {len(skipped)} not expressible in azure-policy"
    )
    sku = definitions["AIGOV-SKU-001"]["properties"]["policyRule"]["if"]
    assert sku == {
        "allOf": [
            {"field": "type", "equals": "Microsoft.CognitiveServices/accounts/deployments"},
            {
                "field": "Microsoft.CognitiveServices/accounts/deployments/sku.name",
                "notIn": "[parameters('allowed')]",
            },
        ]
    }


def test_export_to_a_directory_writes_one_file_per_rule(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("rules", "export", "--format", "azure-policy", "--output-dir", out)
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    exported = [f.removesuffix(".json") for f in files if f.endswith(".json")]
    assert result.stdout == f"wrote {len(exported)} definition(s) to {out}\n"
    assert "not-exported.txt" in files
    listed = (out / "not-exported.txt").read_text(encoding="utf-8").splitlines()
    assert listed[0].startswith("# aigov rules export")
    assert sorted(exported + [line.split(":")[0] for line in listed[1:]]) == BUNDLED_IDS
    document = json.loads((out / "AIGOV-SKU-005.json").read_text(encoding="utf-8"))
    assert document["properties"]["metadata"]["aigov"]["rule"] == "AIGOV-SKU-005"
    again = run("rules", "export", "--format", "azure-policy", "--output-dir", out)
    assert again.exit_code == 0, "re-exporting replaces the files an earlier export wrote"


def test_export_never_overwrites_a_file_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "AIGOV-SKU-001.json").write_text('{"mine": true}\n', encoding="utf-8")
    result = run("rules", "export", "--format", "azure-policy", "--output-dir", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'AIGOV-SKU-001.json'}: exists and was not written by aigov rules export; "
        "not overwriting it"
    ]
    assert (tmp_path / "AIGOV-SKU-001.json").read_text(encoding="utf-8") == '{"mine": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["AIGOV-SKU-001.json"], "nothing written"


def test_export_a_policy_pack() -> None:
    result = run("rules", "export", "--format", "azure-policy", PACK)
    assert result.exit_code == 0
    definition = json.loads(result.stdout)["ACME-LOC-001"]["properties"]
    assert definition["policyRule"]["if"]["allOf"][1] == {
        "field": "location",
        "notIn": "[parameters('allowed_regions')]",
    }
    assert definition["parameters"]["allowed_regions"]["defaultValue"] == ["westeurope", "swedencentral"]
    assert result.stderr == "1 exported, 0 not expressible in azure-policy\n"


def test_export_needs_a_known_format() -> None:
    result = run("rules", "export", "--format", "opa")
    assert result.exit_code == 2
    assert result.stdout == ""
