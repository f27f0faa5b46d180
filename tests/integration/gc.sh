#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `cairn gc` and `cairn list`.  gc finishes what a crash left (a setup
# killed by the test plugin "crash" at different points; a teardown killed
# by the fault shim), collects ready sessions whose --owner is gone (a pid
# reused by another process counts as gone), and leaves alone: ready
# sessions with a live owner, ready sessions with no owner, and sessions a
# live cairn is working on.  gc --all takes everything, waiting for a
# session in progress.  list shows each session with its state, in text and
# in JSON.
. "$(dirname "$0")/lib.sh"

# Whatever happens, no process of ours outlives the test: the owners
# (sleep) and a cairn stopped by the shim (it would hold its lock forever).
bg_pids=()
trap 'kill -KILL "${bg_pids[@]}" 2>/dev/null; it_cleanup' EXIT

# crash_at NAME: a setup of $IT_CONF that dies; then gc.
crash_at() {
        local name=$1 before id
        before=$(ls "$IT_ROOTS")
        run_cairn -c "$IT_CONF" setup
        is "$RC" 137 "$name: setup was killed (SIGKILL)"
        id=$(ls "$IT_ROOTS" | grep -vxF -e "$before" -e '')
        check "$name: it left a root behind (for gc to find)" test -n "$id" -a -d "$IT_ROOTS/$id"
        check "$name: ... and its journal" test -f "$IT_STATE/$id.journal"
        run_cairn -c "$IT_CONF" list
        is "$RC" 0 "$name: list exits 0"
        check "$name: list shows the crashed session setting-up, stale" \
                grep -Eq "^$id setting-up ?\(stale\) $IT_ROOTS/$id " <<<"$OUT"
        run_cairn -c "$IT_CONF" gc
        is "$RC" 0 "$name: gc exits 0"
        assert_gone "$name: after gc" "$IT_ROOTS/$id" "$id"
        run_cairn -c "$IT_CONF" gc
        is "$RC" 0 "$name: a second gc exits 0"
}

{
        entry proc
        entry_tmpfs t1 /t1
        entry_tmpfs t2 /t1/t2/deep
        entry die crash "mounts=/d1 /t1/t2/d2"
} | write_conf "$IT_CONF" "proc t1 t2 die"
crash_at "crash after 3 entries and 2 of its own mounts"
entry die crash mounts=/x/y | write_conf "$IT_CONF" "die"
crash_at "crash in the first entry, after its mount"
entry die crash | write_conf "$IT_CONF" "die"
crash_at "crash in the first entry, before any mount"

# A crashed session can also be finished by `teardown ID` from its journal.
{
        entry proc
        entry_tmpfs t1 /t1
        entry die crash "mounts=/d1 /t1/d2"
} | write_conf "$IT_CONF" "proc t1 die"
before=$(ls "$IT_ROOTS")
run_cairn -c "$IT_CONF" setup
is "$RC" 137 "crash, then teardown: setup was killed (SIGKILL)"
id=$(ls "$IT_ROOTS" | grep -vxF -e "$before" -e '')
check "crash, then teardown: it left mounts behind" \
        test -n "$(mounts_under "$IT_ROOTS/$id/t1")"
run_cairn -c "$IT_CONF" teardown "$id"
is "$RC" 0 "crash, then teardown ID: exit 0"
assert_gone "crash, then teardown ID" "$IT_ROOTS/$id" "$id"

shipped_conf "$IT_CONF"
set -- -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm

# ---- ready, no owner: gc keeps it, gc --all does not -------------------------

setup_root "no owner" "$@" || done_testing
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "no owner: gc exits 0"
check "no owner: gc leaves it mounted" is_mounted "$ROOT/runsc"
check "no owner: gc leaves its journal" test -f "$IT_STATE/$ID.journal"
run_cairn -c "$IT_CONF" gc --all
is "$RC" 0 "no owner: gc --all exits 0"
assert_gone "no owner: after gc --all" "$ROOT" "$ID"

# ---- --owner ------------------------------------------------------------------

# An owner that does not exist is refused (nothing is done).
sleep 0 &
dead=$!
wait "$dead"
run_cairn "$@" setup --owner "$dead"
is "$RC" 2 "--owner of a process that does not exist: setup exits 2"
check "--owner of a process that does not exist: nothing is done" nothing_left_at_all
run_cairn "$@" setup --owner notapid
is "$RC" 2 "--owner notapid: setup exits 2"

# The owner dies: gc takes the session.
sleep 600 &
owner=$!
bg_pids+=("$owner")
setup_root "owner dies" "$@" -- --owner "$owner" || done_testing
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "owner dies: gc while it lives exits 0"
check "owner dies: gc while it lives leaves the session mounted" is_mounted "$ROOT/runsc"
check "owner dies: ... and its journal" test -f "$IT_STATE/$ID.journal"
kill "$owner"
wait "$owner" 2>/dev/null
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "owner dies: gc once it is gone exits 0"
assert_gone "owner dies: after gc" "$ROOT" "$ID"

