"""The client's credentials at the token, PAR and revocation endpoints, from its raw
`Authorization` header. Two ways to hand them to dpopd, chosen by one switch:

- forward the header verbatim as `clientAuthorization` and let dpopd parse it (the end state);
- decode `Basic` here per RFC 6749 §2.3.1 (base64, split at the first colon, form-urldecode
  both parts) and send `clientId`/`clientSecret` (for a dpopd without `clientAuthorization`).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

#: Flip to True once dpopd accepts `clientAuthorization` at /auth/token, /pushed_auth_req and
#: /auth/revocation.
FORWARD_CLIENT_AUTHORIZATION = False

_BASIC = re.compile(r"^Basic +([A-Za-z0-9+/]+={0,2}) *$", re.IGNORECASE)
_IS_BASIC = re.compile(r"^Basic(?: |$)", re.IGNORECASE)


@dataclass(frozen=True)
class ClientCredentials:
    """What to send dpopd for the client's `Authorization` header. `used_basic` says whether an
    `invalid_client` answer needs `WWW-Authenticate: Basic` (RFC 6749 §5.2); `malformed` is a
    Basic header that does not decode, refused without asking dpopd."""

    fields: dict[str, str] = field(default_factory=dict)
    used_basic: bool = False
    malformed: bool = False


def client_credential_fields(authorization: str | None, forward: bool | None = None) -> ClientCredentials:
    if forward is None:
        forward = FORWARD_CLIENT_AUTHORIZATION
    if authorization is None:
        return ClientCredentials()
    used_basic = _IS_BASIC.match(authorization) is not None
    if forward:
        return ClientCredentials({"clientAuthorization": authorization}, used_basic)
    if not used_basic:
        return ClientCredentials()
    decoded = decode_basic(authorization)
    if decoded is None:
        return ClientCredentials(used_basic=True, malformed=True)
    return ClientCredentials({"clientId": decoded[0], "clientSecret": decoded[1]}, True)


def decode_basic(header: str) -> tuple[str, str] | None:
    """`Basic base64(form(id) ":" form(secret))` → (id, secret) per RFC 6749 §2.3.1 and
    RFC 7617 §2; None when the base64 is not valid, the text is not UTF-8 or has no colon."""
    match = _BASIC.match(header)
    if match is None:
        return None
    token = match.group(1)
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    # Padding bits that are not zero: a damaged value, not one a client encoder makes.
    if base64.b64encode(raw).decode("ascii").rstrip("=") != token.rstrip("="):
        return None
    client_id, colon, secret = text.partition(":")
    if not colon:
        return None
    return form_decode(client_id), form_decode(secret)


def form_decode(text: str) -> str:
    """application/x-www-form-urlencoded decoding of one name or value (WHATWG URL §5.1): `+` is
    a space, `%XX` an octet, anything else stays; the octets are read as UTF-8."""
    return unquote_to_bytes(text.replace("+", " ")).decode("utf-8", errors="replace")
