#!/usr/bin/env bash
# wat2wasm (Debian package wabt): assembles engine/catalog/wasm/csvColumns.wat. Only the test
# that checks the committed WebAssembly bytes match that source needs it (it skips without
# it); nothing needs it at run time. Idempotent: installs only when missing.
set -euo pipefail
if ! command -v wat2wasm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  # Other setup scripts may hold the apt lock: wait for it rather than fail.
  apt_retry() { for _ in $(seq 1 60); do "$@" && return 0; sleep 5; done; return 1; }
  $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends wabt >/dev/null 2>&1 ||
    { apt_retry $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq && apt_retry $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends wabt >/dev/null; }
fi
wat2wasm --version
