#!/usr/bin/env bash
# Runs every benchmark that exists: compiled bench/*-bench.ts files (built
# into dist/bench by `npm run build`) and bench/*-bench.sh scripts. Each
# prints its own figures and ratios; a failing one does not stop the others.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
shopt -s nullglob
for script in dist/bench/*-bench.js; do
  echo "== ${script}"
  node "${script}" || status=1
done
for script in bench/*-bench.sh; do
  echo "== ${script}"
  bash "${script}" || status=1
done
exit "${status}"
