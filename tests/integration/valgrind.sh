#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# setup, teardown, check and plugins under valgrind: no memory errors, no
# definite leaks, no descriptor of cairn's own left open at exit.  (valgrind
# 3.19 knows neither openat2 nor the new mount API: this also runs cairn's
# fallbacks for them, the O_NOFOLLOW walk and mount(2) through /proc/self/fd.)
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || bail "valgrind is not installed (.ci/run installs it)"
shipped_conf "$IT_CONF"

# vg NAME ARG...: cairn ARG... under valgrind; RC, OUT as run_cairn; two TAP
# lines: clean memory, and no descriptor opened by cairn left at exit.
# VG_EXTRA: more valgrind options (exec follows its children: the sandbox's
# init and the spawner, all but CMD itself).
vg() {
        local name=$1 log=$IT_DIR/vg.log
        shift
        "$abs_top_builddir/libtool" --mode=execute valgrind -q --error-exitcode=99 \
                --leak-check=full --errors-for-leak-kinds=definite --track-fds=yes \
                --log-file="$log" ${VG_EXTRA:-} "$IT_CAIRN" --confdir "$IT_CONFD" "$@" >"$IT_DIR/out" 2>"$IT_DIR/err"
        RC=$?
        OUT=$(cat "$IT_DIR/out")
        is "$(grep -cE 'Invalid|uninitialised|definitely lost|unaddressable' "$log")" 0 \
                "$name: no memory errors or definite leaks under valgrind"
        # Open at exit beyond stdin/out/err: only what valgrind's parent gave.
        local own
        own=$(awk '/Open file descriptor [0-9]+:/ { fd = $0; getline; if ($0 !~ /inherited from parent/) print fd }' "$log" |
                grep -vE 'descriptor [012]:' || true)
        is "$own" "" "$name: no descriptor of cairn's left open"
        [ "$RC" -ne 99 ] || { diag "$(cat "$log")"; not_ok "$name: valgrind reported errors"; }
}

vg "setup" -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm setup
is "$RC" 0 "setup under valgrind exits 0"
ROOT=$OUT
check "/proc mounted (valgrind run)" is_mounted "$ROOT/proc"
check "/runsc read-only (valgrind run, mount(2) fallback)" mount_has_opts "$ROOT/runsc" ro
check "/dev/kvm mounted (valgrind run)" is_mounted "$ROOT/dev/kvm"
vg "teardown" -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "teardown under valgrind exits 0"
assert_gone "valgrind" "$ROOT" "${ROOT##*/}"
# exec: P, the sandbox's init (setup, pivot, teardown after CMD) and the
# spawner, each under valgrind; CMD (the runtime stub) is not, as valgrind
# is not in the root.  --vgdb=no: inside the root there is no /tmp for it.
VG_EXTRA="--trace-children=yes --trace-children-skip=/runsc --vgdb=no" \
        vg "exec" -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm exec -- /runsc --version
is "$RC" 0 "exec under valgrind exits CMD's status, 0"
[ "$RC" -eq 0 ] || diag "$(cat "$IT_DIR/err" "$IT_DIR/vg.log")"
check "exec under valgrind leaves nothing behind" nothing_left_at_all
vg "check" -c "$IT_CONF" --set runtime="$IT_RUNTIME" check
is "$RC" 0 "check under valgrind exits 0"
vg "plugins" -c "$IT_CONF" plugins
is "$RC" 0 "plugins under valgrind exits 0"
vg "bad config" -c /nonexistent/cairn.conf check
is "$RC" 2 "a missing config under valgrind exits 2"

done_testing
