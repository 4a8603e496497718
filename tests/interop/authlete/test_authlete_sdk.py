"""The Authlete Python SDK (PyPI `authlete`, pinned in requirements.txt) against a real dpopd,
in V2 mode (`/api/...`, Basic with the caller's key and secret) and in V3 mode
(`/api/{serviceId}/...`, Bearer with the service access token, which dpopd knows as a caller's
secret). Each mode configures the SDK from an `authlete.ini` as README.md, "Point an Authlete
SDK at dpopd", shows it, and drives: the token API with a DPoP proof through the
use_dpop_nonce retry; introspection with a proof carrying `ath` through the resource server's
nonce retry; PAR with a proof, the authorization request by `request_uri`, the issue of the
code and its redemption with a proof of the same key; token create bound to a thumbprint;
revocation; the service JWKS (which verifies the access tokens) and the service configuration.
Every answer is read as the SDK reads it, into its own response types, and the checks are on
their fields. Then the refusals an SDK sees as exceptions: another service id (404, A001207),
a wrong access token and a wrong secret (401).

DPOPD_URL is dpopd; SERVICE_ID its `service.id`; V2_KEY/V2_SECRET and V3_TOKEN callers of
both roles; dpopd requires nonces at the token endpoint and at the resource server, and knows
the clients named below (run.sh configures it)."""
import base64
import hashlib
import json
import os
import secrets
import sys
import tempfile
import time
import traceback
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

from authlete.api.authlete_api_exception import AuthleteApiException
from authlete.api.authlete_api_impl import AuthleteApiImpl
from authlete.conf.authlete_ini_configuration import AuthleteIniConfiguration
from authlete.dto import (
    AuthorizationAction,
    AuthorizationIssueAction,
    AuthorizationIssueRequest,
    AuthorizationIssueResponse,
    AuthorizationRequest,
    AuthorizationResponse,
    IntrospectionAction,
    IntrospectionRequest,
    IntrospectionResponse,
    PushedAuthReqAction,
    PushedAuthReqRequest,
    PushedAuthReqResponse,
    RevocationAction,
    RevocationRequest,
    RevocationResponse,
    TokenAction,
    TokenCreateAction,
    TokenCreateRequest,
    TokenCreateResponse,
    TokenRequest,
    TokenResponse,
)
from authlete.types import GrantType
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

DPOPD_URL = os.environ.get("DPOPD_URL", "http://127.0.0.1:8080")
SERVICE_ID = os.environ.get("SERVICE_ID", "715948317")
V2_KEY = os.environ.get("V2_KEY", "demo-caller")
V2_SECRET = os.environ.get("V2_SECRET", "demo-caller-secret")
V3_TOKEN = os.environ.get("V3_TOKEN", "demo-caller-secret")
NAME = os.environ.get("SUITE", "authlete-python-sdk")

CLIENT, CLIENT_SECRET = "demo-client", "demo-client-secret"
PUBLIC_CLIENT, REDIRECT_URI = "sdk-public-client", "https://app.example.com/cb"
TOKEN_URL, PAR_URL, RS_URL = "https://as.example.com/token", "https://as.example.com/par", "https://rs.example.com/data"

passed = failed = 0


def check(what: str, ok: bool, detail: object = "") -> None:
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(f"{'ok  ' if ok else 'FAIL'} {what}{f': {detail}' if not ok and detail != '' else ''}", flush=True)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_part(jwt: str, index: int) -> dict:
    return json.loads(unb64url(jwt.split(".")[index]))


