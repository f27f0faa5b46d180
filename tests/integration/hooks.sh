#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Plugins with a teardown of their own, crashes around it, and what a
# crash may not cost.  (Found in review of the journal that lets records
# wait, and of the teardown that keeps directories open.)
#   - A plugin's own teardown unmounts what it mounted by itself, even
#     when helpers' mounts sit inside it: cairn holds nothing of the root
#     open (working directory, kept directory) while the hook runs.
#   - A hook that crashes: what was undone before it is on record, so the
#     gc after it does not remove, at a name cairn freed, a file the
#     runtime has put there since.
#   - A setup that dies right after a mount: the mount's ID is on record,
#     so a foreign mount placed on top since is named and left alone, not
#     taken for cairn's.
#   - A mount point cairn made is removed only while it is still the empty
#     file it made.
. "$(dirname "$0")/lib.sh"
# Names cairn made are removed one by one only in a plain directory root.
IT_ROOT_FS=dir

# setup_given DESC: `cairn -c $IT_CONF setup --root $rootfs`; ID is its
# session (the only journal in state_dir).  One TAP line.
setup_given() {
        run_cairn -c "$IT_CONF" setup --root "$rootfs"
        ID=$(ls "$IT_STATE" | sed -n 's/^\(cairn-[A-Za-z0-9]*\)\.journal$/\1/p')
        if [ "$RC" = 0 ] && [ "$OUT" = "$rootfs" ] && [ -n "$ID" ]; then
                ok "$1: setup --root exits 0 (session $ID)"
                return 0
        fi
        not_ok "$1: setup --root exits 0"
        diag "exit $RC, stdout '$OUT', state: $(ls -A "$IT_STATE")"
        return 1
}
install -m 0755 "$IT_MODULES/check/hook.so" "$IT_PLUGINS/" || bail "copy hook.so"

# ---- a hook's mount with helpers' mounts inside it ---------------------------

{
        entry a hook target=/h
        entry b hook target=/h/k
        entry_tmpfs t /h/k/x
} | write_conf "$IT_CONF" "a b t"
setup_root "hooks around a tmpfs" -c "$IT_CONF" || done_testing
is "$(mounts_under "$ROOT" | wc -l)" 3 "three mounts: two by the hooks' plugin itself, one by the helpers"
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "teardown exits 0: the hooks could unmount their own mounts"
is "$ERR" "" "... at the first try, with nothing to report"
assert_gone "hooks around a tmpfs" "$ROOT" "$ID"

# exec with the same stack: the hooks' teardown runs after CMD with their
# mounts still in place (cairn-plugin(7)), so exec takes this root down
# mount by mount in the sandbox's namespace, not by letting the namespace
# go (after which the hooks' own tmpfs would not be there to unmount).
SB=$abs_top_builddir/tests/integration/sandboxed
install -m 0755 "$SB" "$IT_HOST/sandboxed" || bail "copy $SB"
{
        entry a hook target=/h strict=yes
        entry b hook target=/h/k strict=yes
        entry_tmpfs t /h/k/x
        entry_binbind sb "$IT_HOST/sandboxed" /sb
} | write_conf "$IT_CONF" "a b t sb"
run_cairn -c "$IT_CONF" exec -- /sb test-file /h/k/x
is "$RC" 0 "exec with hooks: CMD sees the stack's mounts (/h/k/x)"
is "$ERR" "" "... and the hooks' teardown after CMD finds their mounts in place"
run_cairn -c "$IT_CONF" exec -- /sb exit 7
is "$RC" 7 "exec with hooks: CMD's exit status"
check "exec with hooks: nothing left (root, journal, mount)" nothing_left_at_all

# ---- a hook that crashes, then a runtime that writes, then gc -----------------

rootfs=$IT_DIR/bundle/rootfs
mkdir -p "$rootfs"
{
        entry ch hook target=/c crash_once="$IT_DIR/crashed-once"
        entry_binbind bb "$IT_RUNTIME" /tool
} | write_conf "$IT_CONF" "ch bb"
setup_given "crashing hook" || done_testing
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 137 "teardown killed in the hook's teardown (after /tool was unmounted and removed)"
check "... /tool is gone" test ! -e "$rootfs/tool"
journal=$(cat "$IT_STATE/$ID.journal")
create=$(sed -n 's/^\([0-9]*\) create \/tool .*/\1/p' <<<"$journal")
check "the removal of /tool is on record (written before the hook ran)" \
        grep -qx "[0-9]* undone $create" <<<"$journal"
echo "the runtime's own file" >"$rootfs/tool"
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "gc exits 0"
is "$(cat "$rootfs/tool" 2>&1)" "the runtime's own file" "gc left the runtime's file at /tool alone"
check "gc finished the session: nothing mounted, no journal" \
        sh -c '[ -z "$(ls -A "$1")" ] && ! grep -q " $2/" /proc/self/mountinfo' sh "$IT_STATE" "$rootfs"
rm -f "$rootfs/tool"

# ---- a removal that finds something else at the name -------------------------

