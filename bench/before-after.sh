#!/bin/bash
# Issue 11's before/after table: `sda bench ingest`, `sda bench windower` and `sda bench roundtrip` for each
# variant, plus the Kafka Streams peer, ROUNDS times in alternating order, in one session. Each cell's stdout,
# stderr and the load average before and after are kept under OUT; the figures are read from the benches' tables.
#
#   bench/before-after.sh NAME=DIR=NODE [NAME=DIR=NODE ...]
#     DIR: a built checkout (git worktree add --detach DIR COMMIT; node_modules; tsc -p .); NODE: the node binary.
#   env: OUT (default .cache/bench/before-after), ROUNDS (3), PEER_DIR (a built copy of ../shared/peers/kstreams-windower:
#        mvn -q dependency:copy-dependencies compile; empty skips the peer), ROUNDTRIP_ARGS ("-n 500000 --skip-baseline").
# 2026-12-01: before=/tmp/e-before=/usr/bin/node (fff923c) before24=/tmp/e-before=<Node 24> after24=/tmp/e-after=<Node 24> (29f32f7).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/.cache/bench/before-after}
rounds=${ROUNDS:-3}
peer=${PEER_DIR:-}
roundtrip_args=${ROUNDTRIP_ARGS:--n 500000 --skip-baseline}
export SDA_CACHE_DIR=${SDA_CACHE_DIR:-$root/.cache} LOG_LEVEL=warn
[ $# -gt 0 ] || { sed -n 2,10p "$0"; exit 2; }
mkdir -p "$out"
variants=("$@")
for r in $(seq 1 "$rounds"); do
  order=("${variants[@]}")
  if [ $((r % 2)) -eq 0 ]; then order=(); for ((i = ${#variants[@]} - 1; i >= 0; i--)); do order+=("${variants[$i]}"); done; fi
  for v in "${order[@]}"; do
    IFS='=' read -r name dir node <<<"$v"
    opts=""; "$node" --disable-warning=TimeoutNegativeWarning -e 0 2>/dev/null && opts="--disable-warning=TimeoutNegativeWarning"
    for b in ingest windower roundtrip; do
      args=""; [ "$b" = roundtrip ] && args=$roundtrip_args
      f=$out/$name.$b.$r
      echo "$(date -u +%T) $name $b round $r load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/log"
      # shellcheck disable=SC2086
      (cd "$dir" && cat /proc/loadavg >"$f.load" && PATH=$(dirname "$node"):$PATH NODE_OPTIONS="$opts" timeout 600 nice -n 10 "$node" dist/cli/sda.js bench $b $args >"$f.out" 2>"$f.err"; echo "rc=$?" >>"$f.load"; cat /proc/loadavg >>"$f.load")
    done
  done
  if [ -n "$peer" ]; then
    echo "$(date -u +%T) peer round $r load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/log"
    (cd "$peer" && cat /proc/loadavg >"$out/peer.$r.load" && timeout 600 nice -n 10 java -Xmx2g -cp 'target/classes:target/dependency/*' peer.WindowBench 127.0.0.1:19092 20 8760 exactly_once_v2 >"$out/peer.$r.out" 2>"$out/peer.$r.err"; echo "rc=$?" >>"$out/peer.$r.load"; cat /proc/loadavg >>"$out/peer.$r.load")
  fi
done
echo "$(date -u +%T) done: $out" | tee -a "$out/log"
grep -H -E '^\| (5 end to end|3 processor|Avro MarketTick)' "$out"/*.out
grep -H -o '"process_per_s":[0-9]*' "$out"/peer.*.out 2>/dev/null
