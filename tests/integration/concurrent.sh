#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 8 workers x 15 setup/teardown cycles at once, while `list`, `list --json`
# and `gc` run beside them over and over: every call exits 0, every root is
# complete when its setup returns (gc never takes a live session), and in
# the end nothing is left.  Each call is bounded in time (a deadlock is a
# failure, not a hang).
. "$(dirname "$0")/lib.sh"

WORKERS=8
CYCLES=15
CALL_TIMEOUT=30

{
        entry proc
        entry_tmpfs a /a
        entry_tmpfs ab /a/b/c
        entry_binbind runsc "$IT_RUNTIME" /runsc
} | write_conf "$IT_CONF" "proc a ab runsc"

FAIL=$IT_DIR/failures
CALLS=$IT_DIR/calls
: >"$FAIL"
: >"$CALLS"

# call TAG ARG...: cairn ARG..., bounded in time; a failure (exit not 0) is
# written to FAIL with its stderr.  Its stdout is in $TAG.out.
call() {
        local tag=$1 rc
        shift
        timeout -s KILL "$CALL_TIMEOUT" "$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_CONF" "$@" \
                >"$IT_DIR/$tag.out" 2>"$IT_DIR/$tag.err"
        rc=$?
        echo "$tag $1" >>"$CALLS"
        if [ "$rc" -ne 0 ] || grep -Eq 'Sanitizer|runtime error:' "$IT_DIR/$tag.err"; then
                { echo "$tag: cairn $* exited $rc"; sed 's/^/    /' "$IT_DIR/$tag.err"; } >>"$FAIL"
                return 1
        fi
        return 0
}

# Before its last cycle, a worker waits (60 s at most) until both monitors
# have run a few rounds: on a slow machine (list --json is checked by a
# python3 each round) the workers could otherwise be done first, and the
# monitors would not have run beside them.
wait_for_monitors() {
        local until=$((SECONDS + 60))
        while [ "$SECONDS" -lt "$until" ]; do
                [ "$(grep -c '^mon-list list$' "$CALLS")" -gt 5 ] &&
                        [ "$(grep -c '^mon-gc gc$' "$CALLS")" -gt 5 ] && return 0
                sleep 0.1
        done
}

worker() {
        local w=$1 c root owner=()
        # Half the workers' sessions have an owner (the worker, alive):
        # gc must leave them alone as it leaves the ownerless ones.
        [ $((w % 2)) -eq 0 ] && owner=(--owner "$BASHPID")
        for c in $(seq "$CYCLES"); do
                [ "$c" = "$CYCLES" ] && wait_for_monitors
                call "w$w" setup "${owner[@]}" || continue
                root=$(cat "$IT_DIR/w$w.out")
                case $root in
                "$IT_ROOTS"/cairn-*) ;;
                *)
                        echo "w$w.$c: setup printed '$root'" >>"$FAIL"
                        continue
                        ;;
                esac
                for m in proc a a/b/c runsc; do
                        is_mounted "$root/$m" ||
                                echo "w$w.$c: $root/$m not mounted after setup returned" >>"$FAIL"
                done
                call "w$w" teardown "$root" || continue
                [ ! -e "$root" ] || echo "w$w.$c: $root still there after its teardown" >>"$FAIL"
        done
}

start=$SECONDS
pids=()
for w in $(seq "$WORKERS"); do
        worker "$w" &
        pids+=($!)
done

# Beside them, until they are done, two loops: list and list --json (it
# must parse), and gc.
STOP=$IT_DIR/stop
monitor() {
        local what=$1
        while [ ! -e "$STOP" ]; do
                if [ "$what" = list ]; then
                        call mon-list list
                        call mon-list list --json &&
                                { python3 -c 'import json,sys; d=json.load(sys.stdin); assert isinstance(d["sessions"], list)' \
                                        <"$IT_DIR/mon-list.out" 2>>"$FAIL" ||
                                        { echo "mon: list --json is not valid:"; cat "$IT_DIR/mon-list.out"; } >>"$FAIL"; }
                else
                        call mon-gc gc
                fi
        done
}
monitor list &
mon_list=$!
monitor gc &
mon_gc=$!
deadline=$((SECONDS + 300))
for p in "${pids[@]}"; do
        while kill -0 "$p" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
                sleep 0.2
        done
done
if [ "$SECONDS" -ge "$deadline" ]; then
        echo "workers still running after 300 s" >>"$FAIL"
        kill "${pids[@]}" 2>/dev/null
fi
wait "${pids[@]}"
touch "$STOP"
wait "$mon_list" "$mon_gc"
rounds_gc=$(grep -c '^mon-gc gc$' "$CALLS")
rounds_list=$(grep -c '^mon-list list$' "$CALLS")
diag "$rounds_list lists and $rounds_gc gcs beside the workers, $((SECONDS - start)) s"

n_setup=$(grep -c '^w[0-9]* setup$' "$CALLS")
n_teardown=$(grep -c '^w[0-9]* teardown$' "$CALLS")
is "$n_setup" $((WORKERS * CYCLES)) "$((WORKERS * CYCLES)) setups were run"
is "$n_teardown" $((WORKERS * CYCLES)) "$((WORKERS * CYCLES)) teardowns were run"
check "gc ran beside the workers (more than 5 times: $rounds_gc)" test "$rounds_gc" -gt 5
check "list ran beside the workers (more than 5 times: $rounds_list)" test "$rounds_list" -gt 5
if [ -s "$FAIL" ]; then
        not_ok "every call succeeded, every root was complete ($(grep -c '^[^ ]' "$FAIL") failures)"
        diag "$(head -n 80 "$FAIL")"
else
        ok "every call succeeded, every root was complete ($(wc -l <"$CALLS") calls)"
fi
check "nothing is left: no mount under root_parent, root_parent and state_dir empty" nothing_left_at_all
run_cairn -c "$IT_CONF" gc --all
is "$RC" 0 "a final gc --all exits 0"
check "... and still nothing is left" nothing_left_at_all

done_testing
