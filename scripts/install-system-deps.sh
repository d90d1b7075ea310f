#!/usr/bin/env bash
# Debian packages the tests need, installed only when missing (CI machines start bare). Everything comes from
# Debian's own archive: no tool downloads a browser or a binary from anywhere else.
#   go        builds the FerretDB test database (test/kit/mongo/test-database.mjs) when no MongoDB is available
#   openjdk-17-jdk-headless, maven  build and run the second test database, mongo-java-server (Maven Central only;
#             test/kit/mongo/mongo-java-server.mjs)
#   chromium  the browser test of the demo page (test/e2e/browser.test.ts), driven by playwright-core
#   redis-server  the shared rate limits' tests (test/kit/redis/test-redis.mjs) when no REDIS_URL is given
#   nginx     the forward-auth end-to-end test (test/e2e/nginx-forward-auth.test.ts: auth_request in front of authgate;
#             it fails under CI=true without nginx) and the benchmarks' nginx scenarios (test/bench)
set -euo pipefail
need=()
command -v go >/dev/null 2>&1 || [ -n "${MONGODB_URL:-}" ] || command -v mongod >/dev/null 2>&1 || need+=(golang-go)
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || [ -n "${REDIS_URL:-}" ] || need+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
if [ ${#need[@]} -eq 0 ]; then echo "system packages: all present"; exit 0; fi
echo "system packages: installing ${need[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
