#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Teardown by root path and by id, each in a process of its own (as a
# runtime does it); a second teardown of the same session exits 0 too.
# Concurrent setups and teardowns of different sessions do not interfere;
# two teardowns of one session at once both succeed and leave nothing.
. "$(dirname "$0")/lib.sh"

shipped_conf "$IT_CONF"
set -- -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm

setup_root "by path" "$@" || done_testing
root_a=$ROOT id_a=$ID
setup_root "by id" "$@" || done_testing
root_b=$ROOT id_b=$ID
check "two sessions get two roots" test "$root_a" != "$root_b"

run_cairn -c "$IT_CONF" teardown "$root_a"
is "$RC" 0 "teardown ROOT exits 0"
assert_gone "teardown ROOT" "$root_a" "$id_a"
check "teardown ROOT leaves the other session mounted" is_mounted "$root_b/runsc"
run_cairn -c "$IT_CONF" teardown "$root_a"
is "$RC" 0 "a second teardown ROOT exits 0"
run_cairn -c "$IT_CONF" teardown "$id_a"
is "$RC" 0 "a third teardown, by ID, exits 0"

run_cairn -c "$IT_CONF" teardown "$id_b"
is "$RC" 0 "teardown ID exits 0"
assert_gone "teardown ID" "$root_b" "$id_b"
run_cairn -c "$IT_CONF" teardown "$id_b"
is "$RC" 0 "a second teardown ID exits 0"
run_cairn -c "$IT_CONF" teardown "$root_b"
is "$RC" 0 "a third teardown, by ROOT, exits 0"
check "root_parent is empty" dir_is_empty "$IT_ROOTS"
check "no journal is left" no_journals

# Teardown removes only what a journal says cairn made: a root-like
# directory without a journal (and its contents) is left alone.
mkdir -p "$IT_ROOTS/cairn-nojrnl/proc"
echo mine >"$IT_ROOTS/cairn-nojrnl/file"
run_cairn -c "$IT_CONF" teardown cairn-nojrnl
check "teardown of a directory without a journal exits 0 or 2" test "$RC" -eq 0 -o "$RC" -eq 2
is "$(cat "$IT_ROOTS/cairn-nojrnl/file" 2>&1)" mine "teardown of a directory without a journal leaves it and its files alone"
check "... including its subdirectories" test -d "$IT_ROOTS/cairn-nojrnl/proc"
rm -rf "$IT_ROOTS/cairn-nojrnl"
run_cairn -c "$IT_CONF" teardown cairn-zzzzzz
is "$RC" 0 "teardown of an ID that never existed exits 0 (idempotent)"

# Concurrency: N setups at once, then N teardowns at once.
N=6
run_bg() { # run_bg TAG ARG...: cairn in the background; its exit status in TAG.rc
        local tag=$1
        shift
        ("$IT_CAIRN" --confdir "$IT_CONFD" "$@" >"$IT_DIR/$tag.out" 2>"$IT_DIR/$tag.err"
         echo $? >"$IT_DIR/$tag.rc") &
}
for i in $(seq $N); do run_bg "par$i" "$@" setup; done
wait
roots=()
rcs=
for i in $(seq $N); do
        rcs+="$(cat "$IT_DIR/par$i.rc") "
        roots+=("$(cat "$IT_DIR/par$i.out")")
        [ -s "$IT_DIR/par$i.err" ] && diag "setup $i:" "$(cat "$IT_DIR/par$i.err")"
done
is "$rcs" "$(printf '0 %.0s' $(seq $N))" "$N concurrent setups all exit 0"
is "$(printf '%s\n' "${roots[@]}" | sort -u | grep -c "^$IT_ROOTS/cairn-")" "$N" \
        "$N concurrent setups make $N distinct roots"
complete=0
for r in "${roots[@]}"; do
        is_mounted "$r/proc" && is_mounted "$r/runsc" && is_mounted "$r/dev/kvm" &&
                complete=$((complete + 1))
done
is "$complete" "$N" "each concurrent root has proc, runsc and dev/kvm mounted"

i=0
for r in "${roots[@]}"; do
        i=$((i + 1))
        run_bg "td$i" -c "$IT_CONF" teardown "$r"
