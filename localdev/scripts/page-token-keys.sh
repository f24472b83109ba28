#!/usr/bin/env bash
# Creates Secret store-service-page-tokens (PAGE_TOKEN_KEYS: one random AES-256 key) in
# namespace apps, unless it exists: every stable store replica seals page tokens with it,
# so a token from one pod opens on another. Never in git. To rotate: put a new key in
# front (comma-separated), keep the old one for a day (the tokens' lifetime), then drop it.
set -euo pipefail
ns=apps
name=store-service-page-tokens
if kubectl -n "$ns" get secret "$name" >/dev/null 2>&1; then
  echo "page-token-keys: secret $ns/$name exists"
  exit 0
fi
# Namespace apps comes from `make apps-namespace` (the same object Argo CD renders, meshed and
# restricted); creating it bare here would let stable pods start without the mesh.
kubectl get namespace "$ns" >/dev/null
key="$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
kubectl -n "$ns" create secret generic "$name" --from-literal=PAGE_TOKEN_KEYS="$key" >/dev/null
echo "page-token-keys: created secret $ns/$name"
