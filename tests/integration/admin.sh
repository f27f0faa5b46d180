#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What an admin meets (issue 16): an optional entry whose plugin is not
# installed is skipped with a warning, a required one stops setup naming
# it; teardown of a session that does not exist says so and exits 0; list
# of an empty state_dir says so; a teardown stopped by a directory that is
# not empty names what is in it, once, not again around its retry.
. "$(dirname "$0")/lib.sh"

# ---- an optional entry whose plugin is gone --------------------------------
{
        entry proc
        entry gpu vendor-gpu control=optional
} | write_conf "$IT_CONF" "proc gpu"
run_cairn -c "$IT_CONF" check
is "$RC" 0 "check, optional entry whose plugin is not installed: exit 0"
check "... a warning naming the plugin, the file and the line" \
        grep -q "cairn.conf:[0-9]*: \[gpu\] plugin: plugin \"vendor-gpu\" is not installed; the optional entry is skipped" <<<"$ERR"
check "... no loader error" bash -c '! grep -q "No such file" <<<"$1"' bash "$ERR"
check "... check lists it as not installed" grep -q "\[gpu\] plugin vendor-gpu (not installed: entry skipped), optional" <<<"$OUT"
setup_root "optional entry, plugin not installed" -c "$IT_CONF"
check "... the other entries ran (proc mounted)" is_mounted "$ROOT/proc"
run_cairn -c "$IT_CONF" list --json
check "... the entry is reported skipped" \
        python3 -c 'import json,sys; d=json.loads(sys.argv[1]); e=d["sessions"][0]["entries"]; assert [x["status"] for x in e]==["done","skipped"], e' "$OUT"
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 0 "... teardown exits 0"
check "... nothing left" nothing_left_at_all
{
        entry proc
        entry gpu vendor-gpu
} | write_conf "$IT_CONF" "proc gpu"
run_cairn -c "$IT_CONF" setup
is "$RC" 2 "a required entry whose plugin is not installed: setup exits 2"
check "... naming the entry and the plugin" grep -q "\[gpu\] plugin: cannot load plugin \"vendor-gpu\"" <<<"$ERR"
check "... nothing done" nothing_left_at_all

# ---- say what happened -----------------------------------------------------------
entry proc | write_conf "$IT_CONF" "proc"
run_cairn -c "$IT_CONF" teardown cairn-nosuch
is "$RC" 0 "teardown of a session that does not exist: exit 0"
check "... says: no session ID (nothing to do)" grep -qx "cairn: no session cairn-nosuch (nothing to do)" <<<"$ERR"
run_cairn -c "$IT_CONF" list
is "$RC:$OUT" "0:" "list of an empty state_dir: exit 0, nothing on stdout"
check "... says so on stderr" grep -q "no sessions (state_dir $IT_STATE holds no journal)" <<<"$ERR"

# A directory cairn made, filled by someone else: named with what is in it.
IT_ROOT_FS=dir
entry_binbind runsc "$IT_RUNTIME" /d/runsc | write_conf "$IT_CONF" "runsc"
setup_root "a root with a directory cairn made" -c "$IT_CONF"
echo junk >"$ROOT/d/junk"
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 3 "teardown with a file of someone else's in /d: exit 3"
check "... names what is in the way" grep -q "remove $ROOT/d (left in place): not empty: junk" <<<"$ERR"
is "$(grep -c "remove $ROOT/d (left in place)" <<<"$ERR")" 1 "... said once, not again around the retry"
rm "$ROOT/d/junk"
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 0 "once it is gone, teardown exits 0"
check "... nothing left" nothing_left_at_all

# An entry skipped by its `when` (the bundled kvm off the KVM platform) is
# said at -v only: exec prints nothing of cairn's into a workload's stderr.
BUSYBOX=$(command -v busybox) || bail "busybox is not installed (apt-get install busybox-static)"
{
        entry_binbind echo "$BUSYBOX" /echo
        entry kvm kvm "when=platform=kvm"
} | write_conf "$IT_CONF" "echo kvm"
"$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_CONF" exec -- /echo hi >"$IT_DIR/out" 2>"$IT_DIR/err"
is "$?:$(cat "$IT_DIR/out")" "0:hi" "exec with an entry skipped by when: CMD's output"
is "$(cat "$IT_DIR/err")" "" "... and nothing of cairn's on stderr"
"$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_CONF" -v exec -- /echo hi >"$IT_DIR/out" 2>"$IT_DIR/err"
check "... with -v, the skip is said" grep -q "\[kvm\] skipped: when platform=kvm does not hold" "$IT_DIR/err"
check "... nothing left" nothing_left_at_all

# A plugin that crashes: named on stderr before cairn dies of the same
# signal; the session stays for gc, which finishes it.
for sig in SEGV ABRT; do
        {
                entry proc
                entry die crash mounts=/x signal=$sig
        } | write_conf "$IT_CONF" "proc die"
        run_cairn -c "$IT_CONF" setup
        want=$((128 + $(kill -l "$sig")))
        is "$RC" "$want" "a plugin that dies of SIG$sig: cairn dies of it too ($want)"
        check "... after naming the entry and the plugin" \
                grep -q "\[die\] plugin crash crashed in its setup" <<<"$ERR"
        run_cairn -c "$IT_CONF" gc
        is "$RC" 0 "... gc exits 0"
        check "... nothing left" nothing_left_at_all
done

# ---- strict variables ----------------------------------------------------------
IT_ROOT_FS=
strict_conf() { # WHEN RUNSC-SOURCE: [cairn] variables = runtime platform
        {
                entry proc
                entry_binbind runsc "$2" /runsc
                entry kvm kvm "when=$1"
        } | write_conf "$IT_CONF" "proc runsc kvm"
        sed -i 's|^\[cairn\]$|[cairn]\nvariables = runtime platform|' "$IT_CONF"
}
strict_conf "platfrom=kvm" '${runtime}'
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm check
is "$RC" 2 "variables declared, when names an undeclared one (platfrom): check exits 2"
check "... naming the file, line, entry, key and variable" \
        grep -q "cairn.conf:[0-9]*: \[kvm\] when: variable platfrom: not one \[cairn\] variables declares" <<<"$ERR"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm setup
is "$RC" 2 "... and setup exits 2 (nothing skipped silently)"
check "... nothing done" nothing_left_at_all
strict_conf "platform=kvm" '${runtime}'
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platfrom=kvm check
is "$RC" 2 "variables declared, --set of another name: exit 2"
check "... naming it and the variables key" \
        grep -q "cairn.conf:[0-9]*: \[cairn\] variables: --set platfrom: not among the variables declared here" <<<"$ERR"
strict_conf "platform=kvm" '${runtme}'
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" check
is "$RC" 2 "variables declared, \${runtme} in a value: exit 2"
check "... naming the key" grep -q "\[runsc\] source: \${runtme}: not a variable \[cairn\] variables declares" <<<"$ERR"
strict_conf "platform=kvm" '${runtime}'
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm check
is "$RC" 0 "variables declared and used as declared: check exits 0"
# Without the key: a warning, not an error.
{
        entry proc
        entry kvm kvm "when=platfrom=kvm"
} | write_conf "$IT_CONF" "proc kvm"
run_cairn -c "$IT_CONF" --set platform=kvm check
is "$RC" 0 "no variables key, when names a variable no --set gives: check exits 0"
check "... but warns, naming file, line and variable" \
        grep -q "cairn.conf:[0-9]*: \[kvm\] when: variable platfrom is not set" <<<"$ERR"

done_testing
