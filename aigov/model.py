"""The values every part of aigov passes around.

Every input (Terraform plan, HCL, Bicep, ARM, what-if, a live subscription)
becomes :class:`Resource` values in ARM shape; the engine turns resources,
rules and a :class:`Context` into :class:`Finding` values, each carrying a
:class:`CostImpact`; reporters render a :class:`ScanResult`. See
``docs/design.md`` for how the pieces fit.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from aigov.cost.modelfacts import ModelFacts
    from aigov.cost.usage import UsageProvider
    from aigov.showback import Showback


class _Unknown:
    """A value that is only known after apply (or could not be evaluated statically)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __str__(self) -> str:
        return "(known after apply)"

    def __bool__(self) -> bool:
        # Truthiness of an unknown value is itself unknown; code must test
        # ``is UNKNOWN`` explicitly rather than lean on a guess.
        raise TypeError("the truth of an unknown value is unknown; test `is UNKNOWN`")

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()
"""Marks a value that cannot be known before apply. Never treated as compliant."""


def is_unknown(value: object) -> bool:
    return value is UNKNOWN


class Action(enum.StrEnum):
    """What the input says will happen to a resource."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    NOOP = "no-op"  # present in a plan, unchanged: context only, not evaluated
    DEPLOY = "deploy"  # a template's resource (Bicep/ARM/HCL): what would exist after deployment
    LIVE = "live"  # read from a live subscription
    REFERENCE = "reference"  # a template's `existing` resource: deployed elsewhere, context for its children

    @property
    def evaluated(self) -> bool:
        """Whether rules run on a resource with this action (unchanged plan resources are context)."""
        return self not in (Action.NOOP, Action.REFERENCE)

    @property
    def billed(self) -> bool:
        """Whether the input's cost includes the resource: all but another deployment's (a reference)."""
        return self is not Action.REFERENCE


LIVE_SOURCE: Final = "azure"
"""The source name of resources read from a live Azure estate (as opposed to a file)."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a resource came from, precise enough to annotate a diff or open the portal."""

    source: str  # registry name of the source: terraform_plan, bicep, arm, azure, ...
    file: str | None = None  # path as given on the command line, None for live resources
    line: int | None = None
    address: str | None = (
        None  # IaC address (module.ai.azurerm_cognitive_deployment.chat["gpt4o"]) or live resource id
    )

    @property
    def live(self) -> bool:
        return self.source == LIVE_SOURCE


@dataclass(frozen=True, slots=True)
class Resource:
    """One Azure resource in ARM shape, whatever it was read from.

    ``body`` is the ARM representation (``name``, ``type``, ``location``,
    ``kind``, ``sku``, ``tags``, ``properties``), plain dicts and lists in
    which values unknown until apply are :data:`UNKNOWN`. Rules reach into it
    with ARM field paths. ``key`` is unique within one inventory: the IaC
    address, or the live resource id.
    """

    key: str
    type: str  # canonical ARM type, e.g. Microsoft.CognitiveServices/accounts/deployments
    name: str | _Unknown  # the resource's own (leaf) name, e.g. the deployment name, not account/deployment
    body: Mapping[str, Any]
    origin: Origin
    action: Action = Action.DEPLOY
    subscription_id: str | _Unknown | None = None
    resource_group: str | _Unknown | None = None
    parent_key: str | None = None  # key of the parent resource in the same inventory (deployment -> account)
    api_version: str | None = None

    @property
    def location(self) -> str | _Unknown | None:
        value = self.body.get("location")
        return value if value is UNKNOWN or isinstance(value, str) else None

    @property
    def address(self) -> str:
        return self.origin.address or self.key

    def with_body(self, body: Mapping[str, Any]) -> Resource:
        """This resource with another body (an alternative priced as if the resource had it).

        ``dataclasses.replace`` without its per-call field inspection: pricing
        allowed alternatives makes one copy per alternative of every finding.
        """
        return Resource(
            self.key,
            self.type,
            self.name,
            body,
            self.origin,
            self.action,
            self.subscription_id,
            self.resource_group,
            self.parent_key,
            self.api_version,
        )


