#!/usr/bin/env bash
# Installs shellcheck (Debian's package), which the test command runs over the project's shell
# scripts, the on-node agent among them. Idempotent.
set -euo pipefail
command -v shellcheck >/dev/null && exit 0
echo "05-shellcheck: apt-get install shellcheck"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends shellcheck >/dev/null 2>&1 || {
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends shellcheck >/dev/null
}
