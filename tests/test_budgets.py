"""Budgets in aigov.yaml through ``aigov scan`` and ``aigov estimate``: spend, findings, errors, formats.

The example plan (fixtures/pipeline/plan.json) bills, per month:

* workload invoice-reader: the reports account's PTU deployment (30 PTU of
  ProvisionedManaged in eastus2), its pay-per-token chat deployment (unknown
  without usage) and the gpu compute cluster (2 x Standard_ND96asr_v4 nodes);
* workload support-bot: the fine-tuned deployment's hosting and the standard3
  search service (2 replicas, 1 partition).

Every figure below is recomputed from the bundled catalogue's rows.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from aigov.budgets import Budget, BudgetMatch, check_budgets
from aigov.cli.main import main
from aigov.cost.catalog import load_catalog
from aigov.model import HOURS_PER_MONTH, UNKNOWN, BudgetState, Confidence, ResourceCost

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "fixtures" / "pipeline"
PLAN = PIPELINE / "plan.json"
BASE_CONFIG = (PIPELINE / "aigov.yaml").read_text(encoding="utf-8")

PTU = 'azurerm_cognitive_deployment.reports["ptu"]'
CHAT = 'azurerm_cognitive_deployment.reports["chat"]'
GPU = "azurerm_machine_learning_compute_cluster.gpu"
TUNED = "module.ai.azurerm_cognitive_deployment.tuned"
SEARCH = "module.ai.azurerm_search_service.support"

CATALOG = load_catalog(None)


def _hourly(found: Any) -> float:
    assert found is not None
    return float(found.price.unit_price)


PTU_USD = round(30 * _hourly(CATALOG.ptu_hourly("ProvisionedManaged", "eastus2")) * HOURS_PER_MONTH, 2)
GPU_USD = round(2 * _hourly(CATALOG.vm_hourly("Standard_ND96asr_v4", "eastus2")) * HOURS_PER_MONTH, 2)
TUNED_USD = round(_hourly(CATALOG.ft_hosting_hourly("GlobalStandard", "eastus2")) * HOURS_PER_MONTH, 2)
SEARCH_USD = round(2 * 1 * _hourly(CATALOG.search_unit_hourly("standard3", "eastus2")) * HOURS_PER_MONTH, 2)
INVOICE_USD = round(PTU_USD + GPU_USD, 2)  # the chat deployment's cost is unknown without usage
SUPPORT_USD = round(TUNED_USD + SEARCH_USD, 2)


def _config(tmp_path: Path, budgets: str) -> Path:
    path = tmp_path / "aigov.yaml"
    path.write_text(BASE_CONFIG + "budgets:\n" + budgets, encoding="utf-8")
    return path


def _scan(config: Path, *args: str) -> Result:
    argv = ["scan", str(PLAN), "--config", str(config), "--check", "AIGOV-BUDGET-001", *args]
    return CliRunner().invoke(main, argv, catch_exceptions=False)


def _json(config: Path, *args: str) -> tuple[Result, dict[str, Any]]:
    result = _scan(config, "--format", "json", *args)
    document: dict[str, Any] = json.loads(result.stdout)
    return result, document


def _budget_findings(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in document["findings"] if f["category"] == "budget"]


def test_the_figures_come_from_the_catalogue() -> None:
    # Guards the recomputation itself: 30 PTU x 2.00 $/h x 730 h.
    assert PTU_USD == 43800.0
    assert SUPPORT_USD == round(TUNED_USD + SEARCH_USD, 2) > 0


class TestOverBudget:
    BUDGET = "  - name: invoice-reader\n    match: {workload: invoice-reader}\n    monthly_usd: 60000\n"

    def test_a_finding_on_the_budget_whose_cost_is_the_amount_over(self, tmp_path: Path) -> None:
        result, document = _json(_config(tmp_path, self.BUDGET))
        assert result.exit_code == 1  # high fails the default --fail-on low
        (finding,) = _budget_findings(document)
        over = round(INVOICE_USD - 60000, 2)
        assert finding["rule_id"] == "AIGOV-BUDGET-001"
        assert finding["severity"] == "high"
        assert finding["outcome"] == "violation"
        assert finding["cost"]["monthly_usd"] == over
        assert finding["cost"]["confidence"] == "estimate"  # the gpu cluster is an upper-bound estimate
        assert finding["resource"]["address"] == "budget:invoice-reader"
        assert finding["location"]["file"] == str(tmp_path / "aigov.yaml")
        assert finding["location"]["line"] == BASE_CONFIG.count("\n") + 2
        message = finding["message"]
        assert "invoice-reader" in message
        assert "$60,000.00" in message
        assert f"${INVOICE_USD:,.2f}" in message
        assert f"over by ${over:,.2f}" in message
        # The largest contributors, largest first, and the one of unknown cost named as such.
        assert message.index(PTU) < message.index(GPU) < message.index(CHAT)
        assert "1 matched resource of unknown cost not included" in message

    def test_the_budget_record_in_the_json_report(self, tmp_path: Path) -> None:
        _, document = _json(_config(tmp_path, self.BUDGET))
        (budget,) = document["budgets"]
        assert budget == {
            "name": "invoice-reader",
            "origin": f"{tmp_path / 'aigov.yaml'}:{BASE_CONFIG.count(chr(10)) + 2}",
            "state": "over",
            "limit_usd": 60000.0,
            "forecast_usd": INVOICE_USD,
            "over_usd": round(INVOICE_USD - 60000, 2),
            "share": round(INVOICE_USD / 60000, 4),
            "warn_at": None,
            "unknown_resources": 1,
            "resources": [
                {"address": PTU, "monthly_usd": PTU_USD, "certain": True},
                {"address": GPU, "monthly_usd": GPU_USD, "certain": True},
                {"address": CHAT, "monthly_usd": None, "certain": True},
            ],
        }
        # The overspend is not added to the cost at risk: its resources are what it is made of.
        assert document["summary"]["monthly_cost_at_risk_usd"] == 0.0
        assert document["summary"]["spend_in_violation"]["monthly_usd"] == 0.0

    def test_severity_from_the_config_and_the_fail_on_threshold(self, tmp_path: Path) -> None:
        config = _config(tmp_path, self.BUDGET + "    severity: medium\n")
        result, document = _json(config, "--fail-on", "high")
        assert _budget_findings(document)[0]["severity"] == "medium"
        assert result.exit_code == 0
        assert _scan(config, "--fail-on", "medium").exit_code == 1

    def test_usage_prices_the_unknown_deployment_into_the_forecast(self, tmp_path: Path) -> None:
        usage = tmp_path / "usage.yaml"
        usage.write_text(
            "usage:\n  - match: reports-chat\n    monthly_input_tokens: 1000000000\n"
            "    monthly_output_tokens: 100000000\n",
            encoding="utf-8",
        )
        _, document = _json(_config(tmp_path, self.BUDGET), "--usage", str(usage))
        prices = CATALOG.token_prices("gpt-4o-mini", "2024-07-18", "GlobalStandard", "eastus2")
        # 1,000 M input tokens and 100 M output tokens at their $/1M rows.
        chat = round(1000 * prices["input"].price.unit_price + 100 * prices["output"].price.unit_price, 2)
        (budget,) = document["budgets"]
        assert budget["unknown_resources"] == 0
        assert budget["forecast_usd"] == round(INVOICE_USD + chat, 2)

    def test_a_waiver_accepts_the_budget_finding(self, tmp_path: Path) -> None:
        waiver = (
            "waivers:\n  - rule: AIGOV-BUDGET-001\n    resource: budget:invoice-*\n"
            "    reason: Quarter-end training run (FIN-2301)\n    owner: finops@example.com\n"
            "    expires: 2999-01-01\n"
        )
        path = tmp_path / "aigov.yaml"
        path.write_text(BASE_CONFIG + waiver + "budgets:\n" + self.BUDGET, encoding="utf-8")
        result, document = _json(path)
        assert result.exit_code == 0
        assert _budget_findings(document)[0]["suppression"]["kind"] == "waiver"

    def test_skip_check_leaves_budgets_out(self, tmp_path: Path) -> None:
        argv = ["scan", str(PLAN), "--config", str(_config(tmp_path, self.BUDGET)), "--format", "json"]
        result = CliRunner().invoke(main, [*argv, "--skip-check", "AIGOV-BUDGET-001"])
        document = json.loads(result.stdout)
        assert document["budgets"] == []
        assert _budget_findings(document) == []


class TestOtherStates:
    def test_above_warn_at_is_an_info_warning_that_does_not_fail(self, tmp_path: Path) -> None:
        limit = 6000
        budget = f"  - name: support-bot\n    match: {{workload: support-bot}}\n    monthly_usd: {limit}\n"
        result, document = _json(_config(tmp_path, budget + "    warn_at: 0.8\n"))
        assert 0.8 * limit <= SUPPORT_USD  # the case this test is about
        assert result.exit_code == 0
        (finding,) = _budget_findings(document)
        assert (finding["severity"], finding["outcome"], finding["cost"]["monthly_usd"]) == (
            "info",
            "violation",
            0.0,
        )
        assert f"{SUPPORT_USD / limit:.0%} of $6,000.00" in finding["message"]
        assert document["budgets"][0]["state"] == "warning"

    def test_under_warn_at_is_within_and_gives_no_finding(self, tmp_path: Path) -> None:
        budget = "  - name: support-bot\n    match: {workload: support-bot}\n    monthly_usd: 9000\n"
        result, document = _json(_config(tmp_path, budget + "    warn_at: 0.8\n"))
        assert result.exit_code == 0
        assert _budget_findings(document) == []
        assert document["budgets"][0]["state"] == "within"
        assert document["budgets"][0]["forecast_usd"] == SUPPORT_USD

    def test_a_budget_that_matches_nothing_is_a_warning(self, tmp_path: Path) -> None:
        budget = "  - name: typo\n    match: {tags: {cost-center: CC-9999}}\n    monthly_usd: 10\n"
        result, document = _json(_config(tmp_path, budget))
        (finding,) = _budget_findings(document)
        assert finding["severity"] == "info"
        assert "matches nothing" in finding["message"]
        assert document["budgets"][0]["state"] == "empty"
        assert result.exit_code == 0

    def test_unknown_cost_under_the_limit_is_undetermined(self, tmp_path: Path) -> None:
        budget = (
            "  - name: reports\n    match: {resource: 'azurerm_cognitive_deployment.reports*'}\n"
            "    monthly_usd: 50000\n"
        )
        config = _config(tmp_path, budget)
        result, document = _json(config)
        (finding,) = _budget_findings(document)
        assert finding["outcome"] == "undetermined"
        assert finding["cost"]["monthly_usd"] is None
        assert finding["unknown_fields"] == [CHAT]
        assert f"at least ${PTU_USD:,.2f}" in finding["message"]
        assert result.exit_code == 1
        assert _scan(config, "--on-unknown", "warn").exit_code == 0

    def test_several_match_keys_must_all_hold(self, tmp_path: Path) -> None:
        budget = (
            "  - name: both\n    match: {tags: {cost-center: cc-4410}, resource: 'module.ai.*'}\n"
            "    monthly_usd: 100000\n"
        )
        _, document = _json(_config(tmp_path, budget))
        addresses = [r["address"] for r in document["budgets"][0]["resources"]]
        assert sorted(addresses) == sorted([TUNED, SEARCH])

    def test_a_subscription_budget_matches_the_plan_subscription(self, tmp_path: Path) -> None:
        prod = "3F2B8C1E-7D4A-4E59-9B6C-2A8D5F0E1C47"  # the plan's, in another case
        budget = f"  - name: prod\n    match: {{subscription: {prod}}}\n    monthly_usd: 1000000\n"
        _, document = _json(_config(tmp_path, budget))
        (status,) = document["budgets"]
        assert len(status["resources"]) == 5
        assert status["forecast_usd"] == round(INVOICE_USD + SUPPORT_USD, 2)
        assert status["state"] == "undetermined"  # the chat deployment's cost is unknown
        dev = "9c4e1a7b-2f3d-4b8e-a1c6-5d7e9f0b3a28"
        other = f"  - name: dev\n    match: {{subscription: {dev}}}\n    monthly_usd: 1\n"
        _, document = _json(_config(tmp_path, other))
        assert document["budgets"][0]["state"] == "empty"


def _billed(**fields: Any) -> ResourceCost:
    values: dict[str, Any] = {
        "address": "a",
        "type": "t",
        "monthly_usd": 100.0,
        "confidence": Confidence.EXACT,
    }
    return ResourceCost(**{**values, **fields})


class TestMembershipKnownOnlyAfterApply:
    """A value known only after apply leaves membership open: the budget is undetermined, not passed."""

    @pytest.mark.parametrize(
        ("match", "resource"),
        [
            (BudgetMatch(subscription="s1"), _billed(subscription_id=UNKNOWN)),
            (BudgetMatch(subscription="s1"), _billed(subscription_id=None)),
            (BudgetMatch(tags=(("cost-center", "cc-1"),)), _billed(unknown_tags=("Cost-Center",))),
            (BudgetMatch(workload="w"), _billed(unknown_tags=("*",))),
        ],
    )
    def test_undetermined(self, match: BudgetMatch, resource: ResourceCost) -> None:
        (status,) = check_budgets([Budget("b", match, 1000.0)], [resource], "workload")
        assert status.state is BudgetState.UNDETERMINED
        assert status.contributors[0].certain is False
        assert status.spend_usd == 0.0

    def test_a_known_mismatch_wins_over_an_unknown(self) -> None:
        match = BudgetMatch(subscription="s1", tags=(("team", "a"),))
        resource = _billed(subscription_id=UNKNOWN, tags={"team": "b"})
        (status,) = check_budgets([Budget("b", match, 1000.0)], [resource], "workload")
        assert status.state is BudgetState.EMPTY

    def test_an_unknown_resource_over_a_known_overspend_is_still_over(self) -> None:
        resources = [
            _billed(address="x", monthly_usd=1500.0, subscription_id="S1"),
            _billed(address="y", subscription_id=UNKNOWN),
        ]
        budget = Budget("b", BudgetMatch(subscription="s1"), 1000.0)
        (status,) = check_budgets([budget], resources, "workload")
        assert (status.state, status.over_usd) == (BudgetState.OVER, 500.0)


class TestFormats:
    BUDGETS = (
        "  - name: invoice-reader\n    match: {workload: invoice-reader}\n    monthly_usd: 60000\n"
        "  - name: support-bot\n    match: {workload: support-bot}\n    monthly_usd: 6000\n"
        "    warn_at: 0.8\n"
    )

    def _line(self) -> str:
        over = INVOICE_USD - 60000
        return f"invoice-reader: ${INVOICE_USD:,.2f} of $60,000.00 per month, over by ${over:,.2f}"

    def test_table(self, tmp_path: Path) -> None:
        text = _scan(_config(tmp_path, self.BUDGETS)).stdout
        assert "Budgets" in text.splitlines()
        assert self._line() in " ".join(text.split())
        assert "support-bot: " in text
        compact = _scan(_config(tmp_path, self.BUDGETS), "--compact").stdout
        assert any(line.startswith("Budget invoice-reader: ") for line in compact.splitlines())

    def test_markdown_and_github_step_summary(self, tmp_path: Path) -> None:
        text = _scan(_config(tmp_path, self.BUDGETS), "--format", "markdown").stdout
        expected = self._line().replace("$", "\\$")
        assert f"- **Budget:** {expected}" in text
        over = f"{INVOICE_USD - 60000:,.2f}"
        assert f"Budgets: over their limits by \\${over} (not added to the spend in violation" in text

    def test_junit_summary(self, tmp_path: Path) -> None:
        text = _scan(_config(tmp_path, self.BUDGETS), "--format", "junit").stdout
        root = ET.fromstring(text)
        props = {p.get("name"): p.get("value") for p in root.iter("property")}
        assert props["budget:invoice-reader"] is not None
        assert props["budget:invoice-reader"].startswith(self._line())
        assert "warning" in (props["budget:support-bot"] or "")

    def test_sarif_run_properties(self, tmp_path: Path) -> None:
        text = _scan(_config(tmp_path, self.BUDGETS), "--format", "sarif").stdout
        run = json.loads(text)["runs"][0]
        budgets = {b["name"]: b for b in run["properties"]["budgets"]}
        assert budgets["invoice-reader"]["overUsd"] == round(INVOICE_USD - 60000, 2)
        assert budgets["support-bot"]["state"] == "warning"
        located = [
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
            for r in run["results"]
            if r["ruleId"] == "AIGOV-BUDGET-001"
        ]
        assert len(located) == 2

    def test_azure_devops_log(self, tmp_path: Path) -> None:
        text = _scan(_config(tmp_path, self.BUDGETS), "--format", "azure-devops").stdout
        assert f"Budget {self._line()}" in text
        assert "code=AIGOV-BUDGET-001" in text

    def test_github_annotations_point_at_the_budget_in_aigov_yaml(self, tmp_path: Path) -> None:
        config = _config(tmp_path, self.BUDGETS)
        text = _scan(config, "--format", "github").stdout
        line = BASE_CONFIG.count("\n") + 2
        assert f"::error file={config},line={line},title=AIGOV-BUDGET-001" in text


class TestConfigErrors:
    @pytest.mark.parametrize(
        ("budgets", "where", "what"),
        [
            (
                "  - name: a\n    match: {workload: x}\n",
                "$.budgets[0]",
                "'monthly_usd' is a required property",
            ),
            (
                "  - name: a\n    match: {workload: x}\n    monthly_usd: 10\n    warn: 0.8\n",
                "$.budgets[0]",
                "'warn' was unexpected",
            ),
            (
                "  - name: a\n    match: {}\n    monthly_usd: 10\n",
                "$.budgets[0].match",
                "should be non-empty",
            ),
            (
                "  - name: a\n    match: {workload: x}\n    monthly_usd: 10\n    warn_at: 1.5\n",
                "$.budgets[0].warn_at",
                "1.5",
            ),
            (
                "  - name: a\n    match: {workload: x, tag: {a: b}}\n    monthly_usd: 10\n",
                "$.budgets[0].match",
                "'tag' was unexpected",
            ),
            (
                "  - name: a\n    match: {workload: x}\n    monthly_usd: 10\n"
                "  - name: A\n    match: {workload: y}\n    monthly_usd: 10\n",
                "$.budgets[1].name",
                "declared twice",
            ),
        ],
    )
    def test_one_line_with_file_line_and_key(
        self, tmp_path: Path, budgets: str, where: str, what: str
    ) -> None:
        config = _config(tmp_path, budgets)
        result = CliRunner().invoke(main, ["scan", str(PLAN), "--config", str(config)])
        assert result.exit_code == 2
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"error: {config}: line ")
        assert where in line
        assert what in line


class TestEstimate:
    BUDGET = "  - name: invoice-reader\n    match: {workload: invoice-reader}\n    monthly_usd: 60000\n"

    def test_estimate_shows_budgets_in_the_table_and_json(self, tmp_path: Path) -> None:
        config = _config(tmp_path, self.BUDGET)
        argv = ["estimate", str(PLAN), "--config", str(config)]
        table = CliRunner().invoke(main, argv, catch_exceptions=False)
        assert table.exit_code == 0
        assert "Budgets" in table.stdout
        over = f"over by ${INVOICE_USD - 60000:,.2f}"
        assert over in " ".join(table.stdout.split())
        result = CliRunner().invoke(main, [*argv, "--format", "json"], catch_exceptions=False)
        (budget,) = json.loads(result.stdout)["budgets"]
        assert (budget["state"], budget["forecast_usd"]) == ("over", INVOICE_USD)
