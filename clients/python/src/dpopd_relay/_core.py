"""The relay rules, framework-neutral and without I/O: each operation turns a `RelayRequest`
into one dpopd call (`Call`) or an immediate `Reply`, and dpopd's answer into what to send the
client, following `action` (README "Relay rules", openapi.yaml). The sync and async relays
run the same steps; whatever goes wrong between them and dpopd is a 503 with a JSON error."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ._answers import (
    INTERACTIONS,
    PAR_STATUS,
    REVOCATION_STATUS,
    TOKEN_STATUS,
    TOO_LARGE,
    Allowed,
    DpopdUnavailable,
    Interaction,
    Reply,
    form_reply,
    interaction_of,
    json_reply,
    json_text,
    resource_outcome,
    ticket_reply,
)
from ._client_auth import client_credential_fields
from ._public_url import htu_resolver
from ._request import SEVERAL, RelayRequest, access_token_fields, authorization_header, dpop_fields, query_of

log = logging.getLogger("dpopd_relay")

T = TypeVar("T")

#: The largest form body relayed: dpopd refuses API calls over 64 KiB, JSON escaping included.
MAX_BODY_BYTES = 32 * 1024


@dataclass(frozen=True)
class Call(Generic[T]):
    """One dpopd call: `finish` turns its answer into the result, `on_failure` the 503 reply."""

    path: str
    body: dict
    finish: Callable[[dict], T]
    on_failure: Callable[[Reply], T]


Step = T | Call[T]


def _identity(value: T) -> T:
    return value


class Settings:
    """The relay's configuration, checked once. Caller credentials and dpopd's URL default to
    the environment (`DPOPD_CALLER`, `DPOPD_SECRET`, `DPOPD_URL`)."""

    def __init__(
        self,
        *,
        dpopd_url: str | None = None,
        caller: str | None = None,
        secret: str | None = None,
        public_url: str | None = None,
        trust_proxy: bool = False,
        timeout: float = 5.0,
        max_body_bytes: int = MAX_BODY_BYTES,
    ):
        url = dpopd_url or os.environ.get("DPOPD_URL") or "http://127.0.0.1:8080"
        if not re.match(r"^https?://[^/?#]+", url, re.IGNORECASE):
            raise ValueError(f"dpopd_relay: dpopd_url is not an http(s) URL: {url}")
        caller = caller or os.environ.get("DPOPD_CALLER")
        secret = secret or os.environ.get("DPOPD_SECRET")
        if not caller or not secret:
            raise ValueError(
                "dpopd_relay: caller credentials missing: set DPOPD_CALLER and DPOPD_SECRET (or pass caller and secret)"
            )
        if not timeout or timeout <= 0:
            raise ValueError("dpopd_relay: timeout must be a positive number of seconds")
        self.dpopd_url = url.rstrip("/")
        self.caller_authorization = "Basic " + base64.b64encode(f"{caller}:{secret}".encode()).decode("ascii")
        self.timeout = float(timeout)
        self.max_body_bytes = max_body_bytes
        self.htu = htu_resolver(public_url, trust_proxy)


@dataclass(frozen=True)
class Authentication:
    """OpenID Connect, at `issue`: how the user authenticated, and their claim values."""

    auth_time: int | None = None
    acr: str | None = None
    amr: Sequence[str] | None = None
    sid: str | None = None
    claims: str | Mapping[str, Any] | None = None

    def fields(self) -> dict:
        # Authlete's `claims` is the text of a JSON object; a mapping is sent as that text.
        claims = self.claims
        if claims is not None and not isinstance(claims, str):
            claims = json.dumps(dict(claims), separators=(",", ":"))
        return {
            "authTime": self.auth_time,
            "acr": self.acr,
            "amr": list(self.amr) if self.amr is not None else None,
            "sid": self.sid,
            "claims": claims,
        }


def _compact(body: dict) -> dict:
    return {key: value for key, value in body.items() if value is not None}


class Steps:
    """The operations as steps; `Relay` and `AsyncRelay` run them."""

    settings: Settings

    def token_step(self, request: RelayRequest) -> Step[Reply]:
        """The token endpoint (RFC 6749 §3.2, RFC 9449 §5)."""
        return self._client_step(
            request,
            "/auth/token",
            TOKEN_STATUS,
            lambda credentials, htu: {
                "parameters": request.body or "",
                **credentials,
                **dpop_fields(request),
                "htm": request.method,
                "htu": htu,
            },
        )

    def par_step(self, request: RelayRequest) -> Step[Reply]:
        """The pushed authorization request endpoint (RFC 9126)."""
        return self._client_step(
            request,
            "/pushed_auth_req",
            PAR_STATUS,
            lambda credentials, htu: {
                "parameters": request.body or "",
                **credentials,
                **dpop_fields(request),
                "htm": request.method,
                "htu": htu,
            },
        )

    def revocation_step(self, request: RelayRequest) -> Step[Reply]:
        """The revocation endpoint (RFC 7009): 200 with an empty body on `OK`."""
        return self._client_step(
            request,
            "/auth/revocation",
            REVOCATION_STATUS,
            lambda credentials, htu: {"parameters": request.body or "", **credentials},
        )

    def authorization_step(self, request: RelayRequest) -> Step[Interaction | Reply]:
        """The authorization endpoint (RFC 6749 §4.1.1): the query (GET) or form body (POST)."""
        if self._too_large(request):
            return TOO_LARGE
        parameters = (request.body or "") if request.method == "POST" else query_of(request.url)
        path = "/auth/authorization"

        def finish(answer: dict) -> Interaction | Reply:
            if answer["action"] not in INTERACTIONS:
                return ticket_reply(path, answer)
            return interaction_of(path, answer)

        return Call(path, {"parameters": parameters}, finish, _identity)

    def issue_step(
        self,
        ticket: str,
        subject: str,
        scopes: Sequence[str] | None = None,
        properties: Sequence[dict] | None = None,
        jwt_at_claims: str | None = None,
        authentication: Authentication | None = None,
    ) -> Step[Reply]:
        """The user is logged in as `subject` and consented: the code goes to the client (302)."""
        path = "/auth/authorization/issue"
        body = _compact(
            {
                "ticket": ticket,
                "subject": subject,
                "scopes": list(scopes) if scopes is not None else None,
                "properties": list(properties) if properties is not None else None,
                "jwtAtClaims": jwt_at_claims,
                **(authentication.fields() if authentication is not None else {}),
            }
        )
        return Call(path, body, lambda answer: ticket_reply(path, answer), _identity)

    def fail_step(self, ticket: str, reason: str, description: str | None = None) -> Step[Reply]:
        """The request ends with an error for the client (302), e.g. reason `DENIED`."""
        path = "/auth/authorization/fail"
        body = _compact({"ticket": ticket, "reason": reason, "description": description})
        return Call(path, body, lambda answer: ticket_reply(path, answer), _identity)

    def introspection_step(
        self,
        request: RelayRequest,
        scopes: Sequence[str] | None = None,
        subject: str | None = None,
        resources: Sequence[str] | None = None,
        dpop_nonce_required: bool | None = None,
    ) -> Step[Allowed | Reply]:
        """A resource request (RFC 9449 §7, RFC 6750): `Allowed` when dpopd says `OK`, else the
        refusal to send."""
        path = "/auth/introspection"
        htu = self.settings.htu(request)
        if htu is None:
            return self._no_origin(path)
        token = access_token_fields(request)
        body = _compact(
            {
                **token,
                "scopes": list(scopes) if scopes is not None else None,
                "subject": subject,
                "resources": list(resources) if resources is not None else None,
                "dpopNonceRequired": dpop_nonce_required,
                **dpop_fields(request),
                "htm": request.method,
                "htu": htu,
            }
        )
        return Call(path, body, lambda answer: resource_outcome(path, answer, token.get("tokenScheme")), _identity)

    def _client_step(
        self, request: RelayRequest, path: str, statuses: dict[str, int], body: Callable[[dict, str], dict]
    ) -> Step[Reply]:
        # Token, PAR and revocation: client credentials, then the JSON body of the answer.
        if self._too_large(request):
            return TOO_LARGE
        authorization = authorization_header(request)
        if authorization is SEVERAL:
            return json_reply(
                400, json_text({"error": "invalid_request", "error_description": "More than one Authorization header."})
            )
        credentials = client_credential_fields(authorization)  # type: ignore[arg-type]
        htu = self.settings.htu(request)
        if htu is None:
            return self._no_origin(path)
        return Call(
            path,
            _compact(body(credentials.fields, htu)),
            lambda answer: form_reply(path, answer, statuses, credentials.used_basic),
            _identity,
        )

    def _too_large(self, request: RelayRequest) -> bool:
        return request.body is not None and len(request.body.encode("utf-8")) > self.settings.max_body_bytes

    @staticmethod
    def _no_origin(path: str) -> Reply:
        log.warning("dpopd_relay: %s: the trusted proxy's headers name no usable origin; no htu", path)
        return json_reply(
            400, json_text({"error": "invalid_request", "error_description": "The request names no usable host."})
        )

    @staticmethod
    def failed(path: str, err: BaseException) -> None:
        """Logs why a step ended in 503."""
        if isinstance(err, DpopdUnavailable):
            log.warning("dpopd_relay: %s", err)
        else:
            log.error("dpopd_relay: %s: %r", path, err, exc_info=err)


def check_requirements(scopes: Sequence[str] | None, subject: str | None, resources: Sequence[str] | None) -> None:
    """Fails at start-up, not per request, on requirements dpopd would refuse as a malformed call."""

    def strings(values: Any) -> bool:
        return values is None or (not isinstance(values, str) and all(isinstance(v, str) and v for v in values))

    if not strings(scopes) or not strings(resources) or (subject is not None and not isinstance(subject, str)):
        raise TypeError(
            "dpopd_relay: protect(scopes=..., resources=...) takes lists of non-empty strings, subject a string"
        )
