#!/usr/bin/env bash
# Side by side: LXC's loader (lxc-info -c lxc.uts.name) against corral's
# lxc-info personality on the generated 100,000-line config, and on the same
# config without its lxc.sysctl lines (LXC stores those in a list it searches
# for every line, which dominates its time on the full file).
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
mkdir -p "$lxcpath/full" "$lxcpath/nosysctl"
python3 "$top/bench/gen_config.py" "$lxcpath/full/config"
grep -v '^lxc.sysctl' "$lxcpath/full/config" >"$lxcpath/nosysctl/config"

peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
for name in full nosysctl; do
  conf="$lxcpath/$name/config"
  printf '== %s: %d bytes, %d lines\n' "$name" "$(stat -c %s "$conf")" "$(wc -l <"$conf")"
  lxc_cmd="lxc-info -P $lxcpath -n $name -c lxc.uts.name"
  corral_cmd="$build/lxc-compat/lxc-info -P $lxcpath -n $name -c lxc.uts.name"
  # Both must agree on the answer before timing means anything.
  [ "$($lxc_cmd)" = "$($corral_cmd)" ] || { echo "outputs differ" >&2; exit 1; }
  hyperfine --warmup 3 --runs "${RUNS:-20}" -N --export-json "$lxcpath/times.json" \
    -n lxc "$lxc_cmd" -n corral "$corral_cmd" >/dev/null
  python3 - "$lxcpath/times.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
lxc, corral = r["lxc"]["median"], r["corral"]["median"]
print(f"median wall time: lxc {lxc*1000:.1f} ms, corral {corral*1000:.1f} ms, ratio {corral/lxc:.2f}")
PY
  echo "peak RSS: lxc $(peak $lxc_cmd) KiB, corral $(peak $corral_cmd) KiB"
done
