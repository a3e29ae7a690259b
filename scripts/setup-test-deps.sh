#!/usr/bin/env bash
# Installs and prepares everything the tests need (sshd, Chromium, moto, code-server, ...).
# Each concern has its own idempotent script in scripts/setup/, run in name order.
# Skipped entirely with SKYDECK_SKIP_SETUP=1 (fast local unit runs).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SKYDECK_SKIP_SETUP:-}" = 1 ] && exit 0
for s in scripts/setup/*.sh; do
  [ -e "$s" ] || continue
  echo "setup: $s"
  bash "$s"
done
