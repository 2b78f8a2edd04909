#!/usr/bin/env sh
# Runs the project's Node.js (the version in .nvmrc) with the given arguments: the release bootstrap unpacked
# into .cache/node/<version>/ (deploy/local/node.ts) when the machine's Node is older, else the machine's `node`.
# Its folder goes first on PATH, so whatever the command starts as `node` (or npm, npx) runs on it too, and
# npm_config_nodedir points node-gyp at its headers (not the machine's). Used by package.json's scripts, ./sda
# and .ci/run:  deploy/local/node.sh dist/cli/sda.js stack up
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(tr -d ' \r\n' <"$root/.nvmrc")
version=${version#v}
cache=${SDA_CACHE_DIR:-.cache}
case $cache in /*) ;; *) cache="$root/$cache" ;; esac
release="$cache/node/$version"
if [ -x "$release/bin/node" ]; then
  PATH="$release/bin:$PATH"
  npm_config_nodedir="$release"
  export PATH npm_config_nodedir
  exec "$release/bin/node" "$@"
fi
have=$(node -p 'process.versions.node' 2>/dev/null || echo none)
if [ "${have%%.*}" -ge "${version%%.*}" ] 2>/dev/null; then
  exec node "$@"
fi
echo "node.sh: this project runs on Node $version (.nvmrc) and found $have; run: bash deploy/local/bootstrap.sh (it unpacks Node $version into $cache/node/)" >&2
exit 1
