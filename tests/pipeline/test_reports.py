"""Reports of a scan with waivers, inline suppressions, a baseline and a cost comparison: golden files."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aigov import __version__
from aigov.config import load_config
from aigov.model import ScanResult
from aigov.report import JsonReporter, ReportOptions, TableReporter
from aigov.report.json_report import load_schema
from aigov.scan import ScanOptions, run_scan
from tests.pipeline.conftest import NOW, PIPELINE

GoldenCheck = Callable[[str, str], None]


@pytest.fixture
def pipeline_result(monkeypatch: pytest.MonkeyPatch) -> ScanResult:
    """The example plan located in its .tf files, with waivers, a baseline and a base report."""
    monkeypatch.chdir(PIPELINE)
    options = ScanOptions(repo_root=Path("repo"), baseline=Path("base.json"), compare_to=Path("base.json"))
    return run_scan(["plan.json"], load_config(Path("waivers.aigov.yaml")), now=NOW, options=options)


def _closed(schema: Any) -> Any:
    """The schema with every described object closed, so no undocumented field passes."""
    schema = copy.deepcopy(schema)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node:
                node.setdefault("additionalProperties", False)
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(schema)
    return schema


def test_table_golden(pipeline_result: ScanResult, golden: GoldenCheck) -> None:
    golden("pipeline/report.table.txt", TableReporter().render(pipeline_result, ReportOptions()))


def test_json_golden_and_closed_schema(pipeline_result: ScanResult, golden: GoldenCheck) -> None:
    text = JsonReporter().render(pipeline_result, ReportOptions())
    document = json.loads(text)
    errors = [
        f"{e.json_path}: {e.message}"
        for e in jsonschema.Draft202012Validator(_closed(load_schema())).iter_errors(document)
    ]
    assert errors == []
    golden("pipeline/report.json", text.replace(f'"version": "{__version__}"', '"version": "<version>"'))


def test_the_scenario_has_every_state(pipeline_result: ScanResult) -> None:
    findings = pipeline_result.findings
    kinds = {(f.suppression.kind, f.suppression.expired) for f in findings if f.suppression is not None}
    assert kinds == {("waiver", False), ("waiver", True), ("inline", False)}
    assert {str(f.baseline) for f in findings} == {"new", "existing"}
    change = pipeline_result.cost_change
    assert change is not None
    assert change.added
    assert change.removed