done
wait
rcs=
for i in $(seq $N); do
        rcs+="$(cat "$IT_DIR/td$i.rc") "
        [ -s "$IT_DIR/td$i.err" ] && diag "teardown $i:" "$(cat "$IT_DIR/td$i.err")"
done
is "$rcs" "$(printf '0 %.0s' $(seq $N))" "$N concurrent teardowns all exit 0"
check "concurrent teardowns: nothing mounted under root_parent" nothing_mounted_under "$IT_ROOTS"
check "concurrent teardowns: root_parent is empty" dir_is_empty "$IT_ROOTS"
check "concurrent teardowns: no journal is left" no_journals

# A teardown that finds everything as the journal says needs no
# /proc/self/mountinfo (its cost grows with every mount on the host): the
# kernel's own checks (mount IDs at the mount points, EBUSY/ENOTEMPTY on
# removal) suffice; mountinfo is read only to name what is in the way
# (foreign.sh).  Seen from outside, with strace.
setup_root "for strace" "$@" || done_testing
if command -v strace >/dev/null; then
        # LeakSanitizer (a sanitizer build) cannot run under ptrace.
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
                strace -f -qq -e trace=open,openat,openat2 -o "$IT_DIR/strace.out" \
                "$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_CONF" teardown "$ROOT" 2>"$IT_DIR/strace.err"
        rc=$?
        is "$rc" 0 "teardown under strace exits 0"
        [ "$rc" = 0 ] || diag "$(cat "$IT_DIR/strace.err")"
        assert_gone "teardown under strace" "$ROOT" "$ID"
        check "strace saw the teardown open its journal" grep -qF "$ID.journal" "$IT_DIR/strace.out"
        check "a teardown with everything in place does not read mountinfo" \
                sh -c '! grep -q mountinfo "$1"' sh "$IT_DIR/strace.out"
else
        not_ok "strace is needed to watch teardown's system calls (apt-get install strace)"
fi

# `teardown ID` and a `teardown ROOT` of a session whose journal is not in
# the default state directory need the config's state_dir: with the config
# broken since setup, they exit 2 and do nothing.  (The default state
# directory's case, which needs no config, is at the end.)
setup_root "config broken" "$@" || done_testing
cp "$IT_CONF" "$IT_DIR/good.conf"
echo "this is not ini" >>"$IT_CONF"
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 2 "with the config broken since setup, teardown ID exits 2"
check "... and does nothing" is_mounted "$ROOT/runsc"
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 2 "with the config broken since setup, teardown ROOT (state_dir not the default) exits 2"
check "... and does nothing" is_mounted "$ROOT/runsc"
cp "$IT_DIR/good.conf" "$IT_CONF"
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "with the config repaired, teardown ROOT exits 0"
assert_gone "config repaired" "$ROOT" "$ID"

# Roots are never marked with where their journal is (an extended
# attribute on a root cairn made once did that): a mark an image can ship
# could name a journal of its own choosing.  Setup sets none.
setup_root "no mark" "$@" || done_testing
check "setup marks no root with its journal (no trusted.cairn.journal)" \
        python3 -c 'import os, sys; sys.exit("trusted.cairn.journal" in os.listxattr(sys.argv[1]))' "$ROOT"
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "teardown of the unmarked root exits 0"
assert_gone "no mark" "$ROOT" "$ID"

# A journal cairn cannot read (a newer cairn's, say, or damaged) is not
# "no such session": teardown exits 3, names it and leaves everything, by
# ROOT and by ID; once it can be read, teardown finishes.
setup_root "unreadable journal" "$@" || done_testing
cp "$IT_STATE/$ID.journal" "$IT_DIR/journal.good"
echo "99 mount /x tmpfs 1 2 3" >>"$IT_STATE/$ID.journal"
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 3 "teardown ROOT with an unreadable journal exits 3"
check "... names the journal" grep -qF "$IT_STATE/$ID.journal" <<<"$ERR"
check "... and leaves the root mounted" is_mounted "$ROOT/runsc"
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 3 "teardown ID with an unreadable journal exits 3"
check "... and leaves the root mounted" is_mounted "$ROOT/runsc"
cp "$IT_DIR/journal.good" "$IT_STATE/$ID.journal"
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "once it reads, teardown ROOT exits 0"
assert_gone "unreadable journal, repaired" "$ROOT" "$ID"

