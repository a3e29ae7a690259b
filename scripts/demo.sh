#!/usr/bin/env bash
# The README's main job: launch the example task on `local` (no account needed),
# show the cluster and its log, then tear it down.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
SKYDECK=(node dist/cli.js)
"${SKYDECK[@]}" launch examples/hello.yaml -c hello -y
"${SKYDECK[@]}" status
"${SKYDECK[@]}" queue hello
"${SKYDECK[@]}" down hello -y
