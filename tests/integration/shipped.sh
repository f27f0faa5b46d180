#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The shipped conf/cairn.conf (with the scratch plugin/state/root dirs put
# in): `check` and `plugins` accept it and mount nothing; the shipped
# example drop-in works once enabled.
. "$(dirname "$0")/lib.sh"

shipped_conf "$IT_CONF"
check "the shipped stack is today's gVisor's: proc runsc localtime kvm" \
        grep -Eq '^stack[[:space:]]*=[[:space:]]*proc runsc localtime kvm[[:space:]]*$' "$IT_CONF"

# What it builds, checked from mountinfo and inside the root: a tmpfs
# root made read-only, a read-only procfs, the runtime read-only,
# /etc/localtime a copy, /dev/kvm.
setup_root "shipped stack" -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm
if [ -n "$ROOT" ]; then
        is "$(mount_fstype "$ROOT")" tmpfs "shipped: the root is a tmpfs"
        check "shipped: the root is read-only" mount_has_opts "$ROOT" ro
        is "$(mount_fstype "$ROOT/proc")" proc "shipped: /proc is a procfs"
        check "shipped: /proc is read-only, nosuid,nodev,noexec" mount_has_opts "$ROOT/proc" ro nosuid nodev noexec
        check "shipped: /runsc is bound read-only" mount_has_opts "$ROOT/runsc" ro
        check "shipped: /etc/localtime is a regular file, not a mount" \
                sh -c 'test -f "$1" && ! test -L "$1"' sh "$ROOT/etc/localtime"
        check "shipped: ... not a mount" not_mounted "$ROOT/etc/localtime"
        check "shipped: ... with the host's zone's contents" cmp -s /etc/localtime "$ROOT/etc/localtime"
        check "shipped: ... another inode than the host's" \
                test "$(stat -L -c %d:%i /etc/localtime)" != "$(stat -c %d:%i "$ROOT/etc/localtime")"
        check "shipped: /dev/kvm is bound" is_mounted "$ROOT/dev/kvm"
        err=$(touch "$ROOT/etc/x" 2>&1)
        check "shipped: writing into the root fails with EROFS" grep -q 'Read-only file system' <<<"$err"
        run_cairn -c "$IT_CONF" teardown "$ID"
        is "$RC" 0 "shipped: teardown exits 0"
        check "shipped: nothing left" nothing_left_at_all
fi

run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm check
is "$RC" 0 "check --set runtime=... --set platform=kvm: exit 0"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" check
is "$RC" 0 "check without platform (kvm skipped): exit 0"
run_cairn -c "$IT_CONF" check
is "$RC" 2 "check without runtime: exit 2 (\${runtime} is not set)"
check "check without runtime: the message names the variable" grep -q runtime <<<"$ERR"

run_cairn -c "$IT_CONF" plugins
is "$RC" 0 "plugins: exit 0"
for p in proc binbind kvm devices tmpfs copy symlink dev; do
        check "plugins: lists $p" grep -qw "$p" <<<"$OUT"
done
for o in source readonly device missing; do
        check "plugins: shows the option $o" grep -qw "$o" <<<"$OUT"
done
check "check and plugins: nothing under root_parent" dir_is_empty "$IT_ROOTS"
check "check and plugins: nothing under state_dir" dir_is_empty "$IT_STATE"
check "check and plugins: nothing mounted" nothing_mounted_under "$IT_ROOTS"

# The example drop-in is inactive as shipped (.example), and valid when enabled.
# (A broken copy proves it: as .conf.example it is ignored, as .conf refused.)
{ cat "$abs_top_srcdir/conf/conf.d/50-example-devices.conf.example"; printf '[gpu]\nbogus = 1\n'; } \
        >"$IT_CONFD/50-example-devices.conf.example"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" check
is "$RC" 0 "a *.conf.example in the confdir is not read"
mv "$IT_CONFD/50-example-devices.conf.example" "$IT_CONFD/50-example-devices.conf"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" check
is "$RC" 2 "... the same file as *.conf is read (and refused: bogus key)"
rm -f "$IT_CONFD"/*
cp "$abs_top_srcdir/conf/conf.d/50-example-devices.conf.example" "$IT_CONFD/50-gpu.conf"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set gpu=yes check
is "$RC" 0 "the example drop-in, enabled, passes check"
# No GPU here (or some): missing = skip; what exists is bound at its path.
setup_root "example drop-in" -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set gpu=yes
if [ -n "$ROOT" ]; then
        check "example drop-in: /runsc is mounted" is_mounted "$ROOT/runsc"
        want=$(ls -d /dev/nvidiactl /dev/nvidia-uvm /dev/nvidia[0-9]* 2>/dev/null | sort | tr '\n' ' ')
        is "$(mounts_under "$ROOT/dev" | sed "s|^$ROOT||" | sort | tr '\n' ' ')" "$want" \
                "example drop-in: exactly the host's GPU nodes are bound (${want:-none here})"
        run_cairn -c "$IT_CONF" teardown "$ID"
        is "$RC" 0 "example drop-in: teardown exits 0"
        assert_gone "example drop-in" "$ROOT" "$ID"
fi
rm -f "$IT_CONFD"/*

done_testing
