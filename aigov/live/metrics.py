"""Azure OpenAI usage per deployment, from Azure Monitor's batch metrics API.

Azure OpenAI publishes its metrics on the account, split by the
``ModelDeploymentName`` dimension. One ``metrics:getBatch`` call (through
``azure-monitor-querymetrics``' :class:`~azure.monitor.querymetrics.MetricsClient`,
on the accounts' regional endpoint) reads up to :data:`BATCH_SIZE` accounts of
one subscription and region at a daily grain, with
``filter=ModelDeploymentName eq '*'`` and ``top`` above the number of
deployments, so every deployment gets its own series without a call of its own.

Which metric names are asked for depends on what the account publishes
(:func:`choose_names` over its metric definitions, read once per account kind):
accounts publish the Azure OpenAI names (``AzureOpenAIRequests``,
``ProcessedPromptTokens``, ``GeneratedTokens``,
``AzureOpenAIProvisionedManagedUtilizationV2``) or the newer model names
(``ModelRequests``, ``InputTokens``, ``OutputTokens``, ``ProvisionedUtilization``).
A metric an account does not publish reads as a series of zeros, which would
make a busy deployment look idle; so a quantity without a published name is
unknown for the account, never zero.

A deployment that has no series in an answer that tells a metric had no
traffic; an answer that says "no data" (an ``errorCode`` other than
``Success``, the metric missing, points without values, another shape) leaves
that quantity unknown instead, so the rules needing it are undetermined and
the cost it would price is unknown.

The call covers a look-back (at least 30 days) longer than the rule window,
so an idle deployment's idle days can be counted beyond the window. What
the rules and the cost model see (``context.usage``, by deployment key):

=========================  =====================================================
``requests``               total requests over the last ``window_days`` days
``window_days``            the window (``--window-days``)
``idle_days``              consecutive days without a request, up to now (capped at
                           the deployment's age when ARM says when it was created)
``lookback_days``          how far back ``idle_days`` could look
``utilisation_pct``        provisioned deployments: mean daily utilisation over the
                           window (0 when the deployment served no request at all)
``requests_30d``           requests over the last 30 days (unit economics)
``prompt_tokens_30d``      prompt tokens over the last 30 days
``completion_tokens_30d``  completion tokens over the last 30 days
``*_tokens_30d_metric``    the metric name each token count was read from
=========================  =====================================================

The token totals are given together or not at all: the 30-day run-rate of
:func:`aigov.cost.usage.observed_usage` prices pay-per-token deployments.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from azure.core.rest import HttpRequest

from aigov import armpath
from aigov.cost.model import PROVISIONED_SKUS
from aigov.cost.usage import COMPLETION_TOKENS_30D, PROMPT_TOKENS_30D, REQUESTS_30D
from aigov.live.client import ClientFactory, send_json
from aigov.live.deployments import split_account_id
from aigov.live.guard import UnreadablePageError, walk
from aigov.model import Resource

NAMESPACE: Final = "Microsoft.CognitiveServices/accounts"
DIMENSION: Final = "ModelDeploymentName"
BATCH_SIZE: Final = 50  # metrics:getBatch takes up to 50 resource ids of one subscription, region and type
BATCH_API_VERSION: Final = "2024-02-01"  # azure-monitor-querymetrics 1.0's default
MIN_LOOKBACK_DAYS: Final = 30
RUN_RATE_DAYS: Final = 30  # the token and request totals that price usage (aigov.cost.usage.OBSERVED_HOURS)
MIN_TOP: Final = 100


@dataclass(frozen=True, slots=True)
class Quantity:
    """What aigov reads, and the metric names that publish it, preferred first."""

    key: str
    names: tuple[str, ...]
    field: str  # the aggregation read: "total" or "average"


REQUESTS: Final = Quantity("requests", ("AzureOpenAIRequests", "ModelRequests"), "total")
PROMPT_TOKENS: Final = Quantity("prompt tokens", ("ProcessedPromptTokens", "InputTokens"), "total")
COMPLETION_TOKENS: Final = Quantity("completion tokens", ("GeneratedTokens", "OutputTokens"), "total")
UTILISATION: Final = Quantity(
    "utilisation", ("AzureOpenAIProvisionedManagedUtilizationV2", "ProvisionedUtilization"), "average"
)
QUANTITIES: Final = (REQUESTS, PROMPT_TOKENS, COMPLETION_TOKENS, UTILISATION)


@dataclass(frozen=True, slots=True)
class MetricNames:
    """The metric name asked for each quantity (by :attr:`Quantity.key`); ``None``: not published."""

    chosen: Mapping[str, str | None]

    @property
    def asked(self) -> tuple[str, ...]:
        """The metric names of one batch call, in :data:`QUANTITIES` order."""
        return tuple(name for q in QUANTITIES if (name := self.chosen.get(q.key)) is not None)

    def name(self, quantity: Quantity) -> str | None:
        return self.chosen.get(quantity.key)


def all_names() -> tuple[str, ...]:
    """Every metric name aigov may ask for, in :data:`QUANTITIES` order (the order of a batch's names)."""
    return tuple(name for q in QUANTITIES for name in q.names)


def choose_names(published: Iterable[str]) -> MetricNames:
    """For each quantity, the first of its names that ``published`` (an account's definitions) holds."""
    have = {name.lower() for name in published}
    return MetricNames({q.key: next((n for n in q.names if n.lower() in have), None) for q in QUANTITIES})


def published_metrics(clients: ClientFactory, account: Resource) -> set[str]:
    """The metric names ``account`` publishes (its metric definitions, through ARM).

    Raises the SDK's errors.
    """
    subscription, _, _ = split_account_id(account.address)
    client = clients.monitor(subscription)
    with walk(clients.retry.max_pages):
        return {
            str(definition.name.value)
            for definition in client.metric_definitions.list(
                account.address.strip("/"), metricnamespace=NAMESPACE
            )
            if definition.name is not None and definition.name.value
        }


@dataclass(frozen=True, slots=True)
class MetricsQuery:
    """The parameters of a batch metrics call, the same for every account of a scan."""

    interval: str
    filter: str
    top: int
    start: datetime
    end: datetime


def build_query(now: datetime, window_days: int, deployments: int) -> MetricsQuery:
    """The metrics call for accounts with at most ``deployments`` deployments each, ending at ``now``."""
    end = now.astimezone(UTC).replace(second=0, microsecond=0)
    start = end - timedelta(days=max(window_days, MIN_LOOKBACK_DAYS))
    return MetricsQuery(
        interval="P1D",
        filter=f"{DIMENSION} eq '*'",
        # `top` caps the number of series per metric and resource (one per deployment); the default is 10.
        top=max(MIN_TOP, 2 * deployments),
        start=start,
        end=end,
    )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch_batch(
    clients: ClientFactory,
    region: str,
    account_ids: Sequence[str],
    names: Sequence[str],
    query: MetricsQuery,
) -> dict[str, Any]:
    """One ``metrics:getBatch`` call: each account's metric list, by lower-case account id.

    The accounts share one subscription and region; ``names`` are those any of
    them publishes (a name an account does not publish answers zeros for it,
    which :func:`parse` never reads: it reads the account's own names). Sent through the
    :class:`~azure.monitor.querymetrics.MetricsClient`'s own pipeline
    (``send_request``: its credential, retry and call-counting policies, the
    regional endpoint) but read as JSON: the SDK's result models keep
    neither the resource id of each value nor a metric's ``errorCode``, and
    build an object per daily point. An account the answer leaves out is not
    in the result. Raises the SDK's errors (:class:`HttpResponseError`), and
    :class:`~aigov.live.guard.UnreadablePageError` for a body that is not JSON
    or not a batch answer.
    """
    subscription, _, _ = split_account_id(account_ids[0])
    request = HttpRequest(
        "POST",
        f"/subscriptions/{subscription}/metrics:getBatch",
        params={
            "api-version": BATCH_API_VERSION,
            "metricnamespace": NAMESPACE,
            "metricnames": ",".join(names),
            "starttime": _iso(query.start),
            "endtime": _iso(query.end),
            "interval": query.interval,
            "aggregation": "total,average",
            "top": query.top,
            "filter": query.filter,
        },
        json={"resourceids": ["/" + a.strip("/") for a in account_ids]},
    )
    try:
        answer = send_json(clients.metrics(region), request, arm_error=False)
    except ValueError as exc:
        raise UnreadablePageError(f"the batch metrics answer is not JSON: {exc}") from None
    values = answer.get("values") if isinstance(answer, dict) else None
    if not isinstance(values, list):
        raise UnreadablePageError("the batch metrics answer has no list of values")
    out: dict[str, Any] = {}
    for item in _dicts(values):
        resource_id = item.get("resourceid")
        if isinstance(resource_id, str):
            out["/" + resource_id.strip("/").lower()] = item.get("value")
    return out


@dataclass(frozen=True, slots=True)
class _Series:
    points: dict[str, dict[datetime, float]] = field(default_factory=dict)  # quantity key -> daily points

    def of(self, quantity: Quantity) -> dict[datetime, float]:
        return self.points.get(quantity.key, {})


@dataclass(frozen=True, slots=True)
class MetricsAnswer:
    """Daily points per deployment name (lower case), and why a quantity is not known, if it is not.

    ``gaps`` holds, per :attr:`Quantity.key`, why the answer does not tell
    it (absent: it does). A 200 can still say "no data": an ``errorCode``
    other than ``Success``, the metric missing, series whose points carry no
    value, a body of another shape; and a metric the account does not
    publish is never asked for. A deployment without a series in an
    answer that does tell the quantity had none of it.
    """

    series: dict[str, _Series]
    gaps: Mapping[str, str] = field(default_factory=dict)
    names: MetricNames | None = None  # the names read, per quantity

    def gap(self, quantity: Quantity) -> str | None:
        return self.gaps.get(quantity.key)

    @property
    def requests_gap(self) -> str | None:
        return self.gap(REQUESTS)

    @property
    def utilisation_gap(self) -> str | None:
        return self.gap(UTILISATION)


def parse(values: Any, names: MetricNames) -> MetricsAnswer:
    """What one account's metric list tells, per deployment, and what it leaves unknown."""
    gaps: dict[str, str] = {}
    if not isinstance(values, list):
        reason = "the answer has no list of metrics"
        return MetricsAnswer({}, {q.key: reason for q in QUANTITIES})
    series: dict[str, _Series] = {}
    for quantity in QUANTITIES:
        name = names.name(quantity)
        if name is None:
            gaps[quantity.key] = (
                f"the account publishes none of {', '.join(quantity.names)} (its metric definitions)"
            )
            continue
        gap = _read_metric(_metric(values, name), name, quantity, series)
        if gap is not None:
            gaps[quantity.key] = gap
    return MetricsAnswer(series, gaps, names)


def _metric(values: list[Any], name: str) -> Mapping[str, Any] | None:
    for metric in _dicts(values):
        if str(_dict(metric.get("name")).get("value") or "").lower() == name.lower():
            return metric
    return None


def _read_metric(
    metric: Mapping[str, Any] | None, name: str, quantity: Quantity, series: dict[str, _Series]
) -> str | None:
    """Add ``metric``'s points to ``series``; the reason it tells nothing, or ``None``."""
    if metric is None:
        return f"{name} is not in the answer"
    code = metric.get("errorCode")
    if code is not None and str(code).lower() != "success":
        detail = metric.get("errorMessage")
        return f"{name} answered {code}" + (f": {detail}" if isinstance(detail, str) and detail else "")
    timeseries = metric.get("timeseries")
    if timeseries is None:
        timeseries = []
    if not isinstance(timeseries, list):
        return f"{name} has no list of time series"
    values = 0
    for element in _dicts(timeseries):
        deployment = _dimension(_dicts(element.get("metadatavalues")))
        if deployment is None:
            continue
        points = series.setdefault(deployment.lower(), _Series()).points.setdefault(quantity.key, {})
        for point in _dicts(element.get("data")):
            value, stamp = point.get(quantity.field), _timestamp(point.get("timeStamp"))
            if not isinstance(value, int | float) or isinstance(value, bool) or stamp is None:
                continue
            if not math.isfinite(value):
                continue
            values += 1
            if quantity.field == "total":
                points[stamp] = points.get(stamp, 0.0) + float(value)
            else:
                points[stamp] = float(value)
    if timeseries and values == 0:
        return f"{name} has time series without a single value"
    return None


def _dicts(value: Any) -> Iterable[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else ()


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return _parse_timestamp(value)


@functools.lru_cache(maxsize=4096)
def _parse_timestamp(value: str) -> datetime | None:
    """A point's time stamp in UTC; cached, since every series of an answer repeats the same days."""
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)).astimezone(UTC)


