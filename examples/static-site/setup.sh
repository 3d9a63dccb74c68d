#!/usr/bin/env bash
# Builds examples/static-site/swagger-ui.zip from the swagger-ui-dist
# package with the real `zip` tool. Swagger UI's own initializer points at a
# spec on the internet; ours points at openapi.json next to it, so the page
# loads nothing from outside this machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dist="$here/../../node_modules/swagger-ui-dist"
if [ ! -f "$dist/index.html" ]; then
  echo "swagger-ui-dist is not installed; run npm ci first" >&2
  exit 1
fi
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$dist"/{index.html,index.css,swagger-ui.css,swagger-ui-bundle.js,swagger-ui-standalone-preset.js} "$stage/"
cp "$dist"/{favicon-16x16.png,favicon-32x32.png,oauth2-redirect.html,oauth2-redirect.js,LICENSE,NOTICE} "$stage/"
cp "$here/swagger-initializer.js" "$here/openapi.json" "$stage/"
rm -f "$here/swagger-ui.zip"
(cd "$stage" && zip -q -r -X "$here/swagger-ui.zip" .)
echo "examples/static-site/swagger-ui.zip: $(unzip -Z1 "$here/swagger-ui.zip" | wc -l) files"
