"""The price catalogue: list prices by meter, region and date, and how to look them up.

A catalogue is a YAML file (``prices.yaml`` is the bundled one) validated by
``catalog.schema.json``. Lookups match SKU, size, model and region names
case-insensitively. A region the catalogue does not list (or a region that
is unknown or missing in the input) is priced at the catalogue's default
region; the returned :class:`PriceMatch` says so, and the cost model turns
such a figure into an estimate.

Every price says where it comes from: Azure's meter name, its source's
title and URL (a copy of Retail Prices API answers made by a third party is
labelled "third-party copy", a derived price says how), the price's own
effective date and the date it was read, and, where the row names Azure's
product, a Retail Prices API query that returns the meter
(:func:`retail_query`).
"""

from __future__ import annotations

import dataclasses
import json
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

from aigov.errors import CatalogError
from aigov.model import BUNDLED_CATALOG, FILE_CATALOG, REFRESHED_CATALOG, UNKNOWN, CatalogInfo, Price
from aigov.paths import is_bundled, package_data
from aigov.policy import yamlio
from aigov.readfile import DOCUMENT_LIMIT, read_regular_text

RETAIL_API: Final = "https://prices.azure.com/api/retail/prices"
THIRD_PARTY: Final = "third-party-copy"  # sources.*.kind of someone else's copy of Retail Prices API answers
_PAGES: Final = frozenset({"pricing-page", "learn"})  # source kinds that may give a rate without its meter
UNNAMED_METER: Final = "no meter named by the source"  # printed instead of a meter name aigov would invent
ALL_REGIONS: Final = "*"
GLOBAL_REGION: Final = "global"  # Price.region of a price that is the same in every region
DIRECTIONS: Final = ("input", "cached_input", "output")

PTU: Final = "openai_ptu"
PTU_RESERVATION: Final = "openai_ptu_reservation"
MONTH_TERM: Final = "1 Month"
YEAR_TERM: Final = "1 Year"
"""A PTU reservation row's ``term`` (absent: one month); its ``unit_price`` is per PTU for the whole term."""
FT_HOSTING: Final = "openai_ft_hosting"
TOKENS: Final = "openai_tokens"
SEARCH_UNIT: Final = "search_unit"
VM: Final = "vm"

_Key = tuple[str, tuple[str | None, ...]]  # (family, casefolded match keys)


@dataclass(frozen=True, slots=True)
class PriceRow:
    """One catalogue row as written, once validated."""

    family: str
    meter: str  # Azure's meterName
    unit: str
    unit_price: float
    source: str  # the source as reports print it: title, with "third-party copy" or "derived" up front
    url: str  # where a user can open the source
    effective: date | None  # the price's own effective date; None when the source gives none
    read: date  # the date the price was read from its source
    uncertain: bool = False
    note: str | None = None
    product: str | None = None  # Azure's productName
    meter_id: str | None = None
    derived: str | None = None  # how the price was derived, when it was not read as such
    kept: str | None = None  # in a refreshed catalogue: why this bundled price was kept


@dataclass(frozen=True, slots=True)
class PriceMatch:
    """A looked-up price and how it was found.

    ``region`` is the region the figure is applied to: the one asked for, or
    the catalogue's default region when ``fallback_reason`` says why the one
    asked for could not be used.
    """

    price: Price
    region: str
    fallback_reason: str | None = None
    uncertain: bool = False
    note: str | None = None

    @property
    def fallback(self) -> bool:
        return self.fallback_reason is not None

    @property
    def where(self) -> str:
        """The region part of a formula: ``eastus`` or ``region X not in catalogue; priced at eastus``."""
        if self.fallback_reason is None:
            return self.region
        return f"{self.fallback_reason}; priced at {self.region}"


