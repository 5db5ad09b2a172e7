# Shared by the integration scripts: a busybox rootfs from busybox-static,
# a private lxcpath, host snapshots (mounts, cgroups, processes) taken before
# and compared after each test, and TAP-like reporting.
# Usage in a script: . "$(dirname "$0")/lib.bash"; setup_suite "$1" "$2"; ...; finish_suite

set -u

PASS=0
FAIL=0
SKIP=0

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
skip() { SKIP=$((SKIP + 1)); echo "ok - # SKIP $*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
  if [ "$2" = "$3" ]; then
    ok "$1"
  else
    not_ok "$1"
    printf '    expected: %q\n    actual:   %q\n' "$2" "$3"
  fi
}

# make_busybox_rootfs DIR: a minimal system from the host's static busybox.
make_busybox_rootfs() {
  local root=$1
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,var/run,mnt,lib}
  cp /bin/busybox "$root/bin/busybox"
  # Each applet where busybox installs it (bin/ls, sbin/init, usr/bin/env).
  local applet
  for applet in $("$root/bin/busybox" --list-full); do
    [ -e "$root/$applet" ] || [ -L "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
  echo "root:x:0:" >"$root/etc/group"
  chmod 1777 "$root/tmp"
}

setup_suite() {
  CORRAL=$1
  BUILD=$2
  CORRAL_BIN_DIR=$(cd "$(dirname "$CORRAL")" && pwd)
  COMPAT="$BUILD/lxc-compat"
  if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP needs root"
    exit 77
  fi
  if [ ! -x /bin/busybox ]; then
    echo "1..0 # SKIP needs busybox-static"
    exit 77
  fi
  WORK=$(mktemp -d /tmp/corral-it.XXXXXX)
  LXCPATH="$WORK/lxc"
  mkdir -p "$LXCPATH"
  trap cleanup_suite EXIT
  BEFORE=$(host_snapshot)
}

# new_container NAME [CONFIG LINES...]: a busybox container under $LXCPATH.
new_container() {
  local name=$1
  shift
  local dir="$LXCPATH/$name"
  mkdir -p "$dir"
  make_busybox_rootfs "$dir/rootfs"
  {
    echo "lxc.rootfs.path = dir:$dir/rootfs"
    echo "lxc.uts.name = $name"
    echo "lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed"
    echo "lxc.cap.drop = sys_module mac_admin mac_override sys_time"
    local line
    for line in "$@"; do echo "$line"; done
  } >"$dir/config"
}

