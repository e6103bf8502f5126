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
DAYS_PER_MONTH = 730 / 24
# gpt-4o-mini 2024-07-18 GlobalStandard in the bundled catalogue, $ per 1M tokens.
MINI_INPUT, MINI_OUTPUT = 0.15, 0.6


def scan(arm: FakeArm, config: Config | None = None) -> LiveScan:
    options = LiveOptions(arm_endpoint=arm.url, retry=FAST_RETRY, progress=False)
    return scan_live(config or Config(), now=NOW, options=options)


def anomalies(live: LiveScan) -> list[Finding]:
    return [f for f in live.result.findings if f.category == "anomaly"]


def tenfold_last_day(arm: FakeArm) -> None:
    """chat: steady tokens for 29 days, then a day with ten times the requests and tokens."""
    chat = arm.estate.metrics[EASTUS]["chat"]
    chat["requests"] = [*chat["requests"][:-1], chat["requests"][-1] * 10]
    chat["prompt_tokens"] = [1_000_000] * 29 + [10_000_000]
    chat["completion_tokens"] = [200_000] * 29 + [2_000_000]


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

    def test_without_token_series_the_cost_is_unknown(self, arm: FakeArm) -> None:
        assist = arm.estate.metrics[WESTEU]["assist"]
        assist["requests"] = [*assist["requests"][:-1], 12_000]
        [spike] = anomalies(scan(arm))
        assert spike.resource.name == "assist"
        assert spike.cost.monthly_usd is None
        assert "token volumes are not known" in spike.cost.basis

    def test_thresholds_come_from_the_configuration(self, arm: FakeArm) -> None:
        tenfold_last_day(arm)
        assert anomalies(scan(arm, Config(anomalies=AnomalySettings(min_ratio=20)))) == []
        assert anomalies(scan(arm, Config(anomalies=AnomalySettings(enabled=False)))) == []

    def test_the_json_report_carries_the_series(self, arm: FakeArm, tmp_path: Path) -> None:
        tenfold_last_day(arm)
        out = tmp_path / "report.json"
        args = ["scan", "azure", "--arm-endpoint", arm.url, "--format", "json", "--output", str(out)]
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
