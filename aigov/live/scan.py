"""A live scan: discover, read deployments and usage, evaluate the rules, report what could not be read.

The I/O around the pure engine, like :mod:`aigov.scan` for files (whose rule,
price and context helpers it reuses):

1. subscriptions with their names and tags (one paged call);
2. AI resources across every target subscription or a management group (one
   paged Resource Graph query), and which targets Resource Graph read in full
   (:mod:`aigov.live.coverage`);
3. per Azure OpenAI / AI Services account, on a bounded thread pool: its
   deployments; per Azure ML workspace: its online endpoints' deployments and
   its serverless endpoints (:mod:`aigov.live.ml_endpoints`); per subscription
   holding AI resources: its non-compliant Azure Policy states;
4. the usage of every deployment from Azure Monitor's batch metrics API, up
   to 50 accounts of one subscription and region a call (:mod:`aigov.live.observe`);
5. the engine over the inventory, with usage in the context and the 30-day
   run-rate of observed tokens pricing pay-per-token deployments (over any
   usage assumption for the same deployment); Azure Policy's states as
   findings beside aigov's; the monthly cost of every billed resource, with
   the cost per 1,000 requests where requests were observed.

A call that still fails after the retries (403, 5xx, a timeout, a
``Retry-After`` beyond the cap, a page that leads elsewhere, repeats, never
ends or cannot be read) does not stop the scan: what it would have read is listed in
``ScanResult.not_scanned`` (exit code 3) and the rest completes. A
subscription whose every call was refused is listed once, as a whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError

from aigov.armtypes import ACCOUNT, DEPLOYMENT, WORKSPACE
from aigov.budgets import budget_findings
from aigov.collector import collector_paused
from aigov.config import Config
from aigov.cost.model import CostModel, PricingTerms, is_fine_tuned
from aigov.cost.pricing import estimate_inventory
from aigov.cost.reservations import reservation_resources, reservation_usage
from aigov.errors import AigovError
from aigov.live import anomaly, coverage, discovery, metrics, observe, policy_states
from aigov.live.carbon import Emissions, carbon_context, read_emissions
from aigov.live.client import ArmEndpoint, CallLog, ClientFactory, MetricsEndpoint, RetrySettings
from aigov.live.credentials import SIGN_IN_HINT, make_credential
from aigov.live.deployments import list_deployments
from aigov.live.low_use import add_hosting_per_request
from aigov.live.mapping import to_resource
from aigov.live.ml_endpoints import list_online_deployments, list_serverless_endpoints
from aigov.live.progress import DEFAULT_INTERVAL as DEFAULT_PROGRESS_INTERVAL
from aigov.live.progress import ProgressLines
from aigov.live.reasons import first_line, reason, refused
from aigov.live.reservations import OwnedReservations, read_reservations
from aigov.model import (
    HOURS_PER_MONTH,
    Finding,
    InputCost,
    Inventory,
    NotScanned,
    Resource,
    ScanResult,
    Severity,
    Subscription,
)
from aigov.policy.engine import evaluate
from aigov.policy.rule import RuleOverride
from aigov.scan import (
    ScanOptions,
    budget_state,
    build_context,
    lifecycle_warnings,
    load_prices,
    load_rule_set,
    load_usage_book,
)
from aigov.showback import allocate, summarise

DEFAULT_WINDOW_DAYS: Final = 7
DEFAULT_WORKERS: Final = 8
UTILISATION_RULE: Final = "AIGOV-IDLE-003"
UTILISATION_PARAMETER: Final = "min_utilisation_pct"
DEFAULT_ENVIRONMENT_TAG: Final = "environment"
MAX_NAMED: Final = 10  # deployments named in one warning at most
# Account kinds that hold model deployments; others (Speech, Vision, ...) have none to list.
DEPLOYMENT_KINDS: Final = frozenset({"openai", "aiservices"})
# What is read per Azure ML workspace: the collection (its scope under NOT SCANNED, under which
# the history finds the resources it holds) and the call that lists it.
ML_LISTINGS: Final = (
    ("onlineEndpoints", list_online_deployments),
    ("serverlessEndpoints", list_serverless_endpoints),
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """What to scan and how hard to try."""

    subscriptions: tuple[str, ...] = ()  # empty: every subscription the credential can read
    management_groups: tuple[str, ...] = ()
    arm_endpoint: str | None = None  # default: public Azure
    arm_scope: str | None = None  # default: the endpoint's audience
    metrics_endpoint: str | None = None  # default: https://{region}.metrics.monitor.azure.com
    window_days: int = DEFAULT_WINDOW_DAYS
    utilisation_threshold: float | None = None  # overrides AIGOV-IDLE-003's floor when given
    environment_tag: str = DEFAULT_ENVIRONMENT_TAG
    workers: int = DEFAULT_WORKERS
    retry: RetrySettings = field(default_factory=RetrySettings)
    policy_states: bool = True
    carbon: bool = False  # --carbon: read monthly emissions from the Carbon Optimization API
    reservations: bool = False  # --reservations: net the PTU reservations the Reservations API lists
    policy_severity: Severity = Severity.INFO
    progress: bool | None = None  # None: a bar when stderr is a terminal, else progress lines
    progress_interval: float = DEFAULT_PROGRESS_INTERVAL  # seconds between progress lines at most
    scan: ScanOptions = field(default_factory=ScanOptions)


@dataclass(frozen=True, slots=True)
class LiveScan:
    """A live scan's result and what it took to get it."""

    result: ScanResult
    subscriptions: tuple[Subscription, ...]  # the subscriptions scanned, as the context saw them
    scanned_subscription_ids: tuple[str, ...]  # those read without a refusal (for history)
    calls: CallLog
    graph_pages: int
    usage: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # observed, by deployment key
    deployments: tuple[anomaly.DeploymentSnapshot, ...] = ()  # for the history's change anomalies
    emissions: Emissions | None = None  # --carbon: what the Carbon Optimization API said
    carbon: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # context: carbon.* by key


