"""Output formats: one module per format, listed in :data:`REPORTERS`.

The CLI builds its ``--format`` choices from this registry; adding a format
means adding its module and one entry here (no import-time self-registration).
"""

from __future__ import annotations

from typing import Final

from aigov.report.base import DEFAULT_OPTIONS, Reporter, ReportOptions
from aigov.report.json_report import JsonReporter
from aigov.report.table import TableReporter

REPORTERS: Final[dict[str, type[Reporter]]] = {
    TableReporter.name: TableReporter,
    JsonReporter.name: JsonReporter,
}
"""Every built-in reporter by its ``--format`` name; the first is the default on a terminal."""

__all__ = ["DEFAULT_OPTIONS", "REPORTERS", "JsonReporter", "ReportOptions", "Reporter", "TableReporter"]
