#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# cairn with Debian's podman 4.3.1 (cairn-oci(7)): its hooks through a
# hooks.d directory, selected by an annotation; and its devices through a
# CDI spec from `cairn cdi` (`--device cairn.dev/stack=kvm` opens /dev/kvm
# with the host's mode; `=all` brings the read-only bind and the entries
# that run as hooks).  Afterwards nothing of any session is left.  Then
# `cairn cdi` itself: --check, --cdi-version, refusals.
. "$(dirname "$0")/lib.sh"

command -v podman >/dev/null || bail "podman is not installed (apt-get install podman)"
BUSYBOX=$(command -v busybox) || bail "busybox is not installed (apt-get install busybox-static)"
[ -c /dev/kvm ] || bail "no /dev/kvm"
[ -n "$IT_RUNTIME_STATIC" ] || bail "no static test runtime"

# What podman needs on these machines (found by trying): the unified
# cgroup hierarchy out of the way (for crun), a private tmpfs on /run
# (its runroot, and /run/cdi), its own storage, ulimits and no network.
umount /sys/fs/cgroup/unified 2>/dev/null || true
mount -t tmpfs -o mode=0755 podman-run /run || bail "a private tmpfs on /run"
mkdir -p /run/cdi "$IT_DIR/hooks.d"
chmod 0755 "$IT_DIR"
P=(podman --root "$IT_DIR/podman-root" --runroot /run/podman --cgroup-manager cgroupfs
   --events-backend file --storage-driver vfs --hooks-dir "$IT_DIR/hooks.d")
RUN=(run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)

IMG=$IT_DIR/image
mkdir -p "$IMG/bin" "$IMG/dev" "$IMG/proc" "$IMG/sys" "$IMG/etc" "$IMG/tmp"
cp "$BUSYBOX" "$IMG/bin/busybox"
for l in sh cat grep stat test wc echo ls; do ln -s busybox "$IMG/bin/$l"; done
tar -C "$IMG" -c . | "${P[@]}" import - localhost/cairn-test:1 >/dev/null ||
        bail "podman import of a busybox image"

{
        entry_binbind runsc "$IT_RUNTIME" /runsc
        entry kvm kvm device=/dev/kvm
        entry link symlink path=/cairn-link to=/runsc
} | write_conf "$IT_CONF" "runsc kvm link"

# nothing_of_sessions: no journal, no root, no leftover hook process.
nothing_of_sessions() { nothing_left; }
pod() { # ARG...: podman run ARG...; OUT, RC
        OUT=$("${P[@]}" "${RUN[@]}" "$@" 2>"$IT_DIR/podman.err")
        RC=$?
        [ "$RC" -eq 0 ] || diag "podman run (exit $RC):" "$(cat "$IT_DIR/podman.err")"
}
has() { grep -qx "$1" <<<"$OUT"; }

# ---- hooks.d, selected by an annotation ------------------------------------
for st in create:createRuntime delete:poststop; do
        cat >"$IT_DIR/hooks.d/cairn-${st%%:*}.json" <<EOF
{"version": "1.0.0",
 "hook": {"path": "$IT_CAIRN",
          "args": ["cairn", "-c", "$IT_CONF", "--confdir", "$IT_CONFD", "oci-hook", "${st%%:*}"]},
 "when": {"annotations": {"^io\\\\.cairn\\\\.stack\$": "^yes\$"}},
 "stages": ["${st##*:}"]}
EOF
done
INSIDE='grep -E "^[0-9]+ [0-9]+ [^ ]+ [^ ]+ /runsc ro[, ]" /proc/self/mountinfo >/dev/null && echo RUNSC_RO
/runsc --version >/dev/null 2>&1 && echo RUNSC_RAN
test -L /cairn-link && echo LINK
test -c /dev/kvm && echo KVM_MODE=$(stat -c %a /dev/kvm)
(exec 3</dev/kvm) 2>/dev/null && echo KVM_OPENED
true'
pod --annotation io.cairn.stack=yes --device /dev/kvm localhost/cairn-test:1 sh -c "$INSIDE"
is "$RC" 0 "podman, hooks.d by annotation: the container runs"
check "hooks.d: /runsc is a read-only mount inside" has RUNSC_RO
check "hooks.d: /runsc runs inside" has RUNSC_RAN
check "hooks.d: the symlink entry's /cairn-link is there" has LINK
check "hooks.d: nothing of the session left" nothing_of_sessions
pod localhost/cairn-test:1 sh -c "$INSIDE"
is "$RC" 0 "podman without the annotation: the container runs"
check "without the annotation: no hook, no /runsc" bash -c '! grep -q RUNSC <<<"$1"' bash "$OUT"
check "without the annotation: nothing made" nothing_of_sessions

