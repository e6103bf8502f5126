"""Cost tests never read or write the user's cache directory of refreshed catalogues."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("AIGOV_CACHE_DIR", str(cache))
    monkeypatch.delenv("AIGOV_PRICES_API_URL", raising=False)
    return cache