def run_live_scan(
    config: Config,
    *,
    now: datetime,
    options: LiveOptions | None = None,
    credential: TokenCredential | None = None,
) -> ScanResult:
    """Scan live Azure and return the result (see :func:`scan_live` for the details)."""
    return scan_live(config, now=now, options=options, credential=credential).result


def scan_live(
    config: Config,
    *,
    now: datetime,
    options: LiveOptions | None = None,
    credential: TokenCredential | None = None,
) -> LiveScan:
    """Scan live Azure. Raises :class:`AigovError` when nothing can be read at all (no credential,
    no subscription list and none given, Resource Graph down); partial failures go to ``not_scanned``."""
    options = options or LiveOptions()
    if options.window_days < 1:
        raise AigovError(f"--window-days must be at least 1, not {options.window_days}")
    config = _with_threshold(config, options.utilisation_threshold)
    catalog = load_prices(config, options.scan)
    load_usage_book(config, options.scan)  # a usage file that cannot be read ends the scan before any call
    rules = load_rule_set(config, options.scan)
    endpoint = ArmEndpoint.parse(options.arm_endpoint, options.arm_scope)
    clients = ClientFactory(
        credential or make_credential(),
        endpoint,
        metrics_endpoint=MetricsEndpoint.parse(options.metrics_endpoint),
        retry=options.retry,
        pool_size=max(4, 2 * options.workers),
    )
    try:
        return _scan(config, now, options, clients, rules, catalog)
    except ClientAuthenticationError as exc:
        raise AigovError(f"azure: authentication failed: {first_line(exc)} {SIGN_IN_HINT}") from None
    finally:
        clients.close()


