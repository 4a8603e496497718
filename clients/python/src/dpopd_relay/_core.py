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
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Sequence, TypeVar, Union

from . import _client_auth
from ._public_url import htu_resolver
from ._request import SEVERAL, RelayRequest, access_token_fields, authorization_header, dpop_fields, query_of

log = logging.getLogger("dpopd_relay")

T = TypeVar("T")

#: The largest form body relayed: dpopd refuses API calls over 64 KiB, JSON escaping included.
MAX_BODY_BYTES = 32 * 1024
#: The largest answer read from dpopd; its answers are a few kilobytes.
MAX_ANSWER_BYTES = 1024 * 1024

# RFC 9449 §8: a nonce is 1*NQCHAR.
_NONCE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")
# A header value dpopd hands over (challenge, Location): visible ASCII and spaces only.
_HEADER_VALUE = re.compile(r"^[\x21-\x7e][\x20-\x7e]*$")


class DpopdUnavailable(Exception):
    """dpopd did not answer usably: unreachable, too slow, non-200, or not the JSON expected."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"dpopd {path}: {reason}")


@dataclass(frozen=True)
class Reply:
    """What to send the client."""

    status: int
    headers: dict[str, str]
    body: str = ""


@dataclass(frozen=True)
class Principal:
    """The token's facts when dpopd said `OK` to a resource request."""

    subject: str
    client_id: str
    scopes: tuple[str, ...]
    token_scheme: str
    jkt: str | None = None
    expires_at: int | None = None
    properties: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Allowed:
    """Serve the request; add `headers` (a fresh `DPoP-Nonce`, if any) to the answer."""

    principal: Principal
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Interaction:
    """An authorization request dpopd found valid: log the user in, ask for consent, then
    `issue` (or `fail`) with the `ticket`."""

    ticket: str
    client_id: str
    scopes: tuple[str, ...]
    prompts: tuple[str, ...]
    pushed: bool
    state: str | None = None
    redirect_uri: str | None = None
    dpop_jkt: str | None = None


@dataclass(frozen=True)
class Call(Generic[T]):
    """One dpopd call: `finish` turns its answer into the result, `on_failure` the 503 reply."""

    path: str
    body: dict
    finish: Callable[[dict], T]
    on_failure: Callable[[Reply], T]


Step = Union[T, Call[T]]

_TOKEN_STATUS = {"OK": 200, "BAD_REQUEST": 400, "INVALID_CLIENT": 401}
_PAR_STATUS = {"CREATED": 201, "BAD_REQUEST": 400, "UNAUTHORIZED": 401}
_REVOCATION_STATUS = {"OK": 200, "BAD_REQUEST": 400, "INVALID_CLIENT": 401}
_RESOURCE_STATUS = {"BAD_REQUEST": 400, "UNAUTHORIZED": 401, "FORBIDDEN": 403}

_BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="oauth", charset="UTF-8"'}


def _json(value: dict) -> str:
    return json.dumps(value, separators=(",", ":"))


def json_reply(status: int, body: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})}, body)


UNAVAILABLE = json_reply(503, _json({"error": "temporarily_unavailable",
                                     "error_description": "The authorization service is unavailable; try again later."}))
SERVER_ERROR = _json({"error": "server_error"})
TOO_LARGE = json_reply(413, _json({"error": "invalid_request", "error_description": "The request body is too large."}))


def _identity(value: T) -> T:
    return value


class Settings:
    """The relay's configuration, checked once. Caller credentials and dpopd's URL default to
    the environment (`DPOPD_CALLER`, `DPOPD_SECRET`, `DPOPD_URL`)."""

    def __init__(self, *, dpopd_url: str | None = None, caller: str | None = None, secret: str | None = None,
                 public_url: str | None = None, trust_proxy: bool = False, timeout: float = 5.0,
                 max_body_bytes: int = MAX_BODY_BYTES):
        url = dpopd_url or os.environ.get("DPOPD_URL") or "http://127.0.0.1:8080"
        if not re.match(r"^https?://[^/?#]+", url, re.IGNORECASE):
            raise ValueError(f"dpopd_relay: dpopd_url is not an http(s) URL: {url}")
        caller = caller or os.environ.get("DPOPD_CALLER")
        secret = secret or os.environ.get("DPOPD_SECRET")
        if not caller or not secret:
            raise ValueError("dpopd_relay: caller credentials missing: set DPOPD_CALLER and DPOPD_SECRET "
                             "(or pass caller and secret)")
        if not timeout or timeout <= 0:
            raise ValueError("dpopd_relay: timeout must be a positive number of seconds")
        self.dpopd_url = url.rstrip("/")
        self.caller_authorization = "Basic " + base64.b64encode(f"{caller}:{secret}".encode()).decode("ascii")
        self.timeout = float(timeout)
        self.max_body_bytes = max_body_bytes
        self.htu = htu_resolver(public_url, trust_proxy)


