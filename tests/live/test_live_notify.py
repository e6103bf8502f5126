"""``--notify``: the nightly digest posted to a local webhook receiver on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_arm import FakeArm

from aigov.cli.main import main
from aigov.errors import AigovError
from aigov.live.notify import Webhook, redact

SECRET = "T000/B000/XXXXsecretXXXX"
EASTUS = (
    "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-ai-prod"
    "/providers/Microsoft.CognitiveServices/accounts/oai-prod-eastus"
).lower()


@dataclass
class Receiver:
    """A webhook receiver: records each POST; answers ``status``."""

    status: int = 200
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length))
            state.posts.append((self.path, body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=state.server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.server.shutdown()
    state.server.server_close()


def scan(arm: FakeArm, db: Path, *extra: str) -> Any:
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
        *extra,
    ]
    return CliRunner().invoke(main, args)


def second_night(arm: FakeArm) -> None:
    """The idle fine-tune is deleted (fixed) and a new provisioned deployment appears (new, anomaly)."""
    deployments = arm.estate.deployments[EASTUS]
    [ptu] = [d for d in deployments if d["name"] == "reports-ptu"]
    added = json.loads(json.dumps(ptu))
    added["id"] = added["id"].rsplit("/", 1)[0] + "/batch-ptu"
    added["name"] = "batch-ptu"
    added["sku"] = {"name": "ProvisionedManaged", "capacity": 25}
    arm.estate.deployments[EASTUS] = [d for d in deployments if d["name"] != "invoice-ft"] + [added]


def test_the_json_digest_groups_new_fixed_and_anomalies_by_owner(
    arm: FakeArm, receiver: Receiver, tmp_path: Path
) -> None:
    db = tmp_path / "aigov.db"
    hook = f"{receiver.base}/hooks/{SECRET}"
    first = scan(arm, db, "--notify", hook)
    assert first.exit_code == 1, first.stderr
    second_night(arm)
    second = scan(arm, db, "--notify", hook)
    assert second.exit_code == 1, second.stderr
    assert len(receiver.posts) == 2
    path, digest = receiver.posts[-1]
    assert path == f"/hooks/{SECRET}"
    assert digest["schema"] == "aigov-digest/1"
    assert digest["compared_with_previous_scan"] is True
    report = json.loads(second.stdout)
    assert digest["monthly_at_risk_usd"] == pytest.approx(
        report["live"]["history"]["trend"][-1]["monthly_at_risk_usd"]
    )
    previous = report["live"]["history"]["trend"][-2]["monthly_at_risk_usd"]
    assert digest["monthly_at_risk_change_usd"] == pytest.approx(digest["monthly_at_risk_usd"] - previous)
    owners = {o["owner"]: o for o in digest["owners"]}
    finance = owners["team-finance-ai"]
    assert {(i["rule_id"], i["resource"]) for i in finance["fixed"]} >= {("AIGOV-IDLE-002", "invoice-ft")}
    assert finance["fixed_monthly_usd"] >= 1241.0
    assert ("AIGOV-SKU-001", "batch-ptu") in {(i["rule_id"], i["resource"]) for i in finance["new"]}
    assert [(i["rule_id"], i["resource"]) for i in finance["anomalies"]] == [("AIGOV-ANOM-002", "batch-ptu")]
    # Teams that had nothing new, fixed or anomalous are left out of the digest.
    assert "team-voice" not in owners
    # Secrets: never on stdout or stderr; the webhook is named by its host only.
    assert SECRET not in second.stdout + second.stderr
    assert "aigov: notified json webhook http://127.0.0.1:" in second.stderr
    assert "/***" in second.stderr


def test_slack_and_teams_payloads_by_prefix(arm: FakeArm, receiver: Receiver, tmp_path: Path) -> None:
    result = scan(
        arm,
        tmp_path / "aigov.db",
        "--notify",
        f"slack+{receiver.base}/slack/{SECRET}",
        "--notify",
        f"teams+{receiver.base}/teams/{SECRET}",
    )
    assert result.exit_code == 1, result.stderr
    bodies = dict(receiver.posts)
    slack = bodies[f"/slack/{SECRET}"]
    assert slack["text"].startswith("aigov nightly scan ")
    assert "no previous scan to compare" in slack["text"]
    assert slack["blocks"][0]["type"] == "section"
    assert any("team-finance-ai" in b["text"]["text"] for b in slack["blocks"][1:])
    teams = bodies[f"/teams/{SECRET}"]
    assert teams["type"] == "message"
    [attachment] = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    texts = [block["text"] for block in card["body"]]
    assert texts[0] == slack["text"]
    assert any(t.startswith("team-research: ") for t in texts)


def test_a_failing_webhook_exits_4_and_keeps_the_report(
    arm: FakeArm, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.status = 500
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
    result = CliRunner().invoke(main, [*args, "--notify", f"{receiver.base}/hooks/{SECRET}"])
    assert result.exit_code == 4
    assert json.loads(out.read_text(encoding="utf-8"))["findings"]
    [line] = [line for line in result.stderr.splitlines() if "notification" in line]
    assert (
        line
        == f"aigov: notification to json webhook {receiver.base}/*** failed: HTTP 500 Internal Server Error"
    )
    assert SECRET not in result.stderr


def test_a_webhook_that_does_not_answer_exits_4(arm: FakeArm, tmp_path: Path) -> None:
    # Nothing listens on this port: the connection is refused.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = scan(arm, tmp_path / "aigov.db", "--notify", f"http://127.0.0.1:{port}/hooks/{SECRET}")
    assert result.exit_code == 4
    assert "failed: no answer (ConnectionRefusedError" in result.stderr
    assert SECRET not in result.stderr
    assert json.loads(result.stdout)["findings"]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://hooks.slack.com/services/T0/B0/x", "slack"),
        ("https://contoso.webhook.office.com/webhookb2/x", "teams"),
        (
            "https://prod-01.westeurope.logic.azure.com:443/workflows/x/triggers/manual/paths/invoke?sig=s",
            "teams",
        ),
        ("https://example.com/aigov", "json"),
        ("slack+https://relay.example.com/x", "slack"),
        ("json+https://hooks.slack.com/services/x", "json"),
    ],
)
def test_the_payload_kind_comes_from_the_prefix_or_the_host(url: str, kind: str) -> None:
    assert Webhook.parse(url).kind == kind


def test_an_http_webhook_off_loopback_is_refused_without_its_secret() -> None:
    with pytest.raises(AigovError) as caught:
        Webhook.parse(f"http://hooks.example.com/{SECRET}?token=abc")
    assert str(caught.value) == (
        "--notify http://hooks.example.com/***: a webhook URL must be https (http only to a loopback address)"
    )
    result = CliRunner().invoke(main, ["scan", "azure", "--notify", f"ftp://x/{SECRET}"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --notify ftp://x/***: not an http(s) URL"


def test_notify_is_for_the_live_scan_only(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(plan), "--notify", "https://example.com/x"])
    assert result.exit_code == 2
    assert "--notify" in result.stderr


def test_redaction_keeps_scheme_host_and_port() -> None:
    assert redact("https://hooks.slack.com/services/a/b?x=1") == "https://hooks.slack.com/***"
    assert redact("http://127.0.0.1:8080/a") == "http://127.0.0.1:8080/***"


def test_digest_dates_are_the_scans(arm: FakeArm, receiver: Receiver, tmp_path: Path) -> None:
    scan(arm, tmp_path / "aigov.db", "--notify", f"{receiver.base}/x")
    [(_, digest)] = receiver.posts
    generated = datetime.fromisoformat(digest["generated_at"])
    assert abs(generated - datetime.now(UTC)) < timedelta(minutes=5)


def test_the_digest_has_a_budgets_section_worst_first(
    arm: FakeArm, receiver: Receiver, tmp_path: Path
) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text(
        "budgets:\n"
        "  - name: nothing\n    match: {workload: no-such-workload}\n    monthly_usd: 10\n"
        "  - name: finance-ai\n    match: {tags: {cost-center: cc-1001}}\n    monthly_usd: 50000\n"
        "  - name: roomy\n    match: {tags: {cost-center: cc-1001}}\n    monthly_usd: 100000000\n",
        encoding="utf-8",
    )
    result = scan(
        arm,
        tmp_path / "aigov.db",
        "--config",
        str(config),
        "--notify",
        f"{receiver.base}/json/{SECRET}",
        "--notify",
        f"slack+{receiver.base}/slack/{SECRET}",
    )
    assert result.exit_code in (1, 3), result.stderr
    report = json.loads(result.stdout)
    by_name = {b["name"]: b for b in report["budgets"]}
    assert by_name["finance-ai"]["state"] == "over"
    bodies = dict(receiver.posts)
    digest = bodies[f"/json/{SECRET}"]
    # The over budget first, then the one that matches nothing; a budget within its limit is left out.
    assert [(b["name"], b["state"]) for b in digest["budgets"]] == [
        ("finance-ai", "over"),
        ("nothing", "empty"),
    ]
    finance = digest["budgets"][0]
    assert finance["over_usd"] == by_name["finance-ai"]["over_usd"]
    assert finance["forecast_usd"] == by_name["finance-ai"]["forecast_usd"]
    assert finance["text"].startswith("finance-ai: $")
    assert ", over by $" in finance["text"]
    assert "1 budget over" in digest["summary"]
    # A budget is not a resource: no owner's section lists it.
    for owner in digest["owners"]:
        assert all(not i["rule_id"].startswith("AIGOV-BUDGET") for i in owner["open"])
    slack = bodies[f"/slack/{SECRET}"]
    assert "1 budget over" in slack["text"]
    budgets_block = slack["blocks"][1]["text"]["text"]
    assert budgets_block.startswith("```budgets:\n  finance-ai: $")
    assert "nothing: matches no billed AI resource" in budgets_block
