#!/usr/bin/env bash
# One request through the internal entrypoint (make port-forwards running) with X-Canary,
# printing which version served each hop, then the same through PR N's preview hostname.
# Usage: try-canary.sh PR   (TOKEN: a JWT from the platform's issuer; on a dev cluster with
# make dev-issuer, one is made with ./canary token when TOKEN is unset)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pr="${1:?usage: try-canary.sh PR}"
if [ -z "${TOKEN:-}" ]; then
  TOKEN="$("$root/canary" token --tenant "${TENANT:-demo}")"
fi
host="$("$here/platform.sh" host-integration-001)"
# Routes match Host(`<api host>`) and Host(`pr-<N>.<api host>`): send them, while
# connecting to the forwarded port.
for target in "${host}|X-Canary: ${pr}" "pr-${pr}.${host}|X-Canary-None: 1"; do
  h="${target%%|*}"
  echo "# Host ${h}"
  curl -sS -o /dev/null -D - "http://localhost:18080/v1/items" \
    -H "Host: ${h}" -H "Authorization: Bearer ${TOKEN}" -H "${target#*|}" |
    grep -i -E '^(HTTP|x-served-by)'
done
