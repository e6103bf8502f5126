"""``aigov scan`` end to end: the bundled example, output formats, the gate, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from aigov.cli.main import main
from aigov.report.json_report import load_schema

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "fixtures" / "terraform_plan"
EXAMPLE = str(PLANS / "example.json")
EXAMPLE_CONFIG = str(PLANS / "example.aigov.yaml")
PROD = "3f2b8c1e-7d4a-4e59-9b6c-2a8d5f0e1c47"
DEV = "9c4e1a7b-2f3d-4b8e-a1c6-5d7e9f0b3a28"


def scan(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(main, ["scan", *args], input=stdin, catch_exceptions=False)


def scan_json(*args: str) -> tuple[int, dict[str, object]]:
    result = scan(*args, "--format", "json")
    return result.exit_code, json.loads(result.stdout)


def one_error_line(result: Result) -> str:
    """The command failed closed: exit 2, nothing on stdout, exactly one line on stderr."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_bundled_example_fails_the_gate_with_costed_findings() -> None:
    result = scan(EXAMPLE, "--config", EXAMPLE_CONFIG)
    assert result.exit_code == 1
    out = result.stdout
    assert "AIGOV-SKU-001" in out
    assert "$43,800.00" in out
    basis = (
        "30 PTU x 2.00 $/h x 730 h (ProvisionedManaged, eastus2, price effective 2024-04-01, read 2026-09-30)"
    )
    assert basis in " ".join(out.split())
    assert "Monthly spend in violation:" in out


def test_json_report_is_valid_and_traceable() -> None:
    code, report = scan_json(EXAMPLE, "--config", EXAMPLE_CONFIG)
    assert code == 1
    jsonschema.validate(report, load_schema())
    findings = report["findings"]
    assert isinstance(findings, list)
    ptu = next(
        f
        for f in findings
        if f["rule_id"] == "AIGOV-SKU-001"
        and f["resource"]["address"] == 'azurerm_cognitive_deployment.reports["ptu"]'
    )
    assert ptu["category"] == "sku"
    assert ptu["cost"]["monthly_usd"] == 43800.0
    # Against pay-per-token with no usage known: a saving, and an upper bound, never exact.
    assert ptu["cost"]["confidence"] == "estimate"
    assert (ptu["cost"]["saving"], ptu["cost"]["upper_bound"]) == (True, True)
    price = ptu["cost"]["prices"][0]
    assert (price["effective"], price["read"]) == ("2024-04-01", "2026-09-30")
    assert price["source"].startswith("third-party copy: microsoft/mosaic-apim")
    assert price["url"].startswith("https://github.com/microsoft/mosaic-apim/")
    assert "meterName%20eq%20'Provisioned%20Managed%20Regional%20Unit'" in price["query"]
    assert ptu["location"] == {"source": "terraform_plan", "file": EXAMPLE, "line": None}
    summary = report["summary"]
    assert isinstance(summary, dict)
    # Each billed resource once: the PTU deployment (flagged by three rules and by its
    # account's roll-up) counts 43,800 once, not four times.
    per_finding_total = sum(f["cost"]["monthly_usd"] or 0 for f in findings)
    assert summary["monthly_cost_at_risk_usd"] < per_finding_total
    assert summary["findings"] == len(findings)
    # The headline keeps spend and savings apart, and upper bounds apart from firm figures.
    spend, savings = summary["spend_in_violation"], summary["possible_savings"]
    assert spend["monthly_usd"] == round(spend["exact_usd"] + spend["estimated_usd"], 2)
    assert savings["upper_bound_usd"] >= 43800.0
    assert savings["upper_bound_usd"] <= savings["estimated_usd"]


