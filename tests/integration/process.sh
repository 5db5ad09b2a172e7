#!/usr/bin/env bash
# Process life cycle of real containers: exit codes, stdio, signal
# forwarding, reaping, daemon start/info/wait/stop, losing the monitor or
# init, and hooks (spec/runtime.md §1-§2, §5, §8-§10, §12; spec/cli.md §1-§6).
# usage: process.sh CORRAL_BINARY BUILD_DIR
. "$(dirname "$0")/lib.bash"
setup_suite "$1" "$2"
exec </dev/null # no tty on stdin, as under ctest: commands get plain fds
COMPAT=$(cd "$COMPAT" && pwd) # the hook test runs from another directory

ROOTFSMNT=/usr/lib/x86_64-linux-gnu/lxc/rootfs
now_ms() { echo $(($(date +%s%N) / 1000000)); }
info() { timeout 10 "$COMPAT/lxc-info" -P "$LXCPATH" -n "$@" 2>&1; }
state_is() { [ "$(info "$1" -s -H)" = "$2" ]; }
proc_gone() { [ ! -e "/proc/$1" ]; }

# start_execute_bg NAME CMD...: lxc-execute in the background, output in
# $WORK/NAME.out/.err; sets TOOL (timeout's pid) and MONITOR (lxc-execute).
start_execute_bg() {
  local name=$1
  shift
  timeout 10 "$COMPAT/lxc-execute" -P "$LXCPATH" -n "$name" -- "$@" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
  TOOL=$!
  MONITOR=
  wait_until 5 pgrep -P "$TOOL" >/dev/null && MONITOR=$(pgrep -P "$TOOL" | head -1)
}

# remove_leftover_cgroups NAME: after a failed check, so that one leak is
# reported once and not again by every later host check.
remove_leftover_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/lxc.{monitor,payload}."$1"{,-[0-9]*}; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  return 0
}

# --- exit codes --------------------------------------------------------------
new_container proc-exit
run_execute proc-exit -- true
expect_eq "exit: true gives 0" "0" "$RC"
run_execute proc-exit -- sh -c 'exit 7'
expect_eq "exit: exit 7 gives 7" "7" "$RC"
run_execute proc-exit -- sh -c 'kill -TERM $$; sleep 1; echo survived'
expect_eq "exit: kill -TERM \$\$ gives 143" "143" "$RC"
expect_eq "exit: the command died of SIGTERM" "" "$OUT"
run_execute proc-exit -- sh -c 'kill -KILL $$'
expect_eq "exit: kill -KILL \$\$ gives 137" "137" "$RC"
run_execute proc-exit -- sh -c 'kill -USR1 $$; sleep 1'
expect_eq "exit: kill -USR1 \$\$ gives 138" "138" "$RC"
run_execute proc-exit -- /no/such/command
expect_eq "exit: a missing command gives 255" "255" "$RC"
expect_match "exit: a missing command is reported on stderr" '/no/such/command' "$ERR"
# The command starts with the signal state of a normal process: LXC's shim
# restores the original mask and default handlers before exec.
run_execute proc-exit -- cat /proc/self/status
expect_eq "signals: nothing blocked in the command" "0000000000000000" "$(awk '$1 == "SigBlk:" { print $2 }' <<<"$OUT")"
expect_eq "signals: nothing ignored in the command" "0000000000000000" "$(awk '$1 == "SigIgn:" { print $2 }' <<<"$OUT")"
assert_host_clean "exit codes"

# --- stdio -------------------------------------------------------------------
new_container proc-io
run_execute proc-io -- cat < <(echo piped)
expect_eq "stdio: stdin pipe passes through" "piped" "$OUT"
OUT=$(echo piped | timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n proc-io -- cat 2>/dev/null)
expect_eq "stdio: echo piped | lxc-execute -- cat" "piped" "$OUT"
run_execute proc-io -- sh -c 'echo to-out; echo to-err >&2'
expect_eq "stdio: stdout" "to-out" "$OUT"
expect_eq "stdio: stderr stays separate" "to-err" "$ERR"
head -c 300000 /dev/urandom >"$WORK/blob"
OUT=$(timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n proc-io -- md5sum <"$WORK/blob" 2>/dev/null | cut -d' ' -f1)
expect_eq "stdio: 300 kB of binary stdin arrive intact" "$(md5sum <"$WORK/blob" | cut -d' ' -f1)" "$OUT"
timeout 20 "$COMPAT/lxc-execute" -P "$LXCPATH" -n proc-io -- cat <"$WORK/blob" >"$WORK/blob.out" 2>/dev/null
check "stdio: 300 kB of binary stdout arrive intact" cmp -s "$WORK/blob" "$WORK/blob.out"
assert_host_clean "stdio"

# --- signal forwarding -------------------------------------------------------
new_container proc-sig
start_execute_bg proc-sig sh -c 'trap "exit 42" USR1; echo ready; while :; do sleep 0.1; done'
if [ -n "$MONITOR" ] && wait_until 10 grep -q ready "$WORK/proc-sig.out"; then
  kill -USR1 "$MONITOR"
  wait "$TOOL"
  expect_eq "signals: SIGUSR1 to lxc-execute reaches the command (trap exits 42)" "42" "$?"
else
  not_ok "signals: the container came up ($(cat "$WORK/proc-sig.err"))"
  wait "$TOOL"
fi
start_execute_bg proc-sig sh -c 'echo ready; while :; do sleep 0.1; done'
if [ -n "$MONITOR" ] && wait_until 10 grep -q ready "$WORK/proc-sig.out"; then
  kill -TERM "$MONITOR"
  wait "$TOOL"
  expect_eq "signals: SIGTERM to lxc-execute ends the command (143)" "143" "$?"
else
  not_ok "signals: the container came up ($(cat "$WORK/proc-sig.err"))"
  wait "$TOOL"
fi
# lxc-stop's clean stop: pid 1 does not block SIGRTMIN+3 (an init that
# does is taken for systemd and sent that), so it gets SIGPWR and sends
# SIGTERM to everything; a command that traps it ends as it chooses.
start_execute_bg proc-sig sh -c 'trap "exit 22" TERM; echo ready; while :; do sleep 0.1; done'
if [ -n "$MONITOR" ] && wait_until 10 grep -q ready "$WORK/proc-sig.out"; then
  init=$(init_of "$MONITOR")
  check "signals: pid 1 does not block SIGRTMIN+3" \
    python3 -c 'import sys; sys.exit(int(sys.argv[1], 16) >> 36 & 1)' "$(awk '/^SigBlk:/ { print $2 }' "/proc/$init/status")"
  run_lxc lxc-stop -n proc-sig -t 5
  wait "$TOOL"
  expect_eq "signals: lxc-stop of an execute: the command's TERM trap runs (22)" "0 22" "$RC $?"
  start_execute_bg proc-sig sleep 100
  wait_until 5 init_of "$MONITOR" >/dev/null
  kill -s RTMIN+3 "$(init_of "$MONITOR")"
  wait "$TOOL"
  expect_eq "signals: SIGRTMIN+3 to pid 1 is forwarded to the command (165)" "165" "$?"
else
  not_ok "signals: the container came up ($(cat "$WORK/proc-sig.err"))"
  wait "$TOOL"
fi
assert_host_clean "signal forwarding"

# --- reaping -----------------------------------------------------------------
new_container proc-reap
# The inner sh leaves an orphan sleep behind; it is re-parented to init, which
# must reap it when it exits.
run_execute proc-reap -- sh -c 'sh -c "sleep 0.2 &"; sleep 1; cat /proc/[0-9]*/stat'
expect_eq "reaping: no zombie in the container after the orphan exited" "" \
  "$(awk '$3 == "Z" { print $1, $2 }' <<<"$OUT")"
run_execute proc-reap -- sh -c 'sh -c "sleep 0.2 &"; sleep 1; ps -o stat= -o comm='
expect_eq "reaping: ps shows no Z state" "" "$(awk '$1 ~ /^Z/' <<<"$OUT")"
# The shim waits for every child, so an orphan outliving the command delays
# the exit; the status is still the command's.
start=$(now_ms)
run_execute proc-reap -- sh -c 'sleep 1 & exit 3'
elapsed=$(($(now_ms) - start))
expect_eq "reaping: the command's status survives its orphans" "3" "$RC"
check "reaping: init waits for the orphan (${elapsed} ms)" test "$elapsed" -ge 900
assert_host_clean "reaping"

