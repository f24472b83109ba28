#!/usr/bin/env bash
# One request through the internal entrypoint (make port-forwards running) with X-Canary,
# printing which version served each hop. Usage: TOKEN=<JWT from the platform's issuer> try-canary.sh PR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pr="${1:?usage: TOKEN=<jwt> try-canary.sh PR}"
token="${TOKEN:?set TOKEN to a JWT from the platform issuer (auth-issuer in manifests-microservices/platform)}"
host="$("$here/platform.sh" host-integration-001)"
# Routes match Host(`<api host>`): send it, while connecting to the forwarded port.
curl -sS -o /dev/null -D - "http://localhost:18080/v1/items" \
  -H "Host: ${host}" -H "Authorization: Bearer ${token}" -H "X-Canary: ${pr}" |
  grep -i -E '^(HTTP|x-served-by|x-canary)'
