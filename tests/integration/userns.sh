#!/usr/bin/env bash
# Containers with lxc.idmap, started by root: a user namespace whose root is
# an ordinary host user (spec/runtime.md §5.3 row 2, §6.2): the maps, the
# ids inside and on the host, what the container's root can and cannot do,
# the delegated cgroups, lxc-start/attach/info/ls/stop, id-mapped mounts, the
# errors for maps the kernel would refuse, and lxc-create giving the container
# to its root.
# usage: userns.sh CORRAL_BINARY BUILD_DIR
. "$(dirname "$0")/lib.bash"
setup_suite "$1" "$2"
exec </dev/null
# The container's root (host uid 100000) must be able to walk down to its
# rootfs; mktemp made the suite's directory 0700.
chmod 0755 "$WORK"

IDMAP=("lxc.idmap = u 0 100000 65536" "lxc.idmap = g 0 100000 65536")

# mapped_container NAME [CONFIG LINES...]: a busybox container whose rootfs
# and directory belong to the container's root, as lxc-create leaves them.
mapped_container() {
  local name=$1
  shift
  new_container "$name" "${IDMAP[@]}" "$@"
  chown -R 100000:100000 "$LXCPATH/$name/rootfs"
  chown 100000:100000 "$LXCPATH/$name"
  chmod 0770 "$LXCPATH/$name"
}

# --- ids inside and outside ----------------------------------------------------
mapped_container un1 "lxc.net.0.type = empty" "lxc.net.0.flags = up"
run_execute un1 -- sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map'
expect_eq "execute: exit 0" "0" "$RC"
expect_eq "execute: root inside, with the maps of lxc.idmap" \
  "$(printf '0\n0\n%10s %10s %10s\n%10s %10s %10s' 0 100000 65536 0 100000 65536)" "$OUT"
run_execute un1 -- sh -c 'echo made >/root/by-container'
check "a file made inside belongs to host uid 100000" \
  test "$(stat -c %u:%g "$LXCPATH/un1/rootfs/root/by-container")" = "100000:100000"

# A host file of the host's root, bound in: root inside is not root outside.
secret="$WORK/secret"
echo host-secret >"$secret"
chmod 0600 "$secret"
mapped_container un2 "lxc.mount.entry = $secret mnt/secret none bind,create=file 0 0"
run_execute un2 -- sh -c 'cat /mnt/secret 2>&1; ls -ln /mnt/secret | awk "{ print \$3 }"'
expect_match "the host root's 0600 file is unreadable inside" 'Permission denied' "$OUT"
expect_match "the host's root shows as the overflow uid" '^65534$' "$OUT"
run_execute un2 -- sh -c 'mknod /tmp/mem c 1 1 2>&1; echo "rc=$?"'
expect_match "mknod fails: no device nodes in a user namespace" 'rc=1' "$OUT"
run_execute un2 -- sh -c 'echo hi >/dev/null && head -c 4 /dev/zero | wc -c'
expect_eq "/dev/null and /dev/zero work (the host's nodes, bound)" "4" "$OUT"
run_execute un2 -- sh -c 'ls /sys/class/net; cat /proc/sys/kernel/hostname'
expect_eq "sysfs of the container's own network namespace, proc mounted" $'lo\nun2' "$OUT"
run_execute un2 -- sh -c 'echo 1 >/proc/sys/kernel/sysrq 2>&1; echo "rc=$?"'
expect_match "a host-wide sysctl cannot be written" 'rc=1' "$OUT"
assert_host_clean "execute with lxc.idmap"

# --- a running container ---------------------------------------------------------
run_lxc lxc-start -n un1
expect_eq "lxc-start: exit 0" "0" "$RC"
run_lxc lxc-wait -n un1 -s RUNNING -t 10
run_lxc lxc-info -n un1 -p -H
pid=$OUT
check "lxc-info: init's pid" test -n "$pid"
expect_eq "init runs as host uid 100000" "100000" "$(awk '$1 == "Uid:" { print $2 }' /proc/"$pid"/status)"
check "init is in a user namespace of its own" test "$(readlink /proc/"$pid"/ns/user)" != "$(readlink /proc/self/ns/user)"
run_lxc lxc-attach -n un1 -- sh -c 'id -u; cat /proc/self/uid_map; ip link show lo | grep -c UP'
expect_eq "lxc-attach: exit 0" "0" "$RC"
expect_eq "lxc-attach: root in the container's user namespace, lo up" \
  "$(printf '0\n%10s %10s %10s\n1' 0 100000 65536)" "$OUT"
