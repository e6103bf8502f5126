"""``aigov estimate``, ``aigov prices`` and ``aigov scan --usage`` end to end."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from aigov.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "fixtures" / "terraform_plan" / "example.json")
EXAMPLE_CONFIG = str(ROOT / "fixtures" / "terraform_plan" / "example.aigov.yaml")
USAGE = str(ROOT / "fixtures" / "cost" / "usage.yaml")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("AIGOV_CACHE_DIR", str(cache))
    monkeypatch.delenv("AIGOV_PRICES_API_URL", raising=False)
    return cache


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_estimate_table() -> None:
    result = run("estimate", EXAMPLE, "--usage", USAGE, "--config", EXAMPLE_CONFIG)
    assert result.exit_code == 0, result.output
    assert "Total: $88,707.75 per month (5 resources)" in result.output
    assert "100,000,000 input tokens x 0.15 $/1M + 20,000,000 output tokens x 0.60 $/1M = 27.00 $/month" in (
        result.output.replace("\n", " ")
    )
    assert "Price catalogue: bundled" in result.output


def test_estimate_without_usage_says_what_is_unknown() -> None:
    result = run("estimate", EXAMPLE, "--config", EXAMPLE_CONFIG)
    assert result.exit_code == 0
    assert "1 with unknown cost not included: give their usage with --usage" in result.output


def test_estimate_json_and_compare_to(tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    first = run("estimate", EXAMPLE, "--config", EXAMPLE_CONFIG, "--format", "json", "--output", str(base))
    assert first.exit_code == 0
    saved = json.loads(base.read_text(encoding="utf-8"))
    # Without usage the chat deployment is unknown and the fine-tuned one is its hosting fee only.
    assert saved["total_monthly_usd"] == 88_673.10
    result = run("estimate", EXAMPLE, "--usage", USAGE, "--config", EXAMPLE_CONFIG, "--compare-to", str(base))
    assert result.exit_code == 0
    assert "Change against" in result.output
    assert "+$34.65 per month" in result.output  # chat 27.00 + fine-tuned tokens 7.65
    as_json = run(
        "estimate",
        EXAMPLE,
        "--usage",
        USAGE,
        "--config",
        EXAMPLE_CONFIG,
        "--format",
        "json",
        "--compare-to",
        str(base),
    )
    document = json.loads(as_json.stdout)
    assert document["compare"]["total_delta_usd"] == 34.65


def test_estimate_focus_csv_with_discount(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text("pricing: {discount_percent: 10}\n", encoding="utf-8")
    result = run("estimate", EXAMPLE, "--usage", USAGE, "--config", str(config), "--format", "focus-csv")
    assert result.exit_code == 0
    header, *rows = result.stdout.splitlines()
    assert header.startswith(
        "ResourceId,ResourceName,ResourceType,RegionId,ServiceName,ServiceCategory,SkuId"
    )
    assert len(rows) == 5


def test_bad_usage_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yaml"
    usage.write_text("usage:\n  - {match: '*', chat_share: 2}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["estimate", EXAMPLE, "--usage", str(usage)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {usage}: line 2: $.usage[0]")


def test_output_never_overwrites_an_input(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yaml"
    usage.write_text(Path(USAGE).read_text(encoding="utf-8"), encoding="utf-8")
    argv = ["estimate", EXAMPLE, "--usage", str(usage), "--format", "json", "--output", str(usage)]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2
    assert "refusing to overwrite" in result.stderr


def test_scan_with_usage_prices_findings() -> None:
    result = run(
        "scan",
        EXAMPLE,
        "--config",
        EXAMPLE_CONFIG,
        "--usage",
        USAGE,
        "--format",
        "json",
        "--fail-on",
        "never",
    )
    document = json.loads(result.stdout)
    chat = [f for f in document["findings"] if f["resource"]["address"].endswith('["chat"]')]
    # AIGOV-LIFE-001's figure is the forced upgrade's rise (gpt-4.1-mini: 72.00 − 27.00), not the cost.
    upgrade = [f for f in chat if f["rule_id"] == "AIGOV-LIFE-001"]
    assert [f["cost"]["monthly_usd"] for f in upgrade] == [45.0]
    own = [f for f in chat if f["rule_id"] != "AIGOV-LIFE-001"]
    assert own
    assert all(f["cost"]["monthly_usd"] == 27.0 for f in own)


# ---------------------------------------------------------------- prices


class OnePage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        items: list[dict[str, Any]] = []
        if "Foundry" in self.path:
            items = [
                {
                    "meterName": "gpt 4o 1120 Inp glbl Tokens",
                    "retailPrice": 0.002,
                    "unitOfMeasure": "1K",
                    "serviceName": "Foundry Models",
                    "type": "Consumption",
                }
            ]
        body = json.dumps({"Items": items, "NextPageLink": None}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), OnePage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/retail/prices"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_refreshed_catalogue_is_used_only_when_named(
    api: str, isolated_cache: Path, tmp_path: Path
) -> None:
    result = run("prices", "refresh", "--region", "eastus", "--region", "swedencentral", "--api-url", api)
    assert result.exit_code == 0, result.output
    assert "1 prices from 2 API rows" in result.output
    assert "bundled rows kept (no API price for them, or a region not refreshed)" in result.output
    written = next(isolated_cache.glob("prices-*.yaml"))
    assert f"aigov scan --prices {written}" in result.output
    # A file in the cache changes nobody's figures by itself: estimate, scan and show stay bundled.
    assert json.loads(run("estimate", EXAMPLE, "--format", "json").stdout)["catalog"]["kind"] == "bundled"
    scanned = json.loads(run("scan", EXAMPLE, "--format", "json").stdout)["catalog"]
    assert (scanned["kind"], scanned["path"]) == ("bundled", None)
    shown = run("prices", "show", "gpt-4o")
    assert "price catalogue: bundled catalogue as of 2026-09-30" in shown.output
    assert f"is used only when given: --prices {written}" in shown.output
    # Named, it prices the estimate and the scan, and every report says which file and its read date.
    shown = run("prices", "show", "gpt-4o", "--prices", str(written))
    assert f"price catalogue: refreshed catalogue {written}, read " in shown.output
    assert "2.0000 USD/1M tokens" in shown.output
    named = json.loads(run("estimate", EXAMPLE, "--format", "json", "--prices", str(written)).stdout)
    assert (named["catalog"]["kind"], named["catalog"]["path"]) == ("refreshed", str(written))
    table = run("scan", EXAMPLE, "--prices", str(written), "--format", "table").output
    assert f"refreshedcatalogue{written},read" in "".join(table.split())  # the table wraps long paths
    # The configuration key does the same.
    config = tmp_path / "aigov.yaml"
    config.write_text(f"pricing:\n  catalog: {written}\n", encoding="utf-8")
    report = json.loads(run("scan", EXAMPLE, "--config", str(config), "--format", "json").stdout)
    assert (report["catalog"]["kind"], report["catalog"]["name"]) == ("refreshed", str(written))


def test_prices_refresh_failure_keeps_the_bundled_catalogue(isolated_cache: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "prices",
            "refresh",
            "--region",
            "eastus",
            "--api-url",
            "http://127.0.0.1:9/x",
            "--timeout",
            "2",
            "--retries",
            "0",
        ],
    )
    assert result.exit_code == 2
    assert "cannot reach the Retail Prices API" in result.stderr
    assert "Price catalogue: bundled" in run("estimate", EXAMPLE).output


def test_prices_show_unknown_model() -> None:
    result = CliRunner().invoke(main, ["prices", "show", "no-such-model"])
    assert result.exit_code == 2
    assert "no price for 'no-such-model'" in result.stderr


def test_estimate_output_format_follows_the_extension(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "estimate.json"
    result = run("estimate", EXAMPLE, "--config", EXAMPLE_CONFIG, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["schema"] == "aigov-estimate/1"
    csv = tmp_path / "focus.csv"
    assert run("estimate", EXAMPLE, "--config", EXAMPLE_CONFIG, "-o", str(csv)).exit_code == 0
    assert csv.read_text(encoding="utf-8").startswith("ResourceId,ResourceName,")
    refused = CliRunner().invoke(main, ["estimate", EXAMPLE, "-o", str(tmp_path / "estimate.sarif")])
    assert refused.exit_code == 2
    assert "cannot tell the report format from the extension '.sarif'" in refused.stderr
    mismatch = CliRunner().invoke(main, ["estimate", EXAMPLE, "--format", "table", "-o", str(out)])
    assert mismatch.exit_code == 2
    assert "does not match the file's extension" in mismatch.stderr


def test_estimate_and_scan_report_the_same_cost_block() -> None:
    estimate = json.loads(run("estimate", EXAMPLE, "--config", EXAMPLE_CONFIG, "--format", "json").stdout)
    scan = json.loads(run("scan", EXAMPLE, "--config", EXAMPLE_CONFIG, "--format", "json").stdout)
    assert estimate["cost"] == scan["cost"]
    assert estimate["cost_change"] is None
    assert estimate["budgets"] == scan["budgets"] == []


def _plan_without_ptu(tmp_path: Path) -> Path:
    plan = json.loads(Path(EXAMPLE).read_text(encoding="utf-8"))
    plan["resource_changes"] = [c for c in plan["resource_changes"] if 'reports["ptu"]' not in c["address"]]
    path = tmp_path / "base-plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


@pytest.mark.parametrize("base_kind", ["plan", "scan-report", "estimate"])
def test_estimate_compare_to_takes_what_scan_takes(tmp_path: Path, base_kind: str) -> None:
    # The base branch without the PTU deployment: 30 PTU x 2.00 $/h x 730 h less.
    base = _plan_without_ptu(tmp_path)
    if base_kind != "plan":
        command = "scan" if base_kind == "scan-report" else "estimate"
        saved = tmp_path / f"{base_kind}.json"
        result = run(command, str(base), "--config", EXAMPLE_CONFIG, "--format", "json", "-o", str(saved))
        assert result.exit_code in (0, 1), result.output
        base = saved
    result = run(
        "estimate", EXAMPLE, "--config", EXAMPLE_CONFIG, "--format", "json", "--compare-to", str(base)
    )
    assert result.exit_code == 0, result.output
    change = json.loads(result.stdout)["cost_change"]
    assert change["cost_delta_usd"] == 43_800.0
    (moved,) = change["resources"]
    assert moved == {
        "address": 'azurerm_cognitive_deployment.reports["ptu"]',
        "change": "added",
        "before_usd": None,
        "after_usd": 43_800.0,
        "delta_usd": 43_800.0,
    }
    scan = json.loads(
        run("scan", EXAMPLE, "--config", EXAMPLE_CONFIG, "--format", "json", "--compare-to", str(base)).stdout
        or "{}"
    )
    if base_kind != "estimate":
        assert scan["cost_change"]["cost_delta_usd"] == change["cost_delta_usd"]
        assert scan["cost_change"]["resources"] == change["resources"]


def test_scan_refuses_an_estimate_as_its_base_in_one_line(tmp_path: Path) -> None:
    saved = tmp_path / "estimate.json"
    assert run("estimate", EXAMPLE, "--config", EXAMPLE_CONFIG, "-o", str(saved)).exit_code == 0
    result = CliRunner().invoke(
        main, ["scan", EXAMPLE, "--config", EXAMPLE_CONFIG, "--compare-to", str(saved)]
    )
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {saved}: an aigov estimate has no findings")
