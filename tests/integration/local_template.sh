#!/usr/bin/env bash
# The local template end to end (spec/templates.md §6): lxc-create -t local
# with an image's rootfs tarball and metadata tarball, side by side with
# LXC 5.0's own lxc-local when it is installed (same output, config, fstab
# and rootfs), the container started, entered and stopped; and the metadata
# that stops a create before anything is made, or makes it undo all.
# usage: local_template.sh CORRAL_BINARY BUILD_DIR
. "$(dirname "$0")/lib.bash"
setup_suite "$1" "$2"
exec </dev/null
# LXC (the oracle) and corral take locks under /run/lxc/lock/<lxcpath>.
local_cleanup() {
  cleanup_suite
  rm -rf "/run/lxc/lock$WORK"
}
trap local_cleanup EXIT

info() { timeout 10 "$COMPAT/lxc-info" -P "$LXCPATH" -n "$@" 2>&1; }
export CORRAL_TEMPLATE_PATH="$(cd "$(dirname "$0")/../../templates" && pwd)"
export XDG_DATA_HOME="$WORK/xdg"
if ! command -v xz >/dev/null; then
  echo "1..0 # SKIP needs xz (package xz-utils)"
  exit 77
fi

# --- an image: a busybox rootfs with LXC's tokens in it, and its metadata ------
img="$WORK/image"
mkdir -p "$img"
make_busybox_rootfs "$img/rootfs"
printf 'LXC_NAME\n' >"$img/rootfs/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 LXC_NAME\n' >"$img/rootfs/etc/hosts"
mkdir -p "$img/rootfs/etc/init" "$img/rootfs/var/log" "$img/rootfs/mnt"
printf 'exec /sbin/mingetty tty1\n' >"$img/rootfs/etc/init/tty.conf"
printf 'boot\n' >"$img/rootfs/var/log/boot.log"
printf '::sysinit:/bin/true\n::respawn:/bin/sleep 3600\n' >"$img/rootfs/etc/inittab"
tar -C "$img/rootfs" -cJf "$WORK/rootfs.tar.xz" .
meta() {  # meta DIR: DIR's files as a metadata tarball, DIR.tar.xz
  tar -C "$1" -cJf "$1.tar.xz" .
}
mkdir -p "$img/meta"
cat >"$img/meta/config" <<'EOF'
# The test image (hooks would be in LXC_HOOK_DIR)
lxc.signal.halt = SIGUSR1
lxc.autodev = 1
lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
lxc.cap.drop = sys_module mac_admin mac_override sys_time
lxc.pty.max = 1
EOF
printf 'tmpfs mnt tmpfs defaults,size=1m 0 0\n# the fstab of LXC_NAME\n' >"$img/meta/fstab"
printf './var/log\n' >"$img/meta/excludes"
printf '/etc/hostname\n/etc/hosts\n/etc/missing\n' >"$img/meta/templates"
printf 'Welcome to LXC_NAME\n' >"$img/meta/create-message"
meta "$img/meta"
META="$img/meta.tar.xz"
# No veth: the network lines of the initial config move to the end.
printf '# the initial config, made for lxc-create\nlxc.net.0.type = empty\nlxc.net.0.flags = up\n' >"$WORK/nonet.conf"

# --- create, short options ------------------------------------------------------------
run_lxc lxc-create -t local -n tl -f "$WORK/nonet.conf" -- -m "$META" -f "$WORK/rootfs.tar.xz"
expect_eq "create -t local -- -m META -f FSTREE: exit 0" "0" "$RC"
expect_eq "create: prints the create-message unsubstituted" $'Unpacking the rootfs\n\n---\nWelcome to LXC_NAME' "$OUT"
expect_eq "create: nothing on stderr" "" "$ERR"
dir="$LXCPATH/tl"
expect_eq "create: the config's body" "
# Distribution configuration
# The test image (hooks would be in /usr/share/lxc/hooks)
lxc.signal.halt = SIGUSR1
lxc.autodev = 1
lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
lxc.cap.drop = sys_module mac_admin mac_override sys_time
lxc.pty.max = 1

# Container specific configuration
# the initial config, made for lxc-create
lxc.rootfs.path = dir:$dir/rootfs
lxc.mount.fstab = $dir/fstab
lxc.uts.name = tl

