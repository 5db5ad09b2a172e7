#!/usr/bin/env bash
# Start-to-exit of `lxc-execute -n NAME -- /bin/true` on one busybox container
# with LXC's default isolation (pid, mount, uts, ipc, net, cgroup namespaces;
# proc, sys and cgroup auto-mounts; autodev; a capability drop): LXC 5.0
# against corral on the same config, the kernel's floor
# `unshare -m -p -u -i -n --fork /bin/true`, and the bare system calls of
# that start (bench/lxc_floor). Then the resident memory of each
# monitor while a container runs (lxc-start -d with a sleeping init).
# Needs root. usage: [ROUNDS=20] [RUNS=30] bench/compare_start.sh BUILD_DIR
# (ROUNDS: rounds of 10 back-to-back runs of every command; RUNS: single
# starts of each).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
for tool in hyperfine lxc-execute lxc-start lxc-stop unshare; do
  command -v "$tool" >/dev/null || { echo "missing $tool (run scripts/deps.sh)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
work=$(mktemp -d /tmp/corral-bench.XXXXXX)
# One lxcpath per tool, the same config and rootfs in both: the command
# socket's abstract name and the lock are per lxcpath, so that a monitor
# of one tool still leaving cannot meet the other's start.
lxcpath="$work/lxc"
corral_lxcpath="$work/corral"
name=bench
cleanup() {
  lxc-stop -P "$lxcpath" -n "$name" -k >/dev/null 2>&1 || true
  "$build/lxc-compat/lxc-stop" -P "$corral_lxcpath" -n "$name" -k >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
WORK=$work  # lib.bash keeps its rootfs template there
. "$top/tests/integration/lib.bash"
mkdir -p "$lxcpath/$name"
make_busybox_rootfs "$lxcpath/$name/rootfs"
cat >"$lxcpath/$name/config" <<CONF
lxc.uts.name = $name
lxc.rootfs.path = dir:$lxcpath/$name/rootfs
lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
lxc.autodev = 1
lxc.cap.drop = sys_module mac_admin mac_override sys_time
lxc.net.0.type = empty
lxc.init.cmd = /bin/sleep 1000
CONF
mkdir -p "$corral_lxcpath/$name"
cp "$lxcpath/$name/config" "$corral_lxcpath/$name/config"

lxc_cmd="lxc-execute -P $lxcpath -n $name -- /bin/true"
corral_cmd="$build/lxc-compat/lxc-execute -P $corral_lxcpath -n $name -- /bin/true"
floor_cmd="unshare -m -p -u -i -n --fork /bin/true"
# The bare system calls of the same start (bench/lxc_floor.cpp): what any
# tool doing LXC's work costs here at the least; with --shim, pid 1 is the
# least init shim (fork, wait, exit with the status) instead of /bin/true;
# with --no-monitor-cgroup too, the work corral's start itself does (no
# lxc.monitor.NAME for a container that ends within 50 ms).
work_cmd="$build/bench/lxc_floor $lxcpath/$name/rootfs /usr/lib/x86_64-linux-gnu/lxc/rootfs $name-floor"
[ -d /usr/lib/x86_64-linux-gnu/lxc/rootfs ] || work_cmd="$build/bench/lxc_floor $lxcpath/$name/rootfs $lxcpath/$name/rootfs $name-floor"
# With --tool-work too, the least system calls of what the issue asks of the
# tool around the container: config read, lock, command socket, a watcher
# for the SIGKILL case, init's report that the command runs. With
# --lxc-mounts, the mounts as LXC makes them for this config (full
# proc:mixed and sys:mixed, / rshared, the boot id), and pid 1 a program of
# its own (--exec-shim, corral's freestanding shim) instead of a copy of
# the tool: everything the issue asks, as bare system calls, one after the
# other.
mkdir -p "$work/floor"
cp "$lxcpath/$name/config" "$work/floor/config"
# Both must succeed before timing means anything.
$lxc_cmd && $corral_cmd
# Back to back, in rotation (bench/round_robin.cpp): every round runs each
# command in a block of 10 timed runs, so that the VM's changes of speed
# touch them all alike.
# shellcheck disable=SC2086 # the commands are split into words on purpose
"$build/bench/round_robin" "${ROUNDS:-20}" 10 lxc $lxc_cmd ";;" corral $corral_cmd ";;" unshare $floor_cmd ";;" \
  syscalls $work_cmd ";;" syscalls+shim $work_cmd --shim ";;" \
  corral-syscalls $work_cmd --shim --no-monitor-cgroup ";;" \
  required $work_cmd --shim --no-monitor-cgroup --tool-work "$work/floor" ";;" \
  complete $work_cmd --no-monitor-cgroup --tool-work "$work/floor" --lxc-mounts --exec-shim "$build/corral-init-shim" \
  >"$work/times.txt"
python3 - "$work/times.txt" <<'PY'
import sys
r = {}
for line in open(sys.argv[1]):
    name, median, p25, p75 = line.split()
    r[name] = float(median)
print(f"median wall time: lxc {r['lxc']:.2f} ms, corral {r['corral']:.2f} ms, unshare {r['unshare']:.2f} ms")
print(f"corral/lxc {r['corral']/r['lxc']:.2f} (target <= 0.5), corral/unshare {r['corral']/r['unshare']:.2f} (target <= 1.5)")
print(f"LXC's work as bare system calls (lxc_floor) {r['syscalls']:.2f} ms: {r['syscalls']/r['unshare']:.2f} x unshare; "
      f"corral {r['corral']/r['syscalls']:.2f} x it, lxc {r['lxc']/r['syscalls']:.2f} x it")
print(f"the same with the least init shim as pid 1 (lxc_floor --shim) {r['syscalls+shim']:.2f} ms: "
      f"{r['syscalls+shim']/r['unshare']:.2f} x unshare")
print(f"corral's own work as bare system calls (--shim --no-monitor-cgroup) {r['corral-syscalls']:.2f} ms: "
      f"{r['corral-syscalls']/r['unshare']:.2f} x unshare; corral {r['corral']/r['corral-syscalls']:.2f} x it")
print(f"and with the tool's required work (--tool-work: config, lock, command socket, watcher, start report) "
      f"{r['required']:.2f} ms: {r['required']/r['unshare']:.2f} x unshare; corral {r['corral']/r['required']:.2f} x it")
print(f"and with LXC's own mounts of this config and an exec'd pid 1 (--lxc-mounts --exec-shim) "
      f"{r['complete']:.2f} ms: {r['complete']/r['unshare']:.2f} x unshare; corral {r['corral']/r['complete']:.2f} x it; "
      f"the 1.5x target leaves {1.5*r['unshare']-r['complete']:.2f} ms above it")
PY

# Single starts, 50 ms apart: a start after a quiet spell pays an RCU grace
# period (about 6 ms here) for each process it moves into a cgroup2 cgroup,
# which back-to-back runs hide (spec: docs/start-performance.md). lxc-start
# -d is timed alone; its --prepare stops the previous container.
printf '#!/bin/sh\nsleep 0.05\n' >"$work/pause"
printf '#!/bin/sh\n"$1" -P "$2" -n %s -k >/dev/null 2>&1\nsleep 0.05\n' "$name" >"$work/stop-pause"
chmod +x "$work/pause" "$work/stop-pause"
hyperfine --warmup 2 --runs "${RUNS:-30}" -N --export-json "$work/single.json" \
  --prepare "$work/pause" -n lxc-execute "$lxc_cmd" \
  --prepare "$work/pause" -n corral-execute "$corral_cmd" \
  --prepare "$work/stop-pause $(command -v lxc-stop) $lxcpath" -n lxc-start-d "lxc-start -P $lxcpath -n $name -d" \
  --prepare "$work/stop-pause $build/lxc-compat/lxc-stop $corral_lxcpath" -n corral-start-d \
  "$build/lxc-compat/lxc-start -P $corral_lxcpath -n $name -d" >/dev/null
lxc-stop -P "$lxcpath" -n "$name" -k >/dev/null 2>&1 || true
"$build/lxc-compat/lxc-stop" -P "$corral_lxcpath" -n "$name" -k >/dev/null 2>&1 || true
python3 - "$work/single.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
for what in ("execute", "start-d"):
    lxc, corral = r["lxc-" + what], r["corral-" + what]
    print(f"single {what}, 50 ms apart: lxc {lxc:.1f} ms, corral {corral:.1f} ms, corral/lxc {corral/lxc:.2f}")
PY

# The monitor is init's parent; its VmRSS while the container runs.
monitor_rss() {
  local init
  init=$($1 -P "$2" -n "$name" -p -H)
  local monitor
  monitor=$(awk '/^PPid:/ {print $2}' "/proc/$init/status")
  awk '/^VmRSS:/ {print $2}' "/proc/$monitor/status"
}
lxc-start -P "$lxcpath" -n "$name" -d
lxc_rss=$(monitor_rss lxc-info "$lxcpath")
lxc-stop -P "$lxcpath" -n "$name" -k
"$build/lxc-compat/lxc-start" -P "$corral_lxcpath" -n "$name" -d
corral_rss=$(monitor_rss "$build/lxc-compat/lxc-info" "$corral_lxcpath")
"$build/lxc-compat/lxc-stop" -P "$corral_lxcpath" -n "$name" -k
echo "monitor VmRSS: lxc $lxc_rss KiB, corral $corral_rss KiB"
