#!/usr/bin/env bash
# Promotion after a release tag: bumps the integration-001 image tags on main directly, then
# opens one pull request for staging and one for production (merge production after
# staging is verified). Needs GH_TOKEN and a checkout of main.
# Usage: promote.sh vX.Y.Z
set -euo pipefail
tag="${1:?usage: promote.sh vX.Y.Z}"
services=(api-service store-service)
overlay() { echo "manifests-microservices/kustomize/$1/envs/$2/kustomization.yaml"; }
bump() {
  local env="$1"
  for service in "${services[@]}"; do
    node packages/delivery/src/cli.ts set-image-tag --file "$(overlay "$service" "$env")" --image "$service" --tag "$tag" >/dev/null
  done
}

git config user.name "github-actions[bot]"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"

bump integration-001
if ! git diff --quiet; then
  git commit -am "release: integration-001 runs $tag"
  git push origin HEAD:main
fi

previous_pr=""
for env in staging production; do
  branch="release/$tag-$env"
  git switch -c "$branch" origin/main
  bump "$env"
  git commit -am "release: $env runs $tag"
  git push origin "$branch"
  body="Promotes $env to $tag (images built by the release workflow)."
  if [ -n "$previous_pr" ]; then
    body="$body Merge after $previous_pr is verified."
  fi
  previous_pr="$(gh pr create --base main --head "$branch" --title "release: $env runs $tag" --body "$body")"
  echo "opened $previous_pr"
  git switch main
done