# The owner's pid is reused by another process: the owner is gone all the
# same (cairn recorded its start time).  Force the reuse through
# ns_last_pid: the next process forked gets the pid after it.
sleep 600 &
owner=$!
bg_pids+=("$owner")
setup_root "reused pid" "$@" -- --owner "$owner" || done_testing
kill "$owner"
wait "$owner" 2>/dev/null
sleep 0.05 # a later start time, in clock ticks
impostor=
for try in $(seq 50); do
        echo $((owner - 1)) >/proc/sys/kernel/ns_last_pid 2>/dev/null || break
        sleep 600 &
        if [ "$!" = "$owner" ]; then
                impostor=$!
                bg_pids+=("$impostor")
                break
        fi
        kill "$!"
        wait "$!" 2>/dev/null
done
if [ -n "$impostor" ]; then
        ok "reused pid: another process now has the owner's pid $owner (try $try)"
        run_cairn -c "$IT_CONF" gc
        is "$RC" 0 "reused pid: gc exits 0"
        if [ "$RC" != 0 ] && command -v strace >/dev/null; then
                # A rare failure (exit 1, nothing on stderr) seen twice in
                # CI right here and never reproduced: leave a trace of the
                # next cairn run for whoever reads the log.
                strace -f -o "$IT_DIR/after-reuse.strace" "$IT_CAIRN" --confdir "$IT_CONFD" \
                        -c "$IT_CONF" list >/dev/null 2>&1
                diag "after the failure, cairn list exits $?; its last system calls:" \
                        "$(tail -n 40 "$IT_DIR/after-reuse.strace")"
        fi
        assert_gone "reused pid: gc takes the session" "$ROOT" "$ID"
        kill "$impostor"
        wait "$impostor" 2>/dev/null
else
        not_ok "reused pid: could not give another process the owner's pid $owner"
        run_cairn -c "$IT_CONF" gc --all
fi

# ---- list: every state --------------------------------------------------------

# ready with a live owner, ready without, setting-up (a setup killed),
# tearing-down (a teardown killed), failed (a rollback that could not undo
# a mount), and setting-up held by a live cairn (stopped by the shim).
sleep 600 &
owner=$!
bg_pids+=("$owner")
setup_root "list: owned" "$@" -- --owner "$owner" || done_testing
id_owned=$ID root_owned=$ROOT
setup_root "list: ownerless" "$@" || done_testing
id_free=$ID root_free=$ROOT
setup_root "list: to be torn down" "$@" || done_testing
id_td=$ID root_td=$ROOT
# Killed after its first unmount.  Without unique mount IDs (before Linux
# 6.8), once that unmount is on record (write 1: "teardown", 2: the
# unmount's "undone"): killed between the unmount and its record, the
# freed mount ID could go to one of the mounts made below, and a later
# undo would take that for cairn's mount, moved (and refuse, exit 3).
# With them, right after the unmount: its record waits.
td_kill=umount2:1
grep -q '^[0-9]* mounted ' "$IT_STATE/$ID.journal" && td_kill=write:2
shim_cairn CAIRN_SHIM_KILL_AT=$td_kill -- "$@" teardown "$ID"
is "$RC" 137 "list: a teardown killed after its first unmount is on record"
ids_before=$(ls "$IT_ROOTS")
shim_cairn CAIRN_SHIM_KILL_AT=write:4 -- "$@" setup
is "$RC" 137 "list: a setup killed after its 4th journal write"
id_su=$(ls "$IT_ROOTS" | grep -vxF -e "$ids_before" -e '')
{
        entry_tmpfs t1 /t1
        entry_tmpfs t2 /t1/t2
        entry fail fail
} | write_conf "$IT_DIR/fail.conf" "t1 t2 fail"
ids_before=$(ls "$IT_ROOTS")
shim_cairn CAIRN_SHIM_FAIL='umount2:*:EBUSY' -- -c "$IT_DIR/fail.conf" setup
is "$RC" 3 "list: a setup whose rollback cannot unmount exits 3"
id_failed=$(ls "$IT_ROOTS" | grep -vxF -e "$ids_before" -e '')
# A setup in progress: stopped (alive, its lock held) after its 3rd write.
ids_before=$(ls "$IT_ROOTS")
(
        export LD_PRELOAD=$IT_SHIM CAIRN_SHIM_STOP_AT=write:3
        exec "$IT_CAIRN" --confdir "$IT_CONFD" "$@" setup >"$IT_DIR/live.out" 2>"$IT_DIR/live.err"
) &
live=$!
bg_pids+=("$live")
for i in $(seq 100); do
        [ "$(awk '{ print $3 }' "/proc/$live/stat" 2>/dev/null)" = T ] && break
        sleep 0.05
done
is "$(awk '{ print $3 }' "/proc/$live/stat" 2>/dev/null)" T "list: a setup stopped half-way (alive)"
id_live=$(ls "$IT_ROOTS" | grep -vxF -e "$ids_before" -e '')
diag "sessions: owned=$id_owned free=$id_free td=$id_td su=$id_su failed=$id_failed live=$id_live"

