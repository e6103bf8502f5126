from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from aigov.cost.catalog import GLOBAL_REGION, Catalog, bundled_catalog_path, load_catalog, validate_catalog
from aigov.errors import CatalogError
from aigov.model import UNKNOWN
from aigov.paths import package_data
from aigov.policy import yamlio

MINIMAL = """\
catalog: {name: test, currency: USD, default_region: eastus, as_of: 2026-09-30}
sources:
  s1: {kind: retail-api, title: Test source, url: "https://example.com/prices", retrieved: 2026-09-30}
prices:
  - family: vm
    meter: X1
    size: Standard_X1
    regions: [eastus]
    unit: "1 Hour"
    unit_price: 1.5
    source: s1
    effective: 2026-09-01
"""
ROW = MINIMAL[MINIMAL.index("  - family") :]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# ---------------------------------------------------------------- loading and validation


def test_schema_is_a_valid_json_schema() -> None:
    schema = json.loads(package_data("cost", "catalog.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)


def test_bundled_catalogue_is_schema_valid() -> None:
    # A scan trusts the bundled catalogue without validating it again: this is where it is validated.
    path = bundled_catalog_path()
    document, node = yamlio.loads(path.read_text(encoding="utf-8"), str(path), CatalogError)
    validate_catalog(document, node, str(path))


def test_a_copy_of_the_bundled_catalogue_outside_the_package_is_validated(tmp_path: Path) -> None:
    text = bundled_catalog_path().read_text(encoding="utf-8")
    copy = tmp_path / "prices.yaml"
    copy.write_text(text.replace("currency: USD", "currency: 12", 1), encoding="utf-8")
    with pytest.raises(CatalogError, match="currency"):
        load_catalog(copy)


def test_bundled_catalogue_loads_and_validates(catalog: Catalog) -> None:
    assert catalog.info.name == "bundled"
    assert catalog.info.currency == "USD"
    assert catalog.info.default_region == "eastus"
    assert catalog.info.as_of == date(2026, 9, 30)
    assert len(catalog) > 100


def test_minimal_catalogue_from_a_path(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL)
    loaded = load_catalog(path)
    assert loaded.info.name == str(path)
    match = loaded.vm_hourly("standard_x1", "eastus")
    assert match is not None
    assert match.price.unit_price == 1.5
    assert match.price.source == "Test source"


def test_bad_type_is_one_line_with_line_and_path(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("unit_price: 1.5", "unit_price: thirty"))
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    error = caught.value
    assert error.file == str(path)
    assert error.where == "line 10: $.prices[0].unit_price"
    assert "'thirty' is not of type 'number'" in str(error)
    assert "\n" not in str(error)


def test_missing_source_key_names_the_row(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("source: s1", "source: nowhere"))
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert caught.value.where == "line 11: $.prices[0].source"
    assert "unknown source 'nowhere'" in str(caught.value)


def test_missing_match_key_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("    size: Standard_X1\n", ""))
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert caught.value.where == "line 5: $.prices[0]"
    assert "'size' is a required property" in str(caught.value)


def test_duplicate_region_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + ROW)
    with pytest.raises(CatalogError, match="duplicate price for vm Standard_X1 in region eastus"):
        load_catalog(path)


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "catalog: {name: [\n")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert caught.value.where is not None
    assert caught.value.where.startswith("line ")
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "absent.yaml")


# ---------------------------------------------------------------- lookups


@pytest.mark.parametrize(
    ("sku", "region", "price", "priced_region"),
    [
        ("GlobalProvisionedManaged", "swedencentral", 1.00, GLOBAL_REGION),
        ("DataZoneProvisionedManaged", "eastus2", 1.10, "eastus2"),
        ("DataZoneProvisionedManaged", "westeurope", 1.20, "westeurope"),
        ("ProvisionedManaged", "eastus", 2.00, "eastus"),
        ("ProvisionedManaged", "swedencentral", 2.36, "swedencentral"),
        ("ProvisionedManaged", "northeurope", 2.72, "northeurope"),
    ],
)
def test_ptu_hourly(catalog: Catalog, sku: str, region: str, price: float, priced_region: str) -> None:
    match = catalog.ptu_hourly(sku, region)
    assert match is not None
    assert match.price.unit_price == price
    assert match.price.region == priced_region
    assert match.price.meter.startswith("Provisioned Managed")
    assert match.price.read == date(2026, 9, 30)
    assert not match.fallback
    assert match.where == region


