#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# cairn as an OCI hook (cairn-oci(7)), with Debian's own runc and crun:
# a busybox bundle with `cairn oci-hook create` at createRuntime and
# `delete` at poststop.  Inside the container: /runsc is the read-only
# binary and runs, the device cairn bound opens, crun's masked /proc paths
# stay masked (cairn's proc entry refuses to mount over the runtime's
# /proc); afterwards nothing of the session is left.  Then: no poststop and
# `gc`; a read-only root; a user namespace; annotations; idempotence; and
# malformed state, each refused with exit 2 and nothing done.
. "$(dirname "$0")/lib.sh"

for tool in runc crun python3; do
        command -v "$tool" >/dev/null || bail "$tool is not installed (apt-get install $tool)"
done
BUSYBOX=$(command -v busybox) || bail "busybox is not installed (apt-get install busybox-static)"
ldd "$BUSYBOX" 2>&1 | grep -Eq 'not a dynamic|statically linked' || bail "$BUSYBOX is not static"
[ -c /dev/kvm ] || bail "no /dev/kvm"
[ -n "$IT_RUNTIME_STATIC" ] || bail "no static test runtime"
# crun 1.8 refuses to start with the hybrid cgroup layout of these
# machines until the unified hierarchy is gone from its namespace (ours).
umount /sys/fs/cgroup/unified 2>/dev/null || true

RUNTIME_ROOT=$IT_DIR/runtime-state
mkdir -p "$RUNTIME_ROOT"

{
        entry proc proc control=optional
        entry_binbind runsc "$IT_RUNTIME" /runsc
        entry kvm kvm device=/dev/kvm "when=platform=kvm"
        entry link symlink path=/cairn-link to=/runsc
} | write_conf "$IT_CONF" "proc runsc kvm link"
# oci_variables belongs in [cairn]: insert it after the section header.
sed -i "s|^\\[cairn\\]\$|[cairn]\\noci_variables = platform|" "$IT_CONF"

# make_bundle DIR SCRIPT [KEY=JSON...]: a busybox bundle running `sh -c
# SCRIPT`, with cairn's hooks (none with nohooks=1, only create with
# nopoststop=1) and /dev/kvm allowed; extra config.json changes as
# Python expressions on c (the config).
make_bundle() {
        local dir=$1 script=$2
        shift 2
        rm -rf "$dir"
        mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/dev" "$dir/rootfs/sys" \
                "$dir/rootfs/tmp" "$dir/rootfs/etc" || bail "mkdir $dir"
        cp "$BUSYBOX" "$dir/rootfs/bin/busybox"
        for l in sh cat grep stat test wc echo ls true; do ln -s busybox "$dir/rootfs/bin/$l"; done
        (cd "$dir" && runc spec) || bail "runc spec"
        BUNDLE_SCRIPT=$script CAIRN="$IT_CAIRN" CONF="$IT_CONF" CONFD="$IT_CONFD" \
                python3 - "$dir/config.json" "$@" <<'EOF' || bail "write $dir/config.json"
import json, os, sys
p = sys.argv[1]
c = json.load(open(p))
c['process']['terminal'] = False
c['process']['args'] = ['sh', '-c', os.environ['BUNDLE_SCRIPT']]
c['root']['readonly'] = False
def hook(stage):
    return {'path': os.environ['CAIRN'],
            'args': ['cairn', '-c', os.environ['CONF'], '--confdir', os.environ['CONFD'],
                     '--set', 'platform=kvm', 'oci-hook', stage]}
c['hooks'] = {'createRuntime': [hook('create')], 'poststop': [hook('delete')]}
c['linux']['resources']['devices'].append(
    {'allow': True, 'type': 'c', 'major': 10, 'minor': 232, 'access': 'rwm'})
for e in sys.argv[2:]:
    exec(e)
json.dump(c, open(p, 'w'), indent=1)
EOF
}

# The script run in each container: what the hook must have made.
INSIDE='grep -E "^[0-9]+ [0-9]+ [^ ]+ [^ ]+ /runsc ro[, ]" /proc/self/mountinfo >/dev/null && echo RUNSC_RO
/runsc --version >/dev/null 2>&1 && echo RUNSC_RAN
exec 3</dev/kvm && echo KVM_OPENED
test "$(wc -c </proc/keys)" -eq 0 && echo KEYS_MASKED
(echo x >/proc/sys/kernel/hostname) 2>/dev/null || echo SYS_READONLY
echo LINK_OWNER=$(stat -c %u:%g /cairn-link)
true'

