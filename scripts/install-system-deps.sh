#!/usr/bin/env bash
# Debian packages the tests and benchmarks need, installed only when missing (CI machines start bare).
# Everything comes from Debian's own archive: no tool downloads a browser or binary from elsewhere.
set -euo pipefail
need=()
command -v go >/dev/null 2>&1 || need+=(golang-go)
# Add here what later test suites need (chromium, nginx, redis-server): one list, one apt-get call.
for pkg in "${AUTHGATE_EXTRA_DEBS[@]:-}"; do [ -n "$pkg" ] && need+=("$pkg"); done
if [ ${#need[@]} -eq 0 ]; then echo "system packages: all present"; exit 0; fi
echo "system packages: installing ${need[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
