"""The Retail Prices API client against a fake API on 127.0.0.1 (real HTTP, no network).

The fake answers as the API documents it (https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices):
a page is ``{"BillingCurrency", "CustomerEntityId", "CustomerEntityType", "Items", "NextPageLink", "Count"}``,
each item carries the documented fields, and ``NextPageLink`` is the next page's URL (``$skip``) or null.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import urllib.parse
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from aigov.config import Config
from aigov.cost.catalog import bundled_catalog_path, load_catalog
from aigov.cost.refresh import normalise_unit, parse_item, preferred_catalog_path, refresh
from aigov.cost.retail_client import RetryPolicy
from aigov.errors import CatalogError
from aigov.scan import ScanOptions, load_prices

TODAY = date(2026, 12, 1)
FAST = RetryPolicy(attempts=3, backoff=0.01, max_wait=0.05)  # retries without slowing the suite


def _item(
    meter: str, price: float, unit: str, service: str = "Foundry Models", **extra: Any
) -> dict[str, Any]:
    """An item with the fields the API documents (region and currency filled in per request)."""
    return {
        "currencyCode": "USD",
        "tierMinimumUnits": 0.0,
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": "",
        "location": "",
        "effectiveStartDate": "2026-10-01T00:00:00Z",
        "meterId": f"00000000-0000-4000-8000-{zlib.crc32(meter.encode()):012d}",
        "meterName": meter,
        "productId": "DZH318Z0BQ4V",
        "skuId": "DZH318Z0BQ4V/00AA",
        "productName": "Azure OpenAI" if service == "Foundry Models" else "Azure Cognitive Search",
        "skuName": meter,
        "serviceName": service,
        "serviceId": "DZH318Z0BQ4W",
        "serviceFamily": "AI + Machine Learning",
        "unitOfMeasure": unit,
        "type": "Consumption",
        "isPrimaryMeterRegion": True,
        "armSkuName": "",
        **extra,
    }


FOUNDRY = [
    # GPT-4-family token meters are priced per 1K tokens: 0.00275 $/1K = 2.75 $/1M (bundled: 2.50).
    _item(
        "gpt 4o 1120 Inp glbl Tokens",
        0.00275,
        "1K",
        meterId="0a1b2c3d-0000-4000-8000-000000000001",
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
    # The one-year term: its retailPrice is per PTU for the whole year, whatever unitOfMeasure says.
    _item(
        "Provisioned Managed Global Reservation",
        2652.0,
        "1 Hour",
        type="Reservation",
        reservationTerm="1 Year",
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
    """Serves ``Items`` two per page with ``NextPageLink``.

    ``/fail`` answers 500; ``/slow`` stalls; ``/throttle`` answers 429 with
    ``Retry-After: 1`` to the first request; ``/busy`` answers 503 asking to
    wait an hour, every time.
    """

    requests: ClassVar[list[str]] = []
    times: ClassVar[list[float]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.times.append(time.monotonic())
        parts = urllib.parse.urlsplit(self.path)
        if parts.path == "/fail":
            self.send_error(500, "Internal Server Error")
            return
        if parts.path == "/busy":
            self._refuse(503, "Service Unavailable", "3600")
            return
        if parts.path == "/throttle" and len(self.requests) == 1:
            self._refuse(429, "Too Many Requests", "1")
            return
        if parts.path == "/slow":
            time.sleep(1.0)
        query = urllib.parse.parse_qs(parts.query)
        expression = query["$filter"][0]
        region = re.search(r"armRegionName eq '([a-z0-9]+)'", expression)
        rows = SEARCH if "Azure Cognitive Search" in expression else FOUNDRY
        currency = query.get("currencyCode", ["USD"])[0]
        skip = int(query.get("$skip", ["0"])[0])
        page = [
            dict(r, currencyCode=currency, armRegionName=region.group(1) if region else "")
            for r in rows[skip : skip + 2]
        ]
        following = None
        if skip + 2 < len(rows):
            following_query = urllib.parse.urlencode(
                {**{k: v[0] for k, v in query.items()}, "$skip": skip + 2}
            )
            following = f"http://127.0.0.1:{self.server.server_address[1]}{parts.path}?{following_query}"
        document = {
            "BillingCurrency": currency,
            "CustomerEntityId": "Default",
            "CustomerEntityType": "Retail",
            "Items": page,
            "NextPageLink": following,
            "Count": len(page),
        }
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # /slow: the client has given up waiting, as the test wants.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _refuse(self, status: int, reason: str, retry_after: str) -> None:
        body = b'{"Error": "busy"}'
        self.send_response(status, reason)
        self.send_header("Retry-After", retry_after)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def api() -> Iterator[str]:
    FakeRetailApi.requests = []
    FakeRetailApi.times = []
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
    # 9 Foundry rows in 5 pages, 2 search rows in 1 page
    assert len(FakeRetailApi.requests) == 6
    assert all("armRegionName" in urllib.parse.unquote(r) for r in FakeRetailApi.requests)
    assert (result.recognised, result.skipped) == (9, 2)
    catalog = load_catalog(result.path)
    assert catalog.info.as_of == TODAY
    assert catalog.info.kind == "refreshed"
    prices = catalog.token_prices("gpt-4o", "2024-11-20", "GlobalStandard", "eastus")
    assert {d: m.price.unit_price for d, m in prices.items()} == {
        "input": 2.75,
        "cached_input": 1.25,
        "output": 10.0,
    }
    assert prices["input"].price.source == "Azure Retail Prices API"
    # The price keeps the API's effectiveStartDate and the day it was read; with a productName
    # the report can print the query that returns the meter.
    assert (prices["input"].price.effective, prices["input"].price.read) == (date(2026, 10, 1), TODAY)
    assert prices["input"].price.query is not None
    assert "meterName%20eq%20'gpt%204o%201120%20Inp%20glbl%20Tokens'" in prices["input"].price.query
    written = yaml.safe_load(result.path.read_text(encoding="utf-8"))
    row = next(
        r for r in written["prices"] if r.get("meter") == "gpt 4o 1120 Inp glbl Tokens" and "kept" not in r
    )
    assert row["meter_id"] == "0a1b2c3d-0000-4000-8000-000000000001"
    assert row["effective"] == "2026-10-01"
    assert row["product"] == "Azure OpenAI"
    mini = catalog.token_prices("gpt-5-mini", None, "GlobalStandard", "eastus")
    assert mini["input"].price.unit_price == 0.25
    ptu = catalog.ptu_hourly("GlobalProvisionedManaged", "eastus")
    assert ptu is not None
    assert ptu.price.unit_price == 1.0
    reservation = catalog.ptu_reservation_monthly("GlobalProvisionedManaged", "eastus")
    assert reservation is not None
    assert reservation.price.unit_price == 260.0
    yearly = catalog.ptu_reservation_yearly("GlobalProvisionedManaged", "eastus")
    assert yearly is not None
    assert (yearly.price.unit_price, yearly.price.unit) == (2652.0, "1 Year")
    hosting = catalog.ft_hosting_hourly("GlobalStandard", "eastus")
    assert hosting is not None
    assert hosting.price.unit_price == 1.7
    search = catalog.search_unit_hourly("standard", "eastus")
    assert search is not None
    assert search.price.unit_price == 0.336


def test_refresh_merges_over_the_bundled_rows_and_says_which_were_kept(api: str, tmp_path: Path) -> None:
    result = refresh(["eastus"], base_url=api, output=tmp_path / "p.yaml", today=TODAY, retry=FAST)
    catalog = load_catalog(result.path)
    bundled = load_catalog()
    # Priced by the answer: the answer's figure, in the region refreshed.
    fresh = catalog.token_prices("gpt-4o", "2024-11-20", "GlobalStandard", "eastus")["input"].price
    assert (fresh.unit_price, fresh.source) == (2.75, "Azure Retail Prices API")
    # The same meter outside the refreshed region keeps its bundled price and says why.
    elsewhere = catalog.token_prices("gpt-4o", "2024-11-20", "GlobalStandard", "westeurope")["input"].price
    before = bundled.token_prices("gpt-4o", "2024-11-20", "GlobalStandard", "westeurope")["input"].price
    assert elsewhere.unit_price == before.unit_price == 2.5
    assert elsewhere.source == f"bundled price kept (region not refreshed on 2026-12-01): {before.source}"
    assert (elsewhere.url, elsewhere.effective) == (before.url, before.effective)
    # A family the answer lacks (regional PTU, VMs) keeps its bundled price in the refreshed region too.
    regional = catalog.ptu_hourly("ProvisionedManaged", "eastus")
    assert regional is not None
    assert regional.price.unit_price == 2.0
    assert regional.price.source.startswith(
        "bundled price kept (no Retail Prices API price for it in eastus on 2026-12-01): third-party copy: "
    )
    vm = catalog.vm_hourly("Standard_NC24ads_A100_v4", "eastus")
    assert vm is not None
    assert vm.price.source.startswith("bundled price kept (no Retail Prices API price for it in eastus")
    # Nothing the bundled catalogue prices is lost; every row says whether it was refreshed.
    assert len(catalog) >= len(bundled)
    rows = yaml.safe_load(result.path.read_text(encoding="utf-8"))["prices"]
    assert sum(1 for r in rows if r["source"] == "retail") == result.prices
    assert sum(1 for r in rows if "kept" in r) == result.kept_rows > 0
    assert all((r["source"] == "retail") != ("kept" in r) for r in rows)


def test_scans_use_a_refreshed_catalogue_only_when_named(api: str, isolated_cache: Path) -> None:
    assert preferred_catalog_path() is None
    refresh(["eastus"], base_url=api, today=date(2026, 11, 1))
    newest = refresh(["eastus", "swedencentral"], base_url=api, today=TODAY).path
    assert preferred_catalog_path() == newest
    # A refreshed catalogue in the cache never changes a scan's figures by itself.
    info = load_prices(Config(), ScanOptions()).info
    assert (info.name, info.kind, info.path) == ("bundled", "bundled", None)
    catalog = load_prices(Config(), ScanOptions(catalog_path=newest))
    assert (catalog.info.name, catalog.info.kind) == (str(newest), "refreshed")
    assert catalog.info.label == f"refreshed catalogue {newest}, read 2026-12-01 from the Retail Prices API"
    assert catalog.stale_warning(datetime(2026, 12, 2, tzinfo=UTC)) is None
    configured = load_prices(Config(catalog_path=newest), ScanOptions()).info
    assert configured.kind == "refreshed"
    # A catalogue file that aigov prices refresh did not write is named as a file.
    explicit = load_prices(Config(), ScanOptions(catalog_path=bundled_catalog_path())).info
    assert (explicit.kind, explicit.name) == ("file", str(bundled_catalog_path()))


def test_currency_is_asked_for_and_recorded(api: str, tmp_path: Path) -> None:
    result = refresh(["westeurope"], currency="eur", base_url=api, output=tmp_path / "eur.yaml", today=TODAY)
    assert all("currencyCode=EUR" in r for r in FakeRetailApi.requests)
    catalog = load_catalog(result.path)
    assert catalog.info.currency == "EUR"
    assert result.kept_rows == 0  # USD bundled prices are not mixed into a EUR catalogue
    assert catalog.vm_hourly("Standard_NC24ads_A100_v4", "westeurope") is None


def test_a_429_is_retried_after_the_time_it_asks_for(api: str, tmp_path: Path) -> None:
    result = refresh(["eastus"], base_url=f"{api}/throttle", output=tmp_path / "p.yaml", today=TODAY)
    assert result.recognised == 9
    first, second = FakeRetailApi.requests[:2]
    assert first == second  # the same page, asked again
    assert FakeRetailApi.times[1] - FakeRetailApi.times[0] >= 0.95  # Retry-After: 1 honoured


def test_a_long_retry_after_is_bounded_and_the_last_answer_reported(api: str, isolated_cache: Path) -> None:
    started = time.monotonic()
    with pytest.raises(CatalogError) as info:
        refresh(["eastus"], base_url=f"{api}/busy", today=TODAY, retry=FAST)
    assert time.monotonic() - started < 5  # not the hour the API asked for
    assert len(FakeRetailApi.requests) == FAST.attempts
    assert str(info.value) == (
        f"{api}/busy: Retail Prices API answered HTTP 503 Service Unavailable after 3 tries; "
        "no catalogue written, the previous one stays in use"
    )
    assert not isolated_cache.exists()


def test_http_500_is_retried_then_one_clear_error(api: str, isolated_cache: Path) -> None:
    with pytest.raises(CatalogError) as info:
        refresh(["eastus"], base_url=f"{api}/fail", today=TODAY, retry=FAST)
    assert len(FakeRetailApi.requests) == 3
    assert str(info.value) == (
        f"{api}/fail: Retail Prices API answered HTTP 500 Internal Server Error after 3 tries; "
        "no catalogue written, the previous one stays in use"
    )
    assert not isolated_cache.exists()


def test_timeout_is_one_clear_error(api: str, isolated_cache: Path) -> None:
    with pytest.raises(CatalogError, match=r"cannot reach the Retail Prices API \(no answer within 0.2 s\)"):
        refresh(["eastus"], base_url=f"{api}/slow", timeout=0.2, today=TODAY, retry=FAST)
    assert preferred_catalog_path() is None


def test_unreachable_api(isolated_cache: Path) -> None:
    with pytest.raises(CatalogError, match="cannot reach the Retail Prices API") as info:
        refresh(["eastus"], base_url="http://127.0.0.1:9/api", timeout=2, today=TODAY, retry=FAST)
    assert "\n" not in str(info.value)


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
    # "gpt 4o 1120" in the meter is version 2024-11-20 in a deployment: the refreshed price replaces
    # the bundled 2024-11-20 row instead of sitting beside it under "1120".
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["prices"]
    fresh = [r for r in rows if r.get("model") == "gpt-4o" and r["source"] == "retail"]
    assert {r["version"] for r in fresh} == {"2024-11-20"}
    assert (
        catalog.token_prices("gpt-4o", "2024-11-20", "GlobalStandard", "eastus")["input"].price.unit_price
        == 2.75
    )
    # 2024-08-06 is another version: the answer has no price for it, the bundled one is kept.
    other = catalog.token_prices("gpt-4o", "2024-08-06", "GlobalStandard", "eastus")["input"].price
    assert other.source.startswith("bundled price kept (no Retail Prices API price for it in eastus")


def test_without_bundled_rows_a_short_version_still_matches(api: str, tmp_path: Path) -> None:
    # A non-USD catalogue has no bundled rows to take version names from: "1120" serves 2024-11-20.
    path = refresh(["eastus"], currency="EUR", base_url=api, output=tmp_path / "p.yaml", today=TODAY).path
    catalog = load_catalog(path)
    assert catalog.token_prices("gpt-4o", "2024-11-20", "GlobalStandard", "eastus")
    assert not catalog.token_prices("gpt-4o", "2024-08-06", "GlobalStandard", "eastus")


def test_unpriced_regions_are_kept_less_those_the_answer_prices(api: str, tmp_path: Path) -> None:
    bundled = load_catalog()
    declared = bundled.search_unit_hourly("standard", "westus")
    assert declared is not None
    assert declared.fallback_reason is not None
    assert declared.fallback_reason.startswith("no sourced price in westus: ")
    regions = ["eastus", "westus"]  # eastus first: the default region stays eastus
    path = refresh(regions, base_url=api, output=tmp_path / "p.yaml", today=TODAY).path
    catalog = load_catalog(path)  # a region priced and still declared unpriced would not load
    search = catalog.search_unit_hourly("standard", "westus")
    assert search is not None
    assert (search.price.unit_price, search.price.source) == (0.336, "Azure Retail Prices API")
    # Tiers the answer did not price there stay declared unpriced, one declaration per bundled tier.
    basic = catalog.search_unit_hourly("basic", "westus")
    assert basic is not None
    assert basic.fallback_reason is not None
    assert basic.fallback_reason.startswith("no sourced price in westus: ")
    assert catalog.unpriced("search_unit", "storage_optimized_l1", "eastus")
    free = catalog.search_unit_hourly("free", "westus")  # priced everywhere
    assert free is not None
    assert free.fallback_reason is None
    vm = catalog.vm_hourly("Standard_NC24ads_A100_v4", "swedencentral")
    assert vm is not None
    assert vm.fallback_reason is not None
    assert vm.fallback_reason.startswith("no sourced price in swedencentral")
