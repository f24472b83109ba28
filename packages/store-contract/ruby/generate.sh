#!/usr/bin/env bash
# Regenerates the Ruby gem's code from ../proto/store/v1/store.proto with Debian's protoc and
# grpc_ruby_plugin (packages protobuf-compiler, protobuf-compiler-grpc, and
# libprotobuf-dev for the well-known types): the versions that match Debian's
# ruby-google-protobuf and ruby-grpc.
# Usage: generate.sh [OUT_DIR]   (default: lib/ beside this script)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/lib}"
for tool in protoc grpc_ruby_plugin; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "generate.sh: $tool not found; install Debian packages protobuf-compiler protobuf-compiler-grpc libprotobuf-dev" >&2
    exit 1
  fi
done
mkdir -p "$out"
protoc --proto_path="$here/../proto" \
  --proto_path=/usr/include \
  --ruby_out="$out" \
  --grpc_out="$out" \
  --plugin=protoc-gen-grpc="$(command -v grpc_ruby_plugin)" \
  store/v1/store.proto
