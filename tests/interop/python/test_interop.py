"""requests-oauth2client against an example front and dpopd: client_credentials with DPoP and
the token endpoint's use_dpop_nonce retry, the token's cnf.jkt against the library's own
thumbprint (jwskate), then a protected resource call with `ath` and the resource server's nonce
retry; then the same for the client of ../odd_client.json, whose id and secret RFC 6749 §2.3.1
has the client form-urlencode and dpopd decodes. AS_URL and RS_URL are the front(s) to use;
dpopd must know both clients (run.sh configures it)."""
import base64
import hashlib
import json
import os
import re
import sys
import traceback
from pathlib import Path
from urllib.parse import quote_plus

import requests
from requests.adapters import HTTPAdapter
from requests_oauth2client import ClientSecretBasic, DPoPKey, DPoPToken, OAuth2Client
from requests_oauth2client.exceptions import InvalidClient

AS_URL = os.environ.get("AS_URL", "http://127.0.0.1:3002")
RS_URL = os.environ.get("RS_URL", AS_URL)
NAME = os.environ.get("SUITE", "requests-oauth2client")
ODD = json.loads((Path(__file__).parent.parent / "odd_client.json").read_text(encoding="utf-8"))

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


def proof_of(response: requests.Response):
    proof = response.request.headers.get("DPoP")
    return claims_of(proof) if proof else None


