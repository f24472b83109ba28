#!/usr/bin/env bash
# The two credentials Argo CD needs, from GITHUB_TOKEN (never from a file in git):
#  - github-token: the ApplicationSet pull-request generator's API token;
#  - a repository credential for every repository under the platform's GitHub owner, so
#    that private repositories work too.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${GITHUB_TOKEN:?export GITHUB_TOKEN first}"
owner="$("$here/platform.sh" github-owner)"
kubectl -n argocd create secret generic github-token --from-literal=token="$GITHUB_TOKEN" \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl -n argocd create secret generic repo-creds-github \
  --from-literal=type=git \
  --from-literal=url="https://github.com/${owner}" \
  --from-literal=username=x-access-token \
  --from-literal=password="$GITHUB_TOKEN" \
  --dry-run=client -o yaml |
  kubectl label --local -f - argocd.argoproj.io/secret-type=repo-creds -o yaml |
  kubectl apply -f -
echo "argocd-secrets: github-token and repository credentials for https://github.com/${owner} applied"
