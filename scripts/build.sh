#!/usr/bin/env bash
# Compile TypeScript into dist/ when any source is newer than the last build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stamp=dist/.build-stamp
if [[ -f "$stamp" ]] && [[ -z "$(find src test bench scripts tsconfig.json package.json -newer "$stamp" -type f -print -quit 2>/dev/null)" ]]; then
  exit 0
fi
echo "berth: building TypeScript" >&2
rm -rf dist
node_modules/.bin/tsc -p tsconfig.json
touch "$stamp"
