"""``aigov.yaml``: subscriptions, PoC approvals, the workload tag, pricing, budgets and per-rule overrides.

Validated by ``aigov/policy/config.schema.json`` (the one validator of its
shape); every error is one line with the file, the line and the JSON path.
Unknown top-level keys are errors, so a typo never silently disables a
setting. YAML dates (``2026-09-01``) may arrive as dates or strings; both are
accepted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from aigov.budgets import Budget, parse_budgets
from aigov.cost.catalog import Catalog
from aigov.cost.model import NO_TERMS, PricingTerms
from aigov.cost.modelfacts import (
    DEFAULT_STALE_AFTER_DAYS,
    Equivalents,
    ModelFacts,
    equivalents_from,
    load_equivalents,
    load_lifecycle,
)
from aigov.cost.reservations import MONTH, Reservation
from aigov.cost.usage import UsageEntry, parse_entries
from aigov.entries import entry_kind
from aigov.errors import ConfigError
from aigov.model import Context, PocApproval, Severity, Subscription
from aigov.policy import yamlio
from aigov.policy.rule import RuleOverride
from aigov.policy.yamlio import ErrorFactory
from aigov.waivers import Waiver, parse_waivers

CONFIG_NAMES: Final = ("aigov.yaml", ".aigov.yaml")
CONFIG_SCHEMA: Final = "config.schema.json"
DEFAULT_WORKLOAD_TAG: Final = "workload"
DEFAULT_COST_CENTER_TAG: Final = "cost-center"

LIVE_LOOKBACK_DAYS: Final = 30  # the daily metrics a live scan reads (aigov.live.metrics.MIN_LOOKBACK_DAYS)


@dataclass(frozen=True, slots=True)
class AnomalySettings:
    """``live.anomalies``: how the nightly scan judges a deployment's daily series and what changed.

    A series is judged when it has at least ``baseline_min_days`` days before
    the ``recent_days`` judged; the baseline is the last ``baseline_max_days``
    of them. The recent mean is anomalous when its robust score, (mean -
    median) / max(1.4826 x MAD, 5% of the median, 1), is at least
    ``threshold`` and the mean is at least ``min_ratio`` times the median.
    """

    enabled: bool = True
    baseline_min_days: int = 14
    baseline_max_days: int = 28
    recent_days: int = 1
    threshold: float = 5.0
    min_ratio: float = 2.0
    new_deployment_usd: float = 500.0  # a new deployment costing at least this per month is an anomaly


@dataclass(frozen=True, slots=True)
class Config:
    """The parsed configuration; ``Config()`` is the default when there is no file."""

    subscriptions: dict[str, Subscription] = field(default_factory=dict)  # keyed by lower-case id
    poc_approvals: tuple[PocApproval, ...] = ()
    workload_tag: str = DEFAULT_WORKLOAD_TAG
    cost_center_tag: str = DEFAULT_COST_CENTER_TAG  # showback: the tag that names who pays
    rule_overrides: dict[str, RuleOverride] = field(default_factory=dict)
    default_region: str | None = None
    catalog_path: Path | None = None  # resolved against the config file's directory
    waivers: tuple[Waiver, ...] = ()  # findings accepted on purpose, see aigov/waivers.py
    budgets: tuple[Budget, ...] = ()  # monthly spend limits, see aigov/budgets.py
    usage: tuple[UsageEntry, ...] = ()  # the `usage:` section, see aigov/cost/usage.py
    pricing_terms: PricingTerms = NO_TERMS  # negotiated discounts and owned PTU reservations
    # `live.environment_tag`: the subscription tag that names its environment
    live_environment_tag: str = "environment"
    # `models:`: a team's retirement table (None: the bundled one), its staleness limit, equivalents
    lifecycle_path: Path | None = None
    lifecycle_stale_after_days: int = DEFAULT_STALE_AFTER_DAYS
    equivalents: Equivalents | None = None  # None: the bundled list
    anomalies: AnomalySettings = field(default_factory=AnomalySettings)  # `live.anomalies`
    file: Path | None = None

    def model_facts(self, catalog: Catalog) -> ModelFacts:
        """The retirement table and equivalents this configuration names, with ``catalog``'s prices."""
        return ModelFacts(
            load_lifecycle(self.lifecycle_path),
            self.equivalents if self.equivalents is not None else load_equivalents(),
            catalog,
        )

    def context(
        self,
        now: datetime,
        usage: Mapping[str, Mapping[str, Any]] | None = None,
        models: ModelFacts | None = None,
    ) -> Context:
        """The engine context for a run at ``now`` (``usage`` from a live scan, by resource key)."""
        return Context(
            now=now,
            subscriptions=self.subscriptions,
            poc_approvals=self.poc_approvals,
            workload_tag=self.workload_tag,
            usage=usage or {},
            models=models,
        )


