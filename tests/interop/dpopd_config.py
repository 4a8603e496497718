"""Prints the dpopd configuration of the interop tests (production mode; run.sh appends keys
from `dpopd keygen`): the demo caller and demo client of development mode, and a client whose
id and secret hold every character RFC 6749 §2.3.1 makes a client form-urlencode
(odd_client.json), so that a front or relay that passes them on undecoded as clientId, or
decodes them otherwise than RFC 6749 §2.3.1 says, fails.

With FAPI_CLIENT_JWKS set (a JWK Set as JSON text, from node/fapi_key.mjs), also the client of
the FAPI 2.0-style login suites (node/fapi.mjs, python/test_fapi.py): `private_key_jwt` with
those keys, pushed authorization requests only, DPoP-bound tokens only, the code and refresh
grants, `openid` and `email`, and a redirect URI that nothing serves (the suites read the
redirect's Location without following it)."""

import json
import os
from pathlib import Path

ODD = json.loads((Path(__file__).parent / "odd_client.json").read_text(encoding="utf-8"))


def toml_string(value: str) -> str:
    # A JSON string is a TOML basic string: the same escapes, \uXXXX included.
    return json.dumps(value)


# The store is in memory: every run starts fresh, and several instances never share a directory.
print(f"""[store]
kind = "memory"

[[callers]]
key = "demo-caller"
secret = "demo-caller-secret"
roles = ["as", "rs"]

[[clients]]
client_id = "demo-client"
client_secret = "demo-client-secret"
auth_method = "client_secret_basic"
grant_types = ["client_credentials", "refresh_token"]
scopes = ["read", "write"]

[[clients]]
client_id = {toml_string(ODD["client_id"])}
client_secret = {toml_string(ODD["client_secret"])}
auth_method = "client_secret_basic"
grant_types = ["client_credentials"]
scopes = ["read", "write"]
""")

FAPI_CLIENT_JWKS = os.environ.get("FAPI_CLIENT_JWKS")
if FAPI_CLIENT_JWKS:
    print(f"""[[clients]]
client_id = "fapi-client"
auth_method = "private_key_jwt"
jwks = {toml_string(json.dumps(json.loads(FAPI_CLIENT_JWKS)))}
auth_signing_algs = ["ES256"]
require_par = true
dpop_bound_access_tokens = true
grant_types = ["authorization_code", "refresh_token"]
scopes = ["openid", "email", "read"]
redirect_uris = ["http://127.0.0.1/fapi/callback"]
""")
