"""Observed usage of many accounts: metric definitions per kind, then batch metrics calls.

For the accounts that hold deployments:

1. per account kind (``OpenAI``, ``AIServices``), the metric names its
   accounts publish (one metric definitions call for the kind; the next
   account of the kind is asked when one cannot answer) decide which names
   are asked (:func:`aigov.live.metrics.choose_names`);
2. the accounts are grouped by subscription and region, and each group is
   read in batches of up to :data:`~aigov.live.metrics.BATCH_SIZE` accounts,
   one ``metrics:getBatch`` call each, so the number of calls is
   ``ceil(accounts per subscription and region / 50)``. A batch asks for the
   names any of its accounts publishes; each account's answer is read for
   its own kind's names only (a name it does not publish answers zeros);
3. a batch that fails after the retries (or leaves an account out of its
   answer) is retried one account at a time; an account whose own call fails
   too is listed as not scanned (``<account id> (metrics)``). A timeout is
   not retried per account: a silent endpoint costs one timeout per batch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    ServiceRequestTimeoutError,
    ServiceResponseTimeoutError,
)

from aigov.live import metrics
from aigov.live.client import ClientFactory, normalise_region
from aigov.live.deployments import split_account_id
from aigov.live.reasons import reason
from aigov.model import Resource

DEFINITION_TRIES: Final = 3  # accounts of one kind asked for its metric definitions before giving up

Job = tuple[str, Callable[[], Any], Any]
Runner = Callable[[Sequence[Job], str], list[tuple[str, tuple[Any, Any]]]]
"""Runs jobs on the scan's bounded pool: each ``(scope, (subject, result or exception))``, in job order."""


@dataclass(slots=True)
class Observation:
    """What the metrics told: usage by deployment key, warnings, and the accounts not read."""

    usage: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    failed: list[tuple[Resource, str]] = field(default_factory=list)  # (account, reason)
    # Daily points by deployment key, then metric (requests, prompt_tokens, completion_tokens): anomalies.
    series: dict[str, dict[str, list[tuple[datetime, float]]]] = field(default_factory=dict)


def observe(
    clients: ClientFactory,
    accounts: Sequence[tuple[Resource, Sequence[Resource]]],
    *,
    now: datetime,
    window_days: int,
    run: Runner,
) -> Observation:
    """Read the usage of every deployment of ``accounts`` (each with its deployments)."""
    out = Observation()
    wanted = [(a, d) for a, d in accounts if d]
    if not wanted:
        return out
    names = _names_by_kind(clients, wanted, run, out)

    groups: dict[tuple[str, str], list[tuple[Resource, Sequence[Resource]]]] = {}
    for account, found in wanted:
        if _kind(account) not in names:
            continue  # its kind's definitions could not be read: already listed as not scanned
        subscription, _, _ = split_account_id(account.address)
        region = normalise_region(str(account.location))
        groups.setdefault((subscription.lower(), region), []).append((account, found))

    batches: list[Job] = []
    for (_, region), members in sorted(groups.items()):
        members.sort(key=lambda item: item[0].address.lower())
        for start in range(0, len(members), metrics.BATCH_SIZE):
            chunk = members[start : start + metrics.BATCH_SIZE]
            batch = functools.partial(_read, clients, region, chunk, names, now, window_days)
            batches.append((f"metrics batch of {len(chunk)} in {region}", batch, chunk))

    retry: list[tuple[Resource, Sequence[Resource]]] = []
    for _, (chunk, outcome) in run(batches, "Reading usage metrics"):
        if isinstance(outcome, BaseException):
            error = _raise_unless_azure(outcome)
            if isinstance(error, ServiceRequestTimeoutError | ServiceResponseTimeoutError):
                out.failed.extend((account, reason(error)) for account, _ in chunk)
            else:
                retry.extend(chunk)
            continue
        read: dict[str, _AccountUse] = outcome
        for account, found in chunk:
            if _id(account) in read:
                _merge(out, read[_id(account)])
            else:
                retry.append((account, found))

    singles: list[Job] = []
    for account, found in retry:
        region = normalise_region(str(account.location))
        single = functools.partial(_read, clients, region, [(account, found)], names, now, window_days)
        singles.append((account.address, single, (account, found)))
    for _, ((account, _), outcome) in run(singles, "Reading usage metrics one account at a time"):
        if isinstance(outcome, BaseException):
            out.failed.append((account, reason(_raise_unless_azure(outcome))))
            continue
        if _id(account) in outcome:
            _merge(out, outcome[_id(account)])
        else:
            out.failed.append((account, "the batch metrics answer left the account out"))
    return out


