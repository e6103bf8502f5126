"""A price catalogue that is not UTF-8 or holds an impossible date is one error line with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigov.cost.catalog import bundled_catalog_path, load_catalog
from aigov.errors import CatalogError

BUNDLED = bundled_catalog_path().read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_an_impossible_catalogue_date_is_placed(tmp_path: Path) -> None:
    lines = BUNDLED.splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.strip().startswith("as_of:"))
    lines[line - 1] = lines[line - 1].split("as_of:")[0] + "as_of: 2026-02-30"
    with pytest.raises(CatalogError) as caught:
        load_catalog(_write(tmp_path, "\n".join(lines) + "\n"))
    assert caught.value.where == f"line {line}: $.catalog.as_of"
    assert caught.value.message == "'2026-02-30' is not a valid date"


def test_an_impossible_price_row_date_is_placed(tmp_path: Path) -> None:
    row = next(n for n, text in enumerate(BUNDLED.splitlines(), 1) if text.lstrip().startswith("- {family"))
    lines = BUNDLED.splitlines()
    lines[row - 1] = lines[row - 1].replace("effective: 2024-11-01", "effective: 2024-11-31")
    with pytest.raises(CatalogError) as caught:
        load_catalog(_write(tmp_path, "\n".join(lines) + "\n"))
    assert caught.value.where is not None
    assert caught.value.where.startswith(f"line {row}: $.prices[0].effective")
    assert caught.value.message == "'2024-11-31' is not a valid date"


def test_a_catalogue_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, BUNDLED.encode("utf-8") + b"# caf\xe9\n")
    with pytest.raises(CatalogError, match=r"prices\.yaml: not UTF-8 text \(byte \d+\)$"):
        load_catalog(path)
