"""Which hosts a webhook may reach: the guard against server-side request forgery."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# IETF protocol assignments (RFC 6890): not for the public internet, although Python calls
# two of its addresses global.
NOT_PUBLIC_V4 = (ipaddress.ip_network("192.0.0.0/24"),)
# IPv6 forms that carry an IPv4 address, which a translator or relay on the way may reach:
# NAT64's well-known prefix (RFC 6052) and its local-use prefix (RFC 8215, any length).
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, if it is one of the forms that do:
    IPv4-mapped (``::ffff:a.b.c.d``), IPv4-compatible (``::a.b.c.d``, deprecated but still
    routed by some stacks, e.g. ``::7f00:1``), NAT64 (``64:ff9b::a.b.c.d``) and 6to4
    (``2002:AABB:CCDD::``). (Teredo, ``2001::/32``, is refused as not global anyway.)"""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    value = int(ip)
    if ip in NAT64 or (value >> 32 == 0 and value > 1):
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def _insecure_localhost_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "WEBHOOK_ALLOW_INSECURE_LOCALHOST", False))


def _private_networks_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", False))


def address_problem(host: str, address: str) -> str | None:
    """Why the platform may not connect to ``address`` (what ``host`` resolved to), or None.

    A webhook URL is typed by a partner's manager, and the worker that POSTs it sits inside
    the platform's network: without this check a URL could reach the database, Redis or a
    cloud metadata service (server-side request forgery). Only public addresses are allowed,
    unless ``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` is set (partners on a government intranet);
    this machine itself only in development and tests (``WEBHOOK_ALLOW_INSECURE_LOCALHOST``).
    An IPv6 address that carries an IPv4 one (:func:`embedded_ipv4`) is judged by that IPv4
    address; the IETF's 192.0.0.0/24 and NAT64's local-use prefix are never public.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in NAT64_LOCAL:
            return str(_("The URL must point to an address on the public internet."))
        inner = embedded_ipv4(ip)
        if inner is not None:
            return address_problem(host, str(inner))  # judged by the IPv4 it reaches
    if ip.is_loopback and host in LOCAL_HOSTS and _insecure_localhost_allowed():
        return None
    if any(ip in network for network in NOT_PUBLIC_V4 if ip.version == network.version):
        return str(_("The URL must point to an address on the public internet."))
    if ip.is_global and not ip.is_multicast:
        return None
    if _private_networks_allowed() and ip.is_private and not (ip.is_loopback or ip.is_link_local):
        return None
    return str(_("The URL must point to an address on the public internet."))


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` may not receive webhooks, or None.

    Only ``https://``: the body and its signature must not travel in the clear. Plain
    ``http://`` to this machine (127.0.0.1, localhost) is allowed in development
    (``DEBUG``) or where ``WEBHOOK_ALLOW_INSECURE_LOCALHOST`` is set. A host written as an
    address must be a public one (:func:`address_problem`); a name is checked again at
    every delivery, against what it resolves to then.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError on a port out of range
    except ValueError:
        return str(_("Enter a valid URL."))
    if not host:
        return str(_("Enter a valid URL."))
    if parts.scheme == "https" or (
        parts.scheme == "http" and host in LOCAL_HOSTS and _insecure_localhost_allowed()
    ):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return None  # a name: resolved and checked when connecting
        return address_problem(host, host)
    return str(_("The URL must start with https://."))
