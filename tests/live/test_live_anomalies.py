"""Anomalies per deployment, end to end: daily series served by the fake ARM, judged by the live scan."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FAST_RETRY
from fake_arm import FakeArm

from aigov.cli.main import main
from aigov.config import AnomalySettings, Config, load_config
from aigov.live.command import AzureCommand, run_azure
from aigov.live.scan import LiveOptions, LiveScan, scan_live
from aigov.model import Finding

NOW = datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
EASTUS = (
    "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-ai-prod"
    "/providers/Microsoft.CognitiveServices/accounts/oai-prod-eastus"
).lower()
WESTEU = (
    "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-ai-prod"
    "/providers/Microsoft.CognitiveServices/accounts/oai-prod-westeu"
).lower()
RESTRICTED_ACCOUNT = (
    "/subscriptions/00000000-0000-0000-0000-0000000000a3/resourceGroups/rg-ai-restricted"
    "/providers/Microsoft.CognitiveServices/accounts/oai-restricted"
).lower()
DAYS_PER_MONTH = 730 / 24
# gpt-4o-mini 2024-07-18 GlobalStandard in the bundled catalogue, $ per 1M tokens.
MINI_INPUT, MINI_OUTPUT = 0.15, 0.6


def scan(arm: FakeArm, config: Config | None = None) -> LiveScan:
    options = LiveOptions(
        arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=FAST_RETRY, progress=False
    )
    return scan_live(config or Config(), now=NOW, options=options)


def anomalies(live: LiveScan) -> list[Finding]:
    return [f for f in live.result.findings if f.category == "anomaly"]


def tenfold_last_day(arm: FakeArm) -> None:
    """chat: steady tokens for 29 days, then a day with ten times the requests and tokens."""
    chat = arm.estate.metrics[EASTUS]["chat"]
    chat["requests"] = [*chat["requests"][:-1], chat["requests"][-1] * 10]
    chat["prompt"] = [1_000_000] * 29 + [10_000_000]
    chat["completion"] = [200_000] * 29 + [2_000_000]


class TestSeries:
    def test_a_tenfold_day_is_an_anomaly_with_its_run_rate_difference(self, arm: FakeArm) -> None:
        tenfold_last_day(arm)
        [spike] = anomalies(scan(arm))
        assert spike.rule_id == "AIGOV-ANOM-001"
        assert spike.resource.name == "chat"
        assert spike.anomaly is not None
        assert spike.anomaly.kind == "usage-spike"
        by_metric = {s.metric: s for s in spike.anomaly.series}
        assert set(by_metric) == {"requests", "prompt_tokens", "completion_tokens"}
        prompt = by_metric["prompt_tokens"]
        assert prompt.anomalous
        assert prompt.median == 1_000_000
        assert prompt.recent[-1][1] == 10_000_000
        assert prompt.baseline_days == 28
        # The run-rate difference: 9M more prompt and 1.8M more completion tokens a day, for a month.
        expected = (9_000_000 * MINI_INPUT + 1_800_000 * MINI_OUTPUT) * DAYS_PER_MONTH / 1e6
        assert spike.cost.monthly_usd == pytest.approx(expected, abs=0.02)
        assert "recent run-rate" in spike.cost.basis
        assert "baseline run-rate" in spike.cost.basis
        assert "10.0x" in spike.message

    def test_steady_and_noisy_series_raise_no_anomaly(self, arm: FakeArm) -> None:
        # The fixture's series: steady PTU traffic, everyday noise (870 to 1,510 a day), a fading fine-tune.
        assert anomalies(scan(arm)) == []

    def test_a_deployment_with_too_little_history_is_not_judged_and_the_report_says_so(
        self, arm: FakeArm
    ) -> None:
        # ft-experiment was created 13 days before the scan: its first requests are not a spike.
        live = scan(arm)
        [note] = [w for w in live.result.warnings if w.startswith("anomalies:")]
        assert "not judged, less than 14 days of daily history" in note
        assert "ft-experiment" in note
        assert "chat" not in note

    def test_a_spike_on_a_provisioned_deployment_costs_nothing_more(self, arm: FakeArm) -> None:
        ptu = arm.estate.metrics[EASTUS]["reports-ptu"]
        ptu["requests"] = [*ptu["requests"][:-1], 4000]
        [spike] = anomalies(scan(arm))
        assert spike.resource.name == "reports-ptu"
        assert spike.cost.monthly_usd == 0.0
        assert "by the hour" in spike.cost.basis

    def test_more_requests_with_steady_tokens_cost_nothing_more(self, arm: FakeArm) -> None:
        assist = arm.estate.metrics[WESTEU]["assist"]
        assist["requests"] = [*assist["requests"][:-1], 12_000]
        [spike] = anomalies(scan(arm))
        assert spike.resource.name == "assist"
        assert spike.anomaly is not None
        flagged = {s.metric for s in spike.anomaly.series if s.anomalous}
        assert flagged == {"requests"}
        assert spike.cost.monthly_usd == 0.0

    def test_without_token_series_the_cost_is_unknown(self, arm: FakeArm) -> None:
        research = arm.estate.metrics[RESTRICTED_ACCOUNT]["research-chat"]
        research["requests"] = [*research["requests"][:-1], 12_000]
        [spike] = anomalies(scan(arm))
        assert spike.resource.name == "research-chat"
        assert spike.cost.monthly_usd is None
        assert "token volumes are not known" in spike.cost.basis

    def test_thresholds_come_from_the_configuration(self, arm: FakeArm) -> None:
        tenfold_last_day(arm)
        assert anomalies(scan(arm, Config(anomalies=AnomalySettings(min_ratio=20)))) == []
        assert anomalies(scan(arm, Config(anomalies=AnomalySettings(enabled=False)))) == []

    def test_the_json_report_carries_the_series(self, arm: FakeArm, tmp_path: Path) -> None:
        tenfold_last_day(arm)
        out = tmp_path / "report.json"
        args = [
            "scan",
            "azure",
            "--arm-endpoint",
            arm.url,
            "--metrics-endpoint",
            arm.metrics_url,
            "--format",
            "json",
            "--output",
            str(out),
        ]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.stderr
        document = json.loads(out.read_text(encoding="utf-8"))
        [spike] = [f for f in document["findings"] if f["category"] == "anomaly"]
        assert spike["rule_id"] == "AIGOV-ANOM-001"
        series = {s["metric"]: s for s in spike["anomaly"]["series"]}
        assert series["requests"]["recent"][-1]["value"] == 12_400
        # The command runs at the real time; the fake ARM's daily buckets end there.
        assert (
            series["requests"]["recent"][-1]["date"]
            == (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
        )
        assert series["prompt_tokens"]["median"] == 1_000_000
        assert spike["cost"]["monthly_usd"] > 70


class TestConfiguration:
    def test_anomaly_settings_are_read_from_aigov_yaml(self, tmp_path: Path) -> None:
        path = tmp_path / "aigov.yaml"
        path.write_text(
            "live:\n  anomalies:\n    threshold: 8\n    baseline_min_days: 10\n", encoding="utf-8"
        )
        settings = load_config(path).anomalies
        assert settings.threshold == 8.0
        assert settings.baseline_min_days == 10
        assert settings.baseline_max_days == 28

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("live:\n  anomalies:\n    threshhold: 8\n", "threshhold"),
            ("live:\n  anomalies:\n    threshold: -1\n", "threshold"),
            (
                "live:\n  anomalies:\n    baseline_min_days: 20\n    baseline_max_days: 15\n",
                "baseline_max_days (15) is less than baseline_min_days (20)",
            ),
            (
                "live:\n  anomalies:\n    baseline_max_days: 28\n    recent_days: 3\n",
                "exceed the 30 days of daily metrics",
            ),
        ],
    )
    def test_a_config_error_names_the_file_line_and_key(
        self, tmp_path: Path, text: str, message: str
    ) -> None:
        path = tmp_path / "aigov.yaml"
        path.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(main, ["scan", "azure", "--config", str(path)])
        assert result.exit_code == 2
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"error: {path}:")
        assert "live" in line
        assert "anomalies" in line
        assert message in line


def deployment_like(arm: FakeArm, name: str, new_name: str, **changes: object) -> dict[str, object]:
    """A copy of the eastus deployment ``name`` as ``new_name``, with ``changes`` merged at the top."""
    [found] = [d for d in arm.estate.deployments[EASTUS] if d["name"] == name]
    copy = json.loads(json.dumps(found))
    copy["id"] = copy["id"].rsplit("/", 1)[0] + "/" + new_name
    copy["name"] = new_name
    copy.update(changes)
    return copy


def nightly(arm: FakeArm, db: object, now: datetime, config: Config | None = None) -> LiveScan:
    command = AzureCommand(
        LiveOptions(arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=FAST_RETRY, progress=False),
        db,
    )  # type: ignore[arg-type]
    return run_azure(config or Config(), command, now=now).scan


class TestChanges:
    def test_new_ptu_deployment_tier_change_capacity_change_and_fine_tune_hosting(
        self, arm: FakeArm, history_target: object
    ) -> None:
        first = nightly(arm, history_target, NOW)
        assert anomalies(first) == []
        assert any("judged from the next scan on" in w for w in first.result.warnings)

        # Overnight: a new provisioned deployment, chat moves to provisioned throughput, reports-ptu
        # doubles its PTUs, a fine-tune starts being hosted, and a small pay-per-token one appears.
        deployments = arm.estate.deployments[EASTUS]
        deployments.append(
            deployment_like(
                arm, "reports-ptu", "batch-ptu", sku={"name": "GlobalProvisionedManaged", "capacity": 15}
            )
        )
        deployments.append(deployment_like(arm, "invoice-ft", "support-ft"))
        deployments.append(deployment_like(arm, "chat", "small-chat"))
        for d in deployments:
            if d["name"] == "chat":
                d["sku"] = {"name": "GlobalProvisionedManaged", "capacity": 15}
            if d["name"] == "reports-ptu":
                d["sku"] = {"name": "ProvisionedManaged", "capacity": 100}
        second = nightly(arm, history_target, NOW + timedelta(days=1))
        found = {str(f.resource.name): f for f in anomalies(second)}
        assert set(found) == {"batch-ptu", "chat", "reports-ptu", "support-ft"}

        new = found["batch-ptu"]
        assert new.rule_id == "AIGOV-ANOM-002"
        assert new.cost.monthly_usd == 15 * 1.0 * 730  # GlobalProvisionedManaged at $1.00/PTU/h
        assert new.anomaly is not None
        assert new.anomaly.kind == "new-deployment"
        assert new.anomaly.previous_scan_at == NOW

        tier = found["chat"]
        assert tier.rule_id == "AIGOV-ANOM-003"
        assert tier.anomaly is not None
        assert tier.anomaly.before is not None
        assert tier.anomaly.after is not None
        assert (tier.anomaly.before["sku"], tier.anomaly.after["sku"]) == (
            "GlobalStandard",
            "GlobalProvisionedManaged",
        )
        assert "type GlobalStandard -> GlobalProvisionedManaged" in tier.message
        # Pay-per-token before, priced from its observed tokens; 15 PTU at $1.00/h now.
        assert tier.anomaly.after["monthly_usd"] == 15 * 1.0 * 730
        before_usd = tier.anomaly.before["monthly_usd"]
        assert 0 < before_usd < 100
        assert tier.cost.monthly_usd == pytest.approx(15 * 730 - before_usd, abs=0.01)

        capacity = found["reports-ptu"]
        assert capacity.rule_id == "AIGOV-ANOM-003"
        assert capacity.anomaly is not None
        before, after = capacity.anomaly.before, capacity.anomaly.after
        assert before is not None
        assert after is not None
        assert "capacity 50 -> 100" in capacity.message
        assert after["monthly_usd"] == 2 * before["monthly_usd"]
        assert capacity.cost.monthly_usd == pytest.approx(after["monthly_usd"] - before["monthly_usd"])

        hosting = found["support-ft"]
        assert hosting.rule_id == "AIGOV-ANOM-004"
        assert hosting.cost.monthly_usd == 1241.0  # 1.70 $/h x 730 h, as for invoice-ft

        # The next night nothing changed: no change anomaly, and the anomalies were never open findings.
        third = nightly(arm, history_target, NOW + timedelta(days=2))
        assert anomalies(third) == []

    def test_new_deployments_under_the_threshold_or_in_unread_scopes_are_not_flagged(
        self, arm: FakeArm, history_target: object
    ) -> None:
        config = Config(anomalies=AnomalySettings(new_deployment_usd=20_000))
        nightly(arm, history_target, NOW, config)
        arm.estate.deployments[EASTUS].append(
            deployment_like(
                arm, "reports-ptu", "batch-ptu", sku={"name": "GlobalProvisionedManaged", "capacity": 15}
            )
        )
        assert anomalies(nightly(arm, history_target, NOW + timedelta(days=1), config)) == []

    def test_keep_days_removes_old_scans_but_not_open_findings(
        self, arm: FakeArm, history_target: object
    ) -> None:
        options = LiveOptions(
            arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=FAST_RETRY, progress=False
        )
        for day in range(4):
            report = run_azure(
                Config(), AzureCommand(options, history_target, keep_days=2), now=NOW + timedelta(days=day)
            )  # type: ignore[arg-type]
        assert report.history is not None
        assert [s.generated_at for s in report.history.trend] == [NOW + timedelta(days=d) for d in (1, 2, 3)]
        # Day 0 is more than 2 days before day 3; day 1 is exactly 2 days before and stays.
        assert report.history.pruned == 1
        persisting = {f.rule_id: since for f, since in report.history.persisting}
        assert persisting["AIGOV-SKU-001"] == NOW  # first seen before the removed scans