def parse_answer(path: str, status: int, content: bytes) -> dict:
    """dpopd's answer, an object with a string `action`; anything else is `DpopdUnavailable`."""
    if status != 200:
        # An API error (caller credentials, role, malformed call) or dpopd failing: resultCode
        # says which, for the log; the client gets 503 either way.
        raise DpopdUnavailable(path, f"HTTP {status} {_result_code(content)}")
    try:
        answer = json.loads(content)
    except ValueError:
        raise DpopdUnavailable(path, f"answer is not JSON ({len(content)} bytes)") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("action"), str):
        raise DpopdUnavailable(path, "answer has no action")
    return answer


def _result_code(content: bytes) -> str:
    try:
        code = json.loads(content).get("resultCode")
    except (ValueError, AttributeError):
        return ""
    return code if isinstance(code, str) and re.match(r"^A\d{6}$", code) else ""


def _compact(body: dict) -> dict:
    return {key: value for key, value in body.items() if value is not None}


class Steps:
    """The operations as steps; `Relay` and `AsyncRelay` run them."""

    settings: Settings
    #: Whether client credentials go to dpopd as the raw header (see _client_auth.py).
    forward_client_authorization: bool = _client_auth.FORWARD_CLIENT_AUTHORIZATION

    def token_step(self, request: RelayRequest) -> Step[Reply]:
        """The token endpoint (RFC 6749 §3.2, RFC 9449 §5)."""
        return self._client_step(request, "/auth/token", _TOKEN_STATUS, lambda credentials, htu: {
            "parameters": request.body or "", **credentials, **dpop_fields(request), "htm": request.method, "htu": htu})

    def par_step(self, request: RelayRequest) -> Step[Reply]:
        """The pushed authorization request endpoint (RFC 9126)."""
        dpop = dpop_fields(request)
        # dpopd's PAR call takes one proof and no count: more than one DPoP header is refused
        # here (RFC 9449 §4.3 step 1) rather than letting dpopd see only the first.
        if dpop["dpopHeaderCount"] > 1:
            return json_reply(400, _json({"error": "invalid_dpop_proof", "error_description": "More than one DPoP header."}))
        return self._client_step(request, "/pushed_auth_req", _PAR_STATUS, lambda credentials, htu: {
            "parameters": request.body or "", **credentials, **dpop, "htm": request.method, "htu": htu})

    def revocation_step(self, request: RelayRequest) -> Step[Reply]:
        """The revocation endpoint (RFC 7009): 200 with an empty body on `OK`."""
        return self._client_step(request, "/auth/revocation", _REVOCATION_STATUS,
                                 lambda credentials, htu: {"parameters": request.body or "", **credentials})

    def authorization_step(self, request: RelayRequest) -> Step[Union[Interaction, Reply]]:
        """The authorization endpoint (RFC 6749 §4.1.1): the query (GET) or form body (POST)."""
        if self._too_large(request):
            return TOO_LARGE
        parameters = (request.body or "") if request.method == "POST" else query_of(request.url)
        path = "/auth/authorization"

        def finish(answer: dict) -> Union[Interaction, Reply]:
            if answer["action"] != "INTERACTION":
                return _ticket_reply(path, answer)
            if not isinstance(answer.get("ticket"), str) or not isinstance(answer.get("clientId"), str):
                raise DpopdUnavailable(path, "INTERACTION without ticket or clientId")
            scopes = answer.get("scopes") if isinstance(answer.get("scopes"), list) else []
            prompts = answer.get("prompts") if isinstance(answer.get("prompts"), list) else []
            return Interaction(
                ticket=answer["ticket"], client_id=answer["clientId"],
                scopes=tuple(s["name"] for s in scopes if isinstance(s, dict) and isinstance(s.get("name"), str)),
                prompts=tuple(p for p in prompts if isinstance(p, str)), pushed=answer.get("pushed") is True,
                state=answer.get("state"), redirect_uri=answer.get("redirectUri"), dpop_jkt=answer.get("dpopJkt"))

        return Call(path, {"parameters": parameters}, finish, _identity)

    def issue_step(self, ticket: str, subject: str, scopes: Sequence[str] | None = None,
                   properties: Sequence[dict] | None = None, jwt_at_claims: str | None = None) -> Step[Reply]:
        """The user is logged in as `subject` and consented: the code goes to the client (302)."""
        path = "/auth/authorization/issue"
        body = _compact({"ticket": ticket, "subject": subject, "scopes": list(scopes) if scopes is not None else None,
                         "properties": list(properties) if properties is not None else None, "jwtAtClaims": jwt_at_claims})
        return Call(path, body, lambda answer: _ticket_reply(path, answer), _identity)

    def fail_step(self, ticket: str, reason: str, description: str | None = None) -> Step[Reply]:
        """The request ends with an error for the client (302), e.g. reason `DENIED`."""
        path = "/auth/authorization/fail"
        body = _compact({"ticket": ticket, "reason": reason, "description": description})
        return Call(path, body, lambda answer: _ticket_reply(path, answer), _identity)

    def introspection_step(self, request: RelayRequest, scopes: Sequence[str] | None = None,
                           subject: str | None = None, resources: Sequence[str] | None = None,
                           dpop_nonce_required: bool | None = None) -> Step[Union[Allowed, Reply]]:
        """A resource request (RFC 9449 §7, RFC 6750): `Allowed` when dpopd says `OK`, else the
        refusal to send."""
        path = "/auth/introspection"
        htu = self.settings.htu(request)
        if htu is None:
            return self._no_origin(path)
        token = access_token_fields(request)
        body = _compact({**token, "scopes": list(scopes) if scopes is not None else None, "subject": subject,
                         "resources": list(resources) if resources is not None else None,
                         "dpopNonceRequired": dpop_nonce_required, **dpop_fields(request),
                         "htm": request.method, "htu": htu})

        def finish(answer: dict) -> Union[Allowed, Reply]:
            nonce = _nonce_header(path, answer)
            action = answer["action"]
            if action == "OK":
                return Allowed(_principal(path, answer, token.get("tokenScheme")), nonce)
            headers = {"Cache-Control": "no-store", **nonce}
            if action == "INTERNAL_SERVER_ERROR":
                return json_reply(500, SERVER_ERROR, headers)
            status = _RESOURCE_STATUS.get(action)
            challenge = answer.get("responseContent")
            if status is None or not isinstance(challenge, str) or not _HEADER_VALUE.match(challenge):
                raise DpopdUnavailable(path, f"unexpected {action} answer")
            # RFC 6750 §3, RFC 9449 §7.1: dpopd's challenge is the WWW-Authenticate value, verbatim.
            return Reply(status, {**headers, "WWW-Authenticate": challenge})

        return Call(path, body, finish, _identity)

    def _client_step(self, request: RelayRequest, path: str, statuses: dict[str, int],
                     body: Callable[[dict, str], dict]) -> Step[Reply]:
        # Token, PAR and revocation: client credentials, then the JSON body of the answer.
        if self._too_large(request):
            return TOO_LARGE
        authorization = authorization_header(request)
        if authorization is SEVERAL:
            return json_reply(400, _json({"error": "invalid_request", "error_description": "More than one Authorization header."}))
        credentials = _client_auth.client_credential_fields(authorization, self.forward_client_authorization)  # type: ignore[arg-type]
        if credentials.malformed:
            # RFC 6749 §5.2: Basic credentials that do not decode fail client authentication.
            return json_reply(401, _json({"error": "invalid_client", "error_description": "Client authentication failed."}),
                              _BASIC_CHALLENGE)
        htu = self.settings.htu(request)
        if htu is None:
            return self._no_origin(path)
        return Call(path, _compact(body(credentials.fields, htu)),
                    lambda answer: _form_reply(path, answer, statuses, credentials.used_basic), _identity)

    def _too_large(self, request: RelayRequest) -> bool:
        return request.body is not None and len(request.body.encode("utf-8")) > self.settings.max_body_bytes

    @staticmethod
    def _no_origin(path: str) -> Reply:
        log.warning("dpopd_relay: %s: the trusted proxy's headers name no usable origin; no htu", path)
        return json_reply(400, _json({"error": "invalid_request", "error_description": "The request names no usable host."}))

    @staticmethod
    def failed(path: str, err: BaseException) -> None:
        """Logs why a step ended in 503."""
        if isinstance(err, DpopdUnavailable):
            log.warning("dpopd_relay: %s", err)
        else:
            log.error("dpopd_relay: %s: %r", path, err, exc_info=err)


