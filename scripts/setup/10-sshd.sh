#!/usr/bin/env bash
# SSH test hosts (test/helpers/sshd.ts): OpenSSH server + client, iproute2 for network
# namespaces, procps for process-tree checks. Idempotent: installs only what is missing.
set -euo pipefail
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v ps >/dev/null 2>&1 || missing+=(procps)
command -v setsid >/dev/null 2>&1 || missing+=(util-linux)
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
# Privilege-separation directory sshd insists on (no systemd here to create it).
if [ "$(id -u)" = 0 ]; then mkdir -p /run/sshd && chmod 755 /run/sshd; fi
/usr/sbin/sshd -V 2>&1 | head -1 || true
