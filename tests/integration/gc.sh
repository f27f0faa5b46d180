#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `cairn gc` after a crash: a setup killed (SIGKILL, by the test plugin
# "crash") at different points leaves mounts, a root and a journal; gc
# finishes the job and nothing is left.  gc leaves live sessions alone
# unless --all, and collects those whose --owner is gone.
. "$(dirname "$0")/lib.sh"

# crash_at NAME STACK < SECTIONS: a setup that dies; then gc.
crash_at() {
        local name=$1 before id
        before=$(ls "$IT_ROOTS")
        write_conf "$IT_CONF" "$2"
        run_cairn -c "$IT_CONF" setup
        is "$RC" 137 "$name: setup was killed (SIGKILL)"
        id=$(ls "$IT_ROOTS" | grep -vxF -e "$before" -e '')
        check "$name: it left a root behind (for gc to find)" test -n "$id" -a -d "$IT_ROOTS/$id"
        check "$name: ... and its journal" test -f "$IT_STATE/$id.journal"
        run_cairn -c "$IT_CONF" list
        is "$RC" 0 "$name: list exits 0"
        check "$name: list shows the crashed session" grep -qF "$id" <<<"$OUT"
        run_cairn -c "$IT_CONF" gc
        is "$RC" 0 "$name: gc exits 0"
        assert_gone "$name: after gc" "$IT_ROOTS/$id" "$id"
        run_cairn -c "$IT_CONF" gc
        is "$RC" 0 "$name: a second gc exits 0"
}

crash_at "crash after 3 entries and 2 of its own mounts" "proc t1 t2 die" <<'EOF_CONF'
[proc]

[t1]
plugin = tmpfs
target = /t1

[t2]
plugin = tmpfs
target = /t1/t2/deep

[die]
plugin = crash
mounts = /d1 /t1/t2/d2
EOF_CONF
crash_at "crash in the first entry, after its mount" "die" <<'EOF_CONF'
[die]
plugin = crash
mounts = /x/y
EOF_CONF
crash_at "crash in the first entry, before any mount" "die" <<'EOF_CONF'
[die]
plugin = crash
EOF_CONF

# A crashed session can also be finished by `teardown ID` from its journal.
write_conf "$IT_CONF" "proc t1 die" <<'EOF_CONF'
[proc]

[t1]
plugin = tmpfs
target = /t1

[die]
plugin = crash
mounts = /d1 /t1/d2
EOF_CONF
before=$(ls "$IT_ROOTS")
run_cairn -c "$IT_CONF" setup
is "$RC" 137 "crash, then teardown: setup was killed (SIGKILL)"
id=$(ls "$IT_ROOTS" | grep -vxF -e "$before" -e '')
check "crash, then teardown: it left mounts behind" \
        test -n "$(mounts_under "$IT_ROOTS/$id/t1")"
run_cairn -c "$IT_CONF" teardown "$id"
is "$RC" 0 "crash, then teardown ID: exit 0"
assert_gone "crash, then teardown ID" "$IT_ROOTS/$id" "$id"

# Live sessions: gc keeps them, gc --all does not.
shipped_conf "$IT_CONF"
set -- -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm
setup_root "live session" "$@" || done_testing
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "live session: gc exits 0"
check "live session: gc leaves it mounted" is_mounted "$ROOT/runsc"
check "live session: gc leaves its journal" test -f "$IT_STATE/$ID.journal"
run_cairn -c "$IT_CONF" gc --all
is "$RC" 0 "live session: gc --all exits 0"
assert_gone "live session: after gc --all" "$ROOT" "$ID"

# --owner: gone -> collected; alive -> kept until it is gone.
sleep 0 &
dead=$!
wait "$dead"
setup_root "dead owner" "$@" -- --owner "$dead" || done_testing
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "dead owner: gc exits 0"
assert_gone "dead owner: after gc" "$ROOT" "$ID"

sleep 600 &
alive=$!
setup_root "live owner" "$@" -- --owner "$alive" || done_testing
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "live owner: gc exits 0"
check "live owner: gc leaves the session mounted" is_mounted "$ROOT/runsc"
kill "$alive"
wait "$alive" 2>/dev/null
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "live owner, once gone: gc exits 0"
assert_gone "live owner, once gone: after gc" "$ROOT" "$ID"

done_testing
