#!/usr/bin/env bash
# Builds every fuzz target once, then runs each for SECONDS with its seeds (fuzz/seeds/<target>)
# copied into a scratch corpus (fuzz/corpus/<target>, git-ignored). Prints libFuzzer's final
# "Done N runs in S second(s)" line per target and exits non-zero if any target crashed, leaked,
# timed out on one input or ran out of memory; the input that did is left in fuzz/artifacts/.
#
#   bash fuzz/run.sh 30        # CI: 30 s per target
#   bash fuzz/run.sh 3600      # an hour per target
#
# On a stable toolchain the sanitizer and coverage flags cargo-fuzz passes need
# RUSTC_BOOTSTRAP=1; a nightly toolchain needs nothing. If the address-sanitizer build fails,
# the targets are built without a sanitizer (`-s none`), which still catches panics and
# failed assertions.
set -euo pipefail

usage="usage: bash fuzz/run.sh SECONDS_PER_TARGET"
seconds="${1:?$usage}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "$usage" >&2; exit 2; }
cd "$(dirname "$0")"

if ! rustc --version | grep -q nightly; then
    export RUSTC_BOOTSTRAP=1
fi

build_start=$(date +%s)
sanitizer=address
if ! cargo fuzz build --sanitizer address; then
    echo "fuzz: the address-sanitizer build failed; building without a sanitizer" >&2
    sanitizer=none
    cargo fuzz build --sanitizer none
fi
echo "fuzz: built all targets (sanitizer: $sanitizer) in $(( $(date +%s) - build_start )) s"

bin_dir="target/$(rustc -vV | sed -n 's/^host: //p')/release"
failed=()
for target in $(cargo fuzz list); do
    corpus="corpus/$target"
    mkdir -p "$corpus" "artifacts/$target"
    if [[ -d "seeds/$target" ]]; then
        cp -f seeds/"$target"/* "$corpus"/
    fi
    log="artifacts/$target/run.log"
    status=0
    # -timeout: one input taking 10 s is a denial of service, reported like a crash.
    "$bin_dir/$target" "$corpus" \
        -max_total_time="$seconds" \
        -max_len=16384 \
        -rss_limit_mb=2048 \
        -timeout=10 \
        -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" \
        >"$log" 2>&1 || status=$?
    done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)
    if [[ $status -ne 0 ]]; then
        echo "fuzz: $target FAILED (exit $status); the last lines of $log:"
        tail -n 60 "$log"
        failed+=("$target")
    else
        echo "fuzz: $target: ${done_line:-no final stats line}"
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | sed 's/^/      /' || true
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}"
    exit 1
fi
echo "fuzz: every target ran ${seconds} s without a failure"
