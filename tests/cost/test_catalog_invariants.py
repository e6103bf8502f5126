"""Invariants of the bundled price catalogue (aigov/cost/prices.yaml), read as data.

Each test states a property every row must have; a row that breaks one is a
wrong or untraceable price, fixed in the catalogue (or removed, its cost then
unknown), never excused here.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from aigov.cost.catalog import ALL_REGIONS, PTU, SEARCH_UNIT, TOKENS, VM, bundled_catalog_path, load_catalog
from aigov.errors import CatalogError
from aigov.policy import yamlio

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT: dict[str, Any] = yamlio.load(bundled_catalog_path(), CatalogError)[0]
ROWS: list[dict[str, Any]] = DOCUMENT["prices"]
SOURCES: dict[str, Any] = DOCUMENT["sources"]
ROUNDING = 0.0005  # $/h: the copied prices are rounded to three decimals

# GPU series whose sizes differ only in how many of the same GPU they hold, so the
# number in the size name (vCPUs) is proportional to the GPU count: NC24/48/96ads
# A100 v4 hold 1/2/4 A100, NC6/12/24s v3 1/2/4 V100, NV12/24/48s v3 1/2/4 M60 and
# NC40ads/NC80adis H100 v5 1/2 H100. (NC4/8/16as T4 v3 all hold one T4 and
# NC64as four: that series is only checked to be increasing.)
_SIZE = re.compile(r"^Standard_(N[CDV])(\d+)([a-z]*)_(.+)$")
PROPORTIONAL = {("NC", "ads", "A100_v4"), ("NC", "s", "v3"), ("NV", "s", "v3"), ("NC", "ads", "H100_v5")}


def _series(size: str) -> tuple[tuple[str, str, str], int] | None:
    """(series, feature letters without "i" for isolated, GPU and version) and the size number."""
    match = _SIZE.match(size)
    if match is None:
        return None
    return (match.group(1), match.group(3).replace("i", ""), match.group(4)), int(match.group(2))


def _vm_prices() -> dict[tuple[str, str, str], dict[str, dict[int, float]]]:
    """GPU VM prices by series, region and size number."""
    out: dict[tuple[str, str, str], dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for row in ROWS:
        parsed = _series(row["size"]) if row["family"] == VM else None
        if parsed is not None:
            for region in row["regions"]:
                out[parsed[0]][region][parsed[1]] = row["unit_price"]
    return out


def test_gpu_vm_prices_scale_with_size_within_a_series() -> None:
    checked = 0
    for series, regions in _vm_prices().items():
        for region, by_size in regions.items():
            sizes = sorted(by_size)
            for small, large in itertools.pairwise(sizes):
                assert by_size[small] < by_size[large], (series, region, small, large)
            if series in PROPORTIONAL:
                base = sizes[0]
                for size in sizes[1:]:
                    factor = size / base
                    expected = by_size[base] * factor
                    # Both figures are rounded: the base's rounding error is multiplied by the factor.
                    tolerance = ROUNDING * (factor + 1) + 1e-9
                    assert abs(by_size[size] - expected) <= tolerance, (series, region, size, expected)
                    checked += 1
    assert checked >= 10  # the A100, V100, M60 and H100 series in several regions


def test_nc48_is_twice_nc24_in_eastus() -> None:
    catalog = load_catalog()
    nc24 = catalog.vm_hourly("Standard_NC24ads_A100_v4", "eastus")
    nc48 = catalog.vm_hourly("Standard_NC48ads_A100_v4", "eastus")
    assert nc24 is not None
    assert nc48 is not None
    assert (nc24.price.unit_price, nc48.price.unit_price) == (3.673, 7.346)


def _keys(row: dict[str, Any]) -> tuple[str, ...]:
    fields = {TOKENS: ("model", "version", "sku", "direction"), VM: ("size",)}.get(row["family"], ("sku",))
    return (row["family"], *(str(row.get(f, "")).casefold() for f in fields))


def test_no_duplicate_or_overlapping_rows() -> None:
    regions_by_key: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for row in ROWS:
        regions_by_key[_keys(row)].extend(row["regions"])
    for key, regions in regions_by_key.items():
        assert len(regions) == len(set(regions)), f"{key}: a region priced twice"
        # "*" is every region: a row for one region beside it would overlap it.
        assert ALL_REGIONS not in regions or regions == [ALL_REGIONS], f"{key}: '*' overlaps {regions}"
    # One meter in one region has one price, whatever the keys it is filed under.
    by_meter: dict[tuple[str, str, str], set[float]] = defaultdict(set)
    for row in ROWS:
        if "meter" in row:
            for region in row["regions"]:
                by_meter[(row["family"], row["meter"], region)].add(row["unit_price"])
    assert {k: v for k, v in by_meter.items() if len(v) > 1} == {}


@pytest.mark.parametrize("index", range(len(ROWS)), ids=lambda i: f"row{i}")
def test_every_row_has_a_source_a_user_can_open_and_two_dates(index: int) -> None:
    row = ROWS[index]
    source = SOURCES[row["source"]]
    assert re.match(r"^https://[a-z0-9.-]+\.[a-z]{2,}/\S+$", source["url"]), source["url"]
    assert source["retrieved"] is not None  # the date it was read (a date: the loader checks it)
    if row["effective"] == "unknown":
        # Allowed only where the source itself gives no effective date, and says so.
        assert source.get("effective_dates") is False, f"{row}: no effective date, and its source has them"
    else:
        assert source.get("effective_dates", True), f"{row}: dated, from a source declared undated"


_ARITHMETIC = re.compile(r"\d\s*x\s|/\s*730\s*h|\bassum", re.IGNORECASE)


@pytest.mark.parametrize("index", range(len(ROWS)), ids=lambda i: f"row{i}")
def test_a_derived_price_says_derived_and_how(index: int) -> None:
    row = ROWS[index]
    note = row.get("note", "")
    # A row whose note shows the figure was computed is a derived row and must be marked so.
    assert not _ARITHMETIC.search(note), f"{row}: a computed figure in 'note'; say it in 'derived'"
    derived = row.get("derived")
    if derived is not None:
        assert re.search(r"\d", derived), f"{row}: 'derived' must say how (the arithmetic)"
        assert not re.search(r"\bassum", derived, re.IGNORECASE), f"{row}: an assumption is not a derivation"


def test_derived_rows_are_labelled_in_reports_and_have_no_retail_query() -> None:
    catalog = load_catalog()
    nc96 = catalog.vm_hourly("Standard_NC96ads_A100_v4", "eastus")
    assert nc96 is not None
    assert nc96.price.source.startswith("derived (4 x NC24ads A100 v4) from third-party copy: ")
    assert nc96.price.query is None  # no API meter carries a derived figure
    basic = catalog.search_unit_hourly("basic", "eastus")
    assert basic is not None
    assert basic.price.source.startswith("derived (73.73 $/month on the pricing page / 730 h) from ")


# ---------------------------------------------------------------- regions named by the project

_REGION_WORD = re.compile(
    r"\b((?:east|west|north|south|central|france|germany|italy|poland|spain|sweden|switzerland|norway|uk|"
    r"uae|japan|korea|australia|brazil|canada|india|jioindia|indonesia|southafrica|qatar|israel|mexico|"
    r"newzealand|taiwan|malaysia|chile|usgov)[a-z]*[0-9]?)\b"
)
_NOT_REGIONS = frozenset({"east", "west", "north", "south", "central", "india", "japan", "korea", "uk"})


def _named_regions() -> dict[str, set[str]]:
    """ARM region names in the README, the bundled rules and the examples, with where each is named."""
    files = [ROOT / "README.md", *sorted((ROOT / "policies").rglob("*.yaml"))]
    files += sorted((ROOT / "fixtures" / "terraform_plan").glob("example*"))
    named: dict[str, set[str]] = defaultdict(set)
    for path in files:
        for word in _REGION_WORD.findall(path.read_text(encoding="utf-8")):
            if word not in _NOT_REGIONS and (word[-1].isdigit() or word.endswith(_COMPASS)):
                named[word].add(str(path.relative_to(ROOT)))
    return named


_COMPASS = ("us", "central", "east", "west", "north", "south", "europe", "asia")

# The families a region-specific rule prices; token prices are checked per deployment type.
_REGIONAL_FAMILIES = (PTU, SEARCH_UNIT, VM)


def test_the_project_names_regions() -> None:
    assert {"eastus", "swedencentral"} <= set(_named_regions())


@pytest.mark.parametrize("region", sorted(_named_regions()))
def test_every_named_region_has_a_price_or_an_explicit_unpriced_entry(region: str) -> None:
    catalog = load_catalog()
    missing = []
    for family, keys, _, _ in {(f, k, None, None) for f, k, _, _ in catalog.entries()}:
        if family not in _REGIONAL_FAMILIES:
            continue
        rows = {r for f, k, r, _ in catalog.entries() if (f, k) == (family, keys)}
        if region in rows or ALL_REGIONS in rows or catalog.unpriced(family, keys[0], region):
            continue
        missing.append(f"{family} {keys[0]}")
    assert missing == [], f"{region} ({', '.join(sorted(_named_regions()[region]))}): no price for {missing}"


def test_an_unpriced_region_is_an_estimate_that_says_why() -> None:
    catalog = load_catalog()
    search = catalog.search_unit_hourly("standard", "westus")
    assert search is not None
    assert (search.region, search.fallback_reason) == (
        "eastus",
        "no sourced price in westus: the pricing page figures copied here are for eastus and the "
        "per-region copy has no westus answer",
    )
    # Storage optimised tiers have no eastus price at all: unknown there, never another tier's price.
    assert catalog.search_unit_hourly("storage_optimized_l1", "eastus") is None
    vm = catalog.vm_hourly("Standard_NC24ads_A100_v4", "swedencentral")
    assert vm is not None
    assert vm.where == (
        "no sourced price in swedencentral: the VM price sources copied here list US regions only, and the "
        "per-region copy has no Linux row for this size; priced at eastus"
    )
    # A region nobody declared keeps the plain reason.
    other = catalog.search_unit_hourly("standard", "francecentral")
    assert other is not None
    assert other.fallback_reason == "region francecentral not in catalogue"
    # The free tier is priced in every region ("*"): a family-wide declaration does not hide it.
    free = catalog.search_unit_hourly("free", "swedencentral")
    assert free is not None
    assert free.price.unit_price == 0.0


def test_a_region_both_priced_and_declared_unpriced_is_refused(tmp_path: Path) -> None:
    text = bundled_catalog_path().read_text(encoding="utf-8")
    broken = tmp_path / "prices.yaml"
    broken.write_text(
        text + '  - {family: "search_unit", sku: "standard", regions: ["eastus"], reason: "x"}\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match=r"declared unpriced in eastus but priced there") as info:
        load_catalog(broken)
    assert "$.unpriced" in str(info.value)


@pytest.mark.parametrize(
    ("sku", "region", "price", "effective"),
    [
        # Per-region Retail Prices API answers (third-party copy): the same S1 meter in Europe as in eastus,
        # a dearer one in Japan, and the storage optimised tiers the pricing page copy lacked.
        ("standard", "swedencentral", 0.336, date(2022, 4, 1)),
        ("standard", "japaneast", 0.444, date(2019, 7, 1)),
        ("standard3", "westeurope", 2.688, date(2016, 12, 1)),
        ("storage_optimized_l1", "westeurope", 3.839, date(2019, 9, 1)),
        ("storage_optimized_l2", "mexicocentral", 8.4447, date(2024, 2, 1)),
    ],
)
def test_search_units_are_priced_per_region_from_the_api_answers(
    sku: str, region: str, price: float, effective: date
) -> None:
    match = load_catalog().search_unit_hourly(sku, region)
    assert match is not None
    assert (match.region, match.fallback_reason) == (region, None)
    assert (match.price.unit_price, match.price.effective) == (price, effective)
    assert match.price.source.startswith(
        "third-party copy: Arturo-Quiroga-MSFT/azure-architecture-diagram-builder"
    )
    assert match.price.query is not None
    assert f"armRegionName%20eq%20'{region}'" in match.price.query


def test_a_non_us_gpu_size_is_priced_from_its_regional_linux_row() -> None:
    # The per-region copy's Linux row (productName without "Windows"): 19.10 $/h for 4 A100s in
    # swedencentral, where the US regions' copy has none; the other sizes there stay declared unpriced.
    match = load_catalog().vm_hourly("Standard_NC96ads_A100_v4", "swedencentral")
    assert match is not None
    assert (match.region, match.fallback_reason, match.price.unit_price) == ("swedencentral", None, 19.1)
    assert match.price.effective == date(2023, 12, 1)
