"""GitHub Actions annotations: one escaped workflow command per finding, and the step summary."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from aigov.model import ScanResult, Severity
from aigov.report import GithubReporter, MarkdownReporter, ReportOptions
from aigov.report.github import escape_data, escape_property, step_summary

GoldenCheck = Callable[[str, str], None]
COMMAND = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def _unescape_data(text: str) -> str:
    """What the runner reads back (actions/runner ActionCommand unescaping)."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def _annotations(text: str) -> list[tuple[str, dict[str, str], str]]:
    parsed = []
    for line in text.splitlines():
        if not line.startswith("::"):
            continue
        match = COMMAND.match(line)
        assert match is not None, line
        properties = dict(item.split("=", 1) for item in match.group(2).split(","))
        parsed.append(
            (
                match.group(1),
                {key: _unescape_property(value) for key, value in properties.items()},
                _unescape_data(match.group(3)),
            )
        )
    return parsed


def _render(result: ScanResult, options: ReportOptions | None = None) -> str:
    return GithubReporter().render(result, options or ReportOptions())


@pytest.mark.parametrize("scenario", ["mixed", "clean", "pipeline", "live"])
def test_matches_golden(scenario: str, request: pytest.FixtureRequest, golden: GoldenCheck) -> None:
    result: ScanResult = request.getfixturevalue(scenario)
    golden(f"report/{scenario}.github.txt", _render(result))


def test_one_annotation_per_finding_failing_first(mixed: ScanResult) -> None:
    annotations = _annotations(_render(mixed))
    assert [level for level, _, _ in annotations] == ["error"] * 5 + ["notice"]
    _, properties, message = annotations[0]
    assert properties == {
        "file": "plan.json",
        "line": "40",
        "title": "AIGOV-SKU-001: $43,800.00/month (exact)",
    }
    assert message.splitlines() == [
        "ptu uses deployment type ProvisionedManaged; allowed: Standard, GlobalStandard",
        'Resource: azurerm_cognitive_deployment.reports["ptu"]',
        "Cost: $43,800.00/month (exact): 30 PTU x 2.00 $/h x 730 h (ProvisionedManaged, eastus, "
        "prices as of 2026-09-30)",
        "Fix: Use a pay-as-you-go deployment type, or record an approval.",
    ]
    assert _render(mixed).splitlines()[-1] == (
        "aigov: 6 findings, 5 failing the gate; $45,286.28/month spend in violation, "
        "$0.00/month possible savings (each resource counted once); "
        "prices: bundled catalogue as of 2026-09-30"
    )


def test_levels_follow_the_gate_and_the_standing(mixed: ScanResult, pipeline: ScanResult) -> None:
    options = ReportOptions(fail_on=Severity.HIGH, on_unknown="warn")
    levels = {
        props["title"].split(":")[0]: level for level, props, _ in _annotations(_render(mixed, options))
    }
    assert levels == {
        "AIGOV-SKU-001": "error",
        "AIGOV-SKU-002": "warning",
        "AIGOV-TAG-001": "warning",
        "AIGOV-SKU-010": "warning",
        "AIGOV-MODEL-001": "warning",
        "AIGOV-IDLE-001": "notice",
    }
    levels = {props["title"].split(":")[0]: level for level, props, _ in _annotations(_render(pipeline))}
    assert levels["AIGOV-TAG-001"] == "notice"  # waived
    assert levels["AIGOV-SKU-002"] == "notice"  # existing
    assert levels["AIGOV-MODEL-001"] == "error"  # its waiver expired
    messages = {
        props["title"].split(":")[0]: message for _, props, message in _annotations(_render(pipeline))
    }
    assert "Waived (owner platform-team, expires 2026-12-31, aigov.yaml:14)" in messages["AIGOV-TAG-001"]
    assert "Existing: already in the baseline report" in messages["AIGOV-SKU-002"]


def test_a_finding_without_a_file_is_annotated_without_file(live: ScanResult) -> None:
    [(level, properties, message)] = _annotations(_render(live))
    assert level == "error"
    assert set(properties) == {"title"}
    assert "Resource: /subscriptions/" in message


def test_hostile_text_round_trips_and_stays_on_one_line(hostile: ScanResult) -> None:
    text = _render(hostile)
    assert len(text.splitlines()) == len(hostile.findings) + 1  # no user newline starts a new command
    annotations = _annotations(text)
    failing = next(a for a in annotations if a[0] == "error")
    _, properties, message = failing
    assert properties["file"] == "infra/my plan;v2].json"
    assert properties["line"] == "7"
    assert message.splitlines()[0] == hostile.findings[1].message.replace("\r\n", "\n").splitlines()[0]
    assert "next::error::x; ]] `code`" in message


def test_escaping_matches_the_runner() -> None:
    assert escape_data("100%\r\n::x") == "100%25%0D%0A::x"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_step_summary_is_the_markdown_report(pipeline: ScanResult) -> None:
    options = ReportOptions(fail_on=Severity.MEDIUM)
    assert step_summary(pipeline, options) == MarkdownReporter().render(pipeline, options)
    assert GithubReporter().step_summary(pipeline, options) == MarkdownReporter().render(pipeline, options)
