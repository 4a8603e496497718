#!/usr/bin/env bash
# Tests of the relay packages: clients/node (node --test) and clients/python (pytest), each
# against a real dpopd that the tests start themselves (the debug build, built here) and
# against failing stand-ins. Installs what they need: npm ci from the committed lock file, and
# a venv with the package and its test extras at the pinned versions of constraints.txt.
# Last line: `clients: N passed, M failed`; exit status non-zero on any failure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NODE_DIR="$ROOT/clients/node"
PY_DIR="$ROOT/clients/python"
LIMIT=300 # seconds a suite may run
LOG="$(mktemp -d)"
trap 'rm -rf "$LOG"' EXIT

echo "clients: building dpopd"
(cd "$ROOT" && cargo build --locked --quiet --bin dpopd)
export DPOPD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/dpopd"

echo "clients: installing"
npm ci --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error >/dev/null
if [ ! -x "$PY_DIR/.venv/bin/python" ]; then python3 -m venv "$PY_DIR/.venv"; fi
"$PY_DIR/.venv/bin/pip" install -q --disable-pip-version-check -c "$PY_DIR/constraints.txt" -e "$PY_DIR[test,flask,fastapi,django]"

PASSED=0
FAILED=0

echo "--- clients/node"
status=0
(cd "$NODE_DIR" && timeout "$LIMIT" node --test --test-concurrency=1 --test-reporter=tap test/*.test.js) >"$LOG/node.log" 2>&1 || status=$?
grep -E '^(not ok|# (tests|pass|fail|cancelled|duration_ms))' "$LOG/node.log" || true
if [ "$status" -ne 0 ]; then tail -n 80 "$LOG/node.log"; fi
p="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$LOG/node.log" | tail -n 1)"
f="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$LOG/node.log" | tail -n 1)"
p="${p:-0}" f="${f:-0}"
if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
echo "node: $p passed, $f failed"
PASSED=$((PASSED + p)) FAILED=$((FAILED + f))

echo "--- clients/python"
status=0
(cd "$PY_DIR" && timeout "$LIMIT" .venv/bin/python -m pytest -q -p no:cacheprovider tests) >"$LOG/python.log" 2>&1 || status=$?
tail -n 1 "$LOG/python.log"
if [ "$status" -ne 0 ]; then tail -n 80 "$LOG/python.log"; fi
last="$(tail -n 1 "$LOG/python.log")"
p="$(grep -oE '[0-9]+ passed' <<<"$last" | grep -oE '[0-9]+' || echo 0)"
f=0
for n in $(grep -oE '[0-9]+ (failed|errors?)' <<<"$last" | grep -oE '[0-9]+'); do f=$((f + n)); done
p="${p:-0}" f="${f:-0}"
if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
echo "python: $p passed, $f failed"
PASSED=$((PASSED + p)) FAILED=$((FAILED + f))

echo "clients: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
