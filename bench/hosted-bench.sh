#!/usr/bin/env bash
# Hosted-program benchmark: the site host's proxy to a real Express program
# against the program reached directly and against nginx proxying to it, then
# 50 recycles under wrk. Builds first unless dist/ is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f dist/bench/hosted-bench-main.js ]; then npm run build >/dev/null; fi
exec node dist/bench/hosted-bench-main.js
