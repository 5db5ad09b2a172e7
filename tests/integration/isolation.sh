#!/usr/bin/env bash
# Namespace isolation of real containers started with lxc-execute: pid, uts,
# ipc, mount, net and cgroup namespaces, the environment, cwd and ids of the
# command (spec/runtime.md §5.5, §6.1, §10; spec/cli.md §2).
# usage: isolation.sh CORRAL_BINARY BUILD_DIR
. "$(dirname "$0")/lib.bash"
setup_suite "$1" "$2"
exec </dev/null # no tty on stdin, as under ctest: commands get plain fds

# Interface names in the caller's network namespace, from /proc/net/dev.
net_names() { awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev | sort | tr '\n' ' '; }
NET_IFACES='awk -F: '\''NR > 2 { gsub(/ /, "", $1); print $1 }'\'' /proc/net/dev | sort | tr "\n" " "'

# --- pid namespace -----------------------------------------------------------
new_container iso-pid
run_execute iso-pid -- sh -c 'echo $$'
expect_eq "pid ns: the command is pid 2" "2" "$OUT"
expect_eq "pid ns: exit 0" "0" "$RC"
run_execute iso-pid -- ls /proc
expect_eq "pid ns: /proc lists only init (1) and the command (2)" "1 2" "$(grep -E '^[0-9]+$' <<<"$OUT" | sort -n | tr '\n' ' ' | sed 's/ $//')"
run_execute iso-pid -- ps -o pid=
expect_eq "pid ns: ps lists pids 1 and 2 only" "1 2" "$(echo $OUT)"
# LXC's shim calls setproctitle("init"): its whole cmdline becomes "init".
run_execute iso-pid -- sh -c "tr '\\0' ' ' </proc/1/cmdline"
expect_eq "pid ns: init's title (cmdline) is init" "init" "$(sed 's/ *$//' <<<"$OUT")"
run_execute iso-pid -- cat /proc/1/comm
expect_eq "pid ns: init's comm is init" "init" "$OUT"
# corral's init is a program of a few KiB of its own (src/shim/init.cpp),
# not a copy of the monitor: its memory is its own and small.
run_execute iso-pid -- sh -c 'readlink /proc/1/exe; awk "/^VmRSS:/ { print \$2 }" /proc/1/status'
expect_eq "pid ns: init is the shim, run from a memfd" "/memfd:init (deleted)" "$(head -1 <<<"$OUT")"
rss=$(sed -n 2p <<<"$OUT")
check "pid ns: init's resident memory is under 256 KiB (${rss:-?} KiB)" test "${rss:-999999}" -lt 256
run_execute iso-pid -- sh -c 'cut -d" " -f4 /proc/$$/stat'
expect_eq "pid ns: the command's parent is init" "1" "$OUT"
# From the host: init is a child of lxc-execute (the monitor), the command a
# child of init, and their NSpid lines end in 1 and 2.
timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n iso-pid -- sleep 2 </dev/null >/dev/null 2>&1 &
tool=$!
wait_until 5 pgrep -P "$tool" >/dev/null
monitor=$(pgrep -P "$tool" | head -1)
wait_until 5 init_of "$monitor" >/dev/null
init_pid=$(init_of "$monitor")
wait_until 5 pgrep -P "$init_pid" >/dev/null
cmd_pid=$(pgrep -P "$init_pid" | head -1)
expect_eq "pid ns: host NSpid of init ends in 1" "1" "$(awk '/^NSpid:/ { print $NF }' "/proc/$init_pid/status" 2>/dev/null)"
expect_eq "pid ns: host NSpid of the command ends in 2" "2" "$(awk '/^NSpid:/ { print $NF }' "/proc/$cmd_pid/status" 2>/dev/null)"
check "pid ns: init's pid namespace differs from the host's" \
  test "$(readlink "/proc/$init_pid/ns/pid")" != "$(readlink /proc/self/ns/pid)"
wait "$tool"
assert_host_clean "pid namespace"

