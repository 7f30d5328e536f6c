#!/usr/bin/env bash
# Make sure a Docker engine answers on this host: install Debian's docker.io when dockerd is missing and
# start dockerd in the background (there is no systemd here). Idempotent; safe to run on every command.
set -euo pipefail

log() { printf '[docker-engine] %s\n' "$*" >&2; }

if docker info >/dev/null 2>&1; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io iptables >/dev/null
fi

# A dockerd killed with its session leaves its pid file behind, and a new dockerd refuses to start over it.
pidfile=/var/run/docker.pid
if [[ -f $pidfile ]] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  log "removing stale $pidfile"
  rm -f "$pidfile"
fi
# Same for containerd's socket and state left by a killed engine.
rm -f /var/run/docker.sock /run/containerd/containerd.sock 2>/dev/null || true

logfile=${DOCKERD_LOG:-/var/log/dockerd.log}
log "starting dockerd (log: $logfile)"
# Its own session: the engine outlives the shell (or CI step) that started it.
setsid nohup dockerd >"$logfile" 2>&1 </dev/null &

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "dockerd is up"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; last lines of $logfile:"
tail -n 20 "$logfile" >&2
exit 1
