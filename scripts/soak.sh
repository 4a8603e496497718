#!/usr/bin/env bash
# Soak test (docs/operations.md, "Soak test"): dpopd under a steady mix of calls for DURATION
# seconds at about half of the capacity measured first, with the store restarted every
# RESTART_EVERY seconds.
#
#   scripts/soak.sh [durable]   # one dpopd on the embedded durable store; the restart is of
#                               # dpopd itself: SIGTERM, then started again on the same data_dir
#   scripts/soak.sh redis       # two dpopd replicas on one Redis; the restart is of redis-server
#
# Redis runs here WITH persistence (appendonly yes, appendfsync always, in a temporary
# directory), so that what it recorded survives its restart; a Redis without persistence comes
# back empty and forgets every revocation and replay record (docs/operations.md, "Redis").
#
# Steps: build dpopd and examples/soak_load (release; PROFILE=debug for the short CI run), start
# the servers on 127.0.0.1, measure capacity (`soak_load capacity`: the mix of calls unthrottled
# from 32 concurrent callers for CAPACITY_SECS, three times, the median: the machine may be
# shared), then run the mix at RATE operations per second
# (default: half of the capacity) for WARMUP seconds (the life of a replay record, so that the
# store holds its steady number of records before RSS is sampled), then for DURATION. The mix,
# per 20 operations: 7 introspections with a proof and `ath`, 2 DPoP-bound refresh grants of a
# public client (the refresh token rotates), 1 code flow (three calls) while fewer than 256
# refresh families are in use, client_credentials grants for the rest; 1 in 100 operations is a
# revocation (an access token and a refresh token in turn). Every call carries a freshly minted
# ES256 proof. The loader is open-loop and keeps at most 64 calls in flight to each dpopd (so
# at most 64 connections, as a caller's pool would): a stall of the machine piles calls up in
# the loader, whose latency counts the wait, instead of opening hundreds of connections.
# Revocations and new families are rare on purpose: each leaves a record for its
# token's lifetime, and the RSS check is meant to find leaks, not the store's rightful growth.
# Tokens live TOKEN_LIFE seconds (access tokens and refresh families), so that in the half-hour
# run those records expire as fast as they are made and the store's live size levels off; a
# family near its expiry is dropped and a code flow starts another.
#
# An outage runs from the stop of the store until the service answers again (/readyz of every
# dpopd) plus GRACE seconds; calls in flight during it may be refused and are counted apart.
# The run fails (exit status 1) when any of these does not hold:
#   - no call outside an outage is answered other than OK;
#   - RSS (VmRSS of each dpopd), sampled every 5 s, grows by no more than 10%: within the last
#     segment (from WARMUP seconds after it began to its end), at the end of every segment
#     against the end of the first, and from the first segment's start to the last one's end.
#     A segment's start is taken one replay-record life (WARMUP) after it began because a
#     dpopd started again on its data_dir grows for about that long before it is level; in durable mode each segment is a new process, so the last
#     two comparisons are between processes of about the same age. A fall is printed, not
#     failed: it is no leak, and a process started again is smaller until it has lived as long;
#   - after each restart, the last 500 proofs accepted in the 10 s before the stop (those still
#     inside their window) are refused as replays;
#   - after the run, every proof accepted in its last KEEP seconds (30 s; older ones would be
#     refused for their age, which proves nothing about the store), every revoked access and
#     refresh token and the last 5,000 rotated-away refresh tokens are presented again and each
#     is refused with the result code naming the reason (revoked, reused, or, for a token past
#     its lifetime whose records have been purged, expired); 100 tokens never revoked still pass;
#   - the loader kept the rate (within 5%).
# It prints p50 and p99 per segment (calls answered OK outside outages) and the rest as it goes.
#
# Environment: DURATION (seconds, default 1800), RESTART_EVERY (seconds, default 300; the
# p99 windows are the segments between restarts), RATE (operations/s; default half the measured
# capacity), CAPACITY_SECS (default 5), GRACE (default 2), PROOF_MAX_AGE and CLOCK_SKEW
# (dpop.proof_max_age_secs and dpop.clock_skew_secs, default 60 and 15 as in dpopd; the CI run
# shortens them so that a 60-second run holds segments longer than a replay record's life),
# KEEP (default half of PROOF_MAX_AGE, so the final check presents proofs well inside their
# window), TOKEN_LIFE (tokens.access_token_lifetime_secs and refresh_token_lifetime_secs,
# default 600), WARMUP (default PROOF_MAX_AGE + 2 × CLOCK_SKEW + 1, a replay record's life), PROFILE
# (release or debug, default release), RSS_TOLERANCE (the growth allowed, default 0.10; the CI
# run, whose 30-second processes have not levelled yet, allows 0.25), VERIFIED_CACHE
# (tokens.verified_cache_entries, default 10000: see below), DPOPD_WRAP (a command prefix
# for starting dpopd, e.g. "heaptrack -o /tmp/dpopd": RSS is then the wrapper's, not dpopd's). Nonces are off, as in scripts/bench.sh. Proofs that are
# past their window by the time they would be presented again (a long outage) are not: they
# would be refused for their age, which proves nothing about the store.
#
# The verified-token cache of introspection is a bounded cache that takes minutes to fill: at
# 1,000 operations/s about 300 new tokens a second are introspected, so dpopd's default of
# 100,000 entries is full after about 5.5 minutes, longer than a segment between restarts.
# Its rise would read as a leak. The soak therefore sizes it at 10,000 (full in about 35 s,
# inside the warm-up), so that the RSS check sees the steady state; what a full default cache
# costs is measured apart (docs/operations.md, "Soak test").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# Internal: the restart the load generator runs at each segment boundary (environment below).
if [[ ${1:-} == __restart ]]; then
  # shellcheck source=/dev/null
  source "$SOAK_WORK/functions.sh"
  restart_store
  exit 0
