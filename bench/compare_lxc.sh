#!/usr/bin/env bash
# Side by side: LXC's loader (lxc-info -c lxc.uts.name) against corral's
# lxc-info personality on the same generated 100,000-line config.
# Wall time by hyperfine, peak resident memory by GNU time.
# usage: bench/compare_lxc.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
for tool in hyperfine lxc-info /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool (run scripts/deps.sh)" >&2; exit 1; }
done
lxcpath=$(mktemp -d)
trap 'rm -rf "$lxcpath"' EXIT
mkdir -p "$lxcpath/bench"
python3 "$top/bench/gen_config.py" "$lxcpath/bench/config"
ls -l "$lxcpath/bench/config" | awk '{printf "config: %d bytes, ", $5}'
wc -l < "$lxcpath/bench/config" | awk '{print $1 " lines"}'

corral_info="$build/lxc-compat/lxc-info"
lxc_cmd="lxc-info -P $lxcpath -n bench -c lxc.uts.name"
corral_cmd="$corral_info -P $lxcpath -n bench -c lxc.uts.name"
# Both must agree on the answer before timing means anything.
[ "$($lxc_cmd)" = "$($corral_cmd)" ] || { echo "outputs differ" >&2; exit 1; }

hyperfine --warmup 3 --runs "${RUNS:-20}" -N --export-json "$lxcpath/times.json" \
  -n lxc "$lxc_cmd" -n corral "$corral_cmd"
python3 - "$lxcpath/times.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
lxc, corral = r["lxc"]["median"], r["corral"]["median"]
print(f"median wall time: lxc {lxc*1000:.1f} ms, corral {corral*1000:.1f} ms, ratio {corral/lxc:.2f}")
PY
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
echo "peak RSS: lxc $(peak $lxc_cmd) KiB, corral $(peak $corral_cmd) KiB"
