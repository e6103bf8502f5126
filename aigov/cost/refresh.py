"""``aigov prices refresh``: a dated local catalogue from the Azure Retail Prices API.

The client pages through the unauthenticated Retail Prices API
(``NextPageLink`` until null) for Azure OpenAI (``serviceName eq 'Foundry
Models'``; the older 'Cognitive Services' name returns nothing now) and AI
Search (``serviceName eq 'Azure Cognitive Search'``), one query per service
and region, and turns the rows it recognises into catalogue rows:

* token meters (``gpt 4o 1120 Inp glbl Tokens``) → ``openai_tokens`` by
  model, version (month and day, as the meter writes it), deployment type
  and direction, in $/1M tokens whatever the API's unit (``1K``, ``1M``);
* ``Provisioned Managed Global|Data Zone|Regional Unit`` → ``openai_ptu``
  ($/PTU/hour, unit ``1/Hour``); one-month and one-year reservations →
  ``openai_ptu_reservation`` (``term`` ``1 Year`` for the latter; the API's
  price is per PTU for the whole term);
* fine-tuned ``hosting`` meters → ``openai_ft_hosting`` ($/hour);
* AI Search ``<Tier> Unit`` meters → ``search_unit`` ($/hour).

Each row keeps the item's meterName, productName, meterId and
effectiveStartDate. Rows it does not recognise are counted and left out.

The answer is merged over the bundled catalogue (USD only: bundled prices
are never mixed into another currency). A bundled price is replaced for
each family, match keys and region the answer prices (a meter's ``1120``
version is matched to the bundled ``2024-11-20``); every other bundled row
is kept, with the sources it cites and a ``kept`` field saying why (no API
price for it in a refreshed region, or a region not refreshed), which
reports print beside its source. VM prices are not fetched: they are always
kept from the bundled catalogue. The bundled ``unpriced`` declarations are
kept too, less the regions the answer now prices.

The catalogue is written to ``$AIGOV_CACHE_DIR`` (default
``~/.cache/aigov``) as ``prices-<date>.yaml``. A scan uses it only when asked
(``--prices FILE`` or ``pricing.catalog`` in ``aigov.yaml``): a file that
appears in a user's cache never changes a gate's figures by itself. HTTP
goes through :mod:`aigov.cost.retail_client` (429 and 5xx retried, bounded
``Retry-After``); every failure is one :class:`~aigov.errors.CatalogError`
line and nothing is written then.
"""

from __future__ import annotations

import os
import re
import tempfile
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from aigov.cost.catalog import (
    ALL_REGIONS,
    FT_HOSTING,
    MONTH_TERM,
    PTU,
    PTU_RESERVATION,
    SEARCH_UNIT,
    TOKENS,
    VM,
    YEAR_TERM,
    bundled_catalog_path,
    load_catalog,
    normalise_region,
)
from aigov.cost.reservations import provisioned_type
from aigov.errors import CatalogError
from aigov.policy import yamlio

if TYPE_CHECKING:
    from aigov.cost.retail_client import RetryPolicy

API_URL: Final = "https://prices.azure.com/api/retail/prices"
API_URL_ENV: Final = "AIGOV_PRICES_API_URL"
CACHE_DIR_ENV: Final = "AIGOV_CACHE_DIR"
DEFAULT_TIMEOUT: Final = 30.0
SERVICES: Final = ("Foundry Models", "Azure Cognitive Search")
_CATALOG_FILE: Final = re.compile(r"^prices-(\d{4}-\d{2}-\d{2})(?:-[A-Z]{3})?\.yaml$")

_SEARCH_METERS: Final = {
    "free unit": "free",
    "basic unit": "basic",
    "standard s1 unit": "standard",
    "standard s2 unit": "standard2",
    "standard s3 unit": "standard3",
    "storage optimized l1 unit": "storage_optimized_l1",
    "storage optimized l2 unit": "storage_optimized_l2",
}
_PTU_METERS: Final = {
    "provisioned managed global unit": "GlobalProvisionedManaged",
    "provisioned managed data zone unit": "DataZoneProvisionedManaged",
    "provisioned managed regional unit": "ProvisionedManaged",
}
_INPUT: Final = frozenset({"inp", "input", "inpt", "in"})
_OUTPUT: Final = frozenset({"outp", "output", "out", "opt", "outpt"})
_CACHED: Final = frozenset({"cached", "cchd", "cache"})
_GLOBAL: Final = frozenset({"glbl", "global", "gl"})
_REGIONAL: Final = frozenset({"regnl", "regional", "rgnl", "regl"})
_DATAZONE: Final = frozenset({"dzone", "dz", "datazone"})
_NOISE: Final = frozenset({"tokens", "token", "1m", "1k"})
_NOT_INFERENCE: Final = frozenset({"training", "train", "ft", "hosting", "grader", "fine", "tuning"})
_MMDD: Final = re.compile(r"^\d{4}$")