run_cairn -c "$IT_CONF" list
is "$RC" 0 "list exits 0"
list=$OUT
line_of() { grep "^$1 " <<<"$list"; }
created_re='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:?[0-9]{2})?'
check "list: ready, owned: ID ready ROOT CREATED OWNER" \
        grep -Eqx "$id_owned ready $root_owned $created_re $owner" <<<"$list"
check "list: ready, no owner: OWNER is -" \
        grep -Eqx "$id_free ready $root_free $created_re -" <<<"$list"
check "list: a killed teardown is tearing-down, stale" \
        grep -Eqx "$id_td tearing-down ?\(stale\) $root_td $created_re -" <<<"$list"
check "list: a killed setup is setting-up, stale" \
        grep -Eqx "$id_su setting-up ?\(stale\) $IT_ROOTS/$id_su $created_re -" <<<"$list"
check "list: a setup that could not roll back is failed" \
        grep -Eq "^$id_failed failed" <<<"$list"
check "list: a live setup is setting-up, not stale" \
        grep -Eqx "$id_live setting-up $IT_ROOTS/$id_live $created_re -" <<<"$list"
is "$(grep -c . <<<"$list")" 6 "list: one line per session (6)"

run_cairn -c "$IT_CONF" list --json
is "$RC" 0 "list --json exits 0"
check "list --json is JSON" python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$OUT"
check "list --json carries the documented fields, right" python3 -c '
import json, re, sys
d = json.load(sys.stdin)
want = dict(a.split("=", 1) for a in sys.argv[1:])
s = {x["id"]: x for x in d["sessions"]}
assert len(s) == 6, s.keys()
for x in d["sessions"]:
    for k in ("id", "root", "state", "stale", "created", "owner"):
        assert k in x, (k, x)
    assert x["state"] in ("setting-up", "ready", "tearing-down", "failed"), x
    assert isinstance(x["stale"], bool), x
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:?\d\d)?", x["created"]), x
    assert x["owner"] is None or (isinstance(x["owner"], int) and not isinstance(x["owner"], bool)), x
def chk(i, state, stale, owner, root=None):
    x = s[want[i]]
    assert (x["state"], x["stale"], x["owner"]) == (state, stale, owner), (i, x)
    if root:
        assert x["root"] == want[root], (i, x)
chk("owned", "ready", False, int(want["pid"]), "root_owned")
chk("free", "ready", False, None, "root_free")
chk("td", "tearing-down", True, None, "root_td")
chk("su", "setting-up", True, None)
chk("live", "setting-up", False, None)
assert s[want["failed"]]["state"] == "failed"
' owned="$id_owned" free="$id_free" td="$id_td" su="$id_su" live="$id_live" failed="$id_failed" \
        pid="$owner" root_owned="$root_owned" root_free="$root_free" root_td="$root_td" <<<"$OUT"

# ---- gc: what it takes and what it spares -------------------------------------

run_cairn -c "$IT_CONF" gc
is "$RC" 0 "gc exits 0"
check "gc spares the ready session with a live owner" is_mounted "$root_owned/runsc"
check "gc spares the ready session with no owner" is_mounted "$root_free/runsc"
check "gc spares the setup a live cairn is working on" test -f "$IT_STATE/$id_live.journal"
assert_gone "gc takes the killed teardown" "$root_td" "$id_td"
assert_gone "gc takes the killed setup" "$IT_ROOTS/$id_su" "$id_su"
assert_gone "gc takes the failed setup (its mounts are free now)" "$IT_ROOTS/$id_failed" "$id_failed"
run_cairn -c "$IT_CONF" list
is "$(grep -c . <<<"$OUT")" 3 "list after gc: 3 sessions left"

# gc --all waits for the live setup, then takes everything.
(
        "$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_CONF" gc --all >"$IT_DIR/gcall.out" 2>"$IT_DIR/gcall.err"
        echo $? >"$IT_DIR/gcall.rc"
) &
gcall=$!
bg_pids+=("$gcall")
sleep 0.5
check "gc --all waits while a live cairn holds a session" kill -0 "$gcall"
kill -CONT "$live"
wait "$live"
is "$?" 0 "the stopped setup, continued, exits 0"
wait "$gcall"
is "$(cat "$IT_DIR/gcall.rc" 2>&1)" 0 "gc --all exits 0"
[ -s "$IT_DIR/gcall.err" ] && diag "gc --all:" "$(cat "$IT_DIR/gcall.err")"
for s in "$id_owned:$root_owned" "$id_free:$root_free" "$id_live:$IT_ROOTS/$id_live"; do
        assert_gone "gc --all takes ${s%%:*}" "${s#*:}" "${s%%:*}"
done
check "nothing is left" nothing_left_at_all
run_cairn -c "$IT_CONF" list
is "$RC:$OUT" "0:" "list with no session: exit 0, no output"
run_cairn -c "$IT_CONF" list --json
check "list --json with no session: an empty list" \
        python3 -c 'import json,sys; assert json.load(sys.stdin)["sessions"] == []' <<<"$OUT"
kill "$owner"
wait "$owner" 2>/dev/null

done_testing
