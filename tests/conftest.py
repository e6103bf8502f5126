"""Shared pytest setup: ``--update-golden`` and ``golden``, an isolated price cache, the browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

GoldenCheck = Callable[[str, str], None]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden output files under fixtures/ instead of comparing against them",
    )


@pytest.fixture(scope="session")
def chromium() -> Iterator[BrowserContext]:
    """The session's headless Chromium (one for every browser test: Playwright runs one sync driver)."""
    from tests.browser import launch  # noqa: PLC0415  (Playwright is imported by the browser tests only)

    yield from launch()


@pytest.fixture(autouse=True)
def isolated_price_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scans prefer a refreshed price catalogue in the user's cache; tests must see only the bundled one."""
    monkeypatch.setenv("AIGOV_CACHE_DIR", str(tmp_path_factory.mktemp("aigov-cache")))


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> GoldenCheck:
    """Compare text with ``fixtures/<relative path>``, or rewrite that file under ``--update-golden``."""
    update = bool(request.config.getoption("--update-golden"))

    def check(relative_path: str, actual: str) -> None:
        path = FIXTURES / relative_path
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8", newline="\n")
            return
        if not path.exists():
            pytest.fail(f"{path} is missing; run pytest --update-golden to create it, then review it")
        expected = path.read_text(encoding="utf-8")
        # Plain equality gives pytest's line diff on failure.
        assert actual == expected, f"{relative_path} differs; if the change is intended run --update-golden"

    return check
