#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Fault injection at every system call of setup, of its rollback and of
# teardown (the fault shim, tests/shim/fault.c, makes the n-th call of one
# function fail): a failed setup exits 1 and leaves nothing; an undo that
# fails once is retried; one that keeps failing gives exit 3, names what is
# left, keeps the journal, and a later teardown finishes the job.
. "$(dirname "$0")/lib.sh"

mkdir -p "$IT_HOST/dir"
echo canary >"$IT_HOST/dir/canary"
runtime_stat=$(stat_of "$IT_RUNTIME")
echo zone >"$IT_HOST/zone"
mkdir -p "$IT_HOST/tree/sub"
mount -t tmpfs -o size=1m hostsub "$IT_HOST/tree/sub" || bail "mount a tmpfs on $IT_HOST/tree/sub"
echo beneath >"$IT_HOST/tree/sub/file"

# Every kind of action: procfs and tmpfs (fsopen, fsconfig, fsmount,
# move_mount), nested mount points (mkdirat, inside one of cairn's tmpfs
# too), a read-only bind of a file (mknodat, open_tree, mount_setattr), a
# read-write bind of a directory; the ABI 1.3 actions: a copy (openat,
# write, fchmod), a symlink (symlinkat), a device node (mknodat) and an
# empty file, a recursive bind of a directory with a submount (read-write:
# without mount_setattr, a recursive read-only bind is refused).
sections() {
        entry proc
        entry_tmpfs a /a
        entry_tmpfs abc /a/b/c
        entry_binbind runsc "$IT_RUNTIME" /runsc
        entry_binbind hostdir "$IT_HOST/dir" /host/dir readonly=no
        entry_binbind runsc2 "$IT_RUNTIME" /a/b/c/bin/runsc
        entry zone copy source="$IT_HOST/zone" target=/a/b/etc/zone
        entry link symlink path=/a/b/link to=/proc/self/fd
        entry nod node path=/a/null empty=/a/b/empty
        entry tree binbind source="$IT_HOST/tree" target=/tree recursive=yes readonly=no
        entry fail fail errno=EPERM "mounts=/z /a/b/zz"
}
STACK="proc a abc runsc hostdir runsc2 zone link nod tree"
CONF=$IT_DIR/good.conf
sections | write_conf "$CONF" "$STACK"
# The same stack with a last entry that fails: setup rolls back all of it.
RBCONF=$IT_DIR/rollback.conf
sections | write_conf "$RBCONF" "$STACK fail"

MOUNT_CALLS="fsopen fsconfig fsmount move_mount open_tree mount_setattr mount"
counts=$IT_DIR/counts

# left DESC: nothing left (one TAP line); if something is, say what and
# clean up by hand, so that the next case starts afresh.
left() {
        local m
        if nothing_left_at_all; then
                ok "$1: nothing left"
                return
        fi
        not_ok "$1: nothing left"
        diag "mounts: $(mounts_under "$IT_ROOTS" | tr '\n' ' ')" \
                "roots: $(ls -A "$IT_ROOTS" | tr '\n' ' ')" "state: $(ls -A "$IT_STATE" | tr '\n' ' ')"
        for m in "$IT_STATE"/*.journal; do
                [ -f "$m" ] && diag "$m:" "$(cat "$m")"
        done
        for m in $(mounts_under "$IT_ROOTS" | sort -r); do umount -l "$m"; done
        rm -rf --one-file-system "${IT_ROOTS:?}"/* "${IT_STATE:?}"/* "$IT_STATE"/.[!.]*
}

# session_journal: the one journal in state_dir (for exit-3 cases).
session_journal() { compgen -G "$IT_STATE/*.journal" | head -n 1; }

# ---- good runs, counted ------------------------------------------------------

: >"$counts"
shim_cairn CAIRN_SHIM_COUNT="$counts" -- -c "$CONF" setup
is "$RC" 0 "a good setup under the shim exits 0"
root=$OUT
journal=$(cat "$IT_STATE/${root##*/}.journal" 2>/dev/null)
declare -A n_setup
for f in $MOUNT_CALLS mkdirat mknodat symlinkat write; do
        n_setup[$f]=$(count_calls "$counts" "$f")
