#!/usr/bin/env bash
# Templates end to end (spec/templates.md, spec/cli.md §7-§8): lxc-create
# with the shipped busybox template, the container started, entered and
# stopped; the config header; create refusals; a failing and an interrupted
# create leave nothing; lxc-destroy with and without -f. The local template
# has a suite of its own, local_template.sh.
# usage: templates.sh CORRAL_BINARY BUILD_DIR
. "$(dirname "$0")/lib.bash"
setup_suite "$1" "$2"
exec </dev/null

info() { timeout 10 "$COMPAT/lxc-info" -P "$LXCPATH" -n "$@" 2>&1; }
# Only the shipped templates and the test's own are looked up.
export CORRAL_TEMPLATE_PATH="$WORK/templates:$(cd "$(dirname "$0")/../../templates" && pwd)"
export XDG_DATA_HOME="$WORK/xdg"
mkdir -p "$WORK/templates"

# --- create -t busybox, start, attach, stop -----------------------------------
# The host's /etc/lxc/default.conf asks for a veth device, which corral does
# not make yet: the initial config gives the container no network instead.
echo "lxc.net.0.type = empty" >"$WORK/nonet.conf"
run_lxc lxc-create -t busybox -n tb -f "$WORK/nonet.conf"
expect_eq "create -t busybox: exit 0" "0" "$RC"
expect_eq "create -t busybox: silent" "" "$OUT$ERR"
dir="$LXCPATH/tb"
expect_eq "create: the container directory is 0770" "770" "$(stat -c %a "$dir" 2>&1)"
expect_eq "create: the config is 0640" "640" "$(stat -c %a "$dir/config" 2>&1)"
check "create: no partial marker left" test ! -e "$dir/partial"
expect_eq "create: header names the template" \
  "# Template used to create this container: $(cd "$(dirname "$0")/../../templates" && pwd)/busybox.tmpl" \
  "$(sed -n 1p "$dir/config")"
expect_eq "create: header names the parameters (none)" "# Parameters passed to the template:" "$(sed -n 2p "$dir/config")"
expect_match "create: the rootfs line" "^lxc.rootfs.path = dir:$dir/rootfs\$" "$(cat "$dir/config")"
expect_match "create: the template's config lines" '^lxc.signal.halt = SIGUSR1$' "$(cat "$dir/config")"
check "create: the config loads" "$CORRAL" config check "$dir/config"
check "create: busybox in the rootfs" test -x "$dir/rootfs/bin/busybox"
check "create: applets as links in /bin" test -L "$dir/rootfs/bin/sh" -a -L "$dir/rootfs/bin/getty"
expect_eq "create: /sbin/init is busybox" "/bin/busybox" "$(readlink "$dir/rootfs/sbin/init")"
expect_eq "create: /tmp is 1777" "1777" "$(stat -c %a "$dir/rootfs/tmp")"
expect_eq "create: inittab" $'::sysinit:/etc/init.d/rcS\ntty1::respawn:/bin/getty -L tty1 115200 vt100\nconsole::askfirst:/bin/sh' \
  "$(cat "$dir/rootfs/etc/inittab" 2>&1)"
run_lxc lxc-start -n tb
expect_eq "start the created container: exit 0" "0" "$RC"
expect_eq "start: RUNNING" "State:          RUNNING" "$(info tb -s)"
run_lxc lxc-attach -n tb -- sh -c 'hostname; ps | grep -c "init"'
expect_eq "attach: hostname from lxc.uts.name" "tb" "$(sed -n 1p <<<"$OUT")"
# busybox init blanks its arguments: "init" and NULs
check "attach: busybox init runs as pid 1" test "$(tr -d '\0' </proc/"$(info tb -p -H)"/cmdline)" = init
run_lxc lxc-stop -n tb -t 10
expect_eq "stop (SIGUSR1: busybox init halts): exit 0" "0" "$RC"
expect_eq "stop: STOPPED" "State:          STOPPED" "$(info tb -s)"
assert_host_clean "busybox container"

# --- refusals ----------------------------------------------------------------------
run_lxc lxc-create -t busybox -n tb
expect_eq "create twice: exit 1" "1" "$RC"
expect_match "create twice: Container already exists" 'Container already exists' "$ERR"
run_lxc lxc-create -n tnone
expect_eq "create without -t: exit 1" "1" "$RC"
expect_match "create without -t: says to use none" 'Use "none" if you really want a container without a rootfs' "$ERR"
run_lxc lxc-create -t no-such-template -n tmiss
expect_eq "unknown template: exit 1" "1" "$RC"
expect_match "unknown template: not found" "template 'no-such-template' not found" "$ERR"
check "unknown template: nothing made" test ! -e "$LXCPATH/tmiss"
run_lxc lxc-create -t busybox -n tbadarg -- --no-such-param 1
expect_eq "unknown template parameter: exit 1" "1" "$RC"
check "unknown template parameter: nothing made" test ! -e "$LXCPATH/tbadarg"
run_lxc lxc-create -t busybox -n tbadfile -- --busybox-path /no/such/busybox
expect_eq "a FILE parameter that does not exist: exit 1" "1" "$RC"
check "a FILE parameter that does not exist: nothing made" test ! -e "$LXCPATH/tbadfile"
run_lxc lxc-create -t none -n tn
expect_eq "create -t none: exit 0" "0" "$RC"
check "create -t none: a config and no rootfs" test -f "$LXCPATH/tn/config" -a ! -e "$LXCPATH/tn/rootfs"
printf 'lxc.net.0.type = empty\nlxc.net.0.hwaddr = 00:16:3e:xx:xx:xx\n\n# kept\n' >"$WORK/initial.conf"
run_lxc lxc-create -t none -n tf -f "$WORK/initial.conf"
expect_match "create -f: hwaddr x's made random" '^lxc.net.0.hwaddr = 00:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$' \
  "$(cat "$LXCPATH/tf/config" 2>&1)"
