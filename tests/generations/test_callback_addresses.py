"""Callback addresses are an allow-list: globally reachable by the IANA special-purpose address registries
(transcribed here, entry by entry, as published in 2025), with the IPv4 inside every translation form judged
as IPv4. Each entry is tried at its first, last and a middle address."""

import ipaddress

import pytest

from generations.addresses import globally_reachable

# iana-ipv4-special-registry: (block, globally reachable). "N/A" counts as not reachable.
IPV4_REGISTRY = [
    ("0.0.0.0/8", False), ("0.0.0.0/32", False), ("10.0.0.0/8", False), ("100.64.0.0/10", False),
    ("127.0.0.0/8", False), ("169.254.0.0/16", False), ("172.16.0.0/12", False), ("192.0.0.0/24", False),
    ("192.0.0.0/29", False), ("192.0.0.8/32", False), ("192.0.0.9/32", True), ("192.0.0.10/32", True),
    ("192.0.0.170/32", False), ("192.0.0.171/32", False), ("192.0.2.0/24", False), ("192.31.196.0/24", True),
    ("192.52.193.0/24", True), ("192.88.99.0/24", False), ("192.88.99.2/32", False), ("192.168.0.0/16", False),
    ("192.175.48.0/24", True), ("198.18.0.0/15", False), ("198.51.100.0/24", False), ("203.0.113.0/24", False),
    ("240.0.0.0/4", False), ("255.255.255.255/32", False),
]  # fmt: skip
# iana-ipv6-special-registry; the translation prefixes (mapped, NAT64, 6to4, Teredo) are judged by their IPv4.
IPV6_REGISTRY = [
    ("::1/128", False), ("::/128", False), ("64:ff9b:1::/48", False), ("100::/64", False),
    ("100:0:0:1::/64", False), ("2001::/23", False), ("2001:1::1/128", True), ("2001:1::2/128", True),
    ("2001:1::3/128", True), ("2001:2::/48", False), ("2001:3::/32", True), ("2001:4:112::/48", True),
    ("2001:10::/28", False), ("2001:20::/28", True), ("2001:30::/28", True), ("2001:db8::/32", False),
    ("2620:4f:8000::/48", True), ("3fff::/20", False), ("5f00::/16", False), ("fc00::/7", False),
    ("fe80::/10", False),
]  # fmt: skip
# Globally reachable by the registry, but inside a larger block it marks not reachable (an anycast service
# address, never a webhook receiver): the allow-list may refuse these, and does.
NESTED_IN_REFUSED = {"192.0.0.9/32", "192.0.0.10/32", "2001:1::1/128", "2001:1::2/128", "2001:1::3/128",
                     "2001:3::/32", "2001:4:112::/48", "2001:20::/28", "2001:30::/28"}  # fmt: skip


def sample(block: str) -> list:
    network = ipaddress.ip_network(block)
    return [network[0], network[network.num_addresses // 2], network[-1]]


@pytest.mark.parametrize(("block", "reachable"), IPV4_REGISTRY + IPV6_REGISTRY)
def test_every_registry_entry(block, reachable):
    for address in sample(block):
        if not reachable:
            assert not globally_reachable(address), address
        elif block not in NESTED_IN_REFUSED:
            assert globally_reachable(address), address


@pytest.mark.parametrize("ipv4", [block for block, reachable in IPV4_REGISTRY if not reachable] + ["224.0.0.0/4"])
def test_the_ipv4_inside_every_translation_form_is_judged_as_ipv4(ipv4):
    for inner in sample(ipv4):
        bits = int(inner)
        forms = {
            "mapped": f"::ffff:{inner}", "SIIT": f"::ffff:0:{inner}", "NAT64": f"64:ff9b::{inner}",
            "compatible": f"::{inner}", "6to4": str(ipaddress.IPv6Address((0x2002 << 112) | (bits << 80) | 1)),
            "Teredo server": str(ipaddress.IPv6Address((0x20010000 << 96) | (bits << 64) | 0xFFFFFFFF)),
            "Teredo client": str(ipaddress.IPv6Address((0x20010000 << 96) | (0x5DB8D822 << 64) | (bits ^ 0xFFFFFFFF))),
        }  # fmt: skip
        for name, written in forms.items():
            if name == "compatible" and bits <= 1:
                continue  # "::" and "::1" are themselves, refused above
            assert not globally_reachable(ipaddress.ip_address(written)), (name, written)


def test_public_addresses_pass_in_every_form():
    for written in (
        "93.184.216.34", "2606:4700:4700::1111", "::ffff:93.184.216.34", "::ffff:0:93.184.216.34",
        "64:ff9b::93.184.216.34", "2002:5db8:d822::1",
    ):  # fmt: skip
        assert globally_reachable(ipaddress.ip_address(written)), written


def test_outside_global_unicast_nothing_is_dialled_even_what_is_global_says_yes():
    for written in ("5f00::1", "4000::1", "8000::1", "e000::1", "::ffff:0:0a00:0001"):
        assert not globally_reachable(ipaddress.ip_address(written)), written