fi

MODE=${1:-durable}
case "$MODE" in durable | redis) ;; *) echo "usage: $0 [durable|redis]" >&2; exit 2 ;; esac
DURATION=${DURATION:-1800}
RESTART_EVERY=${RESTART_EVERY:-300}
CAPACITY_SECS=${CAPACITY_SECS:-5}
GRACE=${GRACE:-2}
PROOF_MAX_AGE=${PROOF_MAX_AGE:-60}
CLOCK_SKEW=${CLOCK_SKEW:-15}
KEEP=${KEEP:-$((PROOF_MAX_AGE / 2))}
WARMUP=${WARMUP:-$((PROOF_MAX_AGE + 2 * CLOCK_SKEW + 1))}
TOKEN_LIFE=${TOKEN_LIFE:-600}
PROFILE=${PROFILE:-release}
cd "$ROOT"
if [[ $MODE == redis ]] && ! command -v redis-server >/dev/null; then
  echo "soak.sh: redis-server is missing (apt-get install -y redis-server)" >&2; exit 1
fi

echo "== soak: building ($PROFILE)"
if [[ $PROFILE == release ]]; then
  cargo build --release --quiet --bin dpopd --example soak_load
else
  cargo build --quiet --bin dpopd --example soak_load
fi
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE
WORK=$(mktemp -d)
export SOAK_WORK=$WORK

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
PORTS=$(free_port)
[[ $MODE == redis ]] && PORTS="$PORTS $(free_port)"
REDIS_PORT=$(free_port)