expect_eq "create -f: empty lines dropped, comments kept" "3" "$(wc -l <"$LXCPATH/tf/config")"
run_lxc lxc-create -t busybox -n tdry --dry-run
expect_eq "lxc-create has no --dry-run: exit 1" "1" "$RC"
OUT=$(timeout 60 "$CORRAL" create -P "$LXCPATH" -t busybox -n tdry --dry-run 2>&1)
expect_match "corral create --dry-run: prints the recipe" 'busybox' "$OUT"
check "corral create --dry-run: writes nothing" test ! -e "$LXCPATH/tdry"
assert_host_clean "create refusals"

# --- a template that fails half-way, and an interrupted create ---------------------
cat >"$WORK/templates/fails.tmpl" <<'EOF'
description "fails after making things"
rootfs {
  mkdir 0755 bin etc
  copy /bin/busybox bin/busybox 0755
  write etc/made 0644 "made\n"
  chroot /bin/busybox false
}
EOF
cat >"$WORK/templates/slow.tmpl" <<'EOF'
description "takes its time"
rootfs {
  mkdir 0755 bin
  copy /bin/busybox bin/busybox 0755
  chroot /bin/busybox sleep 30
}
EOF
run_lxc lxc-create -t fails -n tfail
expect_eq "failing template: exit 1" "1" "$RC"
expect_match "failing template: names the template line" 'fails.tmpl:6:' "$ERR"
check "failing template: nothing left" test ! -e "$LXCPATH/tfail"
mkdir -p "$WORK/outside"
run_lxc lxc-create -t fails -n tfail2 --dir "$WORK/outside/rootfs"
check "failing template with --dir: the new rootfs is removed too" test ! -e "$WORK/outside/rootfs"
"$COMPAT/lxc-create" -P "$LXCPATH" -t slow -n tslow >/dev/null 2>"$WORK/slow.err" &
creator=$!
wait_until 10 test -e "$LXCPATH/tslow/rootfs/bin/busybox"
kill -INT "$creator"
start=$(date +%s)
wait "$creator"
expect_eq "interrupted create: exit 1" "1" "$?"
check "interrupted create: the running step is ended, not waited for" test $(($(date +%s) - start)) -lt 10
check "interrupted create: nothing left" test ! -e "$LXCPATH/tslow"
assert_host_clean "failed and interrupted creates"

# --- destroy -----------------------------------------------------------------------
run_lxc lxc-create -t busybox -n td -f "$WORK/nonet.conf" --dir "$WORK/outside/td-rootfs"
expect_eq "create --dir: exit 0" "0" "$RC"
check "create --dir: the rootfs is there" test -x "$WORK/outside/td-rootfs/bin/busybox"
run_lxc lxc-start -n td
run_lxc lxc-destroy -n td
expect_eq "destroy a running container: exit 1" "1" "$RC"
expect_match "destroy a running container: says so" 'td is running' "$ERR"
run_lxc lxc-destroy -n td -f
expect_eq "destroy -f: exit 0" "0" "$RC"
check "destroy -f: the container directory is gone" test ! -e "$LXCPATH/td"
check "destroy -f: the rootfs given with --dir is gone" test ! -e "$WORK/outside/td-rootfs"
run_lxc lxc-destroy -n tb
expect_eq "destroy: exit 0" "0" "$RC"
expect_eq "destroy: silent" "" "$OUT$ERR"
check "destroy: gone" test ! -e "$LXCPATH/tb"
run_lxc lxc-destroy -n tb
expect_eq "destroy an undefined container: exit 1" "1" "$RC"
expect_match "destroy an undefined container: not defined" 'Container is not defined' "$ERR"
run_lxc lxc-create -t none -n th
echo "lxc.hook.destroy = $WORK/destroy-hook.sh" >>"$LXCPATH/th/config"
printf '#!/bin/sh\necho "$LXC_NAME $*" >%s/destroy-hook.out\nenv | grep -o "^LXC_[A-Z_]*" | sort | tr "\\n" " " >>%s/destroy-hook.out\n' "$WORK" "$WORK" >"$WORK/destroy-hook.sh"
chmod +x "$WORK/destroy-hook.sh"
run_lxc lxc-destroy -n th
expect_eq "destroy hook: ran with LXC's arguments" "th th lxc destroy" "$(head -1 "$WORK/destroy-hook.out" 2>&1)"
expect_eq "destroy hook: LXC's variables only (no lxc.rootfs.path here)" "LXC_CONFIG_FILE LXC_NAME LXC_ROOTFS_MOUNT " \
  "$(sed -n 2p "$WORK/destroy-hook.out" 2>&1)"
assert_host_clean "destroy"

finish_suite
