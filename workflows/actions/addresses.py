"""Which addresses outbound requests may reach: globally routable ones, whatever their
spelling, plus the networks an operator allows (docs/security.md#outbound-requests).

Python's ``is_global`` is a second opinion only: on Python 3.11 it calls IPv4-compatible
(``::7f00:1``), IPv4-translated, local-use NAT64, site-local (``fec0::/10``), multicast and
newer documentation addresses global. The tables below follow IANA's special-purpose
registries; for IPv6 only 2000::/3 holds global unicast, so whatever IANA reserves later
outside it is refused without a change here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(*cidrs: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


# IPv4 ranges that are not globally reachable (IANA), multicast and the reserved block.
_IPV4_NOT_GLOBAL = _networks(
    "0.0.0.0/8",  # "this network"
    "10.0.0.0/8",
    "100.64.0.0/10",  # shared address space (carrier-grade NAT)
    "127.0.0.0/8",
    "169.254.0.0/16",  # link-local, cloud metadata at 169.254.169.254
    "172.16.0.0/12",
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24",  # documentation
    "192.88.99.0/24",  # the deprecated 6to4 relay anycast
    "192.168.0.0/16",
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, and the broadcast address
)

# Global unicast, and the parts of it that are not globally reachable.
_IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_IPV6_NOT_GLOBAL = _networks(
    "2001::/23",  # IETF protocol assignments: Teredo 2001::/32, benchmarking, ORCHID...
    "2001:db8::/32",  # documentation
    "3fff::/20",  # documentation (RFC 9637)
)

# IPv6 spellings of an IPv4 destination: the host's stack or a NAT64 gateway connects to
# the IPv4 address in the last 32 bits, so that address alone is judged.
_IPV4_SPELLINGS = _networks(
    "::ffff:0:0/96",  # IPv4-mapped
    "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
    "64:ff9b::/96",  # NAT64, the well-known prefix (how an IPv6-only host reaches IPv4)
)


# IPv6 ranges carrying an IPv4 address in their last 32 bits that are never routed as such.
_IPV4_IN_LAST_32_BITS = _networks(
    "::/96",  # IPv4-compatible, deprecated (RFC 4291)
    "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): the site's own translator
)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses carried by an address that is not merely a spelling of one:
    IPv4-compatible and local-use NAT64 (last 32 bits), 6to4's gateway, Teredo's server
    and client."""
    found: list[ipaddress.IPv4Address] = []
    if any(address in network for network in _IPV4_IN_LAST_32_BITS):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def _public_itself(address: IPAddress) -> bool:
    """Globally routable by its own range (the IPv4 addresses it carries aside)."""
    if isinstance(address, ipaddress.IPv4Address):
        table: Iterable[IPNetwork] = _IPV4_NOT_GLOBAL
    elif address not in _IPV6_GLOBAL_UNICAST:
        return False
    else:
        table = _IPV6_NOT_GLOBAL
    return address.is_global and not any(address in network for network in table)


def allowed(address: IPAddress, networks: Iterable[IPNetwork] = ()) -> bool:
    """Whether a request may connect to ``address``: it is in one of the operator's
    ``networks``, or it is globally routable and so is every IPv4 address it carries.

    An IPv4-mapped, translated or well-known NAT64 address is the IPv4 address in another
    spelling and is judged as that address, so an allowed IPv4 network covers it. Other
    IPv6 addresses carrying one (IPv4-compatible, local-use NAT64, 6to4, Teredo) must be
    public themselves too; the first two never are.
    """
    networks = tuple(networks)
    if any(address in network for network in networks):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in _IPV4_SPELLINGS):
            return allowed(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF), networks)
        if not all(allowed(inner, networks) for inner in _embedded_ipv4(address)):
            return False
    return _public_itself(address)


def is_public(address: IPAddress) -> bool:
    """Globally routable, judged by every IPv4 address it carries too."""
    return allowed(address)
