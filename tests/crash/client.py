"""Load and check client of tests/crash/run.sh (Python standard library only).

  client.py load  --url URL --caller KEY:SECRET --bodies FILE --pid PID --seconds S --state OUT
  client.py check --url URL --caller KEY:SECRET --state FILE

`load` sends client_credentials requests with pre-minted DPoP proofs (one body per line, each
sent once) from several threads, revokes every fifth access token it gets, and runs the code flow
of the public client in two more threads: each ticket issued, each code redeemed, each refresh
token rotated once. After S seconds it kills dpopd (SIGKILL) while the load runs, and writes
down what dpopd answered before the kill: accepted proofs, revoked tokens, spent tickets and
codes, rotated-away refresh tokens, and a few tokens never revoked.

`check` presents every one of them again to the restarted dpopd and expects each to be refused
with the result code that names the reason (a replay, a revoked token, a spent ticket or code, a
reused refresh token), and the never-revoked tokens to be active still: a refusal for another
reason would prove nothing. Its last line is `crash: N replayed, N refused`.
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse

PUBLIC_CLIENT = "crash-public"
REDIRECT_URI = "https://app.example.com/cb"
CLIENT = ("crash-client", "crash-client-secret")


class Api:
    """One keep-alive connection to dpopd, authenticated as the caller."""

    def __init__(self, url, caller):
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.auth = "Basic " + base64.b64encode(caller.encode()).decode()
        self.conn = None

    def post(self, path, body):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        try:
            self.conn.request("POST", path, data, {"Content-Type": "application/json", "Authorization": self.auth})
            response = self.conn.getresponse()
            return response.status, json.loads(response.read() or b"null")
        except Exception:
            self.conn.close()
            self.conn = None
            raise


def code_flow(api, record):
    """Authorization request → ticket → code → tokens → one rotation; records each step dpopd answered."""
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    request = urllib.parse.urlencode({
        "response_type": "code", "client_id": PUBLIC_CLIENT, "redirect_uri": REDIRECT_URI,
        "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"})
    _, interaction = api.post("/auth/authorization", {"parameters": request})
    ticket = interaction["ticket"]
    _, issued = api.post("/auth/authorization/issue", {"ticket": ticket, "subject": "alice"})
    if issued.get("action") != "LOCATION":
        raise RuntimeError(f"issue: {issued}")
    record("tickets", ticket)
    query = urllib.parse.urlsplit(issued["responseContent"]).query
    code = urllib.parse.parse_qs(query)["code"][0]
    redeem = urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "client_id": PUBLIC_CLIENT, "redirect_uri": REDIRECT_URI})
    _, tokens = api.post("/auth/token", {"parameters": redeem})
    if tokens.get("action") != "OK":
        raise RuntimeError(f"redeem: {tokens}")
    record("codes", {"code": code, "verifier": verifier})
    refresh = urllib.parse.urlencode({
        "grant_type": "refresh_token", "refresh_token": tokens["refreshToken"], "client_id": PUBLIC_CLIENT})
    _, rotated = api.post("/auth/token", {"parameters": refresh})
    if rotated.get("action") != "OK":
        raise RuntimeError(f"refresh: {rotated}")
    record("rotated", tokens["refreshToken"])


def load(args):
    bodies = [line for line in open(args.bodies) if line.strip()]
    state = {"proofs": [], "revoked": [], "active": [], "tickets": [], "codes": [], "rotated": []}
    lock = threading.Lock()
    next_body = iter(range(len(bodies)))
    errors = []

    def record(kind, item):
        with lock:
            state[kind].append(item)

    def tokens():
        api = Api(args.url, args.caller)
        accepted = 0
        while True:
            with lock:
                index = next(next_body, None)
            if index is None:
                return
            try:
                status, answer = api.post("/auth/token", bodies[index])
                if status == 200 and answer.get("action") == "OK":
                    record("proofs", bodies[index])
                    accepted += 1
                    token = answer["accessToken"]
                    if accepted % 5 == 0:
                        revoke = {"parameters": f"token={token}", "clientId": CLIENT[0], "clientSecret": CLIENT[1]}
                        status, answer = api.post("/auth/revocation", revoke)
                        if status == 200 and answer.get("action") == "OK":
                            record("revoked", token)
                    elif accepted % 50 == 1:
                        record("active", token)
                elif status == 200:
                    errors.append(f"token: {answer}")
            except (OSError, http.client.HTTPException):
                return  # dpopd was killed

    def codes():
        api = Api(args.url, args.caller)
        while True:
            try:
                code_flow(api, record)
            except (OSError, http.client.HTTPException):
                return
            except (RuntimeError, KeyError) as e:
                errors.append(f"code flow: {e}")
                return

    threads = [threading.Thread(target=tokens) for _ in range(6)] + [threading.Thread(target=codes) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    os.kill(args.pid, signal.SIGKILL)
    killed_at = {k: len(v) for k, v in state.items()}
    for t in threads:
        t.join()
    if errors:
        sys.exit(f"crash load: unexpected answers before the kill: {errors[:3]}")
    json.dump(state, open(args.state, "w"))
    print("crash load: killed dpopd with " + ", ".join(f"{len(v)} {k}" for k, v in state.items())
          + f" answered (at the kill: {sum(killed_at.values())} recorded)")


def check(args):
    state = json.load(open(args.state))
    api = Api(args.url, args.caller)
    refused, presented, failures = 0, 0, []

    def expect(what, answer, code):
        nonlocal refused, presented
        presented += 1
        if answer.get("resultCode") == code:
            refused += 1
        elif len(failures) < 5:
            failures.append(f"{what}: expected {code}, got {answer.get('action')} {answer.get('resultCode')}")

    def active(token):
        answer = api.post("/auth/introspection/standard", {"parameters": f"token={token}"})[1]
        return json.loads(answer["responseContent"]).get("active")

    for body in state["proofs"]:
        expect("replayed proof", api.post("/auth/token", body)[1], "A254302")
    for token in state["revoked"]:
        # RFC 7662 answers a revoked token with {"active": false} and no result code of its own.
        expect("revoked token", {"resultCode": "inactive" if active(token) is False else "active"}, "inactive")
    for ticket in state["tickets"]:
        expect("spent ticket", api.post("/auth/authorization/issue", {"ticket": ticket, "subject": "alice"})[1], "A040203")
    # Before the codes: a reused code revokes its whole grant, refresh family included.
    for token in state["rotated"]:
        refresh = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": token, "client_id": PUBLIC_CLIENT})
        expect("rotated refresh token", api.post("/auth/token", {"parameters": refresh})[1], "A053304")
    for spent in state["codes"]:
        redeem = urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": spent["code"], "code_verifier": spent["verifier"],
            "client_id": PUBLIC_CLIENT, "redirect_uri": REDIRECT_URI})
        expect("spent code", api.post("/auth/token", {"parameters": redeem})[1], "A050307")
    # The control: tokens never revoked are still active, so "inactive" above means revoked.
    for token in state["active"]:
        if active(token) is not True:
            failures.append("a token never revoked is not active after the restart")
    empty = [k for k in ("proofs", "revoked", "tickets", "codes", "rotated", "active") if not state[k]]
    if empty:
        failures.append(f"the load recorded no {', '.join(empty)}: the run proves nothing about them")
    print(f"crash: {presented} replayed, {refused} refused")
    if failures or refused != presented:
        sys.exit("crash check failed:\n  " + "\n  ".join(failures))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["load", "check"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--caller", required=True)
    parser.add_argument("--bodies")
    parser.add_argument("--pid", type=int)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--state", required=True)
    args = parser.parse_args()
    load(args) if args.mode == "load" else check(args)


if __name__ == "__main__":
    main()
