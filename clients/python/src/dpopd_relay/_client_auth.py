"""The client's credentials at the token, PAR and revocation endpoints: its `Authorization`
header goes to dpopd verbatim as `clientAuthorization`. dpopd decodes it — base64, the split
at the first colon, and the form-urldecoding of both parts that RFC 6749 §2.3.1 has the client
apply first — and refuses each malformation with its own result code, so credentials are read
in one place and the same way behind every relay."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# RFC 9110 §11.1: the scheme is case-insensitive.
_IS_BASIC = re.compile(r"^[ \t]*Basic(?:[ \t]|$)", re.IGNORECASE)


@dataclass(frozen=True)
class ClientCredentials:
    """What to send dpopd for the client's `Authorization` header. `used_basic` says whether a
    401 needs `WWW-Authenticate: Basic` (RFC 6749 §5.2)."""

    fields: dict[str, str] = field(default_factory=dict)
    used_basic: bool = False


def client_credential_fields(authorization: str | None) -> ClientCredentials:
    if authorization is None:
        return ClientCredentials()
    return ClientCredentials({"clientAuthorization": authorization}, _IS_BASIC.match(authorization) is not None)
