#!/usr/bin/env bash
# Git for the git-workdir tests (test/integration/git): the client's `git ls-remote`, the
# nodes' clones, and `git http-backend` (same package) behind the private HTTP test server.
# Idempotent: installs only what is missing.
set -euo pipefail
if ! command -v git >/dev/null 2>&1 || [ ! -x /usr/lib/git-core/git-http-backend ]; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  # Other setup scripts may hold the apt lock: wait for it rather than fail.
  apt_retry() { for _ in $(seq 1 60); do "$@" && return 0; sleep 5; done; return 1; }
  apt_retry $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt_retry $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends git >/dev/null
fi
git --version
