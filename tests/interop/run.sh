#!/usr/bin/env bash
# Interop tests: real OAuth client libraries against the example fronts (examples/node,
# examples/python) in front of dpopd. Every client runs against every front:
#   oauth4webapi (npm)            tests/interop/node/test.mjs
#   requests-oauth2client (PyPI)  tests/interop/python/test_interop.py
# and a FAPI 2.0-style login (PAR, private_key_jwt, PKCE, DPoP, the ID token, userinfo, refresh)
# with each library against each front, for the client `fapi-client` whose key pair is made here:
#   oauth4webapi                  tests/interop/node/fapi.mjs
#   requests-oauth2client         tests/interop/python/test_fapi.py
# For each front: one dpopd (debug build, configured by dpopd_config.py with the demo caller,
# the demo client and a client whose id and secret need form-urlencoding, nonces required at
# the token endpoint and at the resource server, so both nonce retries happen) and two
# instances of the front, one used as the AS and one as the RS (oauth4webapi keeps one DPoP
# nonce per origin). Then the Authlete Python SDK (PyPI `authlete`) straight against a dpopd
# with a service id, in V2 and V3 mode (authlete/test_authlete_sdk.py), and the README's token
# endpoint snippet (readme_snippet/run.sh), and gateway mode behind nginx and Caddy
# (gateway/run.sh).
# Everything listens on 127.0.0.1, runs under `timeout`, and is stopped on exit.
# Last line: `interop: N passed, M failed`; exit status non-zero on any failure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/tests/interop"
source "$HERE/lib.sh"

echo "interop: installing client libraries"
npm ci --prefix "$HERE/node" --no-audit --no-fund --loglevel=error >/dev/null
if [ ! -x "$HERE/python/.venv/bin/python" ]; then python3 -m venv "$HERE/python/.venv"; fi
"$HERE/python/.venv/bin/pip" install -q --disable-pip-version-check -r "$HERE/python/requirements.txt"
# The example fronts run on the relay packages of this repository (clients/node, clients/python).
"$HERE/python/.venv/bin/pip" install -q --disable-pip-version-check --no-deps -e "$ROOT/clients/python"
if [ ! -x "$HERE/authlete/.venv/bin/python" ]; then python3 -m venv "$HERE/authlete/.venv"; fi
"$HERE/authlete/.venv/bin/pip" install -q --disable-pip-version-check -r "$HERE/authlete/requirements.txt"
npm ci --prefix "$ROOT/examples/node" --no-audit --no-fund --loglevel=error >/dev/null
(cd "$ROOT" && cargo build --locked --quiet --bin dpopd)

# The key pair of the FAPI client (dpopd_config.py registers its public key), fresh every run.
FAPI_CLIENT_KEY="$SCRATCH/fapi-client-key.json"
FAPI_CLIENT_JWKS="$(node "$HERE/node/fapi_key.mjs" "$FAPI_CLIENT_KEY")"

# front_command NAME: sets CMD to the command line of the front NAME (node or python).
front_command() {
    CMD=(node "$ROOT/examples/node/server.mjs")
    if [ "$1" = python ]; then CMD=("$HERE/python/.venv/bin/python" "$ROOT/examples/python/app.py"); fi
}

# front NAME: starts dpopd and two instances of the front NAME (node or python); sets AS_URL, RS_URL.
# dpopd's [service] URLs, the issuer included, are those of the AS instance.
front() {
    local name="$1" dpopd_port as_port rs_port
    dpopd_port="$(free_port)" as_port="$(free_port)" rs_port="$(free_port)"
    AS_URL="http://127.0.0.1:$as_port" RS_URL="http://127.0.0.1:$rs_port"
    FAPI_CLIENT_JWKS="$FAPI_CLIENT_JWKS" dpopd_config "$SCRATCH/dpopd-$name.toml"
    DPOPD__SERVER__PORT="$dpopd_port" DPOPD__SERVICE__ISSUER="$AS_URL" \
        DPOPD__SERVICE__TOKEN_ENDPOINT="$AS_URL/token" DPOPD__SERVICE__PAR_ENDPOINT="$AS_URL/par" \
        DPOPD__SERVICE__AUTHORIZATION_ENDPOINT="$AS_URL/authorize" DPOPD__SERVICE__JWKS_URI="$AS_URL/jwks" \
        DPOPD__SERVICE__USERINFO_ENDPOINT="$AS_URL/userinfo" DPOPD__SERVICE__REVOCATION_ENDPOINT="$AS_URL/revoke" \
        DPOPD__SERVICE__REQUIRE_PUSHED_AUTHORIZATION_REQUESTS=true \
        DPOPD__DPOP__NONCE_REQUIRED=true DPOPD__DPOP__RS_NONCE_REQUIRED=true \
        start "dpopd-$name" "http://127.0.0.1:$dpopd_port/healthz" \
        env -u DPOPD_CONFIG "$DPOPD_BIN" --config "$SCRATCH/dpopd-$name.toml" || return 1
    local role port
    for role in as rs; do
        if [ "$role" = as ]; then port="$as_port"; else port="$rs_port"; fi
        front_command "$name"
        DPOPD_URL="http://127.0.0.1:$dpopd_port" PORT="$port" PUBLIC_URL="http://127.0.0.1:$port" \
            start "$name-front-$role" "http://127.0.0.1:$port/" "${CMD[@]}" || return 1
    done
}

