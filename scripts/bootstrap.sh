#!/usr/bin/env bash
# Prepares a fresh machine (Debian, Node 20, root): pnpm at the pinned version,
# redis-server from apt when missing, then the workspace dependencies.
# Idempotent; safe with CI=true and no stdin.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "bootstrap: installing pnpm@$PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1
fi

if ! command -v redis-server >/dev/null 2>&1; then
  echo "bootstrap: installing redis-server (apt)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq redis-server >/dev/null
fi

pnpm install --frozen-lockfile
