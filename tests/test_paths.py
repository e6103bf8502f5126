"""Where bundled data lives, and which files a scan trusts as bundled."""

from __future__ import annotations

from pathlib import Path

from aigov.cost.catalog import bundled_catalog_path
from aigov.paths import bundled_policies_dir, is_bundled


def test_bundled_rules_and_prices_are_bundled() -> None:
    assert is_bundled(bundled_catalog_path())
    assert is_bundled(next(bundled_policies_dir().rglob("AIGOV-SKU-001.yaml")))


def test_a_copy_elsewhere_is_not_bundled(tmp_path: Path) -> None:
    copy = tmp_path / "prices.yaml"
    copy.write_bytes(bundled_catalog_path().read_bytes())
    assert not is_bundled(copy)
    assert not is_bundled(tmp_path / "missing.yaml")
