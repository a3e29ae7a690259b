#!/usr/bin/env bash
# `npm run lint`: eslint (with the import rules), the type check, the formatter's check
# (`npm run format` fixes it), and shellcheck over every shell script the project runs (setup,
# CI, the on-node agent).
set -euo pipefail
cd "$(dirname "$0")/.."
npx eslint .
npx tsc --noEmit -p .
npx prettier --check --log-level warn "**/*.{ts,mjs,js}"
if command -v shellcheck >/dev/null; then
  git ls-files '*.sh' .ci/run | xargs shellcheck
else
  echo "lint: shellcheck is not installed (scripts/setup/05-shellcheck.sh installs it)" >&2
  exit 1
fi