def _names_by_kind(
    clients: ClientFactory,
    wanted: Sequence[tuple[Resource, Sequence[Resource]]],
    run: Runner,
    out: Observation,
) -> dict[str, metrics.MetricNames]:
    """The metric names to ask, per account kind; the accounts of a kind that cannot tell are failed."""
    by_kind: dict[str, list[Resource]] = {}
    for account, _ in wanted:
        by_kind.setdefault(_kind(account), []).append(account)
    jobs: list[Job] = [
        (
            kind,
            functools.partial(_definitions, clients, sorted(members, key=lambda a: a.address.lower())),
            kind,
        )
        for kind, members in sorted(by_kind.items())
    ]
    names: dict[str, metrics.MetricNames] = {}
    for _, (kind, outcome) in run(jobs, "Reading metric definitions"):
        if isinstance(outcome, BaseException):
            error = _raise_unless_azure(outcome)
            why = f"the metric definitions of its kind ({kind}) could not be read: {reason(error)}"
            out.failed.extend((account, why) for account in by_kind[kind])
            continue
        names[kind] = metrics.choose_names(outcome)
    return names


def _definitions(clients: ClientFactory, members: Sequence[Resource]) -> set[str]:
    """The metric names published by the first of ``members`` that answers; raises the last error."""
    error: AzureError | None = None
    for account in members[:DEFINITION_TRIES]:
        try:
            return metrics.published_metrics(clients, account)
        except ClientAuthenticationError:
            raise
        except AzureError as exc:
            error = exc
    assert error is not None  # members is never empty
    raise error


def _read(
    clients: ClientFactory,
    region: str,
    chunk: Sequence[tuple[Resource, Sequence[Resource]]],
    names: Mapping[str, metrics.MetricNames],
    now: datetime,
    window_days: int,
) -> dict[str, _AccountUse]:
    """One batch call for ``chunk``, asking every name its accounts' kinds publish, and what each
    account's answer tells (read here, on the worker thread, while other calls are in flight)."""
    most = max(len(found) for _, found in chunk)
    query = metrics.build_query(now, window_days, most)
    kinds = {_kind(account) for account, _ in chunk}
    asked = [m for m in metrics.all_names() if any(m in names[k].asked for k in kinds)]
    answers = metrics.fetch_batch(clients, region, [account.address for account, _ in chunk], asked, query)
    return {
        _id(account): _use(account, found, answers[_id(account)], names[_kind(account)], now, window_days)
        for account, found in chunk
        if _id(account) in answers
    }


@dataclass(slots=True)
class _AccountUse:
    """What one account's metrics answer tells, before it joins the :class:`Observation`."""

    usage: dict[str, dict[str, Any]] = field(default_factory=dict)
    series: dict[str, dict[str, list[tuple[datetime, float]]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _use(
    account: Resource,
    found: Sequence[Resource],
    values: Any,
    names: metrics.MetricNames,
    now: datetime,
    window_days: int,
) -> _AccountUse:
    """Turn one account's answer into usage per deployment, and say what it left unknown."""
    out = _AccountUse()
    query = metrics.build_query(now, window_days, len(found))
    answer = metrics.parse(values, names)
    for deployment in found:
        usage = metrics.usage_for(deployment, answer, query, window_days)
        if usage is not None:
            out.usage[deployment.key] = usage
        out.series[deployment.key] = metrics.daily_series(deployment, answer)
    gap = answer.requests_gap or answer.utilisation_gap
    if gap is not None:
        which = "idle and utilisation" if answer.requests_gap else "utilisation"
        out.notes.append(
            f"metrics of {account.address}: no data ({gap}); {which} rules undetermined for its deployments"
        )
    tokens = answer.gap(metrics.PROMPT_TOKENS) or answer.gap(metrics.COMPLETION_TOKENS)
    if tokens is not None:
        out.notes.append(
            f"metrics of {account.address}: token counts unknown ({tokens}); "
            "its pay-per-token deployments are not priced from observed usage"
        )
    return out


def _merge(out: Observation, read: _AccountUse) -> None:
    out.usage.update(read.usage)
    out.series.update(read.series)
    out.notes.extend(read.notes)


def _kind(account: Resource) -> str:
    return str(account.body.get("kind") or "").lower()


def _id(account: Resource) -> str:
    return "/" + account.address.strip("/").lower()


def _raise_unless_azure(error: BaseException) -> AzureError:
    """``error`` when it is an Azure call's failure; anything else (a bug, a failed sign-in) is raised."""
    if isinstance(error, ClientAuthenticationError) or not isinstance(error, AzureError):
        raise error
    return error
