"""Azure Pipelines logging commands: one escaped ##vso[task.logissue] line per finding."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from aigov.model import ScanResult
from aigov.report import AzureDevopsReporter, ReportOptions
from aigov.report.azure_devops import escape_data, escape_property

GoldenCheck = Callable[[str, str], None]
COMMAND = re.compile(r"^##vso\[task\.logissue ([^\]]*)\](.*)$")


def _unescape(text: str) -> str:
    """What the agent reads back (the task library's escaping, reversed)."""
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%3B", ";"), ("%AZP25", "%")):
        text = text.replace(escaped, plain)
    return text


def _issues(text: str) -> list[tuple[dict[str, str], str]]:
    issues = []
    for line in text.splitlines():
        if "##vso[" not in line:
            continue
        match = COMMAND.match(line)
        assert match is not None, line
        properties = dict(item.split("=", 1) for item in match.group(1).split(";"))
        issues.append(({k: _unescape(v) for k, v in properties.items()}, _unescape(match.group(2))))
    return issues


def _render(result: ScanResult, options: ReportOptions | None = None) -> str:
    return AzureDevopsReporter().render(result, options or ReportOptions())


@pytest.mark.parametrize("scenario", ["mixed", "clean", "pipeline", "live"])
def test_matches_golden(scenario: str, request: pytest.FixtureRequest, golden: GoldenCheck) -> None:
    result: ScanResult = request.getfixturevalue(scenario)
    golden(f"report/{scenario}.azure-devops.txt", _render(result))


def test_one_issue_per_finding_errors_first(mixed: ScanResult) -> None:
    issues = _issues(_render(mixed))
    assert [p["type"] for p, _ in issues] == ["error"] * 5 + ["warning"]
    properties, message = issues[0]
    assert properties == {
        "type": "error",
        "sourcepath": "plan.json",
        "linenumber": "40",
        "code": "AIGOV-SKU-001",
    }
    assert message.splitlines()[0] == (
        "AIGOV-SKU-001: ptu uses deployment type ProvisionedManaged; allowed: Standard, GlobalStandard"
    )
    assert "Cost: $43,800.00/month (exact): 30 PTU x 2.00 $/h x 730 h" in message
    assert issues[-1][1].startswith("[notice] AIGOV-IDLE-001: ")


def test_reported_only_findings_are_tagged_warnings(pipeline: ScanResult) -> None:
    issues = {p["code"]: (p["type"], m) for p, m in _issues(_render(pipeline))}
    assert issues["AIGOV-TAG-001"][0] == "warning"
    assert issues["AIGOV-TAG-001"][1].startswith("[waived] AIGOV-TAG-001: ")
    assert issues["AIGOV-IDLE-001"][1].startswith("[suppressed] AIGOV-IDLE-001: ")
    assert issues["AIGOV-SKU-002"][1].startswith("[existing] AIGOV-SKU-002: ")
    assert issues["AIGOV-MODEL-001"][0] == "error"
    assert "Waiver expired on 2026-09-01" in issues["AIGOV-MODEL-001"][1]


def test_a_finding_without_a_file_has_no_sourcepath(live: ScanResult) -> None:
    [(properties, _)] = _issues(_render(live))
    assert properties == {"type": "error", "code": "AIGOV-SKU-001"}


def test_hostile_text_round_trips_and_cannot_end_the_command(hostile: ScanResult) -> None:
    text = _render(hostile)
    assert len(text.splitlines()) == len(hostile.findings) + 1
    for line in text.splitlines()[:-1]:
        assert line.count("]") - line.count("%5D") >= 1
        assert line.index("]") > line.index("code=")  # the first ] closes our properties
    properties, message = next(i for i in _issues(text) if i[0]["type"] == "error")
    assert properties["sourcepath"] == "infra/my plan;v2].json"
    assert "100% done\r\nnext::error::x; ]] `code`" in message
    assert "%AZP25" in text


def test_escaping_matches_the_task_library() -> None:
    assert escape_data("100%\r\n]; x") == "100%AZP25%0D%0A]; x"
    assert escape_property("a;b]c%\n") == "a%3Bb%5Dc%AZP25%0A"