def test_names_match_case_insensitively(catalog: Catalog) -> None:
    match = catalog.ptu_hourly("provisionedMANAGED", "SwedenCentral")
    assert match is not None
    assert match.price.unit_price == 2.36
    spaced = catalog.ptu_hourly("ProvisionedManaged", "Sweden Central")
    assert spaced is not None
    assert spaced.region == "swedencentral"
    vm = catalog.vm_hourly("standard_nc24ADS_a100_v4", "EASTUS")
    assert vm is not None
    assert vm.price.unit_price == 3.673


def test_region_not_in_catalogue_falls_back_to_default(catalog: Catalog) -> None:
    match = catalog.ptu_hourly("ProvisionedManaged", "brazilsoutheast")
    assert match is not None
    assert match.fallback
    assert match.region == "eastus"
    assert match.price.unit_price == 2.00
    assert match.where == "region brazilsoutheast not in catalogue; priced at eastus"


def test_unknown_or_missing_region_uses_default(catalog: Catalog) -> None:
    unknown = catalog.ptu_hourly("ProvisionedManaged", UNKNOWN)
    missing = catalog.ptu_hourly("ProvisionedManaged", None)
    assert unknown is not None
    assert missing is not None
    assert unknown.where == "region known only after apply; priced at eastus"
    assert missing.where == "no region in input; priced at eastus"
    assert missing.price.unit_price == 2.00


def test_unknown_sku_is_none(catalog: Catalog) -> None:
    assert catalog.ptu_hourly("NoSuchSku", "eastus") is None
    assert catalog.vm_hourly("Standard_NC8ads_A10_v4", "eastus") is None
    assert catalog.search_unit_hourly("storage_optimized_l1", "eastus") is None


def test_fine_tuned_hosting(catalog: Catalog) -> None:
    for sku in ("Standard", "GlobalStandard"):
        match = catalog.ft_hosting_hourly(sku, "swedencentral")
        assert match is not None
        assert match.price.unit_price == 1.70
    # Learn gives the Standard and Global Standard rate only: no Data Zone price is assumed.
    assert catalog.ft_hosting_hourly("DataZoneStandard", "eastus") is None
    developer = catalog.ft_hosting_hourly("developertier", "eastus")
    assert developer is not None
    assert developer.price.unit_price == 0.0


def test_token_prices_exact_version(catalog: Catalog) -> None:
    prices = catalog.token_prices("gpt-4o", "2024-11-20", "GlobalStandard", "eastus")
    assert {d: m.price.unit_price for d, m in prices.items()} == {
        "input": 2.50,
        "cached_input": 1.25,
        "output": 10.00,
    }
    assert prices["input"].price.meter == "gpt 4o 1120 Inp glbl Tokens"
    assert prices["input"].price.unit == "1M tokens"


def test_token_prices_regional_and_eu(catalog: Catalog) -> None:
    us = catalog.token_prices("gpt-4o", "2024-11-20", "Standard", "eastus2")
    eu = catalog.token_prices("gpt-4o", "2024-11-20", "Standard", "swedencentral")
    assert us["output"].price.unit_price == 11.00
    assert eu["output"].price.unit_price == 12.10
    batch = catalog.token_prices("gpt-4o", "2024-11-20", "GlobalBatch", "eastus")
    assert set(batch) == {"input", "output"}


def test_token_prices_versionless_fallback(catalog: Catalog) -> None:
    # gpt-4.1 is catalogued without a version: any version (or none) uses it.
    with_version = catalog.token_prices("gpt-4.1", "2025-04-14", "GlobalStandard", "eastus")
    without = catalog.token_prices("GPT-4.1", None, "globalstandard", "eastus")
    assert with_version["input"].price.unit_price == 2.00
    assert without["input"].price.unit_price == 2.00
    # A version the catalogue does not list is not priced from another version's row.
    assert catalog.token_prices("gpt-4o", "2024-04-09", "GlobalStandard", "eastus") == {}


def test_search_units(catalog: Catalog) -> None:
    free = catalog.search_unit_hourly("free", "westeurope")
    basic = catalog.search_unit_hourly("Basic", "eastus")
    s3 = catalog.search_unit_hourly("standard3", "eastus")
    assert free is not None
    assert free.price.unit_price == 0.0
    assert not free.fallback
    assert basic is not None
    assert basic.price.unit_price == 0.101
    assert s3 is not None
    assert s3.uncertain
    assert s3.price.unit_price == 2.688


