#!/usr/bin/env bash
# What bench/serve needs: wrk (the load generator) and nginx (the baseline proxy), from
# Debian's packages. Idempotent: installs only what is missing. nginx is only run by the
# bench itself (127.0.0.1, a temp config, not as a daemon): the package's own service is
# neither enabled nor started here.
set -euo pipefail
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  # nginx-light was folded into nginx in newer Debian releases.
  if apt-cache show nginx-light >/dev/null 2>&1; then missing+=(nginx-light); else missing+=(nginx); fi
fi
[ ${#missing[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d 101: the package's service must not start (the bench runs its own nginx).
policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1; fi
trap '[ "$created" = 1 ] && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}"
