#!/usr/bin/env bash
# Installs the Debian packages corral needs to build, test and benchmark.
# Safe to run again: it only calls apt-get when something is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  tao-pegtl-dev libcli11-dev libcap-dev libseccomp-dev libnl-3-dev libnl-route-3-dev
  scdoc
  # tests: GoogleTest, man page rendering, the fuzzers (clang's libFuzzer)
  googletest libgtest-dev man-db groff-base clang libclang-rt-14-dev
  # tests: strace kills a process at a chosen system call
  strace
  # the LXC oracle of the differential test, and LXC for the side-by-side benchmarks
  lxc python3-lxc
  # benchmarks
  libbenchmark-dev hyperfine time
  # the busybox template; the sshd template and its end-to-end test (the
  # host's sshd, ssh-keygen and ssh client); the network tests (ip)
  busybox-static openssh-server openssh-client iproute2
  # the debian template
  debootstrap
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "corral: missing packages: ${missing[*]}; run this script as root (or with sudo)" >&2
  exit 1
fi
echo "corral: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