@dataclass(frozen=True, slots=True)
class UnreadInput:
    """A file or template the deployment would use that aigov could not read.

    The resources it defines are unknown, so the scan cannot pass them: each
    becomes an undetermined finding (see :mod:`aigov.policy.unread`).
    """

    reference: str  # what was not read: a file, a module source, a URL, a registry reference
    reason: str  # why, e.g. "not in the local module cache (run bicep restore)"
    address: str  # the IaC address that would define the resources: a module call, a deployment, a file
    source: str  # registry name of the source that met it
    file: str | None = None  # where the reference is
    line: int | None = None


class Inventory:
    """The resources of one input, with parent/child links resolved.

    Immutable after construction. Lookups used on the hot path are dicts.
    """

    __slots__ = ("_by_key", "_children", "files", "resources", "unread", "warnings")

    def __init__(
        self,
        resources: Iterable[Resource],
        warnings: Iterable[str] = (),
        unread: Iterable[UnreadInput] = (),
        files: Iterable[str] = (),
    ) -> None:
        self.resources: tuple[Resource, ...] = tuple(resources)
        # What the source could not evaluate and the user should know (a
        # function not evaluated, a loop count unknown): shown as scan warnings.
        self.warnings: tuple[str, ...] = tuple(warnings)
        # Inputs the deployment would use but the source could not read: they fail the gate.
        self.unread: tuple[UnreadInput, ...] = tuple(unread)
        # Every file the source read besides the input itself (modules, loaded
        # content, parameters): a report is never written over one of them.
        self.files: tuple[str, ...] = tuple(files)
        self._by_key: dict[str, Resource] = {r.key: r for r in self.resources}
        children: dict[str, list[Resource]] = {}
        for r in self.resources:
            if r.parent_key is not None:
                children.setdefault(r.parent_key, []).append(r)
        self._children: dict[str, tuple[Resource, ...]] = {k: tuple(v) for k, v in children.items()}

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def get(self, key: str) -> Resource | None:
        return self._by_key.get(key)

    def parent(self, resource: Resource) -> Resource | None:
        return self._by_key.get(resource.parent_key) if resource.parent_key else None

    def children(self, resource: Resource) -> tuple[Resource, ...]:
        return self._children.get(resource.key, ())

    def ancestors(self, resource: Resource) -> Iterator[Resource]:
        seen = {resource.key}
        current = self.parent(resource)
        while current is not None and current.key not in seen:
            seen.add(current.key)
            yield current
            current = self.parent(current)

    def effective_location(self, resource: Resource) -> str | _Unknown | None:
        """The resource's region: its own, or its nearest ancestor's (ARM child resources have none)."""
        if resource.location is not None:
            return resource.location
        for ancestor in self.ancestors(resource):
            if ancestor.location is not None:
                return ancestor.location
        return None


# --------------------------------------------------------------------------- context


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    name: str | None = None
    environment: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PocApproval:
    workload: str
    approved_on: date
    reference: str | None = None
    expires_on: date | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """Everything the engine needs besides resources and rules. The engine has no clock of its own."""

    now: datetime
    subscriptions: Mapping[str, Subscription] = field(default_factory=dict)  # keyed by lower-case id
    poc_approvals: tuple[PocApproval, ...] = ()
    workload_tag: str = "workload"
    # Observed usage per resource key (live scan): metric name -> value. Absent means unknown.
    usage: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Retirement table, model equivalents and prices for `context: lifecycle.*` / `equivalent.*`.
    models: ModelFacts | None = None
    # Usage assumptions (usage.yaml, aigov.yaml's usage:) and observed usage, for `context: assumed.*`.
    assumed: UsageProvider | None = None
    # Monthly emissions per resource key (`context: carbon.*`): None when the scan read none (--carbon);
    # a resource absent from a read report is unknown.
    carbon: Mapping[str, Mapping[str, Any]] | None = None


# --------------------------------------------------------------------------- cost