def _dimension(values: Iterable[Mapping[str, Any]]) -> str | None:
    for value in values:
        key = _dict(value.get("name")).get("value")
        found = value.get("value")
        if isinstance(key, str) and key.lower() == DIMENSION.lower() and isinstance(found, str):
            return found
    return None


def usage_for(
    deployment: Resource,
    answer: MetricsAnswer,
    query: MetricsQuery,
    window_days: int,
) -> dict[str, Any] | None:
    """The ``context.usage`` metrics of one deployment of the queried account.

    ``None`` when the answer tells neither its requests nor its tokens. Without
    requests, ``requests``, ``idle_days`` and ``utilisation_pct`` are left out
    (unknown: the idle and utilisation rules are undetermined); without both
    token counts, the token totals are left out (the deployment's token cost is
    not priced from observation).
    """
    name = deployment.name if isinstance(deployment.name, str) else ""
    observed = answer.series.get(name.lower(), _Series())
    window_start = query.end - timedelta(days=window_days)
    run_rate_start = query.end - timedelta(days=RUN_RATE_DAYS)
    usage: dict[str, Any] = {}
    if answer.requests_gap is None:
        requests = observed.of(REQUESTS)
        in_window = sum(v for t, v in requests.items() if t >= window_start)
        lookback_days = (query.end - query.start).days
        idle_days = _idle_days(requests, query, lookback_days)
        created = _created_at(deployment)
        if created is not None:
            age_days = max(0, math.floor((query.end - created).total_seconds() / 86400))
            idle_days = min(idle_days, age_days)
        usage.update(
            requests=_whole(in_window),
            window_days=window_days,
            idle_days=idle_days,
            lookback_days=lookback_days,
        )
        usage[REQUESTS_30D] = _whole(sum(v for t, v in requests.items() if t >= run_rate_start))
        sku = armpath.get(deployment.body, "sku.name")
        if isinstance(sku, str) and sku.casefold() in PROVISIONED_SKUS and answer.utilisation_gap is None:
            points = [v for t, v in observed.of(UTILISATION).items() if t >= window_start]
            if points:
                usage["utilisation_pct"] = round(sum(points) / len(points), 2)
            elif in_window == 0:
                # No request and no utilisation sample: the capacity sat unused.
                usage["utilisation_pct"] = 0.0
    if answer.gap(PROMPT_TOKENS) is None and answer.gap(COMPLETION_TOKENS) is None:
        for quantity, key in ((PROMPT_TOKENS, PROMPT_TOKENS_30D), (COMPLETION_TOKENS, COMPLETION_TOKENS_30D)):
            usage[key] = _whole(sum(v for t, v in observed.of(quantity).items() if t >= run_rate_start))
            metric = answer.names.name(quantity) if answer.names is not None else None
            if metric is not None:
                usage[f"{key}_metric"] = metric  # the name the formula shows: accounts differ
    return usage or None


