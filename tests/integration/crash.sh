#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 at every step of setup and of teardown, then `cairn gc`: nothing
# is left (no mount under root_parent, no root, no journal), for every step.
#
# The fault shim (tests/shim/fault.c) kills cairn with SIGKILL right after
# its k-th write(2): cairn writes nothing but its journal, once before each
# action (with the records that waited for it), so step k is "the k-th
# write is on disk, the action it announces not yet done".  A good run,
# counted by the shim, says how many steps there are.  Then the same
# before the k-th mount-family call, unmount and removal.
. "$(dirname "$0")/lib.sh"

# A canary in the host directory bound into the roots: a gc that deleted
# through a mount would take it.
mkdir -p "$IT_HOST/dir"
echo canary >"$IT_HOST/dir/canary"
runtime_stat=$(stat_of "$IT_RUNTIME")
# A host file to copy in, and a host directory with a mount beneath it for
# a recursive bind (detached at teardown with what came with it).
echo zone >"$IT_HOST/zone"
mkdir -p "$IT_HOST/tree/sub"
mount -t tmpfs -o size=1m hostsub "$IT_HOST/tree/sub" || bail "mount a tmpfs on $IT_HOST/tree/sub"
echo beneath >"$IT_HOST/tree/sub/file"

# 11 entries: nested tmpfs targets (a tmpfs inside a tmpfs cairn mounted),
# two procfs, a read-only bind of a host file (open_tree + mount_setattr),
# a bind of a host file into a new mount point (mknodat) inside a tmpfs,
# and a read-write bind of a host directory; then the ABI 1.3 actions: a
# copy (a file written), a symlink, a device node and an empty file, a
# minimal /dev (a tmpfs, six device binds, a devpts, a tmpfs, symlinks),
# a recursive bind of a directory with a submount.
{
        entry proc
        entry_tmpfs a /a
        entry_tmpfs ab /a/b
        entry_tmpfs cde /c/d/e
        entry_binbind runsc "$IT_RUNTIME" /runsc
        entry_binbind hostdir "$IT_HOST/dir" /host/dir readonly=no
        entry_tmpfs f /f
        entry_tmpfs abg /a/b/g
        entry_tmpfs cdei /c/d/e/i
        entry proc2 proc target=/c/proc
        entry_binbind runsc2 "$IT_RUNTIME" /a/b/g/bin/runsc
        entry zone copy source="$IT_HOST/zone" target=/a/b/etc/zone
        entry link symlink path=/c/d/e/link to=/proc/self/fd
        entry nod node path=/f/null empty=/f/empty
        entry dev dev target=/c/dev
        entry tree binbind source="$IT_HOST/tree" target=/tree recursive=yes
} | write_conf "$IT_CONF" "proc a ab cde runsc hostdir f abg cdei proc2 runsc2 zone link nod dev tree"
C=(-c "$IT_CONF")

# An owner that is gone by the time gc runs: a setup killed after its
# last record ("ready") made a finished session, which gc takes only
# because its owner is gone.  (Killed earlier, it is stale anyway.)
owner_pid=
trap 'kill "$owner_pid" 2>/dev/null; it_cleanup' EXIT
new_owner() {
        sleep 600 &
        owner_pid=$!
}
owner_gone() {
        kill "$owner_pid" 2>/dev/null
        wait "$owner_pid" 2>/dev/null
}

# ---- a good run, counted ----------------------------------------------------

