"""A FAPI 2.0-style login with requests-oauth2client against an example front and dpopd:
discovery from the front's /.well-known/openid-configuration (the library also fetches the
jwks_uri), a pushed authorization request with PKCE S256, a nonce, a DPoP proof and a
private_key_jwt assertion for the issuer, the front's authorization endpoint with the demo login
(login_hint=demo-user), the redirect's Location read without following it and validated by the
library (state, iss), the code redeemed with DPoP and the ID token validated by the library
(signature with a key of jwks_uri, iss, aud, azp, nonce, times), userinfo and refresh with DPoP.
Then refusals: a client assertion for another audience, a replayed client assertion.
AS_URL is the front; FAPI_CLIENT_KEY the file with the private JWK of client `fapi-client`."""

import base64
import json
import os
import sys
import traceback
from pathlib import Path
from urllib.parse import parse_qsl

import requests
from jwskate import InvalidSignature, Jwk
from requests.adapters import HTTPAdapter
from requests_oauth2client import BearerToken, DPoPToken, OAuth2Client, PrivateKeyJwt
from requests_oauth2client.exceptions import InvalidClient
from requests_oauth2client.tokens import InvalidIdToken

AS_URL = os.environ.get("AS_URL", "http://127.0.0.1:3002")
NAME = os.environ.get("SUITE", "requests-oauth2client-fapi")
CLIENT_KEY = json.loads(Path(os.environ["FAPI_CLIENT_KEY"]).read_text(encoding="utf-8"))
CLIENT_ID = "fapi-client"
REDIRECT_URI = "http://127.0.0.1/fapi/callback"
USER = "demo-user"

passed = failed = 0


def check(what: str, ok: bool, detail: object = "") -> None:
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(f"{'ok  ' if ok else 'FAIL'} {what}{f': {detail}' if not ok and detail != '' else ''}", flush=True)


