#!/usr/bin/env bash
# Runs every fuzz target of BUILD_DIR for SECONDS each, starting from the
# seed corpus in tests/cases; fails on any crash, sanitizer report or hang.
set -euo pipefail
build=$1
seconds=${2:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
# Leaks inside libseccomp itself are not the targets' (see the file).
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
status=0
passed=0
failed=0
for target in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  seeds="$top/tests/cases/${name#fuzz_}"
  work=$(mktemp -d)
  [ -d "$seeds" ] && cp "$seeds"/* "$work"/ 2>/dev/null || true
  echo "fuzzing $name for ${seconds}s"
  if "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
       -artifact_prefix="$work/" "$work" >"$work/log" 2>&1; then
    passed=$((passed + 1))
    grep -E "^#[0-9]+.*DONE" "$work/log" | tail -1 || true
    rm -rf "$work"
  else
    failed=$((failed + 1))
    status=1
    tail -40 "$work/log"
    echo "fuzz target $name failed; artifacts kept in $work"
  fi
done
echo "fuzz: $passed passed, $failed failed"
exit $status
