#!/usr/bin/env bash
# Gateway mode with real gateways (docs/gateway.md): nginx (auth_request) and Caddy
# (forward_auth), each run on the configuration in examples/gateway with only the ports changed,
# in front of an upstream that echoes the headers it got (upstream.py), with dpopd configured by
# examples/gateway/dpopd.toml. A real client, oauth4webapi, gets a DPoP-bound token from the
# Node example front and calls the API through each gateway (node/gateway.mjs): accepted requests,
# every refusal, a token of a second issuer (node/issuer.mjs) while its JWKS is up, down with
# its key cached, and signed by a key dpopd never saw; and, after dpopd reloads with nonces
# required on both routes, the nonce retry.
# Needs nginx and caddy (Debian packages). Last line: `gateways: N passed, M failed`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
HERE="$ROOT/tests/interop/gateway"
EXAMPLES="$ROOT/examples/gateway"
source "$ROOT/tests/interop/lib.sh"

for tool in nginx caddy; do
    command -v "$tool" >/dev/null || { echo "gateway: $tool is missing (apt-get install -y nginx caddy)" >&2; exit 1; }
done
npm ci --prefix "$ROOT/tests/interop/node" --no-audit --no-fund --loglevel=error >/dev/null
npm ci --prefix "$ROOT/examples/node" --no-audit --no-fund --loglevel=error >/dev/null
(cd "$ROOT" && cargo build --locked --quiet --bin dpopd)

DPOPD_PORT="$(free_port)" NGINX_PORT="$(free_port)" CADDY_PORT="$(free_port)"
UPSTREAM_PORT="$(free_port)" AS_PORT="$(free_port)" ISSUER_PORT="$(free_port)"
# The example configurations with their ports (dpopd 8080, nginx 8081, Caddy 8082, upstream
# 9000) replaced by free ones; nothing else changes.
ports() {
    sed -e "s/127\.0\.0\.1:8080/127.0.0.1:$DPOPD_PORT/g" -e "s/127\.0\.0\.1:8081/127.0.0.1:$NGINX_PORT/g" \
        -e "s/127\.0\.0\.1:8082/127.0.0.1:$CADDY_PORT/g" -e "s/127\.0\.0\.1:9000/127.0.0.1:$UPSTREAM_PORT/g" "$1"
}

# A second, independent issuer (issuer.mjs), trusted by dpopd through its jwks_uri.
PORT="$ISSUER_PORT" start issuer "http://127.0.0.1:$ISSUER_PORT/" node "$ROOT/tests/interop/node/issuer.mjs"

# dpopd: the interop configuration (demo caller and client, fresh keys), the gateway's, and
# the second issuer. JWKS fetches may be retried every second, so the unknown-kid fetch of the
# rotation check below happens for sure.
dpopd_config "$SCRATCH/dpopd.toml"
ports "$EXAMPLES/dpopd.toml" >>"$SCRATCH/dpopd.toml"
cat >>"$SCRATCH/dpopd.toml" <<TOML

[[issuers]]
issuer = "http://127.0.0.1:$ISSUER_PORT"
jwks_uri = "http://127.0.0.1:$ISSUER_PORT/jwks"
audience = ["https://api.example.com"]
algs = ["ES256"]

[jwks]
min_refresh_secs = 1
TOML
start dpopd "http://127.0.0.1:$DPOPD_PORT/healthz" env -u DPOPD_CONFIG \
    DPOPD__SERVER__PORT="$DPOPD_PORT" DPOPD__SERVICE__TOKEN_ENDPOINT="http://127.0.0.1:$AS_PORT/token" \
    "$DPOPD_BIN" --config "$SCRATCH/dpopd.toml"
DPOPD_PID="${PIDS[-1]}"

PORT="$UPSTREAM_PORT" start upstream "http://127.0.0.1:$UPSTREAM_PORT/__hits" python3 "$HERE/upstream.py"
DPOPD_URL="http://127.0.0.1:$DPOPD_PORT" PORT="$AS_PORT" PUBLIC_URL="http://127.0.0.1:$AS_PORT" \
    start as-front "http://127.0.0.1:$AS_PORT/" node "$ROOT/examples/node/server.mjs"

mkdir -p "$SCRATCH/nginx/tmp"
ports "$EXAMPLES/nginx.conf" >"$SCRATCH/nginx/nginx.conf"
start nginx "http://127.0.0.1:$NGINX_PORT/__hits" \
    nginx -p "$SCRATCH/nginx" -c "$SCRATCH/nginx/nginx.conf" -g 'daemon off;'
ports "$EXAMPLES/Caddyfile" >"$SCRATCH/Caddyfile"
XDG_DATA_HOME="$SCRATCH/caddy" XDG_CONFIG_HOME="$SCRATCH/caddy" \
    start caddy "http://127.0.0.1:$CADDY_PORT/__hits" caddy run --adapter caddyfile --config "$SCRATCH/Caddyfile"

# reload_with_nonces: SIGHUP dpopd with nonce_required on both routes; waits until it applied.
reload_with_nonces() {
    sed -e 's/^scopes = \["read"\]$/scopes = ["read"]\nnonce_required = true/' "$SCRATCH/dpopd.toml" >"$SCRATCH/dpopd.next"
    mv "$SCRATCH/dpopd.next" "$SCRATCH/dpopd.toml"
    local before
    before="$(grep -c 'configuration reloaded' "$SCRATCH/dpopd.log" || true)"
    kill -HUP "$DPOPD_PID"
    for _ in $(seq 1 100); do
        [ "$(grep -c 'configuration reloaded' "$SCRATCH/dpopd.log" || true)" -gt "$before" ] && return 0
        sleep 0.1
    done
    echo "gateway: dpopd did not reload; its log:" >&2
    tail -n 20 "$SCRATCH/dpopd.log" >&2
    return 1
}

export AS_URL="http://127.0.0.1:$AS_PORT" NGINX_URL="http://127.0.0.1:$NGINX_PORT"
export CADDY_URL="http://127.0.0.1:$CADDY_PORT" UPSTREAM_URL="http://127.0.0.1:$UPSTREAM_PORT"
export ISSUER_URL="http://127.0.0.1:$ISSUER_PORT"
PHASE=plain run_suite gateway node "$ROOT/tests/interop/node/gateway.mjs"
if reload_with_nonces; then
    PHASE=nonce run_suite gateway-nonce node "$ROOT/tests/interop/node/gateway.mjs"
else
    FAILED=$((FAILED + 1))
fi
echo "gateways: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
