"""A scan: the I/O around the pure engine (read inputs, load rules, config and prices, evaluate)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from aigov.baseline import BaselineError, PreviousReport, ReportFinding, load_report, mark_baseline
from aigov.budgets import BUDGET_RULE_ID, budget_findings, check_budgets
from aigov.collector import collector_paused
from aigov.config import Config
from aigov.cost.catalog import Catalog, load_catalog
from aigov.cost.model import CostModel
from aigov.cost.pricing import estimate_inventory
from aigov.cost.usage import UsageBook, UsageProvider, load_usage, unmatched_warning
from aigov.costdiff import compare
from aigov.model import BudgetStatus, Context, Finding, InputCost, Resource, ResourceCost, ScanResult
from aigov.paths import bundled_policies_dir
from aigov.policy.engine import evaluate
from aigov.policy.loader import RuleSet, discover, load_rules
from aigov.policy.selection import ALL_RULES, RuleSelection
from aigov.policy.unread import UNREAD_RULE_ID
from aigov.readfile import read_head
from aigov.showback import ShowbackInput, allocate, summarise
from aigov.sources import load_input
from aigov.sources.base import SourceOptions, display_name
from aigov.sources.tf_locate import enrich_plan_origins
from aigov.suppress import apply_suppressions
from aigov.waivers import check_rules

STDIN = "-"


@dataclass(frozen=True, slots=True)
class ScanOptions:
    subscription: str | None = None  # overrides the subscription the input states
    policy_dirs: Sequence[Path] = field(default_factory=tuple)  # added after the bundled rules
    use_bundled: bool = True  # False: --no-bundled, only the rules under policy_dirs run
    selection: RuleSelection = ALL_RULES  # --check / --skip-check
    catalog_path: Path | None = None  # overrides the configured / bundled price catalogue
    baseline: Path | None = None  # an earlier JSON report: its findings are `existing`, not failing
    compare_to: Path | None = None  # the base branch's JSON report, for the cost-at-risk delta
    repo_root: Path | None = None  # the input's repository: plan resources located, template reads confined
    usage_path: Path | None = None  # usage assumptions (usage.yaml); aigov.yaml's `usage:` follows it
    var_files: tuple[str, ...] = ()  # Terraform --var-file, in order
    variables: Mapping[str, str] = field(default_factory=dict)  # Terraform --var NAME=VALUE
    environment: Mapping[str, str] = field(default_factory=dict)  # TF_VAR_* from the environment
    parameters_file: str | None = None  # --parameters: ARM parameters file for an ARM template input
    bicep_cache: str | None = None  # Bicep's module cache root (the CLI gives ~/.bicep)


def load_rule_set(config: Config, options: ScanOptions) -> RuleSet:
    return load_rules(
        options.policy_dirs,
        config.rule_overrides,
        bundled=[bundled_policies_dir()],
        use_bundled=options.use_bundled,
        selection=options.selection,
    )


def catalog_file(config: Config, options: ScanOptions) -> Path | None:
    """The price catalogue in use: ``--prices``, else ``pricing.catalog``; None for the bundled one."""
    # A refreshed catalogue in the user's cache is never picked up by itself: a file appearing
    # there must not change a pull-request gate's figures. It is used when named.
    return options.catalog_path or config.catalog_path


def load_prices(config: Config, options: ScanOptions) -> Catalog:
    return load_catalog(catalog_file(config, options))


def given_files(config: Config, options: ScanOptions) -> list[str]:
    """Files a scan reads besides its inputs: configuration, rules, prices, usage, reports, variables."""
    named = [
        config.file,
        catalog_file(config, options),
        options.usage_path,
        options.baseline,
        options.compare_to,
        options.parameters_file,
        *options.var_files,
    ]
    return [str(p) for p in (*named, *discover(options.policy_dirs)) if p is not None]


def load_usage_book(config: Config, options: ScanOptions) -> UsageBook:
    """Usage assumptions: the --usage file's entries first, then aigov.yaml's `usage:` section."""
    from_file = load_usage(options.usage_path).entries if options.usage_path is not None else ()
    return UsageBook((*from_file, *config.usage))


def build_context(
    config: Config, now: datetime, catalog: Catalog | None = None, assumed: UsageProvider | None = None
) -> Context:
    return Context(
        now=now,
        subscriptions=config.subscriptions,
        poc_approvals=config.poc_approvals,
        workload_tag=config.workload_tag,
        models=config.model_facts(catalog) if catalog is not None else None,
        assumed=assumed,
    )


def lifecycle_warnings(context: Context, config: Config) -> list[str]:
    """A warning when the model retirement table in use was read too long before the scan's ``now``."""
    if context.models is None:
        return []
    stale = context.models.lifecycle.stale_warning(context.now, config.lifecycle_stale_after_days)
    return [stale] if stale else []


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
    book = load_usage_book(config, options)
    costs = CostModel(
        catalog,
        default_region=config.default_region,
        usage=book,
        terms=config.pricing_terms,
    )
    rules = load_rule_set(config, options)
    known_ids = [*rules.known_ids, UNREAD_RULE_ID, BUDGET_RULE_ID, *config.rule_overrides]
    check_rules(config.waivers, known_ids, _config_file(config))
    context = build_context(config, now, catalog, costs.usage)
    source_options = SourceOptions(
        subscription=options.subscription,
        var_files=options.var_files,
        variables=options.variables,
        environment=options.environment,
        parameters_file=options.parameters_file,
        repo_root=str(options.repo_root) if options.repo_root is not None else None,
        bicep_cache=options.bicep_cache,
    )

    resources: list[Resource] = []
    findings: list[Finding] = []
    priced: list[ResourceCost] = []
    showback_parts: list[ShowbackInput] = []
    source_warnings: list[str] = []
    read_files = given_files(config, options)
    used_entries: set[int] = set()  # usage entries that match a deployment of some input
    for path in inputs:
        source_input, inventory = load_input(path, source_options)
        used_entries |= book.matched(inventory)
        read_files.extend([path, *inventory.files] if path != STDIN else inventory.files)
        resources.extend(r for r in inventory if r.action.evaluated)
        # Findings, cost lines and showback rows hold no reference cycles; full collector passes
        # over the inventory's heap would cost a tenth of a large scan and free nothing.
        with collector_paused():
            findings.extend(evaluate(inventory, rules, context, costs))
            rows = estimate_inventory(inventory, costs, source_input.name)
            priced.extend(row.resource_cost() for row in rows)
            showback_parts.append(allocate(inventory, rows, context, config.cost_center_tag))
        source_warnings.extend(inventory.warnings)
    cost = InputCost(tuple(priced))
    budgets = budget_state(config, cost, options)
    findings.extend(budget_findings(config.budgets, budgets) if budgets else [])

    warnings: list[str] = []
    stale = catalog.stale_warning(now)
    if stale:
        warnings.append(stale)
    warnings.extend(lifecycle_warnings(context, config))
    warnings.extend(source_warnings)
    warnings.extend(unmatched_warning(entry) for entry in book.unmatched(used_entries))
    resources, findings = pipeline_state(inputs, resources, findings, config, now, options, warnings)
    with collector_paused():  # as over the evaluation: showback totals hold no reference cycles
        showback = summarise(showback_parts, findings, context, config.cost_center_tag)
    return ScanResult(
        inputs=tuple(display_name(p) for p in inputs),
        resources=tuple(resources),
        findings=tuple(findings),
        catalog=catalog.info,
        generated_at=now,
        warnings=tuple(warnings),
        cost_change=(
            compare(load_base(options.compare_to, config, now, options), findings, cost)
            if options.compare_to
            else None
        ),
        cost=cost,
        read_files=tuple(read_files),
        showback=showback,
        budgets=budgets,
    )


