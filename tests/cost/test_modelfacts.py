"""The bundled retirement table and equivalence list: valid, sourced, and read as the rules need them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from aigov.cost.modelfacts import (
    EQUIVALENTS_SCHEMA,
    LIFECYCLE_SCHEMA,
    bundled_equivalents_path,
    bundled_lifecycle_path,
    load_equivalents,
    load_lifecycle,
)
from aigov.policy import yamlio


@pytest.mark.parametrize(
    ("path", "schema"),
    [(bundled_lifecycle_path(), LIFECYCLE_SCHEMA), (bundled_equivalents_path(), EQUIVALENTS_SCHEMA)],
)
def test_bundled_files_are_valid(path: object, schema: str) -> None:
    # Scans trust the bundled files without validating them; this test is what makes that safe.
    data, root = yamlio.load(path, ValueError)  # type: ignore[arg-type]
    yamlio.validate(schema, data, root, str(path), ValueError)


def test_every_row_names_a_page_a_user_can_open_and_when_it_was_read() -> None:
    table = load_lifecycle()
    assert len(table.rows) > 30
    for row in table.rows:
        assert row.url.startswith("https://learn.microsoft.com/azure/")
        assert row.read <= date.today()


def test_a_row_for_the_deployment_type_wins_over_the_row_for_every_type() -> None:
    table = load_lifecycle()
    standard = table.lookup("gpt-4o-mini", "2024-07-18", "Standard")
    other = table.lookup("GPT-4o-mini", "2024-07-18", "GlobalStandard")
    assert standard is not None
    assert other is not None
    assert (standard.retires_on, other.retires_on) == (date(2026, 3, 31), date(2026, 10, 1))
    assert standard.replacement == other.replacement == "gpt-4.1-mini"
    assert table.lookup("gpt-4o-mini", "2024-07-18", "GlobalStandard", fine_tuned=True) is not None
    assert table.lookup("gpt-5.1", "2099-01-01", "GlobalStandard") is None


def test_the_stale_warning_counts_days_from_the_newest_read_date() -> None:
    table = load_lifecycle()
    assert table.stale_warning(datetime(2027, 3, 2, tzinfo=UTC)) is None  # exactly 90 days
    warning = table.stale_warning(datetime(2027, 3, 3, tzinfo=UTC))
    assert warning is not None
    assert "was read 91 days ago (2026-12-02, more than 90)" in warning
    assert table.stale_warning(datetime(2027, 1, 1, tzinfo=UTC), max_age_days=10) is not None


def test_the_bundled_equivalents_are_microsofts_named_replacements() -> None:
    equivalents = load_equivalents()
    table = load_lifecycle()
    for entry in equivalents.entries:
        named = {r.replacement for r in table.rows if r.model == entry.model and r.replacement}
        assert set(entry.to) <= named, entry