def test_stale_warning(catalog: Catalog) -> None:
    as_of = datetime(2026, 9, 30, 12, 0)
    assert catalog.stale_warning(as_of + timedelta(days=90)) is None
    warning = catalog.stale_warning(as_of + timedelta(days=91))
    assert warning is not None
    assert "91 days old" in warning
    assert "2026-09-30" in warning
    assert catalog.stale_warning(as_of + timedelta(days=20), max_age_days=10) is not None


def test_with_default_region(catalog: Catalog) -> None:
    swedish = catalog.with_default_region("Sweden Central")
    assert swedish.info.default_region == "swedencentral"
    match = swedish.ptu_hourly("ProvisionedManaged", "brazilsoutheast")
    assert match is not None
    assert match.price.unit_price == 2.36
    assert catalog.with_default_region("eastus") is catalog


# ---------------------------------------------------------------- rows once wrong (issue 9)


def _vm(catalog: Catalog, size: str) -> float:
    match = catalog.vm_hourly(size, "eastus")
    assert match is not None, size
    assert not match.fallback
    return match.price.unit_price


def test_nc_a100_v4_linux_prices_are_not_windows_prices(catalog: Catalog) -> None:
    nc24 = _vm(catalog, "Standard_NC24ads_A100_v4")
    assert _vm(catalog, "Standard_NC48ads_A100_v4") == pytest.approx(2 * nc24) == 7.346
    assert _vm(catalog, "Standard_NC96ads_A100_v4") == pytest.approx(4 * nc24)


def test_nc_h100_v5_linux_prices_are_not_windows_prices(catalog: Catalog) -> None:
    assert _vm(catalog, "Standard_NC80adis_H100_v5") == pytest.approx(
        2 * _vm(catalog, "Standard_NC40ads_H100_v5")
    )


@pytest.mark.parametrize(
    ("family", "per_unit"),
    [
        # size -> units (GPUs) within a family whose Linux price scales with size
        ({"Standard_NC24ads_A100_v4": 1, "Standard_NC48ads_A100_v4": 2, "Standard_NC96ads_A100_v4": 4}, None),
        ({"Standard_NC40ads_H100_v5": 1, "Standard_NC80adis_H100_v5": 2}, None),
        ({"Standard_NC6s_v3": 1, "Standard_NC12s_v3": 2, "Standard_NC24s_v3": 4}, None),
    ],
)
def test_linux_vm_prices_scale_with_size_within_a_family(
    catalog: Catalog, family: dict[str, int], per_unit: None
) -> None:
    rates = {size: _vm(catalog, size) / units for size, units in family.items()}
    first = next(iter(rates.values()))
    assert all(rate == pytest.approx(first, rel=1e-3) for rate in rates.values()), rates


@pytest.mark.parametrize("region", ["italynorth", "polandcentral", "southafricanorth", "uaenorth"])
def test_regional_ptu_where_it_costs_236(catalog: Catalog, region: str) -> None:
    match = catalog.ptu_hourly("ProvisionedManaged", region)
    assert match is not None
    assert not match.fallback
    assert match.price.unit_price == 2.36
    assert 100 * match.price.unit_price * 730 == pytest.approx(172_280.00)


@pytest.mark.parametrize("model", ["gpt-5", "gpt-5-mini", "gpt-5-nano"])
@pytest.mark.parametrize("sku", ["GlobalBatch", "DataZoneBatch"])
def test_gpt5_batch_cached_input_is_priced_not_charged_as_input(
    catalog: Catalog, model: str, sku: str
) -> None:
    prices = catalog.token_prices(model, None, sku, "eastus")
    assert set(prices) == {"input", "cached_input", "output"}
    assert prices["cached_input"].price.unit_price == pytest.approx(prices["input"].price.unit_price / 10)


@pytest.mark.parametrize(
    ("model", "apac", "us"),
    [
        ("text-embedding-3-large", 0.156, 0.143),
        ("text-embedding-3-small", 0.024, 0.022),
        ("text-embedding-ada-002", 0.12, 0.11),
    ],
)
@pytest.mark.parametrize("region", ["japaneast", "australiaeast", "southeastasia", "koreacentral"])
def test_data_zone_embeddings_in_apac(
    catalog: Catalog, model: str, apac: float, us: float, region: str
) -> None:
    there = catalog.token_prices(model, None, "DataZoneStandard", region)["input"]
    assert not there.fallback
    assert there.price.unit_price == apac
    assert catalog.token_prices(model, None, "DataZoneStandard", "eastus")["input"].price.unit_price == us


