#!/usr/bin/env bash
# Compile TypeScript into dist/ when any source is newer than the last build. Builds in place (a
# process running from dist/ keeps working) and then removes outputs whose source is gone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stamp=dist/.build-stamp
if [[ -f "$stamp" ]] && [[ -z "$(find src test bench scripts tsconfig.json package.json -newer "$stamp" -type f -print -quit 2>/dev/null)" ]]; then
  exit 0
fi
echo "berth: building TypeScript" >&2
node_modules/.bin/tsc -p tsconfig.json
if [[ -d dist ]]; then
  find dist -name '*.js' -type f | while read -r out; do
    src="${out#dist/}"
    src="${src%.js}.ts"
    [[ -f "$src" ]] || rm -f "$out" "$out.map"
  done
fi
touch "$stamp"