def find_config(cwd: Path) -> Path | None:
    """``aigov.yaml`` (or ``.aigov.yaml``) in ``cwd``, if there is one.

    One that cannot be read (a dangling link, a FIFO) is a ConfigError, not
    "no configuration": the defaults would silently drop its rules and waivers.
    """
    for name in CONFIG_NAMES:
        candidate = cwd / name
        if os.path.lexists(candidate) and entry_kind(candidate, str(candidate), ConfigError) == "file":
            return candidate
    return None


def load_config(path: Path | None) -> Config:
    """Read and validate ``path``; ``None`` gives the default configuration."""
    if path is None:
        return Config()
    data, root = yamlio.load(path, ConfigError)
    if data is None:
        return Config(file=path)
    file = str(path)
    yamlio.validate(CONFIG_SCHEMA, data, root, file, ConfigError)
    return _build(data, root, path)


def parse_date(text: str, file: str, where: str, error: ErrorFactory = ConfigError) -> date:
    """A schema-checked ``YYYY-MM-DD`` string as a date (the schema cannot reject 2026-02-30)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise error(f"{text!r} is not a valid date", file=file, where=where) from None


def poc_approvals(
    items: list[Mapping[str, Any]],
    root: yamlio.Root,
    file: str,
    base: list[str | int],
    error: ErrorFactory = ConfigError,
) -> tuple[PocApproval, ...]:
    """Schema-valid approval entries as values; ``base`` is their list's JSON path, for errors."""
    out = []
    for i, item in enumerate(items):

        def at(key: str, i: int = i) -> str:
            return yamlio.where(root, [*base, i, key])

        approved_on = parse_date(item["approved_on"], file, at("approved_on"), error)
        expires_on = (
            parse_date(item["expires_on"], file, at("expires_on"), error) if "expires_on" in item else None
        )
        if expires_on is not None and expires_on < approved_on:
            raise error("expires_on is before approved_on", file=file, where=at("expires_on"))
        out.append(PocApproval(item["workload"], approved_on, item.get("reference"), expires_on))
    return tuple(out)


def _build(data: Mapping[str, Any], root: yamlio.Root, path: Path) -> Config:
    file = str(path)
    subscriptions = {
        sub_id.lower(): Subscription(
            id=sub_id,
            name=spec.get("name"),
            environment=spec.get("environment"),
            tags=dict(spec.get("tags", {})),
        )
        for sub_id, spec in data.get("subscriptions", {}).items()
    }
    approvals = poc_approvals(data.get("approvals", {}).get("poc", []), root, file, ["approvals", "poc"])
    overrides = {
        rule_id: RuleOverride(
            parameters=dict(spec.get("parameters", {})),
            severity=Severity(spec["severity"]) if "severity" in spec else None,
            enabled=spec.get("enabled", True),
            replaces_bundled=spec.get("replaces_bundled", False),
            file=file,
            line=yamlio.line_of(root, ["rules", rule_id]),
            parameter_lines={
                name: line
                for name in spec.get("parameters", {})
                if (line := yamlio.line_of(root, ["rules", rule_id, "parameters", name])) is not None
            },
        )
        for rule_id, spec in data.get("rules", {}).items()
    }
    pricing = data.get("pricing", {})
    _check_regions(pricing, root, file)
    catalog = pricing.get("catalog")
    models = data.get("models", {})
    return Config(
        subscriptions=subscriptions,
        poc_approvals=approvals,
        workload_tag=data.get("workload_tag", DEFAULT_WORKLOAD_TAG),
        cost_center_tag=data.get("cost_center_tag", DEFAULT_COST_CENTER_TAG),
        rule_overrides=overrides,
        default_region=pricing.get("default_region"),
        catalog_path=(path.parent / catalog) if catalog is not None else None,
        waivers=parse_waivers(data.get("waivers", []), root, file),
        budgets=parse_budgets(data.get("budgets", []), root, file),
        usage=parse_entries(data, root, file) if "usage" in data else (),
        pricing_terms=_pricing_terms(pricing),
        live_environment_tag=data.get("live", {}).get("environment_tag", "environment"),
        lifecycle_path=(path.parent / models["lifecycle"]) if "lifecycle" in models else None,
        lifecycle_stale_after_days=models.get("stale_after_days", DEFAULT_STALE_AFTER_DAYS),
        equivalents=equivalents_from(models["equivalents"], file) if "equivalents" in models else None,
        anomalies=_anomalies(data.get("live", {}).get("anomalies", {}), root, file),
        file=path,
    )


