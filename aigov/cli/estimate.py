"""``aigov estimate``: the monthly cost of every AI resource in the inputs, before or after deployment.

Reads any input a scan reads (through the source registry), prices hourly
meters from the catalogue and token meters from usage (``--usage`` and the
``usage:`` section of ``aigov.yaml``), checks ``aigov.yaml``'s budgets, and
prints a table, JSON or a FOCUS-aligned CSV; ``-o FILE`` takes its format
from the extension as ``scan`` does. ``--compare-to`` takes what ``scan
--compare-to`` takes (a JSON report, or a second input such as the base
branch's plan) or a saved JSON estimate, and adds the change per resource and
in total. Exit 0, or 2 with one line on bad input.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Final

import click
from rich import box
from rich.console import Console
from rich.table import Table

from aigov.budgets import check_budgets
from aigov.cli.common import check_outputs, guarded, write_output
from aigov.cli.targets import report_targets
from aigov.config import Config, find_config, load_config
from aigov.cost.catalog import Catalog
from aigov.cost.estimate import Comparison, Estimate, base_costs, compare, run_estimate, to_json
from aigov.cost.focus import render_focus_csv
from aigov.cost.usage import UsageBook
from aigov.jsontext import dumps_outline
from aigov.paths import default_bicep_cache
from aigov.report.base import budget_text
from aigov.scan import STDIN, ScanOptions, given_files, load_prices, load_usage_book

FORMATS: Final = ("table", "json", "focus-csv")

FORMAT_BY_EXTENSION: Final = {".json": "json", ".csv": "focus-csv", ".txt": "table"}
"""The format an ``-o`` file's extension implies, as ``scan``'s ``-o`` does with its formats."""


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "--usage", "usage_path", type=click.Path(), metavar="FILE", help="Usage assumptions (usage.yaml)."
)
@click.option(
    "--config", "config_path", type=click.Path(), metavar="FILE", help="aigov.yaml (default: ./aigov.yaml)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format. Default: table, or the --output file's extension (.json, .csv, .txt).",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write the estimate here (- = stdout); without --format, the format follows the extension.",
)
@click.option(
    "--compare-to",
    "compare_to",
    type=click.Path(),
    metavar="FILE",
    help="The base: a saved `aigov estimate` or `aigov scan` JSON, or a second input such as the base "
    "branch's plan. Shows the change per resource and in total.",
)
@click.option(
    "--prices",
    "--catalog",
    "catalog_path",
    type=click.Path(),
    metavar="FILE",
    help="Price catalogue to use (e.g. one written by aigov prices refresh); default: the bundled one.",
)
@click.option("--subscription", help="Subscription id to assume for every resource of the input.")
@guarded
def estimate(
    inputs: tuple[str, ...],
    usage_path: str | None,
    config_path: str | None,
    fmt: str | None,
    output: str | None,
    compare_to: str | None,
    catalog_path: str | None,
    subscription: str | None,
) -> int:
    """Monthly cost of every AI resource in INPUT (plan, template or any input aigov reads)."""
    ((fmt, target),) = report_targets((fmt,) if fmt else (), (output,) if output else (), FORMAT_BY_EXTENSION)
    config = load_config(Path(config_path) if config_path else find_config(Path.cwd()))
    options = ScanOptions(
        catalog_path=Path(catalog_path) if catalog_path else None,
        usage_path=Path(usage_path) if usage_path else None,
    )
    if target != STDIN:
        check_outputs(
            [target], [*inputs, *given_files(config, options), *([compare_to] if compare_to else [])]
        )
    catalog = load_prices(config, options)
    book = load_usage_book(config, options)

    def price(paths: Sequence[str]) -> Estimate:
        return _priced(paths, config, catalog, book, subscription)

    result = price(inputs)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if config.budgets:
        statuses = check_budgets(config.budgets, result.cost.resources, config.workload_tag)
        result = dataclasses.replace(result, budgets=statuses)
    comparison = None
    if compare_to is not None:
        base = base_costs(Path(compare_to), lambda path: price([path]))
        comparison = compare(result, base, compare_to)
    if fmt == "json":
        text = dumps_outline(to_json(result, comparison)) + "\n"
    elif fmt == "focus-csv":
        text = render_focus_csv(result)
    else:
        text = render_table(result, comparison)
    if target == STDIN:
        click.echo(text, nl=False)
    else:
        write_output(target, text)
    if comparison is not None and (fmt, target) != ("table", STDIN):
        click.echo(f"monthly cost change against {compare_to}: {_signed(comparison.total_delta)}", err=True)
    return 0


def _priced(
    paths: Sequence[str], config: Config, catalog: Catalog, book: UsageBook, subscription: str | None
) -> Estimate:
    return run_estimate(
        paths,
        catalog,
        now=datetime.now(UTC),
        default_region=config.default_region,
        usage=book,
        terms=config.pricing_terms,
        subscription=subscription,
        bicep_cache=default_bicep_cache(),
    )


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:,.2f}"


def _signed(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{'+' if value >= 0 else '-'}${abs(value):,.2f}"


def render_table(result: Estimate, comparison: Comparison | None = None, width: int = 120) -> str:
    """The estimate for people: one row per resource, each figure's basis, the total and the change."""
    buffer = StringIO()
    console = Console(
        file=buffer, width=width, color_system=None, no_color=True, highlight=False, markup=False, emoji=False
    )
    if not result.rows:
        console.print("No billed AI resources in the input.")
    else:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        table.add_column("#", justify="right")
        table.add_column("resource")
        table.add_column("type")
        table.add_column("monthly", justify="right")
        table.add_column("confidence")
        table.add_column("per 1k requests", justify="right")
        for i, row in enumerate(result.rows, 1):
            per_k = row.cost_per_1000_requests
            table.add_row(
                str(i),
                row.address,
                row.type.rsplit("/", 1)[-1],
                _money(row.monthly_usd),
                row.confidence.value,
                "" if per_k is None else f"${per_k:,.4f}",
            )
        console.print(table)
        console.print("Cost basis:")
        for i, row in enumerate(result.rows, 1):
            console.print(f"[{i}] {row.address}: {row.basis}")
    console.print()
    total = f"Total: {_money(result.total_monthly_usd)} per month ({len(result.rows)} resources"
    if result.unknown:
        total += f"; {result.unknown} with unknown cost not included: give their usage with --usage"
    total += ")"
    console.print(total)
    if result.discounted:
        console.print(
            f"List price total: {_money(result.total_list_monthly_usd)} (before negotiated discounts)"
        )
    info = result.catalog
    console.print(f"Price catalogue: {info.label} ({info.currency})")
    if comparison is not None:
        console.print()
        console.print(
            f"Change against {comparison.base}: {_signed(comparison.total_delta)} per month "
            f"({_money(comparison.before_total)} → {_money(comparison.after_total)})"
        )
        for delta in comparison.deltas:
            console.print(
                f"  {delta.change:<8} {delta.address}: {_money(delta.before_usd)} → "
                f"{_money(delta.after_usd)} ({_signed(delta.delta_usd)})"
            )
    if result.budgets:
        console.print()
        console.print("Budgets:")
        for status in result.budgets:
            console.print(f"  {budget_text(status)}")
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    return "\n".join(lines) + "\n"


__all__ = ["estimate", "render_table"]
