#!/usr/bin/env bash
# Print the base image the MLflow image should be built FROM, making sure it exists locally.
# Order: the configured base if present or pullable; otherwise a Python base made here from Debian
# packages (debootstrap + docker import), for hosts that reach no image registry. Idempotent.
#   MLFLOW_IMAGE_BASE         configured base (default: the Docker Hub Python image we target)
#   MLFLOW_LOCAL_BASE         name of the locally made fallback
#   MLFLOW_DEBIAN_MIRROR      Debian mirror for debootstrap (default: the one apt on this host uses,
#                             see scripts/debian-mirror.sh; none found is an error)
set -euo pipefail

configured=${MLFLOW_IMAGE_BASE:-docker.io/library/python:3.11-slim-bookworm}
local_base=${MLFLOW_LOCAL_BASE:-localhost/oci-mlflow-base:bookworm}
suite=bookworm

log() { printf '[base-image] %s\n' "$*" >&2; }

have() { docker image inspect "$1" >/dev/null 2>&1; }

if have "$configured"; then echo "$configured"; exit 0; fi
if timeout 60 docker pull -q "$configured" >/dev/null 2>&1; then echo "$configured"; exit 0; fi
log "cannot pull $configured; using a base made from Debian packages: $local_base"
if have "$local_base"; then echo "$local_base"; exit 0; fi

# Before anything is installed: without a mirror there is nothing to make the base from.
mirror=$("$(dirname "$0")/debian-mirror.sh" "$suite")

if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

rootfs=$(mktemp -d /var/tmp/mlflow-base.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
log "debootstrap $suite from $mirror (about a minute)"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || { tail -n 30 "$rootfs.log" >&2; exit 1; }
rm -f "$rootfs.log"
# Trim what an image never needs: apt lists and caches, docs, man pages.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
       "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
tar -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
  --message "debootstrap $suite minbase + python3 (oracle.mlflow scripts/base-image.sh)" \
  - "$local_base" >/dev/null
log "made $local_base"
echo "$local_base"
