#!/bin/sh
# Makes the hand-written sshd application container in LXCPATH/NAME: a
# rootfs tree that is nearly empty, an fstab that binds the host's /bin,
# /sbin, /lib, /lib64 and /usr read-only into it, and a config that runs
# the host's sshd as the container's only process.
# usage: make-container.sh LXCPATH NAME AUTHORIZED_KEYS_FILE [NETWORK_CONFIG]
# NETWORK_CONFIG, if given, is appended to the config (lxc.net.* lines).
set -eu
[ $# -ge 3 ] || { echo "usage: $0 LXCPATH NAME AUTHORIZED_KEYS_FILE [NETWORK_CONFIG]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
dir=$1/$2
root=$dir/rootfs
[ ! -e "$dir" ] || { echo "$dir exists already" >&2; exit 1; }
command -v /usr/sbin/sshd >/dev/null || { echo "the host has no /usr/sbin/sshd: install openssh-server" >&2; exit 1; }

mkdir -p "$root"
cd "$root"
# The tree: mount points for the host's binds, and the container's own
# /etc, /root and /run.
mkdir -p bin dev etc/ssh lib lib64 proc root/.ssh sbin sys usr tmp run/sshd var/empty/sshd var/lib/empty/sshd
ln -s /run var/run
chmod 700 root root/.ssh
chmod 1777 tmp
printf 'root:x:0:0:root:/root:/bin/sh\nsshd:x:74:74:Privilege-separated SSH:/run/sshd:/usr/sbin/nologin\n' >etc/passwd
printf 'root:x:0:\nsshd:x:74:\n' >etc/group
cp "$3" root/.ssh/authorized_keys
chmod 600 root/.ssh/authorized_keys
cp "$here/sshd_config" etc/ssh/sshd_config
# Host keys of the container's own (the host's stay on the host).
ssh-keygen -q -t ed25519 -N "" -f etc/ssh/ssh_host_ed25519_key -C "$2"

cp "$here/fstab" "$dir/fstab"
sed -e "s|@ROOTFS@|$root|g" -e "s|@DIR@|$dir|g" -e "s|@NAME@|$2|g" "$here/config" >"$dir/config"
[ $# -lt 4 ] || cat "$4" >>"$dir/config"
echo "made $dir: start it with lxc-start -P $1 -n $2"
