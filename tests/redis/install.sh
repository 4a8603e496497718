#!/usr/bin/env bash
# Installs what the Redis topology tests (tests/api/redis_topologies.rs) need on a fresh Debian
# or Ubuntu machine: redis-server (TLS and cluster mode built in), redis-sentinel and openssl
# (the tests make their CA and certificates with it). The tests start every process they use
# themselves, on free 127.0.0.1 ports, and ignore any service the packages start. Idempotent;
# needs root.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

redis-server --version
redis-sentinel --version
openssl version
