"""Open an HTML report in headless Chromium (Debian's package, driven by Playwright) and read it back.

Every request the page makes is routed here: ``file:`` URLs (the report
itself) are served, anything else is recorded and aborted, so a report that
tried to reach the network fails its test. Console errors and page errors are
recorded too. A screenshot of each page is kept in ``tests/artifacts/``
(git-ignored) and its path printed. A missing browser fails the test: the
browser tests are part of the suite, never skipped.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@dataclass
class OpenedPage:
    """What the browser saw of one report."""

    figures: dict[str, float]  # data-figure name -> data-value
    charts: list[dict[str, Any]]  # per <svg class="chart">: id, width, height, drawn marks with nonzero size
    groups: dict[str, list[dict[str, Any]]]  # per showback table: label, spend, violation, savings
    text: str
    load_seconds: float
    screenshot: Path
    console_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def launch() -> Iterator[BrowserContext]:
    """One headless Chromium with a fresh profile (the ``chromium`` fixture of ``tests/conftest.py``)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the HTML report's browser tests need Debian's chromium package "
            "(apt-get install -y chromium; .ci/run installs it)"
        )
    profile = tempfile.mkdtemp(prefix="aigov-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=list(FLAGS),
                viewport={"width": 1280, "height": 900},
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def open_report(context: BrowserContext, report: Path, name: str) -> OpenedPage:
    """Load ``report`` from disk, wait until it is drawn, and read its figures, charts and tables."""
    page = context.new_page()
    errors: list[str] = []
    blocked: list[str] = []

    def route(handle: Route) -> None:
        url = handle.request.url
        if url.startswith("file:"):
            handle.continue_()
        else:
            blocked.append(url)
            handle.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type in {"error", "warning"} else None,
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "requestfailed",
        lambda request: blocked.append(request.url) if not request.url.startswith("file:") else None,
    )
    started = time.perf_counter()
    page.goto(report.resolve().as_uri(), wait_until="load")
    load_seconds = time.perf_counter() - started
    figures = page.eval_on_selector_all(
        "[data-figure]", "els => els.map(e => [e.dataset.figure, Number(e.dataset.value)])"
    )
    charts = page.eval_on_selector_all(
        "svg.chart",
        """svgs => svgs.map(s => {
            const box = s.getBoundingClientRect();
            const marks = [...s.querySelectorAll('rect, polyline, circle')].filter(m => {
                const b = m.getBBox(); return b.width > 0 || b.height > 0;
            });
            return {id: s.id, width: box.width, height: box.height, marks: marks.length,
                    bars: s.querySelectorAll('g.bar').length};
        })""",
    )
    groups = page.eval_on_selector_all(
        "table.groups",
        """tables => tables.map(t => [t.dataset.dimension,
            [...t.querySelectorAll('tr[data-group]')].map(r => ({
                label: r.dataset.group, spend: Number(r.dataset.spend),
                violation: Number(r.dataset.violation), savings: Number(r.dataset.savings)}))])""",
    )
    text = page.inner_text("body")
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot: {screenshot}")
    page.close()
    return OpenedPage(
        figures=dict(figures),
        charts=charts,
        groups=dict(groups),
        text=text,
        load_seconds=load_seconds,
        screenshot=screenshot,
        console_errors=errors,
        blocked=blocked,
    )


def basis_visible(context: BrowserContext, report: Path, media: str) -> bool:
    """Whether the first figure's basis (inside a closed ``<details>``) is visible for ``media``."""
    page = context.new_page()
    page.route(
        "**/*",
        lambda handle: handle.continue_() if handle.request.url.startswith("file:") else handle.abort(),
    )
    page.emulate_media(media=media)  # type: ignore[arg-type]
    page.goto(report.resolve().as_uri(), wait_until="load")
    visible = page.locator("p.basis").first.is_visible()
    page.close()
    return visible
