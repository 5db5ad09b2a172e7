#!/usr/bin/env bash
# Network devices of real containers (lxc.net.N.*, spec/config-keys.md
# "Network"): veth pairs on a bridge with addresses, routes, MAC and MTU,
# traffic between two containers, empty and none, phys, macvlan (ipvlan, vlan
# where the kernel has them), script.up/script.down, refused settings, start
# failures and a killed monitor.
#
# No traffic leaves namespaces the suite makes: everything runs in a private
# network namespace (corral-it-net-<pid>) holding the bridge and the parent
# devices; every lxc-* tool runs under `ip netns exec` there, so the monitor
# and the host ends of the devices live in it. Nothing is added to the host's
# own namespace. The lxc-* tools find a running container through an abstract
# unix socket, which is scoped by network namespace: they too run in it.
# usage: network.sh CORRAL_BINARY BUILD_DIR
. "$(dirname "$0")/lib.bash"
setup_suite "$1" "$2"
exec </dev/null # no tty on stdin, as under ctest: commands get plain fds
COMPAT=$(cd "$COMPAT" && pwd)

if ! command -v ip >/dev/null; then
  echo "1..0 # SKIP needs iproute2 (ip)"
  exit 77
fi
NS=corral-it-net-$$
if ! ip netns add "$NS" 2>"$WORK/netns.err"; then
  echo "1..0 # SKIP cannot create a network namespace: $(cat "$WORK/netns.err")"
  exit 77
fi

