"""Reservation coverage in the live scan: aigov.yaml's PTU reservations against the estate's deployments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FAST_RETRY
from fake_arm import FakeArm

from aigov.cli.main import main
from aigov.config import load_config
from aigov.live.scan import LiveOptions, LiveScan, scan_live
from aigov.model import Finding
from aigov.scan import ScanOptions

NOW = datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
PROD = "00000000-0000-0000-0000-0000000000a1"
DEV = "00000000-0000-0000-0000-0000000000a2"
PRICES = Path(__file__).resolve().parents[2] / "fixtures" / "cost" / "reservation_prices.yaml"


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """The reservation test catalogue, plus regional PTU and reservation test prices."""
    extra = (
        '  - {family: "openai_ptu", meter: "Provisioned Managed Regional Unit", product: "Azure OpenAI", '
        'sku: "ProvisionedManaged", regions: ["*"], unit: "1 Hour", unit_price: 2.0, source: "test", '
        "effective: 2024-04-01}\n"
        '  - {family: "openai_ptu_reservation", meter: "Provisioned Managed Regional", '
        'sku: "ProvisionedManaged", regions: ["*"], unit: "1 Month", unit_price: 286.0, source: "test", '
        "effective: 2026-07-01}\n"
    )
    path = tmp_path / "prices.yaml"
    path.write_text(PRICES.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def scan(arm: FakeArm, tmp_path: Path, catalog: Path, reservations: str) -> LiveScan:
    config_file = tmp_path / "aigov.yaml"
    config_file.write_text(f"pricing:\n  reservations:\n{reservations}", encoding="utf-8")
    options = LiveOptions(
        arm_endpoint=arm.url,
        metrics_endpoint=arm.metrics_url,
        retry=FAST_RETRY,
        progress=False,
        scan=ScanOptions(catalog_path=catalog),
    )
    return scan_live(load_config(config_file), now=NOW, options=options)


def of(live: LiveScan, rule_id: str) -> dict[str, Finding]:
    return {str(f.resource.name): f for f in live.result.findings if f.rule_id == rule_id}


def test_unused_and_mismatched_reservations_with_their_monthly_cost(
    arm: FakeArm, tmp_path: Path, catalog: Path
) -> None:
    live = scan(
        arm,
        tmp_path,
        catalog,
        # reports-ptu: 50 PTU of ProvisionedManaged in eastus, subscription PROD.
        f"    - {{name: regional-prod, deployment_type: ProvisionedManaged, region: eastus, ptu: 80,"
        f" scope: {{subscription: {PROD}}}}}\n"
        "    - {name: dz-east, deployment_type: DataZoneProvisionedManaged, region: eastus, ptu: 15}\n"
        f"    - {{name: global-dev, deployment_type: GlobalProvisionedManaged, ptu: 15,"
        f" scope: {{subscription: {DEV}}}}}\n",
    )
    unused = of(live, "AIGOV-RATE-002")
    assert set(unused) == {"regional-prod", "dz-east", "global-dev"}
    regional = unused["regional-prod"]
    assert regional.message == (
        "Reservation regional-prod (80 PTU of ProvisionedManaged, subscription "
        f"{PROD}) is used for 50 PTU: 30 PTU are paid for and unused"
    )
    # 30 unused PTU x 286 $/PTU/month.
    assert regional.cost.monthly_usd == 8580.0
    # 15 unused Global PTU x 260 $/PTU/month; the dev subscription runs no provisioned deployment.
    assert unused["global-dev"].cost.monthly_usd == 3900.0

    mismatched = of(live, "AIGOV-RATE-003")
    assert set(mismatched) == {"dz-east"}
    assert "covers no deployment, while ProvisionedManaged (50 PTU) run in its scope" in (
        mismatched["dz-east"].message
    )
    # The covered deployment bills no hourly PTU: the reservation pays for it, nothing is left to reserve.
    rate = of(live, "AIGOV-RATE-001")["reports-ptu"]
    assert rate.cost.monthly_usd == 0.0
    assert rate.cost.basis.startswith("50 PTU − 50 covered by owned reservations = 0 PTU")


def test_a_reservation_scoped_elsewhere_leaves_the_deployment_billed_hourly(
    arm: FakeArm, tmp_path: Path, catalog: Path
) -> None:
    live = scan(
        arm,
        tmp_path,
        catalog,
        "    - {name: regional-dev, deployment_type: ProvisionedManaged, ptu: 50,"
        f" scope: {{subscription: {DEV}}}}}\n",
    )
    assert of(live, "AIGOV-RATE-002")["regional-dev"].cost.monthly_usd == 14300.0  # 50 x 286
    [rate] = of(live, "AIGOV-RATE-001").values()
    # 50 PTU x (2.00 $/h x 730 h - 286 $/month) = 58,700 a month saved by reserving them where they run.
    assert rate.cost.monthly_usd == 58700.0


def test_without_a_reservation_price_the_figure_is_unknown_with_the_reason(
    arm: FakeArm, tmp_path: Path
) -> None:
    live = scan(arm, tmp_path, PRICES, "    - {deployment_type: DataZoneProvisionedManaged, ptu: 15}\n")
    [finding] = of(live, "AIGOV-RATE-002").values()
    assert finding.cost.monthly_usd is None
    assert (
        "no PTU reservation price for DataZoneProvisionedManaged in the price catalogue" in finding.cost.basis
    )


def test_scan_azure_reports_reservations_from_the_configuration(
    arm: FakeArm, tmp_path: Path, catalog: Path
) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text(
        "pricing:\n  reservations:\n"
        "    - {name: dz-east, deployment_type: DataZoneProvisionedManaged, ptu: 15}\n",
        encoding="utf-8",
    )
    args = ["scan", "azure", "--arm-endpoint", arm.url, "--metrics-endpoint", arm.metrics_url]
    args += ["--config", str(config), "--catalog", str(catalog)]
    result = CliRunner().invoke(
        main, [*args, "--check", "AIGOV-RATE-00[23]", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    # Azure Policy states are reported beside the rules, whatever --check selects.
    found = {(f["rule_id"], f["resource"]["name"]) for f in findings if f["rule_id"].startswith("AIGOV-")}
    assert found == {("AIGOV-RATE-002", "dz-east"), ("AIGOV-RATE-003", "dz-east")}
