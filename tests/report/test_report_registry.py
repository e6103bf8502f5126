"""The reporter registry the CLI reads for its ``--format`` choices."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest

from aigov.model import REFRESHED_CATALOG, CatalogInfo, ScanResult
from aigov.report import (
    REPORTERS,
    AzureDevopsReporter,
    CsvReporter,
    GithubReporter,
    HtmlReporter,
    JsonReporter,
    JunitReporter,
    MarkdownReporter,
    Reporter,
    ReportOptions,
    SarifReporter,
    TableReporter,
)


def test_registry_lists_the_built_in_formats_by_name() -> None:
    assert {
        "table": TableReporter,
        "json": JsonReporter,
        "sarif": SarifReporter,
        "junit": JunitReporter,
        "markdown": MarkdownReporter,
        "github": GithubReporter,
        "azure-devops": AzureDevopsReporter,
        "csv": CsvReporter,
        "html": HtmlReporter,
    } == REPORTERS
    assert next(iter(REPORTERS)) == "table"  # the default stays first
    for name, reporter in REPORTERS.items():
        assert reporter.name == name
        assert reporter.description


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_every_reporter_renders_text_ending_in_newline(name: str, mixed: ScanResult) -> None:
    reporter: Reporter = REPORTERS[name]()
    output = reporter.render(mixed, ReportOptions())
    assert output.endswith("\n")
    assert reporter.render(mixed) == output  # the default options are the CLI's defaults


def test_report_options_are_frozen() -> None:
    options = ReportOptions()
    with pytest.raises(AttributeError):
        options.width = 80  # type: ignore[misc]


@pytest.mark.parametrize("name", ["table", "markdown", "sarif", "junit"])
def test_every_price_line_names_its_source_url_and_two_dates(name: str, mixed: ScanResult) -> None:
    text = " ".join(REPORTERS[name]().render(mixed).split())
    prices = {p for f in mixed.findings for p in f.cost.prices}
    assert prices
    for price in prices:
        assert f"{price.meter}: " in text
        assert price.url in text
    assert text.count("effective 2026-09-30, read 2026-09-30") >= len(prices)


def test_json_prices_carry_source_url_and_two_dates(mixed: ScanResult) -> None:
    report = json.loads(JsonReporter().render(mixed))
    prices = [report["prices"][ref] for f in report["findings"] for ref in f["cost"]["prices"]]
    assert prices
    for price in prices:
        assert price["url"].startswith("https://")
        assert (price["effective"], price["read"]) == ("2026-09-30", "2026-09-30")


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_every_format_names_a_refreshed_catalogue_by_file_and_read_date(name: str, mixed: ScanResult) -> None:
    path = "/home/ci/.cache/aigov/prices-2026-12-01.yaml"
    catalog = CatalogInfo(path, date(2026, 12, 1), "USD", "eastus", kind=REFRESHED_CATALOG)
    text = REPORTERS[name]().render(dataclasses.replace(mixed, catalog=catalog))
    if name == "json":  # the JSON report names it field by field
        block = json.loads(text)["catalog"]
        assert (block["kind"], block["path"], block["as_of"]) == ("refreshed", path, "2026-12-01")
        assert json.loads(REPORTERS[name]().render(mixed))["catalog"]["kind"] == "bundled"
        return
    flat = "".join(text.split())  # the table wraps long paths
    assert "".join(f"refreshed catalogue {path}, read 2026-12-01".split()) in flat
    bundled = REPORTERS[name]().render(mixed)
    assert "bundledcatalogueasof2026-09-30" in "".join(bundled.split())
