#!/usr/bin/env bash
# Containers on a pure cgroup2 host (spec/runtime.md §3, §12). This host is
# hybrid: v1 controllers plus cgroup2 at /sys/fs/cgroup/unified. The script
# runs itself again in a private mount namespace with cgroup2 mounted on
# /sys/fs/cgroup, which is what corral's host probe sees on a pure cgroup2
# host. Controllers bound to a v1 hierarchy are missing from that cgroup2
# (only hugetlb here), so memory, pids and cpu limits cannot be checked
# here; the layout, clone3 into the payload, controller delegation, device
# rules as a BPF program, the freezer, a hugetlb limit and the teardown can.
# usage: cgroup2.sh CORRAL_BINARY BUILD_DIR
if [ "${CORRAL_CGROUP2_VIEW:-}" != 1 ] && [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
  [ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 77; }
  [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] ||
    { echo "1..0 # SKIP no cgroup2 hierarchy to show as a pure cgroup2 host"; exit 77; }
  # The root's subtree_control is shared with the host: put it back after.
  control=$(cat /sys/fs/cgroup/unified/cgroup.subtree_control)
  CORRAL_CGROUP2_VIEW=1 unshare -m --propagation private \
    bash -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec bash "$0" "$@"' "$0" "$@"
  rc=$?
  for c in $(cat /sys/fs/cgroup/unified/cgroup.subtree_control); do
    grep -qw "$c" <<<"$control" || echo "-$c" >/sys/fs/cgroup/unified/cgroup.subtree_control
  done
  exit $rc
fi

. "$(dirname "$0")/lib.bash"
setup_suite "$1" "$2"
exec </dev/null

info() { timeout 10 "$COMPAT/lxc-info" -P "$LXCPATH" -n "$@" 2>&1; }
RUN_LXC_TIMEOUT=20
unified_of() { awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup" 2>/dev/null; }

# Device rules as LXC reads them: a list that names no "a" rule is an
# allowlist, so /dev/zero (allowed) opens and /dev/null does not.
limits=("lxc.autodev = 1" "lxc.cgroup2.devices.deny = c 1:3 rw" "lxc.cgroup2.devices.allow = c 1:5 rwm")
# hugetlb.<size>.max for the smallest huge page size (2MB on x86), when the
# hugetlb controller is in this cgroup2; the limit is two pages.
hugetlb=$(grep -ow 'hugetlb' /sys/fs/cgroup/cgroup.controllers)
huge_kb=$(ls /sys/kernel/mm/hugepages 2>/dev/null | sed 's/hugepages-//; s/kB//' | sort -n | head -1)
huge_file=
case $huge_kb in
  2048) huge_file=hugetlb.2MB.max ;;
  1048576) huge_file=hugetlb.1GB.max ;;
esac
if [ -n "$hugetlb" ] && [ -n "$huge_file" ]; then
  huge_limit=$((2 * huge_kb * 1024))
  limits+=("lxc.cgroup2.$huge_file = $huge_limit")
fi

# --- a daemon container ------------------------------------------------------
new_container v2-d "lxc.init.cmd = /bin/sleep 1000" "${limits[@]}"
run_lxc lxc-start -n v2-d
expect_eq "start: exit 0" "0" "$RC"
init=$(info v2-d -p -H)
monitor=$(awk '{ print $4 }' "/proc/$init/stat" 2>/dev/null)
expect_eq "init is in the payload cgroup" "/lxc.payload.v2-d" "$(unified_of "$init")"
expect_eq "the monitor is in the monitor cgroup" "/lxc.monitor.v2-d" "$(unified_of "$monitor")"
check "no v1 hierarchy is used: init stays where the monitor was in cpu" \
  test "$(awk -F: '$2 == "cpu" { print $3 }' "/proc/$init/cgroup")" = "$(awk -F: '$2 == "cpu" { print $3 }' /proc/self/cgroup)"
