#!/usr/bin/env bash
# Starts (or selects) the cluster for the real-cluster path and checks every prerequisite
# first, naming whichever is missing.
#   CLUSTER=minikube localdev/setup.sh   (default) a minikube profile, Calico CNI
#   CLUSTER=kind     localdev/setup.sh   a kind cluster (its own CNI enforces NetworkPolicies)
#   CLUSTER=eks      localdev/setup.sh   the EKS cluster of your current kubectl context,
#                                        created beforehand (AWS Load Balancer Controller and
#                                        EKS Pod Identity Agent add-on installed)
# Then: make -C localdev infrastructure argocd-setup CLUSTER=<the same>
#   (minikube/kind: infrastructure dev-issuer argocd-setup, the token issuer the default
#   auth settings name)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

CLUSTER="${CLUSTER:-minikube}"
CPUS="${MINIKUBE_CPUS:-6}"
MEMORY="${MINIKUBE_MEMORY:-16384}"
PROFILE="${MINIKUBE_PROFILE:-pr-canary}"
setting() { sed -n "s/^$1=//p" "$here/versions.env"; }
KUBERNETES_VERSION="$(setting KUBERNETES_VERSION)"
KIND_NODE_IMAGE="$(setting KIND_NODE_IMAGE)"

missing=()
need() {
  local tool="$1" hint="$2"
  if ! command -v "$tool" >/dev/null 2>&1; then
    missing+=("$tool: $hint")
  fi
}
case "$CLUSTER" in
  minikube) need minikube "https://minikube.sigs.k8s.io/docs/start/" ;;
  kind) need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation (0.27 or newer)" ;;
  eks) need aws "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html" ;;
  *)
    echo "setup: CLUSTER must be minikube, kind or eks, not $CLUSTER" >&2
    exit 1
    ;;
esac
need kubectl "https://kubernetes.io/docs/tasks/tools/ (1.27 or newer)"
need helm "https://helm.sh/docs/intro/install/ (3.14 or newer)"
need curl "your package manager (make linkerd downloads the pinned linkerd CLI with it)"
need npm "https://nodejs.org/ (Node.js 20 or newer with npm: ./canary, make dev-issuer and make token run through it and bring Node 24 into .tools/)"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: missing prerequisites:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 1
fi

case "$CLUSTER" in
  minikube)
    if ! minikube status --profile "$PROFILE" >/dev/null 2>&1; then
      echo "setup: starting minikube profile $PROFILE (Kubernetes $KUBERNETES_VERSION, $CPUS CPUs, ${MEMORY} MiB) ..."
      # A CNI plugin that enforces NetworkPolicies, and that linkerd-cni chains onto.
      minikube start --profile "$PROFILE" --cpus "$CPUS" --memory "$MEMORY" --cni calico --kubernetes-version "$KUBERNETES_VERSION"
    else
      echo "setup: minikube profile $PROFILE is running"
    fi
    kubectl config use-context "$PROFILE" >/dev/null
    ;;
  kind)
    if ! kind get clusters 2>/dev/null | grep -qx "$PROFILE"; then
      echo "setup: creating kind cluster $PROFILE ($KIND_NODE_IMAGE) ..."
      kind create cluster --name "$PROFILE" --image "$KIND_NODE_IMAGE" --wait 5m
    else
      echo "setup: kind cluster $PROFILE exists"
    fi
    kubectl config use-context "kind-$PROFILE" >/dev/null
    ;;
  eks)
    context="$(kubectl config current-context)"
    echo "setup: using the current context $context (CLUSTER=eks creates nothing)"
    kubectl get --raw /readyz >/dev/null
    if ! kubectl -n kube-system get daemonset eks-pod-identity-agent >/dev/null 2>&1; then
      echo "setup: note: no eks-pod-identity-agent DaemonSet; aws-identity pod-identity needs that EKS add-on" >&2
    fi
    ;;
esac
if [ "$CLUSTER" = eks ]; then
  echo "setup: cluster ready. Next: make -C localdev infrastructure argocd-setup CLUSTER=$CLUSTER"
else
  echo "setup: cluster ready. Next: make -C localdev infrastructure dev-issuer argocd-setup CLUSTER=$CLUSTER"
fi