# Network configuration
lxc.net.0.type = empty
lxc.net.0.flags = up" "$(sed 1,8d "$dir/config")"
expect_eq "create: the fstab beside the config, its tokens replaced" \
  $'tmpfs mnt tmpfs defaults,size=1m 0 0\n# the fstab of tl' "$(cat "$dir/fstab" 2>&1)"
expect_eq "create: hostname from the templates list" "tl" "$(cat "$dir/rootfs/etc/hostname" 2>&1)"
check "create: excludes kept var/log out" test ! -e "$dir/rootfs/var/log"
expect_eq "create: mingetty --nohangup" "exec /sbin/mingetty --nohangup tty1" "$(cat "$dir/rootfs/etc/init/tty.conf")"
check "create: dev/pts made" test -d "$dir/rootfs/dev/pts"
check "create: no partial marker left" test ! -e "$dir/partial"
check "create: the config loads" "$CORRAL" config check "$dir/config"
tl_body=$(sed 1,8d "$dir/config")

# --- side by side with LXC's lxc-local -------------------------------------------------
if [ -x /usr/share/lxc/templates/lxc-local ] && command -v lxc-create >/dev/null; then
  oracle="$WORK/oracle"
  mkdir -p "$oracle"
  lxc_out=$(timeout 60 lxc-create -P "$oracle" -n tl -t local -f "$WORK/nonet.conf" -- \
    -m "$META" -f "$WORK/rootfs.tar.xz" 2>"$WORK/oracle.err")
  expect_eq "lxc-local (oracle): exit 0" "0" "$?"
  expect_eq "same as lxc-local: what create prints" "$lxc_out" "$OUT"
  # The header names the template and corral.conf(5): lines 1 and 3 differ.
  expect_eq "same as lxc-local: the config" \
    "$(sed -e 1d -e 3d -e "s|$oracle|LXCPATH|g" "$oracle/tl/config")" \
    "$(sed -e 1d -e 3d -e "s|$LXCPATH|LXCPATH|g" "$dir/config")"
  expect_eq "same as lxc-local: the fstab" "$(cat "$oracle/tl/fstab")" "$(cat "$dir/fstab")"
  tree() { (cd "$1" && find . -printf '%p %M %U %G %s %l\n' | sort); }
  expect_eq "same as lxc-local: the rootfs tree (modes, owners, sizes, links)" \
    "$(tree "$oracle/tl/rootfs")" "$(tree "$dir/rootfs")"
  check "same as lxc-local: the rootfs files' contents" \
    diff -r --no-dereference "$oracle/tl/rootfs" "$dir/rootfs"
  rm -rf "$oracle"
else
  skip "side by side with lxc-local: LXC is not installed"
fi

# --- the container runs ----------------------------------------------------------------------
run_lxc lxc-start -n tl
expect_eq "start: exit 0" "0" "$RC"
expect_eq "start: RUNNING" "State:          RUNNING" "$(info tl -s)"
run_lxc lxc-attach -n tl -- sh -c 'hostname; cat /etc/hostname; grep -c " /mnt tmpfs " /proc/mounts'
expect_eq "attach: hostname, /etc/hostname and the fstab's tmpfs" $'tl\ntl\n1' "$OUT"
run_lxc lxc-stop -n tl -t 10
expect_eq "stop: exit 0" "0" "$RC"
expect_eq "stop: STOPPED" "State:          STOPPED" "$(info tl -s)"
run_lxc lxc-destroy -n tl
check "destroy: gone, fstab and all" test ! -e "$dir"
assert_host_clean "local template: create, start, stop"

# --- long options, relative paths -------------------------------------------------------------
cd "$WORK" || exit 1
run_lxc lxc-create -t local -n tlong -f nonet.conf -- --metadata image/meta.tar.xz --fstree=./rootfs.tar.xz
cd - >/dev/null || exit 1
expect_eq "create -- --metadata M --fstree=F, relative to the working directory: exit 0" "0" "$RC"
expect_eq "long options: the same config as with short ones" "$tl_body" \
  "$(sed -e 1,8d -e "s|tlong|tl|g" "$LXCPATH/tlong/config" 2>&1)"