# Stops every container of the suite, so a failed test leaves nothing running.
stop_all() {
  local d
  for d in "$LXCPATH"/*/; do
    [ -d "$d" ] || continue
    timeout 20 "$COMPAT/lxc-stop" -P "$LXCPATH" -n "$(basename "$d")" -k >/dev/null 2>&1 || true
  done
}

# assert_host_clean DESCRIPTION: the host is as it was before the suite.
assert_host_clean() {
  local after
  after=$(host_snapshot)
  if [ "$after" = "$BEFORE" ]; then
    ok "host clean: $1"
  else
    not_ok "host clean: $1"
    diff <(echo "$BEFORE") <(echo "$after") | sed 's/^/    /'
  fi
}

cleanup_suite() {
  stop_all
  rm -rf "$WORK"
}

finish_suite() {
  stop_all
  assert_host_clean "end of suite"
  echo "# $PASS passed, $FAIL failed, $SKIP skipped"
  [ "$FAIL" = 0 ]
}

# The tools run by run_execute and run_lxc run in the network namespace
# named $RUN_LXC_NETNS when a suite sets it (ip netns exec): the suites that
# keep their containers' networks in a namespace of their own.
in_lxc_netns() {
  if [ -n "${RUN_LXC_NETNS:-}" ]; then ip netns exec "$RUN_LXC_NETNS" "$@"; else "$@"; fi
}

# run_execute NAME [LXC-EXECUTE ARGS...] [-- COMMAND...]: lxc-execute under a
# 20 s timeout, stdin inherited from the caller; sets OUT (stdout), ERR
# (stderr) and RC (exit status).
run_execute() {
  local name=$1
  shift
  local errfile="$WORK/.stderr.$$"
  OUT=$(in_lxc_netns timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n "$name" "$@" 2>"$errfile")
  RC=$?
  ERR=$(cat "$errfile")
  rm -f "$errfile"
}

# run_lxc TOOL [ARGS...]: $COMPAT/TOOL -P $LXCPATH ARGS under a timeout of
# $RUN_LXC_TIMEOUT seconds (60 unless set), stdin inherited; sets OUT, ERR
# and RC like run_execute.
run_lxc() {
  local tool=$1
  shift
  OUT=$(in_lxc_netns timeout "${RUN_LXC_TIMEOUT:-60}" "$COMPAT/$tool" -P "$LXCPATH" "$@" 2>"$WORK/.lxc.err")
  RC=$?
  ERR=$(cat "$WORK/.lxc.err")
}

# init_of MONITOR: the pid of the container's init among the monitor's
# children, the one in another pid namespace (the other child is the
# janitor); prints nothing while there is none yet.
init_of() {
  local child own
  own=$(readlink "/proc/$1/ns/pid" 2>/dev/null) || return 1
  for child in $(pgrep -P "$1"); do
    [ "$(readlink "/proc/$child/ns/pid" 2>/dev/null)" != "$own" ] && echo "$child" && return 0
  done
  return 1
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s; fails on timeout.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# Replaces host_snapshot above, which other work on the same host disturbed:
# matching the binary's directory caught unrelated processes of other build
# dirs (/work/main/build-x/... contains /work/main/build), e.g. a compiler,
# and other people's containers come and go in the lxc.* cgroups. Every
# process a container of this suite leaves (monitor, daemon monitor titled
# "[lxc monitor] <lxcpath> <name>", tools) carries the private lxcpath in its
# command line; a leftover init keeps its payload cgroup. Cgroups are those
# named after this suite's containers (with LXC's -N clash suffix).
host_snapshot() {
  {
    echo "## mounts"
    awk '$5 != "/run/netns" && $5 !~ "^/run/netns/corral-.*-[0-9]+$" {print $5, $9}' /proc/self/mountinfo | sort
    echo "## cgroups"
    local d n names=()
    for d in "$LXCPATH"/*/; do
      [ -d "$d" ] || continue
      n=$(basename "$d")
      names+=(-o -name "lxc.monitor.$n" -o -name "lxc.payload.$n" -o -name "lxc.monitor.$n-[0-9]*" -o -name "lxc.payload.$n-[0-9]*")
    done
    find /sys/fs/cgroup -maxdepth 3 -type d \( -name lxc.pivot "${names[@]}" \) 2>/dev/null | sort
    echo "## processes"
    pgrep -f -- "$LXCPATH" | sort
    echo "## links"
    ls /sys/class/net | sort
    echo "## network namespaces"
    host_netns | grep -vE '^corral-.*-[0-9]+$' | sort
  }
}

# The names of the host's named network namespaces (`ip netns list`). The
# network suite works in its own, named corral-it-net-<pid>, and benchmarks
# and manual runs on the same host make corral-<what>-<pid> ones: the snapshot
# leaves such per-run namespaces out (and their nsfs mounts, with /run/netns
# itself, which the first `ip netns add` on the host mounts), so a suite
# running next to one still compares equal.
host_netns() {
  if command -v ip >/dev/null; then
    ip netns list 2>/dev/null | awk '{ print $1 }'
  else
    ls -1 /run/netns 2>/dev/null
  fi
}

# expect_match DESCRIPTION EXTENDED-REGEX ACTUAL: passes when a line of ACTUAL
# matches; prints ACTUAL on failure.
expect_match() {
  if grep -qE -- "$2" <<<"$3"; then
    ok "$1"
  else
    not_ok "$1"
    printf '    expected a line matching: %s\n    actual: %q\n' "$2" "$3"
  fi
}

# make_busybox_rootfs above forks once per applet (~2 s a rootfs); build it
# once per suite and copy it for each container.
eval "build_busybox_rootfs() $(declare -f make_busybox_rootfs | tail -n +2)"
make_busybox_rootfs() {
  local template="$WORK/.rootfs-template"
  [ -d "$template" ] || build_busybox_rootfs "$template"
  cp -a "$template" "$1"
}