done
diag "setup calls: $(for f in "${!n_setup[@]}"; do printf '%s=%s ' "$f" "${n_setup[$f]}"; done)"
for f in fsopen fsconfig fsmount move_mount open_tree mount_setattr mkdirat mknodat symlinkat; do
        check "a good setup calls $f (${n_setup[$f]} times)" test "${n_setup[$f]}" -gt 0
done
# Where the mounts and made paths are, in the order teardown undoes them.
# (The root's own tmpfs, J_ROOTFS, is a mount too; what cairn made inside
# it is not removed one by one: it goes with the tmpfs.)
mapfile -t undo_mounts < <(awk -v r="$root" '$2 == "mount" { print r $3 } $2 == "rootfs" { print r }' <<<"$journal" | tac)
mapfile -t undo_paths < <(awk -v r="$root" '$2 == "rootfs" && $3 == "tmpfs" { t = 1 }
        !t && $2 ~ /^(mkdir|create|symlink|file|node)$/ { print r $3 }
        $2 == "root" { print $3 }' <<<"$journal" | tac)
check "the root is a tmpfs of its own (J_ROOTFS)" grep -q '^[0-9]* rootfs tmpfs ' <<<"$journal"

: >"$counts"
shim_cairn CAIRN_SHIM_COUNT="$counts" -- -c "$CONF" teardown "$root"
is "$RC" 0 "a good teardown under the shim exits 0"
n_td_umount=$(count_calls "$counts" umount2)
n_td_unlink=$(count_calls "$counts" unlinkat)
is "$n_td_umount" "${#undo_mounts[@]}" "teardown: one umount2 per journaled mount"
is "$n_td_unlink" "${#undo_paths[@]}" "teardown: one unlinkat per journaled mkdir/create/symlink/file/node and the root"
left "a good setup and teardown"

: >"$counts"
shim_cairn CAIRN_SHIM_COUNT="$counts" -- -c "$RBCONF" setup
is "$RC" 1 "a setup whose last entry fails exits 1"
n_rb_umount=$(count_calls "$counts" umount2)
n_rb_unlink=$(count_calls "$counts" unlinkat)
diag "rollback calls: umount2=$n_rb_umount unlinkat=$n_rb_unlink"
check "its rollback unmounts (umount2)" test "$n_rb_umount" -gt 0
check "its rollback removes (unlinkat)" test "$n_rb_unlink" -gt 0
left "a setup whose last entry fails"

# ---- setup: each call fails in turn ------------------------------------------

for f in $MOUNT_CALLS mkdirat mknodat symlinkat; do
        for n in $(seq "${n_setup[$f]}"); do
                shim_cairn CAIRN_SHIM_FAIL="$f:$n:EIO" -- -c "$CONF" setup
                is "$RC" 1 "setup, $f call $n/${n_setup[$f]} fails: exit 1"
                check "setup, $f call $n fails: it says why" grep -q . <<<"$ERR"
                left "setup, $f call $n fails"
        done
done

# ---- setup: each write of the journal fails in turn (a full disk) ------------

# What a write that failed was to hold is not in the journal, and the
# action it announced was never done: the rollback must not undo it (an
# undo of a mount never made takes whatever is at its mount point for
# cairn's), and nothing written after may refer to it (the journal would
# be unreadable for good: the shape of issue 11's finding 7).
check "a good setup writes its journal (${n_setup[write]} writes)" test "${n_setup[write]}" -gt 0
for n in $(seq "${n_setup[write]}"); do
        shim_cairn CAIRN_SHIM_FAIL="write:$n:ENOSPC" -- -c "$CONF" setup
        is "$RC" 1 "setup, journal write $n/${n_setup[write]} fails: exit 1"
        left "setup, journal write $n fails"
        # And the rollback cannot finish: the journal it keeps is readable.
        shim_cairn CAIRN_SHIM_FAIL="write:$n:ENOSPC,umount2:1+:EBUSY" -- -c "$CONF" setup
        check "setup, journal write $n fails, every unmount too: exit 1 or 3 (exit $RC)" \
                test "$RC" = 1 -o "$RC" = 3
        j=$(session_journal)
        if [ -n "$j" ]; then
                run_cairn -c "$CONF" teardown "$(basename "$j" .journal)"
                is "$RC" 0 "setup, journal write $n fails, every unmount too: the journal is readable, teardown exits 0"
        fi
        left "setup, journal write $n fails, every unmount too, then teardown"
done

# A root of the caller's whose mount point has a mount of the caller's
# on it already, set up the classic way (mount(2): no unique mount IDs,
# an undo then knows a mount by what is at its mount point).
given=$IT_DIR/given
mkdir -p "$given/a"
mount -t tmpfs -o size=1m callers "$given/a"
echo mine >"$given/a/mine"
entry_tmpfs over /a overmount=yes | write_conf "$IT_DIR/given.conf" "over"
: >"$counts"
shim_cairn CAIRN_SHIM_FAIL="fsopen:*:ENOSYS,open_tree:*:ENOSYS" CAIRN_SHIM_COUNT="$counts" -- -c "$IT_DIR/given.conf" setup --root "$given"
is "$RC" 0 "given root, the classic way: setup exits 0"
run_cairn -c "$IT_DIR/given.conf" teardown "$given"
is "$RC" 0 "given root, the classic way: teardown exits 0"
n_w=$(count_calls "$counts" write)
for n in $(seq "$n_w"); do
        shim_cairn CAIRN_SHIM_FAIL="fsopen:*:ENOSYS,open_tree:*:ENOSYS,write:$n:ENOSPC" -- -c "$IT_DIR/given.conf" setup --root "$given"
        is "$RC" 1 "given root, the classic way, journal write $n/$n_w fails: exit 1"
        is "$(cat "$given/a/mine" 2>&1)" mine "given root, journal write $n fails: the caller's mount is still there"
        is "$(grep -c " $given/a " /proc/self/mountinfo)" 1 "given root, journal write $n fails: one mount on it, the caller's"
        left "given root, journal write $n fails"
done
umount "$given/a"

# mount(2): cairn's way when the kernel has no new mount API (ENOSYS).
legacy="fsopen:*:ENOSYS,open_tree:*:ENOSYS"
: >"$counts"
shim_cairn CAIRN_SHIM_FAIL="$legacy" CAIRN_SHIM_COUNT="$counts" -- -c "$CONF" setup
is "$RC" 0 "without the new mount API: setup exits 0"
n_mount=$(count_calls "$counts" mount)
check "without the new mount API: setup calls mount(2) ($n_mount times)" test "$n_mount" -gt 0
run_cairn -c "$CONF" teardown "$OUT"
is "$RC" 0 "without the new mount API: teardown exits 0"
left "without the new mount API: setup and teardown"
for n in $(seq "$n_mount"); do
        shim_cairn CAIRN_SHIM_FAIL="$legacy,mount:$n:EIO" -- -c "$CONF" setup
        is "$RC" 1 "setup without the new mount API, mount call $n/$n_mount fails: exit 1"
        left "setup without the new mount API, mount call $n fails"
done

# ---- setup's rollback: each unmount and removal fails in turn ------------------

# Once: the retry undoes it; setup still exits 1 and leaves nothing.
for f in umount2 unlinkat; do
        [ "$f" = umount2 ] && n_f=$n_rb_umount || n_f=$n_rb_unlink
        for n in $(seq "$n_f"); do
                shim_cairn CAIRN_SHIM_FAIL="$f:$n:EBUSY" -- -c "$RBCONF" setup
                is "$RC" 1 "rollback, $f call $n/$n_f fails once: setup exits 1"
                left "rollback, $f call $n fails once"
        done
done
# A setup call fails, and so does an undo of its rollback, once (the
# retry finishes it): in a tmpfs root, and in a plain directory
# (root_fs = dir), where the names cairn made are removed one by one.  (In
# a tmpfs root, an unmount and a removal cannot both fail in one pass: the
# root's directory is removed only once its tmpfs is unmounted.)
DIRCONF=$IT_DIR/dir.conf
sed '/^\[cairn\]/a root_fs = dir' "$CONF" >"$DIRCONF"
for spec in "move_mount:${n_setup[move_mount]}:EIO,umount2:1:EBUSY" \
        "move_mount:${n_setup[move_mount]}:EIO,unlinkat:1:EBUSY" \
        "mknodat:${n_setup[mknodat]}:EIO,unlinkat:2:EIO" \
        "mount_setattr:1:EIO,umount2:1:EBUSY,unlinkat:1:EBUSY" \
        "fsmount:3:ENOMEM,umount2:2:EBUSY"; do
        for c in "$CONF" "$DIRCONF"; do
                sp=$spec
                [ "$c" = "$CONF" ] && [[ $sp == *umount2*unlinkat* ]] && continue
                # Without the root's tmpfs, one move_mount fewer.
                [ "$c" = "$DIRCONF" ] &&
                        sp=${sp/move_mount:${n_setup[move_mount]}:/move_mount:$((n_setup[move_mount] - 1)):}
                shim_cairn CAIRN_SHIM_FAIL="$sp" -- -c "$c" setup
                is "$RC" 1 "setup with $sp (${c##*/}): exit 1"
                left "setup with $sp (${c##*/})"
        done
done
# For good: setup exits 3, names what it left, keeps the journal; a
# teardown without the fault finishes.
for f in umount2 unlinkat; do
        [ "$f" = umount2 ] && n_f=$n_rb_umount || n_f=$n_rb_unlink
        for n in $(seq "$n_f"); do
                shim_cairn CAIRN_SHIM_FAIL="$f:$n+:EBUSY" -- -c "$RBCONF" setup
                is "$RC" 3 "rollback, $f fails from call $n/$n_f on: setup exits 3"
                j=$(session_journal)
                if [ -n "$j" ]; then
                        ok "rollback, $f fails from call $n on: the journal is kept"
                        id=$(basename "$j" .journal)
                        check "rollback, $f fails from call $n on: stderr names the session" \
                                grep -qF "$id" <<<"$ERR"
                        run_cairn -c "$RBCONF" teardown "$id"
                        is "$RC" 0 "rollback, $f fails from call $n on: then teardown exits 0"
                else
                        not_ok "rollback, $f fails from call $n on: the journal is kept"
                fi
                left "rollback, $f fails from call $n on, then teardown"
        done
done

# ---- teardown: each unmount and removal fails in turn ------------------------

# Once: the retry undoes it.
for f in umount2 unlinkat; do
        [ "$f" = umount2 ] && n_f=$n_td_umount || n_f=$n_td_unlink
        for n in $(seq "$n_f"); do
                run_cairn -c "$CONF" setup
                [ "$RC" -eq 0 ] || { not_ok "teardown, $f call $n: setup exits 0 (exit $RC)"; continue; }
                shim_cairn CAIRN_SHIM_FAIL="$f:$n:EBUSY" -- -c "$CONF" teardown "$OUT"
                is "$RC" 0 "teardown, $f call $n/$n_f fails once: exit 0 (retried)"
                left "teardown, $f call $n fails once"
        done
done
# For good, from the n-th call on: exit 3, the first of them named, the
# journal kept; a second teardown exits 0 and leaves nothing.
for f in umount2 unlinkat; do
        if [ "$f" = umount2 ]; then
                n_f=$n_td_umount
                names=("${undo_mounts[@]}")
        else
                n_f=$n_td_unlink
                names=("${undo_paths[@]}")
        fi
        for n in $(seq "$n_f"); do
                run_cairn -c "$CONF" setup
                [ "$RC" -eq 0 ] || { not_ok "teardown, $f from call $n: setup exits 0 (exit $RC)"; continue; }
                r=$OUT
                id=${r##*/}
                what=${names[n - 1]/#$root/$r}
                shim_cairn CAIRN_SHIM_FAIL="$f:$n+:EBUSY" -- -c "$CONF" teardown "$r"
                is "$RC" 3 "teardown, $f fails from call $n/$n_f on: exit 3"
                check "teardown, $f fails from call $n on: stderr names $what" \
                        mentions_path "$ERR" "$what"
                check "teardown, $f fails from call $n on: the journal is kept" \
                        test -f "$IT_STATE/$id.journal"
                check "teardown, $f fails from call $n on: what is left is still journaled as to undo" \
                        test -d "$r"
                run_cairn -c "$CONF" teardown "$r"
                is "$RC" 0 "teardown, $f fails from call $n on: a second teardown exits 0"
                left "teardown, $f fails from call $n on, then a second teardown"
        done
done

is "$(cat "$IT_HOST/dir/canary" 2>&1)" canary "the host directory's canary survived every fault"
is "$(stat_of "$IT_RUNTIME")" "$runtime_stat" "the host file bound into the roots kept its mode"
is "$(cat "$IT_HOST/tree/sub/file" 2>&1) $(cat "$IT_HOST/zone")" "beneath zone" \
        "the host's submount and the copied file survived every fault"

done_testing
