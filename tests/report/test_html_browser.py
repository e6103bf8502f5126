"""The HTML report in a real browser: drawn, offline, escaped, and with the JSON report's totals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from playwright.sync_api import BrowserContext

from aigov.cli.main import main
from tests.browser import OpenedPage, basis_visible, open_report

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "showback"
ESTATE = FIXTURES / "estate.json"
USAGE = str(FIXTURES / "usage.yaml")


def _reports(tmp_path: Path, template: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
    html, report = tmp_path / "report.html", tmp_path / "report.json"
    args = ["scan", str(template), "--usage", USAGE, "-o", str(html), "-o", str(report), *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    return html, json.loads(report.read_text(encoding="utf-8"))


def _assert_clean(page: OpenedPage) -> None:
    assert page.console_errors == []
    assert page.blocked == []
    assert page.charts, "no chart on the page"
    for chart in page.charts:
        assert chart["width"] > 0, chart
        assert chart["height"] > 0, chart
        assert chart["marks"] > 0, chart


def test_plan_report_is_drawn_offline_with_the_json_totals(chromium: BrowserContext, tmp_path: Path) -> None:
    html, document = _reports(tmp_path, ESTATE)
    page = open_report(chromium, html, "plan-report")
    _assert_clean(page)
    assert page.figures["spend"] == pytest.approx(document["cost"]["monthly_usd"], abs=0.005)
    assert page.figures["at-risk"] == pytest.approx(
        document["summary"]["monthly_cost_at_risk_usd"], abs=0.005
    )
    assert page.figures["findings"] == len(document["findings"])
    summary = document["summary"]
    assert page.figures["in-violation"] == pytest.approx(
        summary["spend_in_violation"]["monthly_usd"], abs=0.005
    )
    savings = summary["possible_savings"]
    firm = savings["monthly_usd"] - savings["upper_bound_usd"]
    assert page.figures["savings"] == pytest.approx(firm, abs=0.005)
    groups = document["showback"]["by_cost_center"]
    assert sum(g["possible_savings_usd"] for g in groups) == pytest.approx(firm, abs=0.01)
    assert sum(g["savings_upper_bound_usd"] for g in groups) == pytest.approx(
        savings["upper_bound_usd"], abs=0.01
    )
    violation = summary["spend_in_violation"]["monthly_usd"]
    assert sum(g["spend_in_violation_usd"] for g in groups) == pytest.approx(violation, abs=0.01)
    for dimension, rows in page.groups.items():
        expected = document["showback"][f"by_{dimension}"]
        assert [(r["label"], r["spend"], r["violation"], r["savings"]) for r in rows] == [
            (g["label"], g["monthly_usd"], g["spend_in_violation_usd"], g["possible_savings_usd"])
            for g in expected
        ]
    assert set(page.groups) == {"cost_center", "workload", "subscription", "rule_family"}
    charts = {c["id"]: c for c in page.charts}
    assert set(charts) == {"chart-cost_center", "chart-subscription", "chart-rule_family"}
    assert charts["chart-cost_center"]["bars"] == len(document["showback"]["by_cost_center"])
    # A plan has no history: no trend, nothing fixed.
    assert "over the last scans" not in page.text
    assert "Fixed since" not in page.text
    assert "Cost per 1,000 requests" in page.text
    assert "$9.0000" in page.text
    assert page.screenshot.stat().st_size > 10_000
    # On screen a basis is a click away; on paper it is printed.
    assert not basis_visible(chromium, html, "screen")
    assert basis_visible(chromium, html, "print")


def test_input_strings_are_text_never_markup_or_requests(chromium: BrowserContext, tmp_path: Path) -> None:
    template = json.loads(ESTATE.read_text(encoding="utf-8"))
    hostile = '<img src="https://evil.example/pixel.png"><script>fetch("https://evil.example/x")</script>'
    template["resources"][0]["tags"]["Cost-Center"] = hostile
    template["resources"][5]["tags"]["workload"] = '"><link rel=stylesheet href=https://evil.example/s.css>'
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    html, _ = _reports(tmp_path, path)
    source = html.read_text(encoding="utf-8")
    assert "<img" not in source
    assert "<script" not in source
    assert "<link" not in source
    page = open_report(chromium, html, "hostile-report")
    _assert_clean(page)
    assert hostile in page.text  # shown as the text it is


def test_compare_to_shows_what_was_fixed_and_what_it_saves(chromium: BrowserContext, tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    _, base_document = _reports(base, ESTATE)
    template = json.loads(ESTATE.read_text(encoding="utf-8"))
    template["resources"] = [r for r in template["resources"] if not r["name"].endswith("/ptu2")]
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(template), encoding="utf-8")
    html, document = _reports(tmp_path, fixed, "--compare-to", str(base / "report.json"))
    page = open_report(chromium, html, "compare-report")
    _assert_clean(page)
    change = document["cost_change"]
    assert change["before_usd"] == base_document["summary"]["monthly_cost_at_risk_usd"]
    assert page.figures["saved"] == pytest.approx(change["before_usd"] - change["after_usd"], abs=0.005)
    assert page.figures["saved"] > 0
    assert "Fixed since the base report" in page.text
    assert "AIGOV-SKU-003" in page.text  # the capacity cap ptu2 broke
