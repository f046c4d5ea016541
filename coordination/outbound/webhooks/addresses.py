"""Which hosts a webhook may reach: the guard against server-side request forgery."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


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
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback and host in LOCAL_HOSTS and _insecure_localhost_allowed():
        return None
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