class DpopKey:
    """A client's ES256 DPoP key: RFC 9449 §4.2 proofs, RFC 7638 thumbprint."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        numbers = self.private.public_key().public_numbers()
        self.jwk = {"kty": "EC", "crv": "P-256",
                    "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big"))}
        canonical = json.dumps({k: self.jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
        self.jkt = b64url(hashlib.sha256(canonical.encode()).digest())

    def proof(self, htm: str, htu: str, nonce: str | None = None, access_token: str | None = None) -> str:
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk}
        claims = {"jti": secrets.token_urlsafe(16), "htm": htm, "htu": htu, "iat": int(time.time())}
        if nonce:
            claims["nonce"] = nonce
        if access_token:
            claims["ath"] = b64url(hashlib.sha256(access_token.encode()).digest())
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        r, s = decode_dss_signature(self.private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def verifies(jwt: str, jwks: dict) -> bool:
    """Whether `jwt` (ES256) verifies with the key of `jwks` its header names."""
    kid = jwt_part(jwt, 0).get("kid")
    key = next((k for k in jwks.get("keys", []) if k.get("kid") == kid and k.get("kty") == "EC"), None)
    if key is None:
        return False
    public = ec.EllipticCurvePublicNumbers(int.from_bytes(unb64url(key["x"]), "big"),
                                           int.from_bytes(unb64url(key["y"]), "big"), ec.SECP256R1()).public_key()
    head, body, signature = jwt.split(".")
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
        return True
    except Exception:  # noqa: BLE001 - any verification failure is a failed check
        return False


def sdk(ini: str) -> AuthleteApiImpl:
    """The SDK configured from the text of an `authlete.ini`, as its users configure it."""
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as file:
        file.write(ini)
    try:
        return AuthleteApiImpl(AuthleteIniConfiguration(file.name))
    finally:
        os.unlink(file.name)


def v2_ini(secret: str = V2_SECRET) -> str:
    return f"[authlete]\nbase_url = {DPOPD_URL}\nservice.api_key = {V2_KEY}\nservice.api_secret = {secret}\n"


def v3_ini(service_id: str = SERVICE_ID, token: str = V3_TOKEN) -> str:
    return (f"[authlete]\napi_version = V3\nbase_url = {DPOPD_URL}\n"
            f"service.api_key = {service_id}\nservice.access_token = {token}\n")


def token_with_nonce_retry(api, mode: str, key: DpopKey, parameters: str, **fields) -> TokenResponse:
    """The token API as a token endpoint calls it, through the use_dpop_nonce retry."""
    request = TokenRequest()
    request.parameters = parameters
    request.htm, request.htu = "POST", TOKEN_URL
    for name, value in fields.items():
        setattr(request, name, value)
    request.dpop = key.proof("POST", TOKEN_URL)
    first = api.token(request)
    check(f"{mode} token: without a nonce, BAD_REQUEST use_dpop_nonce with TokenResponse.dpopNonce",
          isinstance(first, TokenResponse) and first.action == TokenAction.BAD_REQUEST and bool(first.dpopNonce)
          and json.loads(first.responseContent or "{}").get("error") == "use_dpop_nonce",
          f"{first.action} {first.resultCode}")
    request.dpop = key.proof("POST", TOKEN_URL, nonce=first.dpopNonce)
    return api.token(request)


def introspection_request(key: DpopKey, token: str, nonce: str | None = None) -> IntrospectionRequest:
    """Introspection as a resource server calls it: the proof has `ath`, `read` is required."""
    request = IntrospectionRequest()
    request.token, request.scopes = token, ["read"]
    request.htm, request.htu = "GET", RS_URL
    request.dpop = key.proof("GET", RS_URL, nonce=nonce, access_token=token)
    return request


def introspect_with_nonce_retry(api, mode: str, key: DpopKey, token: str) -> IntrospectionResponse:
    """Introspection through the resource server's use_dpop_nonce retry."""
    request = introspection_request(key, token)
    first = api.introspection(request)
    check(f"{mode} introspection: without a nonce, UNAUTHORIZED with IntrospectionResponse.dpopNonce",
          isinstance(first, IntrospectionResponse) and first.action == IntrospectionAction.UNAUTHORIZED
          and bool(first.dpopNonce) and 'error="use_dpop_nonce"' in (first.responseContent or ""),
          f"{first.action} {first.resultCode} {first.responseContent}")
    request.dpop = key.proof("GET", RS_URL, nonce=first.dpopNonce, access_token=token)
    return api.introspection(request)


def client_credentials(api, mode: str, jwks: dict) -> tuple[DpopKey, str]:
    key = DpopKey()
    issued = token_with_nonce_retry(api, mode, key, "grant_type=client_credentials&scope=read",
                                    clientId=CLIENT, clientSecret=CLIENT_SECRET)
    check(f"{mode} token: OK, A052001, TokenResponse.accessToken issued",
          issued.action == TokenAction.OK and issued.resultCode == "A052001" and bool(issued.accessToken),
          f"{issued.action} {issued.resultMessage}")
    check(f"{mode} token: grantType and scopes in the SDK's types",
          issued.grantType == GrantType.CLIENT_CREDENTIALS and issued.scopes == ["read"],
          f"{issued.grantType} {issued.scopes}")
    claims = jwt_part(issued.accessToken, 1)
    check(f"{mode} token: cnf.jkt is the proof key's thumbprint", claims.get("cnf", {}).get("jkt") == key.jkt, claims)
    content = json.loads(issued.responseContent)
    check(f"{mode} token: responseContent is the DPoP token response to relay",
          content.get("token_type") == "DPoP" and content.get("access_token") == issued.accessToken, content)
    check(f"{mode} jwks: the access token verifies with the service JWKS", verifies(issued.accessToken, jwks))
    return key, issued.accessToken


