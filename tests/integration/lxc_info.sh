#!/usr/bin/env bash
# The lxc-info personality's configuration queries (-c KEY): output format,
# exit codes and messages of LXC 5.0.2 (spec/cli.md §4). When the real
# lxc-info is installed, the same commands are also run through it and the
# outputs must be identical.
# usage: lxc_info.sh CORRAL_BINARY BUILD_DIR
set -u
info="$2/lxc-compat/lxc-info"
[ -x "$info" ] || { echo "no $info"; exit 1; }
lxcpath=$(mktemp -d /tmp/corral-lxc-info-XXXXXX)
trap 'rm -rf "$lxcpath"' EXIT
passed=0
failed=0

mkdir -p "$lxcpath/c1" "$lxcpath/bad"
cat > "$lxcpath/c1/config" <<'CONF'
lxc.uts.name = web
lxc.tty.max = 010
lxc.environment = A=1
lxc.environment = B=2
lxc.idmap = u 0 100000 65536
lxc.idmap = g 0 100000 65536
lxc.rootfs.path = dir:/srv//web/rootfs/
lxc.signal.halt = SIGPWR
CONF
printf 'lxc.uts.name = ok\nlxc.utsname = old\n' > "$lxcpath/bad/config"

# check NAME EXPECTED_STATUS EXPECTED_STDOUT EXPECTED_STDERR ARGS...
check() {
  local name=$1 want_status=$2 want_out=$3 want_err=$4
  shift 4
  local out err status
  out=$("$info" "$@" 2>"$lxcpath/stderr")
  status=$?
  err=$(cat "$lxcpath/stderr")
  if [ "$status" = "$want_status" ] && [ "$out" = "$want_out" ] && { [ "$want_err" = "*" ] || [ "$err" = "$want_err" ]; }; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL %s\n  status %s (want %s)\n  stdout: %q\n  want:   %q\n  stderr: %q\n  want:   %q\n' \
      "$name" "$status" "$want_status" "$out" "$want_out" "$err" "$want_err"
  fi
  # The real LXC, when present, must print the same.
  if command -v lxc-info >/dev/null && [ "$want_err" != "*" ]; then
    local lout lstatus
    lout=$(lxc-info "$@" 2>/dev/null)
    lstatus=$?
    if [ "$lout" = "$out" ] && [ "$lstatus" = "$status" ]; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      printf 'DIFF vs lxc-info %s\n  corral: %q (%s)\n  lxc:    %q (%s)\n' "$name" "$out" "$status" "$lout" "$lstatus"
    fi
  fi
}

check scalar 0 "lxc.uts.name = web" "" -P "$lxcpath" -n c1 -c lxc.uts.name
check octal 0 "lxc.tty.max = 8" "" -P "$lxcpath" -n c1 -c lxc.tty.max
check list 0 $'lxc.environment = A=1\nB=2' "" -P "$lxcpath" -n c1 -c lxc.environment
check joined 0 $'lxc.idmap = u 0 100000 65536\ng 0 100000 65536' "" -P "$lxcpath" -n c1 -c lxc.idmap
check path 0 "lxc.rootfs.path = /srv/web/rootfs" "" -P "$lxcpath" -n c1 -c lxc.rootfs.path
check signal 0 "lxc.signal.halt = 30" "" -P "$lxcpath" -n c1 -c lxc.signal.halt
check several 0 $'lxc.uts.name = web\nlxc.tty.max = 8' "" -P "$lxcpath" -n c1 -c lxc.uts.name -c lxc.tty.max
check humanize-off 0 "web" "" -P "$lxcpath" -n c1 -H -c lxc.uts.name
# State, pid, ips and stats come first, the keys last; -c does not count
# against -H's bare value of a single -s/-p/-i.
check state-then-key 0 $'State:          STOPPED\nlxc.uts.name = web' "" -P "$lxcpath" -n c1 -c lxc.uts.name -s
check bare-state-and-key 0 $'STOPPED\nweb' "" -P "$lxcpath" -n c1 -H -c lxc.uts.name -s
check bare-state-and-keys 0 $'STOPPED\nlxc.uts.name = web\nlxc.tty.max = 8' "" -P "$lxcpath" -n c1 -H -s \
  -c lxc.uts.name -c lxc.tty.max
check name-as-argument 0 "lxc.uts.name = web" "" -P "$lxcpath" c1 -c lxc.uts.name
check unset 0 "lxc.init.cmd =" "" -P "$lxcpath" -n c1 -c lxc.init.cmd
check invalid-key 0 "" "lxc.bogus invalid" -P "$lxcpath" -n c1 -c lxc.bogus
check missing 1 "" "nope doesn't exist" -P "$lxcpath" -n nope -c lxc.uts.name
check bad-config 1 "" "*" -P "$lxcpath" -n bad -c lxc.uts.name
check version 0 "5.0.2" "" --version
check no-name 1 "" "lxc-info: No container name specified" -P "$lxcpath" -c lxc.uts.name
# corral explains why the config does not load, then says what LXC says.
err=$("$info" -P "$lxcpath" -n bad -c lxc.uts.name 2>&1 >/dev/null)
if [[ "$err" == *"config:2:1: error: unknown key 'lxc.utsname'"* && "$err" == *"Failed to load config for bad"* ]]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL bad-config-message: $err"
fi

echo "lxc-info: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