def _whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _idle_days(requests: Mapping[datetime, float], query: MetricsQuery, lookback_days: int) -> int:
    """Days since the last daily bucket with a request (the whole look-back when there is none)."""
    active = [t for t, v in requests.items() if v > 0]
    if not active:
        return lookback_days
    last_bucket_end = max(active) + timedelta(days=1)
    return max(0, math.floor((query.end - last_bucket_end).total_seconds() / 86400))


def _created_at(deployment: Resource) -> datetime | None:
    value = armpath.get(deployment.body, "systemData.createdAt")
    if not isinstance(value, str):
        return None
    try:
        created = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return created if created.tzinfo is not None else created.replace(tzinfo=UTC)


def daily_series(deployment: Resource, answer: MetricsAnswer) -> dict[str, list[tuple[datetime, float]]]:
    """The deployment's daily points per metric (``requests``, ``prompt_tokens``, ``completion_tokens``),
    oldest first; a quantity the answer does not tell is left out (for :mod:`aigov.live.anomaly`)."""
    name = deployment.name if isinstance(deployment.name, str) else ""
    observed = answer.series.get(name.lower(), _Series())
    out: dict[str, list[tuple[datetime, float]]] = {}
    if answer.requests_gap is None:
        out["requests"] = sorted(observed.of(REQUESTS).items())
    if answer.gap(PROMPT_TOKENS) is None and answer.gap(COMPLETION_TOKENS) is None:
        out["prompt_tokens"] = sorted(observed.of(PROMPT_TOKENS).items())
        out["completion_tokens"] = sorted(observed.of(COMPLETION_TOKENS).items())
    return out