for dir in $(awk -F: '{ print $2 ":" $3 }' /proc/"$pid"/cgroup); do
  ctrl=${dir%%:*}
  path=${dir#*:}
  case $ctrl in name=systemd) base=/sys/fs/cgroup/systemd ;; "") base=/sys/fs/cgroup/unified ;; *) base=/sys/fs/cgroup/${ctrl%%,*} ;; esac
  [ -d "$base$path" ] || continue
  expect_eq "cgroup ${ctrl:-unified}: the payload belongs to the container's root" "100000:100000" \
    "$(stat -c %u:%g "$base$path")"
  procs=$base$path/cgroup.procs
  expect_eq "cgroup ${ctrl:-unified}: and so does its cgroup.procs" "100000:100000" "$(stat -c %u:%g "$procs")"
done
run_lxc lxc-attach -n un1 -- sh -c 'mkdir /tmp/cg && mount -t cgroup2 none /tmp/cg && mkdir /tmp/cg/sub &&
  echo $$ >/tmp/cg/sub/cgroup.procs && cat /proc/self/cgroup | grep "^0::"; umount /tmp/cg'
expect_eq "the container's root makes a cgroup below its own and moves into it" "0::/sub" "$OUT"
run_lxc lxc-ls -f -F NAME,STATE,UNPRIVILEGED
expect_match "lxc-ls: UNPRIVILEGED is true" '^un1 +RUNNING +true' "$OUT"
run_lxc lxc-stop -n un1
expect_eq "lxc-stop: exit 0" "0" "$RC"
# Root unmapped: init runs as lxc.init.uid, and so does lxc-attach by default.
new_container un6 "lxc.idmap = u 1000 200000 1" "lxc.idmap = g 1000 200000 1" "lxc.init.uid = 1000" \
  "lxc.init.gid = 1000" "lxc.init.cmd = /bin/sleep 1000"
chmod 0755 "$LXCPATH/un6"
run_lxc lxc-start -n un6
expect_eq "root unmapped: lxc-start: exit 0" "0" "$RC"
run_lxc lxc-attach -n un6 -- id
expect_eq "root unmapped: lxc-attach runs as init's ids" "uid=1000 gid=1000" "$OUT"
run_lxc lxc-attach -n un6 -u 1000 -g 1000 -- sh -c 'id -u; touch /proc/x 2>/dev/null || echo refused'
expect_eq "root unmapped: -u/-g as given" $'1000\nrefused' "$OUT"
run_lxc lxc-stop -n un6 -k
expect_eq "root unmapped: lxc-stop -k: exit 0" "0" "$RC"
assert_host_clean "lxc-start, attach, stop with lxc.idmap"

# --- id-mapped mounts (idmap=): the host's files as the container's -------------
shared="$WORK/shared"
mkdir -p "$shared"
echo root-only >"$shared/file"
chmod 0600 "$shared/file"
mapped_container un3 "lxc.mount.entry = $shared mnt/shared none bind,create=dir,idmap=container 0 0" \
  "lxc.mount.entry = $WORK/no-such-dir mnt/gone none bind,create=dir,optional,idmap=container 0 0"
run_execute un3 -- sh -c 'cat /mnt/shared/file; ls -ln /mnt/shared/file | awk "{ print \$3 }"; echo new >/mnt/shared/made'
expect_eq "idmap=container: the host root's file is the container root's inside" $'root-only\n0' "$OUT"
expect_eq "idmap=container: what the container writes is the host root's on disk" "0:0" \
  "$(stat -c %u:%g "$shared/made")"
run_execute un3 -- sh -c 'grep -c " /mnt/shared .*idmapped" /proc/self/mountinfo; ls /mnt/gone | wc -l'
expect_eq "idmap=container: mounted id-mapped; an optional line whose source is missing is left out" $'1\n0' "$OUT"
# A rootfs that belongs to the host's root, id-mapped instead of chowned.
new_container un4 "${IDMAP[@]}" "lxc.rootfs.options = idmap=container,ro"
chmod 0755 "$LXCPATH/un4"
run_execute un4 -- sh -c 'ls -ln /bin/busybox | awk "{ print \$3 }"; touch /x 2>&1; grep -c " / .*ro,.*idmapped" /proc/self/mountinfo'
expect_match "idmapped rootfs: the host root's files are root's inside" '^0$' "$OUT"
expect_match "idmapped rootfs: ro holds" 'Read-only file system' "$OUT"
expect_match "idmapped rootfs: / is id-mapped and read-only" '^1$' "$OUT"
check "idmapped rootfs: the rootfs on disk still belongs to the host's root" \
  test "$(stat -c %u "$LXCPATH/un4/rootfs/bin/busybox")" = 0
mapped_container un5 "lxc.mount.entry = /proc mnt/p none bind,create=dir,idmap=container 0 0"
run_execute un5 -- true
expect_eq "idmap= on a file system that cannot be id-mapped: exit 1" "1" "$RC"
expect_match "... the error names the line and the source" \
  'lxc.mount.entry at .*/un5/config:[0-9]+:1: id-map the mount \(its file system cannot be id-mapped.*/proc.: Invalid argument' "$ERR"
assert_host_clean "id-mapped mounts"