# run_container RUNTIME NAME BUNDLE: `RUNTIME run`; OUT, RC.
run_container() {
        OUT=$(cd "$3" && "$1" --root "$RUNTIME_ROOT/$1" run "$2" 2>"$IT_DIR/runtime.err")
        RC=$?
        [ "$RC" -eq 0 ] || diag "$1 run $2 (exit $RC):" "$(cat "$IT_DIR/runtime.err")"
}
has() { grep -qx "$1" <<<"$OUT"; }
# Nothing of any session: no journal, no root, nothing cairn made in a rootfs.
nothing_of_sessions() { nothing_left && [ ! -e "$1/rootfs/runsc" ] && [ ! -e "$1/rootfs/cairn-link" ] &&
        [ ! -e "$1/rootfs/dev/kvm" ]; }

# ---- runc and crun: the hook at createRuntime and poststop ----------------
for rt in runc crun; do
        B=$IT_DIR/bundle-$rt
        make_bundle "$B" "$INSIDE"
        run_container "$rt" "c-$rt" "$B"
        is "$RC" 0 "$rt: the container with cairn's hooks runs"
        check "$rt: /runsc is a read-only mount inside" has RUNSC_RO
        check "$rt: /runsc runs inside" has RUNSC_RAN
        check "$rt: /dev/kvm, bound by cairn, opens (the spec allows it)" has KVM_OPENED
        check "$rt: /proc/keys stays masked (cairn's proc did not mount over the runtime's)" has KEYS_MASKED
        check "$rt: /proc/sys stays read-only" has SYS_READONLY
        check "$rt: after the container, nothing of the session is left" nothing_of_sessions "$B"
        check "$rt: nothing mounted under the bundle here" nothing_mounted_under "$B"
done
check "the hooks printed nothing on stdout (only the container did)" \
        bash -c '! grep -v -e RUNSC -e KVM -e KEYS -e SYS -e LINK <<<"$1" | grep -q .' bash "$OUT"

# ---- the proc entry, required, where the runtime mounted /proc ------------
B=$IT_DIR/bundle-over
sed 's/^control = optional$/control = required/' "$IT_CONF" >"$IT_DIR/required.conf"
make_bundle "$B" "true" "c['hooks']['createRuntime'][0]['args'][2] = '$IT_DIR/required.conf'" \
        "c['hooks']['poststop'][0]['args'][2] = '$IT_DIR/required.conf'"
# (runc, which passes on what a failed hook wrote on stderr.)
run_container runc c-over "$B"
check "runc: a required proc entry over the runtime's /proc fails the container" test "$RC" -ne 0
check "... the hook named the mount it would not mount over, and the container" \
        grep -q "c-over: \[proc\] .*/proc is a mount point already (proc" "$IT_DIR/runtime.err"
runc --root "$RUNTIME_ROOT/runc" delete -f c-over 2>/dev/null
check "... and nothing of the session is left" nothing_of_sessions "$B"

# ---- no poststop: the owner (the container's process) gone, gc -----------
B=$IT_DIR/bundle-gc
make_bundle "$B" "true" "del c['hooks']['poststop']"
run_container runc c-gc "$B"
is "$RC" 0 "runc without poststop: the container runs"
check "its session is left behind (nobody tore it down)" sh -c 'ls "$1" | grep -q journal' sh "$IT_STATE"
run_cairn -c "$IT_CONF" gc
is "$RC" 0 "gc exits 0"
check "gc took the session whose owner is gone" nothing_of_sessions "$B"

# ---- crun with a read-only root --------------------------------------------
B=$IT_DIR/bundle-ro
make_bundle "$B" "$INSIDE" "c['root']['readonly'] = True"
run_container crun c-ro "$B"
is "$RC" 0 "crun, root.readonly: the container runs"
check "crun, root.readonly: /runsc runs inside" has RUNSC_RAN
check "crun, root.readonly: nothing left" nothing_of_sessions "$B"

# ---- a user namespace --------------------------------------------------------
B=$IT_DIR/bundle-userns
make_bundle "$B" 'echo LINK_OWNER=$(stat -c %u:%g /cairn-link); /runsc --version >/dev/null 2>&1 && echo RUNSC_RAN; true' \
        "c['linux']['namespaces'].append({'type': 'user'})" \
        "c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]" \
        "c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 200000, 'size': 65536}]"
chmod 0755 "$IT_DIR" "$B"
run_container crun c-userns "$B"
is "$RC" 0 "crun with a user namespace: the container runs"
check "user namespace: /runsc runs inside" has RUNSC_RAN
check "user namespace: what cairn made belongs to the container's root (0:0 inside)" has "LINK_OWNER=0:0"
check "user namespace: nothing left" nothing_of_sessions "$B"

