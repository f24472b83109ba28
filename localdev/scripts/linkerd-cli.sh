#!/usr/bin/env bash
# Downloads the linkerd CLI of one release (versions.env LINKERD_CLI_VERSION) to a path of
# its own and checks it against the release's published SHA-256; `make linkerd` runs that
# binary, never whatever linkerd is on PATH. Usage: linkerd-cli.sh edge-25.10.1 OUT
set -euo pipefail
version="${1:?usage: linkerd-cli.sh VERSION OUT}"
out="${2:?usage: linkerd-cli.sh VERSION OUT}"
if [ -x "$out" ]; then
  exit 0
fi
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) platform=linux-amd64 ;;
  Linux/aarch64 | Linux/arm64) platform=linux-arm64 ;;
  Darwin/x86_64) platform=darwin ;;
  Darwin/arm64) platform=darwin-arm64 ;;
  *)
    echo "linkerd-cli: no linkerd CLI build for $(uname -s)/$(uname -m)" >&2
    exit 1
    ;;
esac
url="https://github.com/linkerd/linkerd2/releases/download/${version}/linkerd2-cli-${version}-${platform}"
mkdir -p "$(dirname "$out")"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
curl -fsSL -o "$tmp" "$url"
want="$(curl -fsSL "${url}.sha256" | awk '{print $1}')"
if command -v sha256sum >/dev/null; then
  got="$(sha256sum "$tmp" | awk '{print $1}')"
else
  got="$(shasum -a 256 "$tmp" | awk '{print $1}')"
fi
if [ -z "$want" ] || [ "$want" != "$got" ]; then
  echo "linkerd-cli: checksum mismatch for $url (want ${want:-nothing}, got $got)" >&2
  exit 1
fi
chmod +x "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "linkerd-cli: $("$out" version --client --short) at $out"
