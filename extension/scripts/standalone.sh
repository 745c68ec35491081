#!/usr/bin/env bash
# The extension as a Raycast Store pull request holds it: this folder alone, outside the repository, without what is
# for its developers (the tests, which run from the repository, these scripts, DEVELOPMENT.md and STORE.md).
#   standalone.sh check       copy it to a temporary folder, install from its own package-lock.json, build it for
#                             distribution, check the bundles, and run its own ESLint and Prettier configs
#   standalone.sh store DIR   write that folder to DIR (new or empty), for the pull request to raycast/extensions
#   standalone.sh lock        write package-lock.json anew from package.json, resolved outside the repository's workspace
set -euo pipefail
extension="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "${1:-}" == store ]]; then
  target="${2:?usage: $0 store DIR}"
  [[ "$target" == /* ]] || target="$PWD/$target"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
copy="$work/verbatim"
mkdir "$copy"
tar -C "$extension" --exclude=./node_modules --exclude=./dist --exclude=./raycast-env.d.ts \
  --exclude=./tests --exclude=./scripts --exclude=./DEVELOPMENT.md --exclude=./STORE.md -cf - . | tar -C "$copy" -xf -
cd "$copy"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

case "${1:-}" in
  check)
    npm ci --loglevel=error
    npx ray build -e dist -o dist --non-interactive --exit-on-error
    node "$extension/scripts/check-bundle.js" "$copy/dist"
    npx eslint .
    npx prettier --check .
    echo "The extension builds and lints alone (copied to $copy)."
    ;;
  store)
    mkdir -p "$target"
    if [[ -n "$(ls -A "$target")" ]]; then
      echo "$target is not empty: give a new or empty folder" >&2
      exit 1
    fi
    cp -R "$copy/." "$target/"
    echo "Wrote the extension as the Store pull request holds it to $target"
    ;;
  lock)
    rm -f package-lock.json
    npm install --package-lock-only --loglevel=error
    cp package-lock.json "$extension/package-lock.json"
    echo "Wrote $extension/package-lock.json"
    ;;
  *)
    echo "usage: $0 check|store DIR|lock" >&2
    exit 2
    ;;
esac