# --- daemon start, info, wait, stop ------------------------------------------
new_container proc-d "lxc.init.cmd = /bin/sleep 1000"
RUN_LXC_TIMEOUT=20
run_lxc lxc-start -n proc-d -p "$WORK/proc-d.pid"
expect_eq "start -d: exit 0" "0" "$RC"
expect_eq "start -d: prints nothing" "" "$OUT$ERR"
run_lxc lxc-info -n proc-d -s
expect_eq "info -s: RUNNING" "State:          RUNNING" "$OUT"
run_lxc lxc-info -n proc-d -p -H
init=$OUT
check "info -p -H: a pid ($init)" grep -qE '^[0-9]+$' <<<"$init"
expect_eq "info -p -H: the pid runs lxc.init.cmd" "/bin/sleep 1000" "$(tr '\0' ' ' <"/proc/$init/cmdline" 2>/dev/null | sed 's/ $//')"
expect_eq "info -p -H: it is pid 1 in the container" "1" "$(awk '/^NSpid:/ { print $NF }' "/proc/$init/status" 2>/dev/null)"
expect_eq "start -d: init's stdio is the container's /dev/null" "/dev/null /dev/null /dev/null" \
  "$(readlink "/proc/$init/fd/0" "/proc/$init/fd/1" "/proc/$init/fd/2" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
monitor=$(awk '{ print $4 }' "/proc/$init/stat" 2>/dev/null)
expect_eq "start -p: the pidfile holds the monitor (init's parent), no newline" "$monitor ${#monitor}" \
  "$(cat "$WORK/proc-d.pid" 2>&1) $(stat -c %s "$WORK/proc-d.pid" 2>&1)"
expect_eq "monitor: titled [lxc monitor] LXCPATH NAME" "[lxc monitor] $LXCPATH proc-d" \
  "$(tr '\0' ' ' <"/proc/$monitor/cmdline" 2>/dev/null | sed 's/ *$//')"
