"""Output formats: one module per format, listed in :data:`REPORTERS`.

The CLI builds its ``--format`` choices from this registry; adding a format
means adding its module and one entry here (no import-time self-registration).
A format's module is imported only when that format is rendered.
"""

from __future__ import annotations

from typing import Any, Final

from aigov.lazy import LazyClasses, import_object
from aigov.report.base import DEFAULT_OPTIONS, Reporter, ReportOptions

_CLASSES: Final = {
    "table": "aigov.report.table:TableReporter",
    "json": "aigov.report.json_report:JsonReporter",
    "sarif": "aigov.report.sarif:SarifReporter",
    "junit": "aigov.report.junit:JunitReporter",
    "markdown": "aigov.report.markdown:MarkdownReporter",
    "github": "aigov.report.github:GithubReporter",
    "azure-devops": "aigov.report.azure_devops:AzureDevopsReporter",
    "csv": "aigov.report.csv_report:CsvReporter",
    "html": "aigov.report.html:HtmlReporter",
}

REPORTERS: Final[LazyClasses[type[Reporter]]] = LazyClasses(_CLASSES)
"""Every built-in reporter by its ``--format`` name; the first is the default on a terminal."""

_BY_CLASS_NAME: Final = {where.partition(":")[2]: where for where in _CLASSES.values()}
FORMAT_BY_EXTENSION: Final[dict[str, str]] = {
    ".json": "json",
    ".sarif": "sarif",
    ".xml": "junit",
    ".md": "markdown",
    ".markdown": "markdown",
    ".csv": "csv",
    ".html": "html",
    ".htm": "html",
}
"""The format an ``--output`` file's extension implies (lower case); other extensions name none."""

__all__ = [
    "DEFAULT_OPTIONS",
    "FORMAT_BY_EXTENSION",
    "REPORTERS",
    "AzureDevopsReporter",
    "CsvReporter",
    "GithubReporter",
    "HtmlReporter",
    "JsonReporter",
    "JunitReporter",
    "MarkdownReporter",
    "ReportOptions",
    "Reporter",
    "SarifReporter",
    "TableReporter",
]


def __getattr__(name: str) -> Any:
    """The reporter classes, imported when first named (``from aigov.report import TableReporter``)."""
    if name in _BY_CLASS_NAME:
        return import_object(_BY_CLASS_NAME[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
