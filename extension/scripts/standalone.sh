#!/usr/bin/env bash
# The extension as a Raycast Store pull request holds it: this folder alone, outside the repository.
#   standalone.sh check   copy it to a temporary folder, install from its own package-lock.json, build it for
#                         distribution, check the bundles, and run its own ESLint and Prettier configs
#   standalone.sh lock    write package-lock.json anew from package.json, resolved outside the repository's workspace
set -euo pipefail
extension="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
copy="$work/verbatim"
mkdir "$copy"
tar -C "$extension" --exclude=./node_modules --exclude=./dist --exclude=./raycast-env.d.ts -cf - . | tar -C "$copy" -xf -
cd "$copy"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

case "${1:-}" in
  check)
    npm ci --loglevel=error
    npx ray build -e dist -o dist --non-interactive --exit-on-error
    node scripts/check-bundle.js
    npx eslint .
    npx prettier --check .
    echo "The extension builds and lints alone (copied to $copy)."
    ;;
  lock)
    rm -f package-lock.json
    npm install --package-lock-only --loglevel=error
    cp package-lock.json "$extension/package-lock.json"
    echo "Wrote $extension/package-lock.json"
    ;;
  *)
    echo "usage: $0 check|lock" >&2
    exit 2
    ;;
esac