def _scan(
    config: Config,
    now: datetime,
    options: LiveOptions,
    clients: ClientFactory,
    rules: Any,
    catalog: Any,
) -> LiveScan:
    warnings: list[str] = []
    not_scanned: list[NotScanned] = []

    wanted, groups = options.subscriptions, options.management_groups
    visible, complete = coverage.visible_subscriptions(clients, wanted, groups, warnings, not_scanned)
    targets = coverage.targets(wanted, groups, visible, complete, not_scanned, warnings)
    excluded = {n.scope.lower() for n in not_scanned}
    graph, scanned = coverage.discover(clients, groups, targets, visible, not_scanned, warnings)

    resources: list[Resource] = []
    for row in graph.rows:
        resource = to_resource(row)
        sub = resource.subscription_id
        if isinstance(sub, str) and sub.lower() in excluded:
            continue
        resources.append(resource)
    subscription_ids = sorted(
        {r.subscription_id.lower() for r in resources if isinstance(r.subscription_id, str)} | scanned
    )

    accounts = [
        r for r in resources if r.type == ACCOUNT and str(r.body.get("kind", "")).lower() in DEPLOYMENT_KINDS
    ]
    workspaces = [r for r in resources if r.type == WORKSPACE]
    with_ai = sorted({r.subscription_id.lower() for r in resources if isinstance(r.subscription_id, str)})
    failures: dict[str, list[tuple[str, str, bool]]] = {}  # subscription -> (scope, reason, refused)

    states: list[policy_states.PolicyState] = []
    deployments: list[Resource] = []
    by_account: list[tuple[Resource, list[Resource]]] = []
    endpoints: list[Resource] = []  # Azure ML online deployments and serverless endpoints

    def policy_job(subscription_id: str) -> list[policy_states.PolicyState]:
        return policy_states.list_non_compliant(clients, subscription_id)

    jobs: list[tuple[str, Callable[[], Any], Any]] = [
        (account.address, functools.partial(list_deployments, clients, account), account)
        for account in accounts
    ]
    jobs.extend(
        (f"{workspace.address}/{collection}", functools.partial(read, clients, workspace), workspace)
        for workspace in workspaces
        for collection, read in ML_LISTINGS
    )
    if options.policy_states:
        jobs.extend((sub, functools.partial(policy_job, sub), sub) for sub in with_ai)

    for scope, outcome in _run_bounded(jobs, options, "Reading accounts, workspaces and policy states"):
        subject = outcome[0]
        if isinstance(outcome[1], BaseException):
            error = outcome[1]
            if not isinstance(error, AzureError):
                raise error
            _record(failures, subject, scope, error)
            continue
        if isinstance(subject, Resource) and subject.type == WORKSPACE:
            endpoints.extend(outcome[1])
        elif isinstance(subject, Resource):
            deployments.extend(outcome[1])
            by_account.append((subject, outcome[1]))
        else:
            states.extend(outcome[1])

    observed = observe.observe(
        clients,
        by_account,
        now=now,
        window_days=options.window_days,
        run=lambda batch, label: _run_bounded(batch, options, label, per_subscription=False),
    )
    usage = observed.usage
    warnings.extend(observed.notes)
    for account, why in observed.failed:
        sub = account.subscription_id if isinstance(account.subscription_id, str) else ""
        failures.setdefault(sub.lower(), []).append((f"{account.address} (metrics)", why, False))

    not_scanned.extend(_collapse(failures, Counter(_job_subscription(subject) for _, _, subject in jobs)))
    refused = {n.scope.lower() for n in not_scanned}

    terms = config.pricing_terms
    if options.reservations:
        terms, notes = _owned_terms(config, read_reservations(clients))
        warnings.extend(notes)
    reservations = terms.reservations
    owned = reservation_resources(reservations, str(config.file) if config.file else None)
    children = sorted([*deployments, *endpoints], key=lambda d: d.key)
    inventory = Inventory([*resources, *children, *owned])
    costs = CostModel(
        catalog,
        default_region=config.default_region,
        usage=load_usage_book(config, options.scan).with_observed(usage),
        terms=terms,
    )
    _add_idle_cost(inventory, usage, costs)
    add_hosting_per_request(inventory, usage, costs)
    usage.update(reservation_usage(inventory, reservations, costs.reservation_use(inventory)))
    subscriptions = _subscription_context(config, visible, subscription_ids, options.environment_tag)
    emissions = None
    carbon = None
    if options.carbon:
        emissions = read_emissions(clients, [s for s in with_ai if s not in refused])
        carbon = carbon_context(emissions, inventory.resources, usage)
        if carbon is None:
            warnings.append(
                f"carbon: emissions not read ({emissions.error}); AIGOV-CARBON-001 does not apply"
            )
    context = dataclasses.replace(
        build_context(config, now, catalog, costs.usage),
        subscriptions=subscriptions,
        usage=usage,
        carbon=carbon,
    )
    # As in a scan of files: findings, cost lines and showback rows hold no reference cycles, and
    # full collector passes over the inventory's heap would free nothing.
    with collector_paused():
        findings: list[Finding] = list(evaluate(inventory, rules, context, costs))
        findings.extend(policy_states.to_findings(states, inventory, costs, severity=options.policy_severity))
        if config.anomalies.enabled:
            findings.extend(_spikes(config, now, options, catalog, inventory, observed.series, warnings))
        rows = estimate_inventory(inventory, costs, "azure")
        cost = InputCost(tuple(row.resource_cost() for row in rows))
        showback_part = allocate(inventory, rows, context, config.cost_center_tag)
    budgets = budget_state(config, cost, options.scan)
    findings.extend(budget_findings(config.budgets, budgets) if budgets else [])

    stale = catalog.stale_warning(now)
    if stale:
        warnings.append(stale)
    with collector_paused():
        showback = summarise([showback_part], findings, context, config.cost_center_tag)
    warnings.extend(lifecycle_warnings(context, config))
    result = ScanResult(
        inputs=_inputs(options),
        resources=inventory.resources,
        findings=tuple(findings),
        catalog=catalog.info,
        generated_at=now,
        warnings=tuple(warnings),
        not_scanned=tuple(not_scanned),
        cost=cost,
        showback=showback,
        budgets=budgets,
    )
    return LiveScan(
        result=result,
        subscriptions=tuple(subscriptions[s] for s in subscription_ids if s in subscriptions),
        scanned_subscription_ids=tuple(s for s in subscription_ids if s in scanned and s not in refused),
        calls=clients.log,
        graph_pages=graph.pages,
        usage=usage,
        deployments=anomaly.snapshots(inventory, costs),
        emissions=emissions,
        carbon=carbon or {},
    )


