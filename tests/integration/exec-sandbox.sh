#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `cairn exec` as a sandbox (issue 13): CMD in a PID namespace whose init
# kills every process of CMD's before the root is taken down, whatever
# ends it (CMD, a signal to cairn, cairn or its init killed); /proc and
# mountinfo inside show only the sandbox; --user, --cwd, --status-fd.
# A static busybox bound at /bin/busybox is the shell inside.  Everything
# is checked from outside: processes by a unique argv (pgrep -f), the
# root, journal and mounts on the host side.
. "$(dirname "$0")/lib.sh"

[ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -Eq 'not a dynamic|statically linked' ||
        bail "no static /bin/busybox (Debian: apt-get install busybox-static)"
command -v pgrep >/dev/null || bail "pgrep is not installed (procps)"
command -v python3 >/dev/null || bail "python3 is not installed"
install -m 0755 /bin/busybox "$IT_HOST/busybox" || bail "copy busybox"

{
        entry proc
        entry_binbind bb "$IT_HOST/busybox" /bin/busybox
        entry_tmpfs work /work
        entry dev devices devices=/dev/null # a shell's background job reads it
} | write_conf "$IT_CONF" "proc bb work dev"
X=(-c "$IT_CONF" exec)
BB=/bin/busybox

leaves_nothing() {
        check "$1: no root left" dir_is_empty "$IT_ROOTS"
        check "$1: no journal left" no_journals
        check "$1: no mount left" nothing_mounted_under "$IT_ROOTS"
}
# The lines of a status file parse as JSON, one object each.
json_lines() { python3 -c 'import json,sys;[json.loads(l) for l in sys.stdin]' <"$1"; }
# field FILE KEY: KEY's value in the status lines that have it.
field() {
        python3 -c 'import json,sys
for l in sys.stdin:
    o = json.loads(l)
    if sys.argv[1] in o: print(o[sys.argv[1]])' "$2" <"$1"
}
# keys FILE: each line's keys, one line each ("child-pid", "exit-code", ...).
keys() { python3 -c 'import json,sys;[print(" ".join(json.loads(l))) for l in sys.stdin]' <"$1"; }
# Processes whose command line has MARKER (an argument no other has):
# the sleeps, the shell, cairn.
marked() { pgrep -f -- "$1"; }
# The sleeps alone.
# wait_for N COMMAND...: up to N tenths of a second for COMMAND to succeed.
wait_for() {
        local n=$1 _
        shift
        for _ in $(seq "$n"); do
                "$@" && return 0
                sleep 0.1
        done
        "$@"
}
two_marked() { [ "$(pgrep -fx -- "$BB sleep $1" | wc -l)" -eq 2 ]; }
none_marked() { ! marked "$1" >/dev/null; }
gone_from_host() { dir_is_empty "$IT_ROOTS" && no_journals && nothing_mounted_under "$IT_ROOTS"; }

# ---- signals: nothing of CMD's outlives the sandbox ----------------------------

# A shell that waits on two background sleeps (each marked by its
# argument): a non-interactive shell's background jobs ignore SIGINT, so
# only the init's SIGKILL, once the shell is gone, ends them then.
n=0
for sig in TERM INT HUP; do
        n=$((n + 1))
        mark=$((7100000 + $$ * 10 + n))
        "$IT_CAIRN" --confdir "$IT_CONFD" "${X[@]}" --status-fd 3 -- $BB sh -c \
                "$BB sleep $mark & $BB sleep $mark & wait" \
                >"$IT_DIR/sig.out" 2>"$IT_DIR/sig.err" 3>"$IT_DIR/sig.status" &
        pid=$!
        check "SIG$sig: CMD's two sleeps run" wait_for 100 two_marked "$mark"
        kill -"$sig" "$pid"
        wait "$pid"
        is "$?" $((128 + $(kill -l "$sig"))) "SIG$sig to cairn: exit 128+$(kill -l "$sig") (the shell's)"
        check "SIG$sig: no process of CMD's left" none_marked "$mark"
        leaves_nothing "SIG$sig"
        is "$(keys "$IT_DIR/sig.status" | tr '\n' ' ')" "child-pid signal " "SIG$sig: status lines child-pid, signal"
        is "$(field "$IT_DIR/sig.status" signal)" "$(kill -l "$sig")" "SIG$sig: the signal line says $(kill -l "$sig")"
done

# SIGTERM ignored by everything of CMD's: SIGKILL after the grace period.
mark=$((7200000 + $$))
"$IT_CAIRN" --confdir "$IT_CONFD" "${X[@]}" -- $BB sh -c \
        "trap '' TERM; $BB sleep $mark & $BB sleep $mark & wait; wait" \
        >"$IT_DIR/grace.out" 2>"$IT_DIR/grace.err" &
pid=$!
check "SIGTERM ignored: CMD's sleeps run" wait_for 100 two_marked "$mark"
start=$(date +%s)
kill -TERM "$pid"
wait "$pid"
rc=$?
took=$(($(date +%s) - start))
is "$rc" $((128 + 9)) "SIGTERM ignored: CMD killed after the grace period (137)"
check "SIGTERM ignored: it took the grace period (${took}s, 4-15)" test "$took" -ge 4 -a "$took" -le 15
check "SIGTERM ignored: no process of CMD's left" none_marked "$mark"
leaves_nothing "SIGTERM ignored"

# cairn SIGKILLed: its init kills CMD's processes and takes the root down.
mark=$((7300000 + $$))
"$IT_CAIRN" --confdir "$IT_CONFD" "${X[@]}" --status-fd 3 -- $BB sh -c \
        "$BB sleep $mark & $BB sleep $mark & wait" \
        >"$IT_DIR/k.out" 2>"$IT_DIR/k.err" 3>"$IT_DIR/k.status" &
pid=$!
check "SIGKILL: CMD's sleeps run" wait_for 100 two_marked "$mark"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
is "$?" $((128 + 9)) "SIGKILL to cairn: the shell's \$? is 137"
check "SIGKILL to cairn: no process of CMD's left (5 s)" wait_for 50 none_marked "$mark"
check "SIGKILL to cairn: the root, journal and mounts go (5 s)" wait_for 50 gone_from_host
leaves_nothing "SIGKILL to cairn"

# The init SIGKILLed: the kernel kills the namespace; cairn takes the
# session down itself and says so (exit 1: CMD's end was never told).
mark=$((7400000 + $$))
"$IT_CAIRN" --confdir "$IT_CONFD" "${X[@]}" --status-fd 3 -- $BB sh -c \
        "$BB sleep $mark & $BB sleep $mark & wait" \
        >"$IT_DIR/i.out" 2>"$IT_DIR/i.err" 3>"$IT_DIR/i.status" &
pid=$!
check "init killed: CMD's sleeps run" wait_for 100 two_marked "$mark"
init=$(field "$IT_DIR/i.status" child-pid)
check "init killed: the child-pid is the init, cairn's child" test "$(ps -o ppid= -p "$init" | tr -d ' ')" = "$pid"
kill -KILL "$init"
wait "$pid"
is "$?" 1 "init killed: cairn exits 1"
check "init killed: no process of CMD's left" none_marked "$mark"
check "init killed: the error is named" grep -q "init (pid $init) was killed by signal 9" "$IT_DIR/i.err"
is "$(keys "$IT_DIR/i.status" | tr '\n' ' ')" "child-pid error exit " "init killed: status lines child-pid, error"
leaves_nothing "init killed (cairn took the session down)"
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "init killed: gc exits 0"
leaves_nothing "init killed, then gc"

# Both killed (cairn stopped first, so it cannot act): the mounts die
# with the namespace, the root and journal stay, and gc (the owner is
# gone) removes them.
mark=$((7500000 + $$))
"$IT_CAIRN" --confdir "$IT_CONFD" "${X[@]}" --status-fd 3 -- $BB sh -c \
        "$BB sleep $mark & $BB sleep $mark & wait" \
        >"$IT_DIR/b.out" 2>"$IT_DIR/b.err" 3>"$IT_DIR/b.status" &
pid=$!
check "both killed: CMD's sleeps run" wait_for 100 two_marked "$mark"
init=$(field "$IT_DIR/b.status" child-pid)
kill -STOP "$pid"
kill -KILL "$init"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "both killed: no process of CMD's left (5 s)" wait_for 50 none_marked "$mark"
check "both killed: the root is left for gc" sh -c '[ -n "$(ls -A "$1")" ]' sh "$IT_ROOTS"
check "both killed: the journal is left for gc" sh -c 'ls "$1"/*.journal >/dev/null' sh "$IT_STATE"
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "both killed: gc exits 0"
leaves_nothing "both killed, then gc"

# A plugin that SIGKILLs its own process (tests/plugins/crash.c): in the
# namespace's init that signal is not delivered (a PID namespace's init
# gets no signal from inside it that it has no handler for; SIGKILL has
# none), so the plugin returns and the setup fails and rolls back.
{ entry proc; entry die crash mounts=/d; } | write_conf "$IT_DIR/crash.conf" "proc die"
run_cairn -c "$IT_DIR/crash.conf" exec --status-fd 3 -- $BB true 3>"$IT_DIR/c.status"
is "$RC" 1 "a plugin killing the init's own process: setup fails, exit 1"
check "... an error line only" test "$(keys "$IT_DIR/c.status")" = "error exit"
check "... naming the entry" grep -q '\[die\]' "$IT_DIR/c.status"
leaves_nothing "a plugin killing the init's own process"

# ---- what CMD sees: its own PID namespace, only the stack's mounts ----------

run_cairn "${X[@]}" -- $BB ls /proc
is "$(printf '%s\n' "$OUT" | grep -E '^[0-9]+$' | sort -n | tr '\n' ' ')" "1 2 " \
        "/proc inside lists the init (1) and CMD (2) only"
run_cairn "${X[@]}" -- $BB cat /proc/self/stat
is "${OUT%% *}" 2 "/proc/self/stat inside: CMD is pid 2"
run_cairn "${X[@]}" -- $BB sh -c "echo \$\$; $BB cat /proc/1/comm"
is "$(printf '%s\n' "$OUT" | tr '\n' ' ')" "2 cairn " "CMD's \$\$ is 2; pid 1 is cairn (the init)"
run_cairn "${X[@]}" -- $BB cat /proc/self/mountinfo
is "$(printf '%s\n' "$OUT" | awk '{ print $5 }' | sort | tr '\n' ' ')" "/ /bin/busybox /dev/null /proc /work " \
        "mountinfo inside: the stack's mounts only"
leaves_nothing "looking inside"

# ---- --user ---------------------------------------------------------------------

run_cairn "${X[@]}" --user 65534:65534 -- $BB cat /proc/self/status
is "$RC" 0 "--user 65534:65534: exit 0"
is "$(printf '%s\n' "$OUT" | awk '$1 == "Uid:" { print $2, $3, $4, $5 }')" "65534 65534 65534 65534" "--user: Uid 65534"
is "$(printf '%s\n' "$OUT" | awk '$1 == "Gid:" { print $2, $3, $4, $5 }')" "65534 65534 65534 65534" "--user: Gid 65534"
is "$(printf '%s\n' "$OUT" | awk '$1 == "Groups:" { print NF }')" 1 "--user: no supplementary groups"
is "$(printf '%s\n' "$OUT" | awk '$1 == "NoNewPrivs:" { print $2 }')" 1 "--user: NoNewPrivs 1"
is "$(printf '%s\n' "$OUT" | awk '$1 == "CapEff:" { print $2 }')" 0000000000000000 "--user: no capabilities"
run_cairn "${X[@]}" --user 1000 -- $BB sh -c "$BB id -u; $BB id -g"
is "$(printf '%s\n' "$OUT" | tr '\n' ' ')" "1000 1000 " "--user 1000: GID defaults to UID"
run_cairn "${X[@]}" --user 65534:65534 -- $BB touch /written
check "--user: writing into the root's top directory fails" test "$RC" -ne 0
run_cairn "${X[@]}" -- $BB test -w /
is "$RC" 0 "... as root the top directory is writable (the probe works)"
leaves_nothing "--user"
for bad in abc 1: :1 -1 +1 1:x 4294967295 1:4294967295 ""; do
        run_cairn "${X[@]}" --user "$bad" -- $BB true
        is "$RC" 2 "--user \"$bad\": exit 2"
        check "--user \"$bad\": named" grep -qF -- "--user \"$bad\"" "$IT_DIR/err"
        check "--user \"$bad\": nothing done" nothing_left
done

# ---- --cwd ----------------------------------------------------------------------

run_cairn "${X[@]}" --cwd /work -- $BB pwd
is "$OUT" /work "--cwd /work: pwd inside"
run_cairn "${X[@]}" --cwd /no/such/dir --status-fd 3 -- $BB true 3>"$IT_DIR/cwd.status"
is "$RC" 1 "--cwd of a missing directory: cairn's failure, exit 1"
check "... named" grep -q -- "--cwd /no/such/dir: No such file or directory" "$IT_DIR/err"
check "... error line, no child-pid" test "$(keys "$IT_DIR/cwd.status")" = "error exit"
is "$(field "$IT_DIR/cwd.status" exit)" 1 "... the error line says exit 1"
leaves_nothing "--cwd missing"
run_cairn "${X[@]}" --cwd work -- $BB true
is "$RC" 2 "--cwd relative: exit 2"
check "--cwd relative: nothing done" nothing_left

# ---- --status-fd -------------------------------------------------------------------

run_cairn "${X[@]}" --status-fd 3 -- $BB true 3>"$IT_DIR/st"
is "$RC" 0 "status-fd: exit 0"
check "status-fd: the lines are JSON" json_lines "$IT_DIR/st"
is "$(keys "$IT_DIR/st" | tr '\n' ' ')" "child-pid exit-code " "status-fd: child-pid, then exit-code"
is "$(field "$IT_DIR/st" exit-code)" 0 "status-fd: exit-code 0"
check "status-fd: child-pid is a host pid (not 1)" test "$(field "$IT_DIR/st" child-pid)" -gt 1
run_cairn "${X[@]}" --status-fd 3 -- $BB sh -c 'exit 3' 3>"$IT_DIR/st"
is "$RC" 3 "status-fd: CMD's exit 3 passed through"
is "$(field "$IT_DIR/st" exit-code)" 3 "status-fd: exit-code 3"
run_cairn "${X[@]}" --status-fd 3 -- $BB sh -c "$BB kill -9 \$\$" 3>"$IT_DIR/st"
is "$RC" 137 "status-fd: CMD killed by SIGKILL: 137"
is "$(keys "$IT_DIR/st" | tr '\n' ' ')" "child-pid signal " "status-fd: child-pid, then signal"
is "$(field "$IT_DIR/st" signal)" 9 "status-fd: signal 9"
run_cairn "${X[@]}" --status-fd 3 -- /no/such/cmd 3>"$IT_DIR/st"
is "$RC" 127 "status-fd: a missing command: 127"
is "$(keys "$IT_DIR/st" | tr '\n' ' ')" "child-pid exit-code " "status-fd: a missing command started, and ended"
is "$(field "$IT_DIR/st" exit-code)" 127 "status-fd: exit-code 127"
run_cairn "${X[@]}" --status-fd 5 -- $BB test -e /proc/self/fd/5 5>"$IT_DIR/st"
is "$RC" 1 "status-fd: FD does not reach CMD"
leaves_nothing "status-fd"

# A setup failure: a required bind whose source is missing (its name has
# a quote and a backslash, for the JSON string).
{ entry proc; entry_binbind gone "$IT_HOST/no\"such\\file" /gone; } | write_conf "$IT_DIR/gone.conf" "proc gone"
run_cairn -c "$IT_DIR/gone.conf" exec --status-fd 3 -- $BB true 3>"$IT_DIR/st"
is "$RC" 1 "status-fd: setup failure: exit 1"
check "status-fd: setup failure: the line is JSON" json_lines "$IT_DIR/st"
is "$(keys "$IT_DIR/st")" "error exit" "status-fd: setup failure: an error line only"
is "$(field "$IT_DIR/st" exit)" 1 "status-fd: setup failure: exit 1 in the line"
check "status-fd: setup failure: the error names the source" \
        sh -c 'grep -qF "no\"such\\file" "$1"' sh <(field "$IT_DIR/st" error)
check "status-fd: setup failure: nothing left" nothing_left_at_all

# The descriptor must be open; a reader gone or a read-only descriptor
# changes nothing of CMD's status.
run_cairn "${X[@]}" --status-fd 9 -- $BB true
is "$RC" 2 "status-fd 9, not open: exit 2"
check "status-fd 9, not open: named" grep -q -- "--status-fd 9" "$IT_DIR/err"
run_cairn "${X[@]}" --status-fd x -- $BB true
is "$RC" 2 "status-fd x: exit 2"
check "bad status-fd: nothing done" nothing_left
run_cairn "${X[@]}" --status-fd 3 -- $BB sh -c 'exit 5' 3</dev/null
is "$RC" 5 "status-fd read-only: CMD's status kept"
(
        exec 3> >(exec true)
        sleep 0.2 # the reader is gone
        run_cairn "${X[@]}" --status-fd 3 -- $BB sh -c 'exit 6'
        echo "$RC" >"$IT_DIR/epipe.rc"
)
is "$(cat "$IT_DIR/epipe.rc")" 6 "status-fd with its reader gone (EPIPE): CMD's status kept"
leaves_nothing "status-fd write failures"

done_testing