run_lxc lxc-destroy -n tlong
run_lxc lxc-create -q -t local -n tquiet -f "$WORK/nonet.conf" -- -m "$META" -f "$WORK/rootfs.tar.xz"
expect_eq "-q: exit 0" "0" "$RC"
expect_eq "-q: the template's output (Unpacking the rootfs, the create-message) goes to /dev/null, as LXC's" "" "$OUT$ERR"
check "-q: the container is made" test -f "$LXCPATH/tquiet/config"
run_lxc lxc-destroy -n tquiet
run_lxc lxc-create -q -t local -n tquiet -- -m "$WORK/nonexistent.tar.xz" -f "$WORK/rootfs.tar.xz"
expect_eq "-q: a failure still exits 1, silently" "1|" "$RC|$OUT$ERR"

# --- metadata that cannot be used: an error, exit 1, nothing left --------------------------------
refused() {  # refused WHAT NAME PATTERN: the last create failed cleanly, saying PATTERN
  expect_eq "$1: exit 1" "1" "$RC"
  expect_match "$1: says why" "$3" "$ERR"
  check "$1: nothing left" test ! -e "$LXCPATH/$2"
}
mkdir -p "$WORK/noconfig" && printf 'x\n' >"$WORK/noconfig/fstab" && meta "$WORK/noconfig"
run_lxc lxc-create -t local -n tbad1 -- -m "$WORK/noconfig.tar.xz" -f "$WORK/rootfs.tar.xz"
refused "metadata without config" tbad1 "has no \`config\` \\(looked for config-system.5, config-system, config.5 and config\\)"
mkdir -p "$WORK/badline" && printf 'lxc.autodev = 1\nlxc.no.such.key = LXC_NAME\n' >"$WORK/badline/config" && meta "$WORK/badline"
run_lxc lxc-create -t local -n tbad2 -- -m "$WORK/badline.tar.xz" -f "$WORK/rootfs.tar.xz"
refused "a bad line in the metadata config" tbad2 "badline.tar.xz\\(config\\):2:1: error: unknown key 'lxc.no.such.key'"
printf 'not a tarball\n' >"$WORK/corrupt.tar.xz"
run_lxc lxc-create -t local -n tbad3 -- -m "$WORK/corrupt.tar.xz" -f "$WORK/rootfs.tar.xz"
refused "a corrupt metadata tarball" tbad3 "cannot unpack the metadata tarball"
mkdir -p "$WORK/dotdot" && cp "$img/meta/config" "$WORK/dotdot/" && printf '/etc/hosts\n../../etc/passwd\n' >"$WORK/dotdot/templates"
meta "$WORK/dotdot"
run_lxc lxc-create -t local -n tbad4 -- -m "$WORK/dotdot.tar.xz" -f "$WORK/rootfs.tar.xz"
refused "a templates entry with .." tbad4 "dotdot.tar.xz\\(templates\\):2:1: rootfs path \`../../etc/passwd\` has a \`..\` component"
# A rootfs whose /etc/hosts leads out of it: refused when the step runs, and undone.
printf 'LXC_NAME\n' >"$WORK/outside-hosts"
cp -a "$img/rootfs" "$WORK/evil-rootfs"
rm "$WORK/evil-rootfs/etc/hosts"
ln -s "$WORK/outside-hosts" "$WORK/evil-rootfs/etc/hosts"
tar -C "$WORK/evil-rootfs" -cJf "$WORK/evil.tar.xz" .
run_lxc lxc-create -t local -n tbad5 -- -m "$META" -f "$WORK/evil.tar.xz"
refused "a templates entry through a symlink out of the rootfs" tbad5 \
  "substitute ROOTFS/etc/hosts: refusing a path that leaves the rootfs through a symlink"
expect_eq "the file the symlink points to is untouched" "LXC_NAME" "$(cat "$WORK/outside-hosts")"
run_lxc lxc-create -t local -n tbad6 -- -m "$META"
refused "without -f" tbad6 "parameter \`--fstree\` is required"
run_lxc lxc-create -t local -n tbad7 -- -m "$META" -x 1
refused "an unknown short option" tbad7 "template local has no option -x \\(it takes -m \\(--metadata\\), -f \\(--fstree\\)\\)"
assert_host_clean "local template: refusals"

finish_suite