expect_eq "monitor: its name (comm) is lxc-start's, as LXC's (pgrep -x lxc-start)" "lxc-start" "$(cat "/proc/$monitor/comm" 2>&1)"
expect_eq "monitor: a session leader (setsid)" "$monitor" "$(sed 's/.*) //' "/proc/$monitor/stat" 2>/dev/null | awk '{ print $4 }')"
expect_eq "monitor: stdin is /dev/null" "/dev/null" "$(readlink "/proc/$monitor/fd/0")"
expect_eq "monitor: cwd is /" "/" "$(readlink "/proc/$monitor/cwd")"
# Once the start is reported the daemon monitor gives back the pages of
# corral's code it mapped for the start (util/resident.hpp); the few the
# info queries above ran come back. Resident: the Rss of its code mapping.
code_rss=$(awk -v exe="$(readlink "/proc/$monitor/exe")" '
  $1 ~ /^[0-9a-f]+-[0-9a-f]+$/ { code = ($2 ~ /^r-x/ && $6 == exe) }
  code && $1 == "Size:" { size = $2 } code && $1 == "Rss:" { rss = $2 }
  END { print rss + 0, size + 0 }' "/proc/$monitor/smaps" 2>/dev/null)
check "monitor: under 40 % of corral's code resident (KiB resident, mapped: ${code_rss:-?})" \
  test "$(awk '{ print ($2 > 0 && $1 * 10 < $2 * 4) }' <<<"$code_rss")" = 1
# The daemon monitor is born in the unified part of its cgroup (no move, so
# no RCU grace period) and enters the v1 parts itself; its janitor is born
# back in the tool's cgroup, so that it never keeps the monitor cgroup busy.
expect_eq "monitor: in lxc.monitor.proc-d in every hierarchy" "" \
  "$(grep -v ':/lxc.monitor.proc-d$' "/proc/$monitor/cgroup" 2>&1)"
janitor=$(pgrep -P "$monitor" | grep -vx "$init" | head -1)
expect_eq "janitor: in the tool's cgroups, not the monitor's" "$(cat /proc/self/cgroup)" \
  "$(cat "/proc/$janitor/cgroup" 2>&1)"
# It shares the monitor's memory (no copy of it is made), hence its
# command line; its name tells it apart.
expect_eq "janitor: named corral-janitor" "corral-janitor" "$(cat "/proc/$janitor/comm" 2>&1)"
expect_eq "janitor: the monitor's memory, so its command line" "$(tr '\0' ' ' <"/proc/$monitor/cmdline")" \
  "$(tr '\0' ' ' <"/proc/$janitor/cmdline" 2>&1)"
# corral info / ls --format json: the same facts as the text forms.
json_fields() { python3 -c 'import json, sys; d = json.load(sys.stdin); d = d[0] if isinstance(d, list) else d; print(" ".join(str(d[k]) for k in sys.argv[1:]))' "$@"; }
expect_eq "info --format json: name, state, pid" "proc-d RUNNING $init" \
  "$(timeout 10 "$CORRAL" info --format json -P "$LXCPATH" -n proc-d | json_fields name state pid 2>&1)"
expect_eq "info --format json -S: memory in bytes" "True" \
  "$(timeout 10 "$CORRAL" info --format json -S -P "$LXCPATH" -n proc-d | python3 -c 'import json, sys; print(json.load(sys.stdin)["stats"]["memory_bytes"] > 0)' 2>&1)"
expect_eq "ls --format json: one entry per container" "proc-d RUNNING $init False" \
  "$(timeout 10 "$CORRAL" ls --format json -P "$LXCPATH" --running | json_fields name state pid unprivileged 2>&1)"
OUT=$(timeout 10 "$CORRAL" ls --format yaml -P "$LXCPATH" 2>&1)
expect_eq "ls --format yaml: exit 2 and what it takes" "2 corral ls: --format takes 'text' or 'json'" "$? $OUT"
OUT=$(timeout 10 "$COMPAT/lxc-info" --format json -P "$LXCPATH" -n proc-d 2>&1)
expect_eq "lxc-info has no --format, as LXC's" "1" "$?"
if command -v lxc-info >/dev/null; then
  expect_eq "compat: LXC's lxc-info -s -H sees RUNNING" "RUNNING" "$(timeout 10 lxc-info -P "$LXCPATH" -n proc-d -s -H 2>&1)"
  expect_eq "compat: LXC's lxc-info -p -H sees the same pid" "$init" "$(timeout 10 lxc-info -P "$LXCPATH" -n proc-d -p -H 2>&1)"
else
  skip "compat: LXC's lxc-info is not installed"
fi
run_lxc lxc-start -n proc-d
expect_eq "start twice: exit 0" "0" "$RC"
expect_match "start twice: already running" 'already running' "$ERR"
run_execute proc-d -- true
expect_eq "execute while running: exit 1" "1" "$RC"
expect_match "execute while running: already running" 'already running' "$ERR"
start=$(now_ms)
run_lxc lxc-wait -n proc-d -s RUNNING -t 5
expect_eq "wait -s RUNNING -t 5: exit 0" "0" "$RC"
check "wait -s RUNNING: returns at once, not after -t" test "$(($(now_ms) - start))" -lt 3000
run_lxc lxc-wait -n proc-d -s 'STOPPED|FROZEN' -t 1
expect_eq "wait -s STOPPED -t 1 on a running container: exit 1" "1" "$RC"
# attach into the running container
run_lxc lxc-attach -n proc-d -- sh -c 'echo $$; hostname; tr "\0" " " </proc/1/cmdline'
expect_eq "attach: sees the container's pid and uts namespaces" $'2\nproc-d\n/bin/sleep 1000 ' "$OUT"
run_lxc lxc-attach -n proc-d -- sh -c 'exit 3'
expect_eq "attach: exit status passes through" "3" "$RC"
run_lxc lxc-attach -n proc-d -- /no/such/command
expect_eq "attach: a missing command gives 127" "127" "$RC"
OUT=$(echo piped | timeout 20 "$COMPAT/lxc-attach" -P "$LXCPATH" -n proc-d -- cat 2>/dev/null)
expect_eq "attach: stdin pipe passes through" "piped" "$OUT"
OUT=$(GONE=x KEPT=y timeout 20 "$COMPAT/lxc-attach" -P "$LXCPATH" -n proc-d --keep-env -v GONE -- \
  sh -c 'echo ${GONE-unset} $KEPT' 2>&1)
expect_eq "attach: -v NAME without = removes NAME (putenv)" "unset y" "$OUT"
run_lxc lxc-attach -n proc-d -- cat /proc/self/cgroup
# v1: the payload itself; cgroup2: its leaf .lxc, as LXC's.
expect_eq "attach: joins the payload cgroups (cgroup ns root; .lxc in cgroup2)" "0::/.lxc" \
  "$(grep -v ':/$' <<<"$OUT")"
# freeze / unfreeze (v1 freezer on this host)
run_lxc lxc-freeze -n proc-d
expect_eq "freeze: exit 0" "0" "$RC"
check "freeze: FROZEN" state_is proc-d FROZEN
freezer=$(awk -F: '$2 == "freezer" { print $3 }' "/proc/$init/cgroup" 2>/dev/null)
expect_eq "freeze: the payload's freezer.state" "FROZEN" "$(cat "/sys/fs/cgroup/freezer$freezer/freezer.state" 2>&1)"
run_lxc lxc-wait -n proc-d -s FROZEN -t 2
expect_eq "wait -s FROZEN: exit 0" "0" "$RC"
run_lxc lxc-unfreeze -n proc-d
expect_eq "unfreeze: exit 0" "0" "$RC"
check "unfreeze: RUNNING" state_is proc-d RUNNING
# The command socket against odd clients: one that sends part of a request
# and waits must not hold up the monitor; a state client that asks for a
# freeze on its own connection is told of FREEZING and answered.
OUT=$(timeout 30 python3 - "$LXCPATH/proc-d/command" "$COMPAT/lxc-info" "$LXCPATH" <<'PY' 2>&1
import socket, struct, subprocess, sys
address, info, lxcpath = sys.argv[1:]
def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect("\0" + address)
    return s
def state():
    r = subprocess.run([info, "-P", lxcpath, "-n", "proc-d", "-s", "-H"], capture_output=True, text=True, timeout=5)
    return r.stdout.strip()
def recv(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            break
        b += chunk
    return b
stalled = connect()
stalled.sendall(b"\x03\x00\x00")  # 3 of a request's 16 bytes, and no more
print("partial request:", state())
c = connect()
states = [0] * 8
states[5] = 1  # FREEZING
c.sendall(struct.pack("<iiQ", 10, 32, 0) + struct.pack("<8i", *states))
ret, _, slot = struct.unpack("<iiQ", recv(c, 16))
print("state client:", ret, slot)
c.sendall(struct.pack("<iiQ", 15, 0, 0))  # freeze, on the same connection
got = recv(c, 264)
print("told:", struct.unpack("<i256si", got)[2] if len(got) == 264 else got)
ret, _, _ = struct.unpack("<iiQ", recv(c, 16))
print("freeze answered:", ret, state())
stalled.close()
PY
)
expect_eq "command socket: odd clients" $'partial request: RUNNING\nstate client: 0 8\ntold: 5\nfreeze answered: 0 FROZEN' "$OUT"
# Another user is told EPERM, and cannot make the monitor hold more than 16
# of its connections open (nobody's 40 idle ones here).
if command -v setpriv >/dev/null && [ -x /usr/bin/python3 ]; then
  fds_before=$(ls "/proc/$monitor/fd" | wc -l)
  # (python3 by its system path: another user may not read root's own)
  timeout 30 setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 - "$LXCPATH/proc-d/command" \
    >"$WORK/nobody.out" 2>&1 <<'PY' &
import socket, struct, sys, time
def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect("\0" + sys.argv[1])
    return s
c = connect()
c.sendall(struct.pack("<iiQ", 3, 0, 0))  # get_state
b = c.recv(16)
print("other user:", struct.unpack("<iiQ", b)[0] if len(b) == 16 else "closed", flush=True)
idle = [connect() for _ in range(40)]
time.sleep(2)
PY
  nobody=$!
  sleep 1
  fds_during=$(ls "/proc/$monitor/fd" | wc -l)
  wait "$nobody"
  check "command socket: another user's idle connections held: $((fds_during - fds_before)) (at most 16)" \
    test "$((fds_during - fds_before))" -le 16
  expect_eq "command socket: another user is told EPERM" "other user: -1" "$(cat "$WORK/nobody.out")"
  check "command socket: the monitor still answers (FROZEN)" state_is proc-d FROZEN
else
  skip "command socket: another user (no setpriv or /usr/bin/python3 here)"
fi
run_lxc lxc-unfreeze -n proc-d
check "command socket: the monitor still answers (unfreeze)" state_is proc-d RUNNING
# A client that holds the console and does not read it (lxc-console
# suspended, say): what the container writes waits for it, without
# keeping the monitor busy; once it lets go, the monitor reads again.
OUT=$(timeout 30 python3 - "$LXCPATH/proc-d/command" "$COMPAT/lxc-attach" "$LXCPATH" "$monitor" <<'PY' 2>&1
import os, socket, struct, subprocess, sys, time
address, attach, lxcpath, monitor = sys.argv[1:]
def cpu_ticks():
    f = open("/proc/%s/stat" % monitor).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.settimeout(10)
c.connect("\0" + address)
c.sendall(struct.pack("<iiQ", 0, 0, 0))  # get_tty_fd 0: the console
msg, fds, _, _ = socket.recv_fds(c, 16, 1)
ret, _, slot = struct.unpack("<iiQ", msg)
print("console:", ret, slot, len(fds))
subprocess.run([attach, "-P", lxcpath, "-n", "proc-d", "--", "sh", "-c", "echo hello >/dev/console"], timeout=10, cwd="/")
before = cpu_ticks()
time.sleep(1)
print("monitor busy:", cpu_ticks() - before > 20)
print("waiting for the holder:", b"hello" in os.read(fds[0], 4096))
c.close()
time.sleep(0.2)
subprocess.run([attach, "-P", lxcpath, "-n", "proc-d", "--", "sh", "-c", "echo again >/dev/console"], timeout=10, cwd="/")
before = cpu_ticks()
time.sleep(0.5)
print("let go, monitor busy:", cpu_ticks() - before > 10)
PY
)
expect_eq "console holder not reading" $'console: 0 0 1\nmonitor busy: False\nwaiting for the holder: True\nlet go, monitor busy: False' "$OUT"
check "console holder not reading: the monitor still answers" state_is proc-d RUNNING
run_lxc lxc-ls --running
expect_eq "ls --running: the running container only" "proc-d" "$OUT"
janitor=$(pgrep -P "$monitor" -x corral-janitor)
run_lxc lxc-stop -n proc-d -k
expect_eq "stop -k: exit 0" "0" "$RC"
check "stop -k: init is gone when it returns" proc_gone "$init"
# The janitor drops the container's mount namespace as it exits: the
# monitor waits for that (and reaps it) before lxc-stop returns.
check "stop -k: the janitor ($janitor), and with it the container's mounts, is gone when it returns" \
  test -n "$janitor" -a ! -e "/proc/$janitor"
check "stop -k: the monitor is gone" wait_until 5 proc_gone "$monitor"
run_lxc lxc-info -n proc-d -s
expect_eq "info -s after stop: STOPPED" "State:          STOPPED" "$OUT"
run_lxc lxc-info -n proc-d -p
expect_eq "info -p after stop: nothing" "" "$OUT"
check "start -p: the pidfile is removed at exit" wait_until 5 test ! -e "$WORK/proc-d.pid"
run_lxc lxc-stop -n proc-d -k
expect_eq "stop -k on a stopped container: exit 2" "2" "$RC"
expect_match "stop -k on a stopped container: not running" 'proc-d is not running' "$ERR"
run_lxc lxc-wait -n proc-d -s STOPPED -t 5
expect_eq "wait -s STOPPED on a stopped container: exit 0" "0" "$RC"
run_lxc lxc-freeze -n proc-d
expect_eq "freeze a stopped container: exit 1" "1" "$RC"
run_lxc lxc-attach -n proc-d -- true
expect_eq "attach to a stopped container: exit 1" "1" "$RC"
run_lxc lxc-unfreeze -n proc-d
expect_eq "unfreeze a stopped container: exit 0" "0" "$RC"
run_lxc lxc-unfreeze -n proc-none
expect_eq "unfreeze a container that does not exist: exit 1" "1" "$RC"
run_lxc lxc-wait -n proc-d -s 'STOPPED|' -t 1
expect_eq "wait -s 'STOPPED|': the empty name is skipped" "0" "$RC"
run_lxc lxc-stop -n proc-d --rcfile "$WORK/no-such.conf"
expect_match "stop --rcfile of a missing file: exit 1, LXC's message" '^1 .*Failed to load rcfile$' "$RC $ERR"
run_lxc lxc-start -n proc-d -p "$WORK/no-such-dir/x.pid"
expect_eq "start -p into a missing directory: exit 1" "1" "$RC"
expect_match "start -p into a missing directory: says so" 'Failed to ensure pidfile .*no-such-dir/x.pid' "$ERR"
check "start -p into a missing directory: nothing started" state_is proc-d STOPPED
# A container started from another file (-f) has no configuration of its
# own to read keys from: each is invalid, as with LXC.
cp "$LXCPATH/proc-d/config" "$WORK/volatile.conf"
run_lxc lxc-start -n proc-volatile -f "$WORK/volatile.conf" -s lxc.group=live
run_lxc lxc-info -n proc-volatile -c lxc.uts.name
expect_eq "info -c of a container without a config file: exit 0, key invalid" "0 lxc.uts.name invalid" "$RC $ERR"
# lxc-ls shows a running container's own groups (here from -s), as LXC.
run_lxc lxc-ls -1 -g live
expect_eq "ls -g: the running container's groups" "proc-volatile" "$OUT"
run_lxc lxc-ls -f -F NAME,SWAP proc-volatile
expect_match "ls -f: SWAP of a running container is a size" 'proc-volatile +[0-9]+\.[0-9]{2}MB' "$OUT"
run_lxc lxc-stop -n proc-volatile -k -o "$WORK/stop.log"
expect_eq "-o FILE: made (0640) though nothing went wrong" "640" "$(stat -c %a "$WORK/stop.log" 2>&1)"
# A daemon monitor's errors after the start go to the start's log.
new_container proc-logstop "lxc.init.cmd = /bin/sleep 1000" "lxc.hook.stop = /bin/false"
(cd "$WORK" && run_lxc lxc-start -n proc-logstop -o start.log)
run_lxc lxc-stop -n proc-logstop -k
check "-o FILE: a daemon's failing stop hook is logged" wait_until 5 grep -q 'ERROR .*lxc.hook.stop' "$WORK/start.log"
assert_host_clean "daemon life cycle"

# Clean stop: sleep as init ignores SIGPWR (no handler in a pid namespace), so
# lxc-stop -t 1 falls back to a hard stop after a second.
run_lxc lxc-start -n proc-d
init=$(info proc-d -p -H)
start=$(now_ms)
run_lxc lxc-stop -n proc-d -t 1 --nokill
expect_eq "stop -t 1 --nokill: exit 1 when init ignores the halt signal" "1" "$RC"
check "stop --nokill: still running" state_is proc-d RUNNING
run_lxc lxc-stop -n proc-d -t 1
elapsed=$(($(now_ms) - start))
expect_eq "stop -t 1: exit 0 after the hard-stop fallback" "0" "$RC"
check "stop -t 1: STOPPED" state_is proc-d STOPPED
check "stop -t 1: init is gone" proc_gone "$init"
check "stop -t 1: took the timeouts, not more (${elapsed} ms)" test "$elapsed" -ge 1500 -a "$elapsed" -lt 8000
if command -v lxc-stop >/dev/null; then
  run_lxc lxc-start -n proc-d
  init=$(info proc-d -p -H)
  timeout 20 lxc-stop -P "$LXCPATH" -n proc-d -k >/dev/null 2>&1
  expect_eq "compat: LXC's lxc-stop -k stops a corral container" "0" "$?"
  check "compat: init gone after LXC's lxc-stop" wait_until 5 proc_gone "$init"
  check "compat: STOPPED after LXC's lxc-stop" wait_until 5 state_is proc-d STOPPED
else
  skip "compat: LXC's lxc-stop is not installed"
fi
assert_host_clean "clean stop"

# --- foreground start and start failures -------------------------------------
new_container proc-fg "lxc.console.path = none"
run_lxc lxc-start -n proc-fg -F -- sh -c 'echo fg; exit 3'
expect_eq "start -F: runs the command on the tool's stdio" "fg" "$OUT"
expect_eq "start -F: exit 0 whatever init's status" "0" "$RC"
# A foreground monitor is the tool's own process, so it cannot be born in
# its cgroup: it makes and enters lxc.monitor.NAME once the container has
# run for 50 ms, work (and, in cgroup2, a wait for an RCU grace period)
# that a shorter command never pays.
in_lxc_netns "$COMPAT/lxc-start" -P "$LXCPATH" -n proc-fg -F -- sleep 30 >/dev/null 2>&1 &
fg_tool=$!
check "start -F: RUNNING" wait_until 10 state_is proc-fg RUNNING
fg_monitor=$(awk '{ print $4 }' "/proc/$(info proc-fg -p -H)/stat" 2>/dev/null)
expect_match "start -F: the tool is the monitor" "lxc-start" "$(tr '\0' ' ' <"/proc/$fg_monitor/cmdline" 2>&1)"
in_monitor_cgroup() { ! grep -v ":/lxc.monitor.$1\$" "/proc/$2/cgroup"; }
check "start -F: the monitor is in lxc.monitor.proc-fg in every hierarchy a moment later" \
  wait_until 5 in_monitor_cgroup proc-fg "$fg_monitor"
run_lxc lxc-stop -n proc-fg -k
wait "$fg_tool"
check "start -F: STOPPED after lxc-stop -k" state_is proc-fg STOPPED
# A command that ends sooner never has a monitor cgroup made for it (only
# the monitor is traced, so that the command runs at full speed).
if command -v strace >/dev/null; then
  in_lxc_netns timeout 20 strace -qq -o "$WORK/short.strace" -e trace=mkdir \
    "$COMPAT/lxc-execute" -P "$LXCPATH" -n proc-fg -- true
  expect_eq "short execute: the monitor made the payload cgroups and no monitor cgroup" "payload" \
    "$(grep -o 'lxc\.[a-z]*\.proc-fg' "$WORK/short.strace" | cut -d. -f2 | sort -u | tr '\n' ' ' | sed 's/ $//')"
else
  skip "short execute: no strace here"
fi
# The v1 payload is made while init mounts (mkdirat, raw system calls in the
# monitor): one that fails there ends the start with the path and errno,
# init stopped and everything made removed. Only on a host with v1
# hierarchies (lines of /proc/self/cgroup other than "0::").
if ! grep -qv '^0::' /proc/self/cgroup; then
  skip "v1 payload failing while init mounts: no v1 hierarchy here"
elif command -v strace >/dev/null; then
  OUT=$(in_lxc_netns timeout 20 strace -qq -o /dev/null -e trace=mkdirat -e inject=mkdirat:error=EACCES:when=2 \
    "$COMPAT/lxc-execute" -P "$LXCPATH" -n proc-fg -- echo started 2>"$WORK/v1.err")
  RC=$?
  check "v1 payload failing while init mounts: the start fails (rc $RC, out '$OUT')" test "$RC" = 1 -a -z "$OUT"
  expect_match "v1 payload failing while init mounts: the error names the step, cgroup and errno" \
    "step create-cgroups: creating the payload cgroup .lxc.payload.proc-fg. in the v1 hierarchies: mkdir ./sys/fs/cgroup/[^ ]*/lxc.payload.proc-fg.: Permission denied" \
    "$(cat "$WORK/v1.err")"
  assert_host_clean "v1 payload failing while init mounts"
else
  skip "v1 payload failing while init mounts: no strace here"
fi
run_lxc lxc-start -n proc-fg -- /no/such/init
expect_eq "start -d of a missing init: exit 1" "1" "$RC"
expect_match "start -d of a missing init: the container failed to start" 'The container failed to start' "$ERR"
check "start -d of a missing init: STOPPED" state_is proc-fg STOPPED
# With an explicit name, the monitor cgroup is made while init runs its
# first steps, as LXC makes it before the start: when it cannot be made
# (the name exists), init is killed and the payload cgroup removed all the
# same.
taken=/sys/fs/cgroup/pids/lxc.monitor.proc-clash-taken
mkdir "$taken"
new_container proc-clash "lxc.cgroup.dir.monitor = lxc.monitor.proc-clash-taken" \
  "lxc.cgroup.dir.container = lxc.payload.proc-clash"
run_execute proc-clash -- true
rmdir "$taken"
expect_eq "monitor cgroup clash: exit 1" "1" "$RC"
expect_match "monitor cgroup clash: names the step, the path and the errno" \
  'step create-cgroups: creating the monitor cgroup `lxc.monitor.proc-clash-taken`: mkdir `/sys/fs/cgroup/pids/lxc.monitor.proc-clash-taken`: File exists' "$ERR"
# (a cgroup can only be removed once no process is left in it)
check "monitor cgroup clash: no payload cgroup left" test ! -e /sys/fs/cgroup/pids/lxc.payload.proc-clash
# A daemon monitor's cgroup is made before the monitor exists (it is born in
# it): the same clash fails the start with the same message.
mkdir "$taken"
run_lxc lxc-start -n proc-clash -d
rmdir "$taken"
expect_eq "monitor cgroup clash, daemon: exit 1" "1" "$RC"
expect_match "monitor cgroup clash, daemon: names the step, the path and the errno" \
  'step create-cgroups: creating the monitor cgroup `lxc.monitor.proc-clash-taken`: mkdir `/sys/fs/cgroup/pids/lxc.monitor.proc-clash-taken`: File exists' "$ERR"
check "monitor cgroup clash, daemon: STOPPED" state_is proc-clash STOPPED
assert_host_clean "foreground start and start failures"

# --- losing the monitor or init ----------------------------------------------
run_lxc lxc-start -n proc-d
init=$(info proc-d -p -H)
monitor=$(awk '{ print $4 }' "/proc/$init/stat" 2>/dev/null)
if [ -n "$monitor" ] && [ "$monitor" -gt 1 ]; then
  kill -KILL "$monitor"
  check "monitor SIGKILLed: init dies with it" wait_until 5 proc_gone "$init"
  check "monitor SIGKILLed: STOPPED" wait_until 5 state_is proc-d STOPPED
  sleep 1
  assert_host_clean "monitor killed"
  remove_leftover_cgroups proc-d
  run_lxc lxc-start -n proc-d
  expect_eq "monitor SIGKILLed: the container starts again" "0" "$RC"
  check "monitor SIGKILLed: and runs" state_is proc-d RUNNING
  run_lxc lxc-stop -n proc-d -k
else
  not_ok "monitor SIGKILLed: found the monitor of init $init"
fi
assert_host_clean "restart after a killed monitor"

# With lxc.init.uid/gid, init's change of ids clears its parent-death
# signal; corral sets it again, so init dies with a killed monitor even
# when no janitor is there to clean up (stopped here until the end).
new_container proc-ids "lxc.init.cmd = /bin/sleep 1000" "lxc.init.uid = 1000" "lxc.init.gid = 1000"
run_lxc lxc-start -n proc-ids
init=$(info proc-ids -p -H)
monitor=$(awk '{ print $4 }' "/proc/$init/stat" 2>/dev/null)
janitor=$(pgrep -P "$monitor" -x corral-janitor)
if [ -n "$janitor" ] && [ -n "$monitor" ] && [ "$monitor" -gt 1 ]; then
  expect_eq "monitor SIGKILLed, init with ids of its own: init runs as 1000" "1000" \
    "$(awk '$1 == "Uid:" { print $2 }' "/proc/$init/status" 2>&1)"
  kill -STOP "$janitor"
  kill -KILL "$monitor"
  check "monitor SIGKILLed, init with ids of its own: init dies with it, the janitor stopped" \
    wait_until 5 proc_gone "$init"
  kill -CONT "$janitor"
  check "monitor SIGKILLed, init with ids of its own: STOPPED" wait_until 10 state_is proc-ids STOPPED
  wait_until 10 proc_gone "$janitor"
  kill -KILL "$init" 2>/dev/null
  sleep 1
  assert_host_clean "monitor killed, init with ids of its own"
  remove_leftover_cgroups proc-ids
else
  not_ok "monitor SIGKILLed, init with ids of its own: found the monitor ($monitor) and janitor ($janitor) of init $init"
  run_lxc lxc-stop -n proc-ids -k
fi

# A monitor killed in its post-stop hooks has removed the cgroups already:
# its janitor (stopped here meanwhile) must leave alone the container
# started again under the same names.
printf '#!/bin/sh\ntouch "%s"\nsleep 2\n' "$WORK/poststop.running" >"$WORK/poststop.sh"
chmod +x "$WORK/poststop.sh"
new_container proc-poststop "lxc.init.cmd = /bin/sleep 1000" "lxc.hook.post-stop = $WORK/poststop.sh"
run_lxc lxc-start -n proc-poststop
init=$(info proc-poststop -p -H)
monitor=$(awk '{ print $4 }' "/proc/$init/stat" 2>/dev/null)
janitor=$(pgrep -P "$monitor" -x corral-janitor)
if [ -n "$janitor" ]; then
  kill -STOP "$janitor"
  timeout 20 "$COMPAT/lxc-stop" -P "$LXCPATH" -n proc-poststop -k >/dev/null 2>&1 &
  stopper=$!
  check "monitor SIGKILLed in its post-stop hook: the hook runs" wait_until 5 test -e "$WORK/poststop.running"
  check "monitor SIGKILLed in its post-stop hook: its cgroups are gone" \
    test ! -e /sys/fs/cgroup/pids/lxc.payload.proc-poststop -a ! -e /sys/fs/cgroup/lxc.payload.proc-poststop
  kill -KILL "$monitor"
  wait "$stopper"
  run_lxc lxc-start -n proc-poststop
  init2=$(info proc-poststop -p -H)
  kill -CONT "$janitor"
  wait_until 10 proc_gone "$janitor"
  sleep 0.5
  check "monitor SIGKILLed in its post-stop hook: the restarted container outlives the old janitor" \
    test -n "$init2" -a -e "/proc/$init2"
  check "monitor SIGKILLed in its post-stop hook: RUNNING" state_is proc-poststop RUNNING
  run_lxc lxc-stop -n proc-poststop -k
  sleep 2  # the killed monitor's hook
else
  not_ok "monitor SIGKILLed in its post-stop hook: found the janitor of monitor $monitor"
  run_lxc lxc-stop -n proc-poststop -k
fi
remove_leftover_cgroups proc-poststop
assert_host_clean "monitor killed in its post-stop hook"

# The janitor only watches while the monitor lives: the monitor removes
# every cgroup itself at the stop, so a janitor killed or stopped changes
# nothing there (the stop does not wait for it).
# janitor_test WHAT SIGNAL: starts proc-d, sends SIGNAL to its janitor,
# stops proc-d; TOOK is how long the stop took, in seconds.
janitor_test() {
  local what=$1 signal=$2 init monitor janitor
  run_lxc lxc-start -n proc-d
  init=$(info proc-d -p -H)
  monitor=$(awk '{ print $4 }' "/proc/$init/stat" 2>/dev/null)
  janitor=$(pgrep -P "$monitor" -x corral-janitor)
  [ -n "$janitor" ] || not_ok "janitor $what: found the janitor of monitor $monitor"
  [ -z "$janitor" ] || kill "-$signal" "$janitor"
  SECONDS=0
  run_lxc lxc-stop -n proc-d -k
  TOOK=$SECONDS
  [ -z "$janitor" ] || kill -CONT "$janitor" 2>/dev/null
  expect_eq "janitor $what: the stop succeeds" "0 " "$RC $ERR"
}
janitor_test SIGKILLed KILL
assert_host_clean "janitor killed, container stopped"
janitor_test stopped STOP
check "janitor stopped: the stop did not wait for it ($TOOK s)" test "$TOOK" -le 5
assert_host_clean "janitor stopped, container stopped"

# A payload that cannot be removed (a file system mounted on a cgroup
# below it): the foreground monitor prints the error once; the command's
# exit status stays. The
# tool runs in a mount namespace of its own, where the test mounts: other
# suites running meanwhile compare the host's mount table.
new_container proc-busy
unshare -m --propagation private timeout 10 "$COMPAT/lxc-execute" -P "$LXCPATH" -n proc-busy -- sleep 2 \
  </dev/null >"$WORK/proc-busy.out" 2>"$WORK/proc-busy.err" &
TOOL=$!
MONITOR= init=
wait_until 5 pgrep -P "$TOOL" >/dev/null && MONITOR=$(pgrep -P "$TOOL" | head -1)
[ -n "$MONITOR" ] && wait_until 5 init_of "$MONITOR" >/dev/null && init=$(init_of "$MONITOR")
# payload_dir_of INIT: init's payload cgroup in the v1 pids hierarchy, else
# in cgroup2; fails until init is in it.
payload_dir_of() {
  local p
  if p=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$1/cgroup" 2>/dev/null | grep lxc.payload); then
    echo "/sys/fs/cgroup/pids$p"
  elif p=$(awk -F: '$1 == 0 { print $3 }' "/proc/$1/cgroup" 2>/dev/null | grep lxc.payload); then
    if [ -d /sys/fs/cgroup/unified ]; then echo "/sys/fs/cgroup/unified$p"; else echo "/sys/fs/cgroup$p"; fi
  else
    return 1
  fi
}
busy=
if [ -n "$init" ] && wait_until 5 payload_dir_of "$init" >/dev/null; then
  busy="$(payload_dir_of "$init")/busy"
  mkdir "$busy" && nsenter -t "$MONITOR" -m mount -t tmpfs corral-test "$busy" || busy=
fi
wait "$TOOL"
rc=$?
if [ -n "$busy" ]; then
  expect_eq "payload not removable: the command's exit status stays" 0 "$rc"
  check "payload not removable: the error names the busy cgroup ($(cat "$WORK/proc-busy.err"))" \
    grep -q "rmdir .$busy.*busy" "$WORK/proc-busy.err"
  check "payload not removable: reported once" test "$(grep -c "$busy" "$WORK/proc-busy.err")" = 1
  rmdir "$busy"  # its mount went with the tool's mount namespace
else
  not_ok "payload not removable: made a busy cgroup below init's payload (init ${init:-not found})"
fi
remove_leftover_cgroups proc-busy
assert_host_clean "payload not removable"

# The container's mount tree is taken down by the janitor as it exits (the
# monitor hands it the namespace with its goodbye), not in init's exit nor
# the tool's: a moment after the tool returns, nobody holds that namespace
# any more.
mnt_ns_free() {
  local link
  for link in /proc/[0-9]*/ns/mnt /proc/[0-9]*/fd/*; do
    [ "$(readlink "$link" 2>/dev/null)" != "$1" ] || return 1
  done
}
mntns=$(timeout 10 "$COMPAT/lxc-execute" -P "$LXCPATH" -n proc-d -- readlink /proc/self/ns/mnt 2>&1)
check "mount namespace: the container had its own ($mntns)" \
  test -n "$mntns" -a "$mntns" != "$(readlink /proc/self/ns/mnt)"
check "mount namespace: released by everyone after the stop" wait_until 5 mnt_ns_free "$mntns"

# The monitor killed half-way through the start (by a start-host hook, the
# last thing it runs before init does): its janitor, which exists from the
# moment the cgroups do, removes them; the setup process dies with it.
cat >"$WORK/kill-monitor" <<'EOF'
#!/bin/sh
kill -KILL "$PPID"
EOF
chmod +x "$WORK/kill-monitor"
new_container proc-midstart "lxc.hook.start-host = $WORK/kill-monitor" "lxc.net.0.type = empty"
run_lxc lxc-start -n proc-midstart
check "monitor SIGKILLed during the start: lxc-start fails" test "$RC" != 0
janitor_done() { [ "$(host_snapshot)" = "$BEFORE" ]; }
check "monitor SIGKILLed during the start: no cgroup, process or mount left" wait_until 10 janitor_done
assert_host_clean "monitor killed during the start"

# Killed earlier still: the daemon monitor is born in its cgroup, before it
# has a janitor. strace kills it at its first act (setsid); the process that
# made the cgroup for it and waits for the janitor removes it.
if command -v strace >/dev/null; then
  timeout 20 strace -f -o /dev/null -e trace=setsid -e inject=setsid:signal=SIGKILL \
    "$COMPAT/lxc-start" -P "$LXCPATH" -n proc-midstart 2>"$WORK/birth.err"
  RC=$?
  ERR=$(cat "$WORK/birth.err")
  check "monitor SIGKILLed at birth: lxc-start fails" test "$RC" != 0
  expect_match "monitor SIGKILLed at birth: says so" 'the monitor ended before the container started' "$ERR"
  assert_host_clean "monitor killed at birth"
else
  skip "monitor SIGKILLed at birth: no strace here"
fi

run_lxc lxc-start -n proc-d
init=$(info proc-d -p -H)
monitor=$(awk '{ print $4 }' "/proc/$init/stat" 2>/dev/null)
kill -KILL "$init"
check "init SIGKILLed: the monitor exits" wait_until 5 proc_gone "$monitor"
check "init SIGKILLed: STOPPED" wait_until 5 state_is proc-d STOPPED
assert_host_clean "init killed"
remove_leftover_cgroups proc-d

# lxc-execute: killing the shim (init) ends the tool with status 1.
new_container proc-shim
start_execute_bg proc-shim sh -c 'echo ready; while :; do sleep 0.1; done'
if [ -n "$MONITOR" ] && wait_until 10 grep -q ready "$WORK/proc-shim.out"; then
  run_lxc lxc-info -n proc-shim -p -H  # init: the monitor's other child is its janitor
  kill -KILL "$OUT"
  wait "$TOOL"
  expect_eq "execute: the shim SIGKILLed gives exit 1" "1" "$?"
else
  not_ok "execute: the container came up ($(cat "$WORK/proc-shim.err"))"
  wait "$TOOL"
fi
assert_host_clean "shim killed"

# --- hooks -------------------------------------------------------------------
cat >"$WORK/hook.sh" <<EOF
#!/bin/sh
{
  echo "type=\${LXC_HOOK_TYPE:-\$3} args=\$* cwd=\$(pwd)"
  echo "  LXC_NAME=\$LXC_NAME LXC_ROOTFS_MOUNT=\$LXC_ROOTFS_MOUNT LXC_CONFIG_FILE=\$LXC_CONFIG_FILE"
  echo "  LXC_ROOTFS_PATH=\$LXC_ROOTFS_PATH LXC_PID=\${LXC_PID:-unset} LXC_TARGET=\${LXC_TARGET:-unset} section=\${LXC_HOOK_SECTION:-unset}"
  [ -z "\$LXC_MNT_NS" ] || echo "  mnt-ns=\$(readlink "\$LXC_MNT_NS") net-ns=\$(readlink "\$LXC_NET_NS")"
  echo "  in-monitor-cgroup=\$(grep -c ":/lxc.monitor.\$LXC_NAME\\\$" /proc/self/cgroup)/\$(wc -l </proc/self/cgroup)"
} >>"$WORK/hooks.log"
EOF
chmod +x "$WORK/hook.sh"
hook_lines() { for t in pre-start start-host stop post-stop; do echo "lxc.hook.$t = $WORK/hook.sh"; done; }
mapfile -t HOOKS < <(hook_lines)
new_container proc-hook "${HOOKS[@]}"
rm -f "$WORK/hooks.log"
(cd "$WORK" && run_execute proc-hook -- sh -c 'echo ran; { readlink /proc/self/ns/mnt; readlink /proc/self/ns/net; } >/ns' &&
  echo "$OUT" >"$WORK/hook.out")
log=$(cat "$WORK/hooks.log" 2>/dev/null)
expect_eq "hooks: the command ran" "ran" "$(cat "$WORK/hook.out" 2>/dev/null)"
expect_eq "hooks: order pre-start, start-host, stop, post-stop" "pre-start start-host stop post-stop" \
  "$(grep -o '^type=[a-z-]*' <<<"$log" | cut -d= -f2 | tr '\n' ' ' | sed 's/ $//')"
expect_match "hooks: pre-start v0 args and cwd = the tool's" "^type=pre-start args=proc-hook lxc pre-start cwd=$WORK\$" "$log"
expect_match "hooks: start-host v0 args" '^type=start-host args=proc-hook lxc start-host ' "$log"
expect_match "hooks: stop v0 args add the namespaces" \
  '^type=stop args=proc-hook lxc stop mnt:/proc/[0-9]+/fd/[0-9]+ pid:/proc/[0-9]+/fd/[0-9]+ uts:/proc/[0-9]+/fd/[0-9]+ ipc:/proc/[0-9]+/fd/[0-9]+ net:/proc/[0-9]+/fd/[0-9]+ cgroup:/proc/[0-9]+/fd/[0-9]+ ' "$log"
expect_match "hooks: post-stop v0 args" '^type=post-stop args=proc-hook lxc post-stop ' "$log"
# They are the container's: what its command saw in /proc/self/ns.
{ read -r mnt_ns; read -r net_ns; } <"$LXCPATH/proc-hook/rootfs/ns"
# The post-stop hooks come after the monitor let go of them, as with LXC:
# their LXC_*_NS name descriptors that are closed (or reused) by then.
expect_eq "hooks: stop gets the container's namespaces (LXC_MNT_NS, LXC_NET_NS), post-stop no longer" \
  "  mnt-ns=$mnt_ns net-ns=$net_ns|other" \
  "$(grep '^  mnt-ns=' <<<"$log" | sed -n 1p)|$(grep '^  mnt-ns=' <<<"$log" | sed -n 2p | grep -qF "mnt-ns=$mnt_ns " && echo same || echo other)"
env_line="  LXC_NAME=proc-hook LXC_ROOTFS_MOUNT=$ROOTFSMNT LXC_CONFIG_FILE=$LXCPATH/proc-hook/config"
check "hooks: every hook sees LXC_NAME, LXC_ROOTFS_MOUNT, LXC_CONFIG_FILE" \
  test "$(grep -cxF -- "$env_line" <<<"$log")" = 4
check "hooks: every hook sees LXC_ROOTFS_PATH without dir:" \
  test "$(grep -c "^  LXC_ROOTFS_PATH=$LXCPATH/proc-hook/rootfs " <<<"$log")" = 4
check "hooks: LXC_PID unset in pre-start" bash -c 'sed -n 3p <<<"$1" | grep -q "LXC_PID=unset"' _ "$log"
check "hooks: LXC_PID set in start-host, stop, post-stop" \
  test "$(grep -cE 'LXC_PID=[0-9]+ ' <<<"$log")" = 3
check "hooks: LXC_TARGET=stop in stop and post-stop" test "$(grep -c 'LXC_TARGET=stop ' <<<"$log")" = 2
# A start that fails in the container's setup (a mount hook) or in the
# monitor (start-host) gives its stop hook the namespaces all the same.
for failing in mount start-host; do
  new_container "proc-fail-$failing" "lxc.hook.$failing = /bin/false" "lxc.hook.stop = $WORK/hook.sh"
  rm -f "$WORK/hooks.log"
  run_execute "proc-fail-$failing" -- true
  check "hooks: a failing $failing hook fails the start (rc $RC), the stop hook gets the namespaces" \
    bash -c '[ "$1" = 1 ] && grep -qE "^type=stop args=proc-fail-$2 lxc stop mnt:/proc/[0-9]+/fd/[0-9]+ pid:" <<<"$3" &&
      grep -qE "^  mnt-ns=mnt:\[[0-9]+\] net-ns=net:\[[0-9]+\]" <<<"$3" &&
      ! grep -qF -e "mnt-ns=$(readlink /proc/self/ns/mnt) " -e "net-ns=$(readlink /proc/self/ns/net)" <<<"$3"' \
    _ "$RC" "$failing" "$(cat "$WORK/hooks.log" 2>&1)"
done
# As in LXC, a monitor that runs such hooks makes and enters its cgroup
# during the start; pre-start comes before the cgroups, post-stop after
# they are gone.
n=$(wc -l </proc/self/cgroup)
expect_eq "hooks: start-host and stop run in the monitor cgroup everywhere, pre-start and post-stop outside it" \
  "0/$n $n/$n $n/$n 0/$n" \
  "$(grep -o 'in-monitor-cgroup=[0-9/]*' <<<"$log" | cut -d= -f2 | tr '\n' ' ' | sed 's/ $//')"

new_container proc-hook1 "lxc.hook.version = 1" "lxc.hook.pre-start = $WORK/hook.sh extra words"
rm -f "$WORK/hooks.log"
run_execute proc-hook1 -- true
expect_match "hooks v1: no standard args, extras kept, LXC_HOOK_TYPE" '^type=pre-start args=extra words cwd=' \
  "$(cat "$WORK/hooks.log" 2>/dev/null)"
expect_match "hooks v1: LXC_HOOK_SECTION=lxc" 'section=lxc$' "$(cat "$WORK/hooks.log" 2>/dev/null)"
new_container proc-hook0x "lxc.hook.pre-start = $WORK/hook.sh extra"
rm -f "$WORK/hooks.log"
run_execute proc-hook0x -- true
expect_match "hooks v0: extra words come before the standard args" '^type=[a-z-]+ args=extra proc-hook0x lxc pre-start ' \
  "$(cat "$WORK/hooks.log" 2>/dev/null)"
assert_host_clean "hooks"

new_container proc-hook-fail "lxc.hook.pre-start = /bin/false" "lxc.hook.start-host = $WORK/hook.sh"
rm -f "$WORK/hooks.log"
run_execute proc-hook-fail -- sh -c 'echo ran'
check "failing pre-start: non-zero exit ($RC)" test "$RC" != 0
expect_eq "failing pre-start: the command did not run" "" "$OUT"
check "failing pre-start: later hooks did not run" test ! -e "$WORK/hooks.log"
check "failing pre-start: reported on stderr" test -n "$ERR"
run_lxc lxc-start -n proc-hook-fail -- sleep 100
expect_eq "failing pre-start (daemon): exit 1" "1" "$RC"
check "failing pre-start (daemon): STOPPED" state_is proc-hook-fail STOPPED
assert_host_clean "failing pre-start hook"
new_container proc-hook-fail2 "lxc.hook.start-host = /bin/false"
run_execute proc-hook-fail2 -- sh -c 'echo ran'
check "failing start-host: non-zero exit ($RC)" test "$RC" != 0
expect_eq "failing start-host: the command did not run" "" "$OUT"
assert_host_clean "failing start-host hook"

# lxc.console.path naming a host device: the console pty's other end is
# proxied to it (here a pty pair the test holds), in both directions, also
# by a daemon monitor; a device that cannot be opened fails the start.
new_container proc-condev "lxc.init.cmd = /con.sh"
cat >"$LXCPATH/proc-condev/rootfs/con.sh" <<'EOF'
#!/bin/sh
# For a while nobody holds the console open (a pty then reports a hang-up,
# which must not end the monitor's proxying); then it is held open
# throughout, as a getty does: input that arrives while nobody has the
# console open is dropped by the tty.
exec </dev/null >/dev/null 2>&1
sleep 0.5
exec </dev/console >/dev/console
echo hello-console
read line
echo got:$line
exec sleep 1000
EOF
chmod +x "$LXCPATH/proc-condev/rootfs/con.sh"
OUT=$(timeout 40 python3 - "$COMPAT" "$LXCPATH" <<'EOF' 2>&1
import os, select, subprocess, sys, time
compat, lxcpath = sys.argv[1:]
master, slave = os.openpty()
start = subprocess.run([compat + "/lxc-start", "-P", lxcpath, "-n", "proc-condev",
                        "-s", "lxc.console.path=" + os.ttyname(slave)], capture_output=True, text=True)
print("start", start.returncode, start.stderr.strip())
seen = b""
def wait_for(text):
    global seen
    end = time.time() + 15
    while text not in seen and time.time() < end:
        if select.select([master], [], [], 0.2)[0]:
            seen += os.read(master, 4096)
    return text in seen
print("out", wait_for(b"hello-console"))
os.write(master, b"ping\n")
print("in", wait_for(b"got:ping"))
print("seen", seen)
EOF
)
expect_eq "console device: the start succeeds" "start 0 " "$(sed -n 1p <<<"$OUT")"
expect_eq "console device: the container's output reaches it" "out True" "$(sed -n 2p <<<"$OUT")"
expect_eq "console device: its input reaches the container" "in True" "$(sed -n 3p <<<"$OUT")"
[ "$(sed -n 3p <<<"$OUT")" = "in True" ] || echo "    $(sed -n 4p <<<"$OUT")"
run_lxc lxc-stop -n proc-condev -k
run_lxc lxc-start -n proc-condev -s lxc.console.path=/dev/no-such-tty
expect_eq "console device missing: exit 1" "1" "$RC"
expect_match "console device missing: names the path and errno" \
  'open the console device \(lxc.console.path\) `/dev/no-such-tty`: No such file or directory' "$ERR"
run_lxc lxc-start -n proc-condev -s lxc.console.path=/dev/null
expect_match "console device not a terminal: exit 1, says so" \
  '^1 .*console device \(lxc.console.path\) is not a terminal: `/dev/null`' "$RC $ERR"
assert_host_clean "console device"

# --- terminals -----------------------------------------------------------------
# Under script(1) the tool's stdio is a terminal: the console pty then stands
# in for it. As LXC's, init has a session but no controlling terminal; under
# execute the shim gives the command the terminal, so /dev/tty opens.
new_container proc-tty
OUT=$(script -qec "timeout 20 $COMPAT/lxc-execute -P $LXCPATH -n proc-tty -- sh -c 'echo hi >/dev/tty && echo tty-ok; cut -d\" \" -f7 /proc/1/stat'" /dev/null 2>&1 | tr -d '\r')
expect_eq "terminal: execute's command has the terminal, pid 1 has none" $'hi\ntty-ok\n0' "$OUT"
OUT=$(script -qec "timeout 20 $COMPAT/lxc-start -P $LXCPATH -n proc-tty -F -- sh -c 'cut -d\" \" -f7 /proc/self/stat'" /dev/null 2>&1 | tr -d '\r')
expect_eq "terminal: a foreground init has no controlling terminal" "0" "$OUT"
# The console, init's stdio, is given to lxc.init.uid (mode 0700, group
# kept), so that init can reopen it, as LXC does.
new_container proc-tty-uid "lxc.init.uid = 1000" "lxc.init.gid = 1000" "lxc.pty.max = 4" "lxc.autodev = 1" \
  "lxc.init.cmd = /bin/sleep 1000"
run_lxc lxc-start -n proc-tty-uid
init=$(info proc-tty-uid -p -H)
expect_eq "terminal: the console is init's user's" "1000 5 700" "$(stat -L -c '%u %g %a' "/proc/$init/fd/0" 2>&1)"
run_lxc lxc-attach -n proc-tty-uid -u 1000 -g 1000 -- sh -c 'echo reopened >/dev/console && echo console-ok'
expect_eq "terminal: init's user can reopen /dev/console" "console-ok" "$OUT"
# lxc-attach on a terminal: the pty replaces only the fds that are
# terminals, as LXC's; redirected and piped ones stay the command's own.
attach="timeout --foreground 20 $COMPAT/lxc-attach -P $LXCPATH -n proc-tty-uid"
script -qec "$attach -- sh -c 'echo out; echo err >&2' >$WORK/att.out 2>$WORK/att.err" /dev/null >/dev/null 2>&1
expect_eq "terminal: attach >file 2>file keeps them apart" "out|err" "$(cat "$WORK/att.out")|$(cat "$WORK/att.err")"
OUT=$(script -qec "echo piped | $attach -- cat; echo rc=\$?" /dev/null 2>&1 | tr -d '\r')
expect_eq "terminal: a piped stdin reaches the command, which ends" $'piped\nrc=0' "$OUT"
# A command that lets go of the pty and goes on: the proxy waits, idle.
OUT=$(script -qec "bash -c 'TIMEFORMAT=%3U+%3S; time $attach -- sh -c \"exec >/dev/null 2>&1 </dev/null; sleep 1\"'" /dev/null 2>&1 | tr -d '\r')
check "terminal: attach idles while the command no longer holds the pty (cpu $OUT s)" \
  python3 -c 'import sys; u, s = sys.argv[1].split("+"); sys.exit(float(u) + float(s) > 0.3)' "$OUT"
run_lxc lxc-stop -n proc-tty-uid -k
assert_host_clean "terminals"

# A hook's stdin is /dev/null, and no other descriptor of it is left open.
new_container proc-hookfd "lxc.hook.version = 1" \
  "lxc.hook.pre-start = /usr/bin/find /proc/self/fd -lname /dev/null -fprint $WORK/nullfds"
run_execute proc-hookfd -- true
# (Descriptors this script inherited and passes on are the hook's too.)
expect_eq "hooks: /dev/null as stdin, no other descriptor of it left open" \
  "$(find /proc/$$/fd -lname /dev/null | sed "s|/proc/$$/|/proc/self/|" | sort)" "$(sort "$WORK/nullfds" 2>&1)"

# The hooks the child runs get lxc.environment, and the start hook
# container_ttys, the ttys bound to /dev/ttyN, as LXC's (spec §9).
printf '#!/bin/sh\necho "$LXC_HOOK_TYPE HOOKVAR=$HOOKVAR ttys=$container_ttys" >>"$1"\n' >"$WORK/envhook.sh"
chmod +x "$WORK/envhook.sh"
new_container proc-hookenv "lxc.init.cmd = /bin/sleep 1000" "lxc.hook.version = 1" "lxc.environment = HOOKVAR=x" \
  "lxc.tty.max = 2" "lxc.hook.mount = $WORK/envhook.sh $WORK/hookenv.log" "lxc.hook.start = /envhook.sh /hookenv.log"
cp "$WORK/envhook.sh" "$LXCPATH/proc-hookenv/rootfs/envhook.sh"
run_lxc lxc-start -n proc-hookenv
expect_eq "hooks in the child: lxc.environment, and container_ttys in the start hook" \
  "mount HOOKVAR=x ttys= | start HOOKVAR=x ttys=pts/0 pts/1" \
  "$(cat "$WORK/hookenv.log" 2>&1) | $(cat "$LXCPATH/proc-hookenv/rootfs/hookenv.log" 2>&1)"
# With lxc.pty.max 0 the devpts instance made for the ttys is not left
# mounted (their binds keep them), as LXC's.
run_lxc lxc-attach -n proc-hookenv -- sh -c 'grep -c " /dev/pts " /proc/self/mountinfo; test -c /dev/tty2 && echo tty2'
expect_eq "lxc.pty.max = 0: no /dev/pts, the ttys bound" $'0\ntty2' "$OUT"
run_lxc lxc-stop -n proc-hookenv -k
assert_host_clean "hook environment"

# --- reboot --------------------------------------------------------------------
# lxc-stop -r sends lxc.signal.reboot (SIGINT); this init answers with
# reboot(2), which the kernel turns into its death by SIGHUP; the monitor
# tears down (LXC_TARGET=reboot) and starts the container again.
new_container proc-reboot "lxc.init.cmd = /rb.sh" "lxc.hook.stop = $WORK/hook.sh" "lxc.hook.version = 1"
cat >"$LXCPATH/proc-reboot/rootfs/rb.sh" <<'EOF'
#!/bin/sh
trap 'reboot -f' INT
echo boot >>/boots
while :; do sleep 0.1; done
EOF
chmod +x "$LXCPATH/proc-reboot/rootfs/rb.sh"
rm -f "$WORK/hooks.log"
run_lxc lxc-start -n proc-reboot
init=$(info proc-reboot -p -H)
monitor=$(awk '{ print $4 }' "/proc/$init/stat" 2>/dev/null)
run_lxc lxc-stop -n proc-reboot -r -t 10
expect_eq "reboot: exit 0" "0" "$RC"
init2=$(info proc-reboot -p -H)
check "reboot: a new init ($init -> $init2)" test -n "$init2" -a "$init2" != "$init"
expect_eq "reboot: the same monitor" "$monitor" "$(awk '{ print $4 }' "/proc/$init2/stat" 2>/dev/null)"
expect_eq "reboot: RUNNING" "State:          RUNNING" "$(info proc-reboot -s)"
expect_eq "reboot: init ran twice" $'boot\nboot' "$(cat "$LXCPATH/proc-reboot/rootfs/boots" 2>&1)"
check "reboot: the stop hook saw LXC_TARGET=reboot" grep -q 'LXC_TARGET=reboot ' "$WORK/hooks.log"
expect_eq "reboot: the payload cgroup is init's again" "/lxc.payload.proc-reboot" \
  "$(awk -F: '$2 == "pids" { print $3 }' "/proc/$init2/cgroup" 2>/dev/null)"
# A console held across a reboot is the old container's: the new one's is
# free for the next client, and the monitor is not kept busy meanwhile.
OUT=$(timeout 40 python3 - "$LXCPATH/proc-reboot/command" "$COMPAT/lxc-stop" "$LXCPATH" "$monitor" <<'PY' 2>&1
import socket, struct, subprocess, sys, time
address, stop, lxcpath, monitor = sys.argv[1:]
def cpu_ticks():
    f = open("/proc/%s/stat" % monitor).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
def console():
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(10)
    c.connect("\0" + address)
    c.sendall(struct.pack("<iiQ", 0, 0, 0))  # get_tty_fd 0
    msg, fds, _, _ = socket.recv_fds(c, 16, 1)
    return c, struct.unpack("<iiQ", msg)[0]
held, ret = console()
print("held:", ret)
r = subprocess.run([stop, "-P", lxcpath, "-n", "proc-reboot", "-r", "-t", "10"], capture_output=True, timeout=20, cwd="/")
print("rebooted:", r.returncode)
before = cpu_ticks()
time.sleep(1)
print("monitor busy:", cpu_ticks() - before > 20)
again, ret = console()
print("console free again:", ret)
PY
)
expect_eq "reboot with the console held" $'held: 0\nrebooted: 0\nmonitor busy: False\nconsole free again: 0' "$OUT"
run_lxc lxc-stop -n proc-reboot -r -W
expect_eq "reboot -W: exit 0 at once" "0" "$RC"
check "reboot -W: init ran a fourth time" wait_until 5 \
  bash -c '[ "$(grep -c boot "$1")" = 4 ]' _ "$LXCPATH/proc-reboot/rootfs/boots"
# Each start has its janitor; those of the earlier starts are reaped.
expect_eq "reboots: no zombie janitor left under the monitor" "" \
  "$(ps --ppid "$monitor" -o stat= -o comm= | awk '$1 ~ /^Z/')"
run_lxc lxc-stop -n proc-reboot -k
expect_eq "stop -k after reboots: exit 0" "0" "$RC"
check "stop -k after reboots: the monitor is gone" wait_until 5 proc_gone "$monitor"
# An init that does not reboot: lxc-stop -r gives up after -t.
new_container proc-noreboot "lxc.init.cmd = /bin/sleep 1000"
run_lxc lxc-start -n proc-noreboot
run_lxc lxc-stop -n proc-noreboot -r -t 1
expect_eq "reboot ignored by init: exit 1 after -t" "1" "$RC"
expect_match "reboot ignored by init: says so" 'proc-noreboot did not reboot within 1 seconds' "$ERR"
run_lxc lxc-stop -n proc-noreboot -k
# A failing stop hook does not cancel a reboot (a post-stop one does), as
# with LXC (spec/runtime.md §8.2 steps 4 and 6).
new_container proc-rbhook "lxc.init.cmd = /rb.sh" "lxc.hook.stop = /bin/false"
cp "$LXCPATH/proc-reboot/rootfs/rb.sh" "$LXCPATH/proc-rbhook/rootfs/rb.sh"
run_lxc lxc-start -n proc-rbhook
init=$(info proc-rbhook -p -H)
run_lxc lxc-stop -n proc-rbhook -r -t 10
init2=$(info proc-rbhook -p -H)
check "reboot with a failing stop hook: rebooted all the same (exit $RC, init $init -> $init2)" \
  test "$RC" = 0 -a -n "$init2" -a "$init2" != "$init"
run_lxc lxc-stop -n proc-rbhook -k
# The post-stop hooks run once the container is STOPPED for its clients
# (the command socket closed), so that one may ask, or start it again.
cat >"$WORK/poststate.sh" <<EOF
#!/bin/sh
timeout 5 "$COMPAT/lxc-info" -P "$LXCPATH" -n proc-poststate -s -H >"$WORK/poststop.state" 2>&1
echo "rc=\$?" >>"$WORK/poststop.state"
EOF
chmod +x "$WORK/poststate.sh"
new_container proc-poststate "lxc.init.cmd = /bin/sleep 1000" "lxc.hook.post-stop = $WORK/poststate.sh"
run_lxc lxc-start -n proc-poststate
run_lxc lxc-stop -n proc-poststate -k
# lxc-stop returns then too, as LXC's, while the hook may still run.
wait_until 10 grep -q rc= "$WORK/poststop.state"
expect_eq "post-stop hook: lxc-info answers STOPPED at once" $'STOPPED\nrc=0' "$(cat "$WORK/poststop.state" 2>&1)"
check "post-stop hook: the monitor is gone once it ends" wait_until 5 bash -c '! pgrep -f "lxc monitor. $1 proc-poststate"' _ "$LXCPATH"
assert_host_clean "reboot"

finish_suite