# Killed right after /tool's unmount (before its record and its removal):
# the gc after it finds at /tool the runtime's file, not cairn's empty one.
entry_binbind bb "$IT_RUNTIME" /tool | write_conf "$IT_CONF" "bb"
setup_given "changed mount point" || done_testing
shim_cairn CAIRN_SHIM_KILL_AT=umount2:1 -- -c "$IT_CONF" teardown "$ID"
is "$RC" 137 "teardown killed right after unmounting /tool"
check "/tool is still there, unmounted" sh -c 'test -f "$1" && ! grep -q " $1 " /proc/self/mountinfo' sh "$rootfs/tool"
echo "the runtime's own file" >"$rootfs/tool"
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "gc exits 0"
is "$(cat "$rootfs/tool" 2>&1)" "the runtime's own file" "gc does not remove a mount point that is no longer the empty file cairn made"
check "gc says why" grep -q "/tool: not removed: no longer the empty file cairn made" <<<"$ERR"
check "nothing of the session is left in state_dir" dir_is_empty "$IT_STATE"
rm -f "$rootfs/tool"

# ---- a foreign mount over a directory cairn made a name in -------------------

# Killed once /etc/x is unmounted (and, without unique mount IDs, its
# unmount on record: write 1: "teardown", 2: the unmount's "undone"),
# before /etc/x is removed; then someone binds a host directory over /etc
# that has an (empty) x of its own: gc must not remove it through that
# mount.
hostetc=$IT_HOST/etc
mkdir -p "$hostetc" && : >"$hostetc/x" || bail "make $hostetc/x"
entry_binbind ex "$IT_RUNTIME" /etc/x | write_conf "$IT_CONF" "ex"
setup_root "foreign mount over a parent" -c "$IT_CONF" || done_testing
td_kill=umount2:1
grep -q '^[0-9]* mounted ' "$IT_STATE/$ID.journal" && td_kill=write:2
shim_cairn CAIRN_SHIM_KILL_AT=$td_kill -- -c "$IT_CONF" teardown "$ROOT"
is "$RC" 137 "teardown killed once /etc/x is unmounted, before it is removed"
mount --bind "$hostetc" "$ROOT/etc" || bail "bind $hostetc over $ROOT/etc"
run_cairn -c "$IT_CONF" gc
is "$RC" 3 "gc exits 3: a foreign mount covers the directory of /etc/x"
check "the host's x, under the foreign mount, is still there" test -f "$hostetc/x"
check "gc names the mount over the directory" \
        grep -q "$ROOT/etc/x: not removed: $ROOT/etc is mounted over its directory" <<<"$ERR"
umount "$ROOT/etc"
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "once it is gone, gc exits 0"
assert_gone "foreign mount over a parent" "$ROOT" "$ID"
check "the host's x is still there" test -f "$hostetc/x"
# A rootfs that is a mount of its own from before setup (an OCI bundle's,
# say) holds what cairn makes in it; it hides nothing.  A teardown killed
# after removing /etc/d/x and /etc/d: gc finishes, exit 0.
entry_binbind exd "$IT_RUNTIME" /etc/d/x | write_conf "$IT_CONF" "exd"
rootfs=$IT_DIR/bundle/rootfs
mkdir -p "$rootfs" && mount -t tmpfs bundle "$rootfs" || bail "mount a tmpfs rootfs"
run_cairn -c "$IT_CONF" setup --root "$rootfs"
is "$RC" 0 "setup --root on a mounted rootfs"
id=$(ls "$IT_STATE" | sed -n 's/\.journal$//p' | head -1)
shim_cairn CAIRN_SHIM_KILL_AT=unlinkat:2 -- -c "$IT_CONF" teardown "$rootfs"
is "$RC" 137 "its teardown killed after two removals"
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "gc finishes it: exit 0"
check "nothing of the session is left in state_dir" dir_is_empty "$IT_STATE"
check "the rootfs has nothing of cairn's left" sh -c '[ -z "$(ls -A "$1")" ]' sh "$rootfs"
umount "$rootfs"

# ---- a setup that dies right after a mount; a foreign mount on top ------------

entry die crash mounts=/m | write_conf "$IT_CONF" "die"
before=$(ls "$IT_ROOTS")
run_cairn -c "$IT_CONF" setup
is "$RC" 137 "setup killed right after its mount"
id=$(ls "$IT_ROOTS" | grep -vxF -e "$before" -e '')
root=$IT_ROOTS/$id
check "the mount's ID is on record (its unique ID, or the one mountinfo knows)" \
        grep -qE '^[0-9]+ (mount /m [a-z]+ [1-9][0-9]*|mounted [0-9]+ [0-9]+)$' "$IT_STATE/$id.journal"
mount -t tmpfs foreign "$root/m" || bail "mount a foreign tmpfs on $root/m"
run_cairn -c "$IT_CONF" gc
is "$RC" 3 "gc exits 3: cairn's mount is hidden by a foreign one"
check "gc names the foreign mount as what hides cairn's" grep -q "is hidden by $root/m" <<<"$ERR"
is "$(mount_fstype "$root/m")" tmpfs "the foreign mount is still there"
check "... on top (its source is 'foreign')" \
        sh -c 'awk -v m="$1" '"'"'$5 == m { s = $0 } END { exit !(s ~ / foreign /) }'"'"' /proc/self/mountinfo' sh "$root/m"
