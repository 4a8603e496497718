#!/usr/bin/env bash
# The README's token endpoint ("Use it from your server"), taken from README.md by wrap.py and
# served by Flask's development server, in front of two dpopds that require DPoP nonces:
#   development  no configuration: demo-client, whose id oauth4webapi sends as demo%2Dclient;
#   configured   dpopd_config.py: the client of odd_client.json, whose id and secret hold
#                - . _ ~ : % + space, quotes and non-ASCII.
# Each is driven by oauth4webapi (node/readme_snippet.mjs) and requests-oauth2client
# (python/readme_snippet.py). Uses what tests/interop/run.sh installs and builds, which runs it.
# Last line: `readme-snippet: N passed, M failed`; exit status non-zero on any failure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
source "$ROOT/tests/interop/lib.sh"
HERE="$INTEROP/readme_snippet"
PY="$INTEROP/python/.venv/bin/python"

if [ ! -x "$PY" ] || [ ! -d "$INTEROP/node/node_modules/oauth4webapi" ] || [ ! -x "$DPOPD_BIN" ]; then
    echo "readme-snippet: run tests/interop/run.sh, which installs the client libraries and builds dpopd"
    echo "readme-snippet: 0 passed, 1 failed"
    exit 1
fi

# snippet MODE: dpopd in MODE (development or configured) and the snippet in front of it.
snippet() {
    local mode="$1" dpopd_port app_port config=()
    dpopd_port="$(free_port)" app_port="$(free_port)"
    if [ "$mode" = configured ]; then
        dpopd_config "$SCRATCH/dpopd.toml"
        config=(--config "$SCRATCH/dpopd.toml")
    fi
    DPOPD__SERVER__PORT="$dpopd_port" DPOPD__DPOP__NONCE_REQUIRED=true \
        start "dpopd-$mode" "http://127.0.0.1:$dpopd_port/healthz" env -u DPOPD_CONFIG "$DPOPD_BIN" "${config[@]}" ||
        return 1
    "$PY" "$HERE/wrap.py" "$SCRATCH/snippet_$mode.py" "http://127.0.0.1:$dpopd_port" "$app_port" || return 1
    start "snippet-$mode" "http://127.0.0.1:$app_port/" "$PY" "$SCRATCH/snippet_$mode.py" || return 1
    TOKEN_URL="http://127.0.0.1:$app_port/token"
}

for mode in development configured; do
    echo "readme-snippet: in front of a $mode dpopd"
    if ! snippet "$mode"; then FAILED=$((FAILED + 1)); continue; fi
    client=demo
    if [ "$mode" = configured ]; then client=odd; fi
    TOKEN_URL="$TOKEN_URL" CLIENT="$client" run_suite "readme-snippet-oauth4webapi-$mode" node "$INTEROP/node/readme_snippet.mjs"
    TOKEN_URL="$TOKEN_URL" CLIENT="$client" DPOPD_LOG="$SCRATCH/dpopd-$mode.log" \
        run_suite "readme-snippet-requests-oauth2client-$mode" "$PY" "$INTEROP/python/readme_snippet.py"
done

echo "readme-snippet: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