def budget_state(config: Config, cost: InputCost, options: ScanOptions) -> tuple[BudgetStatus, ...]:
    """aigov.yaml's budgets against the inputs' cost (none when --check or --skip-check leave them out)."""
    if not config.budgets or not options.selection.selects(BUDGET_RULE_ID):
        return ()
    return check_budgets(config.budgets, cost.resources, config.workload_tag)


def load_base(path: Path, config: Config, now: datetime, options: ScanOptions) -> PreviousReport:
    """``--compare-to``: an earlier aigov JSON report, or a second input such as the base branch's plan.

    A second input is scanned with the same configuration, rules, prices and usage as this one.
    """
    head = read_head(path, 4096, BaselineError)
    if b'"tool"' in head and b'"aigov"' in head:
        return load_report(path)
    if b'"aigov-estimate/' in head:
        raise BaselineError(
            "an aigov estimate has no findings to compare the cost at risk with; give the base's "
            "`aigov scan --format json` report or its input (the base branch's plan)",
            file=str(path),
        )
    base = run_scan([str(path)], config, now=now, options=replace(options, compare_to=None, baseline=None))
    return PreviousReport(
        file=str(path),
        findings=tuple(
            ReportFinding(f.fingerprint, f.rule_id, f.resource.address, f.cost.monthly_usd)
            for f in base.findings
        ),
        monthly_cost_at_risk_usd=base.monthly_cost_at_risk_usd,
        resource_costs={r.address: r.monthly_usd for r in base.cost.resources},
    )


def _config_file(config: Config) -> str | None:
    return str(config.file) if config.file is not None else None


def pipeline_state(
    inputs: Sequence[str],
    resources: list[Resource],
    findings: list[Finding],
    config: Config,
    now: datetime,
    options: ScanOptions,
    warnings: list[str],
) -> tuple[list[Resource], list[Finding]]:
    """After evaluation: plan files and lines (--repo-root), waivers and inline suppressions, the baseline.

    Appends what the reader should know (directives not honoured, plan
    resources not located) to ``warnings``. The engine's findings are only
    copied with these fields set, never re-evaluated.
    """
    if options.repo_root is not None:
        resources, findings, located = enrich_plan_origins(inputs, resources, findings, options.repo_root)
        warnings.extend(located)
    findings, ignored = apply_suppressions(findings, config.waivers, now.date())
    warnings.extend(ignored)
    if options.baseline is not None:
        findings = mark_baseline(findings, load_report(options.baseline).fingerprints)
    return resources, findings
