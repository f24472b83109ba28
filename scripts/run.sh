#!/usr/bin/env bash
# Runs a command with the project's toolchain: Node >= 22 (Node 24 LTS is brought into
# .tools/ from the npm registry when the machine's node is older) and installed
# dependencies (npm ci when package-lock.json changed since the last install).
# Usage: scripts/run.sh <command> [args...]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$tools/node_modules/.bin/node" ]; then
  export PATH="$tools/node_modules/.bin:$PATH"
fi
if [ "$(node_major)" -lt 22 ]; then
  echo "setup: node $(node --version 2>/dev/null || echo missing) is older than 22; installing Node 24 LTS into .tools/ ..." >&2
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error node@24 >&2
  export PATH="$tools/node_modules/.bin:$PATH"
  if [ "$(node_major)" -lt 22 ]; then
    echo "setup: could not bring Node 24 into .tools/ (npm install node@24 failed); install Node >= 22 and retry" >&2
    exit 1
  fi
fi

stamp="$root/node_modules/.install-stamp"
stale() { [ ! -f "$stamp" ] || [ "$root/package-lock.json" -nt "$stamp" ]; }
install() {
  # Checked again under the lock: a run started at the same time may have installed already.
  if stale; then
    echo "setup: installing dependencies with node $(node --version) (npm ci) ..." >&2
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >&2)
    touch "$stamp"
  fi
}
if stale; then
  # Two runs at once (two terminals, parallel jobs) must not both delete and refill
  # node_modules: one installs, the other waits for it.
  if command -v flock >/dev/null 2>&1; then
    mkdir -p "$tools"
    exec 9>"$tools/install.lock"
    flock 9
    install
    flock -u 9
  else
    install
  fi
fi

exec "$@"