# Every container of the suite runs in $NS: stop them there (lib's stop_all
# runs lxc-stop in the host's namespace, where their sockets are not seen).
stop_all() {
  local d
  for d in "$LXCPATH"/*/; do
    [ -d "$d" ] || continue
    timeout 20 ip netns exec "$NS" "$COMPAT/lxc-stop" -P "$LXCPATH" -n "$(basename "$d")" -k >/dev/null 2>&1 || true
  done
}
net_cleanup() {
  stop_all
  cleanup_suite
  ip netns del "$NS" 2>/dev/null
}
trap net_cleanup EXIT

nsx() { ip netns exec "$NS" "$@"; }
RUN_LXC_NETNS=$NS  # run_execute and run_lxc (lib.bash) run the tools there
RUN_LXC_TIMEOUT=20
info() { timeout 10 ip netns exec "$NS" "$COMPAT/lxc-info" -P "$LXCPATH" -n "$@" 2>&1; }
state_is() { [ "$(info "$1" -s -H)" = "$2" ]; }
proc_gone() { [ ! -e "/proc/$1" ]; }
remove_leftover_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/lxc.{monitor,payload}."$1"{,-[0-9]*} /sys/fs/cgroup/lxc.{monitor,payload}."$1"{,-[0-9]*}; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  return 0
}

# Interfaces of the suite's namespace: names (without @peer), sorted.
ns_links() { ip -n "$NS" -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort | tr '\n' ' '; }
ns_veths() { ip -n "$NS" -o link show type veth | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort | tr '\n' ' '; }
ns_has() { ip -n "$NS" link show dev "$1" >/dev/null 2>&1; }
ns_lacks() { ! ns_has "$1"; }
ns_link_line() { ip -n "$NS" -o link show dev "$1" 2>&1; }
ns_links_are() { [ "$(ns_links)" = "$1" ]; }
# Interface names as a command sees them, from /proc/net/dev (busybox has no
# `ip -o link` name column to cut reliably).
NET_IFACES='awk -F: '\''NR > 2 { gsub(/ /, "", $1); print $1 }'\'' /proc/net/dev | sort | tr "\n" " "; echo'

# The suite's namespace: lo, a bridge with an address (the containers'
# gateway) and an MTU of its own, a veth pair whose end corral-p0 is handed to
# phys containers (the kernel may lack dummy) with its peer as the other side,
# and a veth pair whose end corral-m0 is the parent of macvlan/ipvlan/vlan.
ip -n "$NS" link set lo up
ip -n "$NS" link add corral-br0 type bridge
ip -n "$NS" link set corral-br0 mtu 1400
ip -n "$NS" addr add 10.213.0.1/24 dev corral-br0
ip -n "$NS" addr add 2001:db8:213::1/64 dev corral-br0 nodad
ip -n "$NS" link set corral-br0 up
if ip -n "$NS" link add corral-p0 type dummy 2>/dev/null; then
  PHYS_PEER=
else
  ip -n "$NS" link add corral-p0 type veth peer name corral-p0b
  PHYS_PEER=corral-p0b
  ip -n "$NS" addr add 10.213.2.1/24 dev corral-p0b
  ip -n "$NS" link set corral-p0b up
fi
ip -n "$NS" link add corral-m0 type veth peer name corral-m0b
ip -n "$NS" addr add 10.213.3.1/24 dev corral-m0b
ip -n "$NS" link set corral-m0 up
ip -n "$NS" link set corral-m0b up
NS_BASE=$(ns_links)
NS_VETHS=$(ns_veths)
NS_ID=$(nsx readlink /proc/self/ns/net)
# Snapshot again, now that the suite's namespace exists.
BEFORE=$(host_snapshot)

# net_clean DESCRIPTION: the host and the suite's namespace are as they were
# (the namespace holds only what the suite made: no veth left behind).
net_clean() {
  wait_until 5 ns_links_are "$NS_BASE"
  expect_eq "netns clean: $1: only the suite's own devices" "$NS_BASE" "$(ns_links)"
  expect_eq "netns clean: $1: only the suite's own veths" "$NS_VETHS" "$(ns_veths)"
  assert_host_clean "$1"
}

# --- two veth containers on a bridge ------------------------------------------
new_container net-a "lxc.init.cmd = /bin/sleep 1000" \
  "lxc.net.0.type = veth" "lxc.net.0.link = corral-br0" "lxc.net.0.flags = up" \
  "lxc.net.0.veth.pair = corral-va" "lxc.net.0.hwaddr = 02:00:0a:d5:00:02" \
  "lxc.net.0.ipv4.address = 10.213.0.2/24" "lxc.net.0.ipv4.gateway = 10.213.0.1"
new_container net-b "lxc.init.cmd = /bin/sleep 1000" \
  "lxc.net.0.type = veth" "lxc.net.0.link = corral-br0" "lxc.net.0.flags = up" \
  "lxc.net.0.hwaddr = 02:00:0a:d5:03:xx" "lxc.net.0.mtu = 1380" \
  "lxc.net.0.ipv4.address = 10.213.0.3/24" "lxc.net.0.ipv4.address = 10.213.0.33/24" \
  "lxc.net.0.ipv4.gateway = auto" \
  "lxc.net.0.ipv6.address = 2001:db8:213::3/64" "lxc.net.0.ipv6.gateway = 2001:db8:213::1" \
  "lxc.net.0.veth.ipv4.route = 192.0.2.0/28"
run_lxc lxc-start -n net-a
expect_eq "veth: start net-a: exit 0" "0" "$RC"
expect_eq "veth: start net-a: silent" "" "$OUT$ERR"
run_lxc lxc-start -n net-b
expect_eq "veth: start net-b: exit 0" "0" "$RC"
expect_eq "veth: start net-b: silent" "" "$OUT$ERR"
check "veth: net-a RUNNING" state_is net-a RUNNING
check "veth: net-b RUNNING" state_is net-b RUNNING

# inside net-a: eth0 as configured
run_lxc lxc-attach -n net-a -- sh -c "$NET_IFACES"
expect_eq "veth: net-a has eth0 and lo" "eth0 lo " "$OUT"
run_lxc lxc-attach -n net-a -- ip -o link show eth0
a_link=$OUT
expect_match "veth: net-a eth0 is up" '<([A-Z_]+,)*UP[,>]' "$a_link"
expect_match "veth: net-a eth0 has lxc.net.0.hwaddr" 'link/ether 02:00:0a:d5:00:02 ' "$a_link"
expect_match "veth: net-a eth0 has the bridge's MTU (no lxc.net.0.mtu)" ' mtu 1400 ' "$a_link"
run_lxc lxc-attach -n net-a -- ip -o -4 addr show dev eth0
expect_match "veth: net-a eth0 has 10.213.0.2/24" 'inet 10\.213\.0\.2/24 ' "$OUT"
run_lxc lxc-attach -n net-a -- ip -4 route show
expect_match "veth: net-a default route via lxc.net.0.ipv4.gateway" '^default via 10\.213\.0\.1 dev eth0' "$OUT"
run_lxc lxc-attach -n net-a -- readlink /proc/self/ns/net
check "veth: net-a has a network namespace of its own" test -n "$OUT" -a "$OUT" != "$NS_ID"

# inside net-b
run_lxc lxc-attach -n net-b -- ip -o link show eth0
b_link=$OUT
expect_match "veth: net-b eth0 is up" '<([A-Z_]+,)*UP[,>]' "$b_link"
expect_match "veth: net-b eth0 hwaddr with x digits filled in" 'link/ether 02:00:0a:d5:03:[0-9a-f]{2} ' "$b_link"
expect_match "veth: net-b eth0 has lxc.net.0.mtu" ' mtu 1380 ' "$b_link"
run_lxc lxc-attach -n net-b -- ip -o -4 addr show dev eth0
expect_match "veth: net-b eth0 has 10.213.0.3/24" 'inet 10\.213\.0\.3/24 ' "$OUT"
expect_match "veth: net-b eth0 has 10.213.0.33/24 (second ipv4.address)" 'inet 10\.213\.0\.33/24 ' "$OUT"
run_lxc lxc-attach -n net-b -- ip -4 route show
expect_match "veth: net-b gateway auto is the bridge's first IPv4 address" '^default via 10\.213\.0\.1 dev eth0' "$OUT"
run_lxc lxc-attach -n net-b -- ip -o -6 addr show dev eth0
expect_match "veth: net-b eth0 has 2001:db8:213::3/64" 'inet6 2001:db8:213::3/64 ' "$OUT"
run_lxc lxc-attach -n net-b -- ip -6 route show
expect_match "veth: net-b IPv6 default route via lxc.net.0.ipv6.gateway" '^default via 2001:db8:213::1 dev eth0' "$OUT"
run_lxc lxc-info -n net-b -i
expect_eq "lxc-info -i: every address but lo's and link-local ones, as LXC" \
  "IP:             10.213.0.3|IP:             10.213.0.33|IP:             2001:db8:213::3" "$(paste -sd'|' <<<"$OUT")"
run_lxc lxc-info -n net-b -i -H
expect_eq "lxc-info -i -H: the bare addresses" "10.213.0.3 10.213.0.33 2001:db8:213::3" "$(echo $OUT)"
run_lxc lxc-ls -f -F NAME,INTERFACE,IPV4,IPV6 net-b
expect_eq "lxc-ls --fancy: the interfaces and addresses, as LXC" \
  "net-b eth0, lo 10.213.0.3, 10.213.0.33 2001:db8:213::3" "$(sed -n 2p <<<"$OUT" | tr -s ' ' | sed 's/ $//')"
run_lxc lxc-info -n net-a -S -H
expect_match "lxc-info -S: a Link line names the host end (lxc.net.0.veth.pair)" '^Link: +corral-va$' "$OUT"
expect_match "lxc-info -S: its traffic from the container's side" '^ TX bytes: +[1-9][0-9]*$' "$OUT"
run_lxc lxc-attach -n net-a -- cat /sys/class/net/lo/operstate /sys/class/net/lo/flags
expect_eq "veth up: lo is brought up too, as LXC does" "unknown 0x9" "$(echo $OUT)"

# traffic
run_lxc lxc-attach -n net-a -- ping -c 1 -W 2 10.213.0.1
expect_eq "veth: net-a pings the bridge (gateway)" "0" "$RC"
run_lxc lxc-attach -n net-a -- ping -c 1 -W 2 10.213.0.3
expect_eq "veth: net-a pings net-b" "0" "$RC"
run_lxc lxc-attach -n net-b -- ping -c 1 -W 2 10.213.0.2
expect_eq "veth: net-b pings net-a" "0" "$RC"
if /bin/busybox --list | grep -qx nc; then
  # The listener's stdin stays open (a fifo the shell holds): at EOF on
  # stdin busybox nc shuts its side down, and a client that sees that first
  # quits before sending.
  timeout 15 ip netns exec "$NS" "$COMPAT/lxc-attach" -P "$LXCPATH" -n net-b -- \
    sh -c 'mkfifo /tmp/nc.in; nc -l -p 7213 </tmp/nc.in >/tmp/nc.out & exec 3>/tmp/nc.in; wait $!' \
    >/dev/null 2>"$WORK/nc-server.err" &
  server=$!
  sent=1
  for _ in $(seq 50); do
    run_lxc lxc-attach -n net-a -- sh -c 'echo hi | nc -w 2 10.213.0.3 7213'
    if [ "$RC" = 0 ]; then sent=0; break; fi
    sleep 0.1
  done
  expect_eq "veth: TCP from net-a to net-b connects" "0" "$sent"
  [ "$sent" = 0 ] || echo "    last error: $ERR"
  wait "$server"
  run_lxc lxc-attach -n net-b -- cat /tmp/nc.out
  expect_eq "veth: net-b received the TCP payload" "hi" "$OUT"
else
  skip "veth: TCP between containers: busybox has no nc"
fi

# host ends in the suite's namespace
check "veth host end: lxc.net.0.veth.pair names it (corral-va)" ns_has corral-va
host_a=$(ns_link_line corral-va)
expect_match "veth host end: corral-va is a port of the bridge" ' master corral-br0 ' "$host_a"
expect_match "veth host end: corral-va is up" '<([A-Z_]+,)*UP[,>]' "$host_a"
expect_match "veth host end: corral-va has a MAC fe:xx:xx:xx:xx:xx" 'link/ether fe(:[0-9a-f]{2}){5} ' "$host_a"
expect_match "veth host end: corral-va has the bridge's MTU" ' mtu 1400 ' "$host_a"
expect_eq "veth host end: /sys/class/net/corral-va/master is the bridge" "corral-br0" \
  "$(nsx readlink /sys/class/net/corral-va/master 2>&1 | sed 's|.*/||')"
b_peer=$(sed -n 's/^[0-9]*: eth0@if\([0-9]*\):.*/\1/p' <<<"$b_link")
host_b=$(ip -n "$NS" -o link show | awk -F': ' -v i="$b_peer" '$1 == i { print $2 }' | sed 's/@.*//')
expect_match "veth host end: without veth.pair it is veth + 6 letters/digits ($host_b, ifindex $b_peer)" \
  '^veth[A-Za-z0-9]{6}$' "$host_b"
hb_line=$(ns_link_line "${host_b:-none}")
expect_match "veth host end: $host_b is a port of the bridge" ' master corral-br0 ' "$hb_line"
expect_match "veth host end: $host_b is up" '<([A-Z_]+,)*UP[,>]' "$hb_line"
expect_match "veth host end: $host_b has a MAC fe:xx:xx:xx:xx:xx" 'link/ether fe(:[0-9a-f]{2}){5} ' "$hb_line"
expect_match "veth host end: $host_b has lxc.net.0.mtu" ' mtu 1380 ' "$hb_line"
expect_match "veth host end: veth.ipv4.route 192.0.2.0/28 via $host_b" \
  "^192\.0\.2\.0/28 dev ${host_b:-none}( |$)" "$(ip -n "$NS" -4 route show 192.0.2.0/28)"
check "veth: the host's own namespace has neither host end" \
  bash -c '! ip link show dev corral-va >/dev/null 2>&1 && ! ip link show dev "$1" >/dev/null 2>&1' _ "${host_b:-none}"

# lxc.namespace.share.net: another container joins net-a's namespace, and
# its own lxc.net is ignored (with a warning)
new_container net-join "lxc.namespace.share.net = net-a" "lxc.net.0.type = veth" "lxc.net.0.link = corral-br0"
run_execute net-join -- sh -c "$NET_IFACES; ip -o -4 addr show dev eth0"
expect_eq "share.net: exit 0 ($ERR)" "0" "$RC"
# (a device made for its own lxc.net.0 would show up here as eth1)
expect_eq "share.net: the container sees net-a's interfaces, and its own lxc.net.0 is ignored" "eth0 lo " \
  "$(sed -n 1p <<<"$OUT")"
expect_match "share.net: and net-a's address" 'inet 10\.213\.0\.2/24 ' "$(sed -n 2p <<<"$OUT")"

run_lxc lxc-stop -n net-a -k
expect_eq "veth: stop net-a: exit 0" "0" "$RC"
check "veth: corral-va is gone after stop" wait_until 5 ns_lacks corral-va
check "veth: net-b's host end stays while net-b runs" ns_has "${host_b:-none}"
run_lxc lxc-stop -n net-b -k
expect_eq "veth: stop net-b: exit 0" "0" "$RC"
check "veth: $host_b is gone after stop" wait_until 5 ns_lacks "${host_b:-none}"
check "veth: the host route to 192.0.2.0/28 is gone after stop" \
  test -z "$(ip -n "$NS" -4 route show 192.0.2.0/28)"
net_clean "veth on a bridge"

# two unnamed veths: eth0 and eth1
new_container net-two \
  "lxc.net.0.type = veth" "lxc.net.0.link = corral-br0" \
  "lxc.net.1.type = veth" "lxc.net.1.link = corral-br0" \
  "lxc.net.2.type = veth" "lxc.net.2.link = corral-br0" "lxc.net.2.name = in2"
run_execute net-two -- sh -c "$NET_IFACES; ip -o link show eth0"
expect_eq "veth: unnamed devices are eth0, eth1; a named one keeps its name" "eth0 eth1 in2 lo " "$(sed -n 1p <<<"$OUT")"
check "veth: without lxc.net.0.flags = up eth0 stays down ($(sed -n 2p <<<"$OUT"))" \
  bash -c '[ -n "$1" ] && ! grep -qE "<([A-Z_]+,)*UP[,>]" <<<"$1"' _ "$(sed -n 2p <<<"$OUT")"
expect_eq "veth: three devices: exit 0 ($ERR)" "0" "$RC"
net_clean "two veths"

# a named eth0 after an unnamed device: the named one is renamed first, as
# LXC does, so the unnamed one becomes eth1
new_container net-order \
  "lxc.net.0.type = veth" "lxc.net.0.link = corral-br0" "lxc.net.0.hwaddr = 02:00:0a:d5:09:00" \
  "lxc.net.1.type = veth" "lxc.net.1.link = corral-br0" "lxc.net.1.name = eth0" "lxc.net.1.hwaddr = 02:00:0a:d5:09:01"
run_execute net-order -- sh -c 'cat /sys/class/net/eth0/address /sys/class/net/eth1/address'
expect_eq "veth: an explicit eth0 is kept for its device; the unnamed one is eth1 ($ERR)" \
  "02:00:0a:d5:09:01 02:00:0a:d5:09:00" "$(echo $OUT)"
net_clean "naming order"

# gateway = dev: a default route through the device, without a next hop
new_container net-gwdev "lxc.net.0.type = veth" "lxc.net.0.link = corral-br0" "lxc.net.0.flags = up" \
  "lxc.net.0.ipv4.address = 10.213.0.7/24" "lxc.net.0.ipv4.gateway = dev"
run_execute net-gwdev -- sh -c 'ip -4 route show; ping -c 1 -W 2 10.213.0.1 >/dev/null && echo pinged'
expect_eq "veth gateway dev: exit 0 ($ERR)" "0" "$RC"
expect_match "veth gateway dev: default dev eth0" '^default dev eth0( |$)' "$OUT"
expect_match "veth gateway dev: the bridge answers" '^pinged$' "$OUT"
net_clean "gateway dev"

# --- empty and none -----------------------------------------------------------
new_container net-empty-up "lxc.net.0.type = empty" "lxc.net.0.flags = up"
run_execute net-empty-up -- sh -c "$NET_IFACES; ip -o link show lo; readlink /proc/self/ns/net"
expect_eq "empty + flags up: exit 0 ($ERR)" "0" "$RC"
expect_eq "empty + flags up: only lo" "lo " "$(sed -n 1p <<<"$OUT")"
expect_match "empty + flags up: lo is UP" '^1: lo: <([A-Z_]+,)*UP[,>]' "$(sed -n 2p <<<"$OUT")"
check "empty: a network namespace of its own" test "$(sed -n 3p <<<"$OUT")" != "$NS_ID"
new_container net-empty "lxc.net.0.type = empty"
run_execute net-empty -- sh -c "$NET_IFACES; ip -o link show lo; cat /sys/class/net/lo/operstate"
expect_eq "empty: only lo" "lo " "$(sed -n 1p <<<"$OUT")"
check "empty without flags: lo is down ($(sed -n 2p <<<"$OUT"))" \
  bash -c '! grep -qE "<([A-Z_]+,)*UP[,>]" <<<"$1"' _ "$(sed -n 2p <<<"$OUT")"
expect_eq "empty without flags: /sys/class/net/lo/operstate" "down" "$(sed -n 3p <<<"$OUT")"
new_container net-none "lxc.net.0.type = none"
run_execute net-none -- sh -c "$NET_IFACES; readlink /proc/self/ns/net"
expect_eq "none: the caller's interfaces" "$(nsx sh -c "$NET_IFACES")" "$(sed -n 1p <<<"$OUT")"
expect_eq "none: the caller's network namespace" "$NS_ID" "$(sed -n 2p <<<"$OUT")"
net_clean "empty and none"

# --- phys ----------------------------------------------------------------------
new_container net-phys "lxc.init.cmd = /bin/sleep 1000" \
  "lxc.net.0.type = phys" "lxc.net.0.link = corral-p0" "lxc.net.0.flags = up" \
  "lxc.net.0.ipv4.address = 10.213.2.2/24"
run_lxc lxc-start -n net-phys
expect_eq "phys: start: exit 0 ($ERR)" "0" "$RC"
check "phys: corral-p0 left the caller's namespace" ns_lacks corral-p0
run_lxc lxc-attach -n net-phys -- sh -c "$NET_IFACES"
expect_eq "phys: corral-p0 is inside under its name" "corral-p0 lo " "$OUT"
run_lxc lxc-attach -n net-phys -- ip -o link show corral-p0
expect_match "phys: corral-p0 is up inside" '<([A-Z_]+,)*UP[,>]' "$OUT"
if [ -n "$PHYS_PEER" ]; then
  run_lxc lxc-attach -n net-phys -- ping -c 1 -W 2 10.213.2.1
  expect_eq "phys: the container reaches the device's peer in the caller's namespace" "0" "$RC"
fi
run_lxc lxc-stop -n net-phys -k
expect_eq "phys: stop: exit 0" "0" "$RC"
check "phys: corral-p0 is back in the caller's namespace after stop" wait_until 5 ns_has corral-p0
new_container net-phys2 "lxc.net.0.type = phys" "lxc.net.0.link = corral-p0" "lxc.net.0.name = eth7" \
  "lxc.net.0.mtu = 1280"
phys_mtu=$(ip -n "$NS" -o link show corral-p0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
run_execute net-phys2 -- sh -c "$NET_IFACES"
expect_eq "phys + name: exit 0 ($ERR)" "0" "$RC"
expect_eq "phys + name: the device is eth7 inside" "eth7 lo " "$OUT"
check "phys + name: back as corral-p0 after the container ends" wait_until 5 ns_has corral-p0
check "phys + name: no eth7 left in the caller's namespace" ns_lacks eth7
expect_eq "phys + mtu: its own MTU again once back" "$phys_mtu" \
  "$(ip -n "$NS" -o link show corral-p0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')"
net_clean "phys"

# --- macvlan, ipvlan, vlan ---------------------------------------------------
new_container net-mv "lxc.net.0.type = macvlan" "lxc.net.0.link = corral-m0" \
  "lxc.net.0.macvlan.mode = bridge" "lxc.net.0.name = mv0" "lxc.net.0.flags = up" \
  "lxc.net.0.hwaddr = 02:00:0a:d5:03:02" "lxc.net.0.ipv4.address = 10.213.3.2/24"
run_execute net-mv -- sh -c "$NET_IFACES; ip -o link show mv0; ping -c 1 -W 2 10.213.3.1 >/dev/null && echo pinged"
expect_eq "macvlan: exit 0 ($ERR)" "0" "$RC"
expect_eq "macvlan: mv0 inside" "lo mv0 " "$(sed -n 1p <<<"$OUT")"
expect_match "macvlan: mv0 is up with lxc.net.0.hwaddr" '<([A-Z_]+,)*UP[,>].*link/ether 02:00:0a:d5:03:02 ' "$(sed -n 2p <<<"$OUT")"
expect_eq "macvlan: reaches the parent's peer" "pinged" "$(sed -n 3p <<<"$OUT")"
check "macvlan: no mv0 in the caller's namespace" ns_lacks mv0
for mode in private vepa passthru; do
  new_container "net-mv-$mode" "lxc.net.0.type = macvlan" "lxc.net.0.link = corral-m0" \
    "lxc.net.0.macvlan.mode = $mode"
  run_execute "net-mv-$mode" -- sh -c "$NET_IFACES"
  expect_eq "macvlan mode $mode: eth0 inside ($ERR)" "eth0 lo " "$OUT"
  # The stop deleted the macvlan, not the kernel's later dismantling of the
  # namespace: corral-m0 is free at once for a passthru macvlan, which
  # needs it alone.
  check "macvlan mode $mode: corral-m0 free when lxc-execute returns" \
    ip -n "$NS" link add link corral-m0 name corral-pt type macvlan mode passthru
  ip -n "$NS" link del corral-pt 2>/dev/null
done
net_clean "macvlan"

# kernel_has TYPE ARGS...: whether this kernel makes such a device on corral-m0.
kernel_has() {
  if ip -n "$NS" link add link corral-m0 name corral-probe type "$@" 2>/dev/null; then
    ip -n "$NS" link del corral-probe
    return 0
  fi
  return 1
}
new_container net-ipvlan "lxc.net.0.type = ipvlan" "lxc.net.0.link = corral-m0" \
  "lxc.net.0.ipvlan.mode = l3" "lxc.net.0.name = ipv0" "lxc.net.0.flags = up" \
  "lxc.net.0.ipv4.address = 10.213.3.3/24"
run_execute net-ipvlan -- sh -c "$NET_IFACES"
if kernel_has ipvlan mode l3; then
  expect_eq "ipvlan: exit 0 ($ERR)" "0" "$RC"
  expect_eq "ipvlan: ipv0 inside" "ipv0 lo " "$OUT"
else
  # The kernel cannot make it: the start fails cleanly.
  expect_eq "ipvlan (not in this kernel): the start fails with exit 1" "1" "$RC"
  expect_match "ipvlan (not in this kernel): the error names the key and the reason" \
    "lxc\.net\.0\.type 'ipvlan'.*this kernel cannot make ipvlan interfaces \(no CONFIG_IPVLAN" "$ERR"
  check "ipvlan (not in this kernel): the type itself is supported" bash -c '! grep -q "not supported yet" <<<"$1"' _ "$ERR"
fi
new_container net-vlan "lxc.net.0.type = vlan" "lxc.net.0.link = corral-m0" \
  "lxc.net.0.vlan.id = 42" "lxc.net.0.name = vl42" "lxc.net.0.flags = up"
run_execute net-vlan -- sh -c "$NET_IFACES"
if kernel_has vlan id 42; then
  expect_eq "vlan: exit 0 ($ERR)" "0" "$RC"
  expect_eq "vlan: vl42 inside" "lo vl42 " "$OUT"
else
  expect_eq "vlan (not in this kernel): the start fails with exit 1" "1" "$RC"
  expect_match "vlan (not in this kernel): the error names the key and the reason" \
    "lxc\.net\.0\.type 'vlan'.*this kernel cannot make vlan interfaces \(no CONFIG_VLAN_8021Q" "$ERR"
  check "vlan (not in this kernel): the type itself is supported" bash -c '! grep -q "not supported yet" <<<"$1"' _ "$ERR"
fi
net_clean "ipvlan and vlan"

# --- script.up and script.down --------------------------------------------------
cat >"$WORK/net-script.sh" <<EOF
#!/bin/sh
echo "\$*" >>"$WORK/net-script.log"
EOF
chmod +x "$WORK/net-script.sh"
new_container net-scr "lxc.net.0.type = veth" "lxc.net.0.link = corral-br0" \
  "lxc.net.0.veth.pair = corral-vs" \
  "lxc.net.0.script.up = $WORK/net-script.sh" "lxc.net.0.script.down = $WORK/net-script.sh"
run_execute net-scr -- true
expect_eq "script.up/down: exit 0 ($ERR)" "0" "$RC"
log=$(cat "$WORK/net-script.log" 2>&1)
expect_match "script.up: called with NAME net up veth" '^net-scr net up veth( |$)' "$(sed -n 1p <<<"$log")"
expect_match "script.up: the last argument is the host end" ' corral-vs$' "$(sed -n 1p <<<"$log")"
expect_match "script.down: called with NAME net down veth" '^net-scr net down veth( |$)' "$(sed -n 2p <<<"$log")"
expect_eq "script.up/down: called once each" "2" "$(wc -l <<<"$log")"
net_clean "script.up and script.down"

# --- bridge VLANs of a veth host end ---------------------------------------------
# veth.vlan.id replaces the bridge's default untagged VLAN on the port, each
# veth.vlan.tagged.id is added tagged; the bridge must filter VLANs.
new_container net-vlan "lxc.net.0.type = veth" "lxc.net.0.veth.pair = corral-vv" \
  "lxc.net.0.veth.vlan.id = 10" "lxc.net.0.veth.vlan.tagged.id = 20" "lxc.net.0.veth.vlan.tagged.id = 30"
if ip -n "$NS" link add corral-brv type bridge vlan_filtering 1 2>/dev/null; then
  ip -n "$NS" link set corral-brv up
  echo "lxc.net.0.link = corral-brv" >>"$LXCPATH/net-vlan/config"
  run_lxc lxc-start -n net-vlan -- sleep 1000
  expect_eq "bridge VLANs: start: exit 0 ($ERR)" "0" "$RC"
  vlans=$(ip netns exec "$NS" bridge vlan show dev corral-vv | tr -s ' \t' ' ')
  expect_match "bridge VLANs: veth.vlan.id 10 is the port's PVID, untagged" ' 10 PVID Egress Untagged' "$vlans"
  expect_match "bridge VLANs: tagged 20" ' 20( |$)' "$vlans"
  expect_match "bridge VLANs: tagged 30" ' 30( |$)' "$vlans"
  check "bridge VLANs: the default VLAN 1 is gone from the port ($vlans)" bash -c '! grep -qE " 1( |$)" <<<"$1"' _ "$vlans"
  run_lxc lxc-stop -n net-vlan -k
  ip -n "$NS" link del corral-brv
else
  # This kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING):
  # the start fails, naming the key and the reason.
  echo "lxc.net.0.link = corral-br0" >>"$LXCPATH/net-vlan/config"
  run_execute net-vlan -- true
  expect_eq "bridge VLANs (not in this kernel): exit 1" "1" "$RC"
  expect_match "bridge VLANs (not in this kernel): names lxc.net.0.veth.vlan.id and why" \
    "lxc\.net\.0\.veth\.vlan\.id '10'.*no bridge VLAN filtering" "$ERR"
  check "bridge VLANs (not in this kernel): no host end left" ns_lacks corral-vv
fi
net_clean "bridge VLANs"

# --- start failures and refused settings ----------------------------------------
new_container net-nolink "lxc.init.cmd = /bin/sleep 1000" \
  "lxc.net.0.type = veth" "lxc.net.0.link = corral-nosuch" "lxc.net.0.veth.pair = corral-vn"
run_execute net-nolink -- true
expect_eq "missing link: lxc-execute exit 1" "1" "$RC"
expect_match "missing link: the error names lxc.net.0.link and the interface" 'lxc\.net\.0\.link.*corral-nosuch|corral-nosuch.*lxc\.net\.0\.link' "$ERR"
check "missing link: no corral-vn left" ns_lacks corral-vn
run_lxc lxc-start -n net-nolink
expect_eq "missing link: lxc-start exit 1" "1" "$RC"
check "missing link: STOPPED after lxc-start" state_is net-nolink STOPPED
net_clean "missing link"

# The second device fails: the first one's host end goes too.
new_container net-partial "lxc.init.cmd = /bin/sleep 1000" \
  "lxc.net.0.type = veth" "lxc.net.0.link = corral-br0" "lxc.net.0.veth.pair = corral-vp" \
  "lxc.net.1.type = veth" "lxc.net.1.link = corral-nosuch"
run_execute net-partial -- true
expect_eq "second device fails: lxc-execute exit 1" "1" "$RC"
expect_match "second device fails: the error names lxc.net.1.link" 'lxc\.net\.1\.link' "$ERR"
check "second device fails: the first's host end corral-vp is removed" wait_until 5 ns_lacks corral-vp
run_lxc lxc-start -n net-partial
expect_eq "second device fails: lxc-start exit 1" "1" "$RC"
check "second device fails (lxc-start): corral-vp is removed" wait_until 5 ns_lacks corral-vp
net_clean "second device fails"

new_container net-notbr "lxc.net.0.type = veth" "lxc.net.0.link = corral-m0" "lxc.net.0.veth.pair = corral-vn"
run_execute net-notbr -- true
expect_eq "link not a bridge: exit 1" "1" "$RC"
expect_match "link not a bridge: the error names lxc.net.0.link" 'lxc\.net\.0\.link' "$ERR"
net_clean "link not a bridge"

new_container net-dup1 "lxc.init.cmd = /bin/sleep 1000" \
  "lxc.net.0.type = veth" "lxc.net.0.link = corral-br0" "lxc.net.0.veth.pair = corral-vd" \
  "lxc.net.0.flags = up" "lxc.net.0.ipv4.address = 10.213.0.4/24"
new_container net-dup2 "lxc.init.cmd = /bin/sleep 1000" \
  "lxc.net.0.type = veth" "lxc.net.0.link = corral-br0" "lxc.net.0.veth.pair = corral-vd"
run_lxc lxc-start -n net-dup1
expect_eq "duplicate veth.pair: the first starts" "0" "$RC"
run_lxc lxc-start -n net-dup2
expect_eq "duplicate veth.pair: the second fails with exit 1" "1" "$RC"
run_execute net-dup2 -- true
expect_eq "duplicate veth.pair: lxc-execute exit 1" "1" "$RC"
expect_match "duplicate veth.pair: the error names lxc.net.0.veth.pair and the interface" \
  'lxc\.net\.0\.veth\.pair.*corral-vd|corral-vd.*lxc\.net\.0\.veth\.pair' "$ERR"
check "duplicate veth.pair: the second is STOPPED" state_is net-dup2 STOPPED
check "duplicate veth.pair: the first keeps running" state_is net-dup1 RUNNING
expect_match "duplicate veth.pair: the first's host end is still on the bridge" ' master corral-br0 ' "$(ns_link_line corral-vd)"
run_lxc lxc-attach -n net-dup1 -- ping -c 1 -W 2 10.213.0.1
expect_eq "duplicate veth.pair: the first still reaches the bridge" "0" "$RC"
expect_eq "duplicate veth.pair: one veth for the two" "$(echo $NS_VETHS corral-vd | tr ' ' '\n' | sort | tr '\n' ' ')" "$(ns_veths)"
run_lxc lxc-stop -n net-dup1 -k
check "duplicate veth.pair: corral-vd gone after stop" wait_until 5 ns_lacks corral-vd
net_clean "duplicate veth.pair"

# refused_setting DESC KEY LINES...: the start fails and the error names KEY.
refused_setting() {
  local what=$1 key=$2
  shift 2
  new_container net-refused "$@"
  run_execute net-refused -- true
  check "refused $what: the start fails (rc $RC)" test "$RC" != 0
  expect_match "refused $what: the error names $key" "${key//./\\.}" "$ERR"
  rm -rf "${LXCPATH:?}/net-refused"
}
veth=("lxc.net.0.type = veth" "lxc.net.0.link = corral-br0" "lxc.net.0.veth.pair = corral-vr")
refused_setting "veth.mode = router" lxc.net.0.veth.mode "${veth[@]}" "lxc.net.0.veth.mode = router"
refused_setting "l2proxy = 1" lxc.net.0.l2proxy "${veth[@]}" "lxc.net.0.l2proxy = 1"
refused_setting "ipvlan.isolation = private" lxc.net.0.ipvlan.isolation "lxc.net.0.type = ipvlan" \
  "lxc.net.0.link = corral-m0" "lxc.net.0.ipvlan.isolation = private"
net_clean "refused settings"

cat >"$WORK/net-fail.sh" <<EOF
#!/bin/sh
echo "\$*" >>"$WORK/net-fail.log"
exit 1
EOF
chmod +x "$WORK/net-fail.sh"
new_container net-upfail "lxc.init.cmd = /bin/sleep 1000" \
  "lxc.net.0.type = veth" "lxc.net.0.link = corral-br0" "lxc.net.0.veth.pair = corral-vf" \
  "lxc.net.0.script.up = $WORK/net-fail.sh"
run_execute net-upfail -- true
check "failing script.up: lxc-execute fails (rc $RC)" test "$RC" != 0
check "failing script.up: the script ran" test -s "$WORK/net-fail.log"
check "failing script.up: no corral-vf left" wait_until 5 ns_lacks corral-vf
run_lxc lxc-start -n net-upfail
expect_eq "failing script.up: lxc-start exit 1" "1" "$RC"
check "failing script.up: STOPPED after lxc-start" state_is net-upfail STOPPED
net_clean "failing script.up"

# --- the monitor killed ---------------------------------------------------------
new_container net-kill "lxc.init.cmd = /bin/sleep 1000" \
  "lxc.net.0.type = veth" "lxc.net.0.link = corral-br0" "lxc.net.0.veth.pair = corral-vk"
run_lxc lxc-start -n net-kill
expect_eq "monitor killed: start: exit 0 ($ERR)" "0" "$RC"
init=$(info net-kill -p -H)
monitor=
[[ $init =~ ^[0-9]+$ ]] && monitor=$(awk '{ print $4 }' "/proc/$init/stat" 2>/dev/null)
check "monitor killed: the host end exists while running" ns_has corral-vk
if [ -n "$monitor" ] && [ "$monitor" -gt 1 ]; then
  kill -KILL "$monitor"
  check "monitor killed: init dies with it" wait_until 5 proc_gone "$init"
  check "monitor killed: the host end corral-vk goes within 5 s" wait_until 5 ns_lacks corral-vk
  check "monitor killed: STOPPED" wait_until 5 state_is net-kill STOPPED
  sleep 1
  net_clean "monitor killed"
  remove_leftover_cgroups net-kill
else
  not_ok "monitor killed: found the monitor of init '$init'"
fi

finish_suite