# ---------------------------------------------------------------- gaps filled (issue 9)


@pytest.mark.parametrize(
    ("model", "version", "sku", "region", "expected"),
    [
        ("o4-mini", "2025-04-16", "GlobalStandard", "eastus", (1.10, 0.275, 4.40)),
        ("o4-mini", "2025-04-16", "DataZoneStandard", "swedencentral", (1.21, 0.303, 4.84)),
        ("o4-mini", "2025-04-16", "Standard", "swedencentral", (1.331, 0.333, 5.324)),
        ("gpt-5-nano", None, "GlobalStandard", "eastus", (0.05, 0.005, 0.40)),
        ("gpt-5-mini", None, "DataZoneBatch", "westeurope", (0.1375, 0.01375, 1.10)),
        ("gpt-4.1", "2025-04-14", "DataZoneBatch", "eastus", (1.10, None, 4.40)),
        ("gpt-4.1-mini", None, "GlobalBatch", "eastus", (0.20, None, 0.80)),
        ("gpt-4.1", None, "Standard", "northeurope", (2.64, 0.66, 10.56)),
        ("gpt-35-turbo", "0125", "Standard", "eastus", (0.55, None, 1.65)),
        ("gpt-35-turbo", "0125", "GlobalStandard", "westeurope", (0.50, None, 1.50)),
        ("gpt-4o", "2024-05-13", "GlobalStandard", "eastus", (5.00, None, 15.00)),
        ("gpt-4o", "2024-05-13", "Standard", "swedencentral", (6.05, None, 18.15)),
        ("gpt-4o", "2024-11-20", "DataZoneBatch", "eastus", (1.375, None, 5.50)),
        ("gpt-4o", "2024-11-20", "Standard", "uaenorth", (3.025, 1.513, 12.10)),
        ("gpt-4o-mini", "2024-07-18", "Standard", "southeastasia", (0.198, 0.099, 0.792)),
        ("o1", "2024-12-17", "DataZoneBatch", "eastus", (8.25, None, 33.00)),
    ],
)
def test_token_prices_now_catalogued(
    catalog: Catalog,
    model: str,
    version: str | None,
    sku: str,
    region: str,
    expected: tuple[float | None, float | None, float | None],
) -> None:
    prices = catalog.token_prices(model, version, sku, region)
    got = tuple(
        prices[d].price.unit_price if d in prices else None for d in ("input", "cached_input", "output")
    )
    assert got == expected
    assert not any(m.fallback for m in prices.values())


# ---------------------------------------------------------------- where every price comes from


def test_every_row_names_an_openable_source_and_two_dates(catalog: Catalog) -> None:
    for family, keys, region, row in catalog.entries():
        where = f"{family} {keys} {region}"
        assert row.url.startswith("https://"), where
        assert row.read <= date.today(), where  # a date it was read, not one to come
        assert row.meter, where
        if row.effective is not None:
            assert row.effective <= row.read, where


def test_rows_without_an_effective_date_come_from_sources_that_give_none(catalog: Catalog) -> None:
    undated = {row.url for _, _, _, row in catalog.entries() if row.effective is None}
    # The copy of Retail Prices API answers keeps effectiveStartDate: none of its rows is undated.
    assert not any("mosaic-apim" in url for url in undated)


def test_third_party_and_derived_rows_say_so_up_front(catalog: Catalog) -> None:
    raw = yamlio_rows()
    sources = raw["sources"]
    for _, _, _, row in catalog.entries():
        if row.derived:
            assert row.source.startswith(f"derived ({row.derived}) from "), row.source
        elif any(s["url"] == row.url and s["kind"] == "third-party-copy" for s in sources.values()):
            assert row.source.startswith("third-party copy: "), row.source
    s3 = catalog.search_unit_hourly("standard3", "eastus")
    assert s3 is not None
    assert s3.price.source.startswith("derived (8 x Standard S1 Unit) from ")
    assert s3.price.query is None  # no meter of the API carries a derived figure