if [ -n "$hugetlb" ] && [ -n "$huge_file" ]; then
  check "delegation: the base enables hugetlb for its children" grep -qw hugetlb /sys/fs/cgroup/cgroup.subtree_control
  expect_eq "limit: lxc.cgroup2.$huge_file written" "$huge_limit" "$(cat "/sys/fs/cgroup/lxc.payload.v2-d/$huge_file" 2>&1)"
else
  skip "no hugetlb controller in cgroup2 here: no limit to check"
  skip "no hugetlb controller in cgroup2 here: no delegation to check"
fi
run_lxc lxc-attach -n v2-d -- sh -c 'cat /dev/null; echo null=$?; head -c 1 /dev/zero | wc -c'
expect_match "devices: the BPF program denies c 1:3" "can't open '/dev/null': Operation not permitted" "$ERR"
expect_eq "devices: the allowed c 1:5 opens" $'null=1\n1' "$OUT"
run_lxc lxc-attach -n v2-d -- cat /proc/self/cgroup
expect_eq "attach: joins the payload's leaf .lxc" "0::/.lxc" "$(grep '^0::' <<<"$OUT")"
if [ -n "$hugetlb" ]; then
  # An init that delegates a controller to its children (as systemd does
  # with init.scope) leaves no process allowed in the payload itself.
  payload=/sys/fs/cgroup/lxc.payload.v2-d
  rmdir "$payload/.lxc"
  check "attach: the payload delegates hugetlb, init in init.scope (as systemd sets it up)" \
    bash -c 'mkdir "$1/init.scope" && echo "$2" >"$1/init.scope/cgroup.procs" && echo +hugetlb >"$1/cgroup.subtree_control"' \
    _ "$payload" "$init"
  run_lxc lxc-attach -n v2-d -- sh -c 'grep "^0::" /proc/self/cgroup'
  expect_eq "attach: into .lxc when the payload delegates controllers" "0 0::/.lxc" "$RC $OUT"
  echo +hugetlb >"$payload/.lxc/cgroup.subtree_control"
  run_lxc lxc-attach -n v2-d -- sh -c 'grep "^0::" /proc/self/cgroup'
  expect_eq "attach: into .lxc-1 when .lxc delegates too" "0 0::/.lxc-1" "$RC $OUT"
else
  skip "no hugetlb controller in cgroup2 here: no delegating init to attach to"
  skip "no hugetlb controller in cgroup2 here: no delegating init to attach to"
fi
run_lxc lxc-freeze -n v2-d
expect_eq "freeze: exit 0" "0" "$RC"
expect_eq "freeze: FROZEN" "State:          FROZEN" "$(info v2-d -s)"
expect_eq "freeze: cgroup.freeze is 1" "1" "$(cat /sys/fs/cgroup/lxc.payload.v2-d/cgroup.freeze 2>&1)"
run_lxc lxc-unfreeze -n v2-d
expect_eq "unfreeze: RUNNING" "State:          RUNNING" "$(info v2-d -s)"
run_lxc lxc-stop -n v2-d -k
expect_eq "stop -k: exit 0" "0" "$RC"
check "stop -k: no payload or monitor cgroup left" test ! -e /sys/fs/cgroup/lxc.payload.v2-d -a ! -e /sys/fs/cgroup/lxc.monitor.v2-d
assert_host_clean "daemon container"

# --- execute, and a monitor that is killed -----------------------------------
new_container v2-x
OUT=$(timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n v2-x -- sh -c 'grep "^0::" /proc/self/cgroup; exit 4' 2>&1)
RC=$?
expect_eq "execute: the command's exit status" "4" "$RC"
expect_eq "execute: in the payload (cgroup namespace root)" "0::/" "$OUT"
assert_host_clean "execute"
run_lxc lxc-start -n v2-d
init=$(info v2-d -p -H)
monitor=$(awk '{ print $4 }' "/proc/$init/stat" 2>/dev/null)
kill -KILL "$monitor"
check "monitor killed: the janitor removes both cgroups" \
  wait_until 15 test ! -e /sys/fs/cgroup/lxc.payload.v2-d -a ! -e /sys/fs/cgroup/lxc.monitor.v2-d
assert_host_clean "monitor killed"

finish_suite
