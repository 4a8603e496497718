#!/usr/bin/env bash
# Crash test of the durable store (docs/operations.md, "Durability"): dpopd under load on a
# fresh data directory is killed with SIGKILL, started again on the same directory, and every
# proof it accepted, token it revoked, ticket and code it spent and refresh token it rotated
# before the kill is presented again: each must be refused for that reason. The last line is
# `crash: N replayed, N refused`. Needs python3; builds the debug binaries; about a minute.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SECONDS_OF_LOAD=${SECONDS_OF_LOAD:-5}

cargo build --quiet --bin dpopd --example bench_proofs
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug
WORK=$(mktemp -d)
DPOPD_PID=""
cleanup() {
  [[ -n $DPOPD_PID ]] && kill "$DPOPD_PID" 2>/dev/null && wait "$DPOPD_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
URL="http://127.0.0.1:$PORT"
CALLER="crash-caller:crash-caller-secret"
HTU="https://as.example.com/token"
"$BIN/dpopd" keygen >"$WORK/keys.toml"
cat >"$WORK/dpopd.toml" <<TOML
[[callers]]
key = "crash-caller"
secret = "crash-caller-secret"
roles = ["as", "rs"]

[[clients]]
client_id = "crash-client"
client_secret = "crash-client-secret"
auth_method = "client_secret_basic"
grant_types = ["client_credentials"]
scopes = ["read"]

[[clients]]
client_id = "crash-public"
auth_method = "none"
grant_types = ["authorization_code", "refresh_token"]
scopes = ["read"]
redirect_uris = ["https://app.example.com/cb"]

[server]
port = $PORT
workers = 2

[service]
issuer = "https://as.example.com"
token_endpoint = "$HTU"

[store]
kind = "durable"
data_dir = "$WORK/data"

[log]
level = "warn"

$(cat "$WORK/keys.toml")
# Proofs stay young enough for the check after the restart: a refusal must be for replay.
proof_max_age_secs = 600
TOML

start() {
  "$BIN/dpopd" --config "$WORK/dpopd.toml" 2>>"$WORK/dpopd.log" &
  DPOPD_PID=$!
  for _ in $(seq 100); do
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$URL/readyz" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "crash: dpopd did not start:" >&2; cat "$WORK/dpopd.log" >&2; exit 1
}

"$BIN/examples/bench_proofs" token 20000 --htu "$HTU" --client crash-client:crash-client-secret >"$WORK/bodies.jsonl"
start
python3 tests/crash/client.py load --url "$URL" --caller "$CALLER" --bodies "$WORK/bodies.jsonl" \
  --pid "$DPOPD_PID" --seconds "$SECONDS_OF_LOAD" --state "$WORK/state.json"
{ wait "$DPOPD_PID"; } 2>/dev/null || true
DPOPD_PID=""
echo "crash: data directory after the kill: $(ls "$WORK/data" | tr '\n' ' ')"
start
python3 tests/crash/client.py check --url "$URL" --caller "$CALLER" --state "$WORK/state.json"
