#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What cairn is given besides its arguments cannot make it lose a root
# (issue 11, finding 10, and what was seen with it):
#   - setup whose reader is gone (SIGPIPE) or whose stdout cannot be
#     written (/dev/full): the root is taken down again, exit 1, nothing
#     left (not a cairn killed with a root built, ready and unowned);
#   - the same with --json;
#   - exec: CMD gets stdin, stdout and stderr, and no other descriptor
#     cairn was given; CMD's SIGPIPE is the default one again.
. "$(dirname "$0")/lib.sh"

write_conf "$IT_CONF" "p t" <<EOF_CONF
[p]
plugin = proc

[t]
plugin = tmpfs
target = /t
EOF_CONF

# into_closed_pipe ARG...: cairn ARG... with stdout a pipe whose reader is
# gone, SIGPIPE at its default (as a shell's pipeline would leave it);
# RC is cairn's exit status (128+N if signal N killed it).
into_closed_pipe() {
        python3 - "$IT_CAIRN" --confdir "$IT_CONFD" "$@" 2>"$IT_DIR/err" <<'EOF_PY'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
rc = subprocess.call(sys.argv[1:], stdout=w, restore_signals=True)
sys.exit(128 - rc if rc < 0 else rc)
EOF_PY
        RC=$?
        ERR=$(cat "$IT_DIR/err")
        [ -z "$ERR" ] || diag "cairn $* (exit $RC):" "$ERR"
}

into_closed_pipe -c "$IT_CONF" setup
is "$RC" 1 "setup into a pipe nobody reads: exit 1 (not killed by SIGPIPE)"
check "... saying the root could not be printed" grep -q "writing the root's path failed" <<<"$ERR"
check "... and nothing is left: no root, no journal, no mount" nothing_left_at_all

into_closed_pipe -c "$IT_CONF" setup --json
is "$RC" 1 "setup --json into a pipe nobody reads: exit 1"
check "... and nothing is left" nothing_left_at_all

"$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_CONF" setup >/dev/full 2>"$IT_DIR/err"
is "$?" 1 "setup into /dev/full: exit 1"
check "... and nothing is left" nothing_left_at_all

G=$IT_DIR/given
mkdir -p "$G/proc"
into_closed_pipe -c "$IT_CONF" setup --root "$G"
is "$RC" 1 "setup --root into a pipe nobody reads: exit 1"
check "... nothing mounted in DIR" nothing_mounted_under "$G"
check "... nothing left" nothing_left_at_all
check "... DIR is as it was (only proc in it)" test "$(ls -A "$G")" = proc

# A reader that goes away after the root is printed is not cairn's
# business: the root is there, and teardown takes it down.
root=$("$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_CONF" setup | head -n 1)
check "setup | head -n 1: the root is printed" test -d "$root"
run_cairn -c "$IT_CONF" teardown "$root"
is "$RC" 0 "... and torn down"
check "... nothing left" nothing_left_at_all

# list and gc with nobody reading: an error, not a death by signal.
into_closed_pipe -c "$IT_CONF" list
check "list into a pipe nobody reads is not killed by SIGPIPE (exit $RC)" test "$RC" -lt 128

# ---- exec: what CMD inherits ------------------------------------------------------

SB=$abs_top_builddir/tests/integration/sandboxed
[ -x "$SB" ] || bail "$SB not built"
install -m 0755 "$SB" "$IT_HOST/sandboxed" || bail "copy $SB"
write_conf "$IT_DIR/exec.conf" "p sb" <<EOF_CONF
[p]
plugin = proc

[sb]
plugin = binbind
source = $IT_HOST/sandboxed
target = /sb
EOF_CONF
E=(-c "$IT_DIR/exec.conf" exec --)

run_cairn "${E[@]}" /sb test-file /proc/self/fd/2
is "$RC" 0 "exec: CMD has its stderr (the probe works)"
for fd in 3 7 42; do
        ("$IT_CAIRN" --confdir "$IT_CONFD" "${E[@]}" /sb test-file "/proc/self/fd/$fd" \
                3</dev/null 7<"$IT_CONF" 42>"$IT_DIR/fd42" 2>"$IT_DIR/err")
        is "$?" 1 "exec: descriptor $fd given to cairn does not reach CMD"
done
check "... and nothing is left" nothing_left_at_all

# CMD's SIGPIPE and SIGXFSZ are the default ones (cairn ignores its own,
# and an ignored signal stays ignored across execve): a command sending
# itself either dies of it, as it would without cairn (ignored, it would
# go on and exit 99).
for sig in PIPE XFSZ; do
        n=$(kill -l "$sig")
        run_cairn "${E[@]}" /sb kill "$n"
        is "$RC" $((128 + n)) "exec: CMD dies of SIG$sig (128+$n), not ignoring it"
done
check "... and nothing is left" nothing_left_at_all

done_testing
