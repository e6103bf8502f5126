"""The Azure region list: every region the catalogue prices is one, and typos are told apart from regions."""

from __future__ import annotations

import pytest

from aigov.cost import load_catalog
from aigov.cost.regions import azure_regions, nearest_regions, region_problem


def test_every_catalogue_region_is_an_azure_region() -> None:
    catalog = load_catalog()
    regions = {region for _, _, region, _ in catalog.entries() if region not in ("*", "global")}
    assert len(regions) > 5
    assert regions <= azure_regions(), sorted(regions - azure_regions())
    assert catalog.info.default_region in azure_regions()


@pytest.mark.parametrize(
    "name", ["eastus", "East US", "SwedenCentral", "global", "usgovvirginia", "chinanorth3"]
)
def test_real_names_and_display_names_are_regions(name: str) -> None:
    assert region_problem(name) is None


@pytest.mark.parametrize(
    ("typo", "first"),
    [
        ("east-us", "eastus"),
        ("westeu", "westeurope"),
        ("uk-south", "uksouth"),
        ("swedencentrall", "swedencentral"),
    ],
)
def test_a_typo_names_what_was_meant_first(typo: str, first: str) -> None:
    assert nearest_regions(typo)[0] == first
    problem = region_problem(typo)
    assert problem is not None
    assert problem.startswith(f"{typo!r} is not an Azure region; nearest: {first}")


def test_stage_and_canary_regions_are_accepted_but_never_suggested() -> None:
    assert region_problem("eastus2euap") is None
    assert all(not n.endswith(("stg", "stage", "euap")) for n in nearest_regions("eastus2e"))
