"""The POST of a delivery: no redirect followed, no proxy, and every address it connects to
checked against :func:`coordination.outbound.webhooks.addresses.address_problem` after the
name is resolved (so a DNS answer cannot change between the check and the connection)."""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request

from .addresses import address_problem

# Short, so a partner that does not answer (a black-hole address) costs a worker seconds:
# each address gets CONNECT_TIMEOUT_SECONDS to accept the connection, and at most
# MAX_ADDRESSES of a name's addresses are tried; the answer must come within
# TIMEOUT_SECONDS of each read. A failed attempt is retried later with backoff.
CONNECT_TIMEOUT_SECONDS = 3
TIMEOUT_SECONDS = 10
MAX_ADDRESSES = 2


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer to record, not to follow: following would re-send the
    # signed body to a URL nobody registered (and POST turns into GET on 301-303).
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class RefusedAddress(OSError):
    """The URL's host resolved to an address webhooks may not reach."""


def _checked_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
    """``socket.create_connection`` that resolves the name once, checks every address it
    gets, and connects to a checked one: a DNS answer cannot change between the check and
    the connection (DNS rebinding)."""
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_rest, sockaddr in infos:
        if problem := address_problem(host, sockaddr[0]):
            raise RefusedAddress(f"{host} → {sockaddr[0]}: {problem}")
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos[:MAX_ADDRESSES]:
        sock = socket.socket(family, kind, proto)
        try:
            read_timeout = None if timeout is socket._GLOBAL_DEFAULT_TIMEOUT else timeout
            connect_timeout = min(CONNECT_TIMEOUT_SECONDS, read_timeout or CONNECT_TIMEOUT_SECONDS)
            sock.settimeout(connect_timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            sock.settimeout(read_timeout)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"{host}: no address")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


# No proxies from the environment either: a proxy would connect where we did not check.
_opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), _NoRedirect, _CheckedHTTPHandler, _CheckedHTTPSHandler
)


def post(url: str, body: bytes, headers: dict) -> tuple[int | None, str]:
    """POST and return (status code, error text); the error is empty on a 2xx answer."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 -- scheme checked by webhook_url_problem
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", "replace").strip()
        return exc.code, f"HTTP {exc.code} {exc.reason}: {detail}".strip(": ")
    except urllib.error.URLError as exc:  # refused, DNS, TLS, an address not allowed
        return None, f"{type(exc.reason).__name__}: {exc.reason}"
    except (OSError, ValueError) as exc:  # timeout while reading, a malformed answer
        return None, f"{type(exc).__name__}: {exc}"
