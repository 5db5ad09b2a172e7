#!/usr/bin/env bash
# Configures and builds corral: scripts/build.sh BUILD_DIR [CMAKE_ARGS...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build}
shift || true
cmake -S "$top" -B "$dir" -G Ninja "$@" >/dev/null
ninja -C "$dir"
