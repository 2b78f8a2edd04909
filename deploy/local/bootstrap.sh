#!/usr/bin/env bash
# Prepares a clone to run: Node dependencies (npm ci, only when the lockfile changed) and the TypeScript build.
# With --test it also installs the tools the test suite uses (Debian's docker-compose, to validate the compose file;
# Debian's chromium, the headless browser of test/integration/dashboard.test.ts, about 25 s to install).
# Services themselves are installed and started by `sda stack up`.
set -euo pipefail
cd "$(dirname "$0")/../.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "bootstrap: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.sda-lock-snapshot; then
  echo "bootstrap: npm ci" >&2
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.sda-lock-snapshot
fi

echo "bootstrap: tsc" >&2
./node_modules/.bin/tsc -p .
chmod +x dist/cli/sda.js

if [ "${1:-}" = "--test" ]; then
  missing=()
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "bootstrap: tests need ${missing[*]}: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
      exit 1
    fi
    echo "bootstrap: apt-get install ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
