"""History across scans, the ``aigov scan azure`` command, and the small live helpers."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FAST_RETRY
from fake_arm import FakeArm, Fault

from aigov.cli.main import main
from aigov.config import Config
from aigov.errors import AigovError
from aigov.live.client import ArmEndpoint, call_kind
from aigov.live.command import AzureCommand, run_azure
from aigov.live.credentials import StaticTokenCredential, make_credential
from aigov.live.history import History
from aigov.live.mapping import parent_id, to_resource
from aigov.live.scan import LiveOptions
from aigov.report.base import ReportOptions

NOW = datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
RESTRICTED = "00000000-0000-0000-0000-0000000000a3"
EASTUS = (
    "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-ai-prod"
    "/providers/Microsoft.CognitiveServices/accounts/oai-prod-eastus"
)


def nightly(arm: FakeArm, db: Path | str) -> AzureCommand:
    options = LiveOptions(
        arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=FAST_RETRY, progress=False
    )
    return AzureCommand(options, db)


class TestHistory:
    def test_second_scan_shows_new_persisting_and_fixed(
        self, arm: FakeArm, history_target: Path | str
    ) -> None:
        db = history_target
        first = run_azure(Config(), nightly(arm, db), now=NOW)
        assert first.history is not None
        assert first.history.previous_at is None
        assert len(first.history.new) == len(first.scan.result.findings)

        # Overnight: the idle fine-tune is deleted, and a new account appears without tags.
        arm.estate.deployments[EASTUS.lower()] = [
            d for d in arm.estate.deployments[EASTUS.lower()] if d["name"] != "invoice-ft"
        ]
        new_account = dict(arm.estate.resources[0])
        new_account["id"] = EASTUS.replace("oai-prod-eastus", "oai-prod-new")
        new_account["name"] = "oai-prod-new"
        new_account["tags"] = {}
        arm.estate.resources.append(new_account)
        arm.forbidden = {RESTRICTED}

        later = NOW + timedelta(days=1)
        second = run_azure(Config(), nightly(arm, db), now=later)
        diff = second.history
        assert diff is not None
        assert diff.previous_at == NOW
        new = {(f.rule_id, f.resource.name) for f in diff.new}
        assert ("AIGOV-TAG-001", "oai-prod-new") in new
        fixed = {(f.rule_id, f.address.rsplit("/", 1)[-1]) for f in diff.fixed}
        assert ("AIGOV-IDLE-002", "invoice-ft") in fixed
        assert diff.fixed_monthly_usd >= 1241.0
        persisting = {(f.rule_id, str(f.resource.name)): since for f, since in diff.persisting}
        assert persisting[("AIGOV-SKU-001", "reports-ptu")] == NOW
        # The forbidden subscription's findings were not re-checked: neither fixed nor forgotten.
        assert {f.address.rsplit("/", 1)[-1] for f in diff.not_rechecked} >= {"oai-restricted"}
        assert [s.generated_at for s in diff.trend] == [NOW, later]
        assert diff.trend[1].partial

        text = second.render("table", ReportOptions())
        assert "Since the previous scan (2026-06-02 06:00 UTC):" in text
        assert "- AIGOV-IDLE-002" in text
        assert "NOT SCANNED (1)" in text

    def test_a_foreign_sqlite_database_is_refused_and_left_alone(self, tmp_path: Path) -> None:
        db = tmp_path / "other.db"
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE mine (x INTEGER)")
        before = db.read_bytes()
        with pytest.raises(AigovError, match="not an aigov history database"):
            History(db)
        assert db.read_bytes() == before

    def test_a_file_that_is_not_sqlite_is_refused(self, tmp_path: Path) -> None:
        db = tmp_path / "notes.txt"
        db.write_text("hello, this is not a database\n" * 20, encoding="utf-8")
        with pytest.raises(AigovError, match="not a usable aigov history database"):
            History(db)


class TestCommand:
    def test_scan_azure_json_with_history_and_partial_exit(self, arm: FakeArm, tmp_path: Path) -> None:
        arm.forbidden = {RESTRICTED}
        db = tmp_path / "aigov.db"
        args = [
            "scan",
            "azure",
            "--arm-endpoint",
            arm.url,
            "--metrics-endpoint",
            arm.metrics_url,
            "--format",
            "json",
            "--history",
            str(db),
        ]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 3, result.output
        document = json.loads(result.stdout)
        assert document["live"]["not_scanned"][0]["scope"] == RESTRICTED
        assert document["live"]["history"]["previous_scan_at"] is None
        assert document["live"]["api_calls"]["metrics_batch"] == 3  # a1 eastus, a1 westeurope, a2 eastus
        rules = {f["rule_id"] for f in document["findings"]}
        assert {"AIGOV-IDLE-002", "AIGOV-SKU-001", "AIGOV-TAG-001", "AIGOV-ENV-001"} <= rules

    def test_scan_azure_reports_low_use_fine_tunes_and_retiring_versions_as_of_today(
        self, arm: FakeArm
    ) -> None:
        checks = "AIGOV-IDLE-004,AIGOV-LIFE-001"
        args = ["scan", "azure", "--arm-endpoint", arm.url, "--metrics-endpoint", arm.metrics_url]
        args += ["--format", "json", "--check", checks]
        result = CliRunner().invoke(main, [*args, "--today", "2026-09-15"], catch_exceptions=False)
        assert result.exit_code == 1, result.output
        found = {(f["rule_id"], f["resource"]["name"]): f for f in json.loads(result.stdout)["findings"]}
        low = found["AIGOV-IDLE-004", "ft-experiment"]
        assert "7323.08 $ per 1,000 requests" in low["message"]
        assert low["cost"]["monthly_usd"] == 1241.0
        # gpt-4o-mini 2024-07-18 and gpt-4o 2024-11-20 retire on 2026-10-01; the fine-tunes retire later.
        retiring = {name for rule, name in found if rule == "AIGOV-LIFE-001"}
        assert retiring == {"chat", "reports-ptu", "assist", "research-chat"}
        assert "retires on 2026-10-01 (in 16 days)" in found["AIGOV-LIFE-001", "chat"]["message"]

    def test_scan_azure_table_lists_subscriptions_by_name(self, arm: FakeArm) -> None:
        args = [
            "scan",
            "azure",
            "--arm-endpoint",
            arm.url,
            "--metrics-endpoint",
            arm.metrics_url,
            "--fail-on",
            "never",
        ]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "corp-ai-prod (00000000-0000-0000-0000-0000000000a1, environment prod)" in result.stdout

    def test_max_retry_after_and_timeout_options_bound_the_waits(self, arm: FakeArm) -> None:
        dev = "/accounts/oai-dev/deployments"
        arm.faults = [
            Fault(dev, 429, {"Retry-After": "2"}),
            Fault("/accounts/oai-prod-westeu/deployments", delay=1.5, times=5),
        ]
        args = [
            "scan",
            "azure",
            "--arm-endpoint",
            arm.url,
            "--metrics-endpoint",
            arm.metrics_url,
            "--format",
            "json",
            "--fail-on",
            "never",
        ]
        started = time.monotonic()
        result = CliRunner().invoke(main, [*args, "--max-retry-after", "1", "--timeout", "1"])
        assert time.monotonic() - started < 20
        assert result.exit_code == 3, result.output
        reasons = {
            n["scope"].rsplit("/", 1)[-1]: n["reason"]
            for n in json.loads(result.stdout)["live"]["not_scanned"]
        }
        assert reasons["oai-dev"] == "429: the service asked to retry after 2 s, more than the 1 s cap"
        assert reasons["oai-prod-westeu"].startswith("no answer within the timeout, not retried")

    def test_several_subscriptions_for_a_plan_is_an_error(self, tmp_path: Path) -> None:
        plan = tmp_path / "plan.json"
        plan.write_text("{}", encoding="utf-8")
        args = ["scan", str(plan), "--subscription", "a", "--subscription", "b"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2
        assert "several are for `aigov scan azure`" in result.stderr

    def test_live_options_on_a_plan_are_an_error(self, tmp_path: Path) -> None:
        plan = tmp_path / "plan.json"
        plan.write_text("{}", encoding="utf-8")
        result = CliRunner().invoke(main, ["scan", str(plan), "--history", str(tmp_path / "h.db")])
        assert result.exit_code == 2
        assert "apply to `aigov scan azure` only" in result.stderr
        result = CliRunner().invoke(main, ["scan", str(plan), "--timeout", "5"])
        assert result.exit_code == 2
        assert "--timeout apply to `aigov scan azure` only" in result.stderr

    def test_an_http_arm_endpoint_is_refused(self) -> None:
        result = CliRunner().invoke(main, ["scan", "azure", "--arm-endpoint", "http://127.0.0.1:1"])
        assert result.exit_code == 2
        assert "--arm-endpoint must be an https URL" in result.stderr


class TestHelpers:
    def test_endpoint_scopes(self) -> None:
        assert ArmEndpoint.parse(None).scope == "https://management.azure.com/.default"
        gov = ArmEndpoint.parse("https://management.usgovcloudapi.net/")
        assert gov.url == "https://management.usgovcloudapi.net"
        assert gov.scope == "https://management.core.usgovcloudapi.net/.default"
        assert ArmEndpoint.parse("https://127.0.0.1:8443").scope == "https://127.0.0.1:8443/.default"
        with pytest.raises(AigovError):
            ArmEndpoint.parse("https://management.azure.com/subscriptions")

    def test_static_token_expiry_from_a_jwt(self) -> None:
        claims = base64.urlsafe_b64encode(json.dumps({"exp": 1900000000}).encode()).decode().rstrip("=")
        token = f"eyJhbGciOiJub25lIn0.{claims}.sig"
        assert StaticTokenCredential(token).get_token("scope").expires_on == 1900000000
        assert StaticTokenCredential("opaque").get_token("scope").token == "opaque"
        assert "opaque" not in repr(StaticTokenCredential("opaque"))

    def test_the_environment_token_wins(self) -> None:
        assert isinstance(make_credential({"AZURE_ACCESS_TOKEN": "t"}), StaticTokenCredential)

    def test_call_kinds(self) -> None:
        assert call_kind(f"{EASTUS}/providers/Microsoft.Insights/metrics") == "metrics"
        assert call_kind(f"{EASTUS}/deployments") == "deployments"
        assert call_kind("/providers/Microsoft.ResourceGraph/resources") == "resource_graph"
        descendants = "/providers/Microsoft.Management/managementGroups/mg-ai/descendants"
        assert call_kind(descendants) == "management_groups"

    def test_mapping_restores_types_and_links_parents(self) -> None:
        account = to_resource(
            {"id": EASTUS, "type": "microsoft.cognitiveservices/accounts", "kind": "OpenAI"}
        )
        assert account.type == "Microsoft.CognitiveServices/accounts"
        assert account.parent_key is None
        assert account.resource_group == "rg-ai-prod"
        deployment = to_resource(
            {
                "id": f"{EASTUS.upper()}/deployments/chat",
                "type": "Microsoft.CognitiveServices/accounts/deployments",
            }
        )
        assert deployment.parent_key == account.key
        assert parent_id(f"{EASTUS}/deployments/chat") == EASTUS
