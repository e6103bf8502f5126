"""``aigov scan azure --format html`` with a history: trend and fixed findings, in a real browser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_arm import FakeArm
from playwright.sync_api import BrowserContext

from aigov.cli.main import main
from tests.browser import open_report

EASTUS = (
    "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-ai-prod"
    "/providers/Microsoft.CognitiveServices/accounts/oai-prod-eastus"
)


def _nightly(arm: FakeArm, db: Path, out: Path) -> dict[str, Any]:
    out.mkdir()
    args = ["scan", "azure", "--arm-endpoint", arm.url, "--metrics-endpoint", arm.metrics_url]
    args += ["--history", str(db), "--fail-on", "never"]
    result = CliRunner().invoke(main, [*args, "-o", str(out / "r.html"), "-o", str(out / "r.json")])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads((out / "r.json").read_text(encoding="utf-8"))
    return document


def test_nightly_html_shows_the_trend_what_was_fixed_and_the_showback(
    arm: FakeArm, chromium: BrowserContext, tmp_path: Path
) -> None:
    db = tmp_path / "aigov.db"
    first = _nightly(arm, db, tmp_path / "first")
    # Overnight the idle fine-tune is deleted: its finding is fixed.
    arm.estate.deployments[EASTUS.lower()] = [
        d for d in arm.estate.deployments[EASTUS.lower()] if d["name"] != "invoice-ft"
    ]
    second = _nightly(arm, db, tmp_path / "second")
    page = open_report(chromium, tmp_path / "second" / "r.html", "live-report")

    assert page.console_errors == []
    assert page.blocked == []
    charts = {c["id"]: c for c in page.charts}
    assert charts["trend"]["width"] > 0
    assert charts["trend"]["marks"] >= 3  # the line and a point per scan
    assert {"chart-cost_center", "chart-subscription", "chart-rule_family"} <= set(charts)

    history = second["live"]["history"]
    assert page.figures["at-risk"] == pytest.approx(second["summary"]["monthly_cost_at_risk_usd"], abs=0.005)
    assert page.figures["spend"] == pytest.approx(second["cost"]["monthly_usd"], abs=0.005)
    assert page.figures["saved"] == pytest.approx(history["fixed_monthly_usd"], abs=0.005)
    assert history["fixed_monthly_usd"] >= 1241.0
    assert "Fixed since the previous scan" in page.text
    assert "AIGOV-IDLE-002" in page.text
    assert [t["monthly_at_risk_usd"] for t in history["trend"]] == [
        first["summary"]["monthly_cost_at_risk_usd"],
        second["summary"]["monthly_cost_at_risk_usd"],
    ]
    # The live estate's subscriptions, named as Azure names them, carry the spend.
    subscriptions = page.groups["subscription"]
    assert sum(r["spend"] for r in subscriptions) == pytest.approx(second["cost"]["monthly_usd"], abs=0.01)
    assert any(not r["label"].startswith("(") for r in subscriptions)
    # Unit economics from the requests the scan observed, for deployments whose cost is known.
    units = second["showback"]["unit_costs"]
    assert units
    for unit in units:
        assert unit["cost_per_1000_requests"] == pytest.approx(
            unit["monthly_usd"] / unit["monthly_requests"] * 1000, rel=1e-2
        )
        assert "requests in 30 days x 730/720" in unit["requests_basis"]
    assert "Cost per 1,000 requests" in page.text
