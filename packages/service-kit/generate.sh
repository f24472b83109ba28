#!/usr/bin/env bash
# Compiles grpc.health.v1 and grpc.reflection.v1/v1alpha into the descriptor sets that
# src/grpc/reflection.ts serves (with any service's own set): buf, from the .proto files
# the npm packages ship. The health proto is placed at its canonical path
# grpc/health/v1/health.proto first (grpc-health-check ships it as health/v1/health.proto).
# Usage: npm run generate -w service-kit [-- OUT_DIR]   (default: descriptor/)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
modules="$here/../../node_modules"
out="${1:-$here/descriptor}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/grpc/health/v1" "$out"
cp "$modules/grpc-health-check/proto/health/v1/health.proto" "$stage/grpc/health/v1/"
buf build "$stage" --as-file-descriptor-set -o "$out/grpc-health.binpb"
buf build "$modules/@grpc/reflection/build/proto" --path "$modules/@grpc/reflection/build/proto/grpc/reflection" \
  --as-file-descriptor-set -o "$out/grpc-reflection.binpb"