# ---- annotations --------------------------------------------------------------
# oci-hook create run by hand, as a runtime runs it at createRuntime: the
# "container" a process in a mount namespace of its own, before any
# pivot_root (the rootfs at its path there, as runc and crun have it then).
B=$IT_DIR/bundle-ann
make_bundle "$B" "true" "c['hooks'] = {}"
unshare --mount --propagation private -- sleep 1000 &
PID=$!
for ((i = 0; i < 100; i++)); do
        [ "$(readlink "/proc/$PID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && break
        sleep 0.02
done
STATE='{"ociVersion": "1.0.2", "id": "c-ann", "status": "creating", "pid": '"$PID"', "bundle": "'"$B"'"}'
with_annotations() { # JSON-OBJECT: the state with these annotations
        python3 -c 'import json,sys; s=json.loads(sys.argv[1]); s["annotations"]=json.loads(sys.argv[2]); print(json.dumps(s))' \
                "$STATE" "$1"
}
hook() { # STATE ARG...: oci-hook ARG... with STATE on stdin; RC, ERR
        local st=$1
        shift
        "$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_CONF" "$@" <<<"$st" >"$IT_DIR/out" 2>"$IT_DIR/err"
        RC=$?
        OUT=$(cat "$IT_DIR/out")
        ERR=$(cat "$IT_DIR/err")
        [ -z "$ERR" ] || diag "oci-hook $* (exit $RC):" "$ERR"
}
hook "$(with_annotations '{"cairn.set.runtime": "/etc/shadow"}')" oci-hook create
is "$RC" 2 "an annotation setting a variable oci_variables does not name: exit 2"
check "... naming the annotation" grep -q "annotation cairn.set.runtime" <<<"$ERR"
check "... nothing done" nothing_left
hook "$(with_annotations '{"cairn.set.platform": "kvm"}')" oci-hook create
is "$RC" 0 "cairn.set.platform (in oci_variables) sets platform: exit 0"
is "$OUT" "" "create prints nothing on stdout"
check "the kvm entry (when = platform=kvm) ran" test -e "$B/rootfs/runsc"
check "... /dev/kvm is in the container's namespace" \
        nsenter -t "$PID" -m test -c "$B/rootfs/dev/kvm"
n_before=$(ls "$IT_STATE" | wc -l)
hook "$(with_annotations '{"cairn.set.platform": "kvm"}')" oci-hook create
is "$RC" 0 "a second create for the same container: exit 0"
is "$(ls "$IT_STATE" | wc -l)" "$n_before" "... and no second session"
hook "$STATE" oci-hook delete
is "$RC" 0 "delete: exit 0"
check "delete: nothing left" nothing_left
check "delete: nothing of the session in the container's namespace" \
        sh -c '! nsenter -t "$1" -m grep -q " $2/rootfs/runsc " /proc/self/mountinfo' sh "$PID" "$B"
hook "$STATE" oci-hook delete
is "$RC" 0 "delete again (no session): exit 0"
kill "$PID"

# ---- a merged-/usr rootfs: /bin -> usr/bin ------------------------------------
# target = /bin/runsc is resolved inside the rootfs (as RESOLVE_IN_ROOT
# does): it lands at ROOTFS/usr/bin/runsc.
{
        entry_binbind runsc "$IT_RUNTIME" /bin/runsc
} | write_conf "$IT_DIR/usr.conf" "runsc"
B=$IT_DIR/bundle-usr
make_bundle "$B" 'grep -q " /usr/bin/runsc " /proc/self/mountinfo && echo AT_USR_BIN; /bin/runsc --version >/dev/null 2>&1 && echo RUNSC_RAN; true' \
        "c['hooks']['createRuntime'][0]['args'][2] = '$IT_DIR/usr.conf'" \
        "c['hooks']['poststop'][0]['args'][2] = '$IT_DIR/usr.conf'" \
        "c['process']['args'][0] = '/usr/bin/sh'"
mkdir -p "$B/rootfs/usr"
mv "$B/rootfs/bin" "$B/rootfs/usr/bin" && ln -s usr/bin "$B/rootfs/bin"
run_container runc c-usr "$B"
is "$RC" 0 "merged /usr: the container runs"
check "merged /usr: /bin/runsc landed at /usr/bin/runsc" has AT_USR_BIN
check "merged /usr: /bin/runsc runs" has RUNSC_RAN
check "merged /usr: nothing left (the link is the image's, kept)" \
        sh -c 'test -L "$1/rootfs/bin" && test ! -e "$1/rootfs/usr/bin/runsc" && test -z "$(ls "$2")"' \
        sh "$B" "$IT_STATE"

# A link that climbs out (/bin -> ../../../../etc) resolves inside the
# rootfs: ROOTFS/etc/runsc, never the host's /etc.
B=$IT_DIR/bundle-climb
make_bundle "$B" "true" "c['hooks'] = {}"
rm -rf "$B/rootfs/etc" && mkdir "$B/rootfs/etc"
mv "$B/rootfs/bin" "$B/rootfs/realbin" && ln -s ../../../../etc "$B/rootfs/bin"
unshare --mount --propagation private -- sleep 1000 &
CPID=$!
for ((i = 0; i < 100; i++)); do
        [ "$(readlink "/proc/$CPID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && break
        sleep 0.02
done
CSTATE='{"id": "c-climb", "pid": '"$CPID"', "bundle": "'"$B"'"}'
"$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_DIR/usr.conf" -v oci-hook create <<<"$CSTATE" 2>"$IT_DIR/err"
is "$?" 0 "a link climbing out of the rootfs: create exits 0"
check "... -v names the link it followed" grep -q "symlink /bin -> ../../../../etc followed inside the root" "$IT_DIR/err"
check "... the bind is at ROOTFS/etc/runsc, in the container's namespace" \
        nsenter -t "$CPID" -m grep -q " $B/rootfs/etc/runsc " /proc/self/mountinfo
check "... nothing at the host's /etc/runsc" test ! -e /etc/runsc
"$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_DIR/usr.conf" oci-hook delete <<<"$CSTATE" 2>"$IT_DIR/err"
is "$?" 0 "... delete exits 0"
check "... nothing left" nothing_left
kill "$CPID"

# ---- malformed or hostile state: exit 2, nothing done -------------------------
mkdir -p "$IT_DIR/b2/rootfs" && cp "$B/config.json" "$IT_DIR/b2/"
ln -s "$IT_DIR/b2" "$IT_DIR/b2-link"
mkdir -p "$IT_DIR/b3/rootfs"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["root"]["path"]="../../../../etc"; json.dump(c,open(sys.argv[2],"w"))' \
        "$B/config.json" "$IT_DIR/b3/config.json"
mkdir -p "$IT_DIR/b4/rootfs" && echo '{"root": ' >"$IT_DIR/b4/config.json"
sleep 1000 &
own_pid=$!
bad=(
        'not json at all'
        '["an", "array"]'
        '{"pid": 2, "bundle": "'"$IT_DIR"'/b2"}'
        '{"id": 7, "pid": 2, "bundle": "'"$IT_DIR"'/b2"}'
        '{"id": "a/b", "pid": 2, "bundle": "'"$IT_DIR"'/b2"}'
        '{"id": "x", "pid": 2}'
        '{"id": "x", "pid": 2, "bundle": "relative/b2"}'
        '{"id": "x", "pid": "2", "bundle": "'"$IT_DIR"'/b2"}'
        '{"id": "x", "pid": -5, "bundle": "'"$IT_DIR"'/b2"}'
        '{"id": "x", "bundle": "'"$IT_DIR"'/b2"}'
        '{"id": "x", "pid": '"$own_pid"', "bundle": "'"$IT_DIR"'/b2-link"}'
        '{"id": "x", "pid": '"$own_pid"', "bundle": "'"$IT_DIR"'/b3"}'
        '{"id": "x", "pid": '"$own_pid"', "bundle": "'"$IT_DIR"'/b4"}'
        '{"id": "x", "pid": '"$own_pid"', "bundle": "'"$IT_DIR"'/b2"}'
        '{"id": "x", "id": "y", "pid": 2, "bundle": "'"$IT_DIR"'/b2"}'
        '{"id": "x", "pid": 2, "bundle": "'"$IT_DIR"'/b2", "annotations": ["a"]}'
)
why=("not JSON" "not an object" "no id" "id not a string" "id with a slash" "no bundle"
     "a relative bundle" "pid a string" "pid negative" "no pid" "a bundle that is a symlink"
     "a rootfs path that leaves the bundle" "config.json not JSON"
     "a pid in the hook's own mount namespace" "a duplicate key" "annotations not an object")
for i in "${!bad[@]}"; do
        hook "${bad[$i]}" oci-hook create
        is "$RC" 2 "malformed state ($((i + 1)), ${why[$i]}): exit 2"
        check "... a message" test -n "$ERR"
        check "... nothing done" nothing_left
done
kill "$own_pid"
check "no mount under the scratch bundles" nothing_mounted_under "$IT_DIR/b2"

done_testing
