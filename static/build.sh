#!/usr/bin/env bash
# Front-end packages come from the npm registry at build time, never from a CDN at run time.
# Installs what package.json / package-lock.json pin and copies the files the pages load into
# static/vendor/ (git-ignored). Idempotent and quick when nothing changed: `make run` and
# `make test` call it every time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/static/vendor"
MODULES="$ROOT/node_modules"
STAMP="$MODULES/.creditapp-build-stamp"

# source (under node_modules/) → name under static/vendor/. Source maps go along: the minified
# files name them, and collectstatic's manifest storage refuses a reference to a missing file.
FILES=(
  "htmx.org/dist/htmx.min.js:htmx.min.js"
  "htmx.org/LICENSE:htmx.LICENSE.txt"
  "chart.js/dist/chart.umd.min.js:chart.umd.min.js"
  "chart.js/dist/chart.umd.min.js.map:chart.umd.min.js.map"
  "chart.js/LICENSE.md:chart.LICENSE.md"
)

die() {
  echo "static/build.sh: $*" >&2
  exit 1
}

command -v npm >/dev/null 2>&1 \
  || die "npm was not found on PATH. Install Node.js 18+ and npm (Debian: apt-get install -y nodejs npm), then run 'bash static/build.sh' again."

cd "$ROOT"

# node_modules is current when it was installed from exactly this package.json and lock file and
# still holds every file we copy.
manifest_digest() {
  cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1
}

modules_current() {
  [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(manifest_digest)" ]] || return 1
  for entry in "${FILES[@]}"; do
    [[ -f "$MODULES/${entry%%:*}" ]] || return 1
  done
}

if ! modules_current; then
  if [[ -f package-lock.json ]]; then
    echo "static/build.sh: npm ci" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2 || die "'npm ci' failed (see above)"
  else
    echo "static/build.sh: npm install (no package-lock.json yet: commit the one it writes)" >&2
    npm install --no-audit --no-fund --loglevel=error >&2 || die "'npm install' failed (see above)"
  fi
  # npm install may have written the lock file: stamp what is on disk now.
  manifest_digest >"$STAMP"
fi

mkdir -p "$VENDOR"
for entry in "${FILES[@]}"; do
  source="$MODULES/${entry%%:*}"
  target="$VENDOR/${entry##*:}"
  [[ -f "$source" ]] || die "$source is missing after install; did a package change its layout?"
  # Copy only what changed, so file times (and caches keyed on them) stay put.
  if ! cmp -s "$source" "$target"; then
    cp "$source" "$target"
    echo "static/build.sh: vendor/${entry##*:} updated" >&2
  fi
done