def test_config_decides_the_environment_rule() -> None:
    _, with_config = scan_json(EXAMPLE, "--config", EXAMPLE_CONFIG)
    _, on_dev = scan_json(EXAMPLE, "--config", EXAMPLE_CONFIG, "--subscription", DEV)
    env_rule = "AIGOV-ENV-001"
    assert any(f["rule_id"] == env_rule for f in with_config["findings"])  # type: ignore[attr-defined]
    assert not any(f["rule_id"] == env_rule for f in on_dev["findings"])  # type: ignore[attr-defined]
    assert all(f["resource"]["subscription_id"] == DEV for f in on_dev["findings"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("info", 1), ("low", 1), ("high", 1), ("critical", 0), ("never", 0)],
)
def test_fail_on_threshold(fail_on: str, expected: int) -> None:
    assert scan(EXAMPLE, "--config", EXAMPLE_CONFIG, "--fail-on", fail_on).exit_code == expected


def test_a_notice_alone_does_not_fail_by_default(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text(
        f"subscriptions:\n  {PROD}: {{name: corp-ai-prod, environment: dev}}\n"
        "rules:\n"
        + "".join(
            f"  {rule}: {{enabled: false}}\n"
            for rule in (
                "AIGOV-SKU-001",
                "AIGOV-SKU-005",
                "AIGOV-SKU-007",
                "AIGOV-TAG-001",
                "AIGOV-TAG-002",
                "AIGOV-RATE-001",
            )
        )
    )
    code, report = scan_json(EXAMPLE, "--config", str(config))
    assert [f["severity"] for f in report["findings"]] == ["info"]  # type: ignore[attr-defined]
    assert code == 0
    assert scan(EXAMPLE, "--config", str(config), "--fail-on", "info").exit_code == 1


def test_undetermined_findings_fail_closed_unless_warned() -> None:
    unknowns = str(PLANS / "unknown_values.json")
    code, report = scan_json(unknowns, "--fail-on", "high")
    high = [f for f in report["findings"] if f["severity"] == "high"]  # type: ignore[attr-defined]
    assert {f["outcome"] for f in high} == {"violation", "undetermined"}
    assert code == 1
    undetermined = next(f for f in high if f["outcome"] == "undetermined")
    assert undetermined["unknown_fields"]


def test_stdin_and_the_config_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "aigov.yaml").write_text(Path(EXAMPLE_CONFIG).read_text())
    monkeypatch.chdir(tmp_path)
    result = scan("-", "--format", "json", stdin=Path(EXAMPLE).read_bytes())
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["inputs"] == ["<stdin>"]
    assert any("corp-ai-prod" in f["message"] for f in report["findings"])


def test_several_formats_at_once(tmp_path: Path) -> None:
    out = tmp_path / "findings.json"
    result = scan(
        EXAMPLE, "--config", EXAMPLE_CONFIG, "--format", "json", "--output", str(out), "--format", "table"
    )
    assert result.exit_code == 1
    assert "Monthly spend in violation" in result.stdout
    assert json.loads(out.read_text())["summary"]["findings"] > 0
    assert not list(tmp_path.glob(".findings.json.*"))  # written atomically, no temporary left


def test_only_one_report_may_go_to_stdout() -> None:
    line = one_error_line(scan(EXAMPLE, "--format", "json", "--format", "table"))
    assert line == "error: only one report can go to stdout; give --output FILE for the others"


def test_an_input_is_never_overwritten(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    original = Path(EXAMPLE).read_bytes()
    plan.write_bytes(original)
    line = one_error_line(scan(str(plan), "--format", "json", "--output", str(plan)))
    assert line == f"error: {plan}: refusing to overwrite a file this scan reads"
    assert plan.read_bytes() == original


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("not_json.json", "not a recognised input"),
        ("truncated.json", "line 40, column 8: invalid JSON: unexpected end of data"),
        ("not_a_plan.json", "not a recognised input"),
        ("format_v2.json", "format_version: unsupported plan format_version 2.0"),
    ],
)
def test_bad_plans_fail_closed_with_one_line(name: str, expected: str) -> None:
    path = str(PLANS / name)
    line = one_error_line(scan(path))
    assert line.startswith(f"error: {path}: ")
    assert expected in line


