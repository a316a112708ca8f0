#!/usr/bin/env bash
# Builds the PBKDF2 addon shipped inside the package, for glibc Linux on x64 and arm64:
#   native/prebuilt/linux-x64/piccolo_pbkdf2.node, native/prebuilt/linux-arm64/piccolo_pbkdf2.node
# Run by `prepare` (so by `npm pack`, `npm publish` and `npm ci`); about two seconds. Each is an N-API
# addon compiled against Node's installed headers (node_api.h: the ABI-stable C API, no Node version in
# the binary), linked -z now, with nothing from its host but napi_* and a few libc functions. arm64 is
# cross compiled with Debian's gcc-aarch64-linux-gnu, installed here when missing (as root, with apt).
# Other platforms build from source at install (native/build.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."

headers="$(node -p 'require("node:path").resolve(process.execPath, "../../include/node")')"
[ -n "${npm_config_nodedir:-}" ] && headers="$npm_config_nodedir/include/node"
if [ ! -f "$headers/node_api.h" ]; then
  echo "prebuild: Node's headers are not at $headers (node_api.h)" >&2
  exit 1
fi

if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "prebuild: installing gcc-aarch64-linux-gnu" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-aarch64-linux-gnu libc6-dev-arm64-cross) >/dev/null
  else
    echo "prebuild: aarch64-linux-gnu-gcc is missing (apt-get install gcc-aarch64-linux-gnu)" >&2
    exit 1
  fi
fi

sources=(native/pbkdf2.c native/pbkdf2-core.c native/sha256.c native/sha256-x86.c native/sha256-arm.c)
# -ffile-prefix-map and no build id: the same sources and compiler give the same bytes.
flags=(-O3 -std=c11 -fPIC -shared -fvisibility=hidden -fno-stack-protector -DNAPI_VERSION=8 -I"$headers"
  "-ffile-prefix-map=$PWD=." -Wl,-z,now -Wl,--build-id=none -s)

build() { # compiler, platform-arch
  mkdir -p "native/prebuilt/$2"
  "$1" "${flags[@]}" -o "native/prebuilt/$2/piccolo_pbkdf2.node.tmp" "${sources[@]}"
  mv "native/prebuilt/$2/piccolo_pbkdf2.node.tmp" "native/prebuilt/$2/piccolo_pbkdf2.node"
}
x64_cc=gcc
[ "$(uname -m)" = x86_64 ] || x64_cc=x86_64-linux-gnu-gcc
build "$x64_cc" linux-x64
build aarch64-linux-gnu-gcc linux-arm64
echo "prebuild: native/prebuilt/linux-x64 and linux-arm64 built" >&2
