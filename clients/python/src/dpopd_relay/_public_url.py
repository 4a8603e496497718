"""The DPoP `htu` of a request (RFC 9449 §4.2): the URL the client called, which behind a proxy
or TLS terminator is not what this process sees. It comes from configuration (`public_url`), or,
only when the application says its proxy is trusted, from the proxy's headers: they are the
client's to forge otherwise, and a forged host would let a proof made for another server pass."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from ._request import RelayRequest, path_of

_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$")


def htu_resolver(public_url: str | None, trust_proxy: bool) -> Callable[[RelayRequest], str | None]:
    """Checks the configuration once; the function returned gives a request's `htu`, or None
    when a trusted proxy's headers name no usable origin."""
    if public_url is not None:
        base = _checked_public_url(public_url)
        return lambda request: base + path_of(request.url)
    if trust_proxy is True:

        def from_proxy(request: RelayRequest) -> str | None:
            origin = _forwarded_origin(request)
            return None if origin is None else origin + path_of(request.url)

        return from_proxy
    raise ValueError(
        "dpopd_relay: set public_url (the URL clients call this server at), "
        "or trust_proxy=True behind a proxy you trust"
    )


def _checked_public_url(text: str) -> str:
    parts = urlsplit(text)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise ValueError(f"dpopd_relay: public_url must be an http(s) URL without query, fragment or user: {text}")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path}".rstrip("/")


def _last(values: list[str]) -> str | None:
    # The element nearest to this process wins: the trusted proxy appends its own, and anything
    # to its left came from further away, possibly from the client.
    items = [item.strip() for value in values for item in value.split(",") if item.strip()]
    return items[-1] if items else None


def _forwarded_origin(request: RelayRequest) -> str | None:
    proto = host = None
    forwarded = _last(request.values("forwarded"))
    if forwarded is not None:
        # RFC 7239 §4: `proto=https;host="example.com"`
        for pair in forwarded.split(";"):
            key, eq, value = pair.partition("=")
            if not eq:
                continue
            key, value = key.strip().lower(), value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if key == "proto":
                proto = value.lower()
            elif key == "host":
                host = value
    else:
        proto = (_last(request.values("x-forwarded-proto")) or "").lower() or None
        host = _last(request.values("x-forwarded-host"))
    if proto is None:
        proto = "https" if request.encrypted else "http"
    if host is None:
        hosts = request.values("host")
        if len(hosts) != 1:
            return None
        host = hosts[0].strip()
    if proto not in ("http", "https") or not _HOST.match(host):
        return None
    return f"{proto}://{host.lower()}"
