"""A DPoP-capable authorization server token endpoint and resource server in front of dpopd,
with Flask and requests. Every protocol decision is dpopd's: this file forwards what the client
sent and relays dpopd's `action`."""
import os
import re
from urllib.parse import unquote_plus

import requests
from flask import Flask, Response, jsonify, request

DPOPD_URL = os.environ.get("DPOPD_URL", "http://127.0.0.1:8080").rstrip("/")
CALLER = (os.environ.get("DPOPD_CALLER", "demo-caller"), os.environ.get("DPOPD_SECRET", "demo-caller-secret"))
PORT = int(os.environ.get("PORT", "3002"))
HOST = os.environ.get("HOST", "127.0.0.1")
# The URL clients use to reach this server: the DPoP `htu` of their proofs is checked against it.
PUBLIC_URL = os.environ.get("PUBLIC_URL", f"http://127.0.0.1:{PORT}").rstrip("/")

STATUS = {"OK": 200, "BAD_REQUEST": 400, "INVALID_CLIENT": 401, "UNAUTHORIZED": 401, "FORBIDDEN": 403}
TOKEN_SCHEME = re.compile(r"^(DPoP|Bearer)\s+(\S+)\s*$", re.IGNORECASE)

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
dpopd = requests.Session()  # keeps connections to dpopd open
dpopd.auth = CALLER


def call_dpopd(path: str, body: dict) -> dict:
    r = dpopd.post(f"{DPOPD_URL}{path}", json=body, timeout=10)
    # Non-200 means the API call itself was wrong (credentials, role, malformed): our bug, not the client's.
    if r.status_code != 200:
        raise RuntimeError(f"dpopd {path}: HTTP {r.status_code} {r.text}")
    return r.json()


def dpop_headers() -> dict:
    # Every `DPoP` header the client sent (RFC 9449 §4.3: more than one is an invalid request).
    values = request.headers.getlist("DPoP")
    return {"dpop": values[0] if values else None, "dpopHeaderCount": len(values)}


def basic_credentials():
    # `Authorization: Basic base64(id:secret)`, each part form-urlencoded (RFC 6749 §2.3.1).
    auth = request.authorization
    if auth is None or auth.type != "basic" or auth.username is None:
        return None
    return unquote_plus(auth.username), unquote_plus(auth.password or "")


@app.post("/token")
def token():
    basic = basic_credentials()
    r = call_dpopd("/auth/token", {
        "parameters": request.get_data(as_text=True),
        **dpop_headers(),
        "htm": request.method,
        "htu": f"{PUBLIC_URL}/token",
        "clientId": basic and basic[0],
        "clientSecret": basic and basic[1],
    })
    headers = {"Cache-Control": "no-store"}
    if r.get("dpopNonce"):
        headers["DPoP-Nonce"] = r["dpopNonce"]
    if r["action"] == "INVALID_CLIENT" and basic:
        headers["WWW-Authenticate"] = 'Basic realm="token"'
    content = r.get("responseContent")
    if content is None:
        return server_error(headers)
    return Response(content, STATUS.get(r["action"], 500), headers, content_type="application/json")


@app.route("/resource", methods=["GET", "POST"])
def resource():
    # `Authorization: DPoP <token>` or `Bearer <token>`; anything else is no token at all.
    match = TOKEN_SCHEME.match(request.headers.get("Authorization", ""))
    r = call_dpopd("/auth/introspection", {
        "token": match.group(2) if match else None,
        "tokenScheme": ("DPoP" if match.group(1).lower() == "dpop" else "Bearer") if match else None,
        "scopes": ["read"],
        **dpop_headers(),
        "htm": request.method,
        "htu": f"{PUBLIC_URL}/resource",
    })
    headers = {"Cache-Control": "no-store"}
    if r.get("dpopNonce"):
        headers["DPoP-Nonce"] = r["dpopNonce"]
    if r["action"] == "OK":
        body = {"message": "hello from the resource server", "subject": r.get("subject"),
                "clientId": r.get("clientId"), "scopes": r.get("scopes")}
        return jsonify(body), 200, headers
    # responseContent is the WWW-Authenticate value (RFC 6750 §3, RFC 9449 §7.1); dpopd sends
    # none with INTERNAL_SERVER_ERROR, when it could not decide (its store did not answer).
    challenge = r.get("responseContent")
    if r["action"] == "INTERNAL_SERVER_ERROR" or challenge is None:
        return server_error(headers)
    headers["WWW-Authenticate"] = challenge
    return Response(status=STATUS.get(r["action"], 500), headers=headers)


def server_error(headers: dict):
    return jsonify(error="server_error"), 500, headers


@app.errorhandler(RuntimeError)
@app.errorhandler(requests.RequestException)
def dpopd_failed(err):
    app.logger.error("%s %s: %s", request.method, request.path, err)
    return jsonify(error="server_error"), 500


if __name__ == "__main__":
    app.run(host=HOST, port=PORT)
