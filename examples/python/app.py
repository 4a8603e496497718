"""A DPoP-capable token endpoint, PAR and revocation endpoints, and a resource server in front of
dpopd, on Flask and dpopd-relay (clients/python). Every protocol decision is dpopd's; the
package relays its answers (status, Cache-Control, DPoP-Nonce, WWW-Authenticate) and answers 503
when dpopd cannot be asked."""

import os

from flask import Flask, g, jsonify

from dpopd_relay.flask import FlaskRelay

PORT = int(os.environ.get("PORT", "3002"))
HOST = os.environ.get("HOST", "127.0.0.1")

dpopd = FlaskRelay(
    dpopd_url=os.environ.get("DPOPD_URL", "http://127.0.0.1:8080"),
    # Development mode's demo caller when unset; a real deployment sets both.
    caller=os.environ.get("DPOPD_CALLER", "demo-caller"),
    secret=os.environ.get("DPOPD_SECRET", "demo-caller-secret"),
    # The URL clients call this server at: the DPoP `htu` of their proofs is checked against it.
    public_url=os.environ.get("PUBLIC_URL", f"http://127.0.0.1:{PORT}"),
)

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
app.post("/token")(dpopd.token)
app.post("/par")(dpopd.par)
app.post("/revoke")(dpopd.revocation)


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
