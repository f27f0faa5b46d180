#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# cairn with Debian's containerd 1.6.20 (cairn-oci(7)): `ctr run --config`
# with cairn's hooks in the spec works; and two containers with the same
# id in two containerd namespaces get a session each (the key is the id
# and the bundle, which containerd keeps per namespace), torn down each on
# its own.  containerd is started here, with its own root, state and
# socket.
. "$(dirname "$0")/lib.sh"

for tool in containerd ctr python3; do
        command -v "$tool" >/dev/null || bail "$tool is not installed (apt-get install containerd)"
done
BUSYBOX=$(command -v busybox) || bail "busybox is not installed (apt-get install busybox-static)"
[ -n "$IT_RUNTIME_STATIC" ] || bail "no static test runtime"
umount /sys/fs/cgroup/unified 2>/dev/null || true

CD=$IT_DIR/containerd
mkdir -p "$CD"
cat >"$CD/config.toml" <<EOF
version = 2
root = "$CD/root"
state = "$CD/state"
[grpc]
  address = "$CD/sock"
[ttrpc]
  address = "$CD/sock.ttrpc"
[debug]
  address = "$CD/debug.sock"
EOF
containerd --config "$CD/config.toml" >"$CD/log" 2>&1 &
cd_pid=$!
trap 'kill "$cd_pid" 2>/dev/null; wait "$cd_pid" 2>/dev/null; it_cleanup' EXIT
for ((i = 0; i < 100; i++)); do
        [ -S "$CD/sock" ] && break
        sleep 0.1
done
[ -S "$CD/sock" ] || bail "containerd did not start: $(tail -3 "$CD/log")"
CTR=(ctr --address "$CD/sock")

{
        entry_binbind runsc "$IT_RUNTIME" /runsc
        entry link symlink path=/cairn-link to=/runsc
} | write_conf "$IT_CONF" "runsc link"

# spec NAME SCRIPT: a rootfs of its own and a spec for ctr run --config.
spec() {
        local dir=$IT_DIR/$1
        mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/dev" "$dir/rootfs/sys"
        cp "$BUSYBOX" "$dir/rootfs/bin/busybox"
        for l in sh cat grep test sleep echo; do ln -sf busybox "$dir/rootfs/bin/$l"; done
        (cd "$dir" && rm -f config.json && ctr oci spec >config.json) || bail "ctr oci spec"
        SCRIPT=$2 ROOTFS=$dir/rootfs CAIRN=$IT_CAIRN CONF=$IT_CONF CONFD=$IT_CONFD \
                python3 - "$dir/config.json" <<'EOF' || bail "write $dir/config.json"
import json, os, sys
p = sys.argv[1]
c = json.load(open(p))
c['root'] = {'path': os.environ['ROOTFS'], 'readonly': False}
c['process']['terminal'] = False
c['process']['args'] = ['/bin/sh', '-c', os.environ['SCRIPT']]
c['process']['env'] = ['PATH=/bin']
def hook(stage):
    return {'path': os.environ['CAIRN'],
            'args': ['cairn', '-c', os.environ['CONF'], '--confdir', os.environ['CONFD'], 'oci-hook', stage]}
c['hooks'] = {'createRuntime': [hook('create')], 'poststop': [hook('delete')]}
json.dump(c, open(p, 'w'))
EOF
}

INSIDE='grep -E "^[0-9]+ [0-9]+ [^ ]+ [^ ]+ /runsc ro[, ]" /proc/self/mountinfo >/dev/null && echo RUNSC_RO
/runsc --version >/dev/null 2>&1 && echo RUNSC_RAN
test -L /cairn-link && echo LINK
true'

# ---- ctr run --config -----------------------------------------------------------
spec one "$INSIDE"
OUT=$("${CTR[@]}" -n cairn-test run --rm --config "$IT_DIR/one/config.json" c1 2>"$IT_DIR/ctr.err")
RC=$?
[ "$RC" -eq 0 ] || diag "ctr run (exit $RC):" "$(cat "$IT_DIR/ctr.err")"
is "$RC" 0 "ctr run --config with cairn's hooks: exit 0"
check "containerd: /runsc is a read-only mount inside" grep -qx RUNSC_RO <<<"$OUT"
check "containerd: /runsc runs inside" grep -qx RUNSC_RAN <<<"$OUT"
check "containerd: /cairn-link is there" grep -qx LINK <<<"$OUT"
check "containerd: nothing of the session left" nothing_left
check "containerd: nothing made in the rootfs left" test ! -e "$IT_DIR/one/rootfs/runsc" -a ! -e "$IT_DIR/one/rootfs/cairn-link"

# ---- the same id in two containerd namespaces --------------------------------
spec a "sleep 1000"
spec b "sleep 1000"
"${CTR[@]}" -n ns-a run -d --config "$IT_DIR/a/config.json" same >/dev/null 2>"$IT_DIR/ctr.err" ||
        diag "ctr -n ns-a run: $(cat "$IT_DIR/ctr.err")"
"${CTR[@]}" -n ns-b run -d --config "$IT_DIR/b/config.json" same >/dev/null 2>"$IT_DIR/ctr.err" ||
        diag "ctr -n ns-b run: $(cat "$IT_DIR/ctr.err")"
is "$(ls "$IT_STATE" | grep -c '\.journal$')" 2 "two containers named \"same\" in two namespaces: two sessions"
check "each has /runsc in its own rootfs" test -f "$IT_DIR/a/rootfs/runsc" -a -f "$IT_DIR/b/rootfs/runsc"
# Stop and delete the one in ns-a: its poststop tears down its session only.
stop() {
        "${CTR[@]}" -n "$1" task kill -s KILL same >/dev/null 2>&1
        for ((i = 0; i < 50; i++)); do
                "${CTR[@]}" -n "$1" task delete same >/dev/null 2>&1 && break
                sleep 0.1
        done
        "${CTR[@]}" -n "$1" container delete same >/dev/null 2>&1
}
stop ns-a
is "$(ls "$IT_STATE" | grep -c '\.journal$')" 1 "ns-a's container gone: one session left"
check "ns-a's rootfs has nothing of cairn's left" test ! -e "$IT_DIR/a/rootfs/runsc"
check "ns-b's container still has its /runsc" test -f "$IT_DIR/b/rootfs/runsc"
stop ns-b
check "ns-b's container gone too: nothing left" nothing_left
check "ns-b's rootfs has nothing of cairn's left" test ! -e "$IT_DIR/b/rootfs/runsc"

done_testing
