"""Reservation coverage: type, region and scope, most specific scope first, never counted twice."""

from __future__ import annotations

from aigov.cost.reservations import Provisioned, Reservation, allocate

SUB = "00000000-0000-0000-0000-0000000000a1"


def deployment(
    key: str,
    ptu: float,
    *,
    sku: str = "GlobalProvisionedManaged",
    place: str = "eastus",
    subscription: str = SUB,
    resource_group: str = "rg-ai",
) -> Provisioned:
    return Provisioned(key, sku, place, subscription, resource_group, ptu)


def test_a_reservation_without_a_region_is_shared_across_regions_not_counted_twice() -> None:
    shared = (Reservation("GlobalProvisionedManaged", 20),)
    allocation, left = allocate([deployment("a", 15), deployment("b", 15, place="westeurope")], shared)
    assert allocation.covered == {"a": 15, "b": 5}
    assert allocation.used == (20,)
    assert left == [0]


def test_the_most_specific_scope_is_used_first() -> None:
    reservations = (
        Reservation("GlobalProvisionedManaged", 30),
        Reservation("GlobalProvisionedManaged", 10, subscription=SUB, resource_group="rg-ai"),
    )
    allocation, _ = allocate(
        [deployment("a", 25), deployment("b", 15, resource_group="rg-other")], reservations
    )
    # a takes the resource group's 10 first, then 15 of the shared 30; b gets the shared rest.
    assert allocation.covered == {"a": 25, "b": 15}
    assert allocation.used == (30, 10)


def test_type_and_scope_must_match() -> None:
    reservations = (
        Reservation("DataZoneProvisionedManaged", 50),
        Reservation("GlobalProvisionedManaged", 50, subscription="another"),
    )
    allocation, _ = allocate([deployment("a", 15)], reservations)
    assert allocation.covered == {"a": 0}
    assert allocation.used == (0, 0)