@dataclass(frozen=True)
class Catalog:
    """A loaded, validated price catalogue. Build it with :func:`load_catalog`."""

    info: CatalogInfo
    path: str
    _rows: Mapping[_Key, Mapping[str, PriceRow]]
    # Versions the catalogue prices per (model, sku), casefolded, newest first.
    _versions: Mapping[tuple[str, str], tuple[str, ...]] = dataclasses.field(default_factory=dict)
    # Regions declared without a sourced price and why, per (family, casefolded sku or size; None: all).
    _unpriced: Mapping[tuple[str, str | None], Mapping[str, str]] = dataclasses.field(default_factory=dict)
    # Each match made once: a scan of thousands of deployments asks for the same few rows again and again.
    _matches: dict[tuple[int, str, bool, str | None], PriceMatch] = dataclasses.field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    # Each lookup answered once per (family, keys, region asked).
    _lookups: dict[tuple[str, tuple[str | None, ...], object], PriceMatch | None] = dataclasses.field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    # ------------------------------------------------------------------ lookups

    def ptu_hourly(self, sku_name: str, region: object) -> PriceMatch | None:
        """$/PTU/hour of a provisioned deployment type (``ProvisionedManaged``, ...)."""
        return self._lookup(PTU, (sku_name,), region)

    def ptu_reservation_monthly(self, sku_name: str, region: object) -> PriceMatch | None:
        """$/PTU/month of a one-month PTU reservation for a provisioned deployment type."""
        return self._lookup(PTU_RESERVATION, (sku_name, MONTH_TERM), region)

    def ptu_reservation_yearly(self, sku_name: str, region: object) -> PriceMatch | None:
        """$/PTU/year of a one-year PTU reservation for a provisioned deployment type."""
        return self._lookup(PTU_RESERVATION, (sku_name, YEAR_TERM), region)

    def ft_hosting_hourly(self, sku_name: str, region: object) -> PriceMatch | None:
        """$/hour hosting fee of a fine-tuned model deployed with ``sku_name``."""
        return self._lookup(FT_HOSTING, (sku_name,), region)

    def token_prices(
        self, model: str, version: str | None, sku_name: str, region: object
    ) -> dict[str, PriceMatch]:
        """$/1M tokens per direction (``input``, ``cached_input``, ``output``) that the catalogue has.

        A row for the exact model version wins; otherwise a row written
        without ``version`` (the model's price whatever its version) is used.
        A row for a *different* version is never used: versions can be priced
        differently. Directions the catalogue has no price for are absent.
        """
        found: dict[str, PriceMatch] = {}
        # The Retail Prices API names versions by month and day only
        # ("gpt 4o 1120 Inp glbl"): a refreshed catalogue keys them "1120".
        short = _short_version(version)
        for direction in DIRECTIONS:
            match = None
            if version:
                match = self._lookup(TOKENS, (model, version, sku_name, direction), region)
            if match is None and short:
                match = self._lookup(TOKENS, (model, short, sku_name, direction), region)
            if match is None:
                match = self._lookup(TOKENS, (model, None, sku_name, direction), region)
            if match is not None:
                found[direction] = match
        return found

    def newest_version(self, model: str, sku_name: str) -> str | None:
        """The newest version the catalogue prices ``model`` at on ``sku_name``, if any is versioned."""
        versions = self._versions.get((model.casefold(), sku_name.casefold()))
        return versions[0] if versions else None

    def search_unit_hourly(self, sku: str, region: object) -> PriceMatch | None:
        """$/search unit/hour of an AI Search tier (``basic``, ``standard``, ...)."""
        return self._lookup(SEARCH_UNIT, (sku,), region)

    def vm_hourly(self, size: str, region: object) -> PriceMatch | None:
        """$/hour of a Linux pay-as-you-go VM size (``Standard_NC24ads_A100_v4``)."""
        return self._lookup(VM, (size,), region)

    def stale_warning(self, now: datetime, max_age_days: int = 90) -> str | None:
        """A warning when the catalogue's prices are older than ``max_age_days`` on ``now``, else None."""
        age = (now.date() - self.info.as_of).days
        if age <= max_age_days:
            return None
        return (
            f"price catalogue {self.info.name!r} is {age} days old (prices of {self.info.as_of.isoformat()}, "
            f"more than {max_age_days}); costs may be out of date"
        )

    def with_default_region(self, region: str) -> Catalog:
        """The same prices, falling back to ``region`` (``East US`` or ``eastus``) instead."""
        name = normalise_region(region)
        if name is None or name == self.info.default_region:
            return self
        return dataclasses.replace(self, info=dataclasses.replace(self.info, default_region=name))

    def __len__(self) -> int:
        return sum(len(regions) for regions in self._rows.values())

    def entries(self) -> Iterator[tuple[str, tuple[str | None, ...], str, PriceRow]]:
        """Every price as ``(family, match keys, region, row)``; keys are casefolded."""
        for (family, keys), regions in self._rows.items():
            for region, row in regions.items():
                yield family, keys, region, row

    # ------------------------------------------------------------------ internals

    def unpriced(self, family: str, key: str | None, region: object) -> str | None:
        """Why there is no sourced price for ``key`` of ``family`` in ``region``; None if not declared."""
        asked = normalise_region(region)
        if asked is None or not self._unpriced:
            return None
        return self._unpriced.get((family, _fold(key)), {}).get(asked) or self._unpriced.get(
            (family, None), {}
        ).get(asked)

    def _lookup(self, family: str, keys: tuple[str | None, ...], region: object) -> PriceMatch | None:
        if not isinstance(region, str | None) and region is not UNKNOWN:
            return self._find(family, keys, region)  # an odd value (a list, a dict) is not cached
        asked = (family, keys, region)
        try:
            return self._lookups[asked]
        except KeyError:
            found = self._lookups[asked] = self._find(family, keys, region)
            return found

    def _find(self, family: str, keys: tuple[str | None, ...], region: object) -> PriceMatch | None:
        rows = self._rows.get((family, tuple(_fold(k) for k in keys)))
        if rows is None:
            return None
        asked = normalise_region(region)
        if asked is not None:
            row = rows.get(asked) or rows.get(ALL_REGIONS)
            if row is not None:
                return self._match(row, asked, asked in rows, None)
        default = self.info.default_region
        row = rows.get(default) or rows.get(ALL_REGIONS)
        if row is None:
            return None
        if asked is not None:
            # A declared gap says why the region has no price; the figure stays an estimate that says so.
            declared = self.unpriced(family, keys[0], asked)
            reason = (
                f"no sourced price in {asked}: {declared}" if declared else f"region {asked} not in catalogue"
            )
        elif region is UNKNOWN:
            reason = "region known only after apply"
        else:
            reason = "no region in input"
        return self._match(row, default, default in rows, reason)

    def _match(self, row: PriceRow, region: str, regional: bool, reason: str | None) -> PriceMatch:
        key = (id(row), region, regional, reason)
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = self._new_match(row, region, regional, reason)
        return found

    def _new_match(self, row: PriceRow, region: str, regional: bool, reason: str | None) -> PriceMatch:
        price = Price(
            meter=row.meter,
            unit_price=row.unit_price,
            unit=row.unit,
            region=region if regional else GLOBAL_REGION,
            currency=self.info.currency,
            source=row.source,
            url=row.url,
            effective=row.effective,
            read=row.read,
            query=retail_query(row, region if regional else None),
        )
        return PriceMatch(price, region, reason, row.uncertain, row.note)


