#!/usr/bin/env bash
# End to end: a container made by `lxc-create -t sshd`, on a bridge, accepts
# a login from the real OpenSSH client and runs a command (issue: networking;
# spec/templates.md §5). The client runs in a network namespace of its own,
# joined to the bridge by a veth pair; the monitor, the bridge and the
# container's host end live in another private namespace: no traffic leaves
# namespaces this suite makes.
# usage: sshd.sh CORRAL_BINARY BUILD_DIR
. "$(dirname "$0")/lib.bash"
setup_suite "$1" "$2"
exec </dev/null
COMPAT=$(cd "$COMPAT" && pwd)

for tool in ip ssh ssh-keygen /usr/sbin/sshd; do
  if ! command -v "$tool" >/dev/null; then
    echo "1..0 # SKIP needs $tool (scripts/deps.sh installs iproute2, openssh-client and openssh-server)"
    exit 77
  fi
done
NS=corral-it-sshd-$$
CLIENT=corral-it-sshc-$$
ip netns add "$NS" || exit 1
ip netns add "$CLIENT" || { ip netns del "$NS"; exit 1; }
sshd_cleanup() {
  timeout 20 ip netns exec "$NS" "$COMPAT/lxc-stop" -P "$LXCPATH" -n ssh1 -k >/dev/null 2>&1
  cleanup_suite
  ip netns del "$CLIENT" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
}
trap sshd_cleanup EXIT
in_ns() { ip netns exec "$NS" "$@"; }
RUN_LXC_NETNS=$NS  # run_lxc (lib.bash) runs the tools there

# The bridge, and the client's way onto it.
in_ns ip link add corral-br type bridge
in_ns ip link set corral-br up
in_ns ip link add corral-cl type veth peer name eth0 netns "$CLIENT"
in_ns ip link set corral-cl master corral-br up
ip -n "$CLIENT" addr add 10.213.50.10/24 dev eth0
ip -n "$CLIENT" link set eth0 up
ip -n "$CLIENT" link set lo up

ssh-keygen -q -t ed25519 -N "" -f "$WORK/id" -C corral-test
cat >"$WORK/net.conf" <<CONF
lxc.net.0.type = veth
lxc.net.0.link = corral-br
lxc.net.0.flags = up
lxc.net.0.ipv4.address = 10.213.50.2/24
CONF
run_lxc lxc-create -t sshd -n ssh1 -f "$WORK/net.conf" -- --auth-key "$WORK/id.pub"
expect_eq "create -t sshd: exit 0" "0" "$RC"
[ "$RC" = 0 ] || echo "    $ERR"
rootfs="$LXCPATH/ssh1/rootfs"
check "create -t sshd: the key is root's authorized_keys" cmp -s "$WORK/id.pub" "$rootfs/root/.ssh/authorized_keys"
expect_eq "create -t sshd: authorized_keys is 0600" "600" "$(stat -c %a "$rootfs/root/.ssh/authorized_keys")"
check "create -t sshd: no host key yet (made inside, at the first start)" \
  bash -c '! ls "$1"/etc/ssh/ssh_host_*_key >/dev/null 2>&1' _ "$rootfs"
expect_eq "create -t sshd: nearly empty (no host binaries copied)" "" "$(find "$rootfs/usr" "$rootfs/bin" -mindepth 1)"

run_lxc lxc-start -n ssh1
expect_eq "start: exit 0" "0" "$RC"
check "start: RUNNING" bash -c '[ "$(timeout 10 ip netns exec "$1" "$2/lxc-info" -P "$3" -n ssh1 -s -H)" = RUNNING ]' _ "$NS" "$COMPAT" "$LXCPATH"
# sshd listens once its keys exist.
ssh_opts=(-o StrictHostKeyChecking=no -o UserKnownHostsFile="$WORK/known_hosts" -o BatchMode=yes
  -o ConnectTimeout=3 -o LogLevel=ERROR -o IdentitiesOnly=yes -F /dev/null)
login() { timeout 20 ip netns exec "$CLIENT" ssh "${ssh_opts[@]}" -i "$WORK/id" root@10.213.50.2 "$@" 2>"$WORK/ssh.err"; }
wait_until 20 bash -c "ip netns exec $CLIENT sh -c 'echo >/dev/tcp/10.213.50.2/22' 2>/dev/null"
out=$(login 'echo "hello from $(hostname)"; id -u; cat /proc/1/cmdline | tr "\0" " "')
expect_eq "ssh: the login runs a command" "hello from ssh1" "$(sed -n 1p <<<"$out")"
[ -n "$out" ] || echo "    ssh: $(cat "$WORK/ssh.err")"
expect_eq "ssh: as root" "0" "$(sed -n 2p <<<"$out")"
# (sshd rewrites its title: "sshd: /usr/sbin/sshd -D -e [listener]")
expect_match "ssh: sshd is the container's init" '/usr/sbin/sshd -D -e' "$(sed -n 3p <<<"$out")"
check "ssh: the host keys were made inside the container" test -s "$rootfs/etc/ssh/ssh_host_ed25519_key"
out=$(login 'touch /usr/x 2>&1; echo rc=$?')
expect_match "ssh: the host's /usr is read-only inside" 'rc=1' "$out"
ssh-keygen -q -t ed25519 -N "" -f "$WORK/other" -C other
out=$(timeout 20 ip netns exec "$CLIENT" ssh "${ssh_opts[@]}" -i "$WORK/other" root@10.213.50.2 true 2>&1; echo "rc=$?")
expect_match "ssh: another key, no login" 'rc=255' "$out"

run_lxc lxc-stop -n ssh1
expect_eq "stop: exit 0" "0" "$RC"
check "stop: the host end is gone" bash -c '[ -z "$(ip -n "$1" -o link show type veth | grep -v corral-cl)" ]' _ "$NS"
run_lxc lxc-destroy -n ssh1
expect_eq "destroy: exit 0" "0" "$RC"
check "destroy: nothing left" test ! -e "$LXCPATH/ssh1"
assert_host_clean "sshd container"

finish_suite
