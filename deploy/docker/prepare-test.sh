#!/usr/bin/env bash
# What test/integration/docker-compose.test.ts needs, run by `npm test` after `sda stack up` (the Kafka and Apicurio
# images copy the stack's installs from .cache): Debian's docker.io and debootstrap, dockerd, the compose v2 plugin
# (built once from the Go module proxy), and the images the compose test starts, each rebuilt only when its sources
# changed. Never fails the test command: when a step cannot run (no root, no engine, no network) it says why and the
# compose test skips with its own reason. SDA_DOCKER_TEST=0 skips everything. Cold on a fresh machine: about 10 min
# (compose plugin ~5, images ~5); with everything cached: seconds.
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ "${SDA_DOCKER_TEST:-}" = "0" ]; then
  echo "docker-prepare: SDA_DOCKER_TEST=0, the compose test will skip" >&2
  exit 0
fi
t0=$(date +%s)
if deploy/local/node.sh dist/cli/sda.js docker install && nice -n 5 deploy/local/node.sh dist/cli/sda.js docker build --for postgres,kafka,schema-registry,ingress,gateway; then
  echo "docker-prepare: engine and images ready in $(( $(date +%s) - t0 )) s" >&2
else
  echo "docker-prepare: the Docker engine or images are not ready after $(( $(date +%s) - t0 )) s (see above); the compose test will skip and say why" >&2
fi
exit 0
