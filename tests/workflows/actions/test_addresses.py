"""Which addresses outbound requests may reach (docs/security.md#outbound-requests)."""

from __future__ import annotations

import ipaddress

import pytest

from workflows.actions.addresses import allowed, is_public

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "2620:4f:8000::1",  # AS112, globally reachable
    "::ffff:8.8.8.8",  # IPv4-mapped: the destination is 8.8.8.8
    "::ffff:0:808:808",  # IPv4-translated
    "64:ff9b::808:808",  # NAT64 (well-known prefix): how an IPv6-only host reaches 8.8.8.8
    "2002:808:808::1",  # 6to4 through 8.8.8.8
]

NOT_PUBLIC = [
    "127.0.0.1",
    "0.0.0.0",  # noqa: S104
    "10.1.2.3",
    "100.64.0.1",
    "169.254.169.254",
    "172.16.0.1",
    "192.0.0.8",
    "192.0.2.1",
    "192.88.99.1",  # the deprecated 6to4 relay anycast
    "192.168.1.1",
    "198.18.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::7f00:1",  # IPv4-compatible 127.0.0.1
    "::a9fe:a9fe",
    "::8.8.8.8",  # IPv4-compatible: deprecated (RFC 4291), never routed
    "::ffff:7f00:1",
    "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::7f00:1",
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 (RFC 8215)
    "64:ff9b:1::808:808",  # local-use NAT64 is never global
    "2002:7f00:1::",  # 6to4 through 127.0.0.1
    "2002:a9fe:a9fe::1",
    "2001:0:a9fe:a9fe::1",  # Teredo, server 169.254.169.254
    "2001:0:808:808:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "2001:0:808:808:8000:63bf:f7f7:f7f7",  # Teredo, public server and client: still 2001::/23
    "2001:db8::1",
    "3fff::1",
    "100::1",
    "5f00::1",
    "fc00::1",
    "fd00:ec2::254",
    "fe80::1",
    "fe80::1%eth0",
    "fec0::1",  # site-local
    "ff02::1",
    "ff0e::1",
    "4000::1",  # outside 2000::/3, not yet allocated
]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_addresses_that_are_not_globally_routable(address):
    assert not is_public(ipaddress.ip_address(address))


def net(*cidrs: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr) for cidr in cidrs]


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "::ffff:10.1.2.3", "::ffff:0:a01:203", "64:ff9b::a01:203"]
)
def test_an_allowed_ipv4_network_covers_every_spelling_of_its_addresses(address):
    assert allowed(ipaddress.ip_address(address), net("10.1.2.0/24"))
    assert not allowed(ipaddress.ip_address(address), net("10.1.3.0/24"))


def test_tunnels_need_their_ipv6_address_public_and_the_ipv4_allowed():
    six_to_four = ipaddress.ip_address("2002:a01:203::1")
    assert allowed(six_to_four, net("10.1.2.0/24"))
    assert not allowed(six_to_four, net("10.9.0.0/16"))


def test_deprecated_ipv4_compatible_addresses_only_by_naming_the_ipv6_network():
    address = ipaddress.ip_address("::a01:203")
    assert not allowed(address, net("10.1.2.0/24"))
    assert allowed(address, net("::a01:203/128"))


def test_local_use_nat64_only_by_naming_the_ipv6_network():
    address = ipaddress.ip_address("64:ff9b:1::a01:203")
    assert not allowed(address, net("10.1.2.0/24"))
    assert allowed(address, net("64:ff9b:1::/48"))


def test_an_allowed_ipv6_network():
    assert allowed(ipaddress.ip_address("fd00::5"), net("fd00::/8"))
    assert allowed(ipaddress.ip_address("fe80::1%eth0"), net("fe80::/10"))
    assert not allowed(ipaddress.ip_address("fd00::5"), net("10.0.0.0/8"))
