"""What aigov knows about models beyond their prices: when a version retires, and what it may move to.

Two tables of data, both YAML validated by a schema in ``aigov/policy/``:

* the **retirement table** (``lifecycle.yaml``, bundled; ``lifecycle.table`` in
  aigov.yaml for a team's own copy): one row per model version (and
  deployment type where Microsoft dates them apart) with its retirement date,
  the replacement Microsoft names, the URL of the page and the day it was read;
* the **equivalence list** (``equivalents.yaml``, bundled; ``models.equivalents``
  in aigov.yaml replaces it): models a deployment could move to without a
  change of class.

:class:`ModelFacts` puts them beside the price catalogue so the rule context
(``context: lifecycle.*`` and ``context: equivalent.*``, see
:mod:`aigov.policy.model_sections`) can answer per deployment. Nothing here
reads a clock: ages and days left are computed against the ``now`` a caller
passes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

from aigov.cost.catalog import Catalog, load_catalog
from aigov.errors import ConfigError
from aigov.paths import package_data
from aigov.policy import yamlio

LIFECYCLE_SCHEMA: Final = "lifecycle.schema.json"
EQUIVALENTS_SCHEMA: Final = "equivalents.schema.json"
DEFAULT_STALE_AFTER_DAYS: Final = 90


def bundled_lifecycle_path() -> Path:
    return package_data("cost", "lifecycle.yaml")


def bundled_equivalents_path() -> Path:
    return package_data("cost", "equivalents.yaml")


@dataclass(frozen=True, slots=True)
class Retirement:
    """One row of the retirement table."""

    model: str
    version: str
    retires_on: date
    url: str
    read: date
    deployment_types: frozenset[str] = frozenset()  # casefolded; empty: every type
    fine_tuned: bool = False
    replacement: str | None = None

    def applies_to(self, sku: str) -> bool:
        return not self.deployment_types or sku.casefold() in self.deployment_types


@dataclass(frozen=True, slots=True)
class LifecycleTable:
    """The retirement table, indexed by (model, version, fine-tuned), rows for named types first."""

    rows: tuple[Retirement, ...]
    name: str  # "bundled" or the file a team gave
    title: str | None = None
    _index: Mapping[tuple[str, str, bool], tuple[Retirement, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @staticmethod
    def of(rows: Sequence[Retirement], name: str, title: str | None = None) -> LifecycleTable:
        index: dict[tuple[str, str, bool], list[Retirement]] = {}
        for row in rows:
            index.setdefault((row.model.casefold(), row.version.casefold(), row.fine_tuned), []).append(row)
        # A row for the deployment's own type wins over a row for every type.
        ordered = {k: tuple(sorted(v, key=lambda r: not r.deployment_types)) for k, v in index.items()}
        return LifecycleTable(tuple(rows), name, title, ordered)

    def candidates(self, model: str, version: str, *, fine_tuned: bool = False) -> tuple[Retirement, ...]:
        """Every row for the model version, rows naming deployment types first."""
        return self._index.get((model.casefold(), version.casefold(), fine_tuned), ())

    def lookup(self, model: str, version: str, sku: str, *, fine_tuned: bool = False) -> Retirement | None:
        """The row that dates ``model`` ``version`` on deployment type ``sku``, if the table has one."""
        for row in self.candidates(model, version, fine_tuned=fine_tuned):
            if row.applies_to(sku):
                return row
        return None

    @property
    def read(self) -> date | None:
        """The newest read date of the table's rows."""
        return max((r.read for r in self.rows), default=None)

    def stale_warning(self, now: datetime, max_age_days: int = DEFAULT_STALE_AFTER_DAYS) -> str | None:
        """A warning when the newest row was read more than ``max_age_days`` before ``now``."""
        read = self.read
        if read is None:
            return None
        age = (now.date() - read).days
        if age <= max_age_days:
            return None
        return (
            f"model retirement table {self.name!r} was read {age} days ago ({read.isoformat()}, more than "
            f"{max_age_days}); retirement dates may have moved: re-read them from the URL each row names"
        )


@dataclass(frozen=True, slots=True)
class Equivalence:
    """Models ``model`` may move to without a change of class, and where the list says so."""

    model: str
    to: tuple[str, ...]
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Equivalents:
    """The equivalence list by casefolded model name."""

    entries: tuple[Equivalence, ...]
    name: str  # "bundled" or the configuration file

    def of(self, model: str) -> Equivalence | None:
        folded = model.casefold()
        return next((e for e in self.entries if e.model.casefold() == folded), None)


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """The retirement table, the equivalence list and the prices to compare equivalents with."""

    lifecycle: LifecycleTable
    equivalents: Equivalents
    catalog: Catalog


# ---------------------------------------------------------------------------- reading


def _date(text: str, root: yamlio.Root, path: tuple[str | int, ...], shown: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        where = yamlio.where(root, path)
        raise ConfigError(f"{text!r} is not a valid date", file=shown, where=where) from None


def load_lifecycle(path: Path | None = None) -> LifecycleTable:
    """Read and validate a retirement table; ``None`` reads the bundled one (once per process)."""
    return _bundled_lifecycle() if path is None else _load_lifecycle(path)


@cache
def _bundled_lifecycle() -> LifecycleTable:
    return _load_lifecycle(None)


def _load_lifecycle(path: Path | None) -> LifecycleTable:
    file = path if path is not None else bundled_lifecycle_path()
    shown = str(file)
    data, root = yamlio.load(file, ConfigError)
    if path is not None:  # the bundled table is validated by the test suite, not on every scan
        yamlio.validate(LIFECYCLE_SCHEMA, data, root, shown, ConfigError)
    rows = []
    for i, raw in enumerate(data["rows"]):
        rows.append(
            Retirement(
                model=raw["model"],
                version=raw["version"],
                retires_on=_date(raw["retires_on"], root, ("rows", i, "retires_on"), shown),
                url=raw["url"],
                read=_date(raw["read"], root, ("rows", i, "read"), shown),
                deployment_types=frozenset(t.casefold() for t in raw.get("deployment_types", ())),
                fine_tuned=raw.get("fine_tuned", False),
                replacement=raw.get("replacement"),
            )
        )
    title = data.get("table", {}).get("title")
    return LifecycleTable.of(rows, "bundled" if path is None else shown, title)


def equivalents_from(raw: Sequence[Mapping[str, Any]], name: str) -> Equivalents:
    """Equivalents from validated entries (the bundled file's, or aigov.yaml's ``models.equivalents``)."""
    return Equivalents(
        tuple(Equivalence(e["model"], tuple(e["to"]), e.get("url")) for e in raw),
        name,
    )


def load_equivalents(path: Path | None = None) -> Equivalents:
    """Read and validate an equivalence list; ``None`` reads the bundled one (once per process)."""
    return _bundled_equivalents() if path is None else _load_equivalents(path)


@cache
def _bundled_equivalents() -> Equivalents:
    return _load_equivalents(None)


def _load_equivalents(path: Path | None) -> Equivalents:
    file = path if path is not None else bundled_equivalents_path()
    shown = str(file)
    data, root = yamlio.load(file, ConfigError)
    if path is not None:  # the bundled list is validated by the test suite, not on every scan
        yamlio.validate(EQUIVALENTS_SCHEMA, data, root, shown, ConfigError)
    return equivalents_from(data["equivalents"], "bundled" if path is None else shown)


@cache
def default_model_facts() -> ModelFacts:
    """The bundled retirement table, equivalence list and prices (rule tests run with these)."""
    return ModelFacts(load_lifecycle(), load_equivalents(), load_catalog())
