"""Waivers in ``aigov.yaml``: matching, expiry, the report, and configuration errors."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from aigov.config import load_config
from aigov.errors import ConfigError
from aigov.gate import fails_gate
from aigov.model import Severity
from aigov.waivers import compile_glob
from tests.pipeline.conftest import (
    CONFIG,
    NOW,
    PLAN,
    config_with,
    one_error_line,
    run,
    run_json,
    scan_example,
    today,
)

PTU = 'azurerm_cognitive_deployment.reports["ptu"]'


def _waiver(rule: str, resource: str, expires: str, reason: str = "Q4 reporting run (FIN-2290)") -> str:
    return (
        f"  - rule: {rule}\n"
        f"    resource: '{resource}'\n"
        f"    reason: {reason}\n"
        "    owner: platform-finops@example.com\n"
        f"    expires: {expires}\n"
    )


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("azurerm_cognitive_deployment.reports[*]", PTU, True),
        ("azurerm_cognitive_deployment.reports[*]", "azurerm_cognitive_deployment.reports", False),
        ('azurerm_cognitive_deployment.reports["ptu"]', PTU, True),
        ('azurerm_cognitive_deployment.reports["p?u"]', PTU, True),
        ("module.ai.*", "module.ai.azurerm_search_service.support", True),
        ("module.ai.*", "azurerm_search_service.support", False),
        ("AIGOV-TAG-*", "aigov-tag-001", True),
        ("AIGOV-TAG-*", "AIGOV-SKU-001", False),
        ("reports-ptu", "reports-ptu", True),
        ("reports-ptu", "reports-ptu2", False),
    ],
)
def test_globs_have_star_and_question_mark_and_literal_brackets(
    pattern: str, text: str, matches: bool
) -> None:
    assert (compile_glob(pattern).fullmatch(text) is not None) is matches


def test_an_active_waiver_suppresses_the_matching_findings_only(tmp_path: Path) -> None:
    config = config_with(tmp_path, "waivers:\n" + _waiver("AIGOV-SKU-001", "*reports[*]", "2026-12-31"))
    result = scan_example(config)
    waived = [f for f in result.findings if f.suppression is not None]
    assert [(f.rule_id, f.resource.address) for f in waived] == [("AIGOV-SKU-001", PTU)]
    suppression = waived[0].suppression
    assert suppression is not None
    assert (suppression.kind, suppression.owner, suppression.expires_on, suppression.expired) == (
        "waiver",
        "platform-finops@example.com",
        date(2026, 12, 31),
        False,
    )
    assert suppression.reason == "Q4 reporting run (FIN-2290)"
    assert suppression.origin == f"{config}:13"
    assert not fails_gate(waived[0], Severity.LOW)
    # The same resource's other findings (ENV-001) are not waived.
    assert any(f.resource.address == PTU and f.suppression is None for f in result.findings)


@pytest.mark.parametrize("resource", [PTU, "reports-ptu", "*ptu*"])
def test_resource_pattern_matches_address_key_or_name(tmp_path: Path, resource: str) -> None:
    config = config_with(tmp_path, "waivers:\n" + _waiver("AIGOV-SKU-001", resource, "2026-12-31"))
    assert sum(1 for f in scan_example(config).findings if f.suppressed) == 1


def test_a_waiver_applies_through_its_expiry_date_and_not_a_day_later(tmp_path: Path) -> None:
    config = config_with(tmp_path, "waivers:\n" + _waiver("AIGOV-SKU-001", PTU, "2026-10-01"))
    on_the_day = scan_example(config, now=NOW)
    day_after = scan_example(config, now=NOW + timedelta(days=1))
    [waived] = [f for f in on_the_day.findings if f.suppression is not None]
    [expired] = [f for f in day_after.findings if f.suppression is not None]
    assert waived.suppressed
    assert not fails_gate(waived, Severity.LOW)
    assert expired.suppression is not None
    assert expired.suppression.expired
    assert not expired.suppressed
    assert fails_gate(expired, Severity.LOW)


def test_an_active_waiver_wins_over_an_expired_one(tmp_path: Path) -> None:
    waivers = _waiver("AIGOV-SKU-*", PTU, "2026-01-31", "old") + _waiver(
        "AIGOV-SKU-001", "*", "2027-01-31", "new"
    )
    config = config_with(tmp_path, "waivers:\n" + waivers)
    [finding] = [f for f in scan_example(config).findings if f.suppression is not None]
    assert finding.suppression is not None
    assert (finding.suppression.reason, finding.suppression.expired) == ("new", False)


def test_cli_reports_waived_and_expired_waivers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expired_on = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
    waivers = _waiver("AIGOV-SKU-001", PTU, today()) + _waiver("AIGOV-SKU-005", "module.ai.*", expired_on)
    config_with(tmp_path, "waivers:\n" + waivers)
    monkeypatch.chdir(tmp_path)  # a short config path, so the table does not fold it
    config = "aigov.yaml"
    result, report = run_json(PLAN, "--config", config)
    assert result.exit_code == 1
    by_rule = {f["rule_id"]: f for f in report["findings"] if f["suppression"] is not None}
    assert by_rule["AIGOV-SKU-001"]["fails_gate"] is False
    assert by_rule["AIGOV-SKU-001"]["suppression"] == {
        "kind": "waiver",
        "reason": "Q4 reporting run (FIN-2290)",
        "owner": "platform-finops@example.com",
        "expires_on": today(),
        "origin": f"{config}:13",
        "expired": False,
    }
    assert by_rule["AIGOV-SKU-005"]["fails_gate"] is True
    assert by_rule["AIGOV-SKU-005"]["suppression"]["expired"] is True
    assert report["summary"]["waived"] == 1

    table = " ".join(run(PLAN, "--config", config).stdout.split())
    assert f"waiver expired on {expired_on} at {config}:18, owner platform-finops@example.com" in table
    assert f"waived at {config}:13, owner platform-finops@example.com, until {today()}" in table
    assert (
        "Waived: 1 finding (waivers in aigov.yaml and inline aigov:ignore comments); "
        "1 finding with an expired waiver" in table
    )
    assert re.search(r"\d+\s+high\s+waived\s+AIGOV-SKU-001", run(PLAN, "--config", config).stdout)


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            _waiver("AIGOV-NOPE-001", "*", "2026-12-31"),
            "line 13: $.waivers[0].rule: waiver rule 'AIGOV-NOPE-001' is not a known rule",
        ),
        (
            _waiver("NOPE-*", "*", "2026-12-31"),
            "line 13: $.waivers[0].rule: waiver rule 'NOPE-*' matches no rule",
        ),
        (
            "  - {rule: AIGOV-SKU-001, resource: '*', reason: r, owner: o}\n",
            "line 13: $.waivers[0]: 'expires' is a required property",
        ),
        (
            "  - {rule: AIGOV-SKU-001, resource: '*', reason: r, expires: 2026-12-31}\n",
            "line 13: $.waivers[0]: 'owner' is a required property",
        ),
        (
            "  - {rule: AIGOV-SKU-001, resource: '*', reason: '  ', owner: o, expires: 2026-12-31}\n",
            "$.waivers[0].reason",
        ),
        (
            "  - {rule: AIGOV-SKU-001, resource: '*', reason: r, owner: o, expires: 2026-02-30}\n",
            "line 13: $.waivers[0].expires: '2026-02-30' is not a valid date",
        ),
        (
            "  - {rule: AIGOV-SKU-001, resource: '*', reason: r, owner: o, expires: 2026-12-31, note: x}\n",
            "$.waivers[0]: Additional properties are not allowed",
        ),
    ],
)
def test_bad_waivers_are_configuration_errors_naming_the_key_and_line(
    tmp_path: Path, yaml_text: str, expected: str
) -> None:
    config = config_with(tmp_path, "waivers:\n" + yaml_text)
    line = one_error_line(run(PLAN, "--config", config))
    assert line.startswith(f"error: {config}: ")
    assert expected in line


def test_a_waiver_for_a_disabled_rule_is_not_an_unknown_rule(tmp_path: Path) -> None:
    extra = "rules:\n  AIGOV-SKU-001: {enabled: false}\nwaivers:\n" + _waiver(
        "AIGOV-SKU-001", "*", "2026-12-31"
    )
    result = scan_example(config_with(tmp_path, extra))
    assert not any(f.rule_id == "AIGOV-SKU-001" for f in result.findings)


def test_the_example_configuration_has_no_waivers() -> None:
    assert load_config(CONFIG).waivers == ()


def test_waiver_dates_are_parsed_to_dates(tmp_path: Path) -> None:
    config = load_config(config_with(tmp_path, "waivers:\n" + _waiver("AIGOV-*", "*", "2026-12-31")))
    assert config.waivers[0].expires == date(2026, 12, 31)
    with pytest.raises(ConfigError):
        load_config(config_with(tmp_path, "waivers:\n  - {rule: AIGOV-SKU-001}\n"))
