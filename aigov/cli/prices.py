"""``aigov prices``: refresh the price catalogue from the Azure Retail Prices API, and show prices.

``refresh`` writes a dated catalogue to the cache directory (``$AIGOV_CACHE_DIR``,
default ``~/.cache/aigov``), the API's prices merged over the bundled ones; a
scan or estimate uses it when given ``--prices FILE`` (or ``pricing.catalog``)
and names it in every report. ``show MODEL`` prints what the catalogue in use
knows about a model (or any SKU, tier or VM size).
"""

from __future__ import annotations

from pathlib import Path

import click

from aigov.cli.common import guarded
from aigov.config import find_config, load_config
from aigov.cost.catalog import load_catalog
from aigov.cost.refresh import API_URL_ENV, DEFAULT_TIMEOUT, preferred_catalog_path, refresh
from aigov.cost.regions import region_problem
from aigov.errors import AigovError


@click.group()
def prices() -> None:
    """Refresh and inspect the price catalogue."""


@prices.command("refresh")
@click.option("--region", "regions", multiple=True, required=True, help="ARM region to fetch (repeatable).")
@click.option("--currency", default="USD", show_default=True, help="ISO currency code, e.g. EUR.")
@click.option(
    "--output", type=click.Path(dir_okay=False), help="Catalogue file (default: the cache directory)."
)
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@click.option(
    "--timeout", type=float, default=DEFAULT_TIMEOUT, show_default=True, help="Seconds per request."
)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=4,
    show_default=True,
    help="Retries of a request answered 429 or 5xx or cut off (Retry-After honoured up to 60 s).",
)
@click.option("--api-url", hidden=True, envvar=API_URL_ENV, help="Retail Prices API base URL (tests).")
@guarded
def refresh_command(
    regions: tuple[str, ...],
    currency: str,
    output: str | None,
    force: bool,
    timeout: float,
    retries: int,
    api_url: str | None,
) -> int:
    """Fetch Azure OpenAI and AI Search prices for each --region and write a dated catalogue."""
    for region in regions:
        if (problem := region_problem(region)) is not None:
            raise AigovError(f"--region {problem}")
    target = Path(output) if output else None
    if target is not None and target.exists() and not force:
        raise AigovError("exists; give --force to overwrite it", file=str(target))
    # Imported here: the HTTP stack loads only for this command.
    from aigov.cost.retail_client import RetryPolicy  # noqa: PLC0415

    result = refresh(
        regions,
        currency=currency,
        output=target,
        base_url=api_url,
        timeout=timeout,
        retry=RetryPolicy(attempts=retries + 1),
    )
    kept = (
        f"{result.kept_rows} bundled rows kept (no API price for them, or a region not refreshed)"
        if result.currency == "USD"
        else "no bundled rows merged (they are USD); what the API did not price is unknown"
    )
    click.echo(
        f"wrote {result.path}: {result.prices} prices from {result.recognised} API rows "
        f"({result.skipped} rows not used); {kept}"
    )
    click.echo(
        f"scans use it when asked: aigov scan --prices {result.path} ... (or pricing.catalog in aigov.yaml)"
    )
    return 0


@prices.command("show")
@click.argument("name")
@click.option(
    "--prices",
    "--catalog",
    "catalog_path",
    type=click.Path(),
    metavar="FILE",
    help="Price catalogue to read; default: the bundled one.",
)
@click.option("--config", "config_path", type=click.Path(), metavar="FILE", help="aigov.yaml.")
@guarded
def show(name: str, catalog_path: str | None, config_path: str | None) -> int:
    """Every price of NAME (a model such as gpt-4o, a deployment type, a search tier or a VM size)."""
    config = load_config(Path(config_path) if config_path else find_config(Path.cwd()))
    catalog = load_catalog(Path(catalog_path) if catalog_path else config.catalog_path)
    wanted = name.casefold()
    rows = sorted(
        (family, keys, region, row)
        for family, keys, region, row in catalog.entries()
        if wanted in {k for k in keys if k is not None}
    )
    info = catalog.info
    click.echo(f"price catalogue: {info.label} ({info.currency})")
    newest = preferred_catalog_path()
    if newest is not None and info.path is None:
        click.echo(f"(the newest refreshed catalogue, {newest}, is used only when given: --prices {newest})")
    if not rows:
        raise AigovError(f"no price for {name!r} in this catalogue")
    for family, keys, region, row in rows:
        described = " ".join(k for k in keys if k is not None)
        flag = " (uncertain)" if row.uncertain else ""
        click.echo(
            f"{family:<22} {described:<48} {region:<16} {row.unit_price:>10.4f} {info.currency}/{row.unit}"
            f"  {row.effective.isoformat() if row.effective else 'undated'}{flag}  {row.source}"
        )
    return 0
