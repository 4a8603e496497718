"""dpopd's answers turned into what the client gets (README "Relay rules", openapi.yaml): the
status of each `action`, `responseContent` as the body or the challenge, `DPoP-Nonce`, and
`Cache-Control: no-store`. An answer dpopd never gives for the endpoint raises
`DpopdUnavailable`, which the relay answers 503: nothing unexpected is relayed or served."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

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
    `issue` (or `fail`) with the `ticket`.

    `no_interaction` is a request with `prompt=none` (OIDC Core §3.1.2.1): show the user
    nothing; `issue` if they are logged in and consented, else `fail` with `NOT_LOGGED_IN`,
    `CONSENT_REQUIRED` or `INTERACTION_REQUIRED`. An `openid` request adds `max_age` (seconds:
    authenticate again if the last authentication is older, and give `auth_time` to `issue`),
    `acrs` (`acr_values` in order of preference), `claims` (the claim names it asks for, by
    scope, OIDC Core §5.4, and by its `claims` parameter), `login_hint`, `ui_locales` and
    `nonce` (its ID token carries it as sent)."""

    ticket: str
    client_id: str
    scopes: tuple[str, ...]
    prompts: tuple[str, ...]
    pushed: bool
    state: str | None = None
    redirect_uri: str | None = None
    dpop_jkt: str | None = None
    no_interaction: bool = False
    max_age: int | None = None
    acrs: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()
    login_hint: str | None = None
    ui_locales: tuple[str, ...] = ()
    nonce: str | None = None


TOKEN_STATUS = {"OK": 200, "BAD_REQUEST": 400, "INVALID_CLIENT": 401}
PAR_STATUS = {"CREATED": 201, "BAD_REQUEST": 400, "UNAUTHORIZED": 401}
REVOCATION_STATUS = {"OK": 200, "BAD_REQUEST": 400, "INVALID_CLIENT": 401}
_RESOURCE_STATUS = {"BAD_REQUEST": 400, "UNAUTHORIZED": 401, "FORBIDDEN": 403}

BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="oauth", charset="UTF-8"'}


def json_text(value: dict) -> str:
    return json.dumps(value, separators=(",", ":"))


def json_reply(status: int, body: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})}, body)


UNAVAILABLE = json_reply(
    503,
    json_text(
        {
            "error": "temporarily_unavailable",
            "error_description": "The authorization service is unavailable; try again later.",
        }
    ),
)
SERVER_ERROR = json_text({"error": "server_error"})
TOO_LARGE = json_reply(
    413, json_text({"error": "invalid_request", "error_description": "The request body is too large."})
)


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


def form_reply(path: str, answer: dict, statuses: dict[str, int], used_basic: bool) -> Reply:
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
        headers.update(BASIC_CHALLENGE)
    return json_reply(status, content, headers)


def ticket_reply(path: str, answer: dict) -> Reply:
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


#: `/auth/authorization`: the answers that carry a ticket for the application.
INTERACTIONS = frozenset({"INTERACTION", "NO_INTERACTION"})


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def interaction_of(path: str, answer: dict) -> Interaction:
    """The `Interaction` of an INTERACTION or NO_INTERACTION answer."""
    if not isinstance(answer.get("ticket"), str) or not isinstance(answer.get("clientId"), str):
        raise DpopdUnavailable(path, f"{answer['action']} without ticket or clientId")
    scopes = answer.get("scopes") if isinstance(answer.get("scopes"), list) else []
    max_age = answer.get("maxAge")
    return Interaction(
        ticket=answer["ticket"],
        client_id=answer["clientId"],
        scopes=tuple(s["name"] for s in scopes if isinstance(s, dict) and isinstance(s.get("name"), str)),
        prompts=_strings(answer.get("prompts")),
        pushed=answer.get("pushed") is True,
        state=answer.get("state"),
        redirect_uri=answer.get("redirectUri"),
        dpop_jkt=answer.get("dpopJkt"),
        no_interaction=answer["action"] == "NO_INTERACTION",
        max_age=max_age if isinstance(max_age, int) and not isinstance(max_age, bool) and max_age >= 0 else None,
        acrs=_strings(answer.get("acrs")),
        claims=_strings(answer.get("claims")),
        login_hint=_string(answer.get("loginHint")),
        ui_locales=_strings(answer.get("uiLocales")),
        nonce=_string(answer.get("nonce")),
    )


def _principal(path: str, answer: dict, token_scheme: str | None) -> Principal:
    # OK is believed only when the whole answer agrees with it.
    scopes = answer.get("scopes")
    if (
        answer.get("sufficient") is not True
        or not isinstance(answer.get("subject"), str)
        or not isinstance(answer.get("clientId"), str)
        or not isinstance(scopes, list)
        or not all(isinstance(s, str) for s in scopes)
    ):
        raise DpopdUnavailable(path, "OK answer without sufficient, subject, clientId and scopes")
    jkt = answer.get("jkt") if isinstance(answer.get("jkt"), str) else None
    expires_at = answer.get("expiresAt")
    properties = answer.get("properties")
    return Principal(
        subject=answer["subject"],
        client_id=answer["clientId"],
        scopes=tuple(scopes),
        token_scheme=token_scheme or ("DPoP" if jkt else "Bearer"),
        jkt=jkt,
        expires_at=expires_at if isinstance(expires_at, int) and not isinstance(expires_at, bool) else None,
        properties=tuple(p for p in properties if isinstance(p, dict)) if isinstance(properties, list) else (),
    )


def resource_outcome(path: str, answer: dict, token_scheme: str | None) -> Allowed | Reply:
    """Introspection: `OK` lets the request through; a refusal sends dpopd's challenge."""
    nonce = _nonce_header(path, answer)
    action = answer["action"]
    if action == "OK":
        return Allowed(_principal(path, answer, token_scheme), nonce)
    headers = {"Cache-Control": "no-store", **nonce}
    if action == "INTERNAL_SERVER_ERROR":
        return json_reply(500, SERVER_ERROR, headers)
    status = _RESOURCE_STATUS.get(action)
    challenge = answer.get("responseContent")
    if status is None or not isinstance(challenge, str) or not _HEADER_VALUE.match(challenge):
        raise DpopdUnavailable(path, f"unexpected {action} answer")
    # RFC 6750 §3, RFC 9449 §7.1: dpopd's challenge is the WWW-Authenticate value, verbatim.
    return Reply(status, {**headers, "WWW-Authenticate": challenge})
