"""The Retail Prices API client against a fake API on 127.0.0.1 (real HTTP, no network)."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from aigov.config import Config
from aigov.cost.catalog import bundled_catalog_path, load_catalog
from aigov.cost.refresh import normalise_unit, parse_item, preferred_catalog_path, refresh
from aigov.errors import CatalogError
from aigov.scan import ScanOptions, load_prices

TODAY = date(2026, 12, 1)


def _item(
    meter: str, price: float, unit: str, service: str = "Foundry Models", **extra: Any
) -> dict[str, Any]:
    return {
        "meterName": meter,
        "retailPrice": price,
        "unitOfMeasure": unit,
        "serviceName": service,
        "type": "Consumption",
        "tierMinimumUnits": 0,
        "effectiveStartDate": "2026-10-01T00:00:00Z",
        **extra,
    }


FOUNDRY = [
    # GPT-4-family token meters are priced per 1K tokens: 0.0025 $/1K = 2.50 $/1M.
    _item(
        "gpt 4o 1120 Inp glbl Tokens",
        0.0025,
        "1K",
        meterId="0a1b2c3d-0000-4000-8000-000000000001",
        productName="Azure OpenAI",
    ),
    _item("gpt 4o 1120 Outp glbl Tokens", 0.01, "1K"),
    _item("gpt 4o 1120 cached Inp glbl Tokens", 0.00125, "1K"),
    _item("GPT 5 Mini Inpt Glbl 1M Tokens", 0.25, "1M"),
    _item("Provisioned Managed Global Unit", 1.0, "1/Hour"),
    _item("gpt-4.1-nano-ft hosting global", 1.7, "1 Hour"),
    _item(
        "Provisioned Managed Global Reservation",
        260.0,
        "1/Month",
        type="Reservation",
        reservationTerm="1 Month",
        productName="Azure AI Foundry Provisioned Throughput Reservation",
        skuName="Provisioned Managed Global",
    ),
    _item("gpt-4.1-nano FT Training global", 1.5, "1M"),  # not an inference price: skipped
]
SEARCH = [
    _item("Standard S1 Unit", 0.336, "1 Hour", service="Azure Cognitive Search"),
    _item("Semantic Ranker Unit", 1.0, "1/Day", service="Azure Cognitive Search"),  # skipped
]


class FakeRetailApi(BaseHTTPRequestHandler):
    """Serves ``Items`` two per page with ``NextPageLink``; ``/fail`` answers 500 and ``/slow`` stalls."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        parts = urllib.parse.urlsplit(self.path)
        if parts.path == "/fail":
            self.send_error(500, "Internal Server Error")
            return
        if parts.path == "/slow":
            time.sleep(1.0)
        query = urllib.parse.parse_qs(parts.query)
        expression = query["$filter"][0]
        rows = SEARCH if "Azure Cognitive Search" in expression else FOUNDRY
        currency = query.get("currencyCode", ["USD"])[0]
        skip = int(query.get("$skip", ["0"])[0])
        page = [dict(r, currencyCode=currency) for r in rows[skip : skip + 2]]
        following = None
        if skip + 2 < len(rows):
            following_query = urllib.parse.urlencode(
                {**{k: v[0] for k, v in query.items()}, "$skip": skip + 2}
            )
            following = f"http://127.0.0.1:{self.server.server_address[1]}{parts.path}?{following_query}"
        body = json.dumps({"BillingCurrency": currency, "Items": page, "NextPageLink": following}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def api() -> Iterator[str]:
    FakeRetailApi.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRetailApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_refresh_pages_through_the_api_and_normalises_units(api: str, isolated_cache: Path) -> None:
    result = refresh(["eastus"], base_url=f"{api}/api/retail/prices", today=TODAY)
    assert result.path == isolated_cache / "prices-2026-12-01.yaml"
    # 8 Foundry rows in 4 pages, 2 search rows in 1 page
    assert len(FakeRetailApi.requests) == 5
    assert all("armRegionName" in urllib.parse.unquote(r) for r in FakeRetailApi.requests)
    assert (result.recognised, result.skipped) == (8, 2)
    catalog = load_catalog(result.path)
    assert catalog.info.as_of == TODAY
    prices = catalog.token_prices("gpt-4o", "2024-11-20", "GlobalStandard", "eastus")
    assert {d: m.price.unit_price for d, m in prices.items()} == {
        "input": 2.5,
        "cached_input": 1.25,
        "output": 10.0,
    }
    assert prices["input"].price.source == "Azure Retail Prices API"
    # The price keeps the API's effectiveStartDate and the day it was read; with a productName
    # the report can print the query that returns the meter.
    assert (prices["input"].price.effective, prices["input"].price.read) == (date(2026, 10, 1), TODAY)
    assert prices["input"].price.query is not None
    assert "meterName%20eq%20'gpt%204o%201120%20Inp%20glbl%20Tokens'" in prices["input"].price.query
    written = result.path.read_text(encoding="utf-8")
    assert "meter_id: 0a1b2c3d-0000-4000-8000-000000000001" in written
    mini = catalog.token_prices("gpt-5-mini", None, "GlobalStandard", "eastus")
    assert mini["input"].price.unit_price == 0.25
    ptu = catalog.ptu_hourly("GlobalProvisionedManaged", "eastus")
    assert ptu is not None
    assert ptu.price.unit_price == 1.0
    reservation = catalog.ptu_reservation_monthly("GlobalProvisionedManaged", "eastus")
    assert reservation is not None
    assert reservation.price.unit_price == 260.0
    hosting = catalog.ft_hosting_hourly("GlobalStandard", "eastus")
    assert hosting is not None
    assert hosting.price.unit_price == 1.7
    search = catalog.search_unit_hourly("standard", "eastus")
    assert search is not None
    assert search.price.unit_price == 0.336
    assert catalog.vm_hourly("Standard_NC24ads_A100_v4", "eastus") is not None  # carried over


def test_scans_prefer_the_newest_refreshed_catalogue(api: str, isolated_cache: Path) -> None:
    assert preferred_catalog_path() is None
    assert load_prices(Config(), ScanOptions()).info.name == "bundled"
    refresh(["eastus"], base_url=api, today=date(2026, 11, 1))
    newest = refresh(["eastus", "swedencentral"], base_url=api, today=TODAY).path
    assert preferred_catalog_path() == newest
    catalog = load_prices(Config(), ScanOptions())
    assert catalog.info.name == str(newest)
    assert catalog.stale_warning(datetime(2026, 12, 2, tzinfo=UTC)) is None
    # An explicit catalogue still wins.
    explicit = ScanOptions(catalog_path=bundled_catalog_path())
    assert load_prices(Config(), explicit).info.name == str(bundled_catalog_path())


def test_currency_is_asked_for_and_recorded(api: str, tmp_path: Path) -> None:
    result = refresh(["westeurope"], currency="eur", base_url=api, output=tmp_path / "eur.yaml", today=TODAY)
    assert all("currencyCode=EUR" in r for r in FakeRetailApi.requests)
    catalog = load_catalog(result.path)
    assert catalog.info.currency == "EUR"
    assert result.carried_vm_rows == 0  # USD VM prices are not mixed into a EUR catalogue


def test_http_500_is_one_clear_error(api: str, isolated_cache: Path) -> None:
    with pytest.raises(CatalogError) as info:
        refresh(["eastus"], base_url=f"{api}/fail", today=TODAY)
    assert str(info.value) == (
        f"{api}/fail: Retail Prices API answered HTTP 500 Internal Server Error; no catalogue written, "
        "the previous one stays in use"
    )
    assert not isolated_cache.exists()


def test_timeout_is_one_clear_error(api: str, isolated_cache: Path) -> None:
    with pytest.raises(CatalogError, match=r"cannot reach the Retail Prices API \(no answer within 0.2 s\)"):
        refresh(["eastus"], base_url=f"{api}/slow", timeout=0.2, today=TODAY)
    assert preferred_catalog_path() is None


def test_unreachable_api(isolated_cache: Path) -> None:
    with pytest.raises(CatalogError, match="cannot reach the Retail Prices API"):
        refresh(["eastus"], base_url="http://127.0.0.1:9/api", timeout=2, today=TODAY)


@pytest.mark.parametrize(
    ("regions", "currency", "message"),
    [
        (["east us!"], "USD", "not an Azure region name"),
        (["eastus"], "EURO", "three-letter"),
        ([], "USD", "at least"),
    ],
)
def test_bad_arguments(regions: list[str], currency: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        refresh(regions, currency=currency, base_url="http://127.0.0.1:9", today=TODAY)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("1K", ("1M tokens", 1000.0)),
        ("1M", ("1M tokens", 1.0)),
        ("1 Hour", ("1 Hour", 1.0)),
        ("1/Hour", ("1 Hour", 1.0)),
        ("1Hour", ("1 Hour", 1.0)),
        ("100 Hours", ("1 Hour", 0.01)),
        ("1/Month", ("1 Month", 1.0)),
        ("1/Day", ("1 Day", 1.0)),
        ("1 GB", None),
        ("", None),
    ],
)
def test_normalise_unit(unit: str, expected: tuple[str, float] | None) -> None:
    assert normalise_unit(unit) == expected


