#!/usr/bin/env bash
# Prints one platform setting (manifests-microservices/platform/platform.yaml), e.g.
#   scripts/platform.sh host-integration-001
set -euo pipefail
key="${1:?usage: platform.sh KEY}"
file="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/manifests-microservices/platform/platform.yaml"
value="$(sed -n "s/^  ${key}: *//p" "$file" | head -n 1)"
if [ -z "$value" ]; then
  echo "platform.sh: no setting ${key} in ${file}" >&2
  exit 1
fi
printf '%s\n' "$value"
