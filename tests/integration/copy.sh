#!/usr/bin/env bash
# lxc-copy (spec/cli.md §10): a full copy of a stopped container under a new
# name or lxcpath, its config rewritten as LXC rewrites it, the rootfs copied
# whole, clone hooks, rename, and the refusals (running source, taken name,
# snapshots and ephemeral copies), each leaving nothing behind.
# usage: copy.sh CORRAL_BINARY BUILD_DIR
. "$(dirname "$0")/lib.bash"
setup_suite "$1" "$2"
exec </dev/null
# config_lines NAME: its config without comments, sorted
config_lines() { grep -v '^#' "$LXCPATH/$1/config" | sort; }

new_container src "lxc.net.0.type = empty" "lxc.net.1.type = veth" "lxc.net.1.hwaddr = 00:16:3e:aa:bb:cc" \
  "lxc.net.1.link = corral-nobr" "" "# a comment"
echo src >"$LXCPATH/src/rootfs/etc/hostname"
ln "$LXCPATH/src/rootfs/bin/busybox" "$LXCPATH/src/rootfs/bin/busybox.hard"
mkfifo "$LXCPATH/src/rootfs/fifo"
chmod 4755 "$LXCPATH/src/rootfs/bin/busybox.hard"

# --- a plain copy --------------------------------------------------------------
run_lxc lxc-copy -n src -N dst
expect_eq "copy: exit 0" "0" "$RC"
expect_eq "copy: silent" "" "$OUT$ERR"
cfg=$(cat "$LXCPATH/dst/config")
expect_match "copy: the new rootfs path, appended" '^lxc.rootfs.path = dir:'"$LXCPATH"'/dst/rootfs$' "$(tail -2 <<<"$cfg" | head -1)"
expect_eq "copy: the new uts name, last" "lxc.uts.name = dst" "$(tail -1 <<<"$cfg")"
expect_eq "copy: one rootfs line and one uts line" "1 1" \
  "$(grep -c '^lxc.rootfs.path' <<<"$cfg") $(grep -c '^lxc.uts.name' <<<"$cfg")"
expect_match "copy: hwaddr drawn again in 00:16:3e" '^lxc.net.1.hwaddr = 00:16:3e:([0-9a-f]{2}:){2}[0-9a-f]{2}$' \
  "$(grep hwaddr <<<"$cfg")"
check "copy: hwaddr differs from the source's" bash -c '! grep -q "aa:bb:cc" <<<"$1"' _ "$cfg"
check "copy: blank lines dropped" bash -c '! grep -q "^$" <<<"$1"' _ "$cfg"
expect_match "copy: comments kept" '^# a comment$' "$cfg"
expect_eq "copy: the directory is 0770" "770" "$(stat -c %a "$LXCPATH/dst")"
expect_eq "copy: /etc/hostname names the copy" "dst" "$(cat "$LXCPATH/dst/rootfs/etc/hostname")"
expect_eq "copy: the rootfs is the same but for /etc/hostname" \
  "Files $LXCPATH/src/rootfs/etc/hostname and $LXCPATH/dst/rootfs/etc/hostname differ" \
  "$(diff -rq --no-dereference "$LXCPATH/src/rootfs" "$LXCPATH/dst/rootfs" 2>&1 | grep -v 'is a fifo while')"
expect_eq "copy: hard links stay hard links" "$(stat -c %i "$LXCPATH/dst/rootfs/bin/busybox")" \
  "$(stat -c %i "$LXCPATH/dst/rootfs/bin/busybox.hard")"
expect_eq "copy: modes (set-user-ID) and FIFOs kept" "4755 fifo" \
  "$(stat -c %a "$LXCPATH/dst/rootfs/bin/busybox.hard") $(stat -c %F "$LXCPATH/dst/rootfs/fifo")"
sed -i '/lxc.net.1/d' "$LXCPATH/dst/config"  # its bridge does not exist here
OUT=$(timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n dst -- hostname 2>&1)
expect_eq "copy: the copy runs, with its own name" "dst" "$OUT"
assert_host_clean "copy"

# --- -K, -M, -p --------------------------------------------------------------------
mkdir -p "$WORK/other"
run_lxc lxc-copy -n src -N kept -K -M -p "$WORK/other"
expect_eq "copy -K -M -p: exit 0 ($ERR)" "0" "$RC"
kcfg=$(cat "$WORK/other/kept/config")
expect_eq "copy -K: the source's uts name stays" "lxc.uts.name = src" "$(grep '^lxc.uts.name' <<<"$kcfg")"
expect_eq "copy -K: /etc/hostname stays" "src" "$(cat "$WORK/other/kept/rootfs/etc/hostname")"
expect_eq "copy -M: the hwaddr stays" "lxc.net.1.hwaddr = 00:16:3e:aa:bb:cc" "$(grep hwaddr <<<"$kcfg")"
expect_eq "copy -p: the rootfs in the new lxcpath" "lxc.rootfs.path = dir:$WORK/other/kept/rootfs" \
  "$(grep '^lxc.rootfs.path' <<<"$kcfg")"