def introspection(api, mode: str, key: DpopKey, token: str) -> None:
    answer = introspect_with_nonce_retry(api, mode, key, token)
    check(f"{mode} introspection: OK with the proof and ath, A056001",
          answer.action == IntrospectionAction.OK and answer.resultCode == "A056001" and answer.usable
          and answer.sufficient, f"{answer.action} {answer.resultMessage}")
    check(f"{mode} introspection: subject, scopes and clientId in IntrospectionResponse",
          answer.subject == CLIENT and answer.scopes == ["read"] and answer.clientId == CLIENT,
          f"{answer.subject} {answer.scopes} {answer.clientId}")
    bearer = IntrospectionRequest()
    bearer.token, bearer.scopes = token, ["read"]
    downgraded = api.introspection(bearer)
    check(f"{mode} introspection: the bound token without a proof is UNAUTHORIZED, A056307",
          downgraded.action == IntrospectionAction.UNAUTHORIZED and downgraded.resultCode == "A056307",
          f"{downgraded.action} {downgraded.resultCode}")
    stolen = IntrospectionRequest()
    stolen.token, stolen.htm, stolen.htu = token, "GET", RS_URL
    stolen.dpop = DpopKey().proof("GET", RS_URL, access_token=token)
    stolen.dpopNonceRequired = False
    other = api.introspection(stolen)
    check(f"{mode} introspection: a proof of another key is UNAUTHORIZED",
          other.action == IntrospectionAction.UNAUTHORIZED and other.resultCode in ("A056310", "A056311"),
          f"{other.action} {other.resultCode}")


def code_flow(api, mode: str, jwks: dict) -> None:
    """PAR with a proof, the authorization request by request_uri, issue, redemption."""
    key = DpopKey()
    verifier = secrets.token_urlsafe(48)
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    par = PushedAuthReqRequest()
    par.parameters = urlencode({"response_type": "code", "client_id": PUBLIC_CLIENT, "redirect_uri": REDIRECT_URI,
                                "scope": "read", "state": "s1", "code_challenge": challenge,
                                "code_challenge_method": "S256"})
    # A public client authenticates with nothing: its client_id is in the parameters, and the
    # request's clientId (Authlete's: the client_id of a Basic header) stays empty.
    par.htm, par.htu = "POST", PAR_URL
    par.dpop = key.proof("POST", PAR_URL)
    pushed: PushedAuthReqResponse = api.pushAuthorizationRequest(par)
    if pushed.action == PushedAuthReqAction.BAD_REQUEST and pushed.dpopNonce:
        par.dpop = key.proof("POST", PAR_URL, nonce=pushed.dpopNonce)
        pushed = api.pushAuthorizationRequest(par)
    check(f"{mode} PAR: CREATED with PushedAuthReqResponse.requestUri",
          isinstance(pushed, PushedAuthReqResponse) and pushed.action == PushedAuthReqAction.CREATED
          and (pushed.requestUri or "").startswith("urn:ietf:params:oauth:request_uri:"),
          f"{pushed.action} {pushed.resultMessage}")

    authorization = AuthorizationRequest()
    authorization.parameters = urlencode({"client_id": PUBLIC_CLIENT, "request_uri": pushed.requestUri})
    asked: AuthorizationResponse = api.authorization(authorization)
    check(f"{mode} authorization: INTERACTION with AuthorizationResponse.ticket",
          isinstance(asked, AuthorizationResponse) and asked.action == AuthorizationAction.INTERACTION
          and bool(asked.ticket), f"{asked.action} {asked.resultMessage}")

    issue = AuthorizationIssueRequest()
    issue.ticket, issue.subject = asked.ticket, "alice"
    issued: AuthorizationIssueResponse = api.authorizationIssue(issue)
    redirect = urlparse(issued.responseContent or "")
    query = parse_qs(redirect.query)
    check(f"{mode} issue: LOCATION, AuthorizationIssueResponse.authorizationCode in the redirect",
          issued.action == AuthorizationIssueAction.LOCATION and bool(issued.authorizationCode)
          and f"{redirect.scheme}://{redirect.netloc}{redirect.path}" == REDIRECT_URI
          and query.get("code") == [issued.authorizationCode] and query.get("state") == ["s1"],
          f"{issued.action} {issued.resultMessage} {issued.responseContent}")

    redeemed = token_with_nonce_retry(
        api, mode, key,
        urlencode({"grant_type": "authorization_code", "code": issued.authorizationCode,
                   "redirect_uri": REDIRECT_URI, "code_verifier": verifier, "client_id": PUBLIC_CLIENT}))
    check(f"{mode} token: the code redeemed with a proof of the PAR key, OK, A050001",
          redeemed.action == TokenAction.OK and redeemed.resultCode == "A050001"
          and redeemed.grantType == GrantType.AUTHORIZATION_CODE and redeemed.subject == "alice"
          and bool(redeemed.refreshToken), f"{redeemed.action} {redeemed.resultMessage}")
    check(f"{mode} token: the code's token is bound to the PAR key and verifies with the JWKS",
          jwt_part(redeemed.accessToken, 1).get("cnf", {}).get("jkt") == key.jkt
          and verifies(redeemed.accessToken, jwks))