# Someone else's journal that cannot be read (its root is another one)
# is not in the way of other sessions: setup, teardown by ROOT twice (the
# second finds nothing), and setup --root all go on.
stray=$IT_STATE/cairn-strayx.journal
printf '0 session cairn-strayx 1 0\n1 root /elsewhere/cairn-strayx owned\n2 some record from the future\n' >"$stray"
chmod 0600 "$stray"
setup_root "beside an unreadable journal" "$@" || done_testing
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "teardown ROOT beside someone else's unreadable journal exits 0"
assert_gone "beside an unreadable journal" "$ROOT" "$ID"
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "a second teardown ROOT finds nothing to do: exit 0"
given=$IT_DIR/given-root
mkdir -p "$given"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm setup --root "$given"
is "$RC" 0 "setup --root beside someone else's unreadable journal exits 0"
run_cairn -c "$IT_CONF" teardown "$given"
is "$RC" 0 "... and its teardown exits 0"
check "nothing is left mounted in the given root" sh -c '! grep -q " $1/" /proc/self/mountinfo' sh "$given"
rm -f "$stray"
rmdir "$given"

# Two teardowns of the same session at once: serialized, both exit 0.
setup_root "same session twice" "$@" || done_testing
run_bg same1 -c "$IT_CONF" teardown "$ROOT"
run_bg same2 -c "$IT_CONF" teardown "$ID"
wait
is "$(cat "$IT_DIR/same1.rc") $(cat "$IT_DIR/same2.rc")" "0 0" \
        "two concurrent teardowns of one session both exit 0"
for t in same1 same2; do
        [ -s "$IT_DIR/$t.err" ] && diag "$t:" "$(cat "$IT_DIR/$t.err")"
done
assert_gone "two concurrent teardowns" "$ROOT" "$ID"

# `teardown ROOT` of a root cairn made, its journal in the default state
# directory (where a runtime's sessions are, unless the config says
# otherwise): no config is read, so a config broken since setup does not
# stop it.  The default state directory is a tmpfs of this test's own
# namespace (the host's is not touched), from here to the end.
S=${cairn_default_state_dir:?the default state_dir (make check sets it)}
if [ -d "$S" ]; then
        mount -t tmpfs -o mode=0700 cairn-it-state "$S"
else
        mount -t tmpfs -o mode=0755 cairn-it-run "$(dirname "$S")" && mkdir -m 0700 "$S"
fi || bail "a tmpfs for the default state directory $S"
DEF=$IT_DIR/default-state.conf
{ printf '[cairn]\nplugin_dir = %s\nroot_parent = %s\n' "$IT_PLUGINS" "$IT_ROOTS"
  sed -n '/^stack/,$p' "$IT_CONF"; } >"$DEF"
setup_root "default state_dir" -c "$DEF" --set runtime="$IT_RUNTIME" --set platform=kvm || done_testing
check "its journal is in the default state directory" test -f "$S/$ID.journal"
echo "this is not ini" >>"$DEF"
if command -v strace >/dev/null; then
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
                strace -f -qq -e trace=open,openat,openat2 -o "$IT_DIR/strace2.out" \
                "$IT_CAIRN" --confdir "$IT_CONFD" -c "$DEF" teardown "$ROOT" 2>"$IT_DIR/strace2.err"
        rc=$?
        is "$rc" 0 "default state_dir, config broken since setup: teardown ROOT exits 0"
        [ "$rc" = 0 ] || diag "$(cat "$IT_DIR/strace2.err")"
        check "... and reads no config" sh -c '! grep -q "default-state.conf" "$1"' sh "$IT_DIR/strace2.out"
else
        not_ok "strace is needed to watch teardown's system calls (apt-get install strace)"
        run_cairn -c "$DEF" teardown "$ROOT"
fi
assert_gone "default state_dir, config broken" "$ROOT" "$ID"
check "... and the default state directory is empty" dir_is_empty "$S"

done_testing