rm -rf "$WORK/other"

# --- clone hooks -----------------------------------------------------------------
cat >"$WORK/hook.sh" <<EOF
#!/bin/sh
echo "args=\$* src=\$LXC_SRC_NAME name=\$LXC_NAME rootfs=\$LXC_ROOTFS_PATH config=\$LXC_CONFIG_FILE" >"$WORK/hook.log"
test -d "\$LXC_ROOTFS_MOUNT/bin"
EOF
chmod +x "$WORK/hook.sh"
echo "lxc.hook.clone = $WORK/hook.sh" >>"$LXCPATH/src/config"
run_lxc lxc-copy -n src -N hooked -- a b
expect_eq "clone hook: exit 0 ($ERR)" "0" "$RC"
expect_eq "clone hook: LXC's arguments and environment" \
  "args=hooked lxc clone a b src=src name=hooked rootfs=dir:$LXCPATH/hooked/rootfs config=$LXCPATH/hooked/config" \
  "$(cat "$WORK/hook.log" 2>/dev/null)"
sed -i '$d' "$LXCPATH/src/config"
# Hook scripts (and the fstab file) kept in the source's directory move to
# the copy's, and its configuration names them there, as with LXC; the
# clone hook that runs is the copy's.
mkdir -p "$LXCPATH/src/hooks"
printf '#!/bin/sh\necho "clone by $0" >%s/own-hook.log\n' "$WORK" >"$LXCPATH/src/hooks/clone.sh"
chmod 750 "$LXCPATH/src/hooks/clone.sh"
echo "none tmp tmpfs defaults 0 0" >"$LXCPATH/src/fstab"
printf 'lxc.hook.clone = %s\nlxc.hook.post-stop=%s\nlxc.mount.fstab = %s\n' "$LXCPATH/src/hooks/clone.sh" \
  "$LXCPATH/src/hooks/clone.sh" "$LXCPATH/src/fstab" >>"$LXCPATH/src/config"
run_lxc lxc-copy -n src -N ownfiles
expect_eq "own files: the copy's clone hook ran" "clone by $LXCPATH/ownfiles/hooks/clone.sh" "$(cat "$WORK/own-hook.log" 2>&1)"
expect_eq "own files: the copy names its own" \
  "lxc.hook.clone = $LXCPATH/ownfiles/hooks/clone.sh|lxc.hook.post-stop = $LXCPATH/ownfiles/hooks/clone.sh|lxc.mount.fstab = $LXCPATH/ownfiles/fstab" \
  "$(grep -E '^lxc\.(hook|mount\.fstab)' "$LXCPATH/ownfiles/config" | tr '\n' '|' | sed 's/|$//')"
expect_eq "own files: copied with their mode" "750 none tmp tmpfs defaults 0 0" \
  "$(stat -c %a "$LXCPATH/ownfiles/hooks/clone.sh" 2>&1) $(cat "$LXCPATH/ownfiles/fstab" 2>&1)"
sed -i '/^lxc\.hook\.\|^lxc\.mount\.fstab/d' "$LXCPATH/src/config"
echo "lxc.hook.clone = /bin/false" >>"$LXCPATH/src/config"
run_lxc lxc-copy -n src -N badhook
expect_eq "failing clone hook: exit 1" "1" "$RC"
expect_match "failing clone hook: names the hook" 'lxc\.hook\.clone' "$ERR"
check "failing clone hook: the copy is removed" test ! -e "$LXCPATH/badhook"
sed -i '$d' "$LXCPATH/src/config"

