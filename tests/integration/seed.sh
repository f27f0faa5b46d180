#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The seed's job end to end, with the shipped conf/cairn.conf and
# --set platform=kvm: a fresh /proc (nosuid,nodev,noexec), the runtime bound
# read-only at /runsc (really read-only), /dev/kvm bound as the same
# character device; then a teardown that leaves nothing behind.
. "$(dirname "$0")/lib.sh"

shipped_conf "$IT_CONF"
runtime_sum=$(sha256sum <"$IT_RUNTIME")
runtime_id=$(stat -c %d:%i "$IT_RUNTIME")
modes_before="$(stat_of "$IT_RUNTIME") $(stat_of /dev/kvm)"

setup_root "seed" -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm || done_testing

# /proc: a fresh procfs with nosuid,nodev,noexec, in mountinfo and from inside.
is "$(mount_fstype "$ROOT/proc")" proc "seed: ROOT/proc is a proc mount (mountinfo)"
check "seed: ROOT/proc is nosuid,nodev,noexec (mountinfo)" \
        mount_has_opts "$ROOT/proc" nosuid nodev noexec
is "$(stat -f -c %T "$ROOT/proc")" proc "seed: statfs of ROOT/proc says proc"
check "seed: ROOT/proc/self/status is readable" test -r "$ROOT/proc/self/status"

# /runsc: the runtime itself (same inode), read-only in mountinfo and in fact.
check "seed: ROOT/runsc is a mount (mountinfo)" is_mounted "$ROOT/runsc"
check "seed: ROOT/runsc is ro (mountinfo)" mount_has_opts "$ROOT/runsc" ro
is "$(stat -c %d:%i "$ROOT/runsc")" "$runtime_id" "seed: ROOT/runsc is the runtime binary's inode"
err=$(sh -c 'echo x >>"$1"' sh "$ROOT/runsc" 2>&1)
rc=$?
check "seed: appending to ROOT/runsc fails" test "$rc" -ne 0
check "seed: ... with EROFS" grep -q "Read-only file system" <<<"$err"
err=$(touch "$ROOT/runsc" 2>&1)
check "seed: touch ROOT/runsc fails with EROFS" grep -q "Read-only file system" <<<"$err"
is "$(sha256sum <"$IT_RUNTIME")" "$runtime_sum" "seed: the host runtime is unchanged"
if [ -n "$IT_RUNTIME_STATIC" ]; then
        check "seed: /runsc runs inside the root (chroot ROOT /runsc --version)" \
                chroot "$ROOT" /runsc --version
fi

# /dev/kvm: the host's character device 10:232, usable.
check "seed: ROOT/dev/kvm is a mount (mountinfo)" is_mounted "$ROOT/dev/kvm"
is "$(stat -c %F "$ROOT/dev/kvm")" "character special file" "seed: ROOT/dev/kvm is a character device"
is "$(stat -c %t:%T "$ROOT/dev/kvm")" "$(stat -c %t:%T /dev/kvm)" "seed: ROOT/dev/kvm is the host's device"
is "$(stat -c %t:%T "$ROOT/dev/kvm")" "a:e8" "seed: ROOT/dev/kvm is 10:232"
check "seed: ROOT/dev/kvm opens read-write" sh -c 'exec 3<>"$1"' sh "$ROOT/dev/kvm"

# Nothing else is mounted below the root, and the session is recorded.
is "$(mounts_under "$ROOT" | grep -vxF "$ROOT" | sort | tr '\n' ' ')" \
        "$ROOT/dev/kvm $ROOT/proc $ROOT/runsc " "seed: exactly proc, runsc and dev/kvm are mounted below the root"
is "$(stat -c %a "$ROOT")" 755 "seed: the root has root_mode 0755 once set up"
check "seed: the session has a journal" test -f "$IT_STATE/$ID.journal"

# Teardown: nothing left.
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "seed: teardown exits 0"
assert_gone "seed: after teardown" "$ROOT" "$ID"
check "seed: root_parent is empty" dir_is_empty "$IT_ROOTS"
is "$(sha256sum <"$IT_RUNTIME")" "$runtime_sum" "seed: the host runtime is still unchanged"
is "$(stat_of "$IT_RUNTIME") $(stat_of /dev/kvm)" "$modes_before" \
        "seed: the runtime and /dev/kvm keep mode:uid:gid"
# Put the host's /dev/kvm back if cairn changed it (reported just above).
kvm_before=${modes_before##* }
[ "$(stat_of /dev/kvm)" = "$kvm_before" ] || chmod "${kvm_before%%:*}" /dev/kvm

done_testing