class Confidence(enum.StrEnum):
    EXACT = "exact"  # list price x a quantity the input states
    ESTIMATE = "estimate"  # an assumption is involved (default region, running hours, scale bound)
    UNKNOWN = "unknown"  # depends on something not known (token usage, a price not in the catalogue)

    @staticmethod
    def weakest(values: Iterable[Confidence]) -> Confidence:
        order = (Confidence.UNKNOWN, Confidence.ESTIMATE, Confidence.EXACT)
        present = set(values)
        for level in order:
            if level in present:
                return level
        return Confidence.EXACT


HOURS_PER_MONTH: Final = 730
"""Azure's convention for a month of hourly billing (365 x 24 / 12)."""


@dataclass(frozen=True, slots=True)
class Price:
    """One catalogue price, with what a finance person needs to find it again."""

    meter: str  # e.g. "Provisioned Managed Regional Unit"
    unit_price: float
    unit: str  # "1 Hour", "1M tokens", ...
    region: str  # the ARM region the price is for, or "global"
    currency: str
    source: str  # the source's title, "third-party copy: ..." or "derived (...) from ..." up front
    url: str  # where a user can open the source
    effective: date | None  # the price's own effective date (effectiveStartDate); None if not given
    read: date  # the date the price was read from its source
    query: str | None = None  # a Retail Prices API query that returns this price's meter

    @property
    def dates(self) -> str:
        """``effective 2024-04-01, read 2026-09-30``: when the price took effect and when it was read."""
        effective = self.effective.isoformat() if self.effective is not None else "date not given by source"
        return f"effective {effective}, read {self.read.isoformat()}"

    def record(self) -> dict[str, object]:
        """The price as JSON data (reports and ``aigov estimate --format json``)."""
        return {
            "meter": self.meter,
            "unit_price": self.unit_price,
            "unit": self.unit,
            "region": self.region,
            "currency": self.currency,
            "source": self.source,
            "url": self.url,
            "effective": self.effective.isoformat() if self.effective is not None else None,
            "read": self.read.isoformat(),
            "query": self.query,
        }


@dataclass(frozen=True, slots=True)
class CostLine:
    """The monthly cost attributed to one billed resource; totals de-duplicate on ``resource_key``."""

    resource_key: str
    monthly_usd: float | None
    formula: str
    confidence: Confidence
    prices: tuple[Price, ...] = ()
    saving: bool = False  # a difference to an alternative the user could move to, not spend itself
    upper_bound: bool = False  # the figure is at most this: a part of it could not be priced


@dataclass(frozen=True, slots=True)
class CostImpact:
    """What a finding costs per month, and how that figure was reached."""

    monthly_usd: float | None  # None when it cannot be known (confidence unknown)
    basis: str  # the formula with prices, region and the prices' date
    confidence: Confidence
    lines: tuple[CostLine, ...] = ()

    @property
    def partial(self) -> bool:
        """A known figure that leaves out lines whose cost is unknown: a lower bound, not the whole cost."""
        return self.monthly_usd is not None and any(line.monthly_usd is None for line in self.lines)

    @property
    def saving(self) -> bool:
        """The figure is a possible saving (a difference to an allowed alternative), not spend."""
        return any(line.saving for line in self.lines)

    @property
    def upper_bound(self) -> bool:
        """The figure is an upper bound: the alternative's usage-priced part could not be counted."""
        return any(line.upper_bound for line in self.lines)

    @property
    def prices(self) -> tuple[Price, ...]:
        seen: dict[tuple[str, str, float], Price] = {}
        for line in self.lines:
            for p in line.prices:
                seen.setdefault((p.meter, p.region, p.unit_price), p)
        return tuple(seen.values())

    @staticmethod
    def unknown(basis: str) -> CostImpact:
        return CostImpact(None, basis, Confidence.UNKNOWN)

    @staticmethod
    def from_lines(lines: Iterable[CostLine], *, empty_basis: str = "no billed meter") -> CostImpact:
        lines = tuple(lines)
        if not lines:
            return CostImpact(0.0, empty_basis, Confidence.EXACT)
        known = [ln for ln in lines if ln.monthly_usd is not None]
        basis = " + ".join(ln.formula for ln in lines)
        if not known:
            return CostImpact(None, basis, Confidence.UNKNOWN, lines)
        # The confidence of a figure is that of what it adds up; the lines left
        # out (usage-priced) make it a lower bound, which `partial` says.
        monthly = round(sum(ln.monthly_usd or 0.0 for ln in known), 2)
        return CostImpact(monthly, basis, Confidence.weakest(ln.confidence for ln in known), lines)


