#!/usr/bin/env bash
# Installs what the storage tests mount buckets with: Debian's rclone and fuse3 (the S3 endpoint
# is moto, from 30-moto.sh), and checks that /dev/fuse is usable. Idempotent: installs only
# what is missing.
set -euo pipefail

missing=()
command -v rclone >/dev/null 2>&1 || missing+=(rclone)
command -v fusermount3 >/dev/null 2>&1 || missing+=(fuse3)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "storage: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >/dev/null || {
    apt-get -o DPkg::Lock::Timeout=600 update >/dev/null
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >/dev/null
  }
else
  echo "storage: rclone and fuse3 already installed"
fi

if [ ! -e /dev/fuse ]; then
  # A container without the device: create it when allowed (it still needs the host's FUSE module).
  mknod -m 666 /dev/fuse c 10 229 2>/dev/null || { echo "storage: /dev/fuse is missing and cannot be created here" >&2; exit 1; }
fi