def main() -> None:
    # Every response at the transport, so the test sees the retries the library made by itself
    # (DPoPToken retries through the adapter directly, past session hooks).
    seen: list[requests.Response] = []

    class Recording(HTTPAdapter):
        def send(self, request, **kwargs):
            response = super().send(request, **kwargs)
            seen.append(response)
            return response

    session = requests.Session()
    session.mount("http://", Recording())
    client = OAuth2Client(token_endpoint=f"{AS_URL}/token", auth=ClientSecretBasic("demo-client", "demo-client-secret"),
                          session=session, testing=True)  # testing: plain http on 127.0.0.1
    key = DPoPKey.generate(alg="ES256")

    # 1. Token request; the first answer is use_dpop_nonce (nonces are required), the library retries.
    token = client.client_credentials(scope="read", dpop=True, dpop_key=key)
    check("token: DPoP-bound access token issued", isinstance(token, DPoPToken) and token.token_type == "DPoP",
          f"{type(token).__name__} {token.token_type}")
    check("token: scope read granted", token.scope == "read", token.scope)
    statuses = [r.status_code for r in seen]
    check("token: use_dpop_nonce answered, then retried by the library", statuses == [400, 200], statuses)
    check("token: first proof without nonce, retry with the DPoP-Nonce of the answer",
          len(seen) == 2 and "nonce" not in proof_of(seen[0]) and proof_of(seen[1]).get("nonce") == seen[0].headers.get("DPoP-Nonce"))
    check("token: Cache-Control no-store relayed", seen[-1].headers.get("Cache-Control") == "no-store")

    # 2. cnf.jkt is the thumbprint of the client's key, as the library (jwskate) computes it.
    jkt = claims_of(token.access_token).get("cnf", {}).get("jkt")
    check("jkt: cnf.jkt equals DPoPKey.dpop_jkt", jkt == key.dpop_jkt, f"{jkt} vs {key.dpop_jkt}")
    check("jkt: cnf.jkt equals jwskate public_jwk.thumbprint()", jkt == key.public_jwk.thumbprint())

    # 3. Resource request: the resource server wants its own nonce first; DPoPToken retries by itself.
    seen.clear()
    response = session.get(f"{RS_URL}/resource", auth=token, timeout=10)
    body = response.json() if response.status_code == 200 else {}
    check("resource: 200 with the token subject and scopes",
          response.status_code == 200 and body.get("subject") == "demo-client" and body.get("scopes") == ["read"],
          f"{response.status_code} {response.headers.get('WWW-Authenticate')} {body}")
    first = seen[0]
    check("resource: use_dpop_nonce challenge (401), then retried by the library",
          [r.status_code for r in seen] == [401, 200] and 'error="use_dpop_nonce"' in first.headers.get("WWW-Authenticate", ""),
          f"{[r.status_code for r in seen]} {first.headers.get('WWW-Authenticate')}")
    ath = base64.urlsafe_b64encode(hashlib.sha256(token.access_token.encode()).digest()).rstrip(b"=").decode()
    proofs = [proof_of(first), proof_of(response)]
    check("resource: every proof carries ath = SHA-256 of the token", all(p and p.get("ath") == ath for p in proofs))
    check("resource: retried proof carries the resource server nonce",
          proofs[1].get("nonce") is not None and proofs[1].get("nonce") == first.headers.get("DPoP-Nonce"))

    # 4. The kept nonce serves the next call without a new challenge.
    seen.clear()
    again = session.get(f"{RS_URL}/resource", auth=token, timeout=10)
    check("resource: second call succeeds at once with the kept nonce",
          again.status_code == 200 and [r.status_code for r in seen] == [200], [r.status_code for r in seen])

    # 5. The front relays refusals: a bound token as Bearer, no token, too little scope, a wrong secret.
    downgrade = requests.get(f"{RS_URL}/resource", headers={"Authorization": f"Bearer {token.access_token}"}, timeout=10)
    check("resource: bound token as Bearer refused with a DPoP challenge",
          downgrade.status_code == 401 and downgrade.headers.get("WWW-Authenticate", "").startswith("DPoP"),
          f"{downgrade.status_code} {downgrade.headers.get('WWW-Authenticate')}")
    no_token = requests.get(f"{RS_URL}/resource", timeout=10)
    # RFC 6750 §3.1: a request without a token gets 401 and a challenge without an error code.
    check("resource: no token refused with a challenge", no_token.status_code == 401
          and re.match(r"(Bearer|DPoP)\b", no_token.headers.get("WWW-Authenticate", "")) is not None,
          f"{no_token.status_code} {no_token.headers.get('WWW-Authenticate')}")
    write_only = client.client_credentials(scope="write", dpop=True, dpop_key=key)
    forbidden = session.get(f"{RS_URL}/resource", auth=write_only, timeout=10)
    check("resource: token without scope read is 403 insufficient_scope",
          forbidden.status_code == 403 and 'error="insufficient_scope"' in forbidden.headers.get("WWW-Authenticate", ""),
          f"{forbidden.status_code} {forbidden.headers.get('WWW-Authenticate')}")
    wrong = OAuth2Client(token_endpoint=f"{AS_URL}/token", auth=ClientSecretBasic("demo-client", "wrong"), testing=True)
    try:
        wrong.client_credentials(scope="read")
        check("token: wrong client secret is refused with invalid_client", False, "a token was issued")
    except InvalidClient as err:
        r = err.response
        check("token: wrong client secret is 401 invalid_client with WWW-Authenticate Basic",
              r.status_code == 401 and r.headers.get("WWW-Authenticate", "").startswith("Basic"))

    # 6. A client whose id and secret hold - . _ ~ : % + space, quotes and non-ASCII; the front
    #    relays the header as sent, dpopd decodes it. requests-oauth2client 1.8's
    #    ClientSecretBasic sends what it is given without the form-urlencoding RFC 6749 §2.3.1
    #    asks for, so it is given the encoded id and secret.
    def form(value: str) -> str:
        return quote_plus(value, safe="")

    odd = OAuth2Client(token_endpoint=f"{AS_URL}/token", auth=ClientSecretBasic(form(ODD["client_id"]), form(ODD["client_secret"])),
                       session=session, testing=True)
    odd_token = odd.client_credentials(scope="read", dpop=True, dpop_key=key)
    check("odd client: DPoP-bound access token issued",
          isinstance(odd_token, DPoPToken) and claims_of(odd_token.access_token).get("cnf", {}).get("jkt") == key.dpop_jkt,
          f"{type(odd_token).__name__} {odd_token.token_type}")
    odd_resource = session.get(f"{RS_URL}/resource", auth=odd_token, timeout=10)
    odd_body = odd_resource.json() if odd_resource.status_code == 200 else {}
    check("odd client: the resource serves its token, with the client id as registered",
          odd_resource.status_code == 200 and odd_body.get("clientId") == ODD["client_id"],
          f"{odd_resource.status_code} {odd_body}")
    odd_wrong = OAuth2Client(token_endpoint=f"{AS_URL}/token", testing=True,
                             auth=ClientSecretBasic(form(ODD["client_id"]), form(ODD["client_secret"] + "x")))
    try:
        odd_wrong.client_credentials(scope="read")
        check("odd client: a wrong secret is refused with invalid_client", False, "a token was issued")
    except InvalidClient as err:
        check("odd client: a wrong secret is 401 invalid_client", err.response.status_code == 401)


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - any surprise is one failure, reported in full
        failed += 1
        print("FAIL unexpected error:\n" + traceback.format_exc(), flush=True)
    print(f"{NAME}: {passed} passed, {failed} failed", flush=True)
    sys.exit(0 if failed == 0 else 1)
