#!/usr/bin/env bash
# Installs and starts what the Docker images need (idempotent; each step is skipped when already done):
#   Debian's docker.io (dockerd, containerd, runc, iptables) and debootstrap, then dockerd if no engine answers.
# No image registry is reachable from these machines, so the base image is made by deploy/docker/images.sh from a
# debootstrap root, not pulled. Needs root (apt-get, dockerd); as another user it prints the commands to run and exits 1.
# Exit status: 0 when `docker info` answers at the end; 1 with a message saying what failed.
set -euo pipefail

log() { echo "docker-install: $*" >&2; }

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing ${need[*]}; as root run: apt-get install -y --no-install-recommends ${need[*]} && dockerd &"
    exit 1
  fi
  log "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d exit 101: the package scripts must not start services; we start dockerd ourselves below.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1; fi
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || { [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; exit 1; }
  [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# The engine: an answering `docker info` means one runs already (ours from an earlier call, or the machine's).
if docker info >/dev/null 2>&1; then
  log "engine already running ($(docker info --format '{{.ServerVersion}}, {{.Driver}}, cgroup v{{.CgroupVersion}}'))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "no Docker engine answers and starting dockerd needs root: run 'sudo dockerd &' (or 'sudo systemctl start docker'), or add yourself to the docker group"
  exit 1
fi
logdir="$(cd "$(dirname "$0")/../.." && pwd)/.cache/logs"
mkdir -p "$logdir"
log "starting dockerd (log: $logdir/dockerd.log)"
# setsid: the daemon outlives this script and the shell that ran it.
setsid dockerd >>"$logdir/dockerd.log" 2>&1 </dev/null &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "dockerd up ($(docker info --format '{{.ServerVersion}}, {{.Driver}}, cgroup v{{.CgroupVersion}}'))"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; its log ends:"
tail -n 20 "$logdir/dockerd.log" >&2
exit 1
