#!/usr/bin/env bash
# Runs every compiled test file with node's own test runner. Unit tests sit
# next to the code (src/**/*.test.ts); tests that cross processes live in
# test/integration/.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find dist/src dist/test -name '*.test.js' | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "no test files found under dist/ (did the build run?)" >&2
  exit 1
fi
exec node --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-timeout=300000 "${files[@]}"
