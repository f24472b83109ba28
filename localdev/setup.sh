#!/usr/bin/env bash
# Starts a local Kubernetes cluster for the real-cluster path (Argo CD, Traefik, Linkerd,
# observability): checks every prerequisite first and says which one is missing.
# Usage: localdev/setup.sh            (then: make -C localdev infrastructure argocd-setup)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

CPUS="${MINIKUBE_CPUS:-6}"
MEMORY="${MINIKUBE_MEMORY:-16384}"
PROFILE="${MINIKUBE_PROFILE:-pr-canary}"
KUBERNETES_VERSION="$(sed -n 's/^KUBERNETES_VERSION=//p' "$here/versions.env")"

missing=()
need() {
  local tool="$1" hint="$2"
  if ! command -v "$tool" >/dev/null 2>&1; then
    missing+=("$tool: $hint")
  fi
}
need minikube "https://minikube.sigs.k8s.io/docs/start/"
need kubectl "https://kubernetes.io/docs/tasks/tools/ (1.27 or newer)"
need helm "https://helm.sh/docs/intro/install/ (3.14 or newer)"
need linkerd "curl -sSfL https://run.linkerd.io/install-edge | sh (2.18 or newer, for GRPCRoute v1)"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: missing prerequisites:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 1
fi

if ! minikube status --profile "$PROFILE" >/dev/null 2>&1; then
  echo "setup: starting minikube profile $PROFILE (Kubernetes $KUBERNETES_VERSION, $CPUS CPUs, ${MEMORY} MiB) ..."
  # A CNI plugin is needed for linkerd-cni (meshed pods under pod-security "restricted").
  minikube start --profile "$PROFILE" --cpus "$CPUS" --memory "$MEMORY" --cni calico --kubernetes-version "$KUBERNETES_VERSION"
else
  echo "setup: minikube profile $PROFILE is running"
fi
kubectl config use-context "$PROFILE" >/dev/null
echo "setup: cluster ready. Next: make -C localdev infrastructure argocd-setup"
