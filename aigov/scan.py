"""A scan: the I/O around the pure engine (read inputs, load rules, config and prices, evaluate)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aigov.config import Config
from aigov.cost.catalog import Catalog, load_catalog
from aigov.cost.model import CostModel
from aigov.model import Context, Finding, Resource, ScanResult
from aigov.paths import bundled_policies_dir
from aigov.policy.engine import evaluate
from aigov.policy.loader import RuleSet, load_rules
from aigov.sources import detect
from aigov.sources.base import SourceInput, SourceOptions, display_name

STDIN = "-"


@dataclass(frozen=True, slots=True)
class ScanOptions:
    subscription: str | None = None  # overrides the subscription the input states
    policy_dirs: Sequence[Path] = field(default_factory=tuple)  # added after the bundled rules
    catalog_path: Path | None = None  # overrides the configured / bundled price catalogue


def load_rule_set(config: Config, options: ScanOptions) -> RuleSet:
    return load_rules([bundled_policies_dir(), *options.policy_dirs], config.rule_overrides)


def load_prices(config: Config, options: ScanOptions) -> Catalog:
    return load_catalog(options.catalog_path or config.catalog_path)


def build_context(config: Config, now: datetime) -> Context:
    return Context(
        now=now,
        subscriptions=config.subscriptions,
        poc_approvals=config.poc_approvals,
        workload_tag=config.workload_tag,
    )


def run_scan(
    inputs: Sequence[str],
    config: Config,
    *,
    now: datetime,
    options: ScanOptions | None = None,
) -> ScanResult:
    """Scan ``inputs`` (paths, ``-`` for stdin) and return the result. Raises AigovError on bad input."""
    options = options or ScanOptions()
    catalog = load_prices(config, options)
    costs = CostModel(catalog, default_region=config.default_region)
    rules = load_rule_set(config, options)
    context = build_context(config, now)
    source_options = SourceOptions(subscription=options.subscription)

    resources: list[Resource] = []
    findings: list[Finding] = []
    for path in inputs:
        source_input = SourceInput.open(path)
        inventory = detect(source_input)().load(source_input, source_options)
        resources.extend(r for r in inventory if r.action.evaluated)
        findings.extend(evaluate(inventory, rules, context, costs))

    warnings: list[str] = []
    stale = catalog.stale_warning(now)
    if stale:
        warnings.append(stale)
    return ScanResult(
        inputs=tuple(display_name(p) for p in inputs),
        resources=tuple(resources),
        findings=tuple(findings),
        catalog=catalog.info,
        generated_at=now,
        warnings=tuple(warnings),
    )