def normalise_region(region: object) -> str | None:
    """ARM region name from what an input says (``East US`` → ``eastus``); None if unknown or absent."""
    if not isinstance(region, str):
        return None
    name = "".join(region.split()).casefold()
    return name or None


def retail_query(row: PriceRow, region: str | None) -> str | None:
    """A Retail Prices API URL whose answer holds ``row``'s meter, or None without a product name.

    Derived rows get none: no meter of the API carries their figure.
    """
    if row.product is None or row.derived is not None:
        return None
    terms = [f"productName eq '{row.product}'", f"meterName eq '{row.meter}'"]
    if region is not None:
        terms.append(f"armRegionName eq '{region}'")
    return f"{RETAIL_API}?$filter={urllib.parse.quote(' and '.join(terms), safe=chr(39))}"


def source_label(kind: str, title: str, derived: str | None, kept: str | None = None) -> str:
    """How a report names a row's source: what kind of source it is comes first.

    A bundled price kept in a refreshed catalogue says so, and why, before its source.
    """
    label = f"third-party copy: {title}" if kind == THIRD_PARTY else title
    label = f"derived ({derived}) from {label}" if derived else label
    return f"bundled price kept ({kept}): {label}" if kept else label


def _short_version(version: str | None) -> str | None:
    """``2024-11-20`` → ``1120`` (how Retail Prices meter names write a model version)."""
    if version and len(version) == 10 and version[4] == "-" and version[7] == "-":
        return version[5:7] + version[8:10]
    return None