def _check_regions(pricing: Mapping[str, Any], root: yamlio.Root, file: str) -> None:
    """A region name in ``pricing`` that no Azure cloud knows is an error: it would change every figure."""
    from aigov.cost.regions import region_problem  # noqa: PLC0415  (region data read only when named)

    default = pricing.get("default_region")
    named: list[tuple[list[str | int], Any]] = [(["pricing", "default_region"], default)]
    named += [
        (["pricing", "reservations", i, "region"], r.get("region"))
        for i, r in enumerate(pricing.get("reservations", []))
    ]
    for path, value in named:
        if isinstance(value, str) and (problem := region_problem(value)) is not None:
            raise ConfigError(problem, file=file, where=yamlio.where(root, path))


def _reservation(raw: Mapping[str, Any]) -> Reservation:
    """A schema-valid ``pricing.reservations`` entry; regions and scopes compared casefolded."""
    scope = raw.get("scope", {})
    return Reservation(
        raw["deployment_type"],
        float(raw["ptu"]),
        "".join(raw["region"].split()).casefold() if "region" in raw else None,
        subscription=scope["subscription"].casefold() if "subscription" in scope else None,
        resource_group=scope["resource_group"].casefold() if "resource_group" in scope else None,
        name=raw.get("name"),
        term=raw.get("term", MONTH),
    )


def _anomalies(spec: Mapping[str, Any], root: yamlio.Root, file: str) -> AnomalySettings:
    """Schema-valid ``live.anomalies`` as settings; a window that cannot hold a baseline is an error."""
    default = AnomalySettings()
    settings = AnomalySettings(
        enabled=spec.get("enabled", True),
        baseline_min_days=spec.get("baseline_min_days", default.baseline_min_days),
        baseline_max_days=spec.get("baseline_max_days", default.baseline_max_days),
        recent_days=spec.get("recent_days", default.recent_days),
        threshold=float(spec.get("threshold", default.threshold)),
        min_ratio=float(spec.get("min_ratio", default.min_ratio)),
        new_deployment_usd=float(spec.get("new_deployment_usd", default.new_deployment_usd)),
    )
    if settings.baseline_max_days < settings.baseline_min_days:
        where = yamlio.where(root, ["live", "anomalies", "baseline_max_days"])
        raise ConfigError(
            f"baseline_max_days ({settings.baseline_max_days}) is less than baseline_min_days "
            f"({settings.baseline_min_days})",
            file=file,
            where=where,
        )
    if settings.baseline_max_days + settings.recent_days > LIVE_LOOKBACK_DAYS:
        key = "baseline_max_days" if "baseline_max_days" in spec else "recent_days"
        raise ConfigError(
            f"baseline_max_days + recent_days ({settings.baseline_max_days + settings.recent_days}) exceed "
            f"the {LIVE_LOOKBACK_DAYS} days of daily metrics a live scan reads",
            file=file,
            where=yamlio.where(root, ["live", "anomalies", key]),
        )
    return settings


def _pricing_terms(pricing: Mapping[str, Any]) -> PricingTerms:
    """Schema-valid ``pricing`` discounts and reservations as :class:`PricingTerms`."""
    return PricingTerms(
        discount_percent=float(pricing.get("discount_percent", 0)),
        discounts={k: float(v) for k, v in pricing.get("discounts", {}).items()},
        reservations=tuple(_reservation(r) for r in pricing.get("reservations", [])),
    )
