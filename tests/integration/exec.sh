#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `cairn exec`: the seed's stack in a throw-away root, in a private mount
# namespace, for one command; its exit status is the command's; nothing is
# left afterwards.
. "$(dirname "$0")/lib.sh"

shipped_conf "$IT_CONF"
[ -n "$IT_RUNTIME_STATIC" ] || bail "no static binary to run inside the root (/sbin/ldconfig)"

run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm exec -- /runsc --version
is "$RC" 0 "exec -- /runsc --version exits 0"
check "exec ran /runsc inside the root" grep -q ldconfig <<<"$OUT"
check "exec leaves no root" dir_is_empty "$IT_ROOTS"
check "exec leaves no journal" no_journals
check "exec leaves no mount" nothing_mounted_under "$IT_ROOTS"

run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" exec -- /runsc --no-such-option
is "$RC" 64 "exec returns the command's exit status (ldconfig --no-such-option: 64)"
check "... and leaves no root" dir_is_empty "$IT_ROOTS"
check "... and no journal" no_journals

# A static helper bound at /t, to exit, die or wait as told.
SB=$abs_top_builddir/tests/integration/sandboxed
[ -x "$SB" ] || bail "$SB not built"
install -m 0755 "$SB" "$IT_HOST/sandboxed" || bail "copy $SB"
{ cat "$IT_CONF"; printf '\n[t]\nplugin = binbind\nsource = %s\ntarget = /t\n' "$IT_HOST/sandboxed"; } >"$IT_DIR/exec.conf"
sed -i 's/^stack = .*/stack = proc runsc kvm t/' "$IT_DIR/exec.conf"
E=(-c "$IT_DIR/exec.conf" --set runtime="$IT_RUNTIME" exec --)

leaves_nothing() {
        check "$1: no root left" dir_is_empty "$IT_ROOTS"
        check "$1: no journal left" no_journals
        check "$1: no mount left" nothing_mounted_under "$IT_ROOTS"
}

run_cairn "${E[@]}" /t exit 0
is "$RC" 0 "exec: exit status 0 passed through"
run_cairn "${E[@]}" /t exit 7
is "$RC" 7 "exec: exit status 7 passed through"
leaves_nothing "exit 7"
run_cairn "${E[@]}" /t kill 11
is "$RC" $((128 + 11)) "exec: killed by SIGSEGV gives 128+11"
run_cairn "${E[@]}" /t kill 9
is "$RC" $((128 + 9)) "exec: killed by SIGKILL gives 128+9"
leaves_nothing "command killed"

run_cairn "${E[@]}" /no/such/command
is "$RC" 127 "exec: a missing command gives 127"
check "exec: ... with a message naming it" grep -q "/no/such/command" "$IT_DIR/err"
leaves_nothing "missing command"

# CMD's "/" is the root, pivoted into with the old root detached: not a
# chroot, out of which a CMD running as root walks with ".." (the file
# looked for is the helper's host copy, which is not in the root).  So
# too without the new mount API (kernels before 5.2), where the root is
# bound onto itself to be a mount to pivot into.
no_open_tree="open_tree:*:ENOSYS"
run_cairn "${E[@]}" /t escape /proc "$IT_HOST/sandboxed"
is "$RC" 1 "exec: CMD cannot walk out of its root (chroot /proc, then ..)"
shim_cairn CAIRN_SHIM_FAIL="$no_open_tree" -- "${E[@]}" /t exit 7
is "$RC" 7 "exec without open_tree: exit status 7 passed through"
leaves_nothing "exec without open_tree"
shim_cairn CAIRN_SHIM_FAIL="$no_open_tree" -- "${E[@]}" /t test-file /runsc
is "$RC" 0 "exec without open_tree: what is mounted in the root is there (/runsc)"
shim_cairn CAIRN_SHIM_FAIL="$no_open_tree" -- "${E[@]}" /t escape /proc "$IT_HOST/sandboxed"
is "$RC" 1 "exec without open_tree: CMD cannot walk out of its root"
leaves_nothing "exec without open_tree, escape tried"
G=$IT_DIR/given-exec
mkdir -p "$G/proc" "$G/dev" && install -m 0755 "$SB" "$G/t" && : >"$G/in-given"
shim_cairn CAIRN_SHIM_FAIL="$no_open_tree" -- -c "$IT_CONF" --set runtime="$IT_RUNTIME" exec --root "$G" -- /t test-file /in-given
is "$RC" 0 "exec --root DIR without open_tree: CMD runs in DIR"
mount -t tmpfs -o size=1m given "$G" && install -m 0755 "$SB" "$G/t" && mkdir "$G/proc" && : >"$G/in-mount"
shim_cairn CAIRN_SHIM_FAIL="$no_open_tree" -- -c "$IT_CONF" --set runtime="$IT_RUNTIME" exec --root "$G" -- /t test-file /in-mount
is "$RC" 0 "exec --root DIR without open_tree, DIR a mount's root: CMD runs in it"
umount "$G"

