#!/usr/bin/env bash
# The lxc-info personality's configuration queries (-c KEY), and lxc-ls on
# stopped containers (the plain listing without a terminal, -1, name
# filters, -g, the --fancy columns): output format, exit codes and messages
# of LXC 5.0.2 (spec/cli.md §4, §9). When the real tools are installed, the
# same commands also run through them and the outputs must be identical.
# Running containers are listed and queried in process.sh.
# usage: lxc_info.sh CORRAL_BINARY BUILD_DIR
set -u
compat="$2/lxc-compat"
[ -x "$compat/lxc-info" ] || { echo "no $compat/lxc-info"; exit 1; }
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

# run_check TOOL NAME EXPECTED_STATUS EXPECTED_STDOUT EXPECTED_STDERR ARGS...:
# lxc-TOOL with no terminal on stdin, stdout or stderr.
run_check() {
  local tool=$1 name=$2 want_status=$3 want_out=$4 want_err=$5
  shift 5
  local out err status
  out=$("$compat/lxc-$tool" "$@" </dev/null 2>"$lxcpath/stderr")
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
  if command -v "lxc-$tool" >/dev/null && [ "$want_err" != "*" ]; then
    local lout lstatus
    lout=$("lxc-$tool" "$@" </dev/null 2>/dev/null)
    lstatus=$?
    if [ "$lout" = "$out" ] && [ "$lstatus" = "$status" ]; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      printf 'DIFF vs lxc-%s %s\n  corral: %q (%s)\n  lxc:    %q (%s)\n' "$tool" "$name" "$out" "$status" "$lout" "$lstatus"
    fi
  fi
}
check() { run_check info "$@"; }

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
err=$("$compat/lxc-info" -P "$lxcpath" -n bad -c lxc.uts.name 2>&1 >/dev/null)
if [[ "$err" == *"config:2:1: error: unknown key 'lxc.utsname'"* && "$err" == *"Failed to load config for bad"* ]]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL bad-config-message: $err"
fi

# lxc-ls, in a directory of its own.
lspath="$lxcpath/ls"
for name in alpha beta long-name-gamma; do
  mkdir -p "$lspath/$name"
  echo "lxc.uts.name = $name" >"$lspath/$name/config"
done
printf 'lxc.group = web\nlxc.group = onboot\nlxc.start.auto = 1\n' >>"$lspath/beta/config"
check_ls() {
  local name=$1 want_status=$2 want_out=$3
  shift 3
  run_check ls "$name" "$want_status" "$want_out" "" -P "$lspath" "$@"
}
# Without a terminal each name is padded to the longest, one per line.
check_ls plain 0 $'alpha          \nbeta           \nlong-name-gamma'
check_ls one-per-line 0 $'alpha\nbeta\nlong-name-gamma' -1
check_ls filter 0 'long-name-gamma' -1 'g.m'
check_ls filter-option 0 $'alpha\nbeta' -1 --filter '^[ab]'
check_ls invalid-regex 0 '' -1 '['
check_ls n-is-ignored 0 $'alpha\nbeta\nlong-name-gamma' -1 -n alpha
check_ls two-positionals-no-filter 0 $'alpha\nbeta\nlong-name-gamma' -1 alpha beta
check_ls group 0 'beta' -1 -g web
check_ls groups-all-of 0 '' -1 -g web,db
check_ls empty-group-any-group 0 'beta' -1 -g ''
check_ls fancy-stopped 0 $'NAME            STATE   AUTOSTART GROUPS      IPV4 IPV6 UNPRIVILEGED \nalpha           STOPPED 0         -           -    -    false        \nbeta            STOPPED 1         web, onboot -    -    false        \nlong-name-gamma STOPPED 0         -           -    -    false        ' -f
check_ls ram-swap-width 0 $'NAME  RAM    SWAP   \nalpha -      -      ' -f -F NAME,RAM,SWAP alpha

echo "lxc-info, lxc-ls: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
