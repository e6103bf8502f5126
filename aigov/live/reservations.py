"""``aigov scan azure --reservations``: the PTU reservations the credential can read (Reservations API).

The reservations come from the maintained SDK client (azure-mgmt-reservations,
``Reservation - List All``: every reservation the caller may read in the
tenant, paged), asked for the reserved resource type ``OpenAIPTU`` and kept
only when active (provisioning state ``Succeeded``). Each becomes a
:class:`~aigov.cost.reservations.Reservation` with its quantity, region,
term (``P1M`` or ``P1Y``) and applied scope (shared, one subscription or one
resource group), so the scan nets them from provisioned deployments exactly
as it nets aigov.yaml's ``pricing.reservations``.

What cannot be matched is said, never guessed: a reservation whose SKU names
no deployment type (Global, Data Zone, Regional; they are not
interchangeable), or that is scoped to a management group (the scan does not
know which subscriptions the group holds), is left out with a note. A
credential that may not read reservations (403), or any failure after the
retries, leaves them unread with the reason: the scan warns and falls back to
aigov.yaml's reservations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from azure.core.exceptions import AzureError

from aigov.cost.catalog import normalise_region
from aigov.cost.reservations import TERMS, Reservation, provisioned_type
from aigov.live.client import ClientFactory
from aigov.live.guard import walk
from aigov.live.reasons import reason

RESERVED_TYPE: Final = "OpenAIPTU"
"""The reserved resource type of Azure AI Foundry Provisioned Throughput reservations (Reservations API)."""

FILTER: Final = f"properties/reservedResourceType eq '{RESERVED_TYPE}'"
ACTIVE: Final = "succeeded"


@dataclass(frozen=True, slots=True)
class OwnedReservations:
    """What the Reservations API said: the PTU reservations it can net, and what it left out and why."""

    reservations: tuple[Reservation, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None  # why nothing was read

    @property
    def read(self) -> bool:
        return self.error is None


def read_reservations(clients: ClientFactory) -> OwnedReservations:
    """The active PTU reservations the scan's credential can read."""
    client = clients.reservations()
    kept: list[Reservation] = []
    notes: list[str] = []
    try:
        with walk(clients.retry.max_pages):
            for item in client.reservation.list_all(filter=FILTER):
                outcome = _reservation(item)
                if isinstance(outcome, Reservation):
                    kept.append(outcome)
                elif outcome is not None:
                    notes.append(outcome)
    except AzureError as exc:
        return OwnedReservations(error=reason(exc))
    except (ValueError, TypeError, AttributeError) as exc:
        return OwnedReservations(error=f"an answer of the Reservations API could not be read: {exc}")
    return OwnedReservations(tuple(kept), tuple(notes))


def _reservation(item: Any) -> Reservation | str | None:
    """``item`` as a reservation to net, why it is left out, or None when it is not an active PTU one."""
    props = item.properties
    ident = str(item.id or item.name or "")
    if props is None or _text(props.reserved_resource_type).casefold() != RESERVED_TYPE.casefold():
        return None  # the filter is the API's; another reserved type is not a PTU reservation
    if _text(props.provisioning_state).casefold() != ACTIVE or props.archived:
        return None
    label = props.display_name or item.name or ident
    sku = item.sku.name if item.sku is not None else None
    kind = provisioned_type(" ".join(str(t) for t in (sku, props.sku_description) if t))
    if kind is None:
        return (
            f"reservation {label}: its SKU {sku!r} names no provisioned deployment type (Global, "
            "Data Zone or Regional), so it is not netted; set it in aigov.yaml pricing.reservations"
        )
    term = _text(props.term)
    if term not in TERMS:
        return f"reservation {label}: term {term or 'missing'} is not P1M or P1Y, so it is not netted"
    quantity = props.quantity
    if not isinstance(quantity, int | float) or isinstance(quantity, bool) or quantity <= 0:
        return f"reservation {label}: no PTU quantity, so it is not netted"
    scope = _text(props.applied_scope_type).casefold()
    subscription = group = None
    if scope == "single":
        place = _single_scope(props)
        if place is None:
            return f"reservation {label}: a single scope without a subscription, so it is not netted"
        subscription, group = place
    elif scope != "shared":
        return (
            f"reservation {label}: scoped to {_text(props.applied_scope_type) or 'an unknown scope'}; the "
            "scan does not know which subscriptions that holds, so it is not netted"
        )
    region = normalise_region(item.location) if item.location else None
    return Reservation(
        kind,
        float(quantity),
        region,
        subscription=subscription,
        resource_group=group,
        name=str(label),
        term=term,
        id=ident,
    )


def _text(value: Any) -> str:
    """An SDK enum or string as the API wrote it (``Succeeded``, not ``ProvisioningState.SUCCEEDED``)."""
    return str(getattr(value, "value", value) or "")


def _single_scope(props: Any) -> tuple[str, str | None] | None:
    """``(subscription, resource group or None)`` of a single-scope reservation, casefolded."""
    candidates: Iterable[Any] = [
        getattr(props.applied_scope_properties, "resource_group_id", None),
        getattr(props.applied_scope_properties, "subscription_id", None),
        *(props.applied_scopes or ()),
    ]
    for scope in candidates:
        if not scope:
            continue
        parts = [p.casefold() for p in str(scope).strip("/").split("/")]
        if len(parts) >= 2 and parts[0] == "subscriptions":
            group = parts[3] if len(parts) >= 4 and parts[2] == "resourcegroups" else None
            return parts[1], group
    return None
