#!/usr/bin/env bash
# Contract fuzzing: Schemathesis generates requests from openapi.yaml for every operation and
# checks dpopd's answers against it (no 5xx, status codes, content types, headers and response
# bodies as documented, schema-invalid requests refused, unknown methods 405, auth not ignored).
# dpopd runs in development mode (debug build) on a free 127.0.0.1 port, under `timeout`, and is
# stopped on exit. Bounded: --max-examples per operation and an outer time limit.
# Last line: `schemathesis: N passed, M failed` (operations); exit status non-zero on any failure.
#   SCHEMATHESIS_SEED=...  another seed (the default is fixed, so CI runs are reproducible)
#   SCHEMATHESIS_MAX_EXAMPLES=...  more or fewer cases per operation
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/tests/interop/schemathesis"
SCRATCH="$(mktemp -d)"
DPOPD_PID=""

cleanup() {
    if [ -n "$DPOPD_PID" ]; then kill "$DPOPD_PID" 2>/dev/null || true; wait "$DPOPD_PID" 2>/dev/null || true; fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

echo "schemathesis: installing"
if [ ! -x "$HERE/.venv/bin/python" ]; then python3 -m venv "$HERE/.venv"; fi
"$HERE/.venv/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt"
(cd "$ROOT" && cargo build --locked --quiet --bin dpopd)

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
DPOPD__SERVER__PORT="$PORT" timeout 600 env -u DPOPD_CONFIG "${CARGO_TARGET_DIR:-$ROOT/target}/debug/dpopd" >"$SCRATCH/dpopd.log" 2>&1 &
DPOPD_PID=$!
for _ in $(seq 1 300); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/healthz" && break
    kill -0 "$DPOPD_PID" 2>/dev/null || { tail -n 40 "$SCRATCH/dpopd.log" >&2; exit 1; }
    sleep 0.1
done

# Checks: all of them but positive_data_acceptance, which expects every schema-valid request to
# be accepted. dpopd refuses, by design and as openapi.yaml documents, values that JSON Schema
# cannot describe: `jwtAtClaims` that is not the text of a JSON object (or sets a reserved
# claim) and `htu` that is not an http(s) URL are answered 400 with A001205.
# Run from the scratch directory with no example database, so nothing is written in the tree.
status=0
(cd "$SCRATCH" && timeout 240 "$HERE/.venv/bin/schemathesis" run "$ROOT/openapi.yaml" \
    --url "http://127.0.0.1:$PORT" \
    --auth demo-caller:demo-caller-secret \
    --checks all --exclude-checks positive_data_acceptance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
    --seed "${SCHEMATHESIS_SEED:-20240901}" \
    --request-timeout 10 \
    --generation-database none \
    --no-color \
    --report junit --report-junit-path "$SCRATCH/junit.xml") || status=$?

if [ -f "$SCRATCH/junit.xml" ]; then
    "$HERE/.venv/bin/python" - "$SCRATCH/junit.xml" "$status" <<'EOF'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
bad = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
# A non-zero exit with no failed operation (a time-out, a crash) still counts as a failure.
print(f"schemathesis: {len(cases) - bad} passed, {bad or int(sys.argv[2] != '0')} failed")
EOF
else
    echo "schemathesis: 0 passed, 1 failed"
fi
exit "$status"
