"""Reservation coverage in the live scan: aigov.yaml's PTU reservations against the estate's deployments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import FAST_RETRY
from fake_arm import FakeArm, Fault

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
        "no 1-month PTU reservation price for DataZoneProvisionedManaged in the price catalogue"
        in finding.cost.basis
    )


def scan_cli(arm: FakeArm, tmp_path: Path, catalog: Path, name: str, *extra: str) -> dict[str, Any]:
    """``aigov scan azure`` with one Data Zone reservation named ``name`` in aigov.yaml: the JSON report."""
    config = tmp_path / "aigov.yaml"
    config.write_text(
        "pricing:\n  reservations:\n"
        f"    - {{name: {name}, deployment_type: DataZoneProvisionedManaged, ptu: 15}}\n",
        encoding="utf-8",
    )
    args = ["scan", "azure", "--arm-endpoint", arm.url, "--metrics-endpoint", arm.metrics_url]
    args += ["--config", str(config), "--catalog", str(catalog), *extra]
    result = CliRunner().invoke(
        main, [*args, "--check", "AIGOV-RATE-00[23]", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 1, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def rule_findings(document: dict[str, Any]) -> set[tuple[str, str]]:
    # Azure Policy states are reported beside the rules, whatever --check selects.
    return {
        (f["rule_id"], f["resource"]["name"])
        for f in document["findings"]
        if f["rule_id"].startswith("AIGOV-")
    }


def test_scan_azure_reports_reservations_from_the_configuration(
    arm: FakeArm, tmp_path: Path, catalog: Path
) -> None:
    found = rule_findings(scan_cli(arm, tmp_path, catalog, "dz-east"))
    assert found == {("AIGOV-RATE-002", "dz-east"), ("AIGOV-RATE-003", "dz-east")}


# ---------------------------------------------------------------------------- --reservations: the API's


def _owned(
    name: str,
    quantity: int,
    *,
    description: str,
    scope: str = "Shared",
    scopes: tuple[str, ...] = (),
    term: str = "P1M",
    state: str = "Succeeded",
    location: str = "eastus",
    reserved: str = "OpenAIPTU",
) -> dict[str, Any]:
    """A ReservationResponse as ``Reservation - List All`` (2022-11-01) returns it."""
    order = f"0000000{len(name)}-0000-0000-0000-{name.encode().hex()[:12]:0>12}"
    return {
        "id": f"/providers/Microsoft.Capacity/reservationOrders/{order}/reservations/{order}",
        "name": f"{order}/{order}",
        "type": "Microsoft.Capacity/reservationOrders/reservations",
        "location": location,
        "etag": 4,
        "sku": {"name": description.replace(" ", "_")},
        "properties": {
            "reservedResourceType": reserved,
            "displayName": name,
            "quantity": quantity,
            "provisioningState": state,
            "appliedScopeType": scope,
            **({"appliedScopes": list(scopes)} if scopes else {}),
            "term": term,
            "billingPlan": "Monthly",
            "skuDescription": description,
            "expiryDate": "2027-05-01",
        },
    }


@pytest.fixture
def yearly_catalog(catalog: Path) -> Path:
    """The reservation test catalogue with a one-year Global price (per PTU for the whole year)."""
    with catalog.open("a", encoding="utf-8") as out:
        out.write(
            '  - {family: "openai_ptu_reservation", meter: "Provisioned Managed Global", '
            'sku: "GlobalProvisionedManaged", regions: ["*"], term: "1 Year", unit: "1 Year", '
            "unit_price: 2652.0, source: test, effective: 2026-07-01}\n"
        )
    return catalog


def live_scan(arm: FakeArm, tmp_path: Path, catalog: Path, config: str = "") -> LiveScan:
    config_file = tmp_path / "aigov.yaml"
    config_file.write_text(config, encoding="utf-8")
    options = LiveOptions(
        arm_endpoint=arm.url,
        metrics_endpoint=arm.metrics_url,
        retry=FAST_RETRY,
        progress=False,
        reservations=True,
        scan=ScanOptions(catalog_path=catalog),
    )
    return scan_live(load_config(config_file), now=NOW, options=options)


def test_the_reservations_api_reservations_are_netted_with_their_terms(
    arm: FakeArm, tmp_path: Path, yearly_catalog: Path
) -> None:
    arm.estate.reservations = [
        # reports-ptu: 50 PTU of ProvisionedManaged in eastus, subscription PROD.
        _owned(
            "regional-prod",
            80,
            description="Provisioned Managed Regional",
            scope="Single",
            scopes=(f"/subscriptions/{PROD}",),
        ),
        _owned("global-year", 10, description="Provisioned Managed Global", term="P1Y"),
        _owned("old-global", 40, description="Provisioned Managed Global", state="Expired"),
        _owned("vm-reservation", 4, description="Standard_D4s_v5", reserved="VirtualMachines"),
        _owned("mg-dz", 20, description="Provisioned Managed Data Zone", scope="ManagementGroup"),
        _owned("mystery", 5, description="Foundry PTU"),
    ]
    live = live_scan(
        arm,
        tmp_path,
        yearly_catalog,
        "pricing:\n  reservations:\n    - {deployment_type: ProvisionedManaged, ptu: 999}\n",
    )
    unused = of(live, "AIGOV-RATE-002")
    assert set(unused) == {"regional-prod", "global-year"}
    # 30 unused PTU x 286 $/PTU/month: the API's 80 PTU, not aigov.yaml's 999.
    assert unused["regional-prod"].cost.monthly_usd == 8580.0
    # 10 unused PTU x 2,652 $/PTU/year / 12 months = 2,210.00 $/month.
    assert unused["global-year"].cost.monthly_usd == 2210.0
    assert "1-year term" in unused["global-year"].cost.basis
    # The reservation is a live resource: its ARM id, read from the API.
    assert unused["regional-prod"].resource.origin.source == "azure"
    assert unused["regional-prod"].resource.origin.address.startswith("/providers/Microsoft.Capacity/")
    # The covered deployment bills nothing by the hour.
    assert of(live, "AIGOV-RATE-001")["reports-ptu"].cost.monthly_usd == 0.0
    warnings = "\n".join(live.result.warnings)
    assert "reservation mg-dz: scoped to ManagementGroup" in warnings
    assert "reservation mystery: its SKU 'Foundry_PTU' names no provisioned deployment type" in warnings
    assert "aigov.yaml's 1 pricing.reservations are not used" in warnings
    assert "old-global" not in warnings  # an expired reservation is simply not owned any more
    # Five OpenAIPTU reservations, two a page: three pages, each asking for the reserved type only.
    calls = arm.calls("/providers/Microsoft.Capacity/reservations")
    assert [c.query["$filter"] for c in calls] == [["properties/reservedResourceType eq 'OpenAIPTU'"]] * 3
    assert live.calls.calls["reservations"] == 3


def test_reservations_the_credential_may_not_read_fall_back_to_the_configuration(
    arm: FakeArm, tmp_path: Path, catalog: Path
) -> None:
    arm.faults.append(Fault("/providers/Microsoft.Capacity/reservations", status=403, times=99))
    live = live_scan(
        arm,
        tmp_path,
        catalog,
        "pricing:\n  reservations:\n"
        "    - {name: dz-east, deployment_type: DataZoneProvisionedManaged, region: eastus, ptu: 15}\n",
    )
    assert set(of(live, "AIGOV-RATE-002")) == {"dz-east"}
    [warning] = [w for w in live.result.warnings if w.startswith("reservations:")]
    assert "not read from the Reservations API" in warning
    assert "403" in warning or "AuthorizationFailed" in warning
    assert warning.endswith("aigov.yaml's 1 pricing.reservations are used")
    assert not live.result.not_scanned  # the estate was read; only the netting fell back


def test_the_reservations_flag_is_for_live_scans_only(tmp_path: Path) -> None:
    plan = Path(__file__).resolve().parents[2] / "fixtures" / "pipeline" / "plan.json"
    result = CliRunner().invoke(main, ["scan", str(plan), "--reservations"])
    assert result.exit_code == 2
    assert "--reservations" in result.output


def test_scan_azure_reservations_flag_nets_the_apis_reservations(
    arm: FakeArm, tmp_path: Path, catalog: Path
) -> None:
    arm.estate.reservations = [_owned("dz-api", 15, description="Provisioned Managed Data Zone")]
    document = scan_cli(arm, tmp_path, catalog, "dz-yaml", "--reservations")
    found = rule_findings(document)
    assert found == {("AIGOV-RATE-002", "dz-api"), ("AIGOV-RATE-003", "dz-api")}
    assert document["live"]["api_calls"]["reservations"] == 1
    assert any("aigov.yaml's 1 pricing.reservations are not used" in w for w in document["warnings"])
