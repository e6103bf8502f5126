"""A registry of classes by name whose modules are imported on first use."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def import_object(where: str) -> Any:
    """The object ``module.path:Name`` names, importing its module."""
    module, _, name = where.partition(":")
    return getattr(importlib.import_module(module), name)


class LazyClasses(Mapping[str, T], Generic[T]):
    """``name -> class``, where each class is given as ``"module.path:ClassName"``.

    Listing the names imports nothing, so a command line can offer every
    choice while loading only the one it runs.
    """

    def __init__(self, where: Mapping[str, str]) -> None:
        self._where = dict(where)

    def __getitem__(self, name: str) -> T:
        found: T = import_object(self._where[name])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)
