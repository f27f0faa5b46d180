#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The seed's stack with mount(8) and umount(8), as an admin would script
# it: what cairn is compared with in `make bench`.
#   seed-mount.sh PARENT BIN DEV
set -e
parent=$1 bin=$2 dev=$3
root=$(mktemp -d "$parent/cairn-XXXXXX")
mkdir "$root/proc"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
: >"$root/runsc"
mount --bind -o ro "$bin" "$root/runsc"
mkdir "$root/dev"
: >"$root/dev/kvm"
mount --bind "$dev" "$root/dev/kvm"
chmod 0755 "$root"

umount "$root/dev/kvm"
umount "$root/runsc"
umount "$root/proc"
rm "$root/dev/kvm"
rmdir "$root/dev"
rm "$root/runsc"
rmdir "$root/proc"
rmdir "$root"
