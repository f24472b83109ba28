#!/usr/bin/env bash
# Forwards the platform's entrypoints and UIs to localhost until Ctrl-C. The ports stay
# clear of the lab's (8080, 8081, 9090), so both can run at once.
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
# The internal entrypoint has its own Service (traefik-internal), never the public one. Port
# forwarding enters Traefik's pod, so its traffic arrives from 127.0.0.1, which canary-guard admits.
forward traefik svc/traefik-internal 18080:8081 "Traefik internal (X-Canary honoured, previews pr-<N>.localhost)"
forward traefik svc/traefik 18443:443 "Traefik public (X-Canary stripped), https"
forward argocd svc/argocd-server 18081:80 "Argo CD                          "
forward monitoring svc/kube-prometheus-stack-grafana 13000:80 "Grafana                          "
forward monitoring svc/kube-prometheus-stack-prometheus 19090:9090 "Prometheus                       "
wait