@pytest.mark.parametrize(
    ("meter", "keys"),
    [
        (
            "gpt-4o-mini-0718-Inp-glbl Tokens",
            {"model": "gpt-4o-mini", "version": "0718", "sku": "GlobalStandard"},
        ),
        (
            "gpt 4.1 mini Outp regnl Tokens",
            {"model": "gpt-4.1-mini", "sku": "Standard", "direction": "output"},
        ),
        ("gpt 4o 0806 cached Inp Data Zone Tokens", {"sku": "DataZoneStandard", "direction": "cached_input"}),
        ("gpt 4o 1120 Batch Outp glbl Tokens", {"sku": "GlobalBatch", "direction": "output"}),
        ("text-embedding-3-large-glbl Tokens", {"model": "text-embedding-3-large", "direction": "input"}),
        ("o3 mini 0131 input glbl Tokens", {"model": "o3-mini", "version": "0131"}),
    ],
)
def test_token_meter_names(meter: str, keys: dict[str, str]) -> None:
    parsed = parse_item(_item(meter, 1.0, "1M"))
    assert parsed is not None
    assert keys.items() <= dict(parsed.keys).items()


def test_short_versions_match_dated_deployment_versions(api: str, tmp_path: Path) -> None:
    path = refresh(["eastus"], base_url=api, output=tmp_path / "p.yaml", today=TODAY).path
    catalog = load_catalog(path)
    # "gpt 4o 1120" in the meter is version 2024-11-20 in a deployment; 2024-08-06 is another version.
    assert catalog.token_prices("gpt-4o", "2024-11-20", "GlobalStandard", "eastus")
    assert not catalog.token_prices("gpt-4o", "2024-08-06", "GlobalStandard", "eastus")