# --- uts namespace -----------------------------------------------------------
host_name=$(hostname)
new_container iso-uts "lxc.uts.name = itest-uts-name"
run_execute iso-uts -- hostname
expect_eq "uts ns: hostname is lxc.uts.name" "itest-uts-name" "$OUT"
run_execute iso-uts -- sh -c 'hostname changed-inside && hostname'
expect_eq "uts ns: hostname can be changed inside" "changed-inside" "$OUT"
expect_eq "uts ns: host hostname unchanged" "$host_name" "$(hostname)"
run_execute iso-uts -- cat /proc/sys/kernel/hostname
expect_eq "uts ns: /proc/sys/kernel/hostname inside" "itest-uts-name" "$OUT"
# autodev: a boot id of the container's own, in /dev/.lxc-boot-id and over
# /proc's; without a proc automount the file is still made, as by LXC.
run_execute iso-uts -- sh -c 'cmp -s /dev/.lxc-boot-id /proc/sys/kernel/random/boot_id && cat /dev/.lxc-boot-id'
check "boot id: the container's own ($OUT)" test -n "$OUT" -a "$OUT" != "$(cat /proc/sys/kernel/random/boot_id)"
new_container iso-noproc "lxc.mount.auto ="
run_execute iso-noproc -- sh -c 'stat -c "%a %s" /dev/.lxc-boot-id'
expect_eq "boot id: made without a proc automount too" "444 37" "$OUT"
assert_host_clean "uts namespace"

# --- ipc namespace -----------------------------------------------------------
new_container iso-ipc
shmid=$(ipcmk -M 4096 | awk '{ print $NF }')
check "ipc ns: the host segment exists on the host" grep -qE "^ *-?[0-9]+ +$shmid " /proc/sysvipc/shm
run_execute iso-ipc -- sh -c 'tail -n +2 /proc/sysvipc/shm | wc -l'
expect_eq "ipc ns: no SysV shm segment visible inside" "0" "$OUT"
run_execute iso-ipc -- readlink /proc/self/ns/ipc
check "ipc ns: ipc namespace differs from the host's" test -n "$OUT" -a "$OUT" != "$(readlink /proc/self/ns/ipc)"
ipcrm -m "$shmid"
assert_host_clean "ipc namespace"

# --- mount namespace ---------------------------------------------------------
new_container iso-mnt
tag="itest-mnt-$$"
timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n iso-mnt -- \
  sh -c "mount -t tmpfs $tag /mnt && grep -c ' $tag ' /proc/self/mountinfo && sleep 2" \
  </dev/null >"$WORK/mnt.out" 2>"$WORK/mnt.err" &
tool=$!
if wait_until 10 grep -q . "$WORK/mnt.out"; then
  expect_eq "mount ns: tmpfs visible inside" "1" "$(cat "$WORK/mnt.out")"
  check "mount ns: tmpfs mounted inside is not in the host's mountinfo" \
    bash -c "! grep -q ' $tag ' /proc/self/mountinfo"
else
  not_ok "mount ns: the container reported its mount ($(cat "$WORK/mnt.err"))"
fi
wait "$tool"
expect_eq "mount ns: exit 0" "0" "$?"
run_execute iso-mnt -- sh -c "grep -c ' $tag ' /proc/self/mountinfo"
expect_eq "mount ns: the tmpfs is gone in the next container" "0" "$OUT"
run_execute iso-mnt -- sh -c 'awk "\$5 == \"/\" { print \$9 }" /proc/self/mountinfo'
check "mount ns: / inside is not the host's root" test "$OUT" != "$(awk '$5 == "/" { print $9 }' /proc/self/mountinfo)"
run_execute iso-mnt -- sh -c 'test -x /bin/busybox && ! test -e /work && echo rootfs'
expect_eq "mount ns: / is the container rootfs" "rootfs" "$OUT"
assert_host_clean "mount namespace"

