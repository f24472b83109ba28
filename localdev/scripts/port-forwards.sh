#!/usr/bin/env bash
# Forwards the platform's UIs and entrypoints to localhost until Ctrl-C.
set -euo pipefail
pids=()
forward() {
  kubectl port-forward -n "$1" "$2" "$3" >/dev/null &
  pids+=("$!")
  echo "  $4  http://localhost:${3%%:*}"
}
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
echo "port-forwards (Ctrl-C stops them):"
forward argocd svc/argocd-server 8443:443 "Argo CD          "
forward traefik svc/traefik 8080:8081 "Traefik internal "
forward traefik svc/traefik 8081:443 "Traefik public   "
forward monitoring svc/kube-prometheus-stack-grafana 3000:80 "Grafana          "
forward monitoring svc/kube-prometheus-stack-prometheus 9090:9090 "Prometheus       "
wait