# --------------------------------------------------------------------------- findings


class Severity(enum.StrEnum):
    INFO = "info"  # a notice: reported, never fails the gate unless asked to
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK: Final = {s: i for i, s in enumerate(Severity)}


class Outcome(enum.StrEnum):
    VIOLATION = "violation"
    UNDETERMINED = "undetermined"  # the rule could not decide: a value it needs is unknown until apply


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding does not fail the gate although it is reported: a waiver or an inline comment."""

    kind: str  # "waiver" (aigov.yaml) or "inline" (a comment beside the resource in the IaC file)
    reason: str
    owner: str | None = None
    expires_on: date | None = None
    origin: str | None = None  # where it was declared, e.g. "aigov.yaml:14" or "main.tf:22"
    expired: bool = False  # an expired waiver suppresses nothing; the finding says it expired

    @property
    def active(self) -> bool:
        return not self.expired


class BaselineState(enum.StrEnum):
    NEW = "new"  # not in the baseline report: fails the gate
    EXISTING = "existing"  # in the baseline report: reported, does not fail the gate


@dataclass(frozen=True, slots=True)
class SeriesEvidence:
    """A daily series an anomaly was judged on: its last values against its own baseline."""

    metric: str  # requests | prompt_tokens | completion_tokens
    recent: tuple[tuple[date, float], ...]  # the days judged, oldest first
    baseline_days: int  # days in the baseline window
    median: float  # the baseline's median
    mad: float  # the baseline's median absolute deviation
    score: float  # (recent mean - median) / robust scale
    threshold: float  # the score at or above which the series is anomalous
    anomalous: bool


@dataclass(frozen=True, slots=True)
class AnomalyEvidence:
    """Why a finding of category ``anomaly`` was raised: the series, or what changed since the last scan."""

    kind: str  # usage-spike | new-deployment | deployment-changed | fine-tune-hosting-started
    series: tuple[SeriesEvidence, ...] = ()
    previous_scan_at: datetime | None = None
    before: Mapping[str, Any] | None = None  # the deployment as the previous scan saw it (sku, model)
    after: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    title: str
    category: str  # sku | environment | idle | tags | rate
    severity: Severity
    outcome: Outcome
    message: str
    remediation: str
    resource: Resource
    cost: CostImpact
    unknown_fields: tuple[str, ...] = ()  # what made an UNDETERMINED outcome
    suppression: Suppression | None = None
    baseline: BaselineState | None = None  # None when the scan was given no baseline
    description: str | None = None  # the rule's own description, for reports that explain rules (SARIF help)
    references: tuple[str, ...] = ()  # the rule's reference URLs
    anomaly: AnomalyEvidence | None = None  # category anomaly: the series or the change it was judged on

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None and self.suppression.active

    @property
    def fingerprint(self) -> str:
        """Stable across runs and line moves: the rule and the resource's identity only."""
        digest = hashlib.sha256(f"{self.rule_id}\x00{self.resource.key}".encode()).hexdigest()
        return digest[:32]


BUNDLED_CATALOG: Final = "bundled"
REFRESHED_CATALOG: Final = "refreshed"
FILE_CATALOG: Final = "file"


