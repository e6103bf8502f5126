"""Azure OpenAI usage per deployment, from ONE Azure Monitor call per account.

Azure OpenAI publishes its metrics on the account, split by the
``ModelDeploymentName`` dimension. One metrics call per account asks
for ``AzureOpenAIRequests`` (Total) and
``AzureOpenAIProvisionedManagedUtilizationV2`` (Average) at a daily grain,
with ``$filter=ModelDeploymentName eq '*'`` and ``top`` raised above the
number of deployments, so every deployment gets its own time series without a
call of its own. A deployment that has no series in the answer had no
traffic at all; an answer that says "no data" (an ``errorCode`` other than
``Success``, the metric missing, points without values, another shape)
leaves its usage unknown instead, so the idle rules are undetermined.

The call covers a look-back (at least 30 days) longer than the rule window,
so an idle deployment's idle days can be counted beyond the window. What
the rules see (``context.usage``, by deployment key):

=====================  =========================================================
``requests``           total requests over the last ``window_days`` days
``window_days``        the window (``--window-days``)
``idle_days``          consecutive days without a request, up to now (capped at
                       the deployment's age when ARM says when it was created)
``lookback_days``      how far back ``idle_days`` could look
``utilisation_pct``    provisioned deployments: mean daily utilisation over the
                       window (0 when the deployment served no request at all)
=====================  =========================================================
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    map_error,
)
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from aigov import armpath
from aigov.cost.model import PROVISIONED_SKUS
from aigov.live.client import ClientFactory
from aigov.live.deployments import split_account_id
from aigov.live.guard import UnreadablePageError
from aigov.model import Resource

REQUESTS: Final = "AzureOpenAIRequests"
UTILISATION: Final = "AzureOpenAIProvisionedManagedUtilizationV2"
PROMPT_TOKENS: Final = "ProcessedPromptTokens"
COMPLETION_TOKENS: Final = "GeneratedTokens"
DIMENSION: Final = "ModelDeploymentName"
MIN_LOOKBACK_DAYS: Final = 30
MIN_TOP: Final = 100
API_VERSION: Final = "2024-02-01"  # azure-mgmt-monitor 7's metrics.list
# What the SDK's operations raise for these statuses (the scan treats an authentication failure apart).
_ERROR_MAP: Final = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    304: ResourceNotModifiedError,
}


@dataclass(frozen=True, slots=True)
class MetricsQuery:
    """The parameters of the one metrics call for an account."""

    timespan: str
    interval: str
    metricnames: str
    aggregation: str
    filter: str
    top: int
    start: datetime
    end: datetime


def build_query(now: datetime, window_days: int, deployments: int) -> MetricsQuery:
    """The metrics call for an account with ``deployments`` deployments, ending at ``now``."""
    end = now.astimezone(UTC).replace(second=0, microsecond=0)
    start = end - timedelta(days=max(window_days, MIN_LOOKBACK_DAYS))
    return MetricsQuery(
        timespan=f"{_iso(start)}/{_iso(end)}",
        interval="P1D",
        metricnames=f"{REQUESTS},{UTILISATION},{PROMPT_TOKENS},{COMPLETION_TOKENS}",
        aggregation="Total,Average",
        filter=f"{DIMENSION} eq '*'",
        # `top` caps the number of series (one per deployment); the default is 10.
        top=max(MIN_TOP, 2 * deployments),
        start=start,
        end=end,
    )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch(clients: ClientFactory, account: Resource, query: MetricsQuery) -> Any:
    """The account's metrics answer, as the JSON Azure Monitor returned (any shape: see :func:`parse`).

    Sent through the Monitor client's own pipeline (``_send_request``: the same
    credential, retry and call-counting policies as ``metrics.list``), but
    read as JSON: the SDK's model deserialisation of a daily series per
    deployment cost more CPU than all the rest of the scan.
    Raises the SDK's errors (:class:`HttpResponseError` with ARM's error code), and
    :class:`~aigov.live.guard.UnreadablePageError` for a body that is not JSON.
    """
    subscription, _, _ = split_account_id(account.address)
    request = HttpRequest(
        "GET",
        f"/{account.address.strip('/')}/providers/Microsoft.Insights/metrics",
        params={
            "timespan": query.timespan,
            "interval": query.interval,
            "metricnames": query.metricnames,
            "aggregation": query.aggregation,
            "top": query.top,
            "$filter": query.filter,
            "api-version": API_VERSION,
        },
    )
    # `_send_request` is the generated client's documented raw-request entry point
    # (https://aka.ms/azsdk/dpcodegen/python/send_request); mgmt clients keep the underscore.
    try:
        response = clients.monitor(subscription)._send_request(request)
    except DecodeError as exc:
        raise UnreadablePageError(f"the metrics answer is not JSON: {exc}") from None
    if response.status_code != 200:
        map_error(status_code=response.status_code, response=response, error_map=_ERROR_MAP)
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    try:
        return response.json()
    except ValueError as exc:
        raise UnreadablePageError(f"the metrics answer is not JSON: {exc}") from None


@dataclass(frozen=True, slots=True)
class _Series:
    requests: dict[datetime, float]
    utilisation: dict[datetime, float]
    prompt_tokens: dict[datetime, float] = field(default_factory=dict)
    completion_tokens: dict[datetime, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MetricsAnswer:
    """Daily points per deployment name (lower case), and why a metric is not known, if it is not.

    ``requests_gap`` / ``utilisation_gap`` say why the answer does not tell
    that metric (``None``: it does). A 200 can still say "no data": an
    ``errorCode`` other than ``Success``, the metric missing, series whose
    points carry no value, a body of another shape. A deployment without a
    series in an answer that does tell the metric had no traffic.
    """

    series: dict[str, _Series]
    requests_gap: str | None = None
    utilisation_gap: str | None = None
    tokens_gap: str | None = None


def parse(answer: Any) -> MetricsAnswer:
    """What a metrics answer tells, per deployment, and what it leaves unknown."""
    values = answer.get("value") if isinstance(answer, dict) else None
    if not isinstance(values, list):
        reason = "the answer has no list of metrics"
        return MetricsAnswer({}, reason, reason)
    series: dict[str, _Series] = {}
    gaps: dict[str, str | None] = {}
    for metric, aggregation, target in _METRICS:
        gaps[metric] = _read_metric(_metric(values, metric), metric, aggregation, target, series)
    return MetricsAnswer(
        series, gaps[REQUESTS], gaps[UTILISATION], gaps[PROMPT_TOKENS] or gaps[COMPLETION_TOKENS]
    )


# Metric, the aggregation read, and the _Series field its points go to.
_METRICS: Final = (
    (REQUESTS, "total", "requests"),
    (UTILISATION, "average", "utilisation"),
    (PROMPT_TOKENS, "total", "prompt_tokens"),
    (COMPLETION_TOKENS, "total", "completion_tokens"),
)


def _metric(values: list[Any], name: str) -> Mapping[str, Any] | None:
    for metric in _dicts(values):
        if str(_dict(metric.get("name")).get("value") or "").lower() == name.lower():
            return metric
    return None


def _read_metric(
    metric: Mapping[str, Any] | None, name: str, aggregation: str, target: str, series: dict[str, _Series]
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
        entry = series.setdefault(deployment.lower(), _Series({}, {}))
        for point in _dicts(element.get("data")):
            value, stamp = point.get(aggregation), _timestamp(point.get("timeStamp"))
            if not isinstance(value, int | float) or isinstance(value, bool) or stamp is None:
                continue
            if not math.isfinite(value):
                continue
            values += 1
            points: dict[datetime, float] = getattr(entry, target)
            if aggregation == "total":
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

    ``None`` when the answer does not tell its requests: every usage metric
    is then unknown and the idle and utilisation rules undetermined.
    """
    if answer.requests_gap is not None:
        return None
    name = deployment.name if isinstance(deployment.name, str) else ""
    observed = answer.series.get(name.lower(), _Series({}, {}))
    window_start = query.end - timedelta(days=window_days)
    requests = sum(v for t, v in observed.requests.items() if t >= window_start)
    lookback_days = (query.end - query.start).days
    idle_days = _idle_days(observed.requests, query, lookback_days)
    created = _created_at(deployment)
    if created is not None:
        age_days = max(0, math.floor((query.end - created).total_seconds() / 86400))
        idle_days = min(idle_days, age_days)
    usage: dict[str, Any] = {
        "requests": int(requests) if float(requests).is_integer() else requests,
        "window_days": window_days,
        "idle_days": idle_days,
        "lookback_days": lookback_days,
    }
    sku = armpath.get(deployment.body, "sku.name")
    if isinstance(sku, str) and sku.casefold() in PROVISIONED_SKUS and answer.utilisation_gap is None:
        points = [v for t, v in observed.utilisation.items() if t >= window_start]
        if points:
            usage["utilisation_pct"] = round(sum(points) / len(points), 2)
        elif requests == 0:
            # No request and no utilisation sample: the capacity sat unused.
            usage["utilisation_pct"] = 0.0
    return usage


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
    oldest first; a metric the answer does not tell is left out (for :mod:`aigov.live.anomaly`)."""
    name = deployment.name if isinstance(deployment.name, str) else ""
    observed = answer.series.get(name.lower(), _Series({}, {}))
    out: dict[str, list[tuple[datetime, float]]] = {}
    if answer.requests_gap is None:
        out["requests"] = sorted(observed.requests.items())
    if answer.tokens_gap is None:
        out["prompt_tokens"] = sorted(observed.prompt_tokens.items())
        out["completion_tokens"] = sorted(observed.completion_tokens.items())
    return out
