#!/usr/bin/env bash
# Wall time of `lxc-create -t busybox -n NAME` with LXC 5.0's shell template
# against corral's declarative one, side by side (each run on a fresh name's
# directory: the previous container is destroyed before the next run).
# Needs root. usage: bench/compare_create.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
for tool in hyperfine lxc-create lxc-destroy; do
  command -v "$tool" >/dev/null || { echo "missing $tool (run scripts/deps.sh)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
work=$(mktemp -d /tmp/corral-bench-create.XXXXXX)
trap 'rm -rf "$work"' EXIT
export CORRAL_TEMPLATE_PATH="$top/templates"
lxc_cmd="lxc-create -P $work/lxc -t busybox -n c"
corral_cmd="$build/lxc-compat/lxc-create -P $work/corral -t busybox -n c"
# Both must succeed before timing means anything.
$lxc_cmd >/dev/null && lxc-destroy -P "$work/lxc" -n c
$corral_cmd && "$build/lxc-compat/lxc-destroy" -P "$work/corral" -n c
hyperfine --warmup 2 --runs "${RUNS:-20}" --export-json "$work/times.json" \
  --prepare "rm -rf $work/lxc/c $work/corral/c" \
  -n lxc "$lxc_cmd" -n corral "$corral_cmd" >/dev/null
python3 - "$work/times.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
print(f"create -t busybox, median wall time: lxc {r['lxc']:.1f} ms, corral {r['corral']:.1f} ms, corral/lxc {r['corral']/r['lxc']:.2f}")
PY