umount "$root/m"
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "once it is gone, gc exits 0"
assert_gone "setup died after its mount" "$root" "$id"

# ---- a setup that dies before it attaches a mount; a foreign mount there ------

# killed_setup SPEC DESC: setup of $IT_CONF under the fault shim with SPEC
# (it must be killed: exit 137); $id and $root are the session it left.
killed_setup() {
        local before
        before=$(ls "$IT_ROOTS")
        shim_cairn "$1" -- -c "$IT_CONF" setup
        is "$RC" 137 "$2"
        id=$(ls "$IT_ROOTS" | grep -vxF -e "$before" -e '')
        root=$IT_ROOTS/$id
}

# The mount is on record (with the mount point it needs) but was never
# attached; its unique ID is what tells cairn's mount from one that
# someone puts at that place afterwards: gc must not unmount that one.
entry p proc target=/p | write_conf "$IT_CONF" "p"
killed_setup CAIRN_SHIM_KILL_BEFORE=move_mount:1 "setup killed before it attaches its mount"
check "the mount is on record, without the ID mountinfo knows" \
        sh -c 'grep -q "^[0-9]* mount /p proc " "$1" && ! grep -q "^[0-9]* mounted " "$1"' sh "$IT_STATE/$id.journal"
mount -t tmpfs foreign "$root/p" || bail "mount a foreign tmpfs on $root/p"
run_cairn -c "$IT_CONF" gc
is "$RC" 3 "gc exits 3: a foreign mount is where cairn's was never attached"
is "$(mount_fstype "$root/p")" tmpfs "the foreign mount is still there"
check "gc says what is in the way" grep -q "$root/p: not removed: $root/p is mounted there" <<<"$ERR"
umount "$root/p"
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "once it is gone, gc exits 0"
assert_gone "setup died before its attach" "$root" "$id"
# Killed right after the attach, before the ID mountinfo knows is on
# record: the unique ID says the mount there is cairn's.
killed_setup CAIRN_SHIM_KILL_AT=move_mount:1 "setup killed right after it attaches its mount"
is "$(mount_fstype "$root/p")" proc "cairn's proc is mounted at /p"
check "... and on record without its mountinfo ID" \
        sh -c '! grep -q "^[0-9]* mounted " "$1"' sh "$IT_STATE/$id.journal"
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "gc takes it down: exit 0"
assert_gone "setup died right after its attach" "$root" "$id"
# The same, and then someone mounts on top of cairn's proc: gc names it
# and keeps cairn's mount on record, and finishes once it is gone.
killed_setup CAIRN_SHIM_KILL_AT=move_mount:1 "setup killed right after it attaches its mount (again)"
mount -t tmpfs foreign "$root/p" || bail "mount a foreign tmpfs on $root/p"
run_cairn -c "$IT_CONF" gc
is "$RC" 3 "gc exits 3: cairn's mount is hidden by a foreign one"
check "gc names the foreign mount as what hides cairn's" grep -q "is hidden by $root/p" <<<"$ERR"
check "cairn's mount stays on record (not marked undone)" \
        sh -c '! grep -q "^[0-9]* undone " "$1"' sh "$IT_STATE/$id.journal"
umount "$root/p"
is "$(mount_fstype "$root/p")" proc "cairn's proc is there under it"
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "once the foreign mount is gone, gc exits 0"
assert_gone "setup died right after its attach, then hidden" "$root" "$id"

# ---- a teardown killed right after an unmount; a foreign mount there -------

# With unique mount IDs the record of an unmount waits (the journal is
# removed before it would be written).  Killed right after the unmount,
# someone then mounts at that place (and may get the freed mountinfo ID):
# gc must not take that mount for cairn's.
setup_root "teardown killed after its unmount" -c "$IT_CONF" || done_testing
if grep -q '^[0-9]* mounted ' "$IT_STATE/$ID.journal"; then
        ok "# SKIP no unique mount IDs on this kernel (Linux < 6.8): unmounts are on record at once"
else
        shim_cairn CAIRN_SHIM_KILL_AT=umount2:1 -- -c "$IT_CONF" teardown "$ROOT"
        is "$RC" 137 "teardown killed right after it unmounts /p"
        check "... before the unmount is on record" \
                sh -c '! grep -q "^[0-9]* undone " "$1"' sh "$IT_STATE/$ID.journal"
        mount -t tmpfs foreign "$ROOT/p" || bail "mount a foreign tmpfs on $ROOT/p"
        run_cairn -c "$IT_CONF" gc
        is "$RC" 3 "gc exits 3: a foreign mount is where cairn's was"
        is "$(mount_fstype "$ROOT/p")" tmpfs "the foreign mount is still there"
        umount "$ROOT/p"
        run_cairn -c "$IT_CONF" gc
        is "$RC" 0 "once it is gone, gc exits 0"
        assert_gone "teardown killed after its unmount" "$ROOT" "$ID"
fi

done_testing
