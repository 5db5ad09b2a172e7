#!/usr/bin/env bash
# The examples in examples/ still do what their READMEs say: the
# one-command application container runs a command, isolated, with the
# host's programs read-only; the hand-written sshd container accepts a login
# from the real OpenSSH client. Network traffic stays in namespaces this
# suite makes (a bridge namespace and a client namespace).
# usage: examples.sh CORRAL_BINARY BUILD_DIR
. "$(dirname "$0")/lib.bash"
setup_suite "$1" "$2"
exec </dev/null
COMPAT=$(cd "$COMPAT" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)

# --- app: one command ------------------------------------------------------------
mkdir -p "$WORK/app-rootfs"
sed "s|dir:/tmp/app-rootfs|dir:$WORK/app-rootfs|" "$TOP/examples/app/config" >"$WORK/app.conf"
OUT=$(timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n app -f "$WORK/app.conf" -- \
  sh -c 'hostname; ps -o pid= | wc -l; touch /usr/x 2>/dev/null; echo usr=$?; touch /tmp/x; echo tmp=$?; cat /proc/self/status | grep NoNewPrivs' 2>"$WORK/app.err")
RC=$?
expect_eq "app: exit 0 ($(cat "$WORK/app.err"))" "0" "$RC"
expect_eq "app: its own hostname" "app" "$(sed -n 1p <<<"$OUT")"
expect_eq "app: only init, sh and ps (and wc) run in it" "4" "$(sed -n 2p <<<"$OUT" | tr -d ' ')"
expect_eq "app: the host's /usr is read-only" "usr=1" "$(sed -n 3p <<<"$OUT")"
expect_eq "app: /tmp is its own and writable" "tmp=0" "$(sed -n 4p <<<"$OUT")"
expect_match "app: no_new_privs" 'NoNewPrivs:[[:space:]]+1' "$(sed -n 5p <<<"$OUT")"
timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n app -f "$WORK/app.conf" -- sh -c 'exit 7' >/dev/null 2>&1
expect_eq "app: the command's exit status is lxc-execute's" "7" "$?"
assert_host_clean "app example"

# --- sshd by hand ----------------------------------------------------------------------
for tool in ip ssh ssh-keygen /usr/sbin/sshd; do
  if ! command -v "$tool" >/dev/null; then
    skip "sshd example: needs $tool"
    finish_suite
  fi
done
NS=corral-it-exs-$$
CLIENT=corral-it-exc-$$
ip netns add "$NS"
ip netns add "$CLIENT"
ex_cleanup() {
  timeout 20 ip netns exec "$NS" "$COMPAT/lxc-stop" -P "$LXCPATH" -n sshd-by-hand -k >/dev/null 2>&1
  cleanup_suite
  ip netns del "$CLIENT" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
}
trap ex_cleanup EXIT
ip -n "$NS" link add corral-br type bridge
ip -n "$NS" link set corral-br up
ip -n "$NS" link add corral-cl type veth peer name eth0 netns "$CLIENT"
ip -n "$NS" link set corral-cl master corral-br up
ip -n "$CLIENT" addr add 10.213.60.10/24 dev eth0
ip -n "$CLIENT" link set eth0 up
ssh-keygen -q -t ed25519 -N "" -f "$WORK/id" -C corral-test
printf '%s\n' 'lxc.net.0.type = veth' 'lxc.net.0.link = corral-br' 'lxc.net.0.flags = up' \
  'lxc.net.0.ipv4.address = 10.213.60.2/24' >"$WORK/net.conf"

OUT=$("$TOP/examples/sshd/make-container.sh" "$LXCPATH" sshd-by-hand "$WORK/id.pub" "$WORK/net.conf" 2>&1)
expect_eq "sshd example: make-container.sh exit 0 ($OUT)" "0" "$?"
OUT=$(timeout 20 ip netns exec "$NS" "$COMPAT/lxc-start" -P "$LXCPATH" -n sshd-by-hand 2>&1)
expect_eq "sshd example: start: exit 0 ($OUT)" "0" "$?"
wait_until 10 bash -c "ip netns exec $CLIENT sh -c 'echo >/dev/tcp/10.213.60.2/22' 2>/dev/null"
OUT=$(timeout 20 ip netns exec "$CLIENT" ssh -F /dev/null -i "$WORK/id" -o IdentitiesOnly=yes -o BatchMode=yes \
  -o StrictHostKeyChecking=no -o UserKnownHostsFile="$WORK/known_hosts" -o ConnectTimeout=3 -o LogLevel=ERROR \
  root@10.213.60.2 'hostname; ls /usr/sbin/sshd' 2>&1)
expect_eq "sshd example: ssh logs in and runs a command" "sshd-by-hand /usr/sbin/sshd" "$(echo $OUT)"
OUT=$(timeout 20 ip netns exec "$NS" "$COMPAT/lxc-stop" -P "$LXCPATH" -n sshd-by-hand 2>&1)
expect_eq "sshd example: stop (SIGTERM to sshd): exit 0 ($OUT)" "0" "$?"
assert_host_clean "sshd example"

finish_suite
