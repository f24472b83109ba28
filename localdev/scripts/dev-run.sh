#!/usr/bin/env bash
# Runs api-service from this checkout against the cluster's stable store-service: the store
# is port-forwarded to localhost:18090 (kubectl port-forward enters the pod, so Linkerd's
# policy, which admits only the api's mesh identity on port grpc, is not in the way; nor is
# the mesh's canary routing: this api always reaches stable). The api listens on
# localhost:18088 and checks tokens like the cluster's (platform auth settings). Ctrl-C stops both.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
kubectl -n apps port-forward deploy/store-service 18090:8080 >/dev/null &
forward=$!
trap 'kill "$forward" 2>/dev/null || true' EXIT INT TERM
jwks="$("$here/platform.sh" auth-jwks-url)"
case "$jwks" in
  http://*.svc.cluster.local*)
    # The dev issuer is only reachable inside the cluster: forward it too.
    kubectl -n dev-issuer port-forward svc/dev-issuer 18091:8080 >/dev/null &
    trap 'kill "$forward" $! 2>/dev/null || true' EXIT INT TERM
    jwks="http://localhost:18091/.well-known/jwks.json"
    ;;
esac
sleep 2
echo "dev-run: api-service on http://localhost:18088 -> store-service.apps (port-forward)"
cd "$root"
PORT=18088 METRICS_PORT=18089 STORE_ADDRESS=localhost:18090 DEPLOYMENT_TRACK=laptop \
  AUTH_ISSUER="$("$here/platform.sh" auth-issuer)" AUTH_AUDIENCE="$("$here/platform.sh" auth-audience)" \
  AUTH_JWKS_URL="$jwks" bash scripts/run.sh node api-service/src/main.ts