def test_no_source_cites_a_document_outside_the_repository() -> None:
    text = (package_data("cost", "prices.yaml")).read_text(encoding="utf-8")
    assert "azure-facts" not in text
    assert "facts" not in text.casefold()


def test_priced_rows_carry_a_retail_prices_api_query(catalog: Catalog) -> None:
    match = catalog.ptu_hourly("ProvisionedManaged", "italynorth")
    assert match is not None
    assert match.price.query == (
        "https://prices.azure.com/api/retail/prices?$filter=productName%20eq%20'Azure%20OpenAI'%20and%20"
        "meterName%20eq%20'Provisioned%20Managed%20Regional%20Unit'%20and%20armRegionName%20eq%20'italynorth'"
    )
    assert match.price.effective == date(2026, 9, 1)
    assert match.price.read == date(2026, 9, 30)
    assert match.price.source.startswith("third-party copy: microsoft/mosaic-apim")
    global_ptu = catalog.ptu_hourly("GlobalProvisionedManaged", "italynorth")
    assert global_ptu is not None
    assert global_ptu.price.query is not None
    assert "armRegionName" not in global_ptu.price.query  # one price in every region


def test_no_key_has_both_an_every_region_row_and_regional_rows(catalog: Catalog) -> None:
    regions: dict[tuple[str, tuple[str | None, ...]], set[str]] = {}
    for family, keys, region, _ in catalog.entries():
        regions.setdefault((family, keys), set()).add(region)
    overlapping = {key: r for key, r in regions.items() if "*" in r and len(r) > 1}
    assert overlapping == {}


def yamlio_rows() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(package_data("cost", "prices.yaml").read_text(encoding="utf-8"))
    return data


# ---------------------------------------------------------------- schema: sources and dates are required


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("    effective: 2026-09-01\n", ""), "'effective' is a required property"),
        (("    meter: X1\n", ""), "'meter' is required: a price read from the Retail Prices API"),
        (('url: "https://example.com/prices", ', ""), "'url' is a required property"),
        (("kind: retail-api, ", ""), "'kind' is a required property"),
        (("effective: 2026-09-01", "effective: soon"), "'soon' does not match"),
    ],
)
def test_schema_requires_source_url_meter_and_dates(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = _write(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(CatalogError, match=message):
        load_catalog(path)


def test_unknown_effective_date_and_kinds_of_source(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("kind: retail-api", "kind: third-party-copy")
        .replace("effective: 2026-09-01", "effective: unknown")
        .replace("    source: s1\n", "    source: s1\n    derived: 2 x X0\n")
    )
    match = load_catalog(_write(tmp_path, text)).vm_hourly("Standard_X1", "eastus")
    assert match is not None
    assert match.price.effective is None
    assert match.price.dates == "effective date not given by source, read 2026-09-30"
    assert match.price.source == "derived (2 x X0) from third-party copy: Test source"
    assert match.price.url == "https://example.com/prices"


@pytest.mark.parametrize(
    "region", ["eastus", "eastus2", "westus2", "westus3", "southcentralus", "centralus", "westus"]
)
def test_gpu_vms_priced_in_the_main_us_ai_regions(catalog: Catalog, region: str) -> None:
    nc24 = catalog.vm_hourly("Standard_NC24ads_A100_v4", region)
    nc48 = catalog.vm_hourly("Standard_NC48ads_A100_v4", region)
    assert nc24 is not None
    assert nc48 is not None
    assert not nc24.fallback
    assert not nc48.fallback
    # Within a region too, the 2-GPU size costs twice the 1-GPU size (to the copy's rounding).
    assert nc48.price.unit_price == pytest.approx(2 * nc24.price.unit_price, abs=0.01)


def test_a_page_that_names_no_meter_gives_a_rate_without_an_invented_meter(tmp_path: Path) -> None:
    text = MINIMAL.replace("kind: retail-api", "kind: learn").replace("    meter: X1\n", "")
    match = load_catalog(_write(tmp_path, text)).vm_hourly("Standard_X1", "eastus")
    assert match is not None
    assert match.price.meter == "no meter named by the source"


def test_fine_tuned_hosting_prints_no_invented_meter(catalog: Catalog) -> None:
    match = catalog.ft_hosting_hourly("GlobalStandard", "eastus")
    assert match is not None
    assert match.price.meter == "no meter named by the source"
    assert match.price.source.startswith("Microsoft Learn: ")