# --- refusals -----------------------------------------------------------------------
run_lxc lxc-copy -n src
expect_eq "no -N: exit 1" "1" "$RC"
expect_match "no -N: says so" 'You must provide a NEWNAME for the clone' "$ERR"
run_lxc lxc-copy -n src -N dst
expect_eq "taken name: exit 1" "1" "$RC"
expect_match "taken name: names the config" "$LXCPATH/dst/config. exists" "$ERR"
expect_eq "taken name: the existing copy is untouched" "dst" "$(cat "$LXCPATH/dst/rootfs/etc/hostname")"
run_lxc lxc-copy -n nosuch -N x
expect_eq "undefined source: exit 1" "1" "$RC"
expect_match "undefined source: says so" 'Container is not defined' "$ERR"
check "undefined source: nothing made" test ! -e "$LXCPATH/x"
run_lxc lxc-copy -n src -N snap -s
expect_eq "snapshot: exit 1" "1" "$RC"
expect_match "snapshot: not supported yet, with the reason" 'snapshot.*not supported yet' "$ERR"
check "snapshot: nothing made" test ! -e "$LXCPATH/snap"
sed -i '/lxc.net.1/d' "$LXCPATH/src/config"  # its bridge does not exist here
run_lxc lxc-start -n src -- sleep 100
expect_eq "running source: started ($ERR)" "0" "$RC"
run_lxc lxc-copy -n src -N live
expect_eq "running source: exit 1" "1" "$RC"
expect_match "running source: says so" 'src is running' "$ERR"
check "running source: nothing made" test ! -e "$LXCPATH/live"
run_lxc lxc-stop -n src -k
assert_host_clean "refusals"

# --- ephemeral copies (-e): an overlay on the original, gone when stopped ----------
sed -i '/lxc.net.1/d' "$LXCPATH/src/config"  # its bridge does not exist here
before=$(find "$LXCPATH/src/rootfs" | sort | md5sum)
run_lxc lxc-copy -n src -N eph -e -- sh -c 'echo data >/root/x; hostname; exit 3'
expect_eq "ephemeral + command: the command's exit status" "3" "$RC"
expect_eq "ephemeral + command: says what it made, then the command's output" \
  "Created eph as clone of src eph" "$(echo $OUT)"
check "ephemeral + command: the copy is gone after it" wait_until 5 test ! -e "$LXCPATH/eph"
expect_eq "ephemeral: the original's rootfs is untouched" "$before" "$(find "$LXCPATH/src/rootfs" | sort | md5sum)"
check "ephemeral: no overlay left mounted" bash -c '! grep -q " overlay " /proc/self/mountinfo'
run_lxc lxc-copy -n src -N kept -e -D -m "bind=$WORK:/mnt/work:ro" -- sh -c 'echo data >/root/y; ls /mnt/work >/dev/null && echo bound'
expect_eq "ephemeral -D: exit 0 ($ERR)" "0" "$RC"
expect_match "ephemeral -m bind: the directory is bound in" '^bound$' "$OUT"
expect_eq "ephemeral -D: the copy and its changes stay (in overlay/delta)" "data" \
  "$(cat "$LXCPATH/kept/overlay/delta/root/y" 2>/dev/null)"
expect_match "ephemeral -D: its rootfs is an overlay on the original" \
  "^lxc.rootfs.path = overlay:$LXCPATH/src/rootfs:$LXCPATH/kept/overlay/delta$" "$(cat "$LXCPATH/kept/config")"
expect_match "ephemeral -m: the bind entry" "^lxc.mount.entry = $WORK mnt/work none bind,optional,ro,create=dir 0 0$" \
  "$(cat "$LXCPATH/kept/config")"
run_lxc lxc-destroy -n kept
run_lxc lxc-copy -n src -e
expect_eq "ephemeral without a command: started, exit 0 ($ERR)" "0" "$RC"
eph=$(sed -n 's/^Created \(.*\) as clone of src$/\1/p' <<<"$OUT")
expect_match "ephemeral without -N: NAME_XXXXXX" '^src_[A-Za-z0-9]{6}$' "$eph"
check "ephemeral: running" bash -c '[ "$("$1/lxc-info" -P "$2" -n "$3" -s -H)" = RUNNING ]' _ "$COMPAT" "$LXCPATH" "${eph:-none}"
run_lxc lxc-stop -n "${eph:-none}" -k
# (lxc-stop returns once the container is STOPPED; its directory goes with
# the teardown that follows, as with LXC.)
check "ephemeral: stopping removes it" wait_until 5 test ! -e "$LXCPATH/${eph:-none}"
run_lxc lxc-copy -n src -N bad -e -R
expect_eq "ephemeral with -R: exit 1" "1" "$RC"
assert_host_clean "ephemeral copies"

# --- rename ---------------------------------------------------------------------------
run_lxc lxc-copy -n dst -N renamed -R
expect_eq "rename: exit 0 ($ERR)" "0" "$RC"
check "rename: the source is gone" test ! -e "$LXCPATH/dst"
expect_eq "rename: the new name" "lxc.uts.name = renamed" "$(grep '^lxc.uts.name' "$LXCPATH/renamed/config")"
OUT=$(timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n renamed -- hostname 2>&1)
expect_eq "rename: it runs under its new name" "renamed" "$OUT"
assert_host_clean "rename"

finish_suite