def _nonce_header(path: str, answer: dict) -> dict[str, str]:
    nonce = answer.get("dpopNonce")
    if nonce is None:
        return {}
    if not isinstance(nonce, str) or not _NONCE.match(nonce):
        raise DpopdUnavailable(path, "dpopNonce is not a nonce")
    return {"DPoP-Nonce": nonce}


def _is_json_object(text: Any) -> bool:
    if not isinstance(text, str):
        return False
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _form_reply(path: str, answer: dict, statuses: dict[str, int], used_basic: bool) -> Reply:
    # Token, PAR, revocation: the status of the action, `responseContent` as the JSON body.
    headers = _nonce_header(path, answer)
    content = answer.get("responseContent")
    action = answer["action"]
    if action == "INTERNAL_SERVER_ERROR":
        return json_reply(500, content if _is_json_object(content) else SERVER_ERROR, headers)
    status = statuses.get(action)
    if status is None:
        raise DpopdUnavailable(path, f"unexpected action {action}")
    if content is None and path == "/auth/revocation" and status == 200:
        return Reply(200, {"Cache-Control": "no-store", **headers})  # RFC 7009 §2.2
    if not _is_json_object(content):
        raise DpopdUnavailable(path, f"{action} without a JSON responseContent")
    if status == 401 and used_basic:
        headers.update(_BASIC_CHALLENGE)
    return json_reply(status, content, headers)