# Everything the restart needs, in a file it sources: ports, paths and the start/stop functions.
cat >"$WORK/functions.sh" <<EOF
WORK=$WORK
MODE=$MODE
DPOPD=$BIN/dpopd
DPOPD_WRAP="${DPOPD_WRAP:-}"
PORTS="$PORTS"
REDIS_PORT=$REDIS_PORT
EOF
cat >>"$WORK/functions.sh" <<'EOF'
wait_for() { # $1 what, $2... a command that succeeds once it is up
  local what=$1; shift
  for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "soak.sh: $what did not come up" >&2; return 1
}
ready() { curl -sf "http://127.0.0.1:$1/readyz"; }
stop_pid() { # $1 pid file: SIGTERM, then wait until the process is gone
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
start_dpopd() { # $1 port
  # shellcheck disable=SC2086 # DPOPD_WRAP is a command prefix, split on purpose
  $DPOPD_WRAP "$DPOPD" --config "$WORK/dpopd-$1.toml" >>"$WORK/dpopd-$1.log" 2>&1 &
  echo $! >"$WORK/dpopd-$1.pid"
}
start_redis() {
  mkdir -p "$WORK/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$WORK/redis" --save '' \
    --appendonly yes --appendfsync always --maxmemory-policy noeviction \
    --loglevel warning >>"$WORK/redis.log" 2>&1 &
  echo $! >"$WORK/redis.pid"
  wait_for redis-server redis-cli -p "$REDIS_PORT" ping
}
all_ready() { for port in $PORTS; do ready "$port" || return 1; done; }
restart_store() {
  if [[ $MODE == durable ]]; then
    stop_pid "$WORK/dpopd-$PORTS.pid"
    start_dpopd "$PORTS"
  else
    stop_pid "$WORK/redis.pid"
    start_redis
  fi
  wait_for "dpopd (readyz)" all_ready
}
EOF
# shellcheck source=/dev/null
source "$WORK/functions.sh"

cleanup() {
  for f in "$WORK"/*.pid; do [[ -e $f ]] && stop_pid "$f"; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

"$BIN/dpopd" keygen >"$WORK/keys.toml"
for port in $PORTS; do
  cat >"$WORK/dpopd-$port.toml" <<EOF
[[callers]]
key = "soak-caller"
secret = "soak-caller-secret"
roles = ["as", "rs"]

[[clients]]
client_id = "soak-client"
client_secret = "soak-client-secret"
auth_method = "client_secret_basic"
grant_types = ["client_credentials"]
scopes = ["read"]

[[clients]]
client_id = "soak-public"
auth_method = "none"
grant_types = ["authorization_code", "refresh_token"]
scopes = ["read"]
redirect_uris = ["https://app.example.com/cb"]

[server]
host = "127.0.0.1"
port = $port
workers = 2
shutdown_grace_secs = 5

[service]
issuer = "https://as.example.com"
token_endpoint = "https://as.example.com/token"

[store]
kind = "$MODE"
data_dir = "$WORK/data-$port"
redis_url = "redis://127.0.0.1:$REDIS_PORT"
timeout_ms = 500
# soak-client's revoked access tokens all belong to one owner (the client itself).
max_entries_per_owner = 1000000

[log]
level = "warn"

[tokens]
# Shorter than the half-hour run, so that revocation and refresh-family records expire as fast
# as the load makes them; the final check expects a token past its lifetime to be refused as
# expired.
access_token_lifetime_secs = $TOKEN_LIFE
refresh_token_lifetime_secs = $TOKEN_LIFE
verified_cache_entries = ${VERIFIED_CACHE:-10000}
# The load's code flows spend their ticket at once; the default of 600 s would keep 1 in 20
# operations' tickets ten minutes and fill the ticket share at a few thousand operations/s.
ticket_lifetime_secs = 60

$(cat "$WORK/keys.toml")
proof_max_age_secs = $PROOF_MAX_AGE
clock_skew_secs = $CLOCK_SKEW
# A replay record lives for the longer of the iat window and the nonce window, whether nonces
# are required or not (docs/configuration.md): a nonce window inside the iat window makes its
# life WARMUP, as the warm-up and the segments' start assume.
nonce_lifetime_secs = $PROOF_MAX_AGE
nonce_step_secs = $CLOCK_SKEW
nonce_required = false
rs_nonce_required = false
EOF
done

[[ $MODE == redis ]] && start_redis
for port in $PORTS; do start_dpopd "$port"; done
wait_for "dpopd (readyz)" all_ready

URLS=$(for port in $PORTS; do printf 'http://127.0.0.1:%s,' "$port"; done)
URLS=${URLS%,}
PID_FILES=$(for port in $PORTS; do printf '%s,' "$WORK/dpopd-$port.pid"; done)
PID_FILES=${PID_FILES%,}

echo "== soak: $MODE, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M:%S) UTC"
for round in 1 2 3; do
  "$BIN/examples/soak_load" capacity --urls "$URLS" --seconds "$CAPACITY_SECS" --concurrency 32 |
    tee -a "$WORK/capacity" | sed "s/^/soak: capacity round $round: /"
done
CAPACITY=$(sed -E 's/capacity_ops_per_s=([0-9]+).*/\1/' "$WORK/capacity" | sort -n | sed -n 2p)
echo "soak: capacity (median of 3): $CAPACITY operations/s"
RATE=${RATE:-$((CAPACITY / 2))}
# The replay share (72 % of store.max_entries, the default 1,000,000 here) must hold every
# proof of one record life with room to spare; at a higher rate dpopd would refuse calls with
# "store full", as it should, and the run would fail for its configuration, not for dpopd.
# Likewise the revocations (1 operation in 100, an access token and a refresh token in turn)
# each leave a record for their token's life (TOKEN_LIFE, or the whole run if shorter): RATE /
# 200 a second of each must fit 80 % of their share (4 %) for that long.
if [[ $MODE != redis ]] && (( RATE * 11 / 10 * WARMUP > 1000000 * 72 / 100 * 8 / 10 )); then
  echo "soak.sh: $RATE operations/s for ${WARMUP}s fill more than 80 % of the replay share of" \
    "store.max_entries (1,000,000); set RATE lower" >&2
  exit 1
fi
RECORD_LIFE=$((TOKEN_LIFE < WARMUP + DURATION ? TOKEN_LIFE : WARMUP + DURATION))
if [[ $MODE != redis ]] && (( RATE * RECORD_LIFE / 200 > 1000000 * 4 / 100 * 8 / 10 )); then
  echo "soak.sh: $RATE operations/s for ${RECORD_LIFE}s revoke more tokens than 80 % of" \
    "the revoked-token share of store.max_entries (1,000,000) holds; set RATE lower" >&2
  exit 1
fi
echo "== soak: $RATE operations/s, ${WARMUP}s warm-up, then ${DURATION}s with the store restarted every ${RESTART_EVERY}s"
"$BIN/examples/soak_load" run --urls "$URLS" --rate "$RATE" --seconds "$DURATION" \
  --segment "$RESTART_EVERY" --restart "bash $ROOT/scripts/soak.sh __restart" \
  --pid-files "$PID_FILES" --keep "$KEEP" --grace "$GRACE" --warmup "$WARMUP" --settle "$WARMUP" \
  --rss-tolerance "${RSS_TOLERANCE:-0.10}" \
  --proof-window "$((PROOF_MAX_AGE + CLOCK_SKEW))" --token-life "$TOKEN_LIFE"
echo "== soak: done, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M:%S) UTC"
