"""Random and truncated Terraform input ends in a result or a SourceError: never a hang or a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigov.errors import SourceError
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.terraform_hcl import TerraformHclSource

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "terraform_hcl"
SEEDS = [p.read_text() for p in sorted(FIXTURES.glob("*/main.tf"))]
ALPHABET = st.sampled_from(
    [
        *'{}[]()"=:?.,*/%+-!<>&|$~\n #',
        *("${", "%{", "<<EOT\n", "for", "in", "if", "var", "local", "each"),
        *"abcxyz019_",
    ]
)

settings_ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _scan(directory: Path, text: str) -> None:
    (directory / "main.tf").write_text(text)
    message = ""
    try:
        TerraformHclSource().load(SourceInput.open(str(directory)), SourceOptions())
    except SourceError as exc:
        message = str(exc)
    assert "\n" not in message


@settings_
@given(seed=st.sampled_from(SEEDS), cut=st.floats(0, 1))
def test_truncated_fixtures(tmp_path_factory: pytest.TempPathFactory, seed: str, cut: float) -> None:
    directory = tmp_path_factory.mktemp("trunc")
    _scan(directory, seed[: int(len(seed) * cut)])


@settings_
@given(seed=st.sampled_from(SEEDS), position=st.floats(0, 1), junk=st.lists(ALPHABET, max_size=8))
def test_mutated_fixtures(
    tmp_path_factory: pytest.TempPathFactory, seed: str, position: float, junk: list[str]
) -> None:
    directory = tmp_path_factory.mktemp("mut")
    at = int(len(seed) * position)
    _scan(directory, seed[:at] + "".join(junk) + seed[at:])


@settings_
@given(text=st.lists(ALPHABET, max_size=60).map("".join))
def test_random_token_soup(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    directory = tmp_path_factory.mktemp("soup")
    _scan(directory, 'resource "azurerm_search_service" "s" {\n  name = ' + text + '\n  sku = "basic"\n}\n')
