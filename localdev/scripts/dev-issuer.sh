#!/usr/bin/env bash
# A token issuer for dev clusters (minikube, kind): the lab issuer's public key (JWKS) served
# in the cluster at http://dev-issuer.dev-issuer.svc.cluster.local:8080/.well-known/jwks.json,
# which is what the platform settings auth-issuer / auth-jwks-url name by default. Tokens:
# `./canary token --tenant T` (or `make -C localdev token`), signed with the private key in
# .lab/issuer-key.json, which never leaves this machine. A shared or cloud cluster points
# auth-issuer, auth-audience and auth-jwks-url at the organisation's identity provider instead.
# Usage: dev-issuer.sh IMAGE   (versions.env DEV_ISSUER_IMAGE)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
image="${1:?usage: dev-issuer.sh IMAGE}"
jwks="$(cd "$root" && bash scripts/run.sh node localdev/scripts/dev-issuer-jwks.ts)"
kubectl create namespace dev-issuer --dry-run=client -o yaml | kubectl apply -f -
kubectl -n dev-issuer create configmap dev-issuer-jwks --from-literal=jwks.json="$jwks" \
  --dry-run=client -o yaml | kubectl apply -f -
sed "s#image: busybox:.*#image: ${image}#" "$here/../infrastructure/dev-issuer.yaml" | kubectl apply -f -
kubectl -n dev-issuer rollout restart deployment/dev-issuer
kubectl -n dev-issuer rollout status deployment/dev-issuer --timeout 3m
echo "dev-issuer: serving the lab issuer's JWKS; tokens: ./canary token --tenant <tenant>"
