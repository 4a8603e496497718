"""Against a front whose dpopd answers INTERNAL_SERVER_ERROR without `responseContent`
(failing_dpopd.py): the token endpoint and the resource answer 500 with the JSON error
`{"error": "server_error"}`. Standard library only. Last line: `$SUITE: N passed, M failed`."""
import json
import os
import urllib.error
import urllib.request

FRONT = os.environ["FRONT_URL"]
SUITE = os.environ.get("SUITE", "relay-failure")


def call(method, path, headers, body=None):
    request = urllib.request.Request(f"{FRONT}{path}", data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


CASES = [
    ("token endpoint", "POST", "/token",
     {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic ZGVtby1jbGllbnQ6eA=="},
     b"grant_type=client_credentials"),
    ("resource with a DPoP token", "GET", "/resource", {"Authorization": "DPoP some-token", "DPoP": "some-proof"}, None),
    ("resource without a token", "GET", "/resource", {}, None),
]

passed = failed = 0
for name, method, path, headers, body in CASES:
    status, content_type, data = call(method, path, headers, body)
    try:
        error = json.loads(data).get("error")
    except ValueError:
        error = None
    if status == 500 and content_type.startswith("application/json") and error == "server_error":
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {status} {content_type} {data[:200]!r}")
print(f"{SUITE}: {passed} passed, {failed} failed")
