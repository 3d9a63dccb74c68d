#!/usr/bin/env bash
# Makes sure the Debian packages a profile needs are installed.
#   run:  what `npm start` needs (zip for the example's artifact)
#   test: what the test suite needs (browsers, procdump, nginx, wrk, ...)
#   bench: what the benchmarks need
# As root it runs apt-get update and installs what is missing; otherwise it
# names what to install and stops.
set -euo pipefail
profile="${1:-test}"
case "$profile" in
  run) wanted=(zip unzip) ;;
  test) wanted=(zip unzip curl chromium procdump gdb nginx wrk python3) ;;
  bench) wanted=(zip unzip curl chromium procdump nginx wrk hyperfine) ;;
  *) echo "unknown profile '$profile': use run, test or bench" >&2; exit 2 ;;
esac
missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
