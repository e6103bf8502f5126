"""Azure region names: a name that is none is an input error, never a silent fallback price.

A region typo (``default_region: east-us``, ``--var location=westeu``) would
otherwise price every resource at the catalogue's default region, or leave it
unknown, and the report would look plausible. A real region the catalogue
has no price for is not an error: only names no Azure cloud knows.
"""

from __future__ import annotations

import difflib
from functools import cache
from typing import Final

from aigov.errors import CatalogError
from aigov.paths import package_data
from aigov.policy import yamlio
from aigov.readfile import read_regular_text

_LIMIT: Final = 1024 * 1024
_GROUPS: Final = ("physical", "logical", "sovereign")


@cache
def _document() -> dict[str, list[str]]:
    path = package_data("cost", "regions.yaml")
    text = read_regular_text(path, _LIMIT, CatalogError, encoding="utf-8")
    document, _ = yamlio.loads(text, str(path), CatalogError)
    return {group: list(document[group]) for group in _GROUPS}


@cache
def azure_regions() -> frozenset[str]:
    """Every region name of ``regions.yaml`` (package data the test suite checks)."""
    return frozenset(name for names in _document().values() for name in names)


@cache
def _suggestions() -> tuple[str, ...]:
    """Names worth suggesting for a typo: regions a resource is deployed to, not stage or canary ones."""
    document = _document()
    return tuple(
        name
        for name in (*document["physical"], *document["sovereign"])
        if not name.endswith(("stg", "stage", "euap"))
    )


def region_name(value: str) -> str:
    """``East US`` → ``eastus``: the ARM name a display name or any casing stands for."""
    return "".join(value.split()).casefold()


def region_problem(value: str) -> str | None:
    """Why ``value`` is not an Azure region, naming the nearest names; None when it is one."""
    if region_name(value) in azure_regions():
        return None
    nearest = nearest_regions(value)
    hint = f"; nearest: {', '.join(nearest)}" if nearest else "; see `az account list-locations`"
    return f"{value!r} is not an Azure region{hint}"


def nearest_regions(value: str, limit: int = 3) -> list[str]:
    """The region names ``value`` most likely meant: itself without punctuation, then names it begins, then
    the closest spellings (difflib)."""
    squashed = "".join(c for c in value.casefold() if c.isalnum())
    names = _suggestions()
    found = [squashed] if squashed in names else []
    if len(squashed) >= 3:
        found += sorted((n for n in names if n.startswith(squashed) and n != squashed), key=len)
    found += difflib.get_close_matches(squashed, names, n=limit, cutoff=0.6)
    return list(dict.fromkeys(found))[:limit]
