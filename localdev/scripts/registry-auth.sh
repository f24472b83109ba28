#!/usr/bin/env bash
# registry-auth "external-secrets" in a local cluster: the pull credential lives in one
# Secret of namespace registry-source; a ClusterSecretStore (the platform's
# registry-secret-store) serves it to the ExternalSecret every service namespace gets.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${REGISTRY_USER:?export REGISTRY_USER first}"
: "${REGISTRY_TOKEN:?export REGISTRY_TOKEN first}"
registry="$("$here/platform.sh" registry)"
store="$("$here/platform.sh" registry-secret-store)"
key="$("$here/platform.sh" registry-secret-key)"
server="${registry%%/*}"
kubectl create namespace registry-source --dry-run=client -o yaml | kubectl apply -f -
kubectl -n registry-source create secret docker-registry "$key" \
  --docker-server="$server" --docker-username="$REGISTRY_USER" --docker-password="$REGISTRY_TOKEN" \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f - <<YAML
apiVersion: v1
kind: ServiceAccount
metadata:
  name: registry-reader
  namespace: registry-source
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: registry-reader
  namespace: registry-source
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    resourceNames: ["${key}"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: registry-reader
  namespace: registry-source
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: registry-reader
subjects:
  - kind: ServiceAccount
    name: registry-reader
    namespace: registry-source
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: ${store}
spec:
  provider:
    kubernetes:
      remoteNamespace: registry-source
      server:
        caProvider:
          type: ConfigMap
          name: kube-root-ca.crt
          namespace: registry-source
          key: ca.crt
      auth:
        serviceAccount:
          name: registry-reader
          namespace: registry-source
YAML
echo "registry-auth: ClusterSecretStore ${store} serves ${key}; set registry-auth: external-secrets in the platform settings"