def _fold(value: str | None) -> str | None:
    return value.casefold() if value is not None else None


# ---------------------------------------------------------------------------- loading


def bundled_catalog_path() -> Path:
    return package_data("cost", "prices.yaml")


@cache
def _schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(package_data("cost", "catalog.schema.json").read_text(encoding="utf-8"))
    return data


def validate_catalog(document: Any, node: yamlio.Root, shown: str) -> None:
    """Raise :class:`CatalogError` with the most relevant schema violation of a catalogue document."""
    import jsonschema  # noqa: PLC0415  (only when a catalogue is validated)

    validator = jsonschema.Draft202012Validator(_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        parts = tuple(error.absolute_path)
        raise CatalogError(_one_line(error.message), file=shown, where=yamlio.where(node, parts))


def load_catalog(path: Path | None = None) -> Catalog:
    """Read, validate and index a catalogue; ``None`` loads the bundled one.

    Raises :class:`CatalogError` with the file and ``line N: $.json.path``.
    """
    file = path if path is not None else bundled_catalog_path()
    shown = str(file)
    text = read_regular_text(file, DOCUMENT_LIMIT, CatalogError, encoding="utf-8")
    document, node = yamlio.loads(text, shown, CatalogError)
    if not is_bundled(file):  # the bundled catalogue is validated by the test suite, not on every run
        validate_catalog(document, node, shown)

    # CatalogInfo.name identifies the prices in reports: "bundled", or the file a user supplied.
    return _build(document, node, shown, BUNDLED_CATALOG if path is None else str(path))


def _date(text: str, node: yamlio.Root, path: tuple[str | int, ...], shown: str) -> date:
    """A schema-checked ``YYYY-MM-DD`` as a date (the pattern cannot reject ``2026-02-30``)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CatalogError(
            f"{text!r} is not a valid date", file=shown, where=yamlio.where(node, path)
        ) from None


def _build(document: dict[str, Any], node: yamlio.Root, shown: str, name: str) -> Catalog:
    head = document["catalog"]
    if name == BUNDLED_CATALOG:
        kind = BUNDLED_CATALOG
    else:  # `aigov prices refresh` names what it writes "refreshed"
        kind = REFRESHED_CATALOG if head["name"] == REFRESHED_CATALOG else FILE_CATALOG
    info = CatalogInfo(
        name=name,
        as_of=_date(head["as_of"], node, ("catalog", "as_of"), shown),
        currency=head["currency"],
        default_region=head["default_region"],
        kind=kind,
    )
    sources: dict[str, Any] = document["sources"]
    index: dict[_Key, dict[str, PriceRow]] = {}
    versions: dict[tuple[str, str], set[str]] = {}
    for i, raw in enumerate(document["prices"]):
        if raw["source"] not in sources:
            raise CatalogError(
                f"unknown source {raw['source']!r} (not a key of sources)",
                file=shown,
                where=yamlio.where(node, ("prices", i, "source")),
            )
        family = raw["family"]
        keys = _match_keys(family, raw)
        source = sources[raw["source"]]
        meter = raw.get("meter")
        if meter is None and source["kind"] not in _PAGES:
            raise CatalogError(
                "'meter' is required: a price read from the Retail Prices API (or a copy) has a meterName",
                file=shown,
                where=yamlio.where(node, ("prices", i)),
            )
        derived = raw.get("derived")
        effective = raw["effective"]
        row = PriceRow(
            family=family,
            meter=meter if meter is not None else UNNAMED_METER,
            unit=raw["unit"],
            unit_price=float(raw["unit_price"]),
            source=source_label(source["kind"], source["title"], derived, raw.get("kept")),
            url=source["url"],
            effective=None
            if effective == "unknown"
            else _date(effective, node, ("prices", i, "effective"), shown),
            read=_date(source["retrieved"], node, ("sources", raw["source"], "retrieved"), shown),
            uncertain=bool(raw.get("uncertain", False)),
            note=raw.get("note"),
            product=raw.get("product"),
            meter_id=raw.get("meter_id"),
            derived=derived,
            kept=raw.get("kept"),
        )
        slot = index.setdefault((family, tuple(_fold(k) for k in keys)), {})
        for region in raw["regions"]:
            if region in slot:
                raise CatalogError(
                    f"duplicate price for {family} {'/'.join(k or '*' for k in keys)} in region {region}",
                    file=shown,
                    where=yamlio.where(node, ("prices", i, "regions")),
                )
            slot[region] = row
        if family == TOKENS and raw.get("version"):
            versions.setdefault((raw["model"].casefold(), raw["sku"].casefold()), set()).add(raw["version"])
    newest = {k: tuple(sorted(v, key=_version_order, reverse=True)) for k, v in versions.items()}
    unpriced = _unpriced(document.get("unpriced", ()), index, node, shown)
    return Catalog(info=info, path=shown, _rows=index, _versions=newest, _unpriced=unpriced)


def _unpriced(
    entries: Any, index: Mapping[_Key, Mapping[str, PriceRow]], node: yamlio.Root, shown: str
) -> dict[tuple[str, str | None], dict[str, str]]:
    """The ``unpriced`` declarations; one that contradicts a price row is an error at its line."""
    out: dict[tuple[str, str | None], dict[str, str]] = {}
    for i, entry in enumerate(entries):
        family = entry["family"]
        key = _fold(entry.get("sku", entry.get("size")))
        regions = set(entry["regions"])
        for (row_family, row_keys), rows in index.items():
            if row_family != family or (key is not None and row_keys[0] != key):
                continue
            clash = sorted(regions & set(rows))
            if clash:
                raise CatalogError(
                    f"declared unpriced in {', '.join(clash)} but priced there "
                    f"({family} {'/'.join(k or '*' for k in row_keys)})",
                    file=shown,
                    where=yamlio.where(node, ("unpriced", i, "regions")),
                )
        out.setdefault((family, key), {}).update(dict.fromkeys(sorted(regions), entry["reason"]))
    return out


def _version_order(version: str) -> str:
    """Sort key putting dated versions (``2024-11-20``) and short ones (``1120``) in date order."""
    return version if len(version) == 10 else f"0000-{version[:2]}-{version[2:]}"


def _match_keys(family: str, raw: Mapping[str, Any]) -> tuple[str | None, ...]:
    if family == TOKENS:
        return (raw["model"], raw.get("version"), raw["sku"], raw["direction"])
    if family == VM:
        return (raw["size"],)
    if family == PTU_RESERVATION:
        return (raw["sku"], raw.get("term", MONTH_TERM))
    return (raw["sku"],)


def _one_line(message: str) -> str:
    first = message.splitlines()[0] if message else message
    return first if len(first) <= 300 else first[:297] + "..."