# ---- a CDI spec from cairn cdi ----------------------------------------------
rm -f "$IT_DIR/hooks.d"/*.json
run_cairn -c "$IT_CONF" cdi --output /run/cdi/cairn.json
is "$RC" 0 "cairn cdi --output /run/cdi/cairn.json: exit 0"
is "$OUT" "" "cdi --output prints nothing"
host_mode=$(stat -c %a /dev/kvm)
pod --device cairn.dev/stack=kvm localhost/cairn-test:1 sh -c "$INSIDE"
is "$RC" 0 "podman --device cairn.dev/stack=kvm: the container runs"
check "CDI kvm: /dev/kvm opens inside" has KVM_OPENED
check "CDI kvm: /dev/kvm has the host's mode ($host_mode), not 0666" has "KVM_MODE=$host_mode"
check "CDI kvm: no /runsc (another device)" bash -c '! grep -q RUNSC <<<"$1"' bash "$OUT"
pod --device cairn.dev/stack=all localhost/cairn-test:1 sh -c "$INSIDE"
is "$RC" 0 "podman --device cairn.dev/stack=all: the container runs"
check "CDI all: /runsc is a read-only bind" has RUNSC_RO
check "CDI all: /runsc runs" has RUNSC_RAN
check "CDI all: /dev/kvm opens" has KVM_OPENED
check "CDI all: the symlink entry ran as a hook (/cairn-link)" has LINK
check "CDI all: nothing of the session left" nothing_of_sessions

# ---- cdi: the spec itself ------------------------------------------------------
run_cairn -c "$IT_CONF" cdi --check /run/cdi/cairn.json
is "$RC" 0 "cdi --check of the spec it wrote: exit 0"
sed 's/"minor": [0-9]*/"minor": 1/' /run/cdi/cairn.json >"$IT_DIR/other.json"
run_cairn -c "$IT_CONF" cdi --check "$IT_DIR/other.json"
is "$RC" 1 "cdi --check of another spec: exit 1"
check "... naming the file" grep -qF "$IT_DIR/other.json" <<<"$ERR"
echo '{"cdiVersion": ' >"$IT_DIR/broken.json"
run_cairn -c "$IT_CONF" cdi --check "$IT_DIR/broken.json"
is "$RC" 2 "cdi --check of a file that is not JSON: exit 2"
run_cairn -c "$IT_CONF" cdi --cdi-version 0.6.0 --kind example.com/sandbox
is "$RC" 0 "cdi --cdi-version 0.6.0 --kind example.com/sandbox: exit 0"
is "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["cdiVersion"], d["kind"], [x["name"] for x in d["devices"]])' "$OUT")" \
        "0.6.0 example.com/sandbox ['runsc', 'kvm', 'link', 'all']" "cdi: version, kind and one device per entry, and all"
is "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); n=[x for x in d["devices"] if x["name"]=="kvm"][0]["containerEdits"]["deviceNodes"][0]; print(n["type"], n["major"], n["minor"], oct(n["fileMode"]), n["uid"], n["gid"])' "$OUT")" \
        "c $(printf '%d %d' 0x"$(stat -c %t /dev/kvm)" 0x"$(stat -c %T /dev/kvm)") 0o$(stat -c %a /dev/kvm) $(stat -c '%u %g' /dev/kvm)" \
        "cdi: the kvm node has the host's type, major:minor, mode, uid and gid"
check "cdi: the link entry is a createRuntime/poststop hook pair running oci-hook --entry link" \
        python3 -c 'import json,sys; d=json.loads(sys.argv[1]); h=[x for x in d["devices"] if x["name"]=="link"][0]["containerEdits"]["hooks"]; assert [x["hookName"] for x in h]==["createRuntime","poststop"]; assert h[0]["args"][-4:]==["oci-hook","create","--entry","link"]' "$OUT"
run_cairn -c "$IT_CONF" cdi --cdi-version 0.4.0
is "$RC" 2 "cdi --cdi-version 0.4.0: exit 2"
run_cairn -c "$IT_CONF" cdi --kind nokind
is "$RC" 2 "cdi --kind without a class: exit 2"

done_testing