# --- network namespace -------------------------------------------------------
host_ifaces=$(net_names)
new_container iso-net
run_execute iso-net -- sh -c "$NET_IFACES"
expect_eq "net ns: only lo inside (no lxc.net)" "lo " "$OUT"
new_container iso-net-empty "lxc.net.0.type = empty"
run_execute iso-net-empty -- sh -c "$NET_IFACES"
expect_eq "net ns: only lo inside (lxc.net.0.type = empty)" "lo " "$OUT"
run_execute iso-net-empty -- readlink /proc/self/ns/net
check "net ns: type empty gives a new namespace" test -n "$OUT" -a "$OUT" != "$(readlink /proc/self/ns/net)"
# LXC brings lo up for an empty netdev with flags = up (network.c,
# lxc_setup_netdev_in_child_namespaces).
new_container iso-net-up "lxc.net.0.type = empty" "lxc.net.0.flags = up"
run_execute iso-net-up -- sh -c 'ip link show lo'
check "net ns: lo is up with type empty + flags up ($(head -1 <<<"$OUT"))" grep -q '[<,]UP[,>]' <<<"$OUT"
# keep lists what is NOT cloned; user must be kept too, as without lxc.idmap a
# new user namespace has no mapping (LXC's resolve_clone_flags clones it).
new_container iso-net-keep "lxc.namespace.keep = user net"
run_execute iso-net-keep -- sh -c "$NET_IFACES"
expect_eq "net ns: lxc.namespace.keep = user net shows the host's interfaces" "$host_ifaces" "$OUT"
run_execute iso-net-keep -- readlink /proc/self/ns/net
expect_eq "net ns: lxc.namespace.keep = user net shares the host namespace" "$(readlink /proc/self/ns/net)" "$OUT"
run_execute iso-net-keep -- readlink /proc/self/ns/uts
check "net ns: lxc.namespace.keep = user net still clones uts" test -n "$OUT" -a "$OUT" != "$(readlink /proc/self/ns/uts)"
new_container iso-net-clone "lxc.namespace.clone = mnt pid uts ipc cgroup"
run_execute iso-net-clone -- readlink /proc/self/ns/net
expect_eq "net ns: lxc.namespace.clone without net shares the host namespace" "$(readlink /proc/self/ns/net)" "$OUT"
new_container iso-net-none "lxc.net.0.type = none"
run_execute iso-net-none -- sh -c "$NET_IFACES"
expect_eq "net ns: lxc.net.0.type = none shows the host's interfaces" "$host_ifaces" "$OUT"
assert_host_clean "network namespace"

# --- cgroup namespace --------------------------------------------------------
new_container iso-cg
run_execute iso-cg -- cat /proc/self/cgroup
check "cgroup ns: every line of /proc/self/cgroup ends in :/ ($(echo $OUT))" \
  bash -c '[ -n "$1" ] && ! grep -v ":/$" <<<"$1"' _ "$OUT"
run_execute iso-cg -- readlink /proc/self/ns/cgroup
check "cgroup ns: cgroup namespace differs from the host's" test -n "$OUT" -a "$OUT" != "$(readlink /proc/self/ns/cgroup)"
# On a host with v1 hierarchies init enters them after its first mounts,
# while the monitor makes them (enter-cgroups); seen from the host it is in
# the payload cgroup of every hierarchy all the same.
if grep -q ' - cgroup ' /proc/self/mountinfo; then
  check "cgroup: init's v1 entry is deferred past the first mounts" \
    bash -c '"$1" start -P "$2" -n iso-cg --dry-run | grep -q "once the monitor has made the v1 ones"' _ "$CORRAL" "$LXCPATH"
fi
timeout 10 "$COMPAT/lxc-start" -P "$LXCPATH" -n iso-cg -d -- sleep 30
init=$(timeout 10 "$COMPAT/lxc-info" -P "$LXCPATH" -n iso-cg -p -H 2>&1)
cgroups=$(cat "/proc/$init/cgroup" 2>&1)
check "cgroup: init is in lxc.payload.iso-cg in every hierarchy ($(echo $cgroups))" \
  bash -c '[ -n "$1" ] && ! grep -v ":/lxc.payload.iso-cg$" <<<"$1"' _ "$cgroups"
timeout 10 "$COMPAT/lxc-stop" -P "$LXCPATH" -n iso-cg -k
# cgroup2 and cgroup2:ro mount the unified hierarchy even for an init that
# keeps CAP_SYS_ADMIN (which cgroup:* leaves to mount its own), as LXC 5.0.2.
if grep -q ' - cgroup2 ' /proc/self/mountinfo; then
  new_container iso-cg2 "lxc.mount.auto = proc:rw sys:rw cgroup2:ro"
  run_execute iso-cg2 -- sh -c 'awk "\$5 == \"/sys/fs/cgroup\" { print \$6, \$(NF-2), \$(NF-1) }" /proc/self/mountinfo; test -e /sys/fs/cgroup/cgroup.procs && echo has-procs'
  expect_eq "cgroup: lxc.mount.auto = cgroup2:ro with CAP_SYS_ADMIN" $'ro,nosuid,nodev,noexec,relatime cgroup2 none\nhas-procs' "$OUT"
fi
assert_host_clean "cgroup namespace"

# --- lxc-attach: limits ------------------------------------------------------
# The attached process gets lxc.prlimit.* and lxc.proc.* as init does.
new_container iso-att "lxc.init.cmd = /bin/sleep 1000" "lxc.prlimit.nofile = 1024:2048" "lxc.prlimit.stack = 4194304" \
  "lxc.proc.oom_score_adj = 300"
