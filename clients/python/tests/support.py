"""Test support: a real dpopd (the debug build of this repository; `DPOPD_BIN` overrides the
path) on a free 127.0.0.1 port under `timeout`, stand-ins for a failing dpopd, DPoP proofs made
with `cryptography`, and client credentials encoded as RFC 6749 §2.3.1 has a client do."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote_plus

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ROOT = Path(__file__).resolve().parents[3]
DPOPD_BIN = os.environ.get("DPOPD_BIN") or str(
    Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target") / "debug" / "dpopd"
)
CALLER = {"caller": "demo-caller", "secret": "demo-caller-secret"}
PUBLIC_URL = "https://api.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dpopd:
    """A running dpopd; `config` (TOML text) runs it in production mode with fresh keys. Its
    store is in memory: each test's dpopd is fresh."""

    def __init__(self, env: dict | None = None, config: str | None = None):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        args = ["timeout", "120", DPOPD_BIN]
        if config is not None:
            keys = subprocess.run([DPOPD_BIN, "keygen"], check=True, capture_output=True, text=True).stdout
            self._dir = tempfile.TemporaryDirectory()
            path = Path(self._dir.name) / "dpopd.toml"
            path.write_text(config + "\n" + keys)
            args += ["--config", str(path)]
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env={
                "PATH": os.environ["PATH"],
                "DPOPD__SERVER__PORT": str(port),
                "DPOPD__LOG__LEVEL": "warn",
                "DPOPD__STORE__KIND": "memory",
                **(env or {}),
            },
        )
        for _ in range(200):
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        self._log.seek(0)
        raise RuntimeError(f"dpopd did not start: {self._log.read()[-2000:].decode(errors='replace')}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Fake:
    """A stand-in dpopd: `mode` is 'http500', 'garbage', 'silent' (never answers), or a function
    (call) -> answer object, where call is {'path', 'body'}; every call is kept in `received`."""

    def __init__(self, mode):
        self.received: list[dict] = []
        fake = self
        self._stop = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                call = {"path": self.path, "body": json.loads(body) if body else None}
                fake.received.append(call)
                if mode == "silent":
                    fake._stop.wait(10)
                    return
                if mode == "http500":
                    return self._send(500, b'{"resultCode":"A001101","resultMessage":"[A001101] x"}')
                if mode == "garbage":
                    return self._send(200, b"<html>proxy error</html>")
                self._send(200, json.dumps(mode(call)).encode())

            def _send(self, status, data):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class DpopKey:
    """An ES256 key making DPoP proofs (RFC 9449 §4.2)."""

    def __init__(self):
        self._private = ec.generate_private_key(ec.SECP256R1())
        numbers = self._private.public_key().public_numbers()
        self.jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64u(numbers.x.to_bytes(32, "big")),
            "y": b64u(numbers.y.to_bytes(32, "big")),
        }
        # RFC 7638 §3.2: required members in lexicographic order, no spaces.
        canonical = json.dumps({k: self.jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
        self.jkt = b64u(hashlib.sha256(canonical.encode()).digest())

    def proof(self, htm: str, htu: str, **claims) -> str:
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk}
        payload = {"jti": str(uuid.uuid4()), "htm": htm, "htu": htu, "iat": int(time.time()), **claims}
        signing_input = f"{b64u(json.dumps(header).encode())}.{b64u(json.dumps(payload).encode())}"
        der = self._private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{b64u(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def ath(token: str) -> str:
    return b64u(hashlib.sha256(token.encode()).digest())


def basic(client_id: str, secret: str) -> str:
    """`Authorization: Basic` as RFC 6749 §2.3.1 has a client make it: each part form-urlencoded."""
    return "Basic " + base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()).decode("ascii")


def call_dpopd(url: str, path: str, body: dict) -> dict:
    """Calls dpopd's API directly, as the relay would."""
    return httpx.post(f"{url}{path}", json=body, auth=("demo-caller", "demo-caller-secret"), timeout=10).json()
