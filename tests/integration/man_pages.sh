#!/usr/bin/env bash
# The manual pages built from man/*.scd:
# - every page exists in the build and renders with `man -l` without a single
#   groff warning;
# - corral.conf(5) has a key-reference entry for every key that
#   `corral config keys` lists;
# - corral-config(1) covers every sub-command of `corral config` and every
#   option of each;
# - corral-lxc-compat(7) has a section for every lxc-* link of the build and
#   mentions every option that the tool's --help lists;
# - the samples in corral-config(1) (marked "; sample: NAME") are exactly
#   what corral prints today.
# usage: man_pages.sh CORRAL_BINARY BUILD_DIR
set -u
corral=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")  # absolute: the samples run elsewhere
build=$2
src=$(cd "$(dirname "$0")/../.." && pwd)

for tool in man groff; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: '$tool' is not installed (Debian packages man-db and groff-base)"
    exit 77
  fi
done

work=$(mktemp -d /tmp/corral-man-pages-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  printf 'FAIL %s\n' "$1"
  [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/  /'
  return 0
}

# Renders a page as plain text; groff's warnings (-ww) go to $work/warnings.
render() {
  LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat PAGER=cat MAN_DISABLE_SECCOMP=1 \
    man -l --warnings=w "$1" 2>"$work/warnings"
}

# ---- every page builds and renders cleanly ------------------------------------
pages=()
for scd in "$src"/man/*.scd; do
  page=$(basename "$scd" .scd)
  built="$build/man/$page"
  if [ ! -s "$built" ]; then
    fail "$page: not built" "expected $built (from man/$page.scd)"
    continue
  fi
  pages+=("$page")
  if ! render "$built" >"$work/$page.txt"; then
    fail "$page: man -l failed" "$(cat "$work/warnings")"
  elif [ -s "$work/warnings" ]; then
    fail "$page: groff warnings" "$(cat "$work/warnings")"
  elif [ ! -s "$work/$page.txt" ]; then
    fail "$page: renders as nothing"
  else
    pass
  fi
done
[ ${#pages[@]} -gt 0 ] || fail "no page found under $src/man"

# The rendered text of a page, one line per line, leading blanks removed.
text_of() { sed 's/^[[:space:]]*//' "$work/$1.txt" 2>/dev/null; }

# ---- corral.conf(5): one entry per key ------------------------------------------
"$corral" config keys >"$work/keys" || fail "corral config keys failed"
grep -v '^[[:space:]]' "$work/keys" | sort -u >"$work/key-names"
[ -s "$work/key-names" ] || fail "corral config keys listed no key"
text_of corral.conf.5 | sort -u >"$work/conf-lines"
missing=$(comm -23 "$work/key-names" "$work/conf-lines")
if [ -n "$missing" ]; then
  fail "corral.conf.5: keys without an entry in KEY REFERENCE" "$missing"
else
  pass
fi

# ---- corral-config(1): every sub-command and option ---------------------------------
text_of corral-config.1 >"$work/config-text"
subs=$("$corral" config --help | awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }')
[ -n "$subs" ] || fail "corral config --help lists no sub-command"
for sub in $subs; do
  if grep -qE "^$sub( |$)" "$work/config-text"; then pass; else fail "corral-config.1: no entry for '$sub'"; fi
  for opt in $("$corral" config "$sub" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    [ "$opt" = "--help" ] && continue
    if grep -qF -- "$opt" "$work/config-text"; then pass; else fail "corral-config.1: '$sub $opt' is not described"; fi
  done
done

# ---- corral-lxc-compat(7): every LXC personality and its options -------------------
text_of corral-lxc-compat.7 >"$work/compat-text"
tools=0
for link in "$build"/lxc-compat/*; do
  [ -e "$link" ] || continue
  tools=$((tools + 1))
  tool=$(basename "$link")
  heading=$(printf '%s' "$tool" | tr '[:lower:]' '[:upper:]')
  if grep -qx -- "$heading" "$work/compat-text"; then pass; else fail "corral-lxc-compat.7: no section $heading"; fi
  for opt in $("$link" --help 2>&1 >/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    if grep -qF -- "$opt" "$work/compat-text"; then pass; else fail "corral-lxc-compat.7: $tool $opt is not described"; fi
  done
done
[ "$tools" -gt 0 ] || fail "no lxc-* link under $build/lxc-compat"

# ---- the samples in corral-config(1) are real -----------------------------------
# Prints the literal block that follows "; sample: NAME", with scdoc's
# backslash escapes undone.
sample() {
  awk -v name="$1" '
    $0 == "; sample: " name { want = 1; next }
    want && $0 == "```" { if (inside) exit; inside = 1; next }
    inside { print }
  ' "$src/man/corral-config.1.scd" | sed 's/\\\(.\)/\1/g'
}

# same NAME WANT GOT
same() {
  if [ "$2" = "$3" ]; then
    pass
  else
    fail "$1 (update man/corral-config.1.scd)" "$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3"))"
  fi
}

for name in errors-input errors-output include-config include-console include-output \
            lint-config lint-fstab lint-seccomp lint-output; do
  [ -n "$(sample "$name")" ] || fail "corral-config.1: sample '$name' is missing or empty"
done

cases="$src/tests/cases/config"
same "sample errors-input matches tests/cases/config/002_errors.conf" \
  "$(sample errors-input)" "$(cat "$cases/002_errors.conf")"
got=$(cd "$cases" && "$corral" config check 002_errors.conf 2>&1 >"$work/stdout")
status=$?
same "sample errors-output matches corral config check" "$(sample errors-output)" "$got"
if [ "$status" = 1 ] && [ ! -s "$work/stdout" ]; then
  pass
else
  fail "corral config check 002_errors.conf: status $status (want 1), stdout: $(cat "$work/stdout")"
fi

# The include sample names /var/lib/lxc/web1; build it under $work instead.
mkdir -p "$work/web1"
sample include-config | sed "s#/var/lib/lxc#$work#g" >"$work/web1/config"
sample include-console | sed "s#/var/lib/lxc#$work#g" >"$work/web1/console.conf"
got=$("$corral" config check "$work/web1/config" 2>&1 >/dev/null | sed "s#$work#/var/lib/lxc#g")
same "sample include-output matches corral config check" "$(sample include-output)" "$got"

# The lint sample: warnings only, so the check still succeeds.
sample lint-config | sed "s#/var/lib/lxc#$work#g" >"$work/web1/config"
sample lint-fstab >"$work/web1/fstab"
sample lint-seccomp >"$work/web1/seccomp"
got=$("$corral" config check "$work/web1/config" 2>&1 >/dev/null | sed "s#$work#/var/lib/lxc#g")
status=$("$corral" config check "$work/web1/config" >/dev/null 2>&1; echo $?)
same "sample lint-output matches corral config check" "$(sample lint-output)" "$got"
same "config check with lint warnings exits 0" "0" "$status"

echo "man pages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