def token_create_and_revocation(api, mode: str) -> None:
    key = DpopKey()
    create = TokenCreateRequest()
    create.grantType, create.clientId, create.subject = GrantType.CLIENT_CREDENTIALS, CLIENT, CLIENT
    create.scopes, create.dpopKeyThumbprint = ["read"], key.jkt
    created: TokenCreateResponse = api.tokenCreate(create)
    check(f"{mode} token create: OK, A047001, a DPoP token bound to the thumbprint",
          isinstance(created, TokenCreateResponse) and created.action == TokenCreateAction.OK
          and created.resultCode == "A047001" and created.tokenType == "DPoP" and created.expiresIn > 0
          and jwt_part(created.accessToken, 1).get("cnf", {}).get("jkt") == key.jkt,
          f"{created.action} {created.resultMessage}")

    before = introspect_with_nonce_retry(api, mode, key, created.accessToken)
    check(f"{mode} introspection: the created token is OK", before.action == IntrospectionAction.OK,
          f"{before.action} {before.resultMessage}")

    revoke = RevocationRequest()
    revoke.parameters = urlencode({"token": created.accessToken, "token_type_hint": "access_token"})
    revoke.clientId, revoke.clientSecret = CLIENT, CLIENT_SECRET
    revoked: RevocationResponse = api.revocation(revoke)
    check(f"{mode} revocation: OK, A059001", isinstance(revoked, RevocationResponse)
          and revoked.action == RevocationAction.OK and revoked.resultCode == "A059001",
          f"{revoked.action} {revoked.resultMessage}")

    # The token is refused before its proof is looked at, so no nonce retry is offered.
    after = api.introspection(introspection_request(key, created.accessToken))
    check(f"{mode} introspection: the revoked token is UNAUTHORIZED, A056305",
          after.action == IntrospectionAction.UNAUTHORIZED and after.resultCode == "A056305",
          f"{after.action} {after.resultCode}")

    wrong = RevocationRequest()
    wrong.parameters = urlencode({"token": created.accessToken})
    wrong.clientId, wrong.clientSecret = CLIENT, CLIENT_SECRET + "x"
    refused = api.revocation(wrong)
    check(f"{mode} revocation: a wrong client secret is INVALID_CLIENT",
          refused.action == RevocationAction.INVALID_CLIENT, f"{refused.action} {refused.resultCode}")


def service_documents(api, mode: str) -> dict:
    jwks = json.loads(api.getServiceJwks())
    check(f"{mode} jwks: getServiceJwks() gives a JWK Set of public keys",
          bool(jwks.get("keys")) and all("d" not in k for k in jwks["keys"]), jwks)
    configuration = json.loads(api.getServiceConfiguration())
    check(f"{mode} configuration: getServiceConfiguration() gives the metadata with DPoP algs",
          "ES256" in configuration.get("dpop_signing_alg_values_supported", [])
          and configuration.get("pushed_authorization_request_endpoint") == PAR_URL, configuration)
    return jwks


def refused(what: str, call, status: int, code: str) -> None:
    try:
        call()
        check(what, False, "answered")
    except AuthleteApiException as err:
        response = err.response
        body = response.json() if response is not None else {}
        check(what, response is not None and response.status_code == status and body.get("resultCode") == code
              and code in (err.message or ""), f"{response and response.status_code} {body} {err.message}")


def main() -> None:
    for mode, ini in (("V2", v2_ini()), ("V3", v3_ini())):
        api = sdk(ini)
        jwks = service_documents(api, mode)
        key, token = client_credentials(api, mode, jwks)
        introspection(api, mode, key, token)
        code_flow(api, mode, jwks)
        token_create_and_revocation(api, mode)

    configuration = lambda api: (lambda: api.getServiceConfiguration())  # noqa: E731
    refused("V3 another service id: AuthleteApiException, 404 A001207",
            configuration(sdk(v3_ini(service_id="42"))), 404, "A001207")
    refused("V3 a wrong service access token: AuthleteApiException, 401 A001201",
            lambda: sdk(v3_ini(token="wrong-token")).token(TokenRequest({"parameters": "grant_type=client_credentials"})),
            401, "A001201")
    refused("V2 a wrong API secret: AuthleteApiException, 401 A001201",
            lambda: sdk(v2_ini(secret="wrong")).token(TokenRequest({"parameters": "grant_type=client_credentials"})),
            401, "A001201")


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - any surprise is one failure, reported in full
        failed += 1
        print("FAIL unexpected error:\n" + traceback.format_exc(), flush=True)
    print(f"{NAME}: {passed} passed, {failed} failed", flush=True)
    sys.exit(0 if failed == 0 else 1)
