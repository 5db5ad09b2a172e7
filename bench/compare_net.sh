#!/usr/bin/env bash
# The extra start latency of one veth interface: start-to-exit of
# `lxc-execute -n NAME -- /bin/true` with `lxc.net.0.type = empty` and with a
# veth pair on a bridge (address, gateway), LXC 5.0 against corral on the
# same configs. Everything runs in a private network namespace made here,
# with its own bridge: no traffic, nothing left on the host.
# Needs root. usage: bench/compare_net.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
for tool in hyperfine lxc-execute ip; do
  command -v "$tool" >/dev/null || { echo "missing $tool (run scripts/deps.sh)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
work=$(mktemp -d /tmp/corral-bench.XXXXXX)
ns=corral-bench-$$
cleanup() {
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link add br-bench type bridge
in_ns ip addr add 10.213.77.1/24 dev br-bench
in_ns ip link set br-bench up

WORK=$work  # lib.bash keeps its rootfs template there
. "$top/tests/integration/lib.bash"
lxcpath="$work/lxc"
for name in empty veth; do
  mkdir -p "$lxcpath/$name"
  make_busybox_rootfs "$lxcpath/$name/rootfs"
  cat >"$lxcpath/$name/config" <<CONF
lxc.uts.name = $name
lxc.rootfs.path = dir:$lxcpath/$name/rootfs
lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
lxc.cap.drop = sys_module mac_admin mac_override sys_time
CONF
done
printf 'lxc.net.0.type = empty\n' >>"$lxcpath/empty/config"
cat >>"$lxcpath/veth/config" <<CONF
lxc.net.0.type = veth
lxc.net.0.link = br-bench
lxc.net.0.flags = up
lxc.net.0.ipv4.address = 10.213.77.2/24
lxc.net.0.ipv4.gateway = 10.213.77.1
CONF

args=()
for name in empty veth; do
  lxc_cmd="ip netns exec $ns lxc-execute -P $lxcpath -n $name -- /bin/true"
  corral_cmd="ip netns exec $ns $build/lxc-compat/lxc-execute -P $lxcpath -n $name -- /bin/true"
  # Each must succeed before timing means anything.
  $lxc_cmd && $corral_cmd
  args+=(-n "lxc-$name" "$lxc_cmd" -n "corral-$name" "$corral_cmd")
done
hyperfine --warmup 3 --runs "${RUNS:-30}" -N --export-json "$work/times.json" "${args[@]}" >/dev/null
python3 - "$work/times.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
for tool in ("lxc", "corral"):
    e, v = r[f"{tool}-empty"], r[f"{tool}-veth"]
    print(f"{tool:6}: empty {e:.1f} ms, veth {v:.1f} ms, veth costs {v - e:+.1f} ms")
PY
