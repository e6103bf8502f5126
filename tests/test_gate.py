"""The exit-code policy: every branch of ``aigov.gate``."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from aigov.gate import (
    FAIL_ON_CHOICES,
    ExitCode,
    exit_code,
    failing_findings,
    fails_gate,
    parse_fail_on,
    with_notifications,
)
from aigov.model import (
    BaselineState,
    CatalogInfo,
    Confidence,
    CostImpact,
    Finding,
    NotScanned,
    Origin,
    Outcome,
    Resource,
    ScanResult,
    Severity,
    Suppression,
)

RESOURCE = Resource("r", "Microsoft.CognitiveServices/accounts", "r", {}, Origin("test"))


def _finding(severity: Severity, outcome: Outcome = Outcome.VIOLATION) -> Finding:
    return Finding(
        rule_id=f"R-{severity}-{outcome}",
        title="t",
        category="sku",
        severity=severity,
        outcome=outcome,
        message="m",
        remediation="r",
        resource=RESOURCE,
        cost=CostImpact(0.0, "no cost of its own", Confidence.EXACT),
    )


def _result(*findings: Finding) -> ScanResult:
    return ScanResult(
        inputs=("plan.json",),
        resources=(RESOURCE,),
        findings=findings,
        catalog=CatalogInfo("bundled", date(2026, 9, 30), "USD", "eastus"),
        generated_at=datetime(2026, 10, 1, tzinfo=UTC),
    )


def test_exit_code_values_are_the_documented_ones() -> None:
    assert [(c.name, int(c)) for c in ExitCode] == [
        ("OK", 0),
        ("VIOLATIONS", 1),
        ("ERROR", 2),
        ("PARTIAL", 3),
        ("NOTIFY_FAILED", 4),
    ]


def test_a_failed_notification_wins_over_findings_and_partial_but_not_errors() -> None:
    for code in (ExitCode.OK, ExitCode.VIOLATIONS, ExitCode.PARTIAL):
        assert with_notifications(code, 1) is ExitCode.NOTIFY_FAILED
        assert with_notifications(code, 0) is code
    assert with_notifications(ExitCode.ERROR, 2) is ExitCode.ERROR


def test_no_findings_pass() -> None:
    assert exit_code(_result(), fail_on=Severity.LOW) is ExitCode.OK


@pytest.mark.parametrize(
    ("severity", "fail_on", "expected"),
    [
        (Severity.LOW, Severity.LOW, ExitCode.VIOLATIONS),  # at the threshold fails
        (Severity.CRITICAL, Severity.LOW, ExitCode.VIOLATIONS),  # above it fails
        (Severity.MEDIUM, Severity.HIGH, ExitCode.OK),  # below it passes
        (Severity.INFO, Severity.LOW, ExitCode.OK),  # notices never fail by default
        (Severity.INFO, Severity.INFO, ExitCode.VIOLATIONS),  # unless asked to
        (Severity.CRITICAL, None, ExitCode.OK),  # --fail-on never
    ],
)
def test_violations_fail_at_or_above_the_threshold(
    severity: Severity, fail_on: Severity | None, expected: ExitCode
) -> None:
    assert exit_code(_result(_finding(severity)), fail_on=fail_on) is expected


@pytest.mark.parametrize(
    ("on_unknown", "fail_on", "expected"),
    [
        ("fail", Severity.LOW, ExitCode.VIOLATIONS),  # fails closed by default
        ("warn", Severity.LOW, ExitCode.OK),
        ("fail", Severity.CRITICAL, ExitCode.OK),  # below the threshold even when failing closed
    ],
)
def test_undetermined_findings_follow_on_unknown(
    on_unknown: str, fail_on: Severity, expected: ExitCode
) -> None:
    result = _result(_finding(Severity.HIGH, Outcome.UNDETERMINED))
    assert exit_code(result, fail_on=fail_on, on_unknown=on_unknown) is expected  # type: ignore[arg-type]


def test_on_unknown_defaults_to_fail() -> None:
    result = _result(_finding(Severity.HIGH, Outcome.UNDETERMINED))
    assert exit_code(result, fail_on=Severity.LOW) is ExitCode.VIOLATIONS


def test_a_warned_unknown_does_not_hide_a_real_violation() -> None:
    result = _result(_finding(Severity.HIGH, Outcome.UNDETERMINED), _finding(Severity.LOW))
    assert exit_code(result, fail_on=Severity.LOW, on_unknown="warn") is ExitCode.VIOLATIONS


@pytest.mark.parametrize("fail_on", [Severity.LOW, None])
@pytest.mark.parametrize("findings", [(), (Severity.CRITICAL,)])
def test_partial_scan_wins_over_violations_and_over_clean(
    fail_on: Severity | None, findings: tuple[Severity, ...]
) -> None:
    result = _result(*(_finding(s) for s in findings))
    assert exit_code(result, fail_on=fail_on, partial=True) is ExitCode.PARTIAL


def test_fails_gate_and_failing_findings_agree_with_exit_code() -> None:
    findings = (
        _finding(Severity.HIGH),
        _finding(Severity.INFO),
        _finding(Severity.MEDIUM, Outcome.UNDETERMINED),
    )
    assert [fails_gate(f, Severity.LOW) for f in findings] == [True, False, True]
    assert [fails_gate(f, Severity.LOW, "warn") for f in findings] == [True, False, False]
    assert failing_findings(findings, Severity.LOW, "warn") == (findings[0],)
    assert failing_findings(findings, None) == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("never", None), ("NEVER", None), ("info", Severity.INFO), ("High", Severity.HIGH)],
)
def test_parse_fail_on(value: str, expected: Severity | None) -> None:
    assert parse_fail_on(value) is expected


def test_parse_fail_on_rejects_other_values_and_lists_the_choices() -> None:
    assert FAIL_ON_CHOICES == ("never", "info", "low", "medium", "high", "critical")
    with pytest.raises(ValueError, match="never, info, low, medium, high, critical"):
        parse_fail_on("severe")


def test_suppressed_and_existing_findings_do_not_fail_but_expired_waivers_do() -> None:
    base = _finding(Severity.HIGH)
    waived = dataclasses.replace(base, suppression=Suppression("waiver", "approved PTU", owner="platform"))
    expired = dataclasses.replace(
        base, suppression=Suppression("waiver", "approved PTU", expires_on=date(2026, 1, 1), expired=True)
    )
    existing = dataclasses.replace(base, baseline=BaselineState.EXISTING)
    new = dataclasses.replace(base, baseline=BaselineState.NEW)
    assert not fails_gate(waived, Severity.LOW)
    assert fails_gate(expired, Severity.LOW)
    assert not fails_gate(existing, Severity.LOW)
    assert fails_gate(new, Severity.LOW)


def test_a_result_with_unscanned_parts_is_partial_by_default() -> None:
    result = dataclasses.replace(_result(), not_scanned=(NotScanned("sub-1", "403 AuthorizationFailed"),))
    assert exit_code(result, fail_on=Severity.LOW) is ExitCode.PARTIAL
    assert exit_code(result, fail_on=Severity.LOW, partial=False) is ExitCode.OK