@dataclass(frozen=True, slots=True)
class CatalogInfo:
    """Which price catalogue priced a scan: every report names it."""

    name: str  # "bundled", or the path of the catalogue file given
    as_of: date  # the date of its prices; for a refreshed catalogue the day it was read from the API
    currency: str
    default_region: str
    kind: str = BUNDLED_CATALOG  # bundled | refreshed (written by `aigov prices refresh`) | file

    @property
    def path(self) -> str | None:
        """The catalogue file, None for the bundled one."""
        return None if self.kind == BUNDLED_CATALOG else self.name

    @property
    def label(self) -> str:
        """``bundled catalogue as of 2026-09-30``, ``refreshed catalogue FILE, read 2026-12-01 ...``."""
        if self.kind == BUNDLED_CATALOG:
            return f"bundled catalogue as of {self.as_of.isoformat()}"
        if self.kind == REFRESHED_CATALOG:
            return (
                f"refreshed catalogue {self.name}, read {self.as_of.isoformat()} from the Retail Prices API"
            )
        return f"catalogue {self.name} as of {self.as_of.isoformat()}"

    def record(self) -> dict[str, object]:
        """The catalogue as JSON data (the JSON report and ``aigov estimate --format json``)."""
        return {
            "kind": self.kind,
            "name": self.name,
            "path": self.path,
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "default_region": self.default_region,
        }


@dataclass(frozen=True, slots=True)
class NotScanned:
    """A part of a live scan that could not be read (exit code 3): a subscription, an account, a call."""

    scope: str  # a subscription id, a resource id, or a description of what was asked
    reason: str  # e.g. "403 AuthorizationFailed: ..."


@dataclass(frozen=True, slots=True)
class CostChangeItem:
    """A finding that appeared or disappeared since the base report, with its monthly cost."""

    rule_id: str
    address: str
    fingerprint: str
    monthly_usd: float | None  # None when the finding's cost is unknown


@dataclass(frozen=True, slots=True)
class ResourceCost:
    """The monthly cost of one billed AI resource of a scan's inputs, in violation or not.

    ``key``, ``name``, ``subscription_id``, ``tags`` and ``unknown_tags`` are
    what a budget's ``match`` reads (see :mod:`aigov.budgets`).
    """

    address: str
    type: str
    monthly_usd: float | None  # None: unknown (usage decides it, or no price)
    confidence: Confidence
    monthly_requests: float | None = None  # known from usage (assumed or observed): unit economics
    key: str = ""
    name: str | None = None
    subscription_id: str | _Unknown | None = None
    tags: Mapping[str, str] = field(default_factory=dict)  # its own over its ancestors' (known values)
    unknown_tags: tuple[str, ...] = ()  # tag names whose value is known only after apply; "*": all of them

    @property
    def cost_per_1000_requests(self) -> float | None:
        """Unit economics: the monthly cost per 1,000 requests, where both are known."""
        return cost_per_1000_requests(self.monthly_usd, self.monthly_requests)


def cost_per_1000_requests(monthly_usd: float | None, monthly_requests: float | None) -> float | None:
    """Unit economics: monthly cost per 1,000 requests; None when either is unknown or requests are 0."""
    if monthly_usd is None or not monthly_requests:
        return None
    return round(monthly_usd / monthly_requests * 1000, 4)


@dataclass(frozen=True, slots=True)
class InputCost:
    """The monthly cost of every billed AI resource in a scan's inputs: exact, estimated and unknown apart."""

    resources: tuple[ResourceCost, ...] = ()

    @property
    def monthly_usd(self) -> float:
        """The known part: exact and estimated figures."""
        return round(sum(r.monthly_usd for r in self.resources if r.monthly_usd is not None), 2)

    @property
    def exact_usd(self) -> float:
        return self._sum(Confidence.EXACT)

    @property
    def estimated_usd(self) -> float:
        return self._sum(Confidence.ESTIMATE)

    @property
    def unknown_resources(self) -> int:
        return sum(1 for r in self.resources if r.monthly_usd is None)

    def _sum(self, confidence: Confidence) -> float:
        return round(
            sum(
                r.monthly_usd
                for r in self.resources
                if r.monthly_usd is not None and r.confidence is confidence
            ),
            2,
        )


@dataclass(frozen=True, slots=True)
class ResourceCostChange:
    """How one billed resource's monthly cost moved between the base and this scan."""

    address: str
    change: str  # added | removed | changed
    before_usd: float | None
    after_usd: float | None

    @property
    def delta_usd(self) -> float | None:
        if self.change == "added":
            return self.after_usd
        if self.change == "removed":
            return -self.before_usd if self.before_usd is not None else None
        if self.before_usd is None or self.after_usd is None:
            return None
        return round(self.after_usd - self.before_usd, 2)