counts=$IT_DIR/counts
: >"$counts"
new_owner
shim_cairn CAIRN_SHIM_COUNT="$counts" -- "${C[@]}" setup --owner "$owner_pid"
is "$RC" 0 "a full setup under the shim exits 0"
root=$OUT
n_setup=$(count_calls "$counts" write)
cp "$counts" "$counts.setup"
n_setup_mnt=$(grep -cxE 'mount|fsopen|fsconfig|fsmount|move_mount|open_tree|mount_setattr' "$counts")
n_setup_mkdir=$(count_calls "$counts" mkdirat)
n_setup_mknod=$(count_calls "$counts" mknodat)
journal=$(cat "$IT_STATE/${root##*/}.journal" 2>/dev/null)
n_actions=$(grep -cE '^[0-9]+ (root|rootfs|mkdir|create|mount|mounted|symlink|file|node) ' <<<"$journal")
n_mounts=$(grep -cE '^[0-9]+ (mount|rootfs) ' <<<"$journal")
# cairn_write_file() writes a file's contents once (after its record).
n_contents=$(awk '$2 == "file" && $4 > 0 { n++ } END { print n + 0 }' <<<"$journal")
diag "setup: $n_setup writes ($n_setup_mnt mount calls, $n_setup_mkdir mkdirat, $n_setup_mknod mknodat); journal:" "$journal"
# the session with the root it announces (one write, before the journal
# has a name), each other action announced (mkdir, create, mount; a mount
# with its unique ID in the same write as the mount point cairn makes for
# it), each mount's ID (mounted), ready.
n_merged=$(awk '$2 == "mount" && (pt == "mkdir" || pt == "create") && pp == $3 && NF == 5 { n++ }
	{ pt = $2; pp = $3 } END { print n + 0 }' <<<"$journal")
check "mounts are announced with their unique IDs and the mount points made for them" \
	test "$n_merged" -ge 5
is "$n_setup" "$((n_actions + 1 - n_merged + n_contents))" \
	"one journal write per action and per mount ID, plus the last; a mount with its mount point; a copy's contents"
for t in symlink file node; do
        check "the stack journals a $t" grep -qE "^[0-9]+ $t " <<<"$journal"
done
check "the records that may wait share writes" test "$n_setup" -lt "$(grep -c . <<<"$journal")"
check "the stack has at least 10 entries" test "$(grep -c '^[0-9]* entry ' <<<"$journal")" -ge 10
check "it makes enough steps to be worth the name (> 25 actions)" test "$n_actions" -gt 25
check "it makes mount points with mknodat too" test "$n_setup_mknod" -ge 1
check "everything is mounted ($n_mounts mounts with the root's own tmpfs, and the submount of the recursive bind)" \
        test "$(mounts_under "$root" | wc -l)" -eq $((n_mounts + 1))

: >"$counts"
shim_cairn CAIRN_SHIM_COUNT="$counts" -- "${C[@]}" teardown "$root"
is "$RC" 0 "a full teardown under the shim exits 0"
n_teardown=$(count_calls "$counts" write)
n_umount=$(count_calls "$counts" umount2)
n_unlink=$(count_calls "$counts" unlinkat)
diag "teardown: $n_teardown writes, $n_umount umount2, $n_unlink unlinkat"
if grep -q '^[0-9]* mounted ' <<<"$journal"; then
        # No unique mount IDs (before Linux 6.8): "teardown", then one
        # write per unmount (a free mount ID may be given to another
        # mount, so an unmount is on record at once); removals wait (done
        # again, they find nothing to do).
        is "$n_teardown" "$((1 + n_umount))" "teardown writes its journal once, then once per unmount"
else
        # Each mount known by its unique ID, which no other mount gets: an
        # unmount done again finds it gone, so its record may wait, as a
        # removal's does; the journal is removed before they are written.
        is "$n_teardown" 1 "teardown writes its journal once (\"teardown\"); what it undoes may wait"
fi
# What cairn made inside the root goes with the root's tmpfs: the one
# removal is the root's directory.
check "teardown unmounts all $n_mounts (the root's tmpfs last) and removes only the root's directory" \
        test "$n_umount" -eq "$n_mounts" -a "$n_unlink" -eq 1
check "a good setup and teardown leave nothing" nothing_left_at_all
owner_gone
[ "$n_setup" -gt 0 ] && [ "$n_teardown" -gt 0 ] || bail "could not count the steps"

# after_gc DESC: gc exits 0 and nothing is left (one TAP line each); if
# something is, clean it by hand so the next step starts afresh.
after_gc() {
        local desc=$1 id
        id=$(some_session)
        run_cairn "${C[@]}" gc
        is "$RC" 0 "$desc: gc exits 0"
        if nothing_left_at_all; then
                ok "$desc: nothing left after gc"
                return
        fi
        not_ok "$desc: nothing left after gc"
        diag "mounts: $(mounts_under "$IT_ROOTS" | tr '\n' ' ')" \
                "roots: $(ls -A "$IT_ROOTS" | tr '\n' ' ')" "state: $(ls -A "$IT_STATE" | tr '\n' ' ')"
        [ -f "$IT_STATE/$id.journal" ] && diag "journal $id:" "$(cat "$IT_STATE/$id.journal")"
        run_cairn "${C[@]}" gc --all
        for m in $(mounts_under "$IT_ROOTS" | sort -r); do umount -l "$m"; done
        rm -rf --one-file-system "${IT_ROOTS:?}"/* "${IT_STATE:?}"/* "$IT_STATE"/.[!.]*
}

# ---- setup killed after the k-th journal write, for every k -----------------

for k in $(seq "$n_setup"); do
        new_owner
        shim_cairn CAIRN_SHIM_KILL_AT="write:$k" -- "${C[@]}" setup --owner "$owner_pid"
        is "$RC" 137 "setup killed after journal write $k/$n_setup: exit 137"
        owner_gone
        after_gc "setup killed after journal write $k"
done

# ---- teardown killed after its journal write, and after every undo --------

# Its "undone" records of removals wait (done again, a removal finds
# nothing to do), so what a crash can interrupt is each undo itself:
# killed right after each unmount (before its record) and each removal,
# gc must finish.
specs=(write:1)
for k in $(seq "$n_umount"); do specs+=("umount2:$k"); done
for k in $(seq "$n_unlink"); do specs+=("unlinkat:$k"); done
for spec in "${specs[@]}"; do
        run_cairn "${C[@]}" setup
        if [ "$RC" -ne 0 ]; then
                not_ok "teardown killed after $spec: setup exits 0 (exit $RC)"
                continue
        fi
        troot=$OUT
        shim_cairn CAIRN_SHIM_KILL_AT="$spec" -- "${C[@]}" teardown "$troot"
        is "$RC" 137 "teardown killed after $spec: exit 137"
        if [ "$spec" = write:1 ]; then
                # Killed before it undid anything: a ready session,
                # tearing down, is stale for list and taken by gc.
                run_cairn "${C[@]}" list
                check "teardown killed after its first write: list shows it tearing-down, stale" \
                        grep -Eq "^${troot##*/} tearing-down ?\(stale\) " <<<"$OUT"
        fi
        after_gc "teardown killed after $spec"
done

# ---- killed just before a system call ----------------------------------------

# Before the k-th mount-family call of setup (fsopen, fsconfig, fsmount,
# move_mount, open_tree, mount_setattr, mount), for every k.
for k in $(seq "$n_setup_mnt"); do
        new_owner
        shim_cairn CAIRN_SHIM_KILL_BEFORE="@mount:$k" -- "${C[@]}" setup --owner "$owner_pid"
        is "$RC" 137 "setup killed before mount call $k/$n_setup_mnt: exit 137"
        owner_gone
        after_gc "setup killed before mount call $k"
done
# Before the k-th mkdirat and mknodat of setup, for a few k.
n_setup_symlink=$(count_calls "$counts.setup" symlinkat)
for spec in mkdirat:1 mkdirat:2 mkdirat:$((n_setup_mkdir / 2)) mkdirat:$n_setup_mkdir mknodat:1 \
        mknodat:$n_setup_mknod symlinkat:1 symlinkat:$n_setup_symlink; do
        shim_cairn CAIRN_SHIM_KILL_BEFORE="$spec" -- "${C[@]}" setup
        is "$RC" 137 "setup killed before $spec: exit 137"
        after_gc "setup killed before $spec"
done
# Before the k-th unmount and removal of teardown, for a few k.
for spec in $(printf '%s\n' umount2:1 umount2:$((n_umount / 2)) umount2:$n_umount \
        unlinkat:1 unlinkat:$(((n_unlink + 1) / 2)) unlinkat:$n_unlink | awk '!seen[$0]++'); do
        run_cairn "${C[@]}" setup
        [ "$RC" -eq 0 ] || { not_ok "teardown before $spec: setup exits 0 (exit $RC)"; continue; }
        shim_cairn CAIRN_SHIM_KILL_BEFORE="$spec" -- "${C[@]}" teardown "$OUT"
        is "$RC" 137 "teardown killed before $spec: exit 137"
        after_gc "teardown killed before $spec"
done

# A crashed session can be finished by `teardown ID` too, not only by gc.
run_cairn "${C[@]}" setup
shim_cairn CAIRN_SHIM_KILL_AT="umount2:$((n_umount / 2))" -- "${C[@]}" teardown "$OUT"
is "$RC" 137 "teardown killed half-way: exit 137"
id=$(some_session)
run_cairn "${C[@]}" teardown "$id"
is "$RC" 0 "a second teardown of the half torn-down session exits 0"
check "... and nothing is left" nothing_left_at_all
shim_cairn CAIRN_SHIM_KILL_AT="write:$((n_setup / 2))" -- "${C[@]}" setup
is "$RC" 137 "setup killed half-way: exit 137"
id=$(some_session)
run_cairn "${C[@]}" teardown "$id"
is "$RC" 0 "teardown ID of the half set-up session exits 0"
check "... and nothing is left" nothing_left_at_all

is "$(cat "$IT_HOST/dir/canary" 2>&1)" canary "the host directory's canary survived every crash and gc"
is "$(stat_of "$IT_RUNTIME")" "$runtime_stat" "the host file bound into the roots kept its mode"
is "$(cat "$IT_HOST/tree/sub/file" 2>&1) $(cat "$IT_HOST/zone")" "beneath zone" \
        "the host's submount and the copied file survived every crash and gc"
check "nothing is left in the end" nothing_left_at_all

done_testing