run_lxc lxc-start -n iso-att
run_lxc lxc-attach -n iso-att -- sh -c 'grep -E "open files|stack size" /proc/self/limits | tr -s " "; cat /proc/self/oom_score_adj'
expect_eq "attach: lxc.prlimit.* and lxc.proc.* applied" \
  $'Max stack size 4194304 4194304 bytes \nMax open files 1024 2048 files \n300' "$OUT"
run_lxc lxc-stop -n iso-att -k
assert_host_clean "attach limits"

# --- environment -------------------------------------------------------------
new_container iso-env "lxc.environment = FOO=bar" "lxc.environment = SPACED=a b  c"
OUT=$(ITEST_HOST_VAR=leak timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n iso-env -- env </dev/null 2>"$WORK/env.err")
RC=$?
expect_eq "environment: exit 0" "0" "$RC"
# busybox sh is not involved: env prints exactly what init passed on.
expect_eq "environment: exactly lxc.environment + container=lxc" \
  $'FOO=bar\nSPACED=a b  c\ncontainer=lxc' "$(sort <<<"$OUT")"
OUT=$(ITEST_HOST_VAR=leak timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n iso-env -- sh -c env </dev/null 2>/dev/null)
# busybox sh adds SHLVL, PWD and a default PATH.
expect_eq "environment: under sh, plus SHLVL, PWD and busybox's PATH" \
  $'FOO=bar\nPATH=/sbin:/usr/sbin:/bin:/usr/bin\nPWD=/\nSHLVL=1\nSPACED=a b  c\ncontainer=lxc' "$(sort <<<"$OUT")"
check "environment: host variable not visible" bash -c '! grep -q ITEST_HOST_VAR <<<"$1"' _ "$OUT"
assert_host_clean "environment"

# --- cwd and ids -------------------------------------------------------------
new_container iso-cwd
run_execute iso-cwd -- pwd
expect_eq "cwd: default is /" "/" "$OUT"
new_container iso-cwd2 "lxc.init.cwd = /tmp"
run_execute iso-cwd2 -- pwd
expect_eq "cwd: lxc.init.cwd = /tmp" "/tmp" "$OUT"
new_container iso-cwd3 "lxc.init.cwd = /does/not/exist"
run_execute iso-cwd3 -- pwd
check "cwd: a missing lxc.init.cwd fails the start (rc $RC)" test "$RC" != 0 -a "$OUT" = ""
check "cwd: a missing lxc.init.cwd is reported on stderr" test -n "$ERR"

new_container iso-ids
run_execute iso-ids -- sh -c 'id -u; id -g'
expect_eq "ids: default uid/gid 0" $'0\n0' "$OUT"
run_execute iso-ids -u 1234 -g 99 -- sh -c 'id -u; id -g'
expect_eq "ids: lxc-execute -u 1234 -g 99" $'1234\n99' "$OUT"
run_execute iso-ids -u 1234 -g 99 -- sh -c 'awk "/^Uid:/ { print \$2 } /^Gid:/ { print \$2 }" /proc/1/status'
expect_eq "ids: the init shim runs as -u/-g too" $'1234\n99' "$OUT"
run_execute iso-ids -u 1234 -g 99 -- id -G
expect_eq "ids: supplementary groups dropped" "99" "$OUT"
new_container iso-ids2 "lxc.init.uid = 4321" "lxc.init.gid = 55"
run_execute iso-ids2 -- sh -c 'id -u; id -g'
expect_eq "ids: lxc.init.uid = 4321, lxc.init.gid = 55" $'4321\n55' "$OUT"
run_execute iso-ids2 -u 7 -- sh -c 'id -u; id -g'
expect_eq "ids: -u overrides lxc.init.uid" $'7\n55' "$OUT"
# As LXC, init enters lxc.init.cwd before it becomes lxc.init.uid.
new_container iso-ids3 "lxc.init.uid = 1000" "lxc.init.cwd = /root"
chmod 700 "$LXCPATH/iso-ids3/rootfs/root"
run_execute iso-ids3 -- sh -c 'id -u; pwd'
expect_eq "ids: lxc.init.cwd only root may enter, then lxc.init.uid" $'1000\n/root' "$OUT"
assert_host_clean "cwd and ids"

finish_suite
