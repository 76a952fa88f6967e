"""Which addresses a callback may dial: an allow-list, not a deny-list.

An address passes only when it is globally reachable by the IANA special-purpose address registries
(iana-ipv4-special-registry and iana-ipv6-special-registry, as published in 2025): Python's ``is_global``,
and also outside every prefix either registry marks "Globally Reachable: False" (or N/A), which
``is_global`` does not always know (it lags the registries: 5f00::/16 and ::ffff:0:0:0/96 pass it). IPv6
must also be global unicast (2000::/3): nothing new a registry adds outside it is dialled by default.
An IPv6 address that carries an IPv4 one (mapped, SIIT, NAT64, 6to4, Teredo, the old compatible form)
reaches that IPv4 address, so the IPv4 inside is what is judged.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Every IPv4 registry entry whose "Globally Reachable" is False or N/A; multicast (224.0.0.0/4) is not
# unicast at all. The few globally reachable anycast addresses inside 192.0.0.0/24 (PCP, TURN) are no
# webhook receivers: the whole /24 stays out.
IPV4_NOT_GLOBAL = tuple(
    ipaddress.IPv4Network(network)
    for network in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
    )
)  # fmt: skip

# Every IPv6 registry entry whose "Globally Reachable" is False (the translation prefixes, whose IPv4 is
# judged instead, are below), and the old site-local and multicast space.
IPV6_NOT_GLOBAL = tuple(
    ipaddress.IPv6Network(network)
    for network in (
        "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64", "2001::/23", "2001:2::/48",
        "2001:10::/28", "2001:db8::/32", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10",
        "ff00::/8",
    )
)  # fmt: skip
IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")

_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_SIIT = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 6145's "IPv4-translated" form
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_TEREDO = ipaddress.IPv6Network("2001::/32")


def ipv4_inside(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address reaches through a translation form, or None if it carries none."""
    low_32_bits = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _MAPPED or ip in _SIIT or ip in _NAT64:
        return [low_32_bits]
    if ip in _SIX_TO_FOUR:
        return [ip.sixtofour]
    if ip in _TEREDO:
        return list(ip.teredo)  # its server and its client
    if ip in _COMPATIBLE and int(ip) > 1:  # "::" and "::1" are themselves
        return [low_32_bits]
    return None


def _ipv4_global(ip: ipaddress.IPv4Address) -> bool:
    return ip.is_global and not any(ip in network for network in IPV4_NOT_GLOBAL)


def globally_reachable(ip: IPAddress) -> bool:
    """Whether ``ip`` may be dialled: globally reachable by both registries, IPv4 inside judged as IPv4."""
    if isinstance(ip, ipaddress.IPv4Address):
        return _ipv4_global(ip)
    inside = ipv4_inside(ip)
    if inside is not None:
        return all(_ipv4_global(each) for each in inside)
    return ip in IPV6_GLOBAL_UNICAST and ip.is_global and not any(ip in network for network in IPV6_NOT_GLOBAL)


def is_loopback(ip: IPAddress) -> bool:
    """Loopback, also as the IPv4 inside an IPv6 form (::ffff:127.0.0.1): tests may allow these."""
    if isinstance(ip, ipaddress.IPv6Address):
        inside = ipv4_inside(ip)
        if inside is not None:
            return all(each.is_loopback for each in inside)
    return ip.is_loopback
