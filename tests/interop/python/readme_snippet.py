"""requests-oauth2client against the README's token endpoint snippet (readme_snippet/run.sh) in
front of dpopd, which requires DPoP nonces: client_credentials with client_secret_basic and a
DPoP proof, through the library's own use_dpop_nonce retry; then what the snippet must relay
right besides: a wrong secret (401 with a Basic challenge), no credentials (401 without one),
and two DPoP headers, which a WSGI server joins with a comma and the snippet must count as two.
TOKEN_URL is the snippet's token endpoint, DPOPD_LOG dpopd's log; CLIENT=odd uses the client of
../odd_client.json, otherwise development mode's demo-client."""

import base64
import http.client
import json
import os
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests_oauth2client import ClientSecretBasic, DPoPKey, DPoPToken, OAuth2Client
from requests_oauth2client.exceptions import InvalidClient

TOKEN_URL = os.environ.get("TOKEN_URL", "http://127.0.0.1:3000/token")
DPOPD_LOG = os.environ.get("DPOPD_LOG")
NAME = os.environ.get("SUITE", "readme-snippet-requests-oauth2client")
ODD = json.loads((Path(__file__).parent.parent / "odd_client.json").read_text(encoding="utf-8"))
CLIENT_ID, CLIENT_SECRET = (
    (ODD["client_id"], ODD["client_secret"]) if os.environ.get("CLIENT") == "odd" else ("demo-client", "demo-client-secret")
)

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


def form(value: str) -> str:
    # RFC 6749 §2.3.1 (Appendix B). requests-oauth2client 1.8's ClientSecretBasic sends the id
    # and secret as given, so it is given the encoded values (the same as the raw ones for
    # demo-client); its users with `%`, `+` or, in the id, `:` must do the same.
    return quote_plus(value, safe="")


def post_raw(headers: list[tuple[str, str]], body: str) -> tuple[int, dict, dict]:
    """POSTs to the token endpoint with header lines exactly as listed (repeated ones too)."""
    url = urlsplit(TOKEN_URL)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.putrequest("POST", url.path)
    for name, value in [("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", str(len(body))), *headers]:
        connection.putheader(name, value)
    connection.endheaders(body.encode())
    response = connection.getresponse()
    answer = (response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read() or b"{}"))
    connection.close()
    return answer


def dpopd_logged(text: str) -> bool:
    for _ in range(20):
        if DPOPD_LOG and text in Path(DPOPD_LOG).read_text(encoding="utf-8", errors="replace"):
            return True
        time.sleep(0.1)
    return False


def main() -> None:
    seen: list[requests.Response] = []

    class Recording(HTTPAdapter):
        def send(self, request, **kwargs):
            response = super().send(request, **kwargs)
            seen.append(response)
            return response

    session = requests.Session()
    session.mount("http://", Recording())
    client = OAuth2Client(token_endpoint=TOKEN_URL, auth=ClientSecretBasic(form(CLIENT_ID), form(CLIENT_SECRET)),
                          session=session, testing=True)  # testing: plain http
    key = DPoPKey.generate(alg="ES256")

    token = client.client_credentials(scope="read", dpop=True, dpop_key=key)
    check("token: DPoP-bound access token issued", isinstance(token, DPoPToken) and token.token_type == "DPoP",
          f"{type(token).__name__} {token.token_type}")
    statuses = [r.status_code for r in seen]
    check("token: use_dpop_nonce answered with DPoP-Nonce, then retried by the library",
          statuses == [400, 200] and bool(seen[0].headers.get("DPoP-Nonce")), statuses)
    check("token: Cache-Control no-store on every answer", all(r.headers.get("Cache-Control") == "no-store" for r in seen))
    claims = claims_of(token.access_token)
    check("token: cnf.jkt is the thumbprint of the library key", claims.get("cnf", {}).get("jkt") == key.dpop_jkt)
    check("token: issued to the client id as registered", claims.get("client_id") == CLIENT_ID, claims.get("client_id"))

    wrong = OAuth2Client(token_endpoint=TOKEN_URL, auth=ClientSecretBasic(form(CLIENT_ID), "wrong"), testing=True)
    try:
        wrong.client_credentials(scope="read")
        check("token: a wrong secret is refused with invalid_client", False, "a token was issued")
    except InvalidClient as err:
        r = err.response
        check("token: a wrong secret is 401 invalid_client with WWW-Authenticate Basic and no-store",
              r.status_code == 401 and r.headers.get("WWW-Authenticate", "").startswith("Basic")
              and r.headers.get("Cache-Control") == "no-store", f"{r.status_code} {r.headers}")

    status, headers, body = post_raw([], "grant_type=client_credentials")
    check("token: no client credentials is 401 invalid_client without a Basic challenge",
          status == 401 and body.get("error") == "invalid_client" and "www-authenticate" not in headers,
          f"{status} {headers} {body}")

    basic = seen[0].request.headers["Authorization"]
    proofs = [str(key.proof("POST", TOKEN_URL)) for _ in range(2)]
    status, headers, body = post_raw([("Authorization", basic), ("DPoP", proofs[0]), ("DPoP", proofs[1])],
                                     "grant_type=client_credentials")
    check("token: two DPoP headers are 400 invalid_dpop_proof", status == 400 and body.get("error") == "invalid_dpop_proof",
          f"{status} {body}")
    check("token: ... because dpopd counted two headers (RFC 9449 §4.3), not because the joined value is no JWS",
          dpopd_logged("more than one DPoP proof"), f"not in {DPOPD_LOG}")


if __name__ == "__main__":
    try:
        main()
    except Exception:  # noqa: BLE001 - any surprise is one failure, reported in full
        failed += 1
        print("FAIL unexpected error:\n" + traceback.format_exc(), flush=True)
    print(f"{NAME}: {passed} passed, {failed} failed", flush=True)
    sys.exit(0 if failed == 0 else 1)
