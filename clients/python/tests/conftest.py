"""Fixtures: one dpopd per configuration for the whole run (development mode; nonces required;
production mode with a client whose id and secret need RFC 6749 §2.3.1 encoding; production
mode with a public client of the code flow allowed the `openid` and `email` scopes)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from apps import make_app  # noqa: E402
from support import Dpopd  # noqa: E402

ODD_ID = "odd-._~:%+ é'client"
ODD_SECRET = 's3cr-._~:%+ €/日本=&"x'
OPENID_CLIENT = "openid-client"
OPENID_REDIRECT_URI = "http://127.0.0.1:3000/callback"


@pytest.fixture(scope="session")
def dpopd():
    server = Dpopd()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nonce_dpopd():
    server = Dpopd(env={"DPOPD__DPOP__NONCE_REQUIRED": "true", "DPOPD__DPOP__RS_NONCE_REQUIRED": "true"})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def odd_dpopd():
    # A JSON string is a TOML basic string for these characters.
    server = Dpopd(
        config=f"""
[[callers]]
key = "demo-caller"
secret = "demo-caller-secret"
roles = ["as", "rs"]

[[clients]]
client_id = {json.dumps(ODD_ID)}
client_secret = {json.dumps(ODD_SECRET)}
auth_method = "client_secret_basic"
grant_types = ["client_credentials"]
scopes = ["read"]
"""
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def openid_dpopd():
    server = Dpopd(
        config=f"""
[[callers]]
key = "demo-caller"
secret = "demo-caller-secret"
roles = ["as", "rs"]

[[clients]]
client_id = "{OPENID_CLIENT}"
auth_method = "none"
grant_types = ["authorization_code", "refresh_token"]
scopes = ["openid", "email", "read"]
redirect_uris = ["{OPENID_REDIRECT_URI}"]
"""
    )
    yield server
    server.stop()


@pytest.fixture
def app_factory():
    """make(framework, **relay settings) → App; closed after the test."""
    made = []

    def make(framework, **settings):
        app = make_app(framework, **settings)
        made.append(app)
        return app

    yield make
    for app in made:
        app.close()
