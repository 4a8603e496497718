"""What the relay reads from the client's request, framework-neutral: every value comes from
the header list as the server gave it. ASGI gives every header line; WSGI (and so Flask and
Django) gives one value per name with repeated headers joined by commas, which the relay
undoes where it matters: a DPoP proof is a compact JWS and never contains a comma, so a
comma-joined `DPoP` value is two or more headers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class RelayRequest:
    """The request as the relay needs it; the framework helpers build one.

    `url` is the request target as received (path and query, percent-encoding untouched);
    `headers` the (name, value) pairs in order; `headers_joined` says the server joined repeated
    headers with commas (WSGI); `body` the form body verbatim; `encrypted` the connection to this
    process is TLS."""

    method: str
    url: str
    headers: Sequence[tuple[str, str]]
    body: str | None = None
    encrypted: bool = False
    headers_joined: bool = False

    def values(self, name: str) -> list[str]:
        """Every value of header `name` (lower case), in order."""
        return [value for key, value in self.headers if key.lower() == name]


def dpop_fields(request: RelayRequest) -> dict:
    """The `DPoP` header and how many there were: more than one is refused by dpopd
    (RFC 9449 §4.3 step 1), so the count is taken before anything could merge them."""
    values = request.values("dpop")
    if request.headers_joined:
        values = [part.strip() for value in values for part in value.split(",")]
    if not values:
        return {"dpopHeaderCount": 0}
    return {"dpop": values[0], "dpopHeaderCount": len(values)}


class _Several:
    """More than one `Authorization` header: which one counts would be a guess."""


SEVERAL = _Several()


def authorization_header(request: RelayRequest) -> str | None | _Several:
    values = request.values("authorization")
    if len(values) > 1:
        return SEVERAL
    return values[0] if values else None


# RFC 9449 §7.1 and RFC 6750 §2.1: `DPoP <token68>` or `Bearer <token68>`, scheme in any case.
_ACCESS_TOKEN = re.compile(r"^(DPoP|Bearer) +([A-Za-z0-9\-._~+/]+=*) *$", re.IGNORECASE)


def access_token_fields(request: RelayRequest) -> dict:
    """The access token and the scheme it came with; empty when there is none (or several
    `Authorization` headers, joined or not), which dpopd answers with a bare challenge."""
    header = authorization_header(request)
    match = _ACCESS_TOKEN.match(header) if isinstance(header, str) else None
    if match is None:
        return {}
    return {"token": match.group(2), "tokenScheme": "DPoP" if match.group(1).lower() == "dpop" else "Bearer"}


def path_of(url: str) -> str:
    """The path of a request target, without query or fragment (RFC 9449 §4.2)."""
    path = re.split(r"[?#]", url, maxsplit=1)[0]
    return path if path.startswith("/") else "/" + path


def query_of(url: str) -> str:
    """The query string of a request target, without `?`."""
    _, question, rest = url.partition("?")
    return rest.partition("#")[0] if question else ""


# RFC 3986 §3.3 pchar plus "/": what a path may hold unescaped.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def wsgi_target(environ: dict) -> str:
    """The request target of a WSGI request as the client sent it: `REQUEST_URI` or `RAW_URI`
    when the server gives one, else the decoded path escaped again."""
    target = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if target:
        # An absolute-form target (RFC 9112 §3.2.2) names the origin too; keep path and query.
        match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*", target)
        return (target[match.end() :] or "/") if match else target
    path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1").decode("utf-8", "replace")
    query = environ.get("QUERY_STRING", "")
    return quote(path, safe=_PATH_SAFE) + ("?" + query if query else "")


def wsgi_headers(environ: dict) -> list[tuple[str, str]]:
    """The headers of a WSGI request (`HTTP_*`), names as `Dpop`, `X-Forwarded-Host`."""
    return [(key[5:].replace("_", "-").title(), value) for key, value in environ.items() if key.startswith("HTTP_")]
