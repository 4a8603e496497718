#!/usr/bin/env bash
# Installs the gateways of the gateway-mode test (tests/interop/gateway/run.sh) on a fresh
# Debian or Ubuntu machine: nginx (with auth_request) and Caddy. The test starts each itself on
# free 127.0.0.1 ports and ignores any service the packages start. Idempotent; needs root.
set -euo pipefail

missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v caddy >/dev/null 2>&1 || missing+=(caddy)
if ((${#missing[@]})); then
    # The packages would start their own services on port 80 of every interface: forbid it for
    # the length of the install (policy-rc.d, exit 101: "action not allowed").
    policy=/usr/sbin/policy-rc.d
    own_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi
    systemctl stop nginx caddy >/dev/null 2>&1 || true
fi

nginx -v
caddy version