def _owned_terms(config: Config, owned: OwnedReservations) -> tuple[PricingTerms, list[str]]:
    """The pricing terms with the Reservations API's PTU reservations, and what to warn about.

    The API's reservations replace aigov.yaml's (the same reservation counted
    twice would hide uncovered PTUs); when the API could not be read,
    aigov.yaml's stay, and the warning says so.
    """
    declared = config.pricing_terms.reservations
    if not owned.read:
        kept = f"; aigov.yaml's {len(declared)} pricing.reservations are used" if declared else ""
        return config.pricing_terms, [
            f"reservations: not read from the Reservations API ({owned.error}){kept}"
        ]
    notes = [f"reservations: {note}" for note in owned.notes]
    if declared:
        notes.append(
            f"reservations: aigov.yaml's {len(declared)} pricing.reservations are not used: "
            f"the Reservations API listed {len(owned.reservations)} active PTU reservations"
        )
    return dataclasses.replace(config.pricing_terms, reservations=owned.reservations), notes


def _subscription_context(
    config: Config,
    visible: Mapping[str, discovery.LiveSubscription],
    subscription_ids: Iterable[str],
    environment_tag: str,
) -> dict[str, Subscription]:
    """aigov.yaml's subscriptions, completed with live names, tags and the environment tag."""
    merged = dict(config.subscriptions)
    for sub_id in subscription_ids:
        live = visible.get(sub_id)
        known = config.subscriptions.get(sub_id)
        tags = {**(live.tags if live else {}), **(known.tags if known else {})}
        tag_env = next((v for k, v in tags.items() if k.lower() == environment_tag.lower()), None)
        merged[sub_id] = Subscription(
            id=known.id if known else (live.id if live else sub_id),
            name=(known.name if known and known.name else None) or (live.display_name if live else None),
            environment=(known.environment if known and known.environment else None) or tag_env,
            tags=tags,
        )
    return merged


# --------------------------------------------------------------------------- usage and cost


def _spikes(
    config: Config,
    now: datetime,
    options: LiveOptions,
    catalog: Any,
    inventory: Inventory,
    series: Mapping[str, Mapping[str, Sequence[tuple[datetime, float]]]],
    warnings: list[str],
) -> tuple[Finding, ...]:
    """``AIGOV-ANOM-001`` over the daily series read; the deployments too new to judge become a warning."""
    window = metrics.build_query(now, options.window_days, 0)

    def pricer(usage: Any) -> CostModel:
        return CostModel(
            catalog, default_region=config.default_region, usage=usage, terms=config.pricing_terms
        )

    outcome = anomaly.spikes(
        series, inventory, start=window.start, end=window.end, settings=config.anomalies, pricer=pricer
    )
    if outcome.not_judged:
        shown = sorted(str(d.name) for d, _ in outcome.not_judged)
        more = f" and {len(shown) - MAX_NAMED} more" if len(shown) > MAX_NAMED else ""
        warnings.append(
            f"anomalies: {len(shown)} deployment(s) not judged, less than "
            f"{config.anomalies.baseline_min_days} days of daily history: "
            f"{', '.join(shown[:MAX_NAMED])}{more}"
        )
    return outcome.findings


def _add_idle_cost(inventory: Inventory, usage: dict[str, dict[str, Any]], costs: CostModel) -> None:
    """``idle_usd``: what an idle fine-tuned deployment's hosting cost over its idle days."""
    for key, observed in usage.items():
        deployment = inventory.get(key)
        if deployment is None or deployment.type != DEPLOYMENT or "idle_days" not in observed:
            continue  # idle days are unknown when the requests could not be read
        model = deployment.body.get("properties", {}).get("model", {}).get("name")
        if not is_fine_tuned(model):
            continue
        monthly = costs.monthly_cost(deployment, inventory).monthly_usd
        if monthly is not None:
            observed["idle_usd"] = round(monthly / HOURS_PER_MONTH * 24 * observed["idle_days"], 2)


