#!/usr/bin/env sh
# Runs the project's Node.js (the version in .nvmrc) with the given arguments: the release bootstrap unpacked
# into .cache/node/<version>/ (platform/installers/node.ts) when the machine's Node is older, else the machine's `node`.
# Its folder goes first on PATH, so whatever the command starts as `node` (or npm, npx) runs on it too, and
# npm_config_nodedir points node-gyp at its headers (not the machine's). Used by package.json's scripts, ./sda
# and .ci/run:  deploy/local/node.sh dist/cli/sda.js stack up
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(tr -d ' \r\n' <"$root/.nvmrc")
version=${version#v}
cache=${SDA_CACHE_DIR:-.cache}
case $cache in /*) ;; *) cache="$root/$cache" ;; esac
release="$cache/node/$version"
# kafkajs 2.2.4 (no release since 2023) sets timers with a negative delay (tulios/kafkajs#1751); Node 24 warns about
# each such timer on stderr (it always ran them after 1 ms, as Node 20 did silently). Children inherit NODE_OPTIONS.
case " ${NODE_OPTIONS:-} " in
  *" --disable-warning=TimeoutNegativeWarning "*) ;;
  *) NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--disable-warning=TimeoutNegativeWarning"; export NODE_OPTIONS ;;
esac
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