def test_missing_input_and_directory_without_terraform(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    assert one_error_line(scan(str(missing))) == f"error: {missing}: no such file or directory"
    line = one_error_line(scan(str(tmp_path)))
    assert line.startswith(f"error: {tmp_path}: ")


def test_empty_stdin_fails_closed() -> None:
    line = one_error_line(scan("-", stdin=b""))
    assert line.startswith("error: <stdin>: not a recognised input")
    assert line.endswith("the input is empty")


def test_invalid_config_names_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text("subscriptions:\n  abc: {name: x, environment: 7}\n")
    line = one_error_line(scan(EXAMPLE, "--config", str(config)))
    assert line.startswith(f"error: {config}: line 2: $.subscriptions.abc.environment: ")


def test_unsafe_yaml_in_config_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text("subscriptions: !!python/object/apply:os.system ['echo pwned']\n")
    line = one_error_line(scan(EXAMPLE, "--config", str(config)))
    assert line.startswith(f"error: {config}: ")
    assert "invalid YAML" in line


def test_override_of_an_unknown_rule_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text("rules:\n  AIGOV-NOPE-999: {enabled: false}\n")
    line = one_error_line(scan(EXAMPLE, "--config", str(config)))
    assert str(config) in line
    assert "AIGOV-NOPE-999" in line


def test_broken_extra_rule_fails_closed(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "X-1.yaml").write_text(
        "id: X-1\ntitle: t\ncategory: sku\nseverity: high\nresource: Microsoft.Search/searchServices\n"
        "if: {allOf: [{field: sku.name}]}\ncost: none\nmessage: m\nremediation: r\n"
    )
    line = one_error_line(scan(EXAMPLE, "--policies", str(rules)))
    assert line.startswith(f"error: {rules / 'X-1.yaml'}: line ")
    assert "$.if.allOf[0]" in line


def test_extra_rules_are_evaluated(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "ORG-SKU-1.yaml").write_text(
        "id: ORG-SKU-1\ntitle: No gpt-4o-mini\ncategory: sku\nseverity: low\n"
        "resource: Microsoft.CognitiveServices/accounts/deployments\n"
        "if: {field: properties.model.name, equals: GPT-4O-MINI}\ncost: none\n"
        "message: '{name} uses {properties.model.name}'\nremediation: Use another model.\n"
    )
    _, report = scan_json(EXAMPLE, "--config", EXAMPLE_CONFIG, "--policies", str(rules))
    messages = [f["message"] for f in report["findings"] if f["rule_id"] == "ORG-SKU-1"]  # type: ignore[attr-defined]
    assert messages == ["reports-chat uses gpt-4o-mini"]


def test_python_dash_m_entry_point_reads_stdin() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "aigov", "scan", "-", "--format", "json", "--config", EXAMPLE_CONFIG],
        input=Path(EXAMPLE).read_bytes(),
        capture_output=True,
        check=False,
        cwd=ROOT,
    )
    assert completed.returncode == 1, completed.stderr
    assert json.loads(completed.stdout)["summary"]["findings"] > 0
    assert completed.stderr == b""


def test_a_catalogue_older_than_90_days_makes_the_scan_warn(tmp_path: Path) -> None:
    bundled = (ROOT / "aigov" / "cost" / "prices.yaml").read_text()
    head, sep, rest = bundled.partition("as_of: ")
    assert sep, "the bundled catalogue states its date"
    old = tmp_path / "old-prices.yaml"
    old.write_text(head + sep + "2025-01-31" + rest[len("YYYY-MM-DD") :])
    code, report = scan_json(EXAMPLE, "--config", EXAMPLE_CONFIG, "--catalog", str(old))
    assert code == 1
    assert report["catalog"]["as_of"] == "2025-01-31"  # type: ignore[index]
    assert report["catalog"]["name"] == str(old)  # type: ignore[index]
    assert any("2025-01-31" in w for w in report["warnings"])  # type: ignore[attr-defined]
    table = scan(EXAMPLE, "--config", EXAMPLE_CONFIG, "--catalog", str(old)).stdout
    assert "2025-01-31" in table
