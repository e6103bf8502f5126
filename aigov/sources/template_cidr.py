"""The CIDR functions ARM and Bicep share: ``parseCidr``, ``cidrSubnet``, ``cidrHost``.

Semantics are those of the Bicep and ARM function reference
(https://learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-cidr):

* ``parseCidr(network)`` gives ``network``, ``netmask``, ``broadcast`` (IPv4
  only), ``firstUsable``, ``lastUsable`` and ``cidr``. IPv4 reserves the
  network and broadcast addresses (except in a /31 or /32, which have none to
  spare); IPv6 has no broadcast, so its first usable address is the network's.
* ``cidrSubnet(network, newCidr, index)`` is the ``index``-th subnet of prefix
  length ``newCidr``.
* ``cidrHost(network, index)`` is the ``index``-th usable host, counted from
  the address after the network's (index 0 of ``10.0.0.0/24`` is
  ``10.0.0.1``), for IPv4 and IPv6 alike.

Host bits set in ``network`` are ignored, as the network's address is what
the functions describe. A value outside the range is an error: the
deployment would fail on it too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, Final

from aigov.model import UNKNOWN
from aigov.sources.template_values import (
    Function,
    FunctionError,
    Site,
    any_undetermined,
    arity,
    need_int,
    need_str,
    opaque_result,
    show,
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(site: Site, value: Any) -> Network:
    text = need_str(site, value)
    if "/" not in text:
        raise FunctionError(f"{site.name}(): {show(value)} is not in CIDR notation (address/prefix)")
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise FunctionError(f"{site.name}(): {show(value)} is not a valid CIDR range") from None


def _address(network: Network, value: int) -> str:
    return str(type(network.network_address)(value))


def _usable(network: Network) -> tuple[int, int]:
    """The first and last usable addresses of ``network`` as integers."""
    first, last = int(network.network_address), int(network.broadcast_address)
    if network.version == 4 and network.prefixlen < 31:
        return first + 1, last - 1
    return first, last


def _parse_cidr(site: Site, args: list[Any]) -> Any:
    arity(site, args, 1)
    if any_undetermined(args):
        return UNKNOWN
    network = _network(site, args[0])
    first, last = _usable(network)
    out: dict[str, Any] = {"network": str(network.network_address), "netmask": str(network.netmask)}
    if network.version == 4:
        out["broadcast"] = str(network.broadcast_address)
    out["firstUsable"] = _address(network, first)
    out["lastUsable"] = _address(network, last)
    out["cidr"] = network.prefixlen
    return out


def _cidr_subnet(site: Site, args: list[Any]) -> Any:
    arity(site, args, 3)
    if any_undetermined(args):
        return opaque_result(site, args)
    network = _network(site, args[0])
    new_prefix, index = need_int(site, args[1]), need_int(site, args[2])
    if not network.prefixlen <= new_prefix <= network.max_prefixlen:
        raise FunctionError(
            f"cidrSubnet(): the new prefix /{new_prefix} must be between /{network.prefixlen} "
            f"and /{network.max_prefixlen}"
        )
    count = 1 << (new_prefix - network.prefixlen)
    if not 0 <= index < count:
        raise FunctionError(
            f"cidrSubnet(): {network} has {count} subnets of /{new_prefix}; index {index} is not one"
        )
    start = int(network.network_address) + (index << (network.max_prefixlen - new_prefix))
    return f"{_address(network, start)}/{new_prefix}"


def _cidr_host(site: Site, args: list[Any]) -> Any:
    arity(site, args, 2)
    if any_undetermined(args):
        return opaque_result(site, args)
    network = _network(site, args[0])
    index = need_int(site, args[1])
    host = int(network.network_address) + 1 + index
    last = _usable(network)[1]
    if index < 0 or host > last:
        raise FunctionError(f"cidrHost(): host index {index} is outside {network}")
    return _address(network, host)


FUNCTIONS: Final[Mapping[str, Function]] = {
    "parsecidr": _parse_cidr,
    "cidrsubnet": _cidr_subnet,
    "cidrhost": _cidr_host,
}
"""The CIDR functions by lower-case name."""
