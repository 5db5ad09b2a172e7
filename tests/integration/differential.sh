#!/bin/bash
# Differential test against the real LXC 5.0.2: every file of the corpus
# (stock LXC configs, the golden cases, tests/cases/differential) is loaded
# by liblxc through Debian's python3-lxc and by corral; accept/reject and
# every key's value must agree, apart from the divergences listed in
# tests/differential/differential.py.
# Usage: differential.sh CORRAL_BINARY BUILD_DIR (as run by ctest)
set -u

corral=$1
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3

if ! "$python" -c 'import lxc' 2>/dev/null; then
  echo "skipped: $python cannot import the lxc module (install python3-lxc)"
  exit 77
fi
exec "$python" "$here/../differential/differential.py" --corral "$corral" --summary
