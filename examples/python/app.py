"""A DPoP-capable token endpoint, PAR, revocation and authorization endpoints, a resource server
and the discovery documents in front of dpopd, on Flask and dpopd-relay (clients/python). Every
protocol decision is dpopd's; the package relays its answers (status, Cache-Control, DPoP-Nonce,
WWW-Authenticate) and answers 503 when dpopd cannot be asked. The login is a demo: one user,
`demo-user`, and no password (README.md)."""

import html
import json
import os
import sys
import time
from urllib.parse import quote

import httpx
from flask import Flask, Response, g, jsonify, request

from dpopd_relay import DpopdUnavailable
from dpopd_relay.flask import FlaskRelay

PORT = int(os.environ.get("PORT", "3002"))
HOST = os.environ.get("HOST", "127.0.0.1")
DPOPD_URL = os.environ.get("DPOPD_URL", "http://127.0.0.1:8080").rstrip("/")
# The URL clients call this server at: the DPoP `htu` of their proofs is checked against it, and
# it is this server's resource identifier (RFC 9728).
PUBLIC_URL = os.environ.get("PUBLIC_URL", f"http://127.0.0.1:{PORT}").rstrip("/")

dpopd = FlaskRelay(
    dpopd_url=DPOPD_URL,
    # Development mode's demo caller when unset; a real deployment sets both.
    caller=os.environ.get("DPOPD_CALLER", "demo-caller"),
    secret=os.environ.get("DPOPD_SECRET", "demo-caller-secret"),
    public_url=PUBLIC_URL,
)

# The user database of the demo: one user and their claim values. dpopd keeps, of these, the
# claims the request asked for.
USERS = {"demo-user": {"name": "Demo User", "email": "demo-user@example.com", "email_verified": True}}


def issue_for(ticket: str, name: str | None) -> Response | None:
    """The demo's login: the user `name` is logged in with no password, now."""
    if name not in USERS:
        return None
    return dpopd.issue(ticket, name, auth_time=int(time.time()), amr=["pwd"], claims=USERS[name])


app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
app.post("/token")(dpopd.token)
app.post("/par")(dpopd.par)
app.post("/revoke")(dpopd.revocation)


@app.route("/authorize", methods=["GET", "POST"])
def authorize():
    def on_interaction(interaction):
        issued = issue_for(interaction.ticket, interaction.login_hint)
        if issued is not None:
            return issued
        if interaction.no_interaction:  # prompt=none (OIDC Core §3.1.2.1): no page; nobody is logged in
            return dpopd.fail(interaction.ticket, "NOT_LOGGED_IN")
        page = f"""<!doctype html>
<title>Sign in (demo)</title>
<p>{html.escape(interaction.client_id)} asks for: {html.escape(" ".join(interaction.scopes))}</p>
<form method="post" action="/login">
  <input type="hidden" name="ticket" value="{html.escape(interaction.ticket)}">
  <button name="user" value="demo-user">Sign in as demo-user</button>
  <button name="deny" value="1">Deny</button>
</form>"""
        return page, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}

    return dpopd.authorize(on_interaction)


@app.post("/login")
def login():
    """The demo login form: a ticket and the user chosen, or a refusal."""
    ticket = request.form.get("ticket", "")
    if not ticket:
        return jsonify(error="invalid_request"), 400
    issued = None if request.form.get("deny") else issue_for(ticket, request.form.get("user"))
    return issued if issued is not None else dpopd.fail(ticket, "DENIED")


# OpenID Connect userinfo (OIDC Core §5.3). This relay has no userinfo helper, so the token and
# its proof are checked as for any resource, with scope `openid` (dpopd's `/auth/userinfo` makes
# the same decision), and `/auth/userinfo/issue` keeps the claims the token allows of the user's
# values, sets `sub` and builds the body.
@app.route("/userinfo", methods=["GET", "POST"])
@dpopd.protect(scopes=["openid"])
def userinfo():
    token = request.headers["Authorization"].split(" ", 1)[1].strip()
    values = USERS.get(g.dpopd.subject, {})
    try:
        answer = dpopd.relay.call("/auth/userinfo/issue", {"token": token, "claims": json.dumps(values)})
    except DpopdUnavailable as err:
        print(err, file=sys.stderr)
        return jsonify(error="temporarily_unavailable"), 503, {"Cache-Control": "no-store"}
    headers = {"Cache-Control": "no-store"}
    action, content = answer.get("action"), answer.get("responseContent")
    if (
        action == "OK"
        and isinstance(content, str)
        and answer.get("contentType") in ("application/json", "application/jwt")
    ):
        return content, 200, {**headers, "Content-Type": answer["contentType"]}
    if (
        action in ("UNAUTHORIZED", "FORBIDDEN")
        and isinstance(content, str)
        and "\n" not in content
        and "\r" not in content
    ):
        return "", 401 if action == "UNAUTHORIZED" else 403, {**headers, "WWW-Authenticate": content}
    if action == "INTERNAL_SERVER_ERROR":
        return jsonify(error="server_error"), 500, headers
    print(f"dpopd /auth/userinfo/issue: unexpected {action} answer", file=sys.stderr)
    return jsonify(error="temporarily_unavailable"), 503, headers


def relay_document(path: str):
    """A metadata document of dpopd's, published here where clients look for it; dpopd's
    `[service]` URLs must name this server's endpoints (README.md)."""
    try:
        response = httpx.get(f"{DPOPD_URL}{path}", timeout=5, follow_redirects=False)
    except httpx.HTTPError as err:
        print(f"dpopd {path}: unreachable ({type(err).__name__})", file=sys.stderr)
        response = None
    if response is None or response.status_code != 200:
        return jsonify(error="temporarily_unavailable"), 503, {"Cache-Control": "no-store"}
    return response.content, 200, {"Content-Type": "application/json"}


# OpenID Connect Discovery 1.0 §4 and RFC 8414 §3.
@app.get("/.well-known/openid-configuration")
@app.get("/.well-known/oauth-authorization-server")
def discovery():
    return relay_document("/service/configuration")


@app.get("/jwks")
def jwks():
    return relay_document("/service/jwks")


# RFC 9728 §3: this server's resources as one protected resource.
@app.get("/.well-known/oauth-protected-resource")
def protected_resource_metadata():
    return relay_document(f"/service/resource_configuration?resource={quote(PUBLIC_URL, safe='')}")


@app.route("/resource", methods=["GET", "POST"])
@dpopd.protect(scopes=["read"])
def resource():
    principal = g.dpopd
    body = {
        "message": "hello from the resource server",
        "subject": principal.subject,
        "clientId": principal.client_id,
        "scopes": list(principal.scopes),
    }
    return jsonify(body), 200, {"Cache-Control": "no-store"}


@app.errorhandler(500)
def server_error(_err):
    # Flask has logged the exception; the client gets a JSON error, never a stack trace.
    return jsonify(error="server_error"), 500


if __name__ == "__main__":
    app.run(host=HOST, port=PORT)