for name in node python; do
    echo "interop: $name front"
    if ! front "$name"; then FAILED=$((FAILED + 1)); continue; fi
    AS_URL="$AS_URL" RS_URL="$RS_URL" run_suite "oauth4webapi-vs-$name-front" node "$HERE/node/test.mjs"
    AS_URL="$AS_URL" RS_URL="$RS_URL" run_suite "requests-oauth2client-vs-$name-front" \
        "$HERE/python/.venv/bin/python" "$HERE/python/test_interop.py"
    AS_URL="$AS_URL" FAPI_CLIENT_KEY="$FAPI_CLIENT_KEY" run_suite "oauth4webapi-fapi-vs-$name-front" \
        node "$HERE/node/fapi.mjs"
    AS_URL="$AS_URL" FAPI_CLIENT_KEY="$FAPI_CLIENT_KEY" run_suite "requests-oauth2client-fapi-vs-$name-front" \
        "$HERE/python/.venv/bin/python" "$HERE/python/test_fapi.py"
done

# Each front in front of a dpopd that could not decide (INTERNAL_SERVER_ERROR without
# responseContent, as introspection answers when its store is down): a 500 with a JSON error.
echo "interop: fronts in front of a failing dpopd"
stub_port="$(free_port)"
if PORT="$stub_port" start "failing-dpopd" "http://127.0.0.1:$stub_port/" python3 "$HERE/failing_dpopd.py"; then
    for name in node python; do
        port="$(free_port)"
        front_command "$name"
        if ! DPOPD_URL="http://127.0.0.1:$stub_port" PORT="$port" PUBLIC_URL="http://127.0.0.1:$port" \
            start "$name-front-failing" "http://127.0.0.1:$port/" "${CMD[@]}"; then
            FAILED=$((FAILED + 1))
            continue
        fi
        FRONT_URL="http://127.0.0.1:$port" run_suite "dpopd-failure-via-$name-front" python3 "$HERE/relay_failure.py"
    done
else
    FAILED=$((FAILED + 1))
fi

# The Authlete SDK calls dpopd itself, as an AS or RS built on it would: V2 mode with the demo
# caller's key and secret, V3 mode with service.id and the service access token of the caller
# in authlete/dpopd.toml. Nonces are required, so the SDK's dpopNonce fields are exercised.
echo "interop: the Authlete Python SDK against dpopd, V2 and V3 mode"
sdk_port="$(free_port)"
SDK_SERVICE_ID=715948317
dpopd_config "$SCRATCH/dpopd-authlete.toml"
cat "$HERE/authlete/dpopd.toml" >>"$SCRATCH/dpopd-authlete.toml"
if DPOPD__SERVER__PORT="$sdk_port" DPOPD__SERVICE__ID="$SDK_SERVICE_ID" \
    DPOPD__SERVICE__TOKEN_ENDPOINT=https://as.example.com/token DPOPD__SERVICE__PAR_ENDPOINT=https://as.example.com/par \
    DPOPD__DPOP__NONCE_REQUIRED=true DPOPD__DPOP__RS_NONCE_REQUIRED=true \
    start "dpopd-authlete" "http://127.0.0.1:$sdk_port/healthz" \
    env -u DPOPD_CONFIG "$DPOPD_BIN" --config "$SCRATCH/dpopd-authlete.toml"; then
    DPOPD_URL="http://127.0.0.1:$sdk_port" SERVICE_ID="$SDK_SERVICE_ID" V2_KEY=demo-caller \
        V2_SECRET=demo-caller-secret V3_TOKEN=sdk-v3-service-access-token \
        run_suite "authlete-python-sdk" "$HERE/authlete/.venv/bin/python" "$HERE/authlete/test_authlete_sdk.py"
else
    FAILED=$((FAILED + 1))
fi

# Gateway mode behind real nginx and Caddy, on the configurations in examples/gateway.
echo "interop: nginx and Caddy in gateway mode"
run_suite "gateways" bash "$HERE/gateway/run.sh"

echo "interop: the README's token endpoint"
DPOPD_BIN="$DPOPD_BIN" run_suite "readme-snippet" bash "$HERE/readme_snippet/run.sh"

echo "interop: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
