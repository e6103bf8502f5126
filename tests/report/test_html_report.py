"""The HTML report's page structure: self-contained, escaped, and each section present when it applies."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext

from aigov.model import Finding, ScanResult
from aigov.report.html import CSP, HtmlReporter
from tests.browser import open_report


@dataclass(frozen=True, slots=True)
class JudgedFinding(Finding):
    """A finding that carries the daily series it was judged on, as anomaly findings do."""

    series: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Series:
    values: tuple[float, ...]
    baseline: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class SeriesFinding(Finding):
    series: Series | None = None


def test_the_page_loads_nothing_and_forbids_loading(mixed: ScanResult) -> None:
    page = HtmlReporter().render(mixed)
    assert page.startswith("<!DOCTYPE html>")
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert "default-src 'none'" in CSP
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page)
    assert not re.search(r"\b(src|href)=", page)
    assert "url(" not in page
    assert "@import" not in page


def test_every_input_string_is_escaped(hostile: ScanResult) -> None:
    page = HtmlReporter().render(hostile)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&amp;amp;" in page  # an entity in the input is shown as typed, not decoded


def test_a_report_without_showback_or_history_still_has_its_headline(mixed: ScanResult) -> None:
    page = HtmlReporter().render(mixed)
    assert mixed.showback is None
    assert 'data-figure="at-risk"' in page
    assert f'data-value="{mixed.monthly_cost_at_risk_usd:.2f}"' in page
    assert 'id="showback"' not in page
    assert 'id="trend"' not in page
    assert 'id="anomalies"' not in page


def test_findings_that_carry_a_series_are_drawn_as_small_charts(
    mixed: ScanResult, chromium: BrowserContext, tmp_path: Path
) -> None:
    first, second, *rest = mixed.findings
    steady = tuple((f"2026-06-{day:02d}", 1000.0 + day % 3) for day in range(1, 15))
    daily = (*steady, ("2026-06-15", 10000.0))
    spiking = JudgedFinding(
        **{f.name: getattr(first, f.name) for f in dataclasses.fields(Finding)}, series=daily
    )
    spiking = dataclasses.replace(spiking, category="anomaly", message="requests 10x their 14-day median")
    with_baseline = SeriesFinding(
        **{f.name: getattr(second, f.name) for f in dataclasses.fields(Finding)},
        series=Series(values=(5.0, 6.0, 5.0, 40.0), baseline=(5.0, 6.0, 5.0)),
    )
    result = dataclasses.replace(mixed, findings=(spiking, with_baseline, *rest))
    report = tmp_path / "anomalies.html"
    report.write_text(HtmlReporter().render(result), encoding="utf-8")
    page = open_report(chromium, report, "anomaly-report")
    assert page.console_errors == []
    assert page.blocked == []
    sparks = [c for c in page.charts if c["id"].startswith("series-")]
    assert len(sparks) == 2
    assert all(c["width"] > 0 and c["marks"] >= 2 for c in sparks)
    assert "requests 10x their 14-day median" in page.text
    # The baseline is the median of the values it was judged against, drawn dashed.
    assert "baseline 5" in report.read_text(encoding="utf-8")
