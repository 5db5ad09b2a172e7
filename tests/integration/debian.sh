#!/usr/bin/env bash
# The debian template end to end: `lxc-create -t debian` runs debootstrap
# against the Debian archive (skipped, saying why, when the archive cannot be
# reached), the container boots systemd and is entered with lxc-attach; a
# second create comes from the cache; destroy leaves nothing.
# usage: debian.sh CORRAL_BINARY BUILD_DIR
. "$(dirname "$0")/lib.bash"
setup_suite "$1" "$2"
exec </dev/null
RUN_LXC_TIMEOUT=600  # debootstrap downloads
if ! command -v debootstrap >/dev/null; then
  echo "1..0 # SKIP needs debootstrap (scripts/deps.sh installs it)"
  exit 77
fi
if ! timeout 10 bash -c 'exec 3<>/dev/tcp/deb.debian.org/80' 2>/dev/null; then
  echo "1..0 # SKIP the Debian archive (deb.debian.org:80) cannot be reached from here"
  exit 77
fi
echo "lxc.net.0.type = empty" >"$WORK/net.conf"

start=$SECONDS
run_lxc lxc-create -t debian -n deb1 -f "$WORK/net.conf"
first=$((SECONDS - start))
expect_eq "create -t debian: exit 0" "0" "$RC"
[ "$RC" = 0 ] || echo "    $(tail -5 <<<"$OUT$ERR")"
expect_match "create: debootstrap's progress is shown" '^I: Base system installed successfully' "$OUT"
rootfs="$LXCPATH/deb1/rootfs"
expect_match "create: a Debian bookworm rootfs (the default release)" '^VERSION_CODENAME=bookworm$' \
  "$(cat "$rootfs/etc/os-release" 2>/dev/null)"
expect_eq "create: /etc/hostname names the container" "deb1" "$(cat "$rootfs/etc/hostname" 2>/dev/null)"
check "create: systemd is the init" test -L "$rootfs/sbin/init"
check "create: the download is cached" bash -c 'ls /var/cache/corral/debootstrap/bookworm-*+*.tar >/dev/null'

run_lxc lxc-start -n deb1
expect_eq "start: exit 0" "0" "$RC"
booted() {
  local s
  s=$(timeout 10 "$COMPAT/lxc-attach" -P "$LXCPATH" -n deb1 -- systemctl is-system-running 2>/dev/null)
  [ "$s" = running ] || [ "$s" = degraded ]
}
check "start: systemd reaches running (or degraded: no DHCP server here)" wait_until 60 booted
run_lxc lxc-attach -n deb1 -- sh -c 'hostname; ps -o comm= -p 1'
expect_eq "attach: hostname and pid 1" "deb1 systemd" "$(echo $OUT)"
run_lxc lxc-stop -n deb1
expect_eq "stop (systemd halts): exit 0" "0" "$RC"
check "stop: STOPPED" bash -c '[ "$("$1/lxc-info" -P "$2" -n deb1 -s -H)" = STOPPED ]' _ "$COMPAT" "$LXCPATH"

start=$SECONDS
run_lxc lxc-create -t debian -n deb2 -f "$WORK/net.conf"
echo "# create -t debian: ${first}s the first time, $((SECONDS - start))s from the cache"
expect_eq "second create (from the cache): exit 0" "0" "$RC"
run_lxc lxc-destroy -n deb1
expect_eq "destroy: exit 0" "0" "$RC"
run_lxc lxc-destroy -n deb2
check "destroy: nothing left" test ! -e "$LXCPATH/deb1" -a ! -e "$LXCPATH/deb2"
assert_host_clean "debian container"
finish_suite