# ---------------------------------------------------------------------------- paths


def cache_dir() -> Path:
    """Where refreshed catalogues live: ``$AIGOV_CACHE_DIR``, else ``~/.cache/aigov`` (XDG honoured)."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "aigov"


def default_output(today: date, currency: str) -> Path:
    suffix = "" if currency == "USD" else f"-{currency}"
    return cache_dir() / f"prices-{today.isoformat()}{suffix}.yaml"


def preferred_catalog_path() -> Path | None:
    """The newest refreshed catalogue in the cache directory, or None.

    Scans never pick it up by themselves (a file appearing in a user's cache must not change a
    gate's figures); ``aigov prices show`` names it so that a user can pass it with ``--prices``.
    """
    directory = cache_dir()
    try:
        candidates = [
            (m.group(1), p.name, p) for p in directory.iterdir() if (m := _CATALOG_FILE.match(p.name))
        ]
    except OSError:
        return None
    if not candidates:
        return None
    return max(candidates)[2]


def api_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get(API_URL_ENV) or API_URL


# ---------------------------------------------------------------------------- units


def normalise_unit(unit: str) -> tuple[str, float] | None:
    """The catalogue unit for an API ``unitOfMeasure`` and the factor its price is multiplied by.

    ``1K`` → (``1M tokens``, 1000); ``1M`` → (``1M tokens``, 1); ``1 Hour``,
    ``1/Hour``, ``1Hour`` → (``1 Hour``, 1); ``100 Hours`` → (``1 Hour``,
    0.01); ``1/Month`` → (``1 Month``, 1); ``1/Day`` → (``1 Day``, 1).
    None for a unit that is neither a token count nor a period.
    """
    match = re.match(r"^(\d+(?:\.\d+)?)\s*([km])?\s*/?\s*(hours?|months?|days?)?$", unit.strip().casefold())
    if match is None:
        return None
    quantity = float(match.group(1))
    scale, period = match.group(2), match.group(3)
    if quantity <= 0 or (scale and period):
        return None
    if period:
        name = {"h": "1 Hour", "m": "1 Month", "d": "1 Day"}[period[0]]
        return name, 1 / quantity
    if scale:
        tokens = quantity * (1_000 if scale == "k" else 1_000_000)
        return "1M tokens", 1_000_000 / tokens
    return None


# ---------------------------------------------------------------------------- meters


@dataclass(frozen=True, slots=True)
class Parsed:
    """A recognised API row: its catalogue family, match keys and unit."""

    family: str
    keys: tuple[tuple[str, str], ...]  # (catalogue field, value), e.g. (("sku", "GlobalStandard"), ...)
    unit: str


def parse_item(item: Mapping[str, Any]) -> Parsed | None:
    """What an API item prices, or None when aigov has no use for it."""
    meter = str(item.get("meterName", ""))
    folded = meter.casefold().strip()
    service = str(item.get("serviceName", ""))
    kind = str(item.get("type", ""))
    if service == "Azure Cognitive Search":
        sku = _SEARCH_METERS.get(folded)
        return Parsed(SEARCH_UNIT, (("sku", sku),), "1 Hour") if sku and kind == "Consumption" else None
    if kind == "Reservation":
        term = str(item.get("reservationTerm", ""))
        if term not in (MONTH_TERM, YEAR_TERM):
            return None
        text = f"{item.get('skuName', '')} {meter} {item.get('productName', '')}".casefold()
        if "provisioned" not in text:
            return None
        sku = provisioned_type(text)
        if not sku:
            return None
        # The API's retailPrice of a reservation is per PTU for the whole term.
        keys: tuple[tuple[str, str], ...] = (
            (("sku", sku),) if term == MONTH_TERM else (("sku", sku), ("term", term))
        )
        return Parsed(PTU_RESERVATION, keys, term)
    if kind != "Consumption":
        return None
    if folded in _PTU_METERS:
        return Parsed(PTU, (("sku", _PTU_METERS[folded]),), "1 Hour")
    if "hosting" in folded:
        words = set(_words(folded))
        sku = _standard_type(words, "data zone" in folded)
        if sku is None or words & {"dev", "developer"}:
            return None
        return Parsed(FT_HOSTING, (("sku", sku),), "1 Hour")
    if folded.endswith("tokens"):
        return _token_meter(folded)
    return None


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s_\-]+", text) if w]


def _standard_type(words: set[str], data_zone: bool, batch: bool = False) -> str | None:
    if data_zone or words & _DATAZONE:
        return "DataZoneBatch" if batch else "DataZoneStandard"
    if words & _GLOBAL:
        return "GlobalBatch" if batch else "GlobalStandard"
    if words & _REGIONAL:
        return None if batch else "Standard"
    return None


def _token_meter(folded: str) -> Parsed | None:
    words = _words(folded)
    if set(words) & _NOT_INFERENCE:
        return None
    data_zone = "data zone" in folded
    rest = [w for w in words if w not in _NOISE]
    if data_zone:
        rest = [w for w in rest if w not in {"data", "zone"}]
    batch = "batch" in rest
    sku = _standard_type(set(rest), data_zone, batch)
    if sku is None:
        return None
    direction = None
    if set(rest) & _CACHED:
        direction = "cached_input"
    elif set(rest) & _OUTPUT:
        direction = "output"
    elif set(rest) & _INPUT:
        direction = "input"
    skip = _INPUT | _OUTPUT | _CACHED | _GLOBAL | _REGIONAL | _DATAZONE | {"batch"}
    model_words = [w for w in rest if w not in skip]
    version = None
    if model_words and _MMDD.match(model_words[-1]):
        version = model_words.pop()
    if not model_words:
        return None
    model = "-".join(model_words)
    if direction is None:
        if "embedding" not in model:
            return None
        direction = "input"  # embeddings meter input tokens only, without saying so
    keys: list[tuple[str, str]] = [("model", model)]
    if version:
        keys.append(("version", version))
    keys += [("sku", sku), ("direction", direction)]
    return Parsed(TOKENS, tuple(keys), "1M tokens")


# ---------------------------------------------------------------------------- HTTP


def query_url(base: str, service: str, region: str, currency: str) -> str:
    expression = f"serviceName eq '{service}' and armRegionName eq '{region}'"
    query: dict[str, str] = {"$filter": expression}
    if currency != "USD":
        query["currencyCode"] = currency
    separator = "&" if "?" in base else "?"
    return base + separator + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)


# ---------------------------------------------------------------------------- the catalogue

_Keys = tuple[tuple[str, str], ...]  # (catalogue field, value) pairs, e.g. (("sku", "GlobalStandard"),)
_Slot = tuple[str, _Keys, str]  # (family, keys, region)


@dataclass(frozen=True, slots=True)
class RefreshResult:
    path: Path
    prices: int  # rows written from the API's answer (a row may cover several regions)
    recognised: int  # API items turned into prices
    skipped: int  # API items aigov has no use for
    kept_rows: int  # bundled rows kept because the answer had no price for them (USD only)
    currency: str = "USD"


def refresh(
    regions: Sequence[str],
    *,
    currency: str = "USD",
    output: Path | None = None,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    today: date | None = None,
    retry: RetryPolicy | None = None,
) -> RefreshResult:
    """Fetch prices for ``regions``, merge them over the bundled rows and write a catalogue."""
    # Imported here: `aigov prices show` imports this module and never loads the HTTP stack.
    from aigov.cost.retail_client import RetailClient  # noqa: PLC0415

    today = today or date.today()
    currency = currency.upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise CatalogError(f"--currency must be a three-letter ISO code, not {currency!r}")
    names = []
    for region in regions:
        name = normalise_region(region)
        if name is None or not re.fullmatch(r"[a-z0-9]+", name):
            raise CatalogError(f"not an Azure region name: {region!r}")
        names.append(name)
    if not names:
        raise CatalogError("give at least one --region")
    names = list(dict.fromkeys(names))
    base = api_url(base_url)

    found: dict[_Slot, _Found] = {}
    recognised = skipped = 0
    with RetailClient(timeout, retry) as client:
        for region in names:
            for service in SERVICES:
                url = query_url(base, service, region, currency)
                for item in client.items(url, f"{service} in {region}"):
                    parsed = parse_item(item)
                    unit = normalise_unit(str(item.get("unitOfMeasure", "")))
                    if parsed is not None and parsed.family == PTU_RESERVATION:
                        # A reservation's retailPrice is for the whole term whatever unitOfMeasure says
                        # (the API writes "1 Hour" on reservation rows too).
                        unit = (parsed.unit, 1.0)
                    price = item.get("retailPrice", item.get("unitPrice"))
                    tier = item.get("tierMinimumUnits", 0)
                    usable = (
                        parsed is not None
                        and unit is not None
                        and unit[0] == parsed.unit
                        and isinstance(price, int | float)
                        and not isinstance(price, bool)
                        and price >= 0
                        and (not isinstance(tier, int | float) or tier == 0)
                    )
                    if not usable or parsed is None or unit is None or not isinstance(price, int | float):
                        skipped += 1
                        continue
                    recognised += 1
                    key = (parsed.family, parsed.keys, region)
                    start = str(item.get("effectiveStartDate", ""))[:10]
                    value = round(float(price) * unit[1], 6)
                    if key not in found or start > found[key].effective:
                        found[key] = _Found(
                            start,
                            value,
                            str(item.get("meterName", "")),
                            str(item.get("productName", "")),
                            str(item.get("meterId", "")),
                        )

    # The bundled prices are USD: they are merged under a USD answer only, never mixed into another currency.
    bundled = yamlio.load(bundled_catalog_path(), CatalogError)[0] if currency == "USD" else None
    if bundled is not None:
        found = _dated_versions(found, bundled["prices"])
    rows = _rows(found)
    kept, kept_sources = _kept_rows(bundled, found, names, today) if bundled is not None else ([], {})
    retail_key = "retail" if "retail" not in kept_sources else "retail-api"
    for row in rows:
        row["source"] = retail_key
    document = {
        "catalog": {
            "name": "refreshed",
            "currency": currency,
            "default_region": names[0],
            "as_of": today.isoformat(),
        },
        "sources": {
            retail_key: {
                "kind": "retail-api",
                "title": "Azure Retail Prices API",
                "url": base if base.startswith(("http://", "https://")) else API_URL,
                "retrieved": today.isoformat(),
            },
            # Rows kept from the bundled catalogue cite the bundled sources they came from.
            **kept_sources,
        },
        "prices": rows + kept,
    }
    if bundled is not None and bundled.get("unpriced"):
        unpriced = _kept_unpriced(bundled["unpriced"], bundled["prices"], found)
        if unpriced:
            document["unpriced"] = unpriced
    target = output or default_output(today, currency)
    _write(target, document)
    load_catalog(target)  # the file must be one the scans can read
    return RefreshResult(target, len(rows), recognised, skipped, len(kept), currency)


@dataclass(frozen=True)
class _Found:
    """The newest recognised Retail Prices API item for one (family, keys, region)."""

    effective: str  # effectiveStartDate, YYYY-MM-DD
    unit_price: float
    meter: str
    product: str
    meter_id: str


def _row_keys(raw: Mapping[str, Any]) -> _Keys:
    """A catalogue row's match keys in the order :func:`parse_item` gives them."""
    fields: tuple[str, ...] = ("sku",)
    if raw["family"] == TOKENS:
        fields = ("model", "version", "sku", "direction")
    elif raw["family"] == VM:
        fields = ("size",)
    elif raw["family"] == PTU_RESERVATION and raw.get("term", MONTH_TERM) != MONTH_TERM:
        fields = ("sku", "term")
    return tuple((f, str(raw[f])) for f in fields if raw.get(f) is not None)


def _folded(keys: _Keys) -> _Keys:
    return tuple((f, v.casefold()) for f, v in keys)


def _dated_versions(
    found: Mapping[_Slot, _Found], bundled: Sequence[Mapping[str, Any]]
) -> dict[_Slot, _Found]:
    """API keys with the bundled catalogue's version names where they mean the same version.

    Meter names write a model version as month and day (``1120``); the bundled
    rows write ``2024-11-20``. Under the bundled name a refreshed price
    replaces the bundled one instead of sitting beside it, unused (a lookup
    tries the dated version first).
    """
    dated: dict[tuple[str, str, str, str], str] = {}
    for raw in bundled:
        version = raw.get("version")
        if raw["family"] == TOKENS and isinstance(version, str) and len(version) == 10:
            short = version[5:7] + version[8:10]
            dated[(raw["model"].casefold(), raw["sku"].casefold(), raw["direction"], short)] = version
    out: dict[_Slot, _Found] = {}
    for (family, api_keys, region), item in found.items():
        keys, fields = api_keys, dict(api_keys)
        if family == TOKENS and "version" in fields:
            lookup = (
                fields["model"].casefold(),
                fields["sku"].casefold(),
                fields["direction"],
                fields["version"],
            )
            if lookup in dated:
                fields["version"] = dated[lookup]
                keys = tuple((f, fields[f]) for f, _ in api_keys)
        out.setdefault((family, keys, region), item)
    return out


def _kept_rows(
    bundled: Mapping[str, Any], found: Mapping[_Slot, _Found], refreshed: Sequence[str], today: date
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The bundled rows the API answer did not replace, each saying why it was kept, and their sources.

    A bundled price is replaced for exactly the (family, keys, region) the
    answer priced. The rest stays: in a refreshed region the answer had no
    price for it; elsewhere the region was not refreshed.
    """
    priced = {(family, _folded(keys), region) for family, keys, region in found}
    asked = ", ".join(refreshed)
    rows: list[dict[str, Any]] = []
    for raw in bundled["prices"]:
        family, keys = raw["family"], _folded(_row_keys(raw))
        lacking: list[str] = []
        outside: list[str] = []
        for region in raw["regions"]:
            if (family, keys, region) in priced:
                continue
            if region == ALL_REGIONS:
                refreshed_any = any((family, keys, r) in priced for r in refreshed)
                (outside if refreshed_any else lacking).append(region)
            else:
                (lacking if region in refreshed else outside).append(region)
        for regions, why in (
            (lacking, f"no Retail Prices API price for it in {asked} on {today.isoformat()}"),
            (outside, f"region not refreshed on {today.isoformat()}"),
        ):
            if regions:
                rows.append({**_plain(raw), "regions": regions, "kept": why})
    cited = {row["source"] for row in rows}
    sources = {key: _plain(value) for key, value in bundled["sources"].items() if key in cited}
    return rows, sources


def _kept_unpriced(
    entries: Sequence[Mapping[str, Any]], bundled: Sequence[Mapping[str, Any]], found: Mapping[_Slot, _Found]
) -> list[dict[str, Any]]:
    """The bundled ``unpriced`` declarations, less what the answer now prices.

    A family-wide declaration for a region where the answer prices some keys
    of the family becomes one declaration per bundled key it did not price.
    """
    priced = {(family, keys[0][1].casefold(), region) for family, keys, region in found if keys}
    out: list[dict[str, Any]] = []
    for entry in entries:
        family, key = entry["family"], entry.get("sku", entry.get("size"))
        if key is not None:
            regions = [r for r in entry["regions"] if (family, key.casefold(), r) not in priced]
            if regions:
                out.append({**_plain(entry), "regions": regions})
            continue
        whole = [r for r in entry["regions"] if not any(p[0] == family and p[2] == r for p in priced)]
        if whole:
            out.append({**_plain(entry), "regions": whole})
        field = "size" if family == VM else "sku"
        everywhere = {
            str(row[field]) for row in bundled if row["family"] == family and ALL_REGIONS in row["regions"]
        }
        names = sorted({str(row[field]) for row in bundled if row["family"] == family} - everywhere)
        for region in (r for r in entry["regions"] if r not in whole):
            for name in names:
                if (family, name.casefold(), region) not in priced:
                    out.append({**_plain(entry), field: name, "regions": [region]})
    return out


def _rows(found: Mapping[_Slot, _Found]) -> list[dict[str, Any]]:
    """Catalogue rows, one per family, keys, price and meter, listing every region at that price."""
    grouped: dict[tuple[str, _Keys, _Found], list[str]] = {}
    for (family, keys, region), item in sorted(found.items(), key=lambda kv: kv[0]):
        grouped.setdefault((family, keys, item), []).append(region)
    rows = []
    seen: set[tuple[str, _Keys, str]] = set()
    for (family, keys, item), listed in grouped.items():
        # Two meters for the same key and region (e.g. ft hosting of several models) keep the first.
        regions = [r for r in listed if (family, keys, r) not in seen]
        if not regions:
            continue
        seen.update((family, keys, r) for r in regions)
        unit = {PTU_RESERVATION: dict(keys).get("term", MONTH_TERM), TOKENS: "1M tokens"}.get(
            family, "1 Hour"
        )
        row: dict[str, Any] = {"family": family, "meter": item.meter, **dict(keys)}
        if item.product:
            row["product"] = item.product
        if item.meter_id:
            row["meter_id"] = item.meter_id
        row.update(
            regions=regions,
            unit=unit,
            unit_price=item.unit_price,
            source="retail",
            effective=item.effective if re.fullmatch(r"\d{4}-\d{2}-\d{2}", item.effective) else "unknown",
        )
        rows.append(row)
    return rows


def _plain(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in mapping.items()}


def _write(target: Path, document: Mapping[str, Any]) -> None:
    text = (
        "# aigov price catalogue refreshed from the Azure Retail Prices API. Written by\n"
        "# `aigov prices refresh`, the API's prices merged over the bundled ones (rows with `kept`\n"
        "# are bundled prices the answer did not replace). Scans use it when given --prices FILE.\n"
        + yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=200)
    )
    directory = target.parent if str(target.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        raise CatalogError(f"cannot write: {exc.strerror or exc}", file=str(target)) from None
