#!/usr/bin/env bash
# Container tests (test/helpers/docker.ts): Debian's Docker Engine and registry. The daemon is
# not started here: the test helper starts its own `dockerd --bridge=none --iptables=false`
# when none answers (these machines allow loopback and the tests' namespaces only).
# Idempotent: installs only what is missing.
set -euo pipefail
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v ldd >/dev/null 2>&1 || missing+=(libc-bin)
# nsenter enters a node's container by its PID (engine/node/container/enter.ts).
command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
# The multi-host tests start a dockerd on each netns host, remounting its cgroup hierarchies
# (test/integration/docker/hostDaemons.ts): awk and util-linux's mountpoint.
command -v mountpoint >/dev/null 2>&1 || missing+=(util-linux)
command -v awk >/dev/null 2>&1 || missing+=(mawk)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  # Other setup scripts may hold the apt lock: wait for it rather than fail.
  apt_retry() { for _ in $(seq 1 60); do "$@" && return 0; sleep 5; done; return 1; }
  apt_retry $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
  # shellcheck disable=SC2046
  apt_retry $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi
dockerd --version
