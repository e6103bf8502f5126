from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from aigov.cost.catalog import GLOBAL_REGION, Catalog, bundled_catalog_path, load_catalog, validate_catalog
from aigov.errors import CatalogError
from aigov.model import UNKNOWN
from aigov.paths import package_data
from aigov.policy import yamlio

MINIMAL = """\
catalog: {name: test, currency: USD, default_region: eastus, as_of: 2026-09-30}
sources:
  s1: {title: Test source, url: "https://example.com/prices", retrieved: 2026-09-30}
prices:
  - family: vm
    size: Standard_X1
    regions: [eastus]
    unit: "1 Hour"
    unit_price: 1.5
    source: s1
    as_of: 2026-09-30
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
    assert error.where == "line 9: $.prices[0].unit_price"
    assert "'thirty' is not of type 'number'" in str(error)
    assert "\n" not in str(error)


def test_missing_source_key_names_the_row(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("source: s1", "source: nowhere"))
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert caught.value.where == "line 10: $.prices[0].source"
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
    assert match.price.as_of == date(2026, 9, 30)
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
    assert catalog.vm_hourly("Standard_NV36ads_A10_v5", "eastus") is None
    assert catalog.search_unit_hourly("storage_optimized_l1", "eastus") is None


def test_fine_tuned_hosting(catalog: Catalog) -> None:
    for sku in ("Standard", "GlobalStandard", "DataZoneStandard"):
        match = catalog.ft_hosting_hourly(sku, "swedencentral")
        assert match is not None
        assert match.price.unit_price == 1.70
    data_zone = catalog.ft_hosting_hourly("DataZoneStandard", "eastus")
    assert data_zone is not None
    assert data_zone.uncertain
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
    assert catalog.token_prices("gpt-4o", "2024-05-13", "GlobalStandard", "eastus") == {}


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