def _ticket_reply(path: str, answer: dict) -> Reply:
    # Authorization, issue, fail: LOCATION is a redirect, anything else a JSON error page.
    content = answer.get("responseContent")
    action = answer["action"]
    if action == "LOCATION":
        if not isinstance(content, str) or not _HEADER_VALUE.match(content):
            raise DpopdUnavailable(path, "LOCATION without a usable URL")
        return Reply(302, {"Location": content, "Cache-Control": "no-store"})
    if action == "INTERNAL_SERVER_ERROR":
        return json_reply(500, content if _is_json_object(content) else SERVER_ERROR)
    if action != "BAD_REQUEST" or not _is_json_object(content):
        raise DpopdUnavailable(path, f"unexpected {action} answer")
    return json_reply(400, content)


def _principal(path: str, answer: dict, token_scheme: str | None) -> Principal:
    # OK is believed only when the whole answer agrees with it.
    scopes = answer.get("scopes")
    if (answer.get("sufficient") is not True or not isinstance(answer.get("subject"), str)
            or not isinstance(answer.get("clientId"), str) or not isinstance(scopes, list)
            or not all(isinstance(s, str) for s in scopes)):
        raise DpopdUnavailable(path, "OK answer without sufficient, subject, clientId and scopes")
    jkt = answer.get("jkt") if isinstance(answer.get("jkt"), str) else None
    expires_at = answer.get("expiresAt")
    properties = answer.get("properties")
    return Principal(
        subject=answer["subject"], client_id=answer["clientId"], scopes=tuple(scopes),
        token_scheme=token_scheme or ("DPoP" if jkt else "Bearer"), jkt=jkt,
        expires_at=expires_at if isinstance(expires_at, int) and not isinstance(expires_at, bool) else None,
        properties=tuple(p for p in properties if isinstance(p, dict)) if isinstance(properties, list) else ())


def check_requirements(scopes: Sequence[str] | None, subject: str | None, resources: Sequence[str] | None) -> None:
    """Fails at start-up, not per request, on requirements dpopd would refuse as a malformed call."""
    def strings(values: Any) -> bool:
        return values is None or (not isinstance(values, str) and all(isinstance(v, str) and v for v in values))
    if not strings(scopes) or not strings(resources) or (subject is not None and not isinstance(subject, str)):
        raise TypeError("dpopd_relay: protect(scopes=..., resources=...) takes lists of non-empty strings, subject a string")