def cost_changes(
    before: Mapping[str, float | None], after: Mapping[str, float | None]
) -> tuple[ResourceCostChange, ...]:
    """Each address added, removed or changed in monthly cost from ``before`` to ``after``, largest first."""
    changes = [
        ResourceCostChange(address, "added", None, value)
        if address not in before
        else ResourceCostChange(address, "changed", before[address], value)
        for address, value in after.items()
        if address not in before or before[address] != value
    ]
    changes.extend(ResourceCostChange(a, "removed", v, None) for a, v in before.items() if a not in after)
    return tuple(sorted(changes, key=lambda c: (c.delta_usd is None, -abs(c.delta_usd or 0.0), c.address)))


@dataclass(frozen=True, slots=True)
class CostChange:
    """This scan against a base (``--compare-to``): the cost of the inputs and the cost at risk."""

    base: str  # the base report's path, as given
    before_usd: float  # the base report's monthly cost at risk
    after_usd: float  # this scan's
    added: tuple[CostChangeItem, ...] = ()  # findings not in the base report
    removed: tuple[CostChangeItem, ...] = ()  # base findings this scan no longer reports
    cost_before_usd: float | None = None  # the base's monthly cost of its inputs; None: the base has none
    cost_after_usd: float | None = None  # this scan's
    resources: tuple[ResourceCostChange, ...] = ()  # billed resources added, removed or changed in cost
    added_at_risk_usd: float = 0.0  # the cost at risk of the findings this change adds

    @property
    def delta_usd(self) -> float:
        return round(self.after_usd - self.before_usd, 2)

    @property
    def cost_delta_usd(self) -> float | None:
        """The monthly change of the inputs' cost; None when the base report carries no input cost."""
        if self.cost_before_usd is None or self.cost_after_usd is None:
            return None
        return round(self.cost_after_usd - self.cost_before_usd, 2)


class BudgetState(enum.StrEnum):
    """Where a budget's forecast spend stands against its limit."""

    OVER = "over"  # the known spend exceeds the limit: a finding of the budget's severity
    WARNING = "warning"  # at or above warn_at of the limit: an info finding
    WITHIN = "within"  # under the limit (and under warn_at): no finding
    UNDETERMINED = "undetermined"  # under the limit, but resources of unknown cost or membership matched
    EMPTY = "empty"  # the match selects no billed resource: an info finding, never a silent pass


@dataclass(frozen=True, slots=True)
class BudgetContributor:
    """One billed resource a budget's match selects, with its monthly cost (None: unknown)."""

    address: str
    monthly_usd: float | None
    certain: bool = True  # False: whether it matches depends on a value known only after apply
    confidence: Confidence = Confidence.EXACT


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """One budget of ``aigov.yaml`` against the monthly cost of the resources it matches in the input."""

    name: str
    limit_usd: float
    spend_usd: float  # the known part of the forecast: matched resources of known cost
    state: BudgetState
    warn_at: float | None = None  # the share of the limit that gives a warning
    contributors: tuple[BudgetContributor, ...] = ()  # largest cost first, unknown cost last
    origin: str | None = None  # where it is declared: "aigov.yaml:14"

    @property
    def over_usd(self) -> float:
        """How much the forecast exceeds the limit (0 when within it)."""
        return round(max(0.0, self.spend_usd - self.limit_usd), 2)

    @property
    def share(self) -> float | None:
        """The forecast as a share of the limit; None for a limit of 0."""
        return self.spend_usd / self.limit_usd if self.limit_usd > 0 else None

    @property
    def unknown_resources(self) -> int:
        """Matched resources whose cost, or whether they match, is not known."""
        return sum(1 for c in self.contributors if c.monthly_usd is None or not c.certain)


