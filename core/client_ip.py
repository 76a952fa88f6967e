"""The address a request really came from, believing only proxies we trust.

REMOTE_ADDR is the peer that opened the connection. Only when that peer is one of
TRUSTED_PROXIES do we read X-Forwarded-For, right to left, and take the first
address that is not itself a trusted proxy: everything to its left was written
by the client and may be forged.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings


@functools.cache
def _trusted_networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def from_trusted_proxy(request) -> bool:
    """Whether the peer that opened the connection is one of TRUSTED_PROXIES."""
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    remote = request.META.get("REMOTE_ADDR") or ""
    return bool(networks) and _is_trusted(remote, networks)


def client_ip(request) -> str | None:
    """The client's address: for the API, allauth's sign-in limits, the audit log and leak containment alike."""
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if not remote or not networks or not _is_trusted(remote, networks):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a malformed chain: trust nothing a client may have written
        if not _is_trusted(hop, networks):
            return hop
    return hops[0] if hops else remote
