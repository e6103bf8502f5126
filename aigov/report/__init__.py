"""Output formats: one module per format, listed in :data:`REPORTERS`.

The CLI builds its ``--format`` choices from this registry; adding a format
means adding its module and one entry here (no import-time self-registration).
"""

from __future__ import annotations

from typing import Final

from aigov.report.azure_devops import AzureDevopsReporter
from aigov.report.base import DEFAULT_OPTIONS, Reporter, ReportOptions
from aigov.report.github import GithubReporter
from aigov.report.json_report import JsonReporter
from aigov.report.junit import JunitReporter
from aigov.report.markdown import MarkdownReporter
from aigov.report.sarif import SarifReporter
from aigov.report.table import TableReporter

REPORTERS: Final[dict[str, type[Reporter]]] = {
    TableReporter.name: TableReporter,
    JsonReporter.name: JsonReporter,
    SarifReporter.name: SarifReporter,
    JunitReporter.name: JunitReporter,
    MarkdownReporter.name: MarkdownReporter,
    GithubReporter.name: GithubReporter,
    AzureDevopsReporter.name: AzureDevopsReporter,
}
"""Every built-in reporter by its ``--format`` name; the first is the default on a terminal."""

FORMAT_BY_EXTENSION: Final[dict[str, str]] = {
    ".json": JsonReporter.name,
    ".sarif": SarifReporter.name,
    ".xml": JunitReporter.name,
    ".md": MarkdownReporter.name,
    ".markdown": MarkdownReporter.name,
}
"""The format an ``--output`` file's extension implies (lower case); other extensions name none."""

__all__ = [
    "DEFAULT_OPTIONS",
    "FORMAT_BY_EXTENSION",
    "REPORTERS",
    "AzureDevopsReporter",
    "GithubReporter",
    "JsonReporter",
    "JunitReporter",
    "MarkdownReporter",
    "ReportOptions",
    "Reporter",
    "SarifReporter",
    "TableReporter",
]
