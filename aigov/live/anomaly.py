"""Anomalies per deployment: a day that departs from the deployment's own baseline, and what changed.

Pure: it takes the daily series a live scan has already parsed
(:func:`aigov.live.metrics.daily_series`), the deployments as this scan and
the previous one saw them (:class:`DeploymentSnapshot`, kept in the history)
and a cost model; it returns findings of category ``anomaly``. No I/O, no
clock of its own.

**Series** (``AIGOV-ANOM-001``). Each daily series of a deployment
(``requests``, ``prompt_tokens``, ``completion_tokens``) is cut into the
``recent_days`` judged (default: the last day) and the days before them.
Days before the deployment was created (ARM's ``systemData.createdAt``; the
day it was created is partial and left out too) are not history. With fewer
than ``baseline_min_days`` (14) days of history the series is not judged and
the report says so. Otherwise the baseline is the last ``baseline_max_days``
(28) of them and::

    scale = max(1.4826 x MAD, 5% of median, floor)
    score = (mean of the recent days - median) / scale

1.4826 x MAD estimates the standard deviation of a normal series, and is
not moved by the spikes it is meant to find; the floors (5% of the median,
and 10 requests or 10,000 tokens a day) keep a constant or near-empty
series (MAD 0) from turning any wobble into an anomaly. The series is
anomalous when ``score >= threshold`` (5) and the recent mean is at least
``min_ratio`` (2) times the median. Only rises are judged: a fall saves
money, and an idle deployment is the idle rules' business.

Its cost is the monthly run-rate difference: the deployment priced at the
recent daily token volumes x 730/24 minus priced at the baseline medians.
A provisioned deployment bills its PTUs by the hour whatever the traffic
(0, exact); without token series the cost is unknown.

**Changes since the previous scan** (need ``--history``):

* ``AIGOV-ANOM-002``: a deployment new since the previous scan whose monthly
  cost is at least ``new_deployment_usd`` (500); impact: its monthly cost;
* ``AIGOV-ANOM-003``: a deployment whose type (``sku.name``) or capacity
  changed, e.g. provisioned to pay-per-token; impact: cost now - cost then;
* ``AIGOV-ANOM-004``: a fine-tuned deployment whose hosting started (new, or
  moved off the ``DeveloperTier`` that has no hosting fee); impact: its
  hosting cost per month.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final

from aigov import armpath
from aigov.armtypes import DEPLOYMENT
from aigov.config import AnomalySettings
from aigov.cost.model import PROVISIONED_SKUS, is_fine_tuned
from aigov.cost.usage import Usage, UsageProvider
from aigov.model import (
    HOURS_PER_MONTH,
    AnomalyEvidence,
    Confidence,
    CostImpact,
    CostLine,
    Finding,
    Inventory,
    Outcome,
    Resource,
    SeriesEvidence,
    Severity,
)
from aigov.report.base import format_usd

CATEGORY: Final = "anomaly"
SPIKE_RULE: Final = "AIGOV-ANOM-001"
NEW_RULE: Final = "AIGOV-ANOM-002"
CHANGED_RULE: Final = "AIGOV-ANOM-003"
FINE_TUNE_RULE: Final = "AIGOV-ANOM-004"
MAD_TO_SIGMA: Final = 1.4826
RELATIVE_FLOOR: Final = 0.05
# The smallest daily scale per metric: a smaller rise is noise on a quiet deployment, not an anomaly.
ABSOLUTE_FLOOR: Final = {"requests": 10.0, "prompt_tokens": 10_000.0, "completion_tokens": 10_000.0}
DAYS_PER_MONTH: Final = HOURS_PER_MONTH / 24
SERIES: Final = ("requests", "prompt_tokens", "completion_tokens")
DEVELOPER_TIER: Final = "developertier"
REFERENCE: Final = "https://learn.microsoft.com/azure/ai-foundry/openai/how-to/monitor-openai"
_DAY: Final = timedelta(days=1)

Points = Sequence[tuple[datetime, float]]
PricerFactory = Callable[[UsageProvider], Any]
"""Makes a cost model pricing with the given usage (the scan's catalogue, region and terms)."""


# --------------------------------------------------------------------------- series


def daily_values(
    points: Points, *, start: datetime, end: datetime, since: datetime | None = None
) -> list[tuple[date, float]]:
    """One value per daily bucket from ``start`` to ``end``, oldest first; a bucket without a point is 0.

    Buckets that begin before ``since`` (the deployment's creation) are left out: they are not its history.
    """
    starts, dates = _buckets(start, end)
    days = len(starts)
    values = [0.0] * days
    for stamp, value in points:
        index = (stamp - start).days  # the floor, as timedelta keeps 0 <= seconds < 1 day
        if 0 <= index < days:
            values[index] += value
    first = 0 if since is None else bisect.bisect_left(starts, since)
    return list(zip(dates[first:], values[first:], strict=True))


@lru_cache(maxsize=8)
def _buckets(start: datetime, end: datetime) -> tuple[tuple[datetime, ...], tuple[date, ...]]:
    """The daily buckets' start moments and dates: the same for every series of one scan's window."""
    starts = tuple(start + i * _DAY for i in range((end - start) // _DAY))
    return starts, tuple(moment.date() for moment in starts)


@dataclass(frozen=True, slots=True)
class NotJudged:
    """A series too short to judge."""

    metric: str
    history_days: int
    needed_days: int


def judge(
    metric: str, days: Sequence[tuple[date, float]], settings: AnomalySettings
) -> SeriesEvidence | NotJudged:
    """The recent days of one daily series against its own baseline (see the module docstring)."""
    recent = tuple(days[-settings.recent_days :]) if len(days) >= settings.recent_days else ()
    history = list(days[: len(days) - len(recent)]) if recent else []
    if len(history) < settings.baseline_min_days:
        return NotJudged(metric, len(history), settings.baseline_min_days)
    baseline = [v for _, v in history[-settings.baseline_max_days :]]
    median = statistics.median(baseline)
    mad = statistics.median(abs(v - median) for v in baseline)
    scale = max(MAD_TO_SIGMA * mad, RELATIVE_FLOOR * median, ABSOLUTE_FLOOR.get(metric, 1.0))
    mean = statistics.fmean(v for _, v in recent)
    score = (mean - median) / scale
    anomalous = score >= settings.threshold and mean >= settings.min_ratio * median
    return SeriesEvidence(
        metric=metric,
        recent=recent,
        baseline_days=len(baseline),
        median=round(median, 2),
        mad=round(mad, 2),
        score=round(score, 2),
        threshold=settings.threshold,
        anomalous=anomalous,
    )


@dataclass(frozen=True, slots=True)
class SeriesOutcome:
    """What the series of a scan's deployments gave: findings, and the deployments not judged."""

    findings: tuple[Finding, ...]
    not_judged: tuple[tuple[Resource, NotJudged], ...]


def spikes(
    series: Mapping[str, Mapping[str, Points]],
    inventory: Inventory,
    *,
    start: datetime,
    end: datetime,
    settings: AnomalySettings,
    pricer: PricerFactory,
) -> SeriesOutcome:
    """``AIGOV-ANOM-001`` findings for ``series`` (deployment key -> metric -> daily points)."""
    findings: list[Finding] = []
    not_judged: list[tuple[Resource, NotJudged]] = []
    for key in sorted(series):
        deployment = inventory.get(key)
        if deployment is None:
            continue
        since = _created_at(deployment)
        since = _next_bucket(since, start) if since is not None else None
        judged: list[SeriesEvidence] = []
        short: NotJudged | None = None
        for metric in SERIES:
            if metric not in series[key]:
                continue
            days = daily_values(series[key][metric], start=start, end=end, since=since)
            verdict = judge(metric, days, settings)
            if isinstance(verdict, NotJudged):
                short = short or verdict
            else:
                judged.append(verdict)
        if short is not None and not judged:
            not_judged.append((deployment, short))
            continue
        if any(e.anomalous for e in judged):
            findings.append(_spike_finding(deployment, inventory, tuple(judged), pricer))
    return SeriesOutcome(tuple(findings), tuple(not_judged))


def _next_bucket(created: datetime, start: datetime) -> datetime:
    """The first daily bucket that begins at or after ``created`` (the creation day is partial)."""
    if created <= start:
        return start
    return start + math.ceil((created - start) / _DAY) * _DAY


def _spike_finding(
    deployment: Resource, inventory: Inventory, judged: tuple[SeriesEvidence, ...], pricer: PricerFactory
) -> Finding:
    worst = max((e for e in judged if e.anomalous), key=lambda e: e.score)
    mean = statistics.fmean(v for _, v in worst.recent)
    ratio = f"{mean / worst.median:.1f}x" if worst.median > 0 else "from none"
    day = worst.recent[-1][0]
    message = (
        f"{_label(deployment, inventory)}: {worst.metric.replace('_', ' ')} {_count(mean)} a day "
        f"(to {day:%Y-%m-%d}) against a median of {_count(worst.median)} over {worst.baseline_days} days "
        f"({ratio}, robust score {worst.score:g} >= {worst.threshold:g})"
    )
    return _finding(
        SPIKE_RULE,
        "A deployment's daily usage departs from its own baseline",
        Severity.MEDIUM,
        deployment,
        message,
        "Check who or what sends the new traffic (a retry loop, a batch job, a leaked key); cap it with "
        "a lower rate limit (capacity) on the deployment if it is not wanted.",
        _spike_cost(deployment, inventory, judged, pricer),
        AnomalyEvidence(kind="usage-spike", series=judged),
    )


def _spike_cost(
    deployment: Resource, inventory: Inventory, judged: Sequence[SeriesEvidence], pricer: PricerFactory
) -> CostImpact:
    """The monthly run-rate difference: priced at the recent token volumes minus at the baseline's."""
    sku = armpath.get(deployment.body, "sku.name")
    if isinstance(sku, str) and sku.casefold() in PROVISIONED_SKUS:
        return CostImpact(
            0.0,
            f"{sku} bills its PTUs by the hour whatever the traffic: the spike adds no cost",
            Confidence.EXACT,
        )
    tokens = {e.metric: e for e in judged if e.metric in ("prompt_tokens", "completion_tokens")}
    if not tokens or all(e.median == 0 and all(v == 0 for _, v in e.recent) for e in tokens.values()):
        return CostImpact.unknown(
            "the deployment's token volumes are not known, so the run-rate difference cannot be priced"
        )

    def usage(pick: Callable[[SeriesEvidence], float], what: str) -> Usage:
        prompt = pick(tokens["prompt_tokens"]) if "prompt_tokens" in tokens else 0.0
        completion = pick(tokens["completion_tokens"]) if "completion_tokens" in tokens else 0.0
        scale = f"x {HOURS_PER_MONTH}/24 days"
        return Usage(
            input_tokens=prompt * DAYS_PER_MONTH,
            output_tokens=completion * DAYS_PER_MONTH,
            source=f"daily {what}",
            derivations={
                "input": f"{_count(prompt)} ProcessedPromptTokens a day ({what}) {scale}",
                "output": f"{_count(completion)} GeneratedTokens a day ({what}) {scale}",
            },
            observed=True,
        )

    recent = usage(lambda e: statistics.fmean(v for _, v in e.recent), "recent mean")
    baseline = usage(lambda e: e.median, "baseline median")
    now_cost = pricer(_Fixed(deployment.key, recent)).monthly_cost(deployment, inventory)
    then_cost = pricer(_Fixed(deployment.key, baseline)).monthly_cost(deployment, inventory)
    return _difference(deployment, now_cost, then_cost, "at the recent run-rate", "at the baseline run-rate")


@dataclass(frozen=True, slots=True)
class _Fixed:
    """A usage provider that knows one deployment's usage."""

    key: str
    usage: Usage

    def usage_for(self, resource: Resource, inventory: Inventory) -> Usage | None:
        return self.usage if resource.key == self.key else None


# --------------------------------------------------------------------------- changes


@dataclass(frozen=True, slots=True)
class DeploymentSnapshot:
    """A deployment as one scan saw it: what the change anomalies compare (stored in the history)."""

    key: str
    address: str
    subscription_id: str | None
    sku: str | None
    capacity: float | None
    model: str | None
    monthly_usd: float | None

    @staticmethod
    def of(deployment: Resource, monthly_usd: float | None) -> DeploymentSnapshot:
        sku = armpath.get(deployment.body, "sku.name")
        capacity = armpath.get(deployment.body, "sku.capacity")
        model = armpath.get(deployment.body, "properties.model.name")
        sub = deployment.subscription_id
        return DeploymentSnapshot(
            key=deployment.key,
            address=deployment.address,
            subscription_id=sub.lower() if isinstance(sub, str) else None,
            sku=sku if isinstance(sku, str) else None,
            capacity=float(capacity)
            if isinstance(capacity, int | float) and not isinstance(capacity, bool)
            else None,
            model=model if isinstance(model, str) else None,
            monthly_usd=monthly_usd,
        )

    def shape(self) -> dict[str, Any]:
        """What the finding's evidence shows of it."""
        return {
            "sku": self.sku,
            "capacity": self.capacity,
            "model": self.model,
            "monthly_usd": self.monthly_usd,
        }


def snapshots(inventory: Inventory, costs: Any) -> tuple[DeploymentSnapshot, ...]:
    """Every deployment of ``inventory`` with its monthly cost (``costs``: the scan's cost model)."""
    return tuple(
        DeploymentSnapshot.of(r, costs.monthly_cost(r, inventory).monthly_usd)
        for r in inventory.resources
        if r.type == DEPLOYMENT
    )


def changes(
    previous: Mapping[str, DeploymentSnapshot],
    current: Iterable[DeploymentSnapshot],
    inventory: Inventory,
    *,
    previous_at: datetime,
    scanned_subscriptions: Iterable[str],
    settings: AnomalySettings,
) -> tuple[Finding, ...]:
    """``AIGOV-ANOM-002`` to ``-004``: deployments new or changed since the scan at ``previous_at``.

    A deployment counts as new only in a subscription this scan read in full and the previous
    snapshot held deployments of: one the previous scan could not see would otherwise be "new"
    every time it comes back, and a subscription added to the scan would be new as a whole.
    """
    scanned = {s.lower() for s in scanned_subscriptions}
    covered = {p.subscription_id for p in previous.values()} & scanned
    findings: list[Finding] = []
    for now in current:
        deployment = inventory.get(now.key)
        if deployment is None:
            continue
        before = previous.get(now.key)
        if before is None:
            if now.subscription_id not in covered:
                continue
            finding = _new(deployment, inventory, now, previous_at, settings)
        else:
            finding = _changed(deployment, inventory, before, now, previous_at)
        if finding is not None:
            findings.append(finding)
    return tuple(findings)


def _hosted(snapshot: DeploymentSnapshot) -> bool:
    return is_fine_tuned(snapshot.model) and (snapshot.sku or "").casefold() != DEVELOPER_TIER


def _new(
    deployment: Resource,
    inventory: Inventory,
    now: DeploymentSnapshot,
    previous_at: datetime,
    settings: AnomalySettings,
) -> Finding | None:
    label = _label(deployment, inventory)
    since = f"since the previous scan ({previous_at:%Y-%m-%d %H:%M} UTC)"
    evidence = AnomalyEvidence(kind="new-deployment", previous_scan_at=previous_at, after=now.shape())
    cost = _own_cost(deployment, inventory, now)
    if _hosted(now):
        return _hosting_started(deployment, label, f"is new {since}", cost, evidence)
    if now.monthly_usd is None or now.monthly_usd < settings.new_deployment_usd:
        return None
    return _finding(
        NEW_RULE,
        "A new deployment costs more than the configured amount per month",
        Severity.MEDIUM,
        deployment,
        f"{label} ({now.sku}, capacity {_count(now.capacity)}) is new {since} and costs "
        f"{format_usd(now.monthly_usd)}/month (threshold {format_usd(settings.new_deployment_usd)})",
        "Confirm the deployment was planned and approved; remove it or lower its capacity if not.",
        cost,
        evidence,
    )


def _changed(
    deployment: Resource,
    inventory: Inventory,
    before: DeploymentSnapshot,
    now: DeploymentSnapshot,
    previous_at: datetime,
) -> Finding | None:
    label = _label(deployment, inventory)
    since = f"since the previous scan ({previous_at:%Y-%m-%d %H:%M} UTC)"
    evidence = AnomalyEvidence(
        kind="deployment-changed", previous_scan_at=previous_at, before=before.shape(), after=now.shape()
    )
    if _hosted(now) and not _hosted(before):
        moved = f"moved from {before.sku} to {now.sku} {since}"
        return _hosting_started(deployment, label, moved, _own_cost(deployment, inventory, now), evidence)
    sku_changed = (before.sku or "").casefold() != (now.sku or "").casefold()
    if not sku_changed and before.capacity == now.capacity:
        return None
    what = (
        f"type {before.sku} -> {now.sku}"
        if sku_changed
        else f"capacity {_count(before.capacity)} -> {_count(now.capacity)}"
    )
    if sku_changed and before.capacity != now.capacity:
        what += f", capacity {_count(before.capacity)} -> {_count(now.capacity)}"
    then = (
        CostImpact(
            before.monthly_usd,
            f"{format_usd(before.monthly_usd)}/month at the previous scan",
            Confidence.EXACT,
        )
        if before.monthly_usd is not None
        else CostImpact.unknown("its cost at the previous scan was not known")
    )
    cost = _difference(deployment, _own_cost(deployment, inventory, now), then, "now", "at the previous scan")
    return _finding(
        CHANGED_RULE,
        "A deployment's type or capacity changed",
        Severity.MEDIUM,
        deployment,
        f"{label}: {what} {since}",
        "Confirm the change was intended: a move to or from provisioned throughput changes how the "
        "deployment is billed (by the hour for PTUs, by the token otherwise).",
        cost,
        evidence,
    )


def _hosting_started(
    deployment: Resource, label: str, what: str, cost: CostImpact, evidence: AnomalyEvidence
) -> Finding:
    return _finding(
        FINE_TUNE_RULE,
        "A fine-tuned deployment's hosting started",
        Severity.MEDIUM,
        deployment,
        f"{label}: fine-tuned deployment {what}; its hosting is billed by the hour whether used or not"
        + (f" ({format_usd(cost.monthly_usd)}/month)" if cost.monthly_usd is not None else ""),
        "Confirm the fine-tune is meant to be hosted; delete the deployment when it is not in use "
        "(the model stays available to redeploy).",
        cost,
        dataclasses.replace(evidence, kind="fine-tune-hosting-started"),
    )


# --------------------------------------------------------------------------- plumbing


def _own_cost(deployment: Resource, inventory: Inventory, snapshot: DeploymentSnapshot) -> CostImpact:
    if snapshot.monthly_usd is None:
        return CostImpact.unknown("the deployment's monthly cost is not known (pay-per-token, usage unknown)")
    return CostImpact(
        snapshot.monthly_usd,
        f"its monthly cost as priced by this scan: {format_usd(snapshot.monthly_usd)}",
        Confidence.ESTIMATE,
        (
            CostLine(
                deployment.key, snapshot.monthly_usd, "monthly cost of the deployment", Confidence.ESTIMATE
            ),
        ),
    )


def _difference(
    deployment: Resource, now: CostImpact, then: CostImpact, now_what: str, then_what: str
) -> CostImpact:
    """``now - then`` with both bases, unknown when either is."""
    if now.monthly_usd is None or then.monthly_usd is None:
        which = now if now.monthly_usd is None else then
        return CostImpact.unknown(f"the run-rate difference is unknown: {which.basis}")
    delta = round(now.monthly_usd - then.monthly_usd, 2)
    confidence = Confidence.ESTIMATE
    basis = (
        f"{format_usd(now.monthly_usd)} {now_what} ({now.basis}) - "
        f"{format_usd(then.monthly_usd)} {then_what} ({then.basis})"
    )
    prices = tuple({id(p): p for p in (*now.prices, *then.prices)}.values())
    return CostImpact(delta, basis, confidence, (CostLine(deployment.key, delta, basis, confidence, prices),))


def _finding(
    rule_id: str,
    title: str,
    severity: Severity,
    deployment: Resource,
    message: str,
    remediation: str,
    cost: CostImpact,
    evidence: AnomalyEvidence,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        title=title,
        category=CATEGORY,
        severity=severity,
        outcome=Outcome.VIOLATION,
        message=message,
        remediation=remediation,
        resource=deployment,
        cost=cost,
        description=__doc__,
        references=(REFERENCE,),
        anomaly=evidence,
    )


def _label(deployment: Resource, inventory: Inventory) -> str:
    parent = inventory.parent(deployment)
    name = str(deployment.name)
    return f"{parent.name}/{name}" if parent is not None else name


def _count(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:,.0f}" if float(value).is_integer() or value >= 100 else f"{value:,.2f}"


def _created_at(deployment: Resource) -> datetime | None:
    value = armpath.get(deployment.body, "systemData.createdAt")
    if not isinstance(value, str):
        return None
    try:
        created = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return created if created.tzinfo is not None else created.replace(tzinfo=UTC)
