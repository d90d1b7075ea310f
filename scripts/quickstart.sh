#!/usr/bin/env bash
# Quick start on a fresh machine: installs pnpm (the pinned version) if missing, the dependencies and a build, then
# runs the gateway on its embedded default (in-memory store, demo upstream, generated development keys in
# .authgate-dev/keys). It prints the URL, a demo user and the curl lines to try it. Ctrl-C stops it.
# Set MONGODB_URL to keep users and sessions in MongoDB instead of memory.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=9.15.9

if ! command -v node >/dev/null 2>&1; then
  echo "quickstart: Node.js >= 20.19 is required (https://nodejs.org)" >&2
  exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("quickstart: Node.js >= 20.19 is required, found " + process.versions.node); process.exit(1) }'

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "quickstart: installing pnpm $PNPM_VERSION with npm"
  npm install -g "pnpm@$PNPM_VERSION" --no-fund --no-audit --loglevel=error
fi

echo "quickstart: installing dependencies"
pnpm install --frozen-lockfile

echo "quickstart: building"
pnpm build

# exec: the gateway replaces this shell, so Ctrl-C (SIGINT) reaches it directly and it shuts down cleanly.
exec node apps/gateway/bin/authgate.js start "$@"
