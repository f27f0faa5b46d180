#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The command line forgives order: the global options (-c, --confdir,
# --set, -v, -q) after the command too, as git and systemctl take them;
# never after a "--" (an exec's CMD keeps its own -c).  A user who is not
# root is told first that cairn needs root, for the commands that mount.
. "$(dirname "$0")/lib.sh"

{
        entry_binbind runsc "$IT_RUNTIME" /runsc
        entry kvm kvm device=/dev/kvm "when=platform=kvm"
} | write_conf "$IT_CONF" "runsc kvm"

"$IT_CAIRN" setup -c "$IT_CONF" --confdir "$IT_CONFD" --set platform=kvm >"$IT_DIR/out" 2>"$IT_DIR/err"
is "$?" 0 "setup -c FILE --confdir DIR --set K=V (after the command): exit 0"
ROOT=$(cat "$IT_DIR/out")
check "... the config given after the command was used (root in its root_parent)" \
        test "${ROOT%/*}" = "$IT_ROOTS"
check "... --set after the command held: the kvm entry ran" is_mounted "$ROOT/dev/kvm"
"$IT_CAIRN" teardown "$ROOT" --config="$IT_CONF" -q >"$IT_DIR/out" 2>"$IT_DIR/err"
is "$?" 0 "teardown ROOT --config=FILE -q: exit 0"
check "... nothing left" nothing_left_at_all

# A global given before and after: the later one wins, as --set always did.
"$IT_CAIRN" -c "$IT_CONF" --confdir "$IT_CONFD" --set platform=kvm setup --set platform=none >"$IT_DIR/out"
ROOT=$(cat "$IT_DIR/out")
check "--set before and after the command: the later wins (no kvm)" test ! -e "$ROOT/dev/kvm"
"$IT_CAIRN" -c "$IT_CONF" teardown "$ROOT"

# After "--", nothing is a global option: CMD gets its -c and --set.
BUSYBOX=$(command -v busybox) || bail "busybox is not installed (apt-get install busybox-static)"
entry_binbind bb "$BUSYBOX" /echo | write_conf "$IT_DIR/bb.conf" "bb"
"$IT_CAIRN" exec -c "$IT_DIR/bb.conf" --confdir "$IT_CONFD" -- /echo -c --set x=y -v \
        >"$IT_DIR/out" 2>"$IT_DIR/err"
is "$?" 0 "exec -c FILE -- CMD -c --set x=y -v: exit 0"
is "$(cat "$IT_DIR/out")" "-c --set x=y -v" "... CMD got its own -c, --set and -v"
check "... nothing left" nothing_left_at_all

# Not root: said first, exit 2, nothing done.
chmod 0755 "$IT_DIR"
for cmd in setup teardown gc exec oci-hook; do
        setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all -- \
                "$IT_CAIRN" -c "$IT_CONF" "$cmd" >"$IT_DIR/out" 2>"$IT_DIR/err" </dev/null
        is "$?" 2 "$cmd as nobody: exit 2"
        check "$cmd as nobody: says cairn needs root (CAP_SYS_ADMIN)" \
                grep -q "cairn needs root (CAP_SYS_ADMIN)" "$IT_DIR/err"
done
check "as nobody: nothing done" nothing_left_at_all
setpriv --reuid 65534 --regid 65534 --clear-groups -- "$IT_CAIRN" --help >"$IT_DIR/out" 2>&1
is "$?" 0 "--help as nobody: exit 0"

done_testing