def claims_of(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def main() -> None:
    # Every exchange at the transport, so the test sees the library's own nonce retries.
    seen: list[requests.Response] = []

    class Recording(HTTPAdapter):
        def send(self, request, **kwargs):
            response = super().send(request, **kwargs)
            seen.append(response)
            return response

    session = requests.Session()
    session.mount("http://", Recording())

    def proof(response: requests.Response) -> dict | None:
        header = response.request.headers.get("DPoP")
        return claims_of(header) if header else None

    def form(response: requests.Response) -> dict:
        return dict(parse_qsl(response.request.body or ""))

    # 1. Discovery; the library compares the document's issuer with the one asked for.
    # `testing=True` only lets it use http on 127.0.0.1.
    auth = PrivateKeyJwt(CLIENT_ID, Jwk(CLIENT_KEY), alg="ES256", aud=AS_URL)
    client = OAuth2Client.from_discovery_endpoint(
        issuer=AS_URL,
        auth=auth,
        session=session,
        testing=True,
        redirect_uri=REDIRECT_URI,
        dpop_bound_access_tokens=True,
        dpop_alg="ES256",
        id_token_signed_response_alg="ES256",
    )
    check(
        "discovery: the front's endpoints",
        client.pushed_authorization_request_endpoint == f"{AS_URL}/par"
        and client.token_endpoint == f"{AS_URL}/token"
        and client.userinfo_endpoint == f"{AS_URL}/userinfo"
        and client.authorization_endpoint == f"{AS_URL}/authorize",
        f"{client.token_endpoint} {client.authorization_endpoint}",
    )
    check(
        "discovery: the signing keys from jwks_uri",
        client.authorization_server_jwks is not None and len(client.authorization_server_jwks.jwks) > 0,
    )
    prm = session.get(f"{AS_URL}/.well-known/oauth-protected-resource")
    prm_body = prm.json() if prm.status_code == 200 else {}
    check(
        "protected resource metadata (RFC 9728): the front and this AS",
        prm_body.get("resource") == AS_URL and AS_URL in prm_body.get("authorization_servers", []),
        f"{prm.status_code} {prm_body}",
    )

    # 2. PAR: PKCE S256, nonce and state made by the library, DPoP proof, private_key_jwt.
    request = client.authorization_request(scope="openid email", login_hint=USER)
    seen.clear()
    pushed = client.pushed_authorization_request(request)
    statuses = [r.status_code for r in seen]
    check("PAR: use_dpop_nonce (400), then 201 with the nonce", statuses == [400, 201], statuses)
    par_form = form(seen[-1])
    assertion = par_form.get("client_assertion", "")
    check(
        "PAR: a private_key_jwt assertion for the issuer",
        par_form.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        and claims_of(assertion).get("aud") == AS_URL,
        par_form,
    )
    check("PAR: the proof is for the PAR endpoint", proof(seen[-1]).get("htu") == f"{AS_URL}/par")
    check("PAR: request_uri issued", str(pushed.request_uri).startswith("urn:ietf:params:oauth:request_uri:"))

    # 3. The authorization endpoint with the request_uri; the redirect is read, not followed.
    redirect = session.get(str(pushed.uri), allow_redirects=False)
    location = redirect.headers.get("Location", "")
    check(
        "authorize: 302 to the redirect URI",
        redirect.status_code == 302 and location.startswith(REDIRECT_URI),
        f"{redirect.status_code} {location}",
    )
    response = request.validate_callback(location)
    check("authorize: validate_callback accepts it (state, iss)", bool(response.code))

    # 4. The code for tokens with DPoP, then the ID token validated by the library. Version 1.8.0
    # cannot validate it on the DPoPToken itself (validate_id_token rebuilds the token without
    # its DPoP key: TypeError), so it validates a BearerToken with the same ID token.
    seen.clear()
    token = client.authorization_code(response, validate=False)
    check(
        "token: a DPoP-bound token",
        isinstance(token, DPoPToken) and token.token_type.lower() == "dpop",
        type(token).__name__,
    )
    check(
        "token: cnf.jkt is the DPoP key's thumbprint",
        claims_of(token.access_token)["cnf"]["jkt"] == request.dpop_key.dpop_jkt,
    )
    id_token = (
        BearerToken(access_token=token.access_token, id_token=str(token.id_token))
        .validate_id_token(client, response)
        .id_token
    )
    check(
        "ID token: validated by the library (signature with jwks_uri's key, iss, aud, azp, nonce)", id_token is not None
    )
    forged_claims = {**claims_of(str(token.id_token)), "sub": "someone-else"}
    header, _, signature = str(token.id_token).split(".")
    forged = ".".join(
        [header, base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).decode().rstrip("="), signature]
    )
    try:
        BearerToken(access_token=token.access_token, id_token=forged).validate_id_token(client, response)
        check("ID token: a tampered one fails the library's validation", False, "accepted")
    except (InvalidIdToken, InvalidSignature):
        check("ID token: a tampered one fails the library's validation", True)
    id_claims = claims_of(str(id_token))
    check(
        "ID token: the nonce is the one sent",
        id_claims.get("nonce") == request.nonce,
        f"{id_claims.get('nonce')} vs {request.nonce}",
    )
    check(
        "ID token: sub and email",
        id_claims.get("sub") == USER and id_claims.get("email") == "demo-user@example.com",
        id_claims,
    )

    # 5. Userinfo with DPoP (the library's DPoPToken makes the proof with ath).
    seen.clear()
    userinfo = client.userinfo(token)
    check(
        "userinfo: sub matches the ID token, email allowed, name not",
        userinfo.get("sub") == USER and userinfo.get("email") == "demo-user@example.com" and "name" not in userinfo,
        userinfo,
    )
    # The library calls userinfo with POST (OIDC Core §5.3.1 allows GET and POST); both fronts take both.
    check(
        "userinfo: proofs for the userinfo request with ath",
        all(
            proof(r)
            and proof(r).get("htm") == r.request.method
            and proof(r).get("htu") == f"{AS_URL}/userinfo"
            and proof(r).get("ath")
            for r in seen
        ),
        [(r.status_code, proof(r)) for r in seen],
    )

    # 6. Refresh with DPoP, same key.
    refreshed = client.refresh_token(token)
    check(
        "refresh: a new DPoP-bound token with the same key",
        isinstance(refreshed, DPoPToken)
        and refreshed.access_token != token.access_token
        and claims_of(refreshed.access_token)["cnf"]["jkt"] == request.dpop_key.dpop_jkt,
    )
    check("refresh: the new token serves userinfo", client.userinfo(refreshed).get("sub") == USER)

    # 7. Refusals: an assertion for another audience, and the accepted assertion sent again.
    other = OAuth2Client.from_discovery_endpoint(
        issuer=AS_URL,
        auth=PrivateKeyJwt(CLIENT_ID, Jwk(CLIENT_KEY), alg="ES256", aud=f"{AS_URL}/token"),
        session=session,
        testing=True,
        redirect_uri=REDIRECT_URI,
        dpop_bound_access_tokens=True,
        dpop_alg="ES256",
        id_token_signed_response_alg="ES256",
    )
    try:
        other.pushed_authorization_request(other.authorization_request(scope="openid", login_hint=USER))
        check("PAR: an assertion for another audience is invalid_client", False, "accepted")
    except InvalidClient:
        check("PAR: an assertion for another audience is invalid_client", True)
    replay = session.post(f"{AS_URL}/par", data=par_form)
    check(
        "PAR: the accepted assertion sent again is invalid_client",
        replay.status_code == 401 and replay.json().get("error") == "invalid_client",
        f"{replay.status_code} {replay.text}",
    )


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # noqa: BLE001
        traceback.print_exc()
        check("the flow ran to its end", False, repr(err))
    print(f"{NAME}: {passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 else 1)
