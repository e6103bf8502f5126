"""Which subscriptions a live scan covers, and which of them it read in full.

The targets are the ``--subscription`` ids the credential can see, or every
active subscription it lists, or the descendants of the management groups.
Resource Graph leaves out, without an error, the subscriptions it cannot
read; so :func:`discover` asks it which ones it does read and names every
target it left out, refused, answered in part (a page that failed, repeated
or never ended) or truncated. Only the subscriptions read in full count as
scanned: their open findings can be "fixed"; the others' are "not re-checked".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from azure.core.exceptions import AzureError, ClientAuthenticationError

from aigov.errors import AigovError
from aigov.live import discovery
from aigov.live.client import ClientFactory
from aigov.live.reasons import reason, refused
from aigov.model import NotScanned

ACTIVE_STATES: Final = frozenset({"enabled", "warned", "pastdue"})
SUBSCRIPTION_LIST: Final = "subscription list"
"""The scope named when the subscriptions list itself stopped early."""


def visible_subscriptions(
    clients: ClientFactory,
    subscriptions: Sequence[str],
    management_groups: Sequence[str],
    warnings: list[str],
    not_scanned: list[NotScanned],
) -> tuple[dict[str, discovery.LiveSubscription], bool]:
    """The subscriptions the credential can see (by lower-case id), and whether the list is complete."""
    listed = discovery.list_subscriptions(clients)
    visible = {s.id.lower(): s for s in listed.subscriptions}
    if listed.error is None:
        return visible, True
    why = reason(listed.error)
    if subscriptions:
        warnings.append(f"subscription names and tags unavailable: {why}")
    elif not visible and not management_groups:
        raise AigovError(f"azure: listing subscriptions failed: {why}")
    elif not management_groups:
        # The subscriptions after the failed page are unknown: the scan cannot claim it saw them all.
        not_scanned.append(NotScanned(SUBSCRIPTION_LIST, f"the list stopped early: {why}"))
    return visible, False


def targets(
    subscriptions: Sequence[str],
    management_groups: Sequence[str],
    visible: Mapping[str, discovery.LiveSubscription],
    complete: bool,
    not_scanned: list[NotScanned],
    warnings: list[str],
) -> list[str]:
    """The subscriptions to query: those given that the credential sees, else every active one it sees."""
    if subscriptions:
        given = []
        for sub in subscriptions:
            if complete and visible and sub.lower() not in visible:
                not_scanned.append(NotScanned(sub, "not visible to the credential (no read access?)"))
            else:
                given.append(sub)
        return given
    enabled = []
    for live in visible.values():
        if active(live):
            enabled.append(live.id)
        else:
            warnings.append(f"subscription {live.display_name or live.id} skipped: it is {live.state}")
    if not enabled and not management_groups:
        raise AigovError("azure: the credential can read no subscription; give --subscription")
    return enabled


def active(live: discovery.LiveSubscription) -> bool:
    """True for a subscription whose state lets it hold running resources."""
    return (live.state or "enabled").lower() in ACTIVE_STATES


def discover(
    clients: ClientFactory,
    groups: Sequence[str],
    targets: Sequence[str],
    visible: Mapping[str, discovery.LiveSubscription],
    not_scanned: list[NotScanned],
    warnings: list[str],
) -> tuple[discovery.GraphResult, set[str]]:
    """The AI resources, and the subscriptions (lower case) Resource Graph read in full.

    Every subscription the scan was meant to cover and Resource Graph did not
    read in full (left out, refused, a page that failed, a truncated answer)
    goes to ``not_scanned``; so does a management group whose subscriptions
    cannot be listed to check Resource Graph's answer against.
    """
    scope: dict[str, Any] = {"management_groups": groups} if groups else {"subscriptions": sorted(targets)}
    graph = discovery.query_resources(clients, **scope)
    # Refused scopes are named as not scanned; a Resource Graph that answers nothing else is down.
    if graph.failed and not all(refused(g.error) for g in graph.gaps):
        error = next((g.error for g in graph.gaps if g.error is not None), None)
        why = reason(error) if error is not None else "no answer"
        raise AigovError(f"azure: Resource Graph query failed: {why}")
    # Scopes already incomplete are not asked again: a silent Resource Graph costs one timeout each.
    gapped = {sub.lower() for gap in graph.gaps for sub in gap.subscriptions}
    if groups:
        check: dict[str, Any] = {} if any(g.management_groups for g in graph.gaps) else scope
    else:
        remaining = [t for t in sorted(targets) if t.lower() not in gapped]
        check = {"subscriptions": remaining} if remaining else {}
    readable, containers = (
        discovery.readable_subscriptions(clients, **check) if check else (set(), discovery.GraphResult())
    )

    expected = {t.lower() for t in targets} if not groups else set(readable)
    for group in groups:
        try:
            members = discovery.management_group_subscriptions(clients, group)
        except ClientAuthenticationError:
            raise
        except AzureError as exc:
            not_scanned.append(
                NotScanned(
                    group,
                    "its subscriptions could not be listed to check that Resource Graph read them all: "
                    + reason(exc),
                )
            )
            continue
        for member in members:
            live = visible.get(member.lower())
            if live is not None and not active(live):
                warnings.append(f"subscription {live.display_name or live.id} skipped: it is {live.state}")
                continue
            expected.add(member.lower())

    incomplete: set[str] = set()
    for gap in [*graph.gaps, *containers.gaps]:
        why = (
            "Resource Graph marked its answer truncated: resources may be missing"
            if gap.error is None
            else f"Resource Graph: {reason(gap.error)}"
        )
        for sub in gap.subscriptions:
            if sub.lower() not in incomplete:
                incomplete.add(sub.lower())
                not_scanned.append(NotScanned(sub, why))
        for group in gap.management_groups:
            not_scanned.append(NotScanned(group, why))
            incomplete.update(expected)
    for sub in sorted(expected - readable - incomplete):
        name = visible.get(sub)
        not_scanned.append(
            NotScanned(
                name.id if name is not None else _original(sub, targets),
                "Resource Graph left it out (no read access for the credential, or not yet indexed)",
            )
        )
    return graph, expected & readable - incomplete


def _original(sub: str, targets: Sequence[str]) -> str:
    return next((t for t in targets if t.lower() == sub), sub)
