"""The shared answers of the pipeline formats: repository paths and suppression wording."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.model import Suppression
from aigov.report.standing import repo_path, suppression_text


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("plan.json", "plan.json"),
        ("./infra/plan.json", "infra/plan.json"),
        ("././infra//plan.json", "infra/plan.json"),
        (".\\infra\\plan.json", "infra/plan.json"),
        ("-", None),
        ("<stdin>", None),
        (None, None),
        ("", None),
    ],
)
def test_repo_path_normalises_what_the_command_line_gave(given: str | None, expected: str | None) -> None:
    assert repo_path(given, Path("/nowhere")) == expected


def test_absolute_paths_are_relative_under_the_checkout_only(tmp_path: Path) -> None:
    assert repo_path(str(tmp_path / "env" / "plan.json"), tmp_path) == "env/plan.json"
    outside = tmp_path.parent / "elsewhere.json"
    assert repo_path(str(outside), tmp_path / "checkout") == outside.as_posix()


@pytest.mark.parametrize(
    ("suppression", "expected"),
    [
        (
            Suppression("waiver", "known", "ops", date(2027, 1, 1), "aigov.yaml:3"),
            "waived (owner ops, expires 2027-01-01, aigov.yaml:3): known",
        ),
        (Suppression("inline", "demo", origin="main.tf:9"), "suppressed inline (main.tf:9): demo"),
        (Suppression("waiver", "bare"), "waived: bare"),
        (
            Suppression("waiver", "old", expires_on=date(2026, 1, 1), expired=True),
            "waiver expired on 2026-01-01, so this is a finding again: old",
        ),
    ],
)
def test_suppression_text(suppression: Suppression, expected: str) -> None:
    assert suppression_text(suppression) == expected


def test_an_unknown_subscription_names_the_option_that_gives_it() -> None:
    """A Bicep file states no subscription: the undetermined note says `--subscription` supplies it."""
    root = Path(__file__).resolve().parents[2]
    bicep = str(root / "fixtures" / "bicep" / "openai-rag" / "main.bicep")
    runner = CliRunner()
    without = runner.invoke(main, ["scan", bicep, "--format", "github"], catch_exceptions=False)
    assert "give the subscription with --subscription ID" in without.stdout
    given = runner.invoke(
        main,
        ["scan", bicep, "--format", "github", "--subscription", "9c4e1a7b-2f3d-4b8e-a1c6-5d7e9f0b3a28"],
        catch_exceptions=False,
    )
    assert given.stdout
    assert "--subscription ID" not in given.stdout