def _with_threshold(config: Config, threshold: float | None) -> Config:
    if threshold is None:
        return config
    current = config.rule_overrides.get(UTILISATION_RULE, RuleOverride())
    override = dataclasses.replace(
        current, parameters={**current.parameters, UTILISATION_PARAMETER: threshold}
    )
    return dataclasses.replace(config, rule_overrides={**config.rule_overrides, UTILISATION_RULE: override})


# --------------------------------------------------------------------------- concurrency and failures


def _run_bounded(
    jobs: Sequence[tuple[str, Callable[[], Any], Any]],
    options: LiveOptions,
    label: str,
    *,
    per_subscription: bool = True,
) -> list[tuple[str, tuple[Any, Any]]]:
    """Run ``jobs`` on at most ``options.workers`` threads; each result or exception, in job order.

    ``per_subscription``: each job's subject is an account or a subscription id, which the
    progress lines count; the metrics phases' jobs (batches of accounts) draw only the bar.
    """
    results: dict[int, tuple[str, tuple[Any, Any]]] = {}
    terminal = sys.stderr.isatty()
    show_bar = options.progress if options.progress is not None else terminal
    lines = _progress_lines(options, terminal, label, jobs) if per_subscription else contextlib.nullcontext()
    with ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool, lines:
        futures = {pool.submit(job): (i, scope, subject) for i, (scope, job, subject) in enumerate(jobs)}
        progress, task = _progress(show_bar, label, len(jobs))
        try:
            for future in as_completed(futures):
                i, scope, subject = futures[future]
                error = future.exception()
                results[i] = (scope, (subject, error if error is not None else future.result()))
                if progress is not None:
                    progress.advance(task)
                if isinstance(lines, ProgressLines):
                    lines.done(_job_subscription(subject), account=_is_account(subject))
        finally:
            if progress is not None:
                progress.stop()
    return [results[i] for i in sorted(results)]


def _progress_lines(
    options: LiveOptions, terminal: bool, label: str, jobs: Sequence[tuple[str, Callable[[], Any], Any]]
) -> contextlib.AbstractContextManager[Any]:
    """Progress lines on stderr when no bar is drawn there (CI), else nothing."""
    if options.progress is not None or terminal or not jobs:
        return contextlib.nullcontext()
    accounts = sum(1 for _, _, subject in jobs if _is_account(subject))
    subscriptions = [_job_subscription(subject) for _, _, subject in jobs]
    return ProgressLines(
        sys.stderr, label[:1].lower() + label[1:], subscriptions, accounts, interval=options.progress_interval
    )


def _is_account(subject: Any) -> bool:
    """Whether a job reads an account (which the progress lines count), not a workspace or subscription."""
    return isinstance(subject, Resource) and subject.type == ACCOUNT


def _job_subscription(subject: Any) -> str:
    if isinstance(subject, Resource):
        sub = subject.subscription_id
        return sub.lower() if isinstance(sub, str) else ""
    return str(subject).lower()


def _progress(show: bool, label: str, total: int) -> tuple[Any, Any]:
    if not show or total == 0:
        return None, None
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import Progress  # noqa: PLC0415

    progress = Progress(console=Console(stderr=True), transient=True)
    task = progress.add_task(label, total=total)
    progress.start()
    return progress, task


def _record(
    failures: dict[str, list[tuple[str, str, bool]]], subject: Any, scope: str, exc: AzureError
) -> None:
    if isinstance(subject, Resource):
        sub = subject.subscription_id if isinstance(subject.subscription_id, str) else ""
    else:
        sub = str(subject)
    failures.setdefault(sub.lower(), []).append((scope, reason(exc), refused(exc)))


def _collapse(
    failures: Mapping[str, list[tuple[str, str, bool]]], jobs: Mapping[str, int]
) -> list[NotScanned]:
    """One entry per subscription that refused every call, else one per failed scope.

    ``jobs``: how many calls (accounts, workspace listings, policy states) each subscription had.
    """
    out: list[NotScanned] = []
    for sub, items in sorted(failures.items()):
        if items and all(was_refused for _, _, was_refused in items) and len(items) >= jobs.get(sub, 0):
            out.append(NotScanned(sub, items[0][1]))
            continue
        out.extend(NotScanned(scope, why) for scope, why, _ in items)
    return out


def _inputs(options: LiveOptions) -> tuple[str, ...]:
    if options.management_groups:
        return tuple(f"azure:managementGroups/{mg}" for mg in options.management_groups)
    if options.subscriptions:
        return tuple(f"azure:subscriptions/{s}" for s in options.subscriptions)
    return ("azure",)