@dataclass(frozen=True, slots=True)
class ScanResult:
    inputs: tuple[str, ...]
    resources: tuple[Resource, ...]  # every resource rules were evaluated on
    findings: tuple[Finding, ...]
    catalog: CatalogInfo
    generated_at: datetime
    warnings: tuple[str, ...] = ()
    not_scanned: tuple[NotScanned, ...] = ()
    cost_change: CostChange | None = None  # with --compare-to: the delta against the base report
    cost: InputCost = InputCost()  # the monthly cost of every billed AI resource of the inputs
    read_files: tuple[str, ...] = ()  # every file the scan read: reports may not be written over them
    showback: Showback | None = None  # cost and cost at risk by cost center, workload, subscription, family
    budgets: tuple[BudgetStatus, ...] = ()  # aigov.yaml's budgets against the inputs' cost

    @property
    def partial(self) -> bool:
        return bool(self.not_scanned)

    @property
    def monthly_cost_at_risk_usd(self) -> float:
        """Sum of finding costs, each billed resource counted once (its largest line)."""
        return monthly_at_risk(self.findings)

    @property
    def over_budget_usd(self) -> float:
        """How much the budgets over their limit exceed them together (not part of the cost at risk)."""
        return round(sum(b.over_usd for b in self.budgets), 2)

    @property
    def unknown_cost_findings(self) -> int:
        return sum(1 for f in self.findings if f.cost.monthly_usd is None)

    @property
    def cost_summary(self) -> CostSummary:
        """Spend in violation apart from possible savings (the headline of every report)."""
        return cost_summary(self.findings)


def monthly_at_risk(findings: Iterable[Finding]) -> float:
    """De-duplicated monthly cost of ``findings``.

    A resource flagged by several rules (or flagged itself and through its
    parent's roll-up) is counted once, at the largest amount any finding puts
    on it.
    """
    per_resource: dict[str, float] = {}
    for finding in findings:
        for line in finding.cost.lines:
            if line.monthly_usd is None:
                continue
            if line.monthly_usd > per_resource.get(line.resource_key, 0.0):
                per_resource[line.resource_key] = line.monthly_usd
    return round(float(sum(per_resource.values())), 2)


@dataclass(frozen=True, slots=True)
class CostTotal:
    """A de-duplicated monthly total, split by how firm its parts are (each resource counted once)."""

    exact_usd: float = 0.0
    estimated_usd: float = 0.0  # includes upper_bound_usd
    upper_bound_usd: float = 0.0  # the part that is an upper bound (at most this)

    @property
    def monthly_usd(self) -> float:
        return round(self.exact_usd + self.estimated_usd, 2)

    @property
    def firm_usd(self) -> float:
        """Exact and estimated figures without the upper bounds."""
        return round(self.monthly_usd - self.upper_bound_usd, 2)


@dataclass(frozen=True, slots=True)
class CostSummary:
    """The headline of a scan's findings: money the input commits to in violation, apart from savings.

    ``spend`` sums the lines that are a resource's own cost (``cost: resource``);
    ``savings`` the lines that are a difference to an allowed alternative or a
    reservation (``saving``). The two are not added: a saving is part of the
    spend it would reduce.
    """

    spend: CostTotal
    savings: CostTotal
    unknown_findings: int


def cost_summary(findings: Iterable[Finding]) -> CostSummary:
    """Spend in violation and possible savings of ``findings``, each resource counted once per kind."""
    spend: dict[str, CostLine] = {}
    savings: dict[str, CostLine] = {}
    unknown = 0
    for finding in findings:
        if finding.cost.monthly_usd is None:
            unknown += 1
        for line in finding.cost.lines:
            if line.monthly_usd is None:
                continue
            group = savings if line.saving else spend
            held = group.get(line.resource_key)
            if held is None or line.monthly_usd > (held.monthly_usd or 0.0):
                group[line.resource_key] = line
    return CostSummary(_total(spend.values()), _total(savings.values()), unknown)


def _total(lines: Iterable[CostLine]) -> CostTotal:
    exact = estimated = bound = 0.0
    for line in lines:
        amount = line.monthly_usd or 0.0
        if line.confidence is Confidence.EXACT and not line.upper_bound:
            exact += amount
        else:
            estimated += amount
        if line.upper_bound:
            bound += amount
    return CostTotal(round(exact, 2), round(estimated, 2), round(bound, 2))
