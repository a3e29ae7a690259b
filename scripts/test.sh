#!/usr/bin/env bash
# The README's test command: installs what the tests need (idempotent), builds, lints (the full
# run only), runs every test layer with Node's test runner.
# Usage: scripts/test.sh [unit|integration|e2e ...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/setup-test-deps.sh
npm run --silent build
[ "$#" -gt 0 ] || npm run --silent lint
node scripts/run-tests.mjs "$@"
