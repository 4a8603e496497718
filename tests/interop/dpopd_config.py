"""Prints the dpopd configuration of the interop tests (production mode; run.sh appends keys
from `dpopd keygen`): the demo caller and demo client of development mode, and a client whose
id and secret hold every character RFC 6749 §2.3.1 makes a client form-urlencode
(odd_client.json), so that a front or relay that passes them on undecoded as clientId, or
decodes them otherwise than RFC 6749 §2.3.1 says, fails."""

import json
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