# Only descriptors 0-2 reach CMD, also numbers above 1023 (a runtime may
# hand over many), also without close_range(2) (before Linux 5.11).
for spec in "" "close_range:*:ENOSYS"; do
        (
                ulimit -n 4096
                exec 9<"$IT_CONF" 3000<"$IT_CONF"
                shim_cairn ${spec:+CAIRN_SHIM_FAIL="$spec"} -- "${E[@]}" /t test-file /proc/self/fd/9
                echo "$RC" >"$IT_DIR/fd9.rc"
                shim_cairn ${spec:+CAIRN_SHIM_FAIL="$spec"} -- "${E[@]}" /t test-file /proc/self/fd/3000
                echo "$RC" >"$IT_DIR/fd3000.rc"
        )
        is "$(cat "$IT_DIR/fd9.rc")" 1 "exec${spec:+ without close_range}: descriptor 9 of cairn's does not reach CMD"
        is "$(cat "$IT_DIR/fd3000.rc")" 1 "exec${spec:+ without close_range}: descriptor 3000 of cairn's does not reach CMD"
done

# SIGTERM to cairn reaches the command (which then exits 42).
"$IT_CAIRN" --confdir "$IT_CONFD" "${E[@]}" /t wait-term >"$IT_DIR/wt.out" 2>"$IT_DIR/wt.err" &
cairn_pid=$!
for _ in $(seq 100); do [ -s "$IT_DIR/wt.out" ] && break; sleep 0.1; done
check "exec: the command started" test -s "$IT_DIR/wt.out"
kill -TERM "$cairn_pid"
wait "$cairn_pid"
is "$?" 42 "exec: SIGTERM is forwarded to the command (it exits 42)"
leaves_nothing "SIGTERM"

# The command killed from outside with SIGKILL.  It runs in a PID
# namespace of its own (the pid it prints is the namespace's): its host
# pid is that of the one child of the sandbox's init, whose pid
# --status-fd gives.
# cmd_of STATUS-FILE: the host pid of CMD (empty if not found in 10 s).
cmd_of() {
        local init= _
        for _ in $(seq 100); do
                init=$(sed -n 's/^{"child-pid": \([0-9]*\)}$/\1/p' "$1")
                [ -n "$init" ] && pgrep -P "$init" && return
                sleep 0.1
        done
}
"$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_DIR/exec.conf" --set runtime="$IT_RUNTIME" exec --status-fd 3 -- \
        /t wait-term >"$IT_DIR/wk.out" 2>"$IT_DIR/wk.err" 3>"$IT_DIR/wk.status" &
cairn_pid=$!
child=$(cmd_of "$IT_DIR/wk.status")
check "exec: the command's host pid is found (the init's child)" test -n "$child"
[ -n "$child" ] && kill -KILL "$child"
wait "$cairn_pid"
is "$?" $((128 + 9)) "exec: the command killed with SIGKILL gives 137"
leaves_nothing "SIGKILL from outside"

# cairn itself killed with SIGKILL: the sandbox's init (its parent-death
# signal, its life pipe) kills the command and takes the root down itself.
"$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_DIR/exec.conf" --set runtime="$IT_RUNTIME" exec --status-fd 3 -- \
        /t wait-term >"$IT_DIR/wc.out" 2>"$IT_DIR/wc.err" 3>"$IT_DIR/wc.status" &
cairn_pid=$!
child=$(cmd_of "$IT_DIR/wc.status")
check "exec (to be killed): the command's host pid is found" test -n "$child"
kill -KILL "$cairn_pid"
wait "$cairn_pid" 2>/dev/null
for _ in $(seq 100); do
        kill -0 "$child" 2>/dev/null || { dir_is_empty "$IT_ROOTS" && no_journals && break; }
        sleep 0.1
done
check "exec killed: the command died with cairn" sh -c "! kill -0 $child 2>/dev/null"
leaves_nothing "cairn exec killed (the init took the root down)"
run_cairn -c "$IT_DIR/exec.conf" gc
is "$RC" 0 "exec killed: gc exits 0"
leaves_nothing "cairn exec killed, then gc"

done_testing
