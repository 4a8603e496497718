# Helpers of the interop runners (run.sh, readme_snippet/run.sh), sourced: free ports, servers
# started under `timeout` and stopped on exit, client-driver suites whose last line is
# `NAME: N passed, M failed` (added to PASSED and FAILED), and dpopd configuration files.
# Expects ROOT (the repository) to be set.
INTEROP="$ROOT/tests/interop"
DPOPD_BIN="${DPOPD_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/dpopd}"
LIMIT=300 # seconds any server started here may live
SCRATCH="$(mktemp -d)"
PIDS=()
PASSED=0
FAILED=0

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http NAME PID URL LOG: until URL answers any HTTP status, while PID lives (at most 30 s).
wait_http() {
    for _ in $(seq 1 300); do
        if curl -s -o /dev/null --max-time 1 "$3"; then return 0; fi
        if ! kill -0 "$2" 2>/dev/null; then break; fi
        sleep 0.1
    done
    echo "interop: $1 did not start; its log:" >&2
    tail -n 40 "$4" >&2
    return 1
}

# start NAME URL-TO-POLL COMMAND...: runs COMMAND in the background under `timeout`, its output
# in $SCRATCH/NAME.log.
start() {
    local name="$1" url="$2"
    shift 2
    timeout "$LIMIT" "$@" >"$SCRATCH/$name.log" 2>&1 &
    PIDS+=("$!")
    wait_http "$name" "$!" "$url" "$SCRATCH/$name.log"
}

# run_suite NAME COMMAND...: runs one client driver; its last line is `NAME: N passed, M failed`.
run_suite() {
    local name="$1" log="$SCRATCH/suite-$1.log" status=0
    shift
    echo "--- $name"
    SUITE="$name" "$@" >"$log" 2>&1 || status=$?
    cat "$log"
    local last p f
    last="$(tail -n 1 "$log")"
    if [[ "$last" =~ ^"$name: "([0-9]+)" passed, "([0-9]+)" failed"$ ]]; then
        p="${BASH_REMATCH[1]}" f="${BASH_REMATCH[2]}"
    else
        p=0 f=1
    fi
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    PASSED=$((PASSED + p)) FAILED=$((FAILED + f))
}

# dpopd_config FILE: a production-mode configuration with the demo caller, the demo client and
# the client of odd_client.json, and freshly generated keys.
dpopd_config() {
    python3 "$INTEROP/dpopd_config.py" >"$1"
    "$DPOPD_BIN" keygen >>"$1"
}