# --- maps the kernel would refuse: errors at their lines, nothing started ---------
bad_map() {
  local what=$1 pattern=$2
  shift 2
  new_container unbad "$@"
  run_execute unbad -- true
  expect_eq "$what: exit 1" "1" "$RC"
  expect_match "$what: the error" "$pattern" "$ERR"
  rm -rf "${LXCPATH:?}/unbad"
}
bad_map "range 0" 'config:5:1: lxc.idmap .u 0 100000 0.: the range is 0' \
  "lxc.idmap = u 0 100000 0" "lxc.idmap = g 0 100000 65536"
bad_map "overlap" "config:6:1: lxc.idmap 'u 1000 300000 10' overlaps the earlier 'u 0 100000 65536' in its container ids" \
  "lxc.idmap = u 0 100000 65536" "lxc.idmap = u 1000 300000 10" "lxc.idmap = g 0 100000 65536"
bad_map "no gid map" "config:5:1: lxc.idmap has no 'g' line" "lxc.idmap = u 0 100000 65536"
bad_map "root unmapped" 'lxc.idmap maps neither uid 0 nor lxc.init.uid \(0\)' \
  "lxc.idmap = u 1 100000 65536" "lxc.idmap = g 0 100000 65536"
new_container unlocked "${IDMAP[@]}"
chown -R 100000:100000 "$LXCPATH/unlocked/rootfs"
chmod 0700 "$LXCPATH/unlocked"
run_execute unlocked -- true
expect_eq "a container directory the container's root cannot enter: exit 1" "1" "$RC"
expect_match "... the error says why and what to do" \
  'Permission denied \(the container.s root is host uid 100000: every directory above the rootfs must let it through' "$ERR"
assert_host_clean "refused maps"

# --- lxc-create gives the container to its root ----------------------------------
printf '%s\n' "${IDMAP[@]}" "lxc.net.0.type = empty" >"$WORK/idmap.conf"
run_lxc lxc-create -t busybox -n unc -f "$WORK/idmap.conf"
expect_eq "lxc-create with lxc.idmap: exit 0" "0" "$RC"
expect_eq "the container's directory belongs to its root, mode 0770" "100000:100000 770" \
  "$(stat -c '%u:%g %a' "$LXCPATH/unc")"
expect_eq "every file of the rootfs belongs to a mapped id" "" \
  "$(find "$LXCPATH/unc/rootfs" \( ! -uid 100000 -o ! -gid 100000 \) -print | head -3)"
expect_eq "no warning: every owner was mapped" "" "$ERR"
run_execute unc -- sh -c 'id -u; touch /root/x && echo written'
expect_eq "the created container runs and writes as its root" $'0\nwritten' "$OUT"
run_lxc lxc-copy -n unc -N unc2
expect_eq "lxc-copy: exit 0" "0" "$RC"
expect_eq "lxc-copy: the copy's directory belongs to the container's root too" "100000:100000" \
  "$(stat -c %u:%g "$LXCPATH/unc2")"
run_execute unc2 -- sh -c 'touch /root/y && id -u'
expect_eq "lxc-copy: the copy runs as its root" "0" "$OUT"
run_lxc lxc-copy -n unc -N unce -e -- sh -c 'touch /new && ls -ln /new | awk "{ print \$3 }"'
expect_eq "lxc-copy -e: the ephemeral copy writes its overlay as its root" $'Created unce as clone of unc\n0' "$OUT"
check "lxc-copy -e: and is gone" wait_until 5 test ! -e "$LXCPATH/unce"
run_lxc lxc-destroy -n unc2
run_lxc lxc-destroy -n unc
expect_eq "lxc-destroy: exit 0" "0" "$RC"
check "lxc-destroy: nothing left" test ! -e "$LXCPATH/unc"

# A map that covers only some of the owners: the others go to the
# container's root, and lxc-create says so.
printf '%s\n' "lxc.idmap = u 0 100000 1" "lxc.idmap = g 0 100000 1" "lxc.net.0.type = empty" >"$WORK/narrow.conf"
cat >"$WORK/owners.tmpl" <<'EOF'
description "files of two owners"
rootfs {
  copy /bin/busybox bin/busybox
  write etc/a 0644 "a\n"
  chroot /bin/busybox chown 1000:1000 /etc/a
}
EOF
run_lxc lxc-create -t "$WORK/owners.tmpl" -n unn -f "$WORK/narrow.conf"
expect_eq "partly mapped: exit 0" "0" "$RC"
expect_match "partly mapped: a warning names the first unmapped file" \
  'warning: 1 files of the rootfs had owners that lxc.idmap does not map \(the first: .*/unn/rootfs/etc/a\); they now belong to the container.s root' "$ERR"
expect_eq "partly mapped: that file belongs to the container's root" "100000:100000" \
  "$(stat -c %u:%g "$LXCPATH/unn/rootfs/etc/a")"

finish_suite
